"""The writes of one ingest: good rows, rejected rows, review items and their batch, in one transaction.

Nothing of a file is half-loaded: the batch, its records and its quarantined rows are written
in a single transaction, committed only when all of them are written (and rolled back on any
error, or on purpose for a dry run). A record whose natural key (``record_hash``) is already in
its table is not written again: it is counted as a duplicate, so a file loaded twice, or two
files that overlap, leave every record once.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import shapely
from sqlalchemy import Connection, Engine, Text, any_, bindparam, func, insert, select
from sqlalchemy.orm import Session

from geo.store.audit import audit
from geo.store.batches import finish_batch, start_batch
from geo.store.models import (
    Activity,
    CommuneReport,
    CriterionAssessment,
    Establishment,
    ImportBatch,
    Incident,
    Inspection,
    RejectedRow,
    ReviewItem,
    Site,
    SiteEvent,
    Tip,
)
from geo.store.records import _read, insert_frame

MODELS = {"establishments": Establishment, "sites": Site, "site-events": SiteEvent, "incidents": Incident,
          "inspections": Inspection, "tips": Tip, "activities": Activity, "commune-reports": CommuneReport,
          "attestations": CriterionAssessment}
"""The record table of each kind the ingest loads."""


def record_hash(kind: str, values: Mapping[str, Any]) -> str:
    """The natural key of one record: SHA-256 of its kind and normalised values (hex).

    The same key as :func:`record_hashes` gives the record as a row of a frame.

    Examples
    --------
    >>> a = record_hash("incidents", {"event_date": date(2019, 6, 15), "persons_total": np.int64(2)})
    >>> a == record_hash("incidents", {"persons_total": 2, "event_date": date(2019, 6, 15)}), len(a)
    (True, 64)
    >>> a == record_hash("inspections", {"event_date": date(2019, 6, 15), "persons_total": 2})
    False
    """
    return record_hashes(kind, pd.DataFrame({k: [v] for k, v in values.items()}, index=[0], dtype=object))[0]


def record_hashes(kind: str, frame: pd.DataFrame) -> list[str]:
    """The natural key of each row of ``frame``: SHA-256 (hex) of the kind and the row's normalised values.

    The hashed text is the compact JSON ``[kind, {column: value, ...}]`` with the columns sorted,
    non-ASCII kept: dates ISO, geometries as WKT rounded to 7 decimals (about 1 cm), numpy scalars as
    Python ones, NaN as null. Each distinct plain value of a column is encoded once.

    Examples
    --------
    >>> rows = pd.DataFrame({"persons_total": [2, 2], "event_date": [date(2019, 6, 15), None]})
    >>> a, b = record_hashes("incidents", rows)
    >>> a == record_hash("incidents", {"event_date": date(2019, 6, 15), "persons_total": 2}), a == b
    (True, False)
    """
    names = sorted(frame.columns)
    fields = ",".join(_dump(name).replace("%", "%%") + ":%s" for name in names)
    template = "[" + _dump(kind).replace("%", "%%") + ",{" + fields + "}]"
    rows = zip(*(_encoded(frame[name]) for name in names), strict=True) if names else [()] * len(frame)
    sha256 = hashlib.sha256
    return [sha256((template % row).encode()).hexdigest() for row in rows]


_INFINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}
_PLAIN = frozenset({str, int, bool, date})
"""Types whose equal values always encode alike (not float: 0.0 == -0.0; not mixed: 1 == True)."""


def _encoded(values: pd.Series) -> list[str]:
    """The JSON text of each value of a column; floats, geometries and one-type columns vectorised."""
    if values.dtype.kind == "f":  # json writes a float as its repr
        return ["null" if v != v else _INFINITE.get(v) or repr(v) for v in values.tolist()]
    items = values.to_numpy(dtype=object)  # Python scalars, lists stay cells
    texts = np.full(len(items), "null", dtype=object)
    rest = ~pd.isna(items)
    geoms = shapely.is_geometry(items)
    if geoms.any():  # WKT holds no character JSON escapes: quoting it is its JSON text
        texts[geoms] = [f'"{wkt}"' for wkt in shapely.to_wkt(items[geoms], rounding_precision=7)]
        rest &= ~geoms
    present = items[rest]
    kinds = set(map(type, present))
    if len(kinds) == 1 and kinds <= _PLAIN:  # each distinct value encoded once
        codes, distinct = pd.factorize(present)
        texts[rest] = np.array([_dump(v) for v in distinct], dtype=object)[codes]
    else:
        texts[rest] = [_dump(v) for v in present]
    return texts.tolist()


def _dump(value: Any) -> str:
    return json.dumps(_canonical(value), ensure_ascii=False, separators=(",", ":"))


def _canonical(value: Any) -> Any:
    if isinstance(value, list | tuple | np.ndarray):
        return [_canonical(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, shapely.Geometry):
        return shapely.to_wkt(value, rounding_precision=7)
    return value


def write_ingest(engine: Engine, kind: str, records: pd.DataFrame, rejected: list[dict], *,
                 source: str, source_sha256: str, actor: str, report: dict, dry_run: bool = False,
                 progress: Callable[[str, int], None] | None = None,
                 synthetic: bool = False) -> tuple[int | None, dict]:
    """Write one file's records and rejected rows under a new import batch, all or nothing.

    Parameters
    ----------
    engine : Engine
    kind : str
        A key of :data:`MODELS`.
    records : DataFrame
        Columns of the kind's model plus ``record_hash`` (``geom`` as shapely points in EPSG:4326, or
        None); for sites, ``first_identified`` (a date or None) adds an ``identified`` event.
    rejected : list of dict
        Rows with ``source_row``, ``sheet``, ``reason``, ``detail``, ``raw`` (JSON-safe) and
        ``ref_hmac``; a row with a ``review`` dict (``vintage_id, commune_text, district_text,
        commune_key, district_key, candidates``) also gets a review item.
    source, source_sha256, actor : str
        Where the file came from and who loaded it (kept on the batch and in the audit log).
    report : dict
        The ingest summary; ``loaded`` and ``duplicates`` are corrected for records already stored.
    dry_run : bool, default False
        Write everything, then roll back: the database is left untouched.
    progress : callable, optional
        Called as ``progress(stage, n_rows)`` after each stage is written (inside the transaction).
    synthetic : bool, default False
        Flag the batch as synthetic (the demo data).

    Returns
    -------
    (int or None, dict)
        The id of the committed batch (None for a dry run) and the corrected report.
    """
    with Session(engine) as session:
        try:
            batch = start_batch(session, kind=kind, source=source, created_by=actor,
                                source_sha256=source_sha256, synthetic=synthetic)
            loaded, existing = insert_records(session, kind, records, batch_id=batch.id)
            report = {**report, "loaded": loaded, "duplicates": report.get("duplicates", 0) + existing}
            if progress:
                progress("records", loaded)
            write_rejected(session, kind, rejected, batch_id=batch.id)
            if progress:
                progress("rejected", len(rejected))
            stored = {k: v for k, v in report.items() if k != "batch_id"}
            finish_batch(batch, rows_loaded=loaded, report=stored)
            audit(session, actor, "ingest", f"import_batch:{batch.id}", kind=kind, source=source,
                  loaded=loaded, rejected=len(rejected), duplicates=report["duplicates"])
            session.flush()
        except BaseException:
            session.rollback()
            raise
        if dry_run:
            session.rollback()
            return None, report
        session.commit()
        return batch.id, report


def insert_records(session: Session, kind: str, records: pd.DataFrame, *, batch_id: int) -> tuple[int, int]:
    """Insert the records whose ``record_hash`` is not stored yet; return (inserted, already stored)."""
    if records.empty:
        return 0, 0
    new = records[~records["record_hash"].isin(stored_hashes(session, kind, records["record_hash"]))]
    first_identified = new.pop("first_identified") if "first_identified" in new else None
    ids = insert_frame(session, MODELS[kind], new, batch_id=batch_id)
    if first_identified is not None:
        _identified_events(session, ids, first_identified, batch_id)
    return len(ids), len(records) - len(new)


def stored_hashes(session: Session, kind: str, hashes) -> set[str]:
    """The natural keys among ``hashes`` that the kind's table holds already.

    The keys (hexadecimal digests) travel as one comma-separated text parameter split by the server,
    so a file of any length is one statement with one parameter: PostgreSQL allows at most 65,535
    parameters per statement, and one text is far quicker to send than a 100,000-element array.
    """
    model = MODELS[kind]
    wanted = ",".join(h for h in hashes if h)
    if not wanted:
        return set()
    listed = func.string_to_array(bindparam("hashes", wanted, type_=Text), ",")
    return set(session.scalars(select(model.record_hash).where(model.record_hash == any_(listed))))


def _identified_events(session: Session, site_ids: list[int], days: pd.Series, batch_id: int) -> None:
    """An ``identified`` event on its first-identified date for every new site that has one."""
    events = pd.DataFrame({"site_id": site_ids, "event_date": list(days), "event_type": "identified"})
    events = events[events["event_date"].notna()]
    if events.empty:
        return
    events["record_hash"] = record_hashes("site-events", events[["site_id", "event_date", "event_type"]])
    insert_records(session, "site-events", events, batch_id=batch_id)


def write_rejected(session: Session, kind: str, rejected: list[dict], *, batch_id: int) -> list[int]:
    """Quarantine rows (and open a review item for those with a ``review``); return their ids."""
    if not rejected:
        return []
    rows = pd.DataFrame([{k: v for k, v in r.items() if k != "review"} for r in rejected], dtype=object)
    ids = insert_frame(session, RejectedRow, rows, batch_id=batch_id)
    items = [{**r["review"], "rejected_row_id": i, "kind": kind, "reason": r["reason"], "status": "open",
              "import_batch_id": batch_id} for i, r in zip(ids, rejected, strict=True) if r.get("review")]
    if items:
        session.execute(insert(ReviewItem), items)
    return ids


def add_to_batch(session: Session, batch_id: int, *, loaded: int, resolved: int) -> None:
    """Count records loaded later into a batch (a reviewed row), on the batch and its report."""
    batch = session.get(ImportBatch, batch_id)
    batch.rows_loaded += loaded
    batch.report = {**batch.report, "resolved": batch.report.get("resolved", 0) + resolved,
                    "loaded_after_review": batch.report.get("loaded_after_review", 0) + loaded}


_LINK_TARGETS = {
    "establishment": ("establishment", "name", "registration_hmac"),
    "site": ("site", "descriptor", "site_ref_hmac"),
}


def read_link_targets(conn: Connection | Engine, kind: str):
    """Every establishment or site as the ingest links records to it: id, name, code hash, place.

    Parameters
    ----------
    kind : {"establishment", "site"}

    Returns
    -------
    GeoDataFrame
        ``<kind>_id``, the name (``name`` or ``descriptor``), the code hash (``registration_hmac`` or
        ``site_ref_hmac``), ``ref_commune_code, ref_vintage`` and the point (or None), EPSG:4326.
    """
    table, name, code = _LINK_TARGETS[kind]
    return _read(conn, f"""
        SELECT r.id AS {kind}_id, r.{name}, r.{code}, u.code AS ref_commune_code,
               u.vintage_id AS ref_vintage, r.geom AS geometry
        FROM {table} r LEFT JOIN admin_unit u ON u.id = r.unit_id ORDER BY r.id""", {})
