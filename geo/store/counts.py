"""Counts of records per commune of a vintage over a period, computed in PostGIS.

A record with a point is counted in the commune covering it, with the rule of
``geo.join.assign_units`` (boundary included, lowest code on a shared edge); a record with
only a commune reference is counted there when the reference belongs to the vintage asked
for, or in its successor when the crosswalk says the unit went there whole. Records of a
split unit, and any other record no commune takes, are reported as unassigned, never
dropped silently or guessed.

Points are placed once: the ingest stores, for each record with a point, the commune of the
vintage valid on its date that covers it (``geo.join.assign_units``, the same rule). Counting
on that vintage reads the stored commune; only a point whose stored commune is of another
vintage (or that has none, e.g. a demo record) is placed again here, by ``ST_Covers`` on the
vintage asked for, so records re-aggregate across vintages exactly by their points.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Engine, text

from geo.periods import Period
from geo.store.engine import connection
from geo.store.units import read_units

#: Each counted family: the rows dated in the period with their point and unit reference.
SOURCES = {
    "incidents": """SELECT r.geom, r.unit_id FROM incident r
                    WHERE r.event_date >= :start AND r.event_date < :end""",
    "inspections": """SELECT e.geom, e.unit_id FROM inspection r
                      JOIN establishment e ON e.id = r.establishment_id
                      WHERE r.inspection_date >= :start AND r.inspection_date < :end""",
}

_LOCATE = """
WITH rec AS ({source})
SELECT COALESCE(CASE WHEN stored THEN ref.code END, pt.code, cw.code) AS commune_code, {aggregates}
FROM rec
LEFT JOIN admin_unit ref ON ref.id = rec.unit_id
CROSS JOIN LATERAL (
    SELECT COALESCE(ref.vintage_id = :vintage AND (rec.geom IS NULL OR ref.level = 'commune'), FALSE)
           AS stored
) own
LEFT JOIN LATERAL (
    SELECT u.code FROM admin_unit u
    WHERE rec.geom IS NOT NULL AND NOT own.stored
      AND u.vintage_id = :vintage AND u.level = 'commune' AND ST_Covers(u.geom, rec.geom)
    ORDER BY u.code LIMIT 1
) pt ON TRUE
LEFT JOIN LATERAL (
    SELECT t.code FROM unit_crosswalk x JOIN admin_unit t ON t.id = x.to_unit_id
    WHERE rec.geom IS NULL AND NOT own.stored AND x.from_unit_id = ref.id AND x.kind = 'whole'
      AND t.vintage_id = :vintage
) cw ON TRUE
GROUP BY 1
"""


def locate_sql(source: str, aggregates: str = "count(*) AS n") -> str:
    """SQL grouping the rows of ``source`` by the commune of ``:vintage`` that takes them.

    ``source`` selects at least ``geom`` and ``unit_id`` and is aliased ``rec``; the result
    has ``commune_code`` (NULL for rows no commune takes) and the ``aggregates`` over ``rec``.
    The one placement rule of the store: point in polygon (read from the stored commune when it
    is of ``:vintage``, placed by PostGIS otherwise), else the same-vintage reference, else a whole
    succession of the crosswalk.
    """
    return _LOCATE.format(source=source, aggregates=aggregates)


def count_by_unit(conn: Connection | Engine, vintage_id: str, *, period: Period) -> tuple[pd.DataFrame, dict]:
    """Count incidents and inspections per commune of ``vintage_id`` within ``period``.

    Returns
    -------
    (DataFrame, dict)
        One row per commune that has records (``commune_code`` index, one integer column per
        family of ``SOURCES``), and per family the number of records no commune took.
    """
    params = {"vintage": vintage_id, "start": period.start, "end": period.end}
    columns, unassigned = {}, {}
    with connection(conn) as c:
        for family, source in SOURCES.items():
            rows = c.execute(text(locate_sql(source)), params).all()
            counts = {code: n for code, n in rows}
            unassigned[family] = int(counts.pop(None, 0))
            columns[family] = pd.Series(counts, dtype="int64")
    frame = pd.DataFrame(columns).fillna(0).astype("int64")
    frame.index.name = "commune_code"
    return frame, unassigned


def data_as_of(conn: Connection | Engine) -> dict:
    """Return when the data last changed and whether any loaded batch is synthetic."""
    sql = text("SELECT max(finished_at) AS as_of, bool_or(synthetic) AS synthetic "
               "FROM import_batch WHERE status = 'done' AND kind <> 'boundaries'")
    with connection(conn) as c:
        row = c.execute(sql).mappings().one()
    return {"as_of": row["as_of"], "synthetic": bool(row["synthetic"])}


def communes_with_counts(conn: Connection | Engine, vintage_id: str, *, period: Period,
                         display: bool = True):
    """Return the communes of a vintage with their district and their counts for a period.

    Returns
    -------
    (GeoDataFrame, dict)
        Columns ``commune_code, name, unit_type, district_code, district_name, incidents,
        inspections, geometry`` (EPSG:4326; the display geometry unless ``display=False``),
        and the unassigned counts per family.
    """
    with connection(conn) as c:
        communes = read_units(c, vintage_id, display=display)
        districts = read_units(c, vintage_id, level="district").set_index("district_code")["name"]
        counts, unassigned = count_by_unit(c, vintage_id, period=period)
    frame = communes
    in_district = frame["parent_code"].isin(districts.index)
    frame["district_code"] = frame["parent_code"].where(in_district).astype("string")
    frame["district_name"] = frame["district_code"].map(districts).astype("string")
    for family in SOURCES:
        frame[family] = frame["commune_code"].map(counts[family]).fillna(0).astype("int64")
    columns = ["commune_code", "name", "unit_type", "district_code", "district_name",
               *SOURCES, "geometry"]
    return frame[columns], unassigned


#: Tip-offs received in the period, with their (approximate) point and commune reference.
TIP_SOURCE = """SELECT r.geom, r.unit_id FROM tip r
                WHERE r.received_date >= :start AND r.received_date < :end"""


def count_tips(conn: Connection | Engine, vintage_id: str, *, period: Period) -> tuple[pd.Series, int]:
    """Count the tip-offs received within ``period`` per commune of ``vintage_id``.

    Placed with the store's one rule (:func:`locate_sql`): the point, else the commune
    reference of the vintage, else its whole successor.

    Returns
    -------
    (Series, int)
        Counts indexed by ``commune_code`` (only communes with tips, int64) and the number of
        tips no commune took.
    """
    params = {"vintage": vintage_id, "start": period.start, "end": period.end}
    with connection(conn) as c:
        counts = {code: n for code, n in c.execute(text(locate_sql(TIP_SOURCE)), params).all()}
    unassigned = int(counts.pop(None, 0))
    series = pd.Series(counts, dtype="int64", name="tips")
    series.index.name = "commune_code"
    return series, unassigned
