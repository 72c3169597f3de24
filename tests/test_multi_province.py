"""Several provinces in one database: vintages keyed by province, records placed in their own province.

A test-only province ("Tỉnh Thử Nghiệm", code 46, nine square communes near Huế, VN-2000 TM-3
107°00′, no plan) is written to ``tmp_path`` and loaded next to Đồng Nai through the CLI.
"""

from __future__ import annotations

import json

import geopandas as gpd
import pytest
import shapely
from pyproj import Transformer
from sqlalchemy import text

from geo.store import make_engine
from tests.helpers import ADMIN, login, new_database, run_cli, user_client

CODE, ZONE = "46", "EPSG:9214"
#: Nine communes of 0.05° on a side, south-west corner at (107.50, 16.40): code → (name, column, row).
COMMUNES = {"19001": ("Xã An Một", 0, 0), "19002": ("Xã An Hai", 1, 0),
            "19003": ("Phường Bình Ba", 0, 1), "19004": ("Thị trấn Cát Tư", 1, 1),
            "19005": ("Xã Đông Năm", 2, 0), "19006": ("Xã Đông Sáu", 2, 1),
            "19007": ("Xã Bắc Bảy", 0, 2), "19008": ("Xã Bắc Tám", 1, 2), "19009": ("Phường Nam Chín", 2, 2)}
SIDE, WEST, SOUTH = 0.05, 107.50, 16.40


def _centre(code: str) -> tuple[float, float]:
    _, col, row = COMMUNES[code]
    return WEST + (col + 0.5) * SIDE, SOUTH + (row + 0.5) * SIDE


