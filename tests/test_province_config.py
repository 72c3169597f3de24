"""Everything province-specific comes from the loaded province's configuration (issue #13).

A held-out province, built here from a ``province.toml`` and a GeoPackage of six hand-drawn
square communes in two districts near Hà Nội (105.75–105.90 E, 20.95–21.05 N, VN-2000 TM-3
105°45′ EPSG:9210, no ``[plan]``), is loaded into a fresh database exactly as its GIS officer
would: ``diaban db init``, ``diaban boundaries load --province PATH``. The ingest, the web
pages, the briefing and the commands must then speak of that province, never of Đồng Nai.
"""

from __future__ import annotations

import json
import subprocess

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import CRS, Transformer
from pyproj.transformer import TransformerGroup
from shapely import box
from sqlalchemy import text

from boundaries import load_province, loaded_province
from etl import reasons
from etl.coordinates import parse_coordinates
from geo.store import make_engine
from tests.helpers import ADMIN, login, new_database, run_cli, tool

pytestmark = pytest.mark.postgis

NAME, NAME_EN, CODE = "Hồng Hà Thử", "Hong Ha Test", "98"
ZONE = "EPSG:9210"  # VN-2000 / TM-3 105-45: the provincial zone of this longitude
SIDE = 0.05  # degrees: each commune a square of about 5.2 × 5.6 km
WEST, SOUTH = 105.75, 20.95
#: Commune code → (column, row) of its square; 00001–00003 in district 901, the others in 902.
CELLS = {"00001": (0, 0), "00002": (1, 0), "00003": (2, 0), "00004": (0, 1), "00005": (1, 1), "00006": (2, 1)}
DISTRICTS = {"901": "Huyện Nam Thử", "902": "Huyện Bắc Thử"}

TOML = f"""
code = "{CODE}"
name = "{NAME}"
name_en = "{NAME_EN}"
vn2000_crs = ["{ZONE}"]
export_crs = ["EPSG:4326", "{ZONE}"]

[[vintages]]
id = "2020-01-01"
label = "6 xã trong 2 huyện (thử)"
valid_from = 2020-01-01
province_name = "Tỉnh {NAME}"
file = "units.gpkg"
expected_units = 6
communes = {{ layer = "communes", code = "code", full_name = "full_name", parent = "parent" }}
districts = {{ layer = "districts", code = "code", full_name = "full_name" }}
"""


def square(code: str) -> shapely.Polygon:
    col, row = CELLS[code]
    return box(WEST + col * SIDE, SOUTH + row * SIDE, WEST + (col + 1) * SIDE, SOUTH + (row + 1) * SIDE)


def write_test_province(folder):
    codes = list(CELLS)
    communes = gpd.GeoDataFrame(
        {"code": codes, "full_name": [f"Xã Thử {c[-1]}" for c in codes],
         "parent": ["901" if CELLS[c][1] == 0 else "902" for c in codes]},
        geometry=[square(c) for c in codes], crs=4326)
    communes.to_file(folder / "units.gpkg", layer="communes")
    districts = communes.dissolve("parent").reset_index()
    gpd.GeoDataFrame({"code": districts["parent"], "full_name": districts["parent"].map(DISTRICTS)},
                     geometry=districts.geometry.values, crs=4326).to_file(folder / "units.gpkg",
                                                                          layer="districts")
    (folder / "province.toml").write_text(TOML, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def province_db(server_url, tmp_path_factory):
    """A fresh database holding only the test province, loaded through the CLI."""
    folder = write_test_province(tmp_path_factory.mktemp("province"))
    with new_database(server_url) as url:
        for args in (("db", "init"), ("boundaries", "load", "--province", str(folder), "--json"),
                     ("users", "add", ADMIN[0], "--role", "admin", "--password-stdin")):
            result = run_cli(url, *args, input=ADMIN[1] + "\n")
            assert result.exit_code == 0, result.output
        yield url


@pytest.fixture(scope="module")
def province_engine(province_db):
    engine = make_engine(province_db)
    yield engine
    engine.dispose()


def pinned_from_wgs84(crs: str) -> Transformer:
    group = TransformerGroup("EPSG:4326", crs, always_xy=True)
    return next(t for t in group.transformers if "VN-2000 to WGS 84 (2)" in t.description)


@pytest.fixture(scope="module")
def placed(province_db, province_engine, tmp_path_factory):
    """Fifty incidents given as VN-2000 X/Y in the province's zone, ingested; the expected points."""
    rng = np.random.default_rng(13)
    codes = rng.choice(list(CELLS), 50)
    margin = 0.002  # ~200 m inside each square, so only a misplacement changes the commune
    lon = np.array([square(c).bounds[0] for c in codes]) + rng.uniform(margin, SIDE - margin, 50)
    lat = np.array([square(c).bounds[1] for c in codes]) + rng.uniform(margin, SIDE - margin, 50)
    easting, northing = pinned_from_wgs84(ZONE).transform(lon, lat)
    rows = ["STT;Ngày xảy ra;Hành vi;X;Y;Số đối tượng"]
    rows += [f"{i + 1};{10 + i % 18}/06/2020;Mua bán dâm;{n:.2f};{e:.2f};1"
             for i, (n, e) in enumerate(zip(northing, easting, strict=True))]
    path = tmp_path_factory.mktemp("ingest") / "vu_viec_xy.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    result = run_cli(province_db, "ingest", "incidents", str(path), "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout), pd.DataFrame({"code": codes, "lon": lon, "lat": lat})


