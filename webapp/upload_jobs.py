"""Uploads running in the background: a job per file, kept in memory, polled by the upload page.

A job runs :func:`etl.pipeline.ingest` in its own thread (at most :data:`MAX_RUNNING` at a
time, the others wait as ``queued``) and records each stage the ingest reports. The uploaded
file lives in a private temporary folder that is deleted when the job ends, whatever the
outcome. Jobs are forgotten :data:`KEEP_SECONDS` after they finish. The registry belongs to
one process: behind several worker processes, poll the process that took the upload
(waitress, the server ``diaban serve`` runs, is one process).
"""

from __future__ import annotations

import logging
import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from geo.errors import DiabanError
from geo.store.audit import record

#: The stages of a job, in order: waiting for a slot, reading, then what the ingest reports.
STAGES = ("queued", "started", "read", "parsed", "records", "rejected", "done")
MAX_RUNNING = 2
KEEP_SECONDS = 3600

_log = logging.getLogger(__name__)
_SLOTS = threading.BoundedSemaphore(MAX_RUNNING)


@dataclass
class Job:
    """One upload: who sent which file, how far its ingest got, and its report or error."""

    owner: str
    kind: str
    filename: str
    dry_run: bool
    id: str = field(default_factory=lambda: secrets.token_urlsafe(12))
    state: str = "running"
    stage: str = "queued"
    rows: dict = field(default_factory=dict)
    report: dict | None = None
    error: str | None = None
    started: float = field(default_factory=time.time)
    finished: float | None = None

    def advance(self, stage: str, n_rows: int) -> None:
        """The ingest's progress callback: remember the stage and its row count."""
        self.stage, self.rows[stage] = stage, int(n_rows)

    def status(self) -> dict:
        """The job as the status endpoint answers it (JSON-ready)."""
        known = self.stage in STAGES
        return {"id": self.id, "kind": self.kind, "filename": self.filename, "dry_run": self.dry_run,
                "state": self.state, "stage": self.stage, "stages": list(STAGES),
                "stage_index": STAGES.index(self.stage) if known else None, "rows": dict(self.rows),
                "report": self.report, "error": self.error,
                "seconds": round((self.finished or time.time()) - self.started, 2)}


class JobRegistry:
    """The jobs of this process, by id (thread-safe)."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def add(self, job: Job) -> Job:
        """Register ``job``, forgetting the finished jobs older than :data:`KEEP_SECONDS`."""
        with self._lock:
            cutoff = time.time() - KEEP_SECONDS
            for key in [k for k, j in self._jobs.items() if j.finished and j.finished < cutoff]:
                del self._jobs[key]
            self._jobs[job.id] = job
        return job

    def get(self, job_id: str) -> Job | None:
        """The job ``job_id``, or None."""
        with self._lock:
            return self._jobs.get(job_id)


def start(job: Job, run, path: Path, folder: Path, engine) -> threading.Thread:
    """Run ``run(path, job)`` (the ingest) in a daemon thread; ``folder`` is deleted afterwards."""
    thread = threading.Thread(target=_work, args=(job, run, path, folder, engine),
                              name=f"upload-{job.id}", daemon=True)
    thread.start()
    return thread


def _work(job: Job, run, path: Path, folder: Path, engine) -> None:
    """The job's thread: wait for a slot, ingest, record the outcome, delete the file."""
    try:
        with _SLOTS:
            job.stage = "started"
            job.report = run(path, job)
        job.stage, job.state = "done", "done"
    except DiabanError as exc:
        job.error, job.state = str(exc).replace(str(path), job.filename).replace(str(folder), ""), "failed"
    except Exception:  # a bug, not bad input: say so, keep the traceback in the server log
        _log.exception("upload %s (%s) failed", job.id, job.filename)
        job.error, job.state = ("lỗi nội bộ khi nạp tệp; báo quản trị viên / internal error while "
                                "loading the file; tell the administrator"), "failed"
    finally:
        job.finished = time.time()
        shutil.rmtree(folder, ignore_errors=True)
    _audit(engine, job)


def _audit(engine, job: Job) -> None:
    """Record the upload with its original file name (the ingest itself audits committed loads)."""
    detail = {"kind": job.kind, "dry_run": job.dry_run, "job": job.id}
    if job.report:
        detail |= {k: job.report.get(k) for k in ("batch_id", "read", "loaded", "rejected", "duplicates")}
    try:
        record(engine, job.owner, "upload" if job.state == "done" else "upload.failed", job.filename,
               **detail, **({"error": job.error} if job.error else {}))
    except Exception:
        _log.exception("upload %s: the audit entry could not be written", job.id)
