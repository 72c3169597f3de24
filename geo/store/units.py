"""Boundary vintages and administrative units in the store."""

from __future__ import annotations

from datetime import date, timedelta

import geopandas as gpd
from geoalchemy2.shape import from_shape
from sqlalchemy import Connection, Engine, delete, func, insert, select, text
from sqlalchemy.orm import Session

from geo.errors import UnknownVintageError
from geo.settings import STORAGE_CRS, STORAGE_SRID
from geo.store.engine import connection
from geo.store.models import AdminUnit, ImportBatch, Vintage


def write_vintage(session: Session, vintage: dict, units: gpd.GeoDataFrame,
                  batch: ImportBatch) -> int:
    """Insert a vintage and its units (all levels) in the session's transaction.

    Parameters
    ----------
    vintage : dict
        ``id``, ``province_code``, ``label``, ``valid_from``, ``valid_to``, ``legal_basis``.
    units : GeoDataFrame
        Columns ``code, name, unit_type, level, parent_code, area_km2, geom_display`` and
        the geometry, in EPSG:4326.

    Returns
    -------
    int
        The number of units written.
    """
    session.add(Vintage(import_batch_id=batch.id, **vintage))
    session.flush()
    rows = [
        {
            "vintage_id": vintage["id"], "code": r.code, "name": r.name, "unit_type": r.unit_type,
            "level": r.level, "parent_code": r.parent_code, "area_km2": float(r.area_km2),
            "valid_from": vintage["valid_from"], "valid_to": vintage["valid_to"],
            "geom": from_shape(r.geometry, srid=STORAGE_SRID),
            "geom_display": from_shape(r.geom_display, srid=STORAGE_SRID),
            "import_batch_id": batch.id,
        }
        for r in units.itertuples()
    ]
    session.execute(insert(AdminUnit), rows)
    return len(rows)


def has_vintage(session: Session, vintage_id: str) -> bool:
    """Whether the vintage ``vintage_id`` is loaded."""
    return session.scalar(select(Vintage.id).where(Vintage.id == vintage_id)) is not None


def delete_vintage(session: Session, vintage_id: str) -> None:
    """Delete a vintage and its units (fails if records still refer to its units)."""
    session.execute(delete(Vintage).where(Vintage.id == vintage_id))


def list_vintages(conn: Connection | Engine) -> list[dict]:
    """Return every loaded vintage with its unit counts per level, oldest first."""
    query = (
        select(Vintage.id, Vintage.label, Vintage.valid_from, Vintage.valid_to,
               Vintage.province_code, Vintage.legal_basis, Vintage.import_batch_id,
               AdminUnit.level, func.count(AdminUnit.id).label("n"))
        .join(AdminUnit, AdminUnit.vintage_id == Vintage.id)
        .group_by(Vintage.id, AdminUnit.level)
        .order_by(Vintage.valid_from)
    )
    out: dict[str, dict] = {}
    with connection(conn) as c:
        for row in c.execute(query).mappings():
            item = out.setdefault(row["id"], {k: row[k] for k in (
                "id", "label", "valid_from", "valid_to", "province_code", "legal_basis",
                "import_batch_id")} | {"units": {}})
            item["units"][row["level"]] = row["n"]
    return list(out.values())


def pick_vintage(vintages: list[dict], day: date) -> str:
    """Return the id of the vintage of ``vintages`` (oldest first) valid on ``day``.

    When none covers the day (e.g. 2019-04-10 → 2025-06-30 in Đồng Nai, whose 170- and 159-unit
    lists have no open geometry), the latest vintage that began before it is returned, and for a day
    before every vintage the oldest; callers state the vintage they used.

    Parameters
    ----------
    vintages : list of dict
        Rows with ``id``, ``valid_from`` and ``valid_to`` (None: still in force), as
        :func:`list_vintages` returns them.
    day : datetime.date

    Raises
    ------
    UnknownVintageError
        When ``vintages`` is empty.

    Examples
    --------
    >>> rows = [{"id": "2010", "valid_from": date(2010, 2, 6), "valid_to": date(2019, 4, 9)},
    ...         {"id": "2025", "valid_from": date(2025, 7, 1), "valid_to": None}]
    >>> [pick_vintage(rows, date(*d)) for d in ((2019, 4, 9), (2020, 1, 1), (2026, 1, 1), (2001, 1, 1))]
    ['2010', '2010', '2025', '2010']
    """
    started = [v for v in vintages if v["valid_from"] <= day]
    covering = [v for v in started if v["valid_to"] is None or day <= v["valid_to"]]
    chosen = (covering or started or vintages[:1])
    if not chosen:
        raise UnknownVintageError("no boundary vintage is loaded; run `diaban boundaries load`")
    return chosen[-1]["id"]


def choose_vintage(conn: Connection | Engine, period=None, vintage: str | None = None, *,
                   vintages: list[dict] | None = None) -> dict:
    """Return the row of the vintage asked for, else the one valid on ``period``'s last day, else the newest.

    The one answer to "which vintage": a period is drawn and classified on the vintage valid on
    its last day, not its first (a 2025 report or a 15th-to-14th window starting in June 2025
    describes the units in force at its close: from 2025-07-01, the 95 new units); the rule
    itself is :func:`pick_vintage`.

    ``vintages`` (rows of :func:`list_vintages`) saves reading them again when the caller has them.

    Raises
    ------
    UnknownVintageError
        When the vintage asked for (or none at all) is loaded; the message lists the loaded ones.
    """
    rows = list_vintages(conn) if vintages is None else vintages
    if not rows:
        raise UnknownVintageError("no boundary vintage is loaded; run `diaban boundaries load`")
    by_id = {v["id"]: v for v in rows}
    wanted = vintage or (pick_vintage(rows, period.end - timedelta(days=1)) if period is not None
                         else rows[-1]["id"])
    if wanted not in by_id:
        raise UnknownVintageError(f"vintage {wanted!r} is not loaded; use one of: {', '.join(by_id)}")
    return by_id[wanted]


def read_units(conn: Connection | Engine, vintage_id: str, *, level: str = "commune",
               display: bool = False) -> gpd.GeoDataFrame:
    """Read the units of one vintage and level as a GeoDataFrame in EPSG:4326.

    Columns: ``unit_id, unit_code, name, unit_type, level, parent_code, area_km2, geometry``;
    ``display=True`` returns the simplified display geometry instead of the exact one.
    """
    column = "geom_display" if display else "geom"
    sql = text(
        f"SELECT id AS unit_id, code AS unit_code, name, unit_type, level, parent_code, "
        f"area_km2, {column} AS geometry FROM admin_unit "
        "WHERE vintage_id = :vintage AND level = :level ORDER BY code"
    )
    with connection(conn) as c:
        frame = gpd.read_postgis(sql, c, geom_col="geometry", crs=STORAGE_CRS,
                                 params={"vintage": vintage_id, "level": level})
    if frame.empty and level == "commune":
        known = ", ".join(v["id"] for v in list_vintages(conn)) or "none loaded"
        raise UnknownVintageError(f"vintage {vintage_id!r} is not loaded; known: {known}")
    return frame