def write_province(folder, *, code=CODE, name="Thử Nghiệm", west=WEST) -> str:
    """A province folder: one GeoPackage of four communes and its province.toml; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    shapes = [shapely.box(west + c * SIDE, SOUTH + r * SIDE, west + (c + 1) * SIDE, SOUTH + (r + 1) * SIDE)
              for _, c, r in COMMUNES.values()]
    gpd.GeoDataFrame({"ma": list(COMMUNES), "ten": [n for n, _, _ in COMMUNES.values()]},
                     geometry=shapes, crs="EPSG:4326").to_file(folder / "units.gpkg", layer="communes")
    (folder / "province.toml").write_text(f'''
code = "{code}"
name = "{name}"
name_en = "Test Province"
vn2000_crs = ["{ZONE}"]

[[vintages]]
id = "2010-02-06"
label = "9 xã thử nghiệm"
valid_from = 2010-02-06
province_name = "Tỉnh {name}"
file = "units.gpkg"
expected_units = {len(COMMUNES)}
communes = {{ layer = "communes", code = "ma", full_name = "ten" }}
''', encoding="utf-8")
    return str(folder)


@pytest.fixture(scope="module")
def two(server_url, tmp_path_factory):
    """A database holding Đồng Nai and the test province, loaded through `diaban boundaries load`."""
    folder = write_province(tmp_path_factory.mktemp("provinces") / "thu_nghiem")
    with new_database(server_url) as url:
        for args in (("db", "init"), ("boundaries", "load"), ("boundaries", "load", "--province", folder)):
            result = run_cli(url, *args)
            assert result.exit_code == 0, result.output
        engine = make_engine(url)
        yield url, engine, folder
        engine.dispose()


def _vintages(engine) -> list[tuple[str, str]]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text("SELECT id, province_code FROM vintage ORDER BY id"))]


def test_vintages_belong_to_their_province(two):
    _, engine, _ = two
    assert _vintages(engine) == [("46:2010-02-06", "46"), ("75:2010-02-06", "75"), ("75:2019-04-10", "75"),
                                 ("75:2024-11-01", "75"), ("75:2025-07-01", "75")]
    with engine.connect() as c:
        counts = {(v, p): n for v, p, n in c.execute(text(
            "SELECT vintage_id, coalesce(former_province_code, ''), count(*) FROM admin_unit "
            "WHERE level = 'commune' GROUP BY 1, 2"))}
    # Đồng Nai before 2025-07-01 is old Đồng Nai (75) beside former Bình Phước (70)
    assert counts == {("46:2010-02-06", ""): len(COMMUNES), ("75:2025-07-01", ""): 95,
                      ("75:2010-02-06", "75"): 171, ("75:2010-02-06", "70"): 111,
                      ("75:2019-04-10", "75"): 170, ("75:2019-04-10", "70"): 111,
                      ("75:2024-11-01", "75"): 159, ("75:2024-11-01", "70"): 111}


def test_reloading_either_province_is_a_no_op(two):
    url, engine, folder = two
    before = _vintages(engine)
    for args in (("boundaries", "load", "--json"), ("boundaries", "load", "--province", folder, "--json")):
        result = run_cli(url, *args)
        assert result.exit_code == 0, result.output
        assert {v["status"] for v in json.loads(result.stdout)["vintages"]} == {"already loaded"}
    assert _vintages(engine) == before


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"name": "Khác"}, "province code 46 is loaded as 'Thử Nghiệm'"),
    ({"code": "47", "west": WEST + 0.02}, "overlaps vintage 46:2010-02-06 of province 46"),
])
def test_a_conflicting_load_is_refused_and_writes_nothing(two, tmp_path, kwargs, message):
    url, engine, _ = two
    with engine.connect() as c:
        provinces = c.execute(text("SELECT code, label FROM province ORDER BY code")).all()
    before = _vintages(engine)
    result = run_cli(url, "boundaries", "load", "--province", write_province(tmp_path / "other", **kwargs))
    assert result.exit_code != 0 and message in result.output and "another database" in result.output
    assert _vintages(engine) == before
    with engine.connect() as c:
        assert c.execute(text("SELECT code, label FROM province ORDER BY code")).all() == provinces


def _dong_nai_point(engine, code: str) -> tuple[float, float]:
    with engine.connect() as c:
        lon, lat = c.execute(text("SELECT ST_X(p), ST_Y(p) FROM (SELECT ST_PointOnSurface(geom) p "
                                  "FROM admin_unit WHERE vintage_id = '75:2010-02-06' AND code = :c) s"),
                             {"c": code}).one()
    return lon, lat


def _csv(tmp_path, name: str, rows: list[str], *, xy: bool = False):
    """A CSV of incidents with lat/lon and commune names, or (``xy``) VN-2000 X/Y."""
    header = "STT;Ngày xảy ra;Hành vi;" + ("X;Y" if xy else "Vĩ độ;Kinh độ;Xã/phường;Huyện")
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return str(path)


def _ingest(url, path, province) -> dict:
    result = run_cli(url, "ingest", "incidents", path, "--province", province, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _placed(engine, batch: int) -> list[tuple[str, str]]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text(
            "SELECT u.vintage_id, u.code FROM incident i JOIN admin_unit u ON u.id = i.unit_id "
            "WHERE i.import_batch_id = :b ORDER BY i.event_date"), {"b": batch})]


def test_incidents_land_in_their_own_province(two, tmp_path):
    url, engine, _ = two
    lon, lat = _centre("19001")
    path = _csv(tmp_path, "thu_nghiem.csv", [f"1;01/03/2018;Mua bán dâm;{lat:.6f};{lon:.6f};;",
                                             "2;03/03/2018;Mua bán dâm;;;Phường Bình Ba;"])
    refused = run_cli(url, "ingest", "incidents", path)
    assert refused.exit_code != 0 and "several provinces are loaded" in refused.output
    assert "46 (Thử Nghiệm)" in refused.output and "75 (Đồng Nai)" in refused.output
    summary = _ingest(url, path, CODE)
    assert summary["loaded"] == 2, summary["reasons"]
    assert _placed(engine, summary["batch_id"]) == [("46:2010-02-06", "19001"), ("46:2010-02-06", "19003")]
    # VN-2000 X/Y in the province's own zone (TM-3 107°00′), which Đồng Nai does not use
    x, y = Transformer.from_crs("EPSG:4326", ZONE, always_xy=True).transform(*_centre("19002"))
    summary = _ingest(url, _csv(tmp_path, "thu_nghiem_xy.csv", [f"1;02/03/2018;Mua bán dâm;{x:.2f};{y:.2f}"],
                                xy=True), CODE)
    assert _placed(engine, summary["batch_id"]) == [("46:2010-02-06", "19002")], summary["reasons"]


def test_dong_nai_incidents_use_its_zones_and_units(two, tmp_path):
    url, engine, _ = two
    lon, lat = _dong_nai_point(engine, "25996")
    row = f"1;01/03/2018;Mua bán dâm;{lat:.6f};{lon:.6f};;"
    summary = _ingest(url, _csv(tmp_path, "dong_nai.csv", [row]), "75")
    assert _placed(engine, summary["batch_id"]) == [("75:2010-02-06", "25996")]
    x, y = Transformer.from_crs("EPSG:4326", "EPSG:5899", always_xy=True).transform(
        *_dong_nai_point(engine, "26041"))
    xy = _csv(tmp_path, "dong_nai_xy.csv", [f"1;02/03/2018;Mua bán dâm;{x:.2f};{y:.2f}"], xy=True)
    summary = _ingest(url, xy, "75")
    assert _placed(engine, summary["batch_id"]) == [("75:2010-02-06", "26041")], summary["reasons"]
    # the same X/Y read as the test province's: its zone puts it outside that province
    assert _ingest(url, xy, CODE)["reasons"] == {"OUTSIDE_PROVINCE": 1}


def test_a_point_of_one_province_is_refused_by_the_other(two, tmp_path):
    url, _, _ = two
    lon, lat = _centre("19004")
    row = f"1;01/03/2018;Mua bán dâm;{lat:.6f};{lon:.6f};;"
    summary = _ingest(url, _csv(tmp_path, "lac.csv", [row]), "75")
    assert summary["loaded"] == 0 and summary["reasons"] == {"OUTSIDE_PROVINCE": 1}


def test_vintages_are_resolved_within_the_province(two):
    url, _, _ = two
    listed = run_cli(url, "boundaries", "list", "--json")
    assert listed.exit_code == 0, listed.output
    assert {v["id"]: v["config_id"] for v in json.loads(listed.stdout)} == {
        "75:2010-02-06": "2010-02-06", "75:2019-04-10": "2019-04-10", "75:2024-11-01": "2024-11-01",
        "75:2025-07-01": "2025-07-01", "46:2010-02-06": "2010-02-06"}


def _unit_at(engine, vintage: str, lon: float, lat: float) -> str:
    """The commune of ``vintage`` whose stored polygon holds the point, asked of PostGIS."""
    with engine.connect() as c:
        return c.execute(text("SELECT code FROM admin_unit WHERE vintage_id = :v AND level = 'commune' "
                              "AND ST_Covers(geom, ST_SetSRID(ST_MakePoint(:x, :y), 4326))"),
                         {"v": vintage, "x": lon, "y": lat}).scalar_one()


#: The Đồng Nai vintage of each year's early March (the dates below).
DONG_NAI_VINTAGE = {**dict.fromkeys(range(2016, 2020), "75:2010-02-06"),
                    **dict.fromkeys(range(2020, 2025), "75:2019-04-10"),
                    2025: "75:2024-11-01", 2026: "75:2025-07-01"}


def test_incidents_of_every_year_land_in_the_unit_of_their_date_in_both_provinces(two, tmp_path):
    """Lat/lon, VN-2000 X/Y in each province's zones and names, 2016–2026, Đồng Nai with former Bình Phước."""
    url, engine, _ = two
    years = range(2016, 2027)
    tan_phong, dong_xoai = _dong_nai_point(engine, "25996"), _dong_nai_point(engine, "25195")
    rows, expected = [], []
    for year in years:
        vintage = DONG_NAI_VINTAGE[year]
        for lon, lat in (tan_phong, dong_xoai):
            rows.append(f"{len(rows) + 1};05/03/{year};Mua bán dâm;{lat:.6f};{lon:.6f};;")
            expected.append((vintage, _unit_at(engine, vintage, lon, lat)))
    summary = _ingest(url, _csv(tmp_path, "moi_nam.csv", rows), "75")
    assert summary["loaded"] == len(rows), summary
    placed = _placed(engine, summary["batch_id"])
    assert sorted(placed) == sorted(expected)
    # before 2025-07-01 the Đồng Xoài point is in former Bình Phước's Phường Tân Phú (25195)
    assert {code for vintage, code in placed if vintage != "75:2025-07-01"} == {"25996", "25195"}
    # VN-2000 X/Y: old Đồng Nai's zone 107°45′ and former Bình Phước's 106°15′
    zones = {"EPSG:5899": tan_phong, "EPSG:9212": dong_xoai}
    rows = [f"{i};01/03/2021;Mua bán dâm;{x:.2f};{y:.2f}" for i, (zone, point) in enumerate(zones.items(), 1)
            for x, y in [Transformer.from_crs("EPSG:4326", zone, always_xy=True).transform(*point)]]
    summary = _ingest(url, _csv(tmp_path, "xy_2021.csv", rows, xy=True), "75")
    assert sorted(_placed(engine, summary["batch_id"])) == [("75:2019-04-10", "25195"),
                                                            ("75:2019-04-10", "25996")], summary["reasons"]
    # names of the date: Suối Trầu exists in 2018 and is dissolved from 2019-04-10
    named = [("01/03/2018", "Xã Suối Trầu", "Huyện Long Thành"),
             ("01/03/2024", "Phường Tân Phú", "Thành phố Đồng Xoài"),
             ("01/03/2020", "Xã Suối Trầu", "Huyện Long Thành")]
    rows = [f"{i};{day};Mua bán dâm;;;{commune};{district}"
            for i, (day, commune, district) in enumerate(named, 1)]
    summary = _ingest(url, _csv(tmp_path, "ten.csv", rows), "75")
    assert _placed(engine, summary["batch_id"]) == [("75:2010-02-06", "26407"), ("75:2019-04-10", "25195")]
    assert summary["reasons"] == {"UNKNOWN_UNIT": 1}
    # the test province: one vintage from 2010, every year on it
    rows = [f"{i};01/03/{y};Mua bán dâm;{_centre('19005')[1]:.6f};{_centre('19005')[0]:.6f};;"
            for i, y in enumerate(range(2016, 2027), 1)]
    summary = _ingest(url, _csv(tmp_path, "thu_nghiem_moi_nam.csv", rows), CODE)
    assert _placed(engine, summary["batch_id"]) == [("46:2010-02-06", "19005")] * 11