def test_the_loaded_province_is_recorded_with_its_configuration(province_engine):
    province = loaded_province(province_engine)
    assert (province.code, province.name, province.name_en) == (CODE, NAME, NAME_EN)
    assert province.vn2000_crs == (ZONE,) and province.export_crs == ("EPSG:4326", ZONE)
    assert province.targets is None and province.plan == {}


def test_xy_in_the_provinces_zone_land_in_the_right_commune(placed, province_engine):
    summary, expected = placed
    assert (summary["loaded"], summary["rejected"]) == (50, 0), summary
    with province_engine.connect() as c:
        stored = pd.DataFrame(c.execute(text(
            "SELECT u.code, ST_X(i.geom) AS lon, ST_Y(i.geom) AS lat FROM incident i "
            "JOIN admin_unit u ON u.id = i.unit_id ORDER BY i.id")).mappings().all())
    assert stored["code"].tolist() == expected["code"].tolist()
    assert np.allclose(stored[["lon", "lat"]], expected[["lon", "lat"]], atol=1e-7)  # ~1 cm


def test_zones_landing_at_different_places_are_ambiguous_and_named():
    """UTM 48N and TM-3 105°00′ share a meridian: ~700 m apart, both inside. Never a guess."""
    e, n = pinned_from_wgs84("EPSG:5897").transform(105.82, 21.0)
    frame = pd.DataFrame({"x": [f"{n:.2f}"], "y": [f"{e:.2f}"]}, dtype=object)
    out = parse_coordinates(frame, x="x", y="y", province=box(105.7, 20.9, 105.95, 21.1),
                            crs_candidates=["EPSG:5897", "EPSG:3405"])
    assert out["reason"].item() == reasons.AMBIGUOUS_CRS
    assert out["crs_source"].item() == "EPSG:5897 / EPSG:3405"
    assert np.isnan(out["lon"].item())


def test_zones_landing_at_the_same_place_take_the_first_configured():
    """The same zone written twice (EPSG code, then its WKT) is one answer, the first in order."""
    e, n = pinned_from_wgs84(ZONE).transform(105.82, 21.0)
    frame = pd.DataFrame({"x": [f"{n:.2f}"], "y": [f"{e:.2f}"]}, dtype=object)
    out = parse_coordinates(frame, x="x", y="y", province=box(105.7, 20.9, 105.95, 21.1),
                            crs_candidates=[ZONE, CRS(ZONE).to_wkt()])
    assert out["reason"].item() is None and out["crs_source"].item() == ZONE
    assert abs(out["lon"].item() - 105.82) < 1e-7


@pytest.fixture(scope="module")
def briefing_text(placed, province_db, tmp_path_factory):
    out = tmp_path_factory.mktemp("briefing") / "brief.pdf"
    result = run_cli(province_db, "report", "--period", "2020", "--out", str(out))
    assert result.exit_code == 0, result.output
    return subprocess.run([tool("pdftotext"), "-layout", str(out), "-"], capture_output=True, text=True,
                          check=True, timeout=120).stdout


def test_briefing_names_the_province_and_judges_no_targets(briefing_text):
    pages = briefing_text.split("\f")
    assert all(f"Tỉnh {NAME}" in page for page in pages if page.strip())
    assert "Đồng Nai" not in briefing_text
    assert f"Tỉnh {NAME} chưa cấu hình kế hoạch" in briefing_text
    assert "Chỉ tiêu" not in briefing_text and "diaban targets" not in briefing_text


def test_targets_command_says_there_is_no_plan(province_db):
    result = run_cli(province_db, "targets")
    assert result.exit_code == 0, result.output
    assert f"Province {NAME} has no plan configured" in result.output
    data = json.loads(run_cli(province_db, "targets", "--json").stdout)
    assert data["plan"] is None and data["rows"] == []


