"""Reads behind the web map: counts per commune over many periods, snapshots, points, evidence.

Counting uses the store's one placement rule (:func:`geo.store.counts.locate_sql`): a record
with a point goes to the commune covering it, a record with only a commune reference to that
commune (or its whole successor). One query counts every period of a time slider at once.
Nothing here returns a person: incidents and inspections are counted, establishments carry
their type and (for callers that may show it) their name.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, Engine, text

from geo.periods import Period
from geo.settings import STORAGE_CRS
from geo.store.counts import locate_sql
from geo.store.engine import connection

#: Each counted family, filterable (incidents by kind, inspections by establishment type), with one
#: count column per period (``{counts}``); inspections are grouped per establishment first, so
#: each establishment's point is placed once.
SERIES_SOURCES = {
    "incidents": """SELECT r.geom, r.unit_id, {counts} FROM incident r
        WHERE r.event_date >= :start AND r.event_date < :end
          AND (CAST(:kinds AS text[]) IS NULL OR r.incident_kind = ANY(CAST(:kinds AS text[])))
        GROUP BY r.id""",
    "inspections": """SELECT e.geom, e.unit_id, {counts} FROM inspection r
        JOIN establishment e ON e.id = r.establishment_id
        WHERE r.inspection_date >= :start AND r.inspection_date < :end
          AND (CAST(:types AS text[]) IS NULL OR e.establishment_type = ANY(CAST(:types AS text[])))
        GROUP BY e.id""",
}
_DAY = {"incidents": "r.event_date", "inspections": "r.inspection_date"}


def count_series(conn: Connection | Engine, vintage_id: str, periods: list[Period], *,
                 incident_kinds: list[str] | None = None,
                 establishment_types: list[str] | None = None) -> tuple[dict, dict]:
    """Count incidents and inspections per commune of ``vintage_id`` for each of ``periods``.

    Parameters
    ----------
    periods : list of Period
        The periods to count, e.g. every step of a time slider (any order, may overlap).
    incident_kinds, establishment_types : list of str, optional
        Count only incidents of these kinds, only inspections of establishments of these
        types (None: all).

    Returns
    -------
    (dict, dict)
        Per family (``incidents``, ``inspections``) a DataFrame indexed by ``commune_code`` (only
        communes with records) with one integer column per period label; and per family the
        list of records no commune took, one number per period.
    """
    labels = [p.label for p in periods]
    if not periods:
        return ({family: pd.DataFrame(dtype="int64") for family in SERIES_SOURCES},
                {family: [] for family in SERIES_SOURCES})
    params = {"vintage": vintage_id, "start": min(p.start for p in periods),
              "end": max(p.end for p in periods), "kinds": incident_kinds, "types": establishment_types}
    for i, period in enumerate(periods):
        params[f"s{i}"], params[f"e{i}"] = period.start, period.end
    sums = ", ".join(f"sum(rec.p{i}) AS p{i}" for i in range(len(periods)))
    frames, unassigned = {}, {}
    with connection(conn) as c:
        for family, source in SERIES_SOURCES.items():
            counts = ", ".join(f"count(*) FILTER (WHERE {_DAY[family]} >= :s{i} AND {_DAY[family]} < :e{i})"
                               f" AS p{i}" for i in range(len(periods)))
            sql = locate_sql(source.format(counts=counts), sums)
            rows = pd.DataFrame(c.execute(text(sql), params).all(), columns=["commune_code", *labels])
            placed = rows["commune_code"].notna()
            lost = rows.loc[~placed, labels].sum()
            unassigned[family] = [int(lost.get(label, 0)) for label in labels]
            frames[family] = rows[placed].set_index("commune_code").astype("int64")
    return frames, unassigned


def record_options(conn: Connection | Engine) -> dict:
    """What the map's filters can offer: incident kinds, establishment types, the dated span.

    Returns
    -------
    dict
        ``incident_kinds`` (list of ``{"code", "label"}``, the label as the records write it),
        ``establishment_types`` (list of codes), ``first_day`` and ``last_day`` of any
        incident or inspection (None when there is none).
    """
    with connection(conn) as c:
        kinds = c.execute(text(
            "SELECT incident_kind, mode() WITHIN GROUP (ORDER BY kind_label) FROM incident "
            "GROUP BY 1 ORDER BY 1")).all()
        types = c.execute(text("SELECT DISTINCT establishment_type FROM establishment ORDER BY 1")).scalars()
        span = c.execute(text("""
            SELECT min(d), max(d) FROM (SELECT min(event_date) AS d FROM incident
              UNION ALL SELECT max(event_date) FROM incident
              UNION ALL SELECT min(inspection_date) FROM inspection
              UNION ALL SELECT max(inspection_date) FROM inspection) s""")).one()
        return {"incident_kinds": [{"code": k, "label": label} for k, label in kinds],
                "establishment_types": list(types), "first_day": span[0], "last_day": span[1]}


def snapshot_statuses(conn: Connection | Engine, snapshot_ids: list[int]) -> pd.DataFrame:
    """``snapshot_id, commune_code, status, score`` of every result of the given snapshots."""
    sql = text("SELECT snapshot_id, commune_code, status, score FROM classification_result "
               "WHERE snapshot_id = ANY(CAST(:ids AS integer[])) ORDER BY snapshot_id, commune_code")
    with connection(conn) as c:
        return pd.read_sql(sql, c, params={"ids": list(snapshot_ids)})


def commune_result(conn: Connection | Engine, snapshot_id: int, commune_code: str) -> dict | None:
    """One commune's result in a snapshot: ``status, score, criteria`` (None when absent)."""
    sql = text("SELECT status, score, criteria FROM classification_result "
               "WHERE snapshot_id = :s AND commune_code = :c")
    with connection(conn) as c:
        row = c.execute(sql, {"s": snapshot_id, "c": commune_code}).mappings().first()
    return dict(row) if row else None


