"""Former Bình Phước's bundled pre-2025 boundaries, loaded through the CLI into a fresh PostGIS
database of their own (vintage ids are not namespaced by province yet).

Expected figures come from outside the code: the official GSO code lists in the province's
gazetteer, the publisher's defect figures in its BOUNDARIES-SOURCES.md, and old Đồng Nai's
outline from the same gis.chinhphu.vn source.
"""

import json

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely import Point

from boundaries import load_province
from geo.settings import AREA_CRS
from geo.store import make_engine
from geo.store.units import read_units
from tests.helpers import new_database, run_cli

pytestmark = pytest.mark.postgis
OLD = "2010-02-06"
PROVINCE = load_province("binh_phuoc")
GAZETTEER = PROVINCE.folder / "gazetteer"
GPKG = PROVINCE.vintage(OLD).file
#: Shared-border slivers between two outlines of the same publisher (measured: 61 m²).
NEIGHBOUR_OVERLAP_M2 = 1_000.0


@pytest.fixture(scope="module")
def bp_loaded(server_url):
    """A fresh database holding only Bình Phước, filled through the CLI; yields (url, output)."""
    with new_database(server_url) as url:
        for args in (("db", "init"), ("boundaries", "load", "--province", "binh_phuoc", "--json")):
            result = run_cli(url, *args)
            assert result.exit_code == 0, result.output
        yield url, json.loads(result.stdout)


@pytest.fixture(scope="module")
def bp_engine(bp_loaded):
    eng = make_engine(bp_loaded[0])
    yield eng
    eng.dispose()


def m2(geoms) -> pd.Series:
    """Areas in m² of EPSG:4326 geometries, on the equal-area CRS."""
    return gpd.GeoSeries(list(geoms), crs=4326).to_crs(AREA_CRS).area


def gso(vintage: str) -> pd.DataFrame:
    return pd.read_csv(GAZETTEER / f"binh_phuoc_gso_units_{vintage}.csv", dtype=str)


def test_configuration_names_the_province_and_its_zone():
    assert PROVINCE.code == "70"
    assert PROVINCE.vn2000_crs[0] == "EPSG:9212"  # VN-2000 / TM-3 106-15
    assert [v.id for v in PROVINCE.vintages] == [OLD]
    assert all((PROVINCE.folder / path).is_file() for path in PROVINCE.gazetteer.values())


def test_cli_load_reports_the_units_and_the_area_moved(bp_loaded):
    (result,) = bp_loaded[1]["vintages"]
    assert result["status"] == "loaded"
    assert result["units"] == 111 + 11 + 1
    coverage = result["coverage"]
    # BOUNDARIES-SOURCES.md measured 15.3 km² of overlaps in the publisher's layer.
    assert coverage["overlap_removed_km2"] == pytest.approx(15.3, abs=0.1)
    assert coverage["total_moved_km2"] > coverage["overlap_removed_km2"]
    assert result["outline_iou"] >= 0.999
    assert bp_loaded[1]["crosswalks"] == []


@pytest.mark.parametrize("vintage", ["2010", "2016-2019", "2019-2024", "2024-11"])
def test_codes_equal_every_gso_list_of_the_period(bp_engine, vintage):
    # The 111 codes did not change from 2009-08-12 to 2025-06-30, only types and districts.
    assert sorted(read_units(bp_engine, "70:" + OLD)["commune_code"]) == sorted(gso(vintage)["commune_code"])


def test_names_types_and_districts_follow_the_2019_list(bp_engine):
    official = gso("2016-2019").set_index("commune_code")
    communes = read_units(bp_engine, "70:" + OLD).set_index("commune_code").sort_index()
    assert communes["name"].to_dict() == official["commune_name"].to_dict()
    assert communes["parent_code"].to_dict() == official["district_code"].to_dict()
    types = official["commune_type"].map({"Phường": "phuong", "Xã": "xa", "Thị trấn": "thi_tran"})
    assert communes["unit_type"].to_dict() == types.to_dict()
    # Phú Riềng (698) was carved out of Bù Gia Mập (691) on 2015-05-16: the 2010 list differs.
    moved = gso("2010").set_index("commune_code")["district_code"] != official["district_code"]
    assert set(official.index[moved]) == set(communes.index[communes["parent_code"] == "698"])


