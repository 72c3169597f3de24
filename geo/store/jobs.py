"""Upload jobs in the database: created under queue caps, advanced by stage, finished, recovered.

The web upload (``webapp.upload_jobs``) keeps each job as one ``upload_job`` row, so that any
server process can answer its status and a restart loses nothing. Every function opens its own
short transaction: a job's row is never held locked while its ingest runs.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine, func, select, text, update

from geo.errors import QueueFull
from geo.store.engine import session_scope
from geo.store.models import UploadJob

_JOB = UploadJob.__table__
#: The key of the advisory lock that serialises the queue-cap check with the insert.
_QUEUE_LOCK = 0x6A6F6273


def create_job(engine: Engine, job_id: str, *, owner: str, kind: str, source: str, dry_run: bool,
               host: str, pid: int, max_per_owner: int, max_total: int, period: str | None = None) -> None:
    """Insert a queued job unless the owner or the whole server has too many jobs running.

    Parameters
    ----------
    job_id : str
        A fresh random id (at most 32 characters).
    owner, kind, source : str
        The staff login, the record kind, the sanitised file name as sent.
    host, pid : str, int
        The server process that supervises the job (see :func:`fail_orphans`).
    period : str, optional
        The period given for a whole commune-reports or attestations file (``--period``).
    max_per_owner, max_total : int
        Caps on jobs in state ``running`` (queued ones included), per owner and in all.

    Raises
    ------
    QueueFull
        When a cap is reached; nothing is inserted.
    """
    with session_scope(engine) as session:
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _QUEUE_LOCK})
        count = select(func.count()).select_from(_JOB).where(_JOB.c.state == "running")
        if session.execute(count.where(_JOB.c.owner == owner)).scalar_one() >= max_per_owner:
            raise QueueFull("owner", max_per_owner)
        if session.execute(count).scalar_one() >= max_total:
            raise QueueFull("total", max_total)
        session.execute(_JOB.insert().values(
            id=job_id, owner=owner, kind=kind, source=source, dry_run=dry_run, period=period, state="running",
            phase="queued", progress={}, host=host, pid=pid))


def record_stage(engine: Engine, job_id: str, stage: str, n_rows: int | None = None) -> None:
    """Set the job's stage (and the row count reached at it); ``started`` also stamps the start."""
    values = {"phase": stage}
    if n_rows is not None:
        values["progress"] = _JOB.c.progress.op("||")(func.jsonb_build_object(stage, int(n_rows)))
    if stage == "started":
        values["started_at"] = func.now()
    with engine.begin() as conn:
        conn.execute(update(_JOB).where(_JOB.c.id == job_id, _JOB.c.state == "running").values(**values))


def finish_job(engine: Engine, job_id: str, *, report: dict | None = None, error: str | None = None) -> None:
    """End a running job: ``done`` with its report, or ``failed`` with its error."""
    values = {"state": "failed", "error": error} if error else \
        {"state": "done", "phase": "done", "report": report,
         "import_batch_id": (report or {}).get("batch_id")}
    with engine.begin() as conn:
        conn.execute(update(_JOB).where(_JOB.c.id == job_id, _JOB.c.state == "running")
                     .values(finished_at=func.now(), **values))


def read_job(engine: Engine, job_id: str) -> dict | None:
    """The job's row as a dict (with ``seconds`` it has run or ran), or None."""
    seconds = func.extract("epoch", func.coalesce(_JOB.c.finished_at, func.now()) - _JOB.c.created_at)
    with engine.connect() as conn:
        row = conn.execute(select(_JOB, seconds.label("seconds")).where(_JOB.c.id == job_id)).mappings() \
            .first()
    return dict(row) if row else None


def running_job_ids(engine: Engine) -> set[str]:
    """The ids of the jobs queued or running in any process."""
    with engine.connect() as conn:
        return set(conn.execute(select(_JOB.c.id).where(_JOB.c.state == "running")).scalars())


def fail_orphans(engine: Engine, *, host: str, alive: Callable[[int], bool], error: str) -> list[str]:
    """Mark failed the running jobs of ``host`` whose supervising process is gone; return their ids.

    ``alive(pid)`` says whether a process of this host exists. Jobs of other hosts are left alone:
    their processes cannot be checked from here.
    """
    with engine.begin() as conn:
        pids = conn.execute(select(_JOB.c.pid).distinct().where(
            _JOB.c.state == "running", _JOB.c.host == host)).scalars().all()
        dead = [pid for pid in pids if not alive(pid)]
        if not dead:
            return []
        return list(conn.execute(update(_JOB).where(
            _JOB.c.state == "running", _JOB.c.host == host, _JOB.c.pid.in_(dead))
            .values(state="failed", error=error, finished_at=func.now()).returning(_JOB.c.id)).scalars())
