"""The bundled Đồng Nai boundaries, loaded through the CLI into a real PostGIS database.

Expected figures come from outside the code: the official GSO code lists shipped in the
gazetteer, the publisher's defect figures in BOUNDARIES-SOURCES.md, and a landmark.
"""

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from shapely import Point
from sqlalchemy import text

from boundaries import load_province
from geo.join import assign_units
from geo.settings import AREA_CRS
from geo.store.units import read_units

pytestmark = pytest.mark.postgis
OLD, NEW = "2010-02-06", "2025-07-01"
GAZETTEER = load_province().folder / "gazetteer"


def test_cli_load_reports_both_vintages_and_the_area_moved(loaded):
    results = {r["vintage"]: r for r in json.loads(loaded["boundaries"])["vintages"]}
    # 2010: old Đồng Nai (171 communes, 11 districts) and former Bình Phước (111, 11), one province
    assert results[OLD]["units"] == 171 + 11 + 111 + 11 + 1
    assert results[NEW]["units"] == 95 + 1
    assert set(results[OLD]["parts"]) == {"75", "70"}
    # the two publishers' layers meet along the old border with slivers, not whole communes
    assert 0 < results[OLD]["border"]["overlap_removed_km2"] < 0.01
    assert 0 < results[OLD]["border"]["gaps_filled_km2"] < 0.01
    coverage = results[OLD]["coverage"]
    # The sources' README measured 16.6 km² of overlaps in the publisher's layer.
    assert coverage["overlap_removed_km2"] == pytest.approx(16.6, abs=0.1)
    assert coverage["total_moved_km2"] > coverage["overlap_removed_km2"]
    assert results[NEW]["coverage"]["total_moved_km2"] < 0.001  # two specks of 3 m²


def test_communes_match_the_official_gso_list(engine):
    gso = pd.read_csv(GAZETTEER / "dong_nai_gso_units_2016-2019.csv", dtype=str)
    communes = read_units(engine, "75:" + OLD)
    communes = communes[communes["former_province_code"] == "75"]
    assert sorted(communes["commune_code"]) == sorted(gso["commune_code"])
    per_district = communes.groupby("parent_code").size().to_dict()
    assert per_district == gso.groupby("district_code").size().to_dict()
    official_type = gso.set_index("commune_code")["commune_type"].map(
        {"Phường": "phuong", "Xã": "xa", "Thị trấn": "thi_tran"})
    mine = communes.set_index("commune_code")["unit_type"]
    official = official_type.sort_index().rename("unit_type").rename_axis("commune_code")
    assert mine.sort_index().equals(official)
    units_2025 = pd.read_csv(GAZETTEER / "dong_nai_units_2025.csv", dtype=str)
    assert sorted(read_units(engine, "75:" + NEW)["commune_code"]) == sorted(units_2025["ward_code"])


@pytest.mark.parametrize("vintage", [OLD, NEW])
def test_communes_form_a_clean_coverage_without_holes(engine, vintage):
    geoms = read_units(engine, "75:" + vintage).geometry.values
    assert shapely.coverage_is_valid(geoms)
    province = shapely.union_all(geoms)
    holes = sum(len(p.interiors) for p in shapely.get_parts(province))
    assert holes == 0


