"""Boundary vintages and administrative units in the store."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, timedelta

import geopandas as gpd
from geoalchemy2.shape import from_shape
from sqlalchemy import Connection, Engine, delete, func, insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from geo.errors import UnknownVintageError, VintageInUseError
from geo.settings import STORAGE_CRS, STORAGE_SRID
from geo.store.engine import connection
from geo.store.models import AdminUnit, ImportBatch, Vintage
from geo.store.province import resolve_province_code
from geo.vintages import vintage_on

SEPARATOR = ":"


def vintage_key(province_code: str, config_id: str) -> str:
    """The database id of a configured vintage, ``<province code>:<config id>`` (a key stays as it is).

    Vintages belong to a province: two provinces may both configure a vintage "2010-02-06".

    Examples
    --------
    >>> vintage_key("75", "2010-02-06"), vintage_key("75", "75:2010-02-06")
    ('75:2010-02-06', '75:2010-02-06')
    """
    return config_id if SEPARATOR in config_id else f"{province_code}{SEPARATOR}{config_id}"


def vintage_province(key: str) -> str | None:
    """The province code of a database vintage id (None for a bare config id).

    Examples
    --------
    >>> vintage_province("75:2010-02-06"), vintage_province("2010-02-06")
    ('75', None)
    """
    return key.split(SEPARATOR, 1)[0] if SEPARATOR in key else None


def config_vintage_id(key: str) -> str:
    """The id a vintage has in its ``province.toml`` (the database id without its province code).

    Examples
    --------
    >>> config_vintage_id("75:2010-02-06"), config_vintage_id("2010-02-06")
    ('2010-02-06', '2010-02-06')
    """
    return key.split(SEPARATOR, 1)[-1]


def write_vintage(session: Session, vintage: dict, units: gpd.GeoDataFrame,
                  batch: ImportBatch) -> int:
    """Insert a vintage and its units (all levels) in the session's transaction.

    Parameters
    ----------
    vintage : dict
        ``id``, ``province_code``, ``label``, ``valid_from``, ``valid_to``, ``legal_basis``.
    units : GeoDataFrame
        Columns ``code, name, unit_type, level, parent_code, area_km2, geom_display`` and
        the geometry, in EPSG:4326; optionally ``former_province_code`` and ``history_note``.

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
            "former_province_code": getattr(r, "former_province_code", None),
            "history_note": getattr(r, "history_note", None),
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
    """Delete a vintage and its units.

    Raises
    ------
    VintageInUseError
        While records refer to its units (the session stays usable: nothing was deleted).
    """
    try:
        with session.begin_nested():
            session.execute(delete(Vintage).where(Vintage.id == vintage_id))
    except IntegrityError as exc:
        detail = getattr(getattr(exc.orig, "diag", None), "message_detail", None) or str(exc.orig)
        raise VintageInUseError(
            f"vintage {vintage_id} cannot be replaced: records refer to its units ({detail}). Load "
            "the boundaries into a new database and ingest the files again there") from exc


