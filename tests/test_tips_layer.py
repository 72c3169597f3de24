"""Tip-offs as a map layer (points for analysts, counts below 3 suppressed for viewers) and as hot spot input.

Seven tip-offs of 2015-Q3 are loaded through ``diaban ingest tips`` (the demo has none before 2016): four
with a point in Phường Tam Hiệp (26017), one with a point in Phường Trảng Dài (25993), one
naming 25993 by code only (no point), and one of 2015-Q4 outside the period. Expected, read off
the file: 26017 → 4, 25993 → 2 (a viewer sees "<3"), five points for an analyst.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
from sqlalchemy import text

from tests.helpers import run_cli
from webapp.map_points import TIP_PROPERTIES

pytestmark = pytest.mark.postgis

OLD = "75:2010-02-06"
PERIOD = "2015-Q3"
TAM_HIEP = (106.85773, 10.94999)   # a point inside 26017 (ST_PointOnSurface, rounded)
TRANG_DAI = (106.86608, 10.98733)  # a point inside 25993
ROWS = [("05/07/2015", "", TAM_HIEP, "TB-T1"), ("06/07/2015", "", TAM_HIEP, "TB-T2"),
        ("07/08/2015", "", TAM_HIEP, "TB-T3"), ("08/09/2015", "", TAM_HIEP, "TB-T4"),
        ("09/09/2015", "", TRANG_DAI, "TB-T5"), ("10/09/2015", "25993", None, "TB-T6"),
        ("02/10/2015", "", TAM_HIEP, "TB-T7")]  # Q4: not in the period


@pytest.fixture(scope="module")
def tips(db_url, engine, tmp_path_factory):
    """Load the tips of :data:`ROWS`; delete their batch afterwards."""
    path = tmp_path_factory.mktemp("tips") / "tin_bao.csv"
    lines = ["Ngày tiếp nhận;Mã xã;Kinh độ;Vĩ độ;Số tin báo;Kết quả;Ngày xử lý"]
    for day, code, point, ref in ROWS:
        lon, lat = point or ("", "")
        lines.append(f"{day};{code};{lon};{lat};{ref};Đúng sự thật;{day}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli(db_url, "ingest", "tips", str(path), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["read"], summary["loaded"]) == (7, 7), summary
    yield summary["batch_id"]
    with engine.begin() as c:
        c.execute(text("DELETE FROM import_batch WHERE id = :b"), {"b": summary["batch_id"]})


def test_a_viewer_gets_counts_per_commune_with_small_counts_suppressed_and_no_point(viewer, tips):
    response = viewer.get(f"/api/tips?period={PERIOD}&vintage={OLD}")
    assert response.status_code == 200
    body = response.get_json()
    assert body["counts"] == {"26017": 4, "25993": "<3"}
    assert "features" not in body and '"Point"' not in response.text
    assert body["metadata"]["suppressed_below"] == 3 and body["metadata"]["total"] == 6


def test_an_analyst_gets_exact_counts_and_the_points_without_any_reference(analyst, engine, tips):
    response = analyst.get(f"/api/tips?period={PERIOD}&vintage={OLD}")
    body = response.get_json()
    assert body["counts"] == {"26017": 4, "25993": 2}
    assert len(body["features"]) == 5 and {f["geometry"]["type"] for f in body["features"]} == {"Point"}
    assert all(list(f["properties"]) == TIP_PROPERTIES for f in body["features"])
    assert sorted(f["properties"]["received_date"] for f in body["features"]) == [
        "2015-07-05", "2015-07-06", "2015-08-07", "2015-09-08", "2015-09-09"]
    assert "hmac" not in response.text and "TB-T" not in response.text
    with engine.connect() as c:
        audited = c.execute(text("SELECT detail->>'returned' FROM audit_log WHERE action = 'read.tips' "
                                 "ORDER BY id DESC LIMIT 1")).scalar_one()
    assert audited == "5"


def test_the_district_filter_narrows_the_tips(analyst, tips):
    body = analyst.get(f"/api/tips?period={PERIOD}&vintage={OLD}&district=732").get_json()
    assert body["counts"] == {} and body["features"] == []  # 732 is not Biên Hòa


def test_store_counts_match_sql_written_here(engine, tips):
    from geo.periods import parse_period
    from geo.store.counts import count_tips

    counts, unassigned = count_tips(engine, OLD, period=parse_period(PERIOD))
    with engine.connect() as c:
        by_sql = dict(c.execute(text("""
            SELECT coalesce(
                     (SELECT u.code FROM admin_unit u WHERE u.vintage_id = :v AND u.level = 'commune'
                      AND t.geom IS NOT NULL AND ST_Covers(u.geom, t.geom) ORDER BY u.code LIMIT 1),
                     (SELECT r.code FROM admin_unit r WHERE t.geom IS NULL AND r.id = t.unit_id
                      AND r.vintage_id = :v)) AS code, count(*)
            FROM tip t WHERE t.received_date >= '2015-07-01' AND t.received_date < '2015-10-01'
            GROUP BY 1"""), {"v": OLD}).all())
    assert counts.to_dict() == {k: v for k, v in by_sql.items() if k} == {"26017": 4, "25993": 2}
    assert unassigned == by_sql.get(None, 0) == 0


@pytest.mark.gdal
def test_hotspots_of_tips_count_the_tips(db_url, tips, tmp_path):
    out = tmp_path / "tips.gpkg"
    result = run_cli(db_url, "hotspots", "--period", PERIOD, "--vintage", OLD, "--source", "tips",
                     "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["source"] == "tips" and summary["layer"] == "gi_star_commune_tips"
    layer = gpd.read_file(out, layer="gi_star_commune_tips").set_index("commune_code")
    assert layer["value"].sum() == 6 and layer.loc["26017", "value"] == 4 and layer.loc["25993", "value"] == 2
    incidents = json.loads(run_cli(db_url, "hotspots", "--period", "2019-Q3", "--vintage", OLD,
                                   "--json").stdout)
    assert incidents["source"] == "incidents" and incidents["unplaced_records"] >= 0
    bad = run_cli(db_url, "hotspots", "--period", PERIOD, "--source", "rumours")
    assert bad.exit_code == 2 and "'rumours' is not one of 'incidents', 'tips'" in bad.output
