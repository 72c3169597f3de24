"""The national roll-up: each loaded province's newest classification, per province and per commune.

Only statuses of communes are read (no record, no point), so the answers are safe for viewers.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from sqlalchemy import Connection, Engine, text

from geo.settings import STORAGE_CRS
from geo.store.engine import connection

_NEWEST = """
    SELECT DISTINCT ON (v.province_code) v.province_code, s.id AS snapshot_id, s.period, s.convention,
           s.vintage_id, s.ruleset_id, s.created_at
    FROM classification_snapshot s JOIN vintage v ON v.id = s.vintage_id
    ORDER BY v.province_code, s.created_at DESC, s.id DESC
"""


def province_statuses(conn: Connection | Engine) -> pd.DataFrame:
    """Per loaded province: its newest snapshot and the number of communes of each status.

    Returns
    -------
    DataFrame
        ``province_code, label, label_en, snapshot_id, period, convention, vintage_id, ruleset_id,
        created_at, communes`` and one column per status found (0 where none); a province
        without a snapshot has nulls there.
    """
    sql = text(f"""
        WITH newest AS ({_NEWEST})
        SELECT p.code AS province_code, p.label, p.label_en, n.snapshot_id, n.period, n.convention,
               n.vintage_id, n.ruleset_id, n.created_at, r.status, count(r.id) AS n
        FROM province p
        JOIN (SELECT DISTINCT province_code FROM vintage) loaded ON loaded.province_code = p.code
        LEFT JOIN newest n ON n.province_code = p.code
        LEFT JOIN classification_result r ON r.snapshot_id = n.snapshot_id
        GROUP BY p.code, p.label, p.label_en, n.snapshot_id, n.period, n.convention, n.vintage_id,
                 n.ruleset_id, n.created_at, r.status
        ORDER BY p.code""")
    with connection(conn) as c:
        rows = pd.read_sql(sql, c)
    keys = [col for col in rows.columns if col not in ("status", "n")]
    wide = rows.pivot_table(index="province_code", columns="status", values="n", aggfunc="sum",
                            fill_value=0) if rows["status"].notna().any() else pd.DataFrame()
    out = rows[keys].drop_duplicates("province_code").set_index("province_code")
    out = out.join(wide.astype("int64")) if not wide.empty else out
    out["communes"] = wide.sum(axis=1).reindex(out.index).fillna(0).astype("int64") if not wide.empty else 0
    return out.reset_index()


def national_communes(conn: Connection | Engine) -> gpd.GeoDataFrame:
    """The communes of every province's newest snapshot with their status, display geometry, EPSG:4326.

    Columns ``province_code, vintage_id, period, commune_code, name, status, geometry``.
    """
    sql = text(f"""
        WITH newest AS ({_NEWEST})
        SELECT n.province_code, n.vintage_id, n.period, u.code AS commune_code, u.name, r.status,
               u.geom_display AS geometry
        FROM newest n
        JOIN classification_result r ON r.snapshot_id = n.snapshot_id
        JOIN admin_unit u ON u.vintage_id = n.vintage_id AND u.code = r.commune_code AND u.level = 'commune'
        ORDER BY n.province_code, u.code""")
    with connection(conn) as c:
        return gpd.read_postgis(sql, c, geom_col="geometry", crs=STORAGE_CRS)
