"""Import batches: where every row came from (the audit log of who did what is :mod:`geo.store.audit`)."""

from __future__ import annotations

import hashlib
from contextlib import nullcontext
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, delete, select
from sqlalchemy.orm import Session

from geo.store.audit import audit
from geo.store.models import ImportBatch


def file_sha256(path: str | Path) -> str:
    """Return the SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def start_batch(session: Session, *, kind: str, source: str, created_by: str,
                source_sha256: str | None = None, synthetic: bool = False) -> ImportBatch:
    """Open an import batch (status ``running``) and flush it so rows can refer to it."""
    batch = ImportBatch(kind=kind, source=source, created_by=created_by,
                        source_sha256=source_sha256, synthetic=synthetic, status="running",
                        rows_loaded=0, report={})
    session.add(batch)
    session.flush()
    return batch


def finish_batch(batch: ImportBatch, *, rows_loaded: int, report: dict) -> None:
    """Mark a batch done with its row count and report (the caller's transaction commits it)."""
    batch.rows_loaded = rows_loaded
    batch.report = report
    batch.status = "done"
    batch.finished_at = datetime.now(UTC)


def synthetic_batches(conn: Connection | Engine) -> list[dict]:
    """The synthetic import batches (the demo's), oldest first: ``id, kind, source, rows_loaded``."""
    query = (select(ImportBatch.id, ImportBatch.kind, ImportBatch.source, ImportBatch.rows_loaded)
             .where(ImportBatch.synthetic.is_(True)).order_by(ImportBatch.id))
    with conn.connect() if isinstance(conn, Engine) else nullcontext(conn) as c:
        return [dict(row._mapping) for row in c.execute(query)]


def delete_batches(engine: Engine, ids: list[int], *, actor: str, action: str) -> int:
    """Delete import batches and, by cascade, every row they loaded; audit it. Return how many went."""
    with Session(engine) as session, session.begin():
        gone = session.execute(delete(ImportBatch).where(ImportBatch.id.in_(ids))).rowcount
        audit(session, actor, action, None, batches=list(ids))
    return gone

