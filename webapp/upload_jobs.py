"""Uploads running in the background: a job per file, kept in PostgreSQL, its ingest in a child process.

A job is one ``upload_job`` row (``geo.store.jobs``): any server process answers its status, and
a restart loses nothing. Its supervisor is a thread of the process that took the upload: it
waits for a slot (at most :data:`MAX_RUNNING` ingests per process; the others wait as
``queued``), then runs :func:`etl.pipeline.ingest` in a child process under a memory and a time
limit (:func:`webapp.workers.run_limited`), so that no file can take the server down. The child
records each stage the ingest reports; the supervisor records the outcome. A child over a limit
ends the job with the limit and the fix, and the database keeps nothing of it (the ingest is one
transaction). The uploaded file lives in a private folder of the upload area that is deleted
when the job ends. When the app starts, jobs left ``running`` by a process of this host that
no longer exists are marked failed, and folders of the area that belong to no running job are
removed (:func:`recover`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path

from flask import Flask

from geo.errors import DiabanError
from geo.store import jobs
from geo.store.audit import record
from geo.store.engine import DATABASE_ERROR
from webapp.errors import LimitExceeded, SupervisorGoneError
from webapp.keys import app_hmac_key
from webapp.workers import child_engine, database_url, run_limited

#: The stages of a job, in order: waiting for a slot, reading, then what the ingest reports.
STAGES = ("queued", "started", "read", "parsed", "records", "rejected", "done")
#: Ingests running at once in one server process.
MAX_RUNNING = 2
#: Memory an ingest may use beyond what its process had on start, in MB (config ``UPLOAD_MEMORY_MB``).
MEMORY_MB = 2048
#: Wall-clock time an ingest may take, in seconds (config ``UPLOAD_SECONDS``).
SECONDS = 1800
#: Jobs queued or running per user, and in all (config ``UPLOAD_MAX_PER_USER``, ``UPLOAD_MAX_TOTAL``).
MAX_PER_USER, MAX_TOTAL = 3, 20
HOST = socket.gethostname()

INTERNAL_ERROR = ("lỗi nội bộ khi nạp tệp; báo quản trị viên / internal error while loading the file; "
                  "tell the administrator")
RESTARTED = ("máy chủ đã khởi động lại khi tệp đang được nạp; không có gì được ghi, hãy tải tệp lên lại / "
             "the server restarted while the file was loading; nothing was written, upload the file again")
LIMITS = {"memory": ("tệp cần nhiều hơn {n} MB bộ nhớ; chia tệp thành nhiều phần hoặc báo quản trị viên",
                     "the file needs more than {n} MB of memory; split it or ask an administrator"),
          "time": ("tệp cần nhiều hơn {n} giây để nạp; chia tệp thành nhiều phần hoặc báo quản trị viên",
                   "the file needs more than {n} s to load; split it or ask an administrator")}

_log = logging.getLogger(__name__)
_SLOTS = threading.BoundedSemaphore(MAX_RUNNING)


def limit_message(exc: LimitExceeded) -> str:
    """The job's error for a child over a limit, in Vietnamese then English.

    Examples
    --------
    >>> limit_message(LimitExceeded("memory", 64)).split(" / ")[1]
    'the file needs more than 64 MB of memory; split it or ask an administrator'
    """
    vi, en = LIMITS[exc.resource]
    return f"{vi.format(n=f'{exc.limit:g}')} / {en.format(n=f'{exc.limit:g}')}"


def upload_area(app: Flask) -> Path:
    """Where running jobs keep their files: ``UPLOAD_FOLDER``, else a temp folder per database."""
    configured = app.config.get("UPLOAD_FOLDER")
    if configured:
        return Path(configured)
    url = app.extensions["diaban.engine"].url.render_as_string(hide_password=True)
    return Path(tempfile.gettempdir()) / f"diaban-uploads-{hashlib.sha256(url.encode()).hexdigest()[:12]}"


def job_folder(app: Flask, job_id: str) -> Path:
    """A new private folder for the file of ``job_id`` in the upload area."""
    area = upload_area(app)
    area.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder = area / job_id
    folder.mkdir(mode=0o700)
    return folder


def start(app: Flask, job_id: str, path: Path) -> threading.Thread:
    """Supervise the ingest of ``path`` (in the job's folder, deleted afterwards) in a daemon thread."""
    settings = {"url": database_url(app), "hmac_key": app_hmac_key(app),
                "memory_mb": float(app.config.get("UPLOAD_MEMORY_MB", MEMORY_MB)),
                "seconds": float(app.config.get("UPLOAD_SECONDS", SECONDS))}
    engine = app.extensions["diaban.engine"]
    thread = threading.Thread(target=_supervise, args=(engine, job_id, path, settings),
                              name=f"upload-{job_id}", daemon=True)
    thread.start()
    return thread


def _supervise(engine, job_id: str, path: Path, settings: dict) -> None:
    """Wait for a slot, run the ingest in a child under the limits, record the outcome, delete the file."""
    row = jobs.read_job(engine, job_id)
    job = {key: row[key] for key in ("id", "kind", "dry_run", "owner", "source", "period")}
    report, error = None, None
    try:
        with _SLOTS:
            jobs.record_stage(engine, job_id, "started")
            report = run_limited(ingest_file, settings["url"], job, str(path), settings["hmac_key"],
                                 os.getpid(), memory_mb=settings["memory_mb"], seconds=settings["seconds"])
    except LimitExceeded as exc:
        error = limit_message(exc)
    except DiabanError as exc:
        error = str(exc).replace(str(path), job["source"]).replace(str(path.parent), "")
    except Exception:  # a bug, not bad input: say so, keep the traceback in the server log
        _log.exception("upload %s (%s) failed", job_id, job["source"])
        error = INTERNAL_ERROR
    finally:
        shutil.rmtree(path.parent, ignore_errors=True)
    # The audit entry first: a client that sees the job finished finds its audit entry too.
    try:
        _audit(engine, job, report, error)
    finally:
        jobs.finish_job(engine, job_id, report=report, error=error)


def ingest_file(url: str, job: dict, path: str, hmac_key: bytes, supervisor: int) -> dict:
    """The child process: ingest ``path`` for ``job`` on its own connection, recording each stage.

    Before the ingest commits (stage ``rejected``) the child checks that its supervisor still
    lives: a job whose server died is rolled back rather than loaded unseen.
    """
    from etl.pipeline import ingest

    with child_engine(url) as engine:
        def progress(stage: str, n_rows: int) -> None:
            if stage == "rejected" and not pid_alive(supervisor):
                raise SupervisorGoneError(f"server process {supervisor} is gone; the load is rolled back")
            jobs.record_stage(engine, job["id"], stage, n_rows)
        return ingest(engine, job["kind"], path, dry_run=job["dry_run"], actor=job["owner"],
                      period=job["period"], progress=progress, hmac_key=hmac_key, source_name=job["source"])


def recover(app: Flask) -> None:
    """On start: fail the jobs of dead processes of this host, delete folders of no running job.

    A database that cannot be reached (or has no schema yet) is logged and skipped: the app still
    starts, and answers 503 until the database is back.
    """
    engine = app.extensions["diaban.engine"]
    area = upload_area(app)
    folders = [f for f in area.iterdir() if f.is_dir()] if area.is_dir() else []
    try:
        failed = jobs.fail_orphans(engine, host=HOST, alive=pid_alive, error=RESTARTED)
        running = jobs.running_job_ids(engine)
    except DATABASE_ERROR as exc:
        _log.warning("upload jobs not recovered: %s", exc.__class__.__name__)
        return
    for folder in folders:
        if folder.name not in running:
            shutil.rmtree(folder, ignore_errors=True)
    if failed:
        _log.warning("upload jobs of a stopped server marked failed: %s", ", ".join(failed))


def pid_alive(pid: int) -> bool:
    """True when a process ``pid`` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by another user
        return True
    return True


def _audit(engine, job: dict, report: dict | None, error: str | None) -> None:
    """Record the upload with its original file name (the ingest itself audits committed loads)."""
    detail = {"kind": job["kind"], "dry_run": job["dry_run"], "job": job["id"]}
    if report:
        detail |= {k: report.get(k) for k in ("batch_id", "read", "loaded", "rejected", "duplicates")}
    try:
        record(engine, job["owner"], "upload.failed" if error else "upload", job["source"],
               **detail, **({"error": error} if error else {}))
    except Exception:
        _log.exception("upload %s: the audit entry could not be written", job["id"])