@dataclass(frozen=True)
class LoadedVintage:
    """A boundary vintage in the store, as :func:`list_vintages` reads it.

    ``id`` is the database id (``75:2010-02-06``), ``config_id`` the id in the province's
    configuration, ``source`` what its import batch was loaded from (``VintageSpec.source``),
    ``units`` the number of units per level (``{"commune": 282, "district": 22, …}``).
    """

    id: str
    label: str
    valid_from: date
    valid_to: date | None
    province_code: str
    legal_basis: str | None
    import_batch_id: int
    source: str
    config_id: str
    units: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The fields as a JSON-ready dict, dates as ISO strings (``/api/vintages``, ``boundaries list``)."""
        return {**asdict(self), "valid_from": self.valid_from.isoformat(),
                "valid_to": self.valid_to.isoformat() if self.valid_to else None}


def list_vintages(conn: Connection | Engine, province: str | None = None) -> list[LoadedVintage]:
    """Return the loaded vintages (of ``province``, a code, or all), oldest first."""
    query = (
        select(Vintage.id, Vintage.label, Vintage.valid_from, Vintage.valid_to,
               Vintage.province_code, Vintage.legal_basis, Vintage.import_batch_id,
               ImportBatch.source, AdminUnit.level, func.count(AdminUnit.id).label("n"))
        .join(AdminUnit, AdminUnit.vintage_id == Vintage.id)
        .join(ImportBatch, ImportBatch.id == Vintage.import_batch_id)
        .group_by(Vintage.id, ImportBatch.source, AdminUnit.level)
        .order_by(Vintage.valid_from, Vintage.province_code)
    )
    if province is not None:
        query = query.where(Vintage.province_code == province)
    out: dict[str, LoadedVintage] = {}
    with connection(conn) as c:
        for row in c.execute(query).mappings():
            item = out.setdefault(row["id"], LoadedVintage(
                **{k: row[k] for k in ("id", "label", "valid_from", "valid_to", "province_code",
                                       "legal_basis", "import_batch_id", "source")},
                config_id=config_vintage_id(row["id"])))
            item.units[row["level"]] = row["n"]
    return list(out.values())


def pick_vintage(vintages: list[LoadedVintage], day: date) -> str:
    """Return the id of the vintage of ``vintages`` (oldest first) valid on ``day``.

    When none covers the day (a province whose configuration leaves a gap between vintages),
    the latest vintage that began before it is returned, and for a day before every vintage
    the oldest; callers state the vintage they used.

    Parameters
    ----------
    vintages : list of LoadedVintage
        Oldest first, as :func:`list_vintages` returns them.
    day : datetime.date

    Raises
    ------
    UnknownVintageError
        When ``vintages`` is empty.

    Examples
    --------
    >>> def loaded(id, start, end):
    ...     return LoadedVintage(id, id, start, end, "75", None, 1, "x.gpkg:communes", id)
    >>> rows = [loaded("2010", date(2010, 2, 6), date(2019, 4, 9)), loaded("2025", date(2025, 7, 1), None)]
    >>> [pick_vintage(rows, date(*d)) for d in ((2019, 4, 9), (2020, 1, 1), (2026, 1, 1), (2001, 1, 1))]
    ['2010', '2010', '2025', '2010']
    """
    return vintage_on(vintages, day).id


def choose_vintage(conn: Connection | Engine, period=None, vintage: str | None = None, *,
                   province: str | None = None, vintages: list[LoadedVintage] | None = None
                   ) -> LoadedVintage:
    """Return the vintage asked for, else the one valid on ``period``'s last day, else the newest.

    The one answer to "which vintage": a period is drawn and classified on the vintage valid on
    its last day, not its first (a 2025 report or a 15th-to-14th window starting in June 2025
    describes the units in force at its close: from 2025-07-01, the 95 new units); the rule
    itself is :func:`pick_vintage`.

    Vintages belong to a province: ``province`` (a code; the only loaded one by default, see
    :func:`geo.store.province.resolve_province_code`) scopes the choice, and ``vintage`` may be
    its configured id ("2010-02-06") or its database id ("75:2010-02-06").
    ``vintages`` (:func:`list_vintages` of one province) saves reading them again when
    the caller has them.

    Raises
    ------
    UnknownVintageError
        When the vintage asked for (or none at all) is loaded; the message lists the loaded ones.
    UnknownProvinceError
        When ``province`` is not loaded.
    ProvinceNotNamedError
        When none is named and several provinces are loaded.
    """
    if vintages is None:
        if province is None and vintage:  # a database id names its province
            province = vintage_province(vintage)
        vintages = list_vintages(conn, resolve_province_code(conn, province))
    if not vintages:
        raise UnknownVintageError("no boundary vintage is loaded; run `diaban boundaries load`")
    by_id = {v.id: v for v in vintages} | {v.config_id: v for v in vintages}
    wanted = vintage or (pick_vintage(vintages, period.end - timedelta(days=1)) if period is not None
                         else vintages[-1].id)
    if wanted not in by_id:
        known = ", ".join(v.config_id for v in vintages)
        raise UnknownVintageError(f"vintage {wanted!r} is not loaded; use one of: {known}")
    return by_id[wanted]


#: The code column of each level's frames (ARCHITECTURE.md, Names).
CODE_COLUMNS = {"commune": "commune_code", "district": "district_code", "province": "province_code"}


def read_units(conn: Connection | Engine, vintage_id: str, *, level: str = "commune",
               display: bool = False) -> gpd.GeoDataFrame:
    """Read the units of one vintage and level as a GeoDataFrame in EPSG:4326.

    Columns: ``unit_id, <level>_code, name, unit_type, level, parent_code, area_km2,
    former_province_code, history_note, geometry``:
    the code column is named after the level asked for (:data:`CODE_COLUMNS`), so a frame of
    districts never carries a commune's column name. ``display=True`` returns the simplified
    display geometry instead of the exact one.
    """
    column = "geom_display" if display else "geom"
    sql = text(
        f"SELECT id AS unit_id, code AS {CODE_COLUMNS[level]}, name, unit_type, level, parent_code, "
        f"area_km2, former_province_code, history_note, {column} AS geometry FROM admin_unit "
        "WHERE vintage_id = :vintage AND level = :level ORDER BY code"
    )
    with connection(conn) as c:
        frame = gpd.read_postgis(sql, c, geom_col="geometry", crs=STORAGE_CRS,
                                 params={"vintage": vintage_id, "level": level})
    if frame.empty and level == "commune":
        known = ", ".join(v.id for v in list_vintages(conn)) or "none loaded"
        raise UnknownVintageError(f"vintage {vintage_id!r} is not loaded; known: {known}")
    return frame


_OVERLAPS = text("""
    SELECT v.id AS vintage, v.province_code, v.valid_from, v.valid_to,
           ST_Area(ST_Intersection(u.geom, g.geom)::geography) / 1e6 AS overlap_km2,
           LEAST(ST_Area(u.geom::geography), ST_Area(g.geom::geography)) / 1e6 AS smaller_km2
    FROM admin_unit u JOIN vintage v ON v.id = u.vintage_id,
         (SELECT ST_GeomFromText(:wkt, 4326) AS geom) g
    WHERE u.level = 'province' AND v.province_code <> :code
      AND v.valid_from <= COALESCE(CAST(:valid_to AS date), 'infinity'::date)
      AND COALESCE(v.valid_to, 'infinity'::date) >= :valid_from
      AND ST_Intersects(u.geom, g.geom)
""")


def overlapping_vintages(conn: Connection | Engine, province_code: str, outline, valid_from: date,
                         valid_to: date | None, *, share: float = 0.01) -> list[dict]:
    """The vintages of other provinces, valid on some day of the range, whose territory overlaps ``outline``.

    Two provinces' boundaries drawn by different publishers touch along slivers; an overlap
    counts when it exceeds ``share`` of the smaller of the two areas.

    Parameters
    ----------
    outline : shapely geometry
        The province's territory, EPSG:4326.

    Returns
    -------
    list of dict
        ``vintage, province_code, valid_from, valid_to, overlap_km2``.
    """
    params = {"wkt": outline.wkt, "code": province_code, "valid_from": valid_from,
              "valid_to": valid_to}
    with connection(conn) as c:
        rows = c.execute(_OVERLAPS, params).mappings().all()
    return [{k: row[k] for k in ("vintage", "province_code", "valid_from", "valid_to", "overlap_km2")}
            for row in rows if row["overlap_km2"] > share * row["smaller_km2"]]
