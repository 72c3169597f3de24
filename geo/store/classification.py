"""Classification in the store: read the records, write immutable snapshots, read and compare them.

Snapshots (``classification_snapshot`` and ``classification_result``) are never updated or
deleted: a trigger raises on UPDATE, DELETE and TRUNCATE. Re-reading a snapshot gives the
classification of its period exactly as it was taken, whatever data arrived since.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import Connection, Engine, insert, text

from geo.classify import ClassificationRecords, Ruleset, SnapshotMeta, compare_results
from geo.errors import UnknownSnapshotError
from geo.periods import Period
from geo.store.crosswalk import read_crosswalk
from geo.store.engine import connection
from geo.store.models import ClassificationResult, ClassificationSnapshot
from geo.store.records import (
    read_activities,
    read_establishments,
    read_incidents,
    read_inspections,
    read_sites,
    read_tips,
)
from geo.store.units import read_units


def read_classification_records(conn: Connection | Engine, *, period: Period,
                                vintage: str) -> ClassificationRecords:
    """Read every record a classification of ``period`` on ``vintage`` needs, as stored.

    Sites with their points and every event; inspections and incidents from the beginning up
    to the period's end; the period's tip-offs and awareness activities; of the reports a
    commune sent for one period and indicator, the latest loaded (a corrected report replaces
    the earlier one); the attestations. :func:`geo.classify.period_inputs` places them.
    """
    with connection(conn) as c:
        sites, events = read_sites(c)
        return ClassificationRecords(
            units=read_units(c, vintage), sites=sites, site_events=events,
            establishments=read_establishments(c), crosswalk=read_crosswalk(c),
            inspections=read_inspections(c, end=period.end), incidents=read_incidents(c, end=period.end),
            tips=read_tips(c, start=period.start, end=period.end),
            activities=read_activities(c, start=period.start, end=period.end),
            reports=pd.read_sql(text("""
                SELECT * FROM (
                    SELECT DISTINCT ON (r.unit_id, r.period, r.indicator_code)
                           r.id AS report_id, u.code AS commune_code, u.vintage_id, r.period,
                           r.indicator_code, r.value
                    FROM commune_report r JOIN admin_unit u ON u.id = r.unit_id
                    WHERE u.vintage_id = :v
                    ORDER BY r.unit_id, r.period, r.indicator_code, r.id DESC) latest
                ORDER BY report_id"""), c, params={"v": vintage}),
            attestations=pd.read_sql(text("""
                SELECT a.id AS assessment_id, u.code AS commune_code, u.vintage_id, a.period,
                       a.criterion_id, a.holds, a.value, a.assessed_by, a.assessed_at, a.note
                FROM criterion_assessment a JOIN admin_unit u ON u.id = a.unit_id
                WHERE u.vintage_id = :v ORDER BY a.id"""), c, params={"v": vintage}),
        )


def read_time(conn: Connection | Engine) -> datetime:
    """The time the inputs are read (the transaction's timestamp): a snapshot's data as-of time."""
    with connection(conn) as c:
        return c.execute(text("SELECT now()")).scalar_one()


def write_snapshot(conn: Connection | Engine, results: pd.DataFrame, *, ruleset: Ruleset,
                   period: Period, vintage: str, as_of: datetime, created_by: str) -> int:
    """Store a classification result as a new snapshot and return its id."""
    with connection(conn) as c:
        snapshot_id = c.execute(insert(ClassificationSnapshot).values(
            ruleset_id=ruleset.id, ruleset_version=ruleset.version, ruleset_sha256=ruleset.sha256,
            period=period.label, convention=period.convention, vintage_id=vintage,
            data_as_of=as_of, created_by=created_by).returning(ClassificationSnapshot.id)).scalar_one()
        rows = [{"snapshot_id": snapshot_id, "commune_code": r.commune_code, "status": r.status,
                 "score": float(r.score), "criteria": r.criteria} for r in results.itertuples()]
        if rows:
            c.execute(insert(ClassificationResult), rows)
        if isinstance(conn, Engine):
            c.commit()
    return snapshot_id


#: The columns of a snapshot's metadata (:class:`SnapshotMeta`), in every query that reads a
#: SnapshotMeta (the dashboard series and the national overview read a few columns of their own).
SNAPSHOT_COLUMNS = ("id", "ruleset_id", "ruleset_version", "ruleset_sha256", "period", "convention",
                    "vintage_id", "data_as_of", "created_at", "created_by")
#: Those columns in a select list, the snapshot table aliased ``s``.
META_SQL = ", ".join(f"s.{c}" for c in SNAPSHOT_COLUMNS)


def snapshot_meta(row) -> SnapshotMeta:
    """A :class:`SnapshotMeta` from a row holding :data:`SNAPSHOT_COLUMNS` (and maybe ``counts``)."""
    return SnapshotMeta(**{c: row[c] for c in SNAPSHOT_COLUMNS}, counts=dict(row.get("counts") or {}))


def read_snapshot(conn: Connection | Engine, snapshot_id: int) -> tuple[SnapshotMeta, pd.DataFrame]:
    """Read a snapshot: its metadata and its results (``commune_code, name, status, score, criteria``)."""
    with connection(conn) as c:
        row = c.execute(text(f"SELECT {META_SQL} FROM classification_snapshot s WHERE s.id = :s"),
                        {"s": snapshot_id}).mappings().first()
        if row is None:
            raise UnknownSnapshotError(f"snapshot {snapshot_id} is not in the store; "
                                       "`diaban classify` prints the id of each one it takes")
        meta = snapshot_meta(row)
        results = pd.read_sql(text("""
            SELECT r.commune_code, u.name, r.status, r.score, r.criteria
            FROM classification_result r
            LEFT JOIN admin_unit u ON u.code = r.commune_code AND u.vintage_id = :v
                                   AND u.level = 'commune'
            WHERE r.snapshot_id = :s ORDER BY r.commune_code"""), c,
            params={"s": snapshot_id, "v": meta.vintage_id})
    return meta, results


_NEWEST_SNAPSHOTS = text(f"""
    SELECT DISTINCT ON (s.period, s.convention) {META_SQL}
    FROM classification_snapshot s
    WHERE s.vintage_id = :vintage
      AND (CAST(:periods AS text[]) IS NULL OR s.period = ANY(CAST(:periods AS text[])))
      AND (CAST(:convention AS text) IS NULL OR s.convention = CAST(:convention AS text))
    ORDER BY s.period, s.convention, s.created_at DESC, s.id DESC""")


def newest_snapshots(conn: Connection | Engine, *, vintage: str, periods: list[str] | None = None,
                     convention: str | None = None) -> list[SnapshotMeta]:
    """The newest classification snapshot of each period label and convention on ``vintage``.

    The newest is the last taken (``created_at``, then ``id``); the ones before it stay in the
    store, immutable, for comparison.

    Parameters
    ----------
    vintage : str
        Boundary vintage the snapshots were taken on.
    periods : list of str, optional
        Only these period labels; default every period.
    convention : str, optional
        Only this period convention (``calendar`` or ``reporting``); default both.

    Returns
    -------
    list of SnapshotMeta
        Ordered by period label then convention.
    """
    params = {"vintage": vintage, "periods": None if periods is None else list(periods),
              "convention": convention}
    with connection(conn) as c:
        return [snapshot_meta(row) for row in c.execute(_NEWEST_SNAPSHOTS, params).mappings()]


def newest_snapshot(conn: Connection | Engine, *, period: str, vintage: str,
                    convention: str) -> SnapshotMeta | None:
    """The newest classification snapshot of one period label and convention on ``vintage``, or None.

    The metadata of :func:`newest_snapshots`.
    """
    found = newest_snapshots(conn, vintage=vintage, periods=[period], convention=convention)
    return found[0] if found else None


def last_snapshot_id(conn: Connection | Engine) -> int | None:
    """The id of the last snapshot taken of any period and vintage (tells when cached figures went stale)."""
    with connection(conn) as c:
        return c.execute(text("SELECT max(id) FROM classification_snapshot")).scalar_one()


def compare_snapshots(conn: Connection | Engine, before: int,
                      after: int) -> tuple[SnapshotMeta, SnapshotMeta, pd.DataFrame]:
    """Compare two snapshots: the metadata of both and the communes that changed (and why)."""
    meta_a, res_a = read_snapshot(conn, before)
    meta_b, res_b = read_snapshot(conn, after)
    return meta_a, meta_b, compare_results(res_a, res_b)


def list_snapshots(conn: Connection | Engine, *, limit: int = 20) -> list[SnapshotMeta]:
    """The newest snapshots, newest first, each with its status counts (``{status: communes}``)."""
    sql = text(f"""
        SELECT {META_SQL},
               (SELECT jsonb_object_agg(status, n) FROM (
                    SELECT r.status, count(*) AS n FROM classification_result r
                    WHERE r.snapshot_id = s.id GROUP BY r.status) c) AS counts
        FROM classification_snapshot s ORDER BY s.created_at DESC, s.id DESC LIMIT :n""")
    with connection(conn) as c:
        return [snapshot_meta(row) for row in c.execute(sql, {"n": limit}).mappings()]