def test_classifying_2020_gives_170_old_dong_nai_and_111_former_binh_phuoc_communes(two):
    url, engine, _ = two
    result = run_cli(url, "classify", "--period", "2020", "--province", "75", "--json")
    assert result.exit_code == 0, result.output
    with engine.connect() as c:
        counts = dict(c.execute(text(
            "SELECT u.former_province_code, count(*) FROM classification_result r "
            "JOIN classification_snapshot s ON s.id = r.snapshot_id "
            "JOIN admin_unit u ON u.vintage_id = s.vintage_id AND u.code = r.commune_code "
            "AND u.level = 'commune' "
            "WHERE s.id = (SELECT max(id) FROM classification_snapshot WHERE period = '2020' "
            "AND vintage_id = '75:2019-04-10') GROUP BY 1")).all())
    assert counts == {"75": 170, "70": 111}


@pytest.fixture(scope="module")
def web(two):
    """Both provinces classified for 2018 (a snapshot each), an app and an admin's client."""
    from webapp import create_app

    url, engine, _ = two
    for code in (CODE, "75"):
        result = run_cli(url, "classify", "--period", "2018", "--province", code)
        assert result.exit_code == 0, result.output
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": url, "ENGINE": engine})
    return url, app, user_client(app, url, ADMIN, "admin")


