"""Records (establishments, sites, incidents, inspections, …): bulk writes, and reads as frames.

Reads return GeoDataFrames in EPSG:4326 whose geometry is None for records placed only by
a commune reference (``ref_commune_code`` and ``ref_vintage`` then say which unit).
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geoalchemy2 import Geometry
from psycopg.sql import SQL, Identifier
from psycopg.types.json import Jsonb
from sqlalchemy import BigInteger, Connection, Engine, Integer, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Session

from geo.settings import STORAGE_CRS, STORAGE_SRID
from geo.store.engine import connection
from geo.store.models import AdminUnit, Base


def insert_frame(session: Session, model: type[Base], frame: pd.DataFrame, *,
                 batch_id: int) -> list[int]:
    """Insert every row of ``frame`` into ``model``'s table and return the new ids in order.

    Columns must be the model's column names; a ``geom`` column holds shapely geometries
    (or ``None``) in EPSG:4326. Missing values become NULL; a model column the frame lacks gets
    its default. The rows are sent with one ``COPY`` in the session's transaction (flushed first),
    under ids drawn from the table's sequence beforehand, so nothing is visible before the session
    commits and a rollback removes them all.
    """
    if frame.empty:
        return []
    table = model.__table__
    unknown = [c for c in frame.columns if c not in table.c]
    if unknown:
        raise KeyError(f"{table.name} has no column {', '.join(map(repr, unknown))}")
    data = frame.drop(columns=["id"], errors="ignore").assign(import_batch_id=batch_id)
    for column in table.c:
        if column.name not in data and column.default is not None and column.server_default is None:
            data[column.name] = pd.Series(_defaults(column, len(data)), index=data.index, dtype=object)
    session.flush()
    ids = _new_ids(session, table.name, len(data))
    _copy(session, table.name, {"id": ids} | {c: _values(data[c], table.c[c]) for c in data.columns})
    return ids


def _new_ids(session: Session, table: str, n: int) -> list[int]:
    """``n`` new ids from ``table``'s id sequence, ascending (safe beside concurrent writers)."""
    drawn = session.execute(text("SELECT array_agg(nextval(pg_get_serial_sequence(:t, 'id'))) "
                                 "FROM generate_series(1, :n)"), {"t": table, "n": n}).scalar_one()
    return sorted(drawn)


def _values(series: pd.Series, column) -> list:
    """A column's values as the driver writes them: None for missing, EWKB hex for geometries."""
    if isinstance(column.type, Geometry):
        return _ewkb(series)
    missing = series.isna().to_numpy()  # a list cell is not missing
    if isinstance(column.type, JSONB):
        return [None if m else Jsonb(v) for v, m in zip(series.tolist(), missing, strict=True)]
    if isinstance(column.type, Integer | BigInteger) and series.dtype.kind == "f":
        values = series.fillna(0).to_numpy(dtype="int64").astype(object)  # Python ints
    else:
        values = series.to_numpy(dtype=object, copy=True)
    values[missing] = None
    return values.tolist()


_EWKB_POINT = np.dtype([("order", "u1"), ("type", "<u4"), ("srid", "<u4"), ("x", "<f8"), ("y", "<f8")])
"""A 2-D point as PostGIS extended WKB: little-endian, the type with its SRID flag, the SRID, x, y."""


def _ewkb(series: pd.Series) -> list[str | None]:
    """Points as hex EWKB with the storage SRID (None, NaN or empty: NULL), packed by numpy.

    Every geometry column of the records is a point column; any other geometry is refused.
    """
    geoms = np.fromiter(series, dtype=object, count=len(series))
    present = shapely.is_geometry(geoms)
    present[present] = ~shapely.is_empty(geoms[present])
    if (shapely.get_type_id(geoms[present]) != 0).any():
        raise ValueError(f"column {series.name!r}: only points can be inserted, got "
                         f"{sorted(set(shapely.get_type_id(geoms[present]).tolist()) - {0})} type ids")
    xy = shapely.get_coordinates(geoms[present])
    packed = np.empty(len(xy), dtype=_EWKB_POINT)
    packed["order"], packed["type"], packed["srid"] = 1, 0x20000001, STORAGE_SRID
    packed["x"], packed["y"] = xy[:, 0], xy[:, 1]
    hexed, size = packed.tobytes().hex(), 2 * _EWKB_POINT.itemsize
    out = np.full(len(geoms), None, dtype=object)
    out[present] = [hexed[i:i + size] for i in range(0, len(hexed), size)]
    return out.tolist()


def _defaults(column, n: int) -> list:
    """The model-side default of ``column`` for ``n`` rows (a callable one is called per row)."""
    default = column.default
    if default.is_scalar:
        return [default.arg] * n
    return [default.arg(None) for _ in range(n)]


def _copy(session: Session, table: str, columns: dict[str, list]) -> None:
    """``COPY`` the rows of ``columns`` (name: values) into ``table`` on the session's connection."""
    driver = session.connection().connection.driver_connection
    names = SQL(", ").join(map(Identifier, columns))
    statement = SQL("COPY {} ({}) FROM STDIN").format(Identifier(table), names)
    with driver.cursor() as cursor, cursor.copy(statement) as copy:
        for row in zip(*columns.values(), strict=True):
            copy.write_row(row)


def unit_ids(session: Session, vintage_id: str, codes) -> dict[str, int]:
    """Map unit codes of one vintage to their row ids."""
    query = select(AdminUnit.code, AdminUnit.id).where(
        AdminUnit.vintage_id == vintage_id, AdminUnit.code.in_(list(set(codes))))
    return dict(session.execute(query).all())


