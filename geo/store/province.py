"""The loaded province's configuration in the store (table ``province``).

``diaban boundaries load`` records it; the web app and the ingest read it back, so everything
province-specific (name, VN-2000 zones, export CRSs, plan) follows the boundaries in the
database, never a default in the code.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

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


def read_province(conn: Connection | Engine) -> dict | None:
    """The recorded province whose vintages are loaded (the newest recorded if several), or None.

    Returns
    -------
    dict or None
        ``code, label, label_en, source, settings, loaded_at``; None when no vintage is loaded
        or its province was loaded before the table existed.
    """
    query = (select(*ProvinceConfig.__table__.c)
             .where(ProvinceConfig.code.in_(select(Vintage.province_code)))
             .order_by(ProvinceConfig.loaded_at.desc()).limit(1))
    with connection(conn) as c:
        row = c.execute(query).mappings().first()
    return dict(row) if row else None