def test_a_page_without_a_province_lists_the_loaded_ones(web):
    _, _, admin = web
    response = admin.get("/dashboard?period=2018")
    assert response.status_code == 400
    assert "46 (Thử Nghiệm)" in response.text and "75 (Đồng Nai)" in response.text


def test_each_dashboard_and_map_names_its_province_and_plan(web):
    _, _, admin = web
    test_page = admin.get(f"/dashboard?period=2018&province={CODE}")
    assert test_page.status_code == 200, test_page.text[:500]
    assert 'id="dash-province">Thử Nghiệm<' in test_page.text and 'id="no-plan"' in test_page.text
    assert "Đồng Nai" not in test_page.text
    dong_nai = admin.get("/dashboard?period=2018&province=75")
    assert 'id="dash-province">Đồng Nai<' in dong_nai.text and 'id="no-plan"' not in dong_nai.text
    # the selector is remembered: the map page, asked without a province, keeps Đồng Nai
    assert 'id="map-province">Đồng Nai<' in admin.get("/?period=2018").text
    assert 'id="map-province">Thử Nghiệm<' in admin.get(f"/?period=2018&province={CODE}").text
    communes = admin.get("/api/communes?period=2018").get_json()
    assert sorted(f["properties"]["commune_code"] for f in communes["features"]) == sorted(COMMUNES)


def test_a_limited_user_gets_403_on_another_province(web):
    url, app, _ = web
    add = run_cli(url, "users", "add", "chi-46", "--role", "viewer", "--province", CODE, "--password-stdin",
                  input="chi-46-password-long\n")
    assert add.exit_code == 0 and "limited to province 46" in add.output, add.output
    refused = run_cli(url, "users", "add", "chi-99", "--role", "viewer", "--province", "99",
                      "--password-stdin", input="chi-99-password-long\n")
    assert refused.exit_code != 0 and "province '99' is not loaded" in refused.output
    limited = app.test_client()
    assert login(limited, "chi-46", "chi-46-password-long").status_code == 302
    assert limited.get("/dashboard?period=2018&province=75").status_code == 403
    assert limited.get("/api/communes?period=2018&province=75").status_code == 403
    own = limited.get("/dashboard?period=2018")  # no province named: the user's own
    assert own.status_code == 200 and 'id="dash-province">Thử Nghiệm<' in own.text
    rollup = limited.get("/api/national").get_json()
    assert [p["province_code"] for p in rollup["provinces"]] == [CODE]