#: How each kind of evidence record is read: the columns a map panel shows, never a person.
EVIDENCE_SQL = {
    "site": """SELECT s.id, s.site_kind,
                      (SELECT e.event_type FROM site_event e WHERE e.site_id = s.id
                       ORDER BY e.event_date DESC, e.id DESC LIMIT 1) AS last_event,
                      (SELECT max(e.event_date) FROM site_event e WHERE e.site_id = s.id) AS last_event_date
               FROM site s WHERE s.id = ANY(CAST(:ids AS integer[])) ORDER BY s.id""",
    "inspection": """SELECT r.id, r.inspection_date, e.establishment_type, r.team_level, r.outcome,
                            r.establishment_id {name}
                     FROM inspection r JOIN establishment e ON e.id = r.establishment_id
                     WHERE r.id = ANY(CAST(:ids AS integer[])) ORDER BY r.inspection_date, r.id""",
    "establishment": """SELECT e.id, e.establishment_type, e.commitment_signed, e.status {name}
                        FROM establishment e WHERE e.id = ANY(CAST(:ids AS integer[])) ORDER BY e.id""",
    "report": """SELECT r.id, r.period, r.indicator_code, r.value FROM commune_report r
                 WHERE r.id = ANY(CAST(:ids AS integer[])) ORDER BY r.period, r.id""",
    "assessment": """SELECT a.id, a.criterion_id, a.period, a.holds, a.assessed_by, a.assessed_at
                     FROM criterion_assessment a WHERE a.id = ANY(CAST(:ids AS integer[]))
                     ORDER BY a.assessed_at, a.id""",
}


def evidence_records(conn: Connection | Engine, kind: str, ids: list[int], *,
                     names: bool = False) -> list[dict]:
    """The records behind a criterion: ``kind`` is a key of :data:`EVIDENCE_SQL`.

    Establishment names are added only with ``names=True`` (analyst and above). Values are
    returned as the driver gives them (dates as ``date``).

    Raises
    ------
    ValueError
        For an unknown ``kind``.
    """
    if kind not in EVIDENCE_SQL:
        raise ValueError(f"evidence kind {kind!r} is unknown; use one of {', '.join(EVIDENCE_SQL)}")
    if not ids:
        return []
    sql = EVIDENCE_SQL[kind].format(name=", e.name AS establishment_name" if names else "")
    with connection(conn) as c:
        return [dict(row) for row in c.execute(text(sql), {"ids": [int(i) for i in ids]}).mappings()]


def establishments_with_outcome(conn: Connection | Engine, *, before: date,
                                types: list[str] | None = None, names: bool = False) -> gpd.GeoDataFrame:
    """Establishments with a point, each with its last inspection before ``before``.

    Columns: ``establishment_id, establishment_type, [name,] commitment_signed, status,
    last_outcome, last_inspection, ref_commune_code, ref_vintage, geometry`` (EPSG:4326);
    ``last_outcome`` is None for an establishment never inspected before that day.
    """
    sql = text(f"""
        SELECT e.id AS establishment_id, e.establishment_type, {"e.name," if names else ""}
               e.commitment_signed, e.status, last.outcome AS last_outcome,
               last.inspection_date AS last_inspection, u.code AS ref_commune_code,
               u.vintage_id AS ref_vintage, e.geom AS geometry
        FROM establishment e
        LEFT JOIN admin_unit u ON u.id = e.unit_id
        LEFT JOIN LATERAL (
            SELECT r.outcome, r.inspection_date FROM inspection r
            WHERE r.establishment_id = e.id AND r.inspection_date < :before
            ORDER BY r.inspection_date DESC, r.id DESC LIMIT 1) last ON TRUE
        WHERE e.geom IS NOT NULL
          AND (CAST(:types AS text[]) IS NULL OR e.establishment_type = ANY(CAST(:types AS text[])))
        ORDER BY e.id""")
    with connection(conn) as c:
        return gpd.read_postgis(sql, c, geom_col="geometry", crs=STORAGE_CRS,
                                params={"before": before, "types": types})


def commune_index(conn: Connection | Engine, vintage_id: str) -> pd.DataFrame:
    """The communes of a vintage without geometry, with their district (None from 2025-07-01).

    Columns: ``commune_code, name, unit_type, area_km2, district_code, district_name``, by code.
    """
    sql = text("""
        SELECT c.code AS commune_code, c.name, c.unit_type, c.area_km2,
               d.code AS district_code, d.name AS district_name
        FROM admin_unit c
        LEFT JOIN admin_unit d ON d.vintage_id = c.vintage_id AND d.level = 'district'
                               AND d.code = c.parent_code
        WHERE c.vintage_id = :v AND c.level = 'commune' ORDER BY c.code""")
    with connection(conn) as c:
        return pd.read_sql(sql, c, params={"v": vintage_id})


def data_version(conn: Connection | Engine) -> int:
    """A number that changes whenever the data that maps, counts and reports read change.

    The ``data_revision`` counter, bumped by statement-level triggers in the same transaction as
    every insert, update, delete or truncate of the record, boundary, classification and batch
    tables (migration 0007): a reader sees the new number exactly when it sees the new rows, so
    results keyed by it are never stale, and asking costs one primary-key read.
    """
    with connection(conn) as c:
        return c.execute(text("SELECT revision FROM data_revision WHERE id = 1")).scalar_one()