def test_communes_do_not_overlap(bp_engine):
    geoms = read_units(bp_engine, "70:" + OLD).geometry.values
    assert shapely.coverage_is_valid(geoms)
    left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    pairs = [(i, j) for i, j in zip(left, right, strict=True) if i < j]
    assert len(pairs) > 200  # neighbours touch...
    overlaps = m2(shapely.intersection(geoms[[i for i, _ in pairs]], geoms[[j for _, j in pairs]]))
    assert overlaps.max() < 1.0  # ...but share no area (the raw layer had 216 overlapping pairs)


def test_no_gaps_inside_the_province_outline(bp_engine):
    union = shapely.union_all(read_units(bp_engine, "70:" + OLD).geometry.values)
    holes = [shapely.Polygon(ring) for part in shapely.get_parts(union) for ring in part.interiors]
    # The only hole is the source's own 0.00004 m² speck between Bù Gia Mập and Bù Đốp
    # (BOUNDARIES-SOURCES.md §2); the communes are nested in those districts exactly.
    assert len(holes) <= 1 and m2(holes).sum() < 0.01
    outline = gpd.read_file(GPKG, layer="province_2019_gischinhphu").geometry.iloc[0]
    assert m2([outline.difference(union)]).iloc[0] < 100.0  # raw layer: 52.8 km² uncovered


def test_each_district_is_the_union_of_its_communes(bp_engine):
    communes = read_units(bp_engine, "70:" + OLD)
    districts = read_units(bp_engine, "70:" + OLD, level="district").set_index("district_code")
    source = gpd.read_file(GPKG, layer="districts_2019_gischinhphu").set_index("district_code")
    official = sorted(gso("2016-2019")["district_code"].unique())
    assert sorted(districts.index) == sorted(source.index) == official
    for code, district in districts.geometry.items():
        tiled = shapely.union_all(communes.loc[communes["parent_code"] == code].geometry.values)
        assert m2([district.symmetric_difference(tiled)]).iloc[0] < 1.0
        assert m2([source.geometry[code].symmetric_difference(tiled)]).iloc[0] < 10.0


def test_every_commune_lies_inside_the_province(bp_engine):
    communes = read_units(bp_engine, "70:" + OLD)
    outline = gpd.read_file(GPKG, layer="province_2019_gischinhphu").geometry.iloc[0]
    assert (m2(communes.geometry.difference(outline).values) < 5.0).all()
    province = read_units(bp_engine, "70:" + OLD, level="province").geometry.iloc[0]
    assert m2([province.symmetric_difference(outline)]).iloc[0] < 100.0


def test_outline_abuts_old_dong_nai_without_overlap():
    dong_nai = load_province("dong_nai")
    theirs = gpd.read_file(dong_nai.vintage(OLD).file, layer="province_2019_gischinhphu").geometry.iloc[0]
    mine = gpd.read_file(GPKG, layer="province_2019_gischinhphu").geometry.iloc[0]
    assert m2([mine.intersection(theirs)]).iloc[0] < NEIGHBOUR_OVERLAP_M2
    work = gpd.GeoSeries([mine, theirs], crs=4326).to_crs("EPSG:32648")
    shared = work.iloc[0].boundary.intersection(work.iloc[1].buffer(10.0)).length
    assert shared > 60_000  # about 69 km of common border (Đồng Phú, Bù Đăng | Tân Phú, Vĩnh Cửu)


def test_a_point_in_the_provincial_zone_lands_in_dong_xoai(bp_engine):
    # DOMAIN.md: (106.90 E, 11.535 N) is E 570,704 in VN-2000 / TM-3 106-15 (EPSG:9212).
    to_wgs84 = Transformer.from_crs(PROVINCE.vn2000_crs[0], 4326, always_xy=True)
    to_zone = Transformer.from_crs(4326, PROVINCE.vn2000_crs[0], always_xy=True)
    easting, northing = to_zone.transform(106.90, 11.535)
    assert easting == pytest.approx(570_704, abs=2)
    point = Point(*to_wgs84.transform(easting, northing))
    districts = read_units(bp_engine, "70:" + OLD, level="district")
    assert districts.loc[districts.contains(point), "district_code"].tolist() == ["689"]