def test_the_national_roll_up_shows_both_provinces(web):
    _, _, admin = web
    rollup = {p["province_code"]: p for p in admin.get("/api/national").get_json()["provinces"]}
    assert set(rollup) == {CODE, "75"}
    assert rollup[CODE]["communes"] == len(COMMUNES) and rollup["75"]["communes"] == 171 + 111
    assert rollup[CODE]["vintage"] == "46:2010-02-06" and rollup["75"]["period"] == "2018"
    assert sum(rollup["75"]["statuses"].values()) == 171 + 111
    layer = admin.get("/api/national/communes").get_json()
    by_province = {}
    for feature in layer["features"]:
        by_province.setdefault(feature["properties"]["province_code"], []).append(feature)
    assert {k: len(v) for k, v in by_province.items()} == {CODE: len(COMMUNES), "75": 171 + 111}
    assert all(f["properties"]["status"] for f in layer["features"])
    assert not any(k in layer["features"][0]["properties"] for k in ("lon", "lat", "incidents"))
    page = admin.get("/national").text
    assert 'data-province="46"' in page and 'data-province="75"' in page and "Thử Nghiệm" in page


def test_each_briefing_names_its_province_and_plan(web, tmp_path):
    import shutil
    import subprocess

    url, _, _ = web
    texts = {}
    for code in (CODE, "75"):
        out = tmp_path / f"{code}.pdf"
        result = run_cli(url, "report", "--period", "2018", "--province", code, "--out", str(out))
        assert result.exit_code == 0, result.output
        texts[code] = subprocess.run([shutil.which("pdftotext"), "-layout", str(out), "-"],
                                     capture_output=True, text=True, check=True).stdout
    assert "Tỉnh Thử Nghiệm" in texts[CODE] and "Đồng Nai" not in texts[CODE]
    assert "chưa cấu hình kế hoạch" in texts[CODE]
    assert "Đồng Nai" in texts["75"] and "chưa cấu hình kế hoạch" not in texts["75"]


def _incident_communes(collection: dict) -> set[str]:
    return {f["properties"]["commune_code"] for f in collection["features"]}


def test_a_limited_analyst_reads_only_their_provinces_points(web):
    """OGC: another province's commune layers are unknown and its points are not served."""
    url, app, admin = web
    add = run_cli(url, "users", "add", "phan-tich-46", "--role", "analyst", "--province", CODE,
                  "--password-stdin", input="phan-tich-46-password\n")
    assert add.exit_code == 0, add.output
    limited = app.test_client()
    assert login(limited, "phan-tich-46", "phan-tich-46-password").status_code == 302
    layers = {c["id"] for c in limited.get("/ogc/collections?f=json").get_json()["collections"]}
    assert f"communes-{CODE}:2010-02-06" in layers and "communes-75:2010-02-06" not in layers
    assert limited.get("/ogc/collections/communes-75:2010-02-06/items?f=json").status_code == 404
    everyone = admin.get("/ogc/collections/incidents/items?f=json&limit=1000").get_json()
    own = limited.get("/ogc/collections/incidents/items?f=json&limit=1000").get_json()
    inside = [shapely.Point(f["geometry"]["coordinates"]) for f in own["features"]]
    test_area = shapely.box(WEST, SOUTH, WEST + 3 * SIDE, SOUTH + 3 * SIDE)
    assert own["numberMatched"] >= 2 and all(test_area.covers(p) for p in inside)
    assert everyone["numberMatched"] > own["numberMatched"]
    dong_nai = next(f for f in everyone["features"]
                    if not test_area.covers(shapely.Point(f["geometry"]["coordinates"])))
    assert limited.get(f"/ogc/collections/incidents/items/{dong_nai['id']}?f=json").status_code == 404


def test_an_export_of_one_province_holds_none_of_the_others_records(web, tmp_path):
    url, _, _ = web
    layers = {}
    for code in (CODE, "75"):
        out = tmp_path / f"{code}.gpkg"
        result = run_cli(url, "export", "incidents", "--format", "gpkg", "--out", str(out),
                         "--period", "2018", "--province", code)
        assert result.exit_code == 0, result.output
        layers[code] = gpd.read_file(out, layer="incidents")
    test_area = shapely.box(WEST, SOUTH, WEST + 3 * SIDE, SOUTH + 3 * SIDE)
    own, dong_nai = layers[CODE], layers["75"]
    assert len(own) >= 3 and own["commune_code"].isin(list(COMMUNES)).all()
    assert own.geometry.dropna().within(test_area).all()
    assert len(dong_nai) >= 2 and not dong_nai["commune_code"].isin(list(COMMUNES)).any()
    assert not dong_nai.geometry.dropna().intersects(test_area).any()