def _read(conn, sql: str, params: dict) -> gpd.GeoDataFrame:
    """Run a query whose ``geometry`` column may be NULL and return a GeoDataFrame (EPSG:4326)."""
    with connection(conn) as c:
        return gpd.read_postgis(text(sql), c, geom_col="geometry", crs=STORAGE_CRS, params=params)


def _window(column: str, start: date | None, end: date | None) -> tuple[str, dict]:
    """A WHERE clause for ``start <= column < end`` (either bound optional)."""
    clause = f"(CAST(:start AS date) IS NULL OR {column} >= :start) " \
             f"AND (CAST(:end AS date) IS NULL OR {column} < :end)"
    return clause, {"start": start, "end": end}


def read_incidents(conn: Connection | Engine, *, start: date | None = None,
                   end: date | None = None) -> gpd.GeoDataFrame:
    """Incidents dated in ``[start, end)``, with their point (or None) and unit reference.

    Columns: ``incident_id, event_date, incident_kind, kind_label, case_type, outcome,
    establishment_id, site_id, persons_total, ref_commune_code, ref_vintage, geometry``.
    """
    where, params = _window("i.event_date", start, end)
    return _read(conn, f"""
        SELECT i.id AS incident_id, i.event_date, i.incident_kind, i.kind_label, i.case_type,
               i.outcome, i.establishment_id, i.site_id, i.persons_total,
               u.code AS ref_commune_code, u.vintage_id AS ref_vintage, i.geom AS geometry
        FROM incident i LEFT JOIN admin_unit u ON u.id = i.unit_id
        WHERE {where} ORDER BY i.event_date, i.id""", params)


def read_inspections(conn: Connection | Engine, *, start: date | None = None,
                     end: date | None = None) -> gpd.GeoDataFrame:
    """Inspections dated in ``[start, end)`` placed at their establishment's point.

    Columns: ``inspection_id, inspection_date, establishment_id, establishment_type,
    team_level, outcome, violation_codes, fine_vnd, ref_commune_code, ref_vintage, geometry``.
    """
    where, params = _window("r.inspection_date", start, end)
    return _read(conn, f"""
        SELECT r.id AS inspection_id, r.inspection_date, r.establishment_id,
               e.establishment_type, r.team_level, r.outcome, r.violation_codes, r.fine_vnd,
               u.code AS ref_commune_code, u.vintage_id AS ref_vintage, e.geom AS geometry
        FROM inspection r JOIN establishment e ON e.id = r.establishment_id
        LEFT JOIN admin_unit u ON u.id = e.unit_id
        WHERE {where} ORDER BY r.inspection_date, r.id""", params)


def read_tips(conn: Connection | Engine, *, start: date | None = None,
              end: date | None = None) -> gpd.GeoDataFrame:
    """Tip-offs received in ``[start, end)``, with their point (or None) and unit reference.

    Columns: ``tip_id, received_date, category, channel, establishment_id, site_id, verified_date,
    result, handled_date, ref_commune_code, ref_vintage, geometry``.
    """
    where, params = _window("t.received_date", start, end)
    return _read(conn, f"""
        SELECT t.id AS tip_id, t.received_date, t.category, t.channel, t.establishment_id, t.site_id,
               t.verified_date, t.result, t.handled_date,
               u.code AS ref_commune_code, u.vintage_id AS ref_vintage, t.geom AS geometry
        FROM tip t LEFT JOIN admin_unit u ON u.id = t.unit_id
        WHERE {where} ORDER BY t.received_date, t.id""", params)


def read_activities(conn: Connection | Engine, *, start: date | None = None,
                    end: date | None = None) -> gpd.GeoDataFrame:
    """Awareness activities held in ``[start, end)``, with their point (or None) and unit reference.

    Columns: ``activity_id, activity_date, form, participants_count, ref_commune_code, ref_vintage,
    geometry``.
    """
    where, params = _window("a.activity_date", start, end)
    return _read(conn, f"""
        SELECT a.id AS activity_id, a.activity_date, a.form, a.participants_count,
               u.code AS ref_commune_code, u.vintage_id AS ref_vintage, a.geom AS geometry
        FROM activity a LEFT JOIN admin_unit u ON u.id = a.unit_id
        WHERE {where} ORDER BY a.activity_date, a.id""", params)


def read_establishments(conn: Connection | Engine) -> gpd.GeoDataFrame:
    """Every establishment with its point or unit reference.

    Columns: ``establishment_id, establishment_type, name, commitment_signed, status,
    ref_commune_code, ref_vintage, geometry``. Names are business data for analyst and above only.
    """
    return _read(conn, """
        SELECT e.id AS establishment_id, e.establishment_type, e.name, e.commitment_signed,
               e.status, u.code AS ref_commune_code, u.vintage_id AS ref_vintage, e.geom AS geometry
        FROM establishment e LEFT JOIN admin_unit u ON u.id = e.unit_id ORDER BY e.id""", {})


def read_sites(conn: Connection | Engine) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Every site and its dated events.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        Sites: ``site_id, site_kind, descriptor, establishment_id, ref_commune_code,
        ref_vintage, geometry``. Events: ``event_id, site_id, event_date, event_type``,
        ordered by site and date.
    """
    sites = _read(conn, """
        SELECT s.id AS site_id, s.site_kind, s.descriptor, s.establishment_id,
               u.code AS ref_commune_code, u.vintage_id AS ref_vintage, s.geom AS geometry
        FROM site s LEFT JOIN admin_unit u ON u.id = s.unit_id ORDER BY s.id""", {})
    with connection(conn) as c:
        events = pd.read_sql(text("SELECT id AS event_id, site_id, event_date, event_type "
                                  "FROM site_event ORDER BY site_id, event_date, id"), c)
    return sites, events
