"""One placement: the commune the ingest stores for a point is the one PostGIS places it in.

The counts (``geo.store.counts.locate_sql``) read a point record's stored commune when it is of the
vintage counted on, and place the point with ``ST_Covers`` only on another vintage. That holds only
if the ingest's placement (``geo.join.assign_units``, on the vintage valid on the record's date)
agrees with PostGIS's for every row: random points, and points exactly on shared commune edges,
where the lowest code wins on both sides.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from etl.pipeline import ingest
from geo.store.counts import locate_sql
from geo.store.units import list_vintages, pick_vintage, read_units

pytestmark = pytest.mark.postgis

FIRST_DAY, SPAN_DAYS = date(2018, 1, 1), 9 * 365
N_RANDOM, N_EDGE = 3_000, 400

_POSTGIS_PLACED = """
SELECT i.id, i.unit_id,
       (SELECT u.id FROM admin_unit u WHERE u.vintage_id = s.vintage_id AND u.level = 'commune'
          AND ST_Covers(u.geom, i.geom) ORDER BY u.code LIMIT 1) AS placed,
       s.vintage_id, i.event_date
FROM incident i JOIN admin_unit s ON s.id = i.unit_id
WHERE i.import_batch_id = :b"""
"""Each loaded record: its stored unit, the unit PostGIS places its point in on the stored unit's
vintage, that vintage and the record's date."""

_SOURCE = "SELECT r.geom, r.unit_id FROM incident r WHERE r.event_date >= :start AND r.event_date < :end"

_ORACLE = """
WITH rec AS (SELECT r.geom, r.unit_id FROM incident r WHERE r.event_date >= :start AND r.event_date < :end)
SELECT COALESCE(pt.code, CASE WHEN ref.vintage_id = :vintage THEN ref.code END, cw.code) AS commune_code,
       count(*) AS n
FROM rec
LEFT JOIN LATERAL (SELECT u.code FROM admin_unit u WHERE rec.geom IS NOT NULL AND u.vintage_id = :vintage
    AND u.level = 'commune' AND ST_Covers(u.geom, rec.geom) ORDER BY u.code LIMIT 1) pt ON TRUE
LEFT JOIN admin_unit ref ON rec.geom IS NULL AND ref.id = rec.unit_id
LEFT JOIN LATERAL (SELECT t.code FROM unit_crosswalk x JOIN admin_unit t ON t.id = x.to_unit_id
    WHERE x.from_unit_id = ref.id AND x.kind = 'whole' AND t.vintage_id = :vintage) cw
  ON ref.vintage_id <> :vintage
GROUP BY 1"""
"""The former count, placing every point by PostGIS on the vintage counted on (the oracle)."""


def _edge_points(units, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` vertices of the communes' rings: points exactly on a commune edge, most of them shared."""
    xy = shapely.get_coordinates(shapely.boundary(units.geometry.values))
    return xy[rng.choice(len(xy), n, replace=False)]


@pytest.fixture
def point_file(tmp_path, engine):
    """Incidents with GPS points, dated over 2018-2026: random in the province, and on commune edges."""
    rng = np.random.default_rng(14)
    vintages = [v.id for v in list_vintages(engine)]
    latest = read_units(engine, vintages[-1])
    xmin, ymin, xmax, ymax = latest.total_bounds
    random = np.column_stack([rng.uniform(xmin, xmax, N_RANDOM), rng.uniform(ymin, ymax, N_RANDOM)])
    each = N_EDGE // len(vintages)
    edges = np.concatenate([_edge_points(read_units(engine, v), each, rng) for v in vintages])
    points = np.concatenate([random, edges])
    days = rng.integers(0, SPAN_DAYS, len(points))
    lines = ["Ngày xảy ra;Hành vi;Vĩ độ;Kinh độ;Số đối tượng"]
    for k, ((lon, lat), d) in enumerate(zip(points, days, strict=True)):
        day = FIRST_DAY + timedelta(days=int(d))
        lines.append(f"{day:%d/%m/%Y};Mua bán dâm;{float(lat)!r};{float(lon)!r};{k % 50 + 1}")
    path = tmp_path / "vu_viec_toa_do.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    yield path
    with engine.begin() as c:
        c.execute(text("DELETE FROM import_batch WHERE source = :s"), {"s": str(path)})


def test_the_stored_unit_of_every_point_is_the_postgis_placement(engine, point_file):
    summary = ingest(engine, "incidents", point_file)
    assert summary["loaded"] > N_RANDOM // 3  # most random points fall in the province
    with engine.connect() as c:
        rows = pd.DataFrame(c.execute(text(_POSTGIS_PLACED), {"b": summary["batch_id"]}).mappings().all())
    assert len(rows) == summary["loaded"]  # every loaded point has a stored unit
    vintages = list_vintages(engine)
    valid = rows["event_date"].map(lambda d: pick_vintage(vintages, d))
    assert (rows["vintage_id"] == valid).all(), "a point was placed on another vintage than its date's"
    wrong = rows[rows["unit_id"] != rows["placed"]]
    assert wrong.empty, f"{len(wrong)} points stored elsewhere than PostGIS places them:\n{wrong.head()}"


def test_counts_from_stored_units_equal_placing_every_point_again(engine, point_file):
    ingest(engine, "incidents", point_file)
    end = FIRST_DAY + timedelta(days=SPAN_DAYS + 1)
    with engine.connect() as c:
        for vintage in (v.id for v in list_vintages(engine)):
            params = {"vintage": vintage, "start": FIRST_DAY, "end": end}
            new = dict(c.execute(text(locate_sql(_SOURCE)), params).all())
            old = dict(c.execute(text(_ORACLE), params).all())
            assert new == old, vintage
            assert sum(new.values()) > 0
