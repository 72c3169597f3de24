"""The loaded province's configuration in the store (table ``province``).

``diaban boundaries load`` records it; the web app and the ingest read it back, so everything
province-specific (name, VN-2000 zones, export CRSs, plan) follows the boundaries in the
database, never a default in the code.
"""

from __future__ import annotations

import shapely
from sqlalchemy import Connection, Engine, func, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from geo.errors import ProvinceNotNamedError, UnknownProvinceError, UnknownVintageError
from geo.store.engine import connection
from geo.store.models import ProvinceConfig, Vintage

COLUMNS = ("code", "label", "label_en", "source", "settings")


def write_province(session: Session, record: dict) -> None:
    """Insert or replace the province row ``record`` (keys :data:`COLUMNS`) in the session's transaction."""
    row = {key: record[key] for key in COLUMNS}
    statement = insert(ProvinceConfig).values(**row)
    replaced = {key: statement.excluded[key] for key in COLUMNS if key != "code"}
    session.execute(statement.on_conflict_do_update(index_elements=[ProvinceConfig.code],
                                                    set_={**replaced, "loaded_at": func.now()}))


def loaded_province_codes(conn: Connection | Engine) -> list[str]:
    """The province codes of the loaded vintages (one in a database loaded by ``boundaries load``)."""
    with connection(conn) as c:
        return list(c.scalars(select(Vintage.province_code).distinct().order_by(Vintage.province_code)))


def province_outline(conn: Connection | Engine, province: str):
    """The union of every outline of ``province`` (all its vintages), EPSG:4326; empty when none."""
    with connection(conn) as c:
        wkb = c.execute(text("SELECT ST_AsBinary(ST_Union(u.geom)) FROM admin_unit u JOIN vintage v "
                             "ON v.id = u.vintage_id WHERE u.level = 'province' AND v.province_code = :p"),
                        {"p": province}).scalar_one()
    return shapely.from_wkb(bytes(wkb)) if wkb is not None else shapely.Polygon()


def resolve_province_code(conn: Connection | Engine, code: str | None = None) -> str:
    """The code of the loaded province asked for, or of the only one loaded when none is asked.

    Raises
    ------
    UnknownProvinceError
        When ``code`` is not loaded (the message lists the loaded ones).
    ProvinceNotNamedError
        When ``code`` is None and several provinces are loaded (the message lists them).
    UnknownVintageError
        When no boundary vintage is loaded at all.
    """
    codes = loaded_province_codes(conn)
    if not codes:
        raise UnknownVintageError("no boundary vintage is loaded; run `diaban boundaries load`")
    if code is None and len(codes) == 1:
        return codes[0]
    if code in codes:
        return code
    names = _labels(conn, codes)
    if code is None:
        raise ProvinceNotNamedError(
            f"several provinces are loaded ({names}); name one: `--province CODE` on the command "
            "line, `?province=CODE` on the web")
    raise UnknownProvinceError(f"province {code!r} is not loaded; loaded: {names}")


def _labels(conn: Connection | Engine, codes: list[str]) -> str:
    """``75 (Đồng Nai), 44 (…)`` for the loaded ``codes``."""
    with connection(conn) as c:
        labels = dict(c.execute(select(ProvinceConfig.code, ProvinceConfig.label)
                                .where(ProvinceConfig.code.in_(codes))).all())
    return ", ".join(f"{code} ({labels[code]})" if code in labels else code for code in codes)


def read_provinces(conn: Connection | Engine) -> list[dict]:
    """Every recorded province whose vintages are loaded, by code (rows as :func:`read_province`)."""
    query = (select(*ProvinceConfig.__table__.c)
             .where(ProvinceConfig.code.in_(select(Vintage.province_code)))
             .order_by(ProvinceConfig.code))
    with connection(conn) as c:
        return [dict(row) for row in c.execute(query).mappings()]


def read_province(conn: Connection | Engine, code: str | None = None) -> dict | None:
    """The recorded province ``code`` (by default the only loaded one), or None.

    Returns
    -------
    dict or None
        ``code, label, label_en, source, settings, loaded_at``; None when no vintage is loaded
        or its province was loaded before the table existed.

    Raises
    ------
    UnknownProvinceError
        As :func:`resolve_province_code`.
    """
    if not loaded_province_codes(conn):
        return None
    code = resolve_province_code(conn, code)
    query = select(*ProvinceConfig.__table__.c).where(ProvinceConfig.code == code)
    with connection(conn) as c:
        row = c.execute(query).mappings().first()
    return dict(row) if row else None