@pytest.fixture(scope="module")
def province_client(province_db, province_engine):
    from webapp import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": province_db,
                      "ENGINE": province_engine})
    client = app.test_client()
    assert login(client).status_code == 302
    return client


def test_dashboard_names_the_province_and_shows_no_plan(placed, province_client):
    page = province_client.get("/dashboard?period=2020").text
    assert NAME in page and "Đồng Nai" not in page
    assert 'id="targets"' not in page and 'id="no-plan"' in page
    assert f"Tỉnh {NAME} chưa cấu hình kế hoạch" in page


def test_map_page_names_the_province_in_header_and_title(province_client):
    page = province_client.get("/?period=2020").text
    assert f"<title>Bản đồ {NAME} — diaban</title>" in page
    assert f'id="map-province">{NAME}<' in page
    english = province_client.get("/?period=2020&lang=en").text
    assert f'id="map-province">{NAME_EN}<' in english


def test_export_crs_choices_come_from_the_provinces_toml(province_db, province_client, tmp_path):
    page = province_client.get("/reports").text
    offered = set(pd.Series(page.split('<option value="')[1:]).str.split('"').str[0])
    assert {"EPSG:4326", ZONE} <= offered and "EPSG:5899" not in offered
    refused = run_cli(province_db, "export", "communes", "--format", "gpkg", "--vintage", "2020-01-01",
                      "--out", str(tmp_path / "c.gpkg"), "--crs", "EPSG:5899")
    assert refused.exit_code != 0 and f"EPSG:4326, {ZONE}" in refused.output
    written = run_cli(province_db, "export", "communes", "--format", "gpkg", "--period", "2020",
                      "--out", str(tmp_path / "c.gpkg"), "--crs", ZONE)
    assert written.exit_code == 0, written.output
    assert gpd.read_file(tmp_path / "c.gpkg").crs.to_epsg() == 9210


def test_dong_nai_still_records_its_own_configuration(engine):
    province = loaded_province(engine)
    assert (province.code, province.name) == ("75", "Đồng Nai")
    assert province.vn2000_crs == load_province().vn2000_crs
    assert province.targets == load_province().targets


def test_a_vintage_drawn_from_other_sources_is_named_and_replaced_only_while_unused(server_url, tmp_path):
    folder = write_test_province(tmp_path)
    with new_database(server_url) as url:
        for args in (("db", "init"), ("boundaries", "load", "--province", str(folder))):
            assert run_cli(url, *args).exit_code == 0
        # the GIS officer redraws the communes into another layer and points the configuration at it
        gpd.read_file(folder / "units.gpkg", layer="communes").to_file(folder / "units.gpkg",
                                                                       layer="communes_v2")
        (folder / "province.toml").write_text(TOML.replace('layer = "communes"', 'layer = "communes_v2"'),
                                              encoding="utf-8")
        stale = run_cli(url, "boundaries", "load", "--province", str(folder))
        assert stale.exit_code == 1 and "was loaded from units.gpkg:communes;" in stale.output
        assert "units.gpkg:communes_v2" in stale.output and "--vintage 2020-01-01 --replace" in stale.output
        replaced = run_cli(url, "boundaries", "load", "--province", str(folder), "--replace", "--json")
        assert replaced.exit_code == 0, replaced.output
        assert [v["status"] for v in json.loads(replaced.stdout)["vintages"]] == ["loaded"]
        assert run_cli(url, "boundaries", "load", "--province", str(folder)).exit_code == 0  # current now
        # once a record is placed on its units, replacing is refused with the table named
        lon, lat = square("00001").centroid.coords[0]
        path = tmp_path / "mot_vu.csv"
        path.write_text("STT;Ngày xảy ra;Hành vi;Vĩ độ;Kinh độ\n"
                        f"1;10/06/2020;Mua bán dâm;{lat:.6f};{lon:.6f}\n", encoding="utf-8")
        assert json.loads(run_cli(url, "ingest", "incidents", str(path), "--json").stdout)["loaded"] == 1
        refused = run_cli(url, "boundaries", "load", "--province", str(folder), "--replace")
        assert refused.exit_code == 1 and "cannot be replaced: records refer to its units" in refused.output
        assert '"incident"' in refused.output
        engine = make_engine(url)
        with engine.connect() as c:  # nothing changed: the record still sits on its commune
            assert c.execute(text("SELECT u.code FROM incident i JOIN admin_unit u ON u.id = i.unit_id"
                                  )).scalar_one() == "00001"
        engine.dispose()
