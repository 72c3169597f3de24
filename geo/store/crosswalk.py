"""The unit crosswalk in the store: write it once per pair of vintages, read it as a frame."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Engine, insert, text
from sqlalchemy.orm import Session

from geo.store.engine import connection
from geo.store.models import ImportBatch, UnitCrosswalk
from geo.store.records import unit_ids

COLUMNS = ["from_vintage", "from_code", "to_vintage", "to_code", "kind", "share", "method"]


def write_crosswalk(session: Session, table: pd.DataFrame, batch: ImportBatch) -> int:
    """Insert a crosswalk table (``COLUMNS``) and return the number of rows written."""
    if table.empty:
        return 0
    from_ids = unit_ids(session, table["from_vintage"].iloc[0], table["from_code"])
    to_ids = unit_ids(session, table["to_vintage"].iloc[0], table["to_code"])
    rows = [{"from_unit_id": from_ids[r.from_code], "to_unit_id": to_ids[r.to_code],
             "kind": r.kind, "share": float(r.share), "method": r.method,
             "import_batch_id": batch.id} for r in table.itertuples()]
    session.execute(insert(UnitCrosswalk), rows)
    return len(rows)


def read_crosswalk(conn: Connection | Engine) -> pd.DataFrame:
    """Every crosswalk row as ``COLUMNS``."""
    sql = text("""
        SELECT f.vintage_id AS from_vintage, f.code AS from_code, t.vintage_id AS to_vintage,
               t.code AS to_code, x.kind, x.share, x.method
        FROM unit_crosswalk x JOIN admin_unit f ON f.id = x.from_unit_id
        JOIN admin_unit t ON t.id = x.to_unit_id ORDER BY 1, 2, 4""")
    with connection(conn) as c:
        return pd.read_sql(sql, c)


def has_crosswalk(conn: Connection | Engine, from_vintage: str, to_vintage: str) -> bool:
    """True when the crosswalk between the two vintages is loaded."""
    sql = text("""
        SELECT EXISTS (SELECT 1 FROM unit_crosswalk x JOIN admin_unit f ON f.id = x.from_unit_id
                       JOIN admin_unit t ON t.id = x.to_unit_id
                       WHERE f.vintage_id = :a AND t.vintage_id = :b)""")
    with connection(conn) as c:
        return bool(c.execute(sql, {"a": from_vintage, "b": to_vintage}).scalar_one())