def test_each_district_is_tiled_by_its_own_communes(engine):
    communes = read_units(engine, "75:" + OLD)  # old Đồng Nai's districts below, Bình Phước's too
    districts = read_units(engine, "75:" + OLD, level="district").set_index("district_code").geometry
    source = gpd.read_file(load_province().vintage(OLD).file, layer="districts_2019_gischinhphu")

    def m2(geoms):  # differences taken in storage CRS, where edges are straight; area in m²
        return gpd.GeoSeries(geoms, crs=4326).to_crs(AREA_CRS).area

    binh_phuoc = shapely.union_all(communes[communes["former_province_code"] == "70"].geometry.values)
    for code, district in zip(source["district_code"], source.geometry, strict=True):
        mine = communes[communes["parent_code"] == code].geometry
        tiled = shapely.union_all(mine.values)
        # the communes tile the published district polygon: no gap, nothing outside, up to
        # the final snapping of vertices across district lines (a few m² per district) and,
        # along the old border with Bình Phước, slivers of gap between the two publishers'
        # layers given to a neighbour (boundaries.units.BORDER_GAP_M)
        border_slack = 100.0 if tiled.distance(binh_phuoc) == 0 else 0.0
        assert m2([tiled.symmetric_difference(district)]).iloc[0] < 10.0 + border_slack
        assert (m2(mine.difference(district).values) < 5.0 + border_slack).all()
        assert m2([districts[code].symmetric_difference(tiled)]).iloc[0] < 1.0


def test_display_geometry_keeps_the_coverage(engine):
    for vintage in (OLD, NEW):
        display = read_units(engine, "75:" + vintage, display=True).geometry.values
        assert shapely.coverage_is_valid(display)
        full = read_units(engine, "75:" + vintage).geometry.values
        assert shapely.get_num_coordinates(display).sum() < shapely.get_num_coordinates(full).sum()


def test_known_landmark_lands_in_its_ward(engine):
    # Biên Hòa air base (10°58′35″N 106°49′06″E) is in Phường Tân Phong; in 2025 Tân Phong
    # went into Phường Tân Triều (the crosswalk text names it as a predecessor).
    base = gpd.GeoSeries([Point(106.8183, 10.9764)], crs=4326)
    assert assign_units(base, read_units(engine, "75:" + OLD))["commune_code"].iloc[0] == "25996"
    new_code = assign_units(base, read_units(engine, "75:" + NEW))["commune_code"].iloc[0]
    crosswalk = pd.read_csv(GAZETTEER / "dong_nai_2025_merger_crosswalk_text.csv", dtype=str)
    predecessors = crosswalk.set_index("ward_code").loc[new_code, "predecessors_text"]
    assert "Phường Tân Phong" in predecessors


def test_units_are_keyed_by_code_and_vintage(conn):
    # Code 26041 is Quyết Thắng in 2010 and Phường Trấn Biên in 2025: two rows, never merged.
    # (2019-04-10 keeps Quyết Thắng; on 2024-11-01 it merged into Phường Trung Dũng.)
    rows = conn.execute(text("SELECT vintage_id, name FROM admin_unit WHERE code = '26041' "
                             "ORDER BY vintage_id")).all()
    assert rows == [("75:" + OLD, "Phường Quyết Thắng"), ("75:2019-04-10", "Phường Quyết Thắng"),
                    ("75:2024-11-01", "Phường Trung Dũng"), ("75:" + NEW, "Phường Trấn Biên")]


def test_reloading_is_a_no_op(db_url, loaded):
    from tests.helpers import run_cli

    result = run_cli(db_url, "boundaries", "load", "--json")
    out = json.loads(result.stdout)
    assert [r["status"] for r in out["vintages"]] == ["already loaded"] * 4
    assert [c["status"] for c in out["crosswalks"]] == ["already loaded"] * 3


def test_list_shows_the_unit_counts(db_url, loaded):
    from tests.helpers import run_cli

    listed = {v["config_id"]: v["units"] for v in json.loads(run_cli(db_url, "boundaries", "list",
                                                              "--json").stdout)}
    # 2019: Suối Trầu dissolved; 2024-11: eleven old-Đồng-Nai communes merged away (the change
    # list in boundaries/provinces/dong_nai/history); Bình Phước's 111 communes all along
    assert listed == {OLD: {"commune": 171 + 111, "district": 22, "province": 1},
                      "2019-04-10": {"commune": 170 + 111, "district": 22, "province": 1},
                      "2024-11-01": {"commune": 159 + 111, "district": 22, "province": 1},
                      NEW: {"commune": 95, "province": 1}}
