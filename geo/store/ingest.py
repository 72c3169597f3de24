"""The writes of one ingest: good rows, rejected rows and their import batch, in one transaction.

Nothing of a file is half-loaded: the batch, its records and its quarantined rows are written
in a single transaction, committed only when all of them are written (and rolled back on any
error, or on purpose for a dry run).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine, insert
from sqlalchemy.orm import Session

from geo.store.batches import audit, finish_batch, start_batch
from geo.store.models import Establishment, Incident, RejectedRow
from geo.store.records import insert_frame

MODELS = {"establishments": Establishment, "incidents": Incident}
"""The record table of each kind the ingest loads."""


def write_ingest(engine: Engine, kind: str, records: pd.DataFrame, rejected: list[dict], *,
                 source: str, source_sha256: str, actor: str, report: dict, dry_run: bool = False,
                 progress: Callable[[str, int], None] | None = None) -> int | None:
    """Write one file's records and rejected rows under a new import batch, all or nothing.

    Parameters
    ----------
    engine : Engine
    kind : {"establishments", "incidents"}
    records : DataFrame
        Columns of the kind's model (``geom`` as shapely points in EPSG:4326, or None).
    rejected : list of dict
        Rows with ``source_row``, ``sheet``, ``reason``, ``detail`` and ``raw`` (JSON-safe).
    source, source_sha256, actor : str
        Where the file came from and who loaded it (kept on the batch and in the audit log).
    report : dict
        The ingest summary, stored on the batch.
    dry_run : bool, default False
        Write everything, then roll back: the database is left untouched.
    progress : callable, optional
        Called as ``progress(stage, n_rows)`` after each stage is written (inside the transaction).

    Returns
    -------
    int or None
        The id of the committed batch; None for a dry run.
    """
    with Session(engine) as session:
        try:
            batch_id = _write(session, kind, records, rejected, source=source, source_sha256=source_sha256,
                              actor=actor, report=report, progress=progress)
        except BaseException:
            session.rollback()
            raise
        if dry_run:
            session.rollback()
            return None
        session.commit()
        return batch_id


def _write(session: Session, kind: str, records: pd.DataFrame, rejected: list[dict], *, source: str,
           source_sha256: str, actor: str, report: dict, progress) -> int:
    batch = start_batch(session, kind=kind, source=source, created_by=actor, source_sha256=source_sha256)
    insert_frame(session, MODELS[kind], records, batch_id=batch.id)
    if progress:
        progress("records", len(records))
    if rejected:
        session.execute(insert(RejectedRow), [{**r, "import_batch_id": batch.id} for r in rejected])
    if progress:
        progress("rejected", len(rejected))
    finish_batch(batch, rows_loaded=len(records), report=report)
    audit(session, actor, "ingest", f"import_batch:{batch.id}", kind=kind, source=source,
          loaded=len(records), rejected=len(rejected))
    session.flush()
    return batch.id
