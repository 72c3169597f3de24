"""Records (establishments, sites, incidents, inspections, …): bulk writes, and reads as frames.

Reads return GeoDataFrames in EPSG:4326 whose geometry is None for records placed only by
a commune reference (``ref_unit_code`` and ``ref_vintage`` then say which unit).
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from geoalchemy2.elements import WKBElement
from sqlalchemy import Connection, Engine, insert, select, text
from sqlalchemy.orm import Session

from geo.settings import STORAGE_CRS, STORAGE_SRID
from geo.store.engine import connection
from geo.store.models import AdminUnit, Base


def insert_frame(session: Session, model: type[Base], frame: pd.DataFrame, *,
                 batch_id: int) -> list[int]:
    """Insert every row of ``frame`` into ``model``'s table and return the new ids in order.

    Columns must be the model's column names; a ``geom`` column holds shapely geometries
    (or ``None``) in EPSG:4326. Missing values become NULL.
    """
    if frame.empty:
        return []
    data = frame.copy()
    if "geom" in data:
        data["geom"] = [_wkb(g) for g in data["geom"]]
    data["import_batch_id"] = batch_id
    rows = [
        {k: (None if _missing(v) else _plain(v)) for k, v in row.items()}
        for row in data.to_dict(orient="records")
    ]
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def unit_ids(session: Session, vintage_id: str, codes) -> dict[str, int]:
    """Map unit codes of one vintage to their row ids."""
    query = select(AdminUnit.code, AdminUnit.id).where(
        AdminUnit.vintage_id == vintage_id, AdminUnit.code.in_(list(set(codes))))
    return dict(session.execute(query).all())


def _wkb(geom) -> WKBElement | None:
    """Return a shapely geometry as a WKB element in the storage SRID."""
    if geom is None or (isinstance(geom, float) and np.isnan(geom)) or geom.is_empty:
        return None
    return WKBElement(shapely.to_wkb(geom), srid=STORAGE_SRID)


def _missing(value) -> bool:
    """True for None, NaN and pandas' NA (but not for lists and geometries)."""
    return value is None or (np.isscalar(value) and pd.isna(value))


def _plain(value):
    """Turn numpy scalars into Python ones for the driver."""
    return value.item() if isinstance(value, np.generic) else value


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
    establishment_id, site_id, persons_total, ref_unit_code, ref_vintage, geometry``.
    """
    where, params = _window("i.event_date", start, end)
    return _read(conn, f"""
        SELECT i.id AS incident_id, i.event_date, i.incident_kind, i.kind_label, i.case_type,
               i.outcome, i.establishment_id, i.site_id, i.persons_total,
               u.code AS ref_unit_code, u.vintage_id AS ref_vintage, i.geom AS geometry
        FROM incident i LEFT JOIN admin_unit u ON u.id = i.unit_id
        WHERE {where} ORDER BY i.event_date, i.id""", params)


def read_inspections(conn: Connection | Engine, *, start: date | None = None,
                     end: date | None = None) -> gpd.GeoDataFrame:
    """Inspections dated in ``[start, end)`` placed at their establishment's point.

    Columns: ``inspection_id, inspection_date, establishment_id, establishment_type,
    team_level, outcome, violation_codes, fine_vnd, ref_unit_code, ref_vintage, geometry``.
    """
    where, params = _window("r.inspection_date", start, end)
    return _read(conn, f"""
        SELECT r.id AS inspection_id, r.inspection_date, r.establishment_id,
               e.establishment_type, r.team_level, r.outcome, r.violation_codes, r.fine_vnd,
               u.code AS ref_unit_code, u.vintage_id AS ref_vintage, e.geom AS geometry
        FROM inspection r JOIN establishment e ON e.id = r.establishment_id
        LEFT JOIN admin_unit u ON u.id = e.unit_id
        WHERE {where} ORDER BY r.inspection_date, r.id""", params)


def read_establishments(conn: Connection | Engine) -> gpd.GeoDataFrame:
    """Every establishment with its point or unit reference.

    Columns: ``establishment_id, establishment_type, name, commitment_signed, status,
    ref_unit_code, ref_vintage, geometry``. Names are business data for analyst and above only.
    """
    return _read(conn, """
        SELECT e.id AS establishment_id, e.establishment_type, e.name, e.commitment_signed,
               e.status, u.code AS ref_unit_code, u.vintage_id AS ref_vintage, e.geom AS geometry
        FROM establishment e LEFT JOIN admin_unit u ON u.id = e.unit_id ORDER BY e.id""", {})


def read_sites(conn: Connection | Engine) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Every site and its dated events.

    Returns
    -------
    (GeoDataFrame, DataFrame)
        Sites: ``site_id, site_kind, descriptor, establishment_id, ref_unit_code,
        ref_vintage, geometry``. Events: ``event_id, site_id, event_date, event_type``,
        ordered by site and date.
    """
    sites = _read(conn, """
        SELECT s.id AS site_id, s.site_kind, s.descriptor, s.establishment_id,
               u.code AS ref_unit_code, u.vintage_id AS ref_vintage, s.geom AS geometry
        FROM site s LEFT JOIN admin_unit u ON u.id = s.unit_id ORDER BY s.id""", {})
    with connection(conn) as c:
        events = pd.read_sql(text("SELECT id AS event_id, site_id, event_date, event_type "
                                  "FROM site_event ORDER BY site_id, event_date, id"), c)
    return sites, events
