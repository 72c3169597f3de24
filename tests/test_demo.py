"""The demo set: written as files and loaded through the ingest, deterministic, marked synthetic.

It plants structure the analyses must find (dense areas for Gi*, a reactivation wave for
``geo.reactivation``), and every classification status can occur.
"""

import ast
import json
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
import shapely
from sqlalchemy import text

from etl import ingest
from etl.demo import Vintage, generate_demo
from etl.demo.load import GENERATOR_VERSION
from etl.headers import KINDS
from geo.reactivation import collect_evidence, track_reactivations
from geo.settings import WORK_CRS
from geo.store.records import read_incidents, read_inspections, read_sites
from geo.store.units import list_vintages, read_units
from tests.helpers import new_database, run_cli

pytestmark = pytest.mark.postgis

DEMO_MODULES = sorted((Path(__file__).resolve().parent.parent / "etl" / "demo").glob("*.py"))
RECORD_TABLES = ("establishment", "site", "site_event", "incident", "inspection", "tip", "activity",
                 "commune_report", "criterion_assessment")


@pytest.fixture(scope="module")
def vintages(engine):
    return [Vintage(v.id, v.valid_from, v.valid_to,
                    read_units(engine, v.id)[["commune_code", "unit_type", "geometry"]])
            for v in list_vintages(engine)]


@pytest.fixture(scope="module")
def demo(loaded):
    return json.loads(loaded["demo"])


@pytest.fixture(scope="module")
def own_demo(server_url, tmp_path_factory):
    """A database of its own (the 2010 vintage only), `demo --seed 7 --out DIR`, then `--replace`."""
    folder = tmp_path_factory.mktemp("demo-files")
    with new_database(server_url) as url:
        for args in (("db", "init"), ("boundaries", "load", "--vintage", "2010-02-06")):
            assert run_cli(url, *args).exit_code == 0
        first = run_cli(url, "demo", "--seed", "7", "--out", str(folder), "--json")
        assert first.exit_code == 0, first.output
        again = run_cli(url, "demo", "--seed", "7", "--replace", "--json")
        assert again.exit_code == 0, again.output
        yield url, folder, json.loads(first.stdout), json.loads(again.stdout)


def test_same_seed_same_data_other_seed_other_data(vintages):
    sizes = {"establishments": 300, "sites": 8, "incidents": 300, "tips": 30,
             "inspections_per_year": (60, 20)}
    a = generate_demo(vintages, seed=3, **sizes)
    b = generate_demo(vintages, seed=3, **sizes)
    c = generate_demo(vintages, seed=4, **sizes)
    assert a.incidents.equals(b.incidents) and a.inspections.equals(b.inspections)
    assert a.tips.equals(b.tips) and a.reports.equals(b.reports)
    assert a.establishments.geometry.geom_equals(b.establishments.geometry).all()
    assert not a.establishments.geometry.geom_equals(c.establishments.geometry).all()


def test_loaded_counts_are_a_few_thousand_and_nothing_is_rejected(demo, conn):
    assert demo["status"] == "loaded" and demo["seed"] == 7 and demo["rejected"] == 0
    assert 1000 <= demo["establishments"] <= 3000 and 1000 <= demo["incidents"] <= 3000
    assert 10 <= demo["sites"] <= 99 and demo["tips"] > 100 and demo["activities"] > 100
    assert {f["kind"] for f in demo["files"]} == set(KINDS)
    assert all(f["read"] == f["loaded"] for f in demo["files"])
    plan_period = conn.execute(text("SELECT count(*) FROM inspection WHERE inspection_date "
                                    "BETWEEN '2016-01-01' AND '2020-12-31'")).scalar_one()
    assert 2000 <= plan_period <= 3000
    span = conn.execute(text("SELECT min(event_date), max(event_date) FROM incident")).one()
    assert span[0] >= date(2016, 1, 1) and span[1] <= date(2026, 6, 30)
    assert span[0] < date(2016, 2, 1) and span[1] > date(2026, 5, 1)


def test_the_files_mix_formats_headers_and_place_styles(own_demo):
    _, folder, first, _ = own_demo
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(f["file"] for f in first["files"]) and first["folder"] == str(folder.resolve())
    assert {n.rsplit(".", 1)[1] for n in names} == {"csv", "xlsx"}
    csvs = [folder / n for n in names if n.endswith(".csv")]
    assert all(p.read_bytes().startswith(b"\xef\xbb\xbf") for p in csvs)  # UTF-8 with a BOM
    headers = " | ".join(p.read_text(encoding="utf-8-sig").splitlines()[0] for p in csvs)
    assert "Vĩ độ" in headers and "Tọa độ X (VN-2000)" in headers and "Mã xã" in headers
    from openpyxl import load_workbook

    sheet = load_workbook(folder / "05_vu_viec_2016-2020.xlsx", read_only=True).active
    title, _, header = (row for row, _ in zip(sheet.iter_rows(values_only=True), range(3), strict=False))
    assert "DỮ LIỆU MÔ PHỎNG" in title[0] and "Xã/phường" in header and "Huyện/thành phố" in header


def test_re_ingesting_a_demo_file_gives_only_duplicates(own_demo):
    url, folder, _, again = own_demo
    from geo.store import make_engine
    from webapp.keys import cli_hmac_key

    engine = make_engine(url)
    try:
        for name in ("05_vu_viec_2016-2020.xlsx", "07_kiem_tra_178.csv"):
            kind = next(f["kind"] for f in again["files"] if f["file"] == name)
            result = ingest(engine, kind, folder / name, dry_run=True, hmac_key=cli_hmac_key)
            assert result["read"] > 0 and result["loaded"] == 0 and result["rejected"] == 0
            assert result["duplicates"] == result["read"]
    finally:
        engine.dispose()


def test_replace_deletes_the_earlier_batches_and_loads_the_same_again(own_demo):
    url, _, first, again = own_demo
    assert again["status"] == "loaded" and not set(first["batches"]) & set(again["batches"])
    counted = {k: v for k, v in first.items()
               if isinstance(v, int) and k not in ("seed", "generator_version")}
    assert counted == {k: again[k] for k in counted}
    with _connected(url) as c:
        batches = set(c.execute(text("SELECT id FROM import_batch WHERE synthetic")).scalars())
        establishments = c.execute(text("SELECT count(*) FROM establishment")).scalar_one()
        deleted = c.execute(text("SELECT detail FROM audit_log WHERE action = 'demo.delete'")).scalar_one()
    assert batches == set(again["batches"]) and establishments == again["establishments"]
    assert deleted["batches"] == first["batches"]


def test_every_demo_row_has_the_import_batch_of_a_real_ingest(own_demo):
    url, _, _, again = own_demo
    files = {f["file"] for f in again["files"]}
    with _connected(url) as conn:
        for table in RECORD_TABLES:
            rows = conn.execute(text(f"""
                SELECT b.id, b.kind, b.synthetic, b.source, b.report ? 'read' AS ingested
                FROM {table} r JOIN import_batch b ON b.id = r.import_batch_id GROUP BY b.id""")).all()
            assert rows, table
            for batch, kind, synthetic, source, ingested in rows:
                assert batch in again["batches"] and kind in KINDS and synthetic and ingested, (table, source)
                assert source.startswith(f"diaban demo v{GENERATOR_VERSION} --seed 7: ")
                assert source.split(": ")[1] in files
        assert conn.execute(text("SELECT count(*) FROM import_batch WHERE kind = 'demo'")).scalar_one() == 0


def test_demo_is_marked_synthetic_everywhere(own_demo, demo, auth_client):
    url, _, _, again = own_demo
    with _connected(url) as conn:
        flags = dict(conn.execute(text("SELECT id, synthetic FROM import_batch WHERE kind NOT IN "
                                       "('boundaries', 'crosswalk')")).all())
        names = conn.execute(text("SELECT count(*) FROM establishment WHERE name NOT LIKE '%DEMO-%'"))
        assert names.scalar_one() == 0
    assert set(flags) == set(again["batches"]) and all(flags.values())
    # the flag reaches the API and the pages of the shared test database's demo
    assert auth_client.get("/api/communes?period=2018").get_json()["metadata"]["synthetic"] is True
    assert "DỮ LIỆU MÔ PHỎNG" in auth_client.get("/").text


@contextmanager
def _connected(url):
    from geo.store import make_engine

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


STORE = ("geo.store", "sqlalchemy")


def test_no_demo_module_imports_a_store_writer():
    allowed = {"geo.store.units": {"list_vintages", "read_units"}}
    for path in DEMO_MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                assert not [a.name for a in node.names if a.name.startswith(STORE)], path
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(STORE):
                assert {a.name for a in node.names} <= allowed.get(node.module, set()), (path, node.module)


def test_the_planted_dense_areas_are_hot_grid_cells_of_gi_star(demo, db_url, tmp_path):
    out = tmp_path / "gi.gpkg"
    result = run_cli(db_url, "hotspots", "--period", "2018", "--unit", "grid", "--method", "gi",
                     "--out", str(out))
    assert result.exit_code == 0, result.output
    cells = gpd.read_file(out).to_crs(WORK_CRS)
    hot = cells[cells["hotspot_class"].str.startswith("hot")]
    assert len(demo["planted"]["clusters"]) == 3
    for lon, lat in demo["planted"]["clusters"]:
        centre = gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(WORK_CRS).iloc[0]
        assert hot.distance(centre).min() <= 1000, (lon, lat)


def test_the_planted_reactivation_wave_is_detected(demo, engine):
    end = date(2018, 12, 31)
    with engine.connect() as c:
        sites, events = read_sites(c)
        evidence = collect_evidence(read_incidents(c, end=date(2019, 1, 1)),
                                    read_inspections(c, end=date(2019, 1, 1)))
    found = track_reactivations(sites, events, evidence, as_of=end).clearings
    wave = demo["planted"]["reactivation_wave"]
    assert len(wave) >= 3
    for planted in wave:
        site = sites.loc[sites["descriptor"] == planted["site"], "site_id"].item()
        own = events[events["site_id"] == site]
        recorded = own[own["event_type"].isin(["identified", "reactivated"])]
        assert not (pd.to_datetime(recorded["event_date"]).dt.year == 2018).any()  # nobody recorded it
        spell = found[(found["site_id"] == site)
                      & (pd.to_datetime(found["cleared_date"]) == pd.Timestamp(planted["cleared"]))]
        assert len(spell) == 1 and spell["reactivated"].item(), planted
        assert spell["trigger"].item() in {"incident", "inspection"}
        assert pd.Timestamp(planted["cleared"]) < spell["reactivation_date"].item() <= pd.Timestamp(end)


def test_incidents_concentrate_in_urban_wards(conn):
    # Incidents per km² in phường against xã, on the units valid in 2018.
    rows = conn.execute(text("""
        SELECT u.unit_type, count(i.id) / sum(DISTINCT u.area_km2) AS density
        FROM admin_unit u LEFT JOIN incident i
          ON ST_Covers(u.geom, i.geom) AND i.event_date BETWEEN '2016-01-01' AND '2018-12-31'
        WHERE u.vintage_id = '75:2010-02-06' AND u.level = 'commune'
        GROUP BY u.unit_type""")).all()
    density = dict(rows)
    assert density["phuong"] > 3 * density["xa"]


def test_each_classification_status_has_candidates_in_2018(conn):
    units = pd.read_sql(text("SELECT id, code FROM admin_unit WHERE vintage_id = '75:2010-02-06' "
                             "AND level = 'commune'"), conn)
    with_incidents = set(pd.read_sql(text("""
        SELECT DISTINCT u.code FROM incident i JOIN admin_unit u
          ON (ST_Covers(u.geom, i.geom) OR u.id = i.unit_id) AND u.vintage_id = '75:2010-02-06'
        WHERE i.event_date BETWEEN '2018-01-01' AND '2018-12-31'"""), conn)["code"])
    with_active_site = set(pd.read_sql(text("""
        SELECT DISTINCT u.code FROM site s JOIN admin_unit u
          ON ST_Covers(u.geom, s.geom) AND u.vintage_id = '75:2010-02-06'
        WHERE EXISTS (SELECT 1 FROM site_event e WHERE e.site_id = s.id
                      AND e.event_type = 'identified' AND e.event_date <= '2018-12-31')
          AND NOT EXISTS (SELECT 1 FROM site_event e WHERE e.site_id = s.id
                      AND e.event_type IN ('cleared', 'recleared') AND e.event_date <= '2018-12-31')
        """), conn)["code"])
    attested = set(pd.read_sql(text("""
        SELECT DISTINCT u.code FROM criterion_assessment a JOIN admin_unit u ON u.id = a.unit_id
        WHERE a.period = '2018'"""), conn)["code"])
    everyone = set(units["code"])
    assert everyone - with_incidents - with_active_site  # candidates for healthy
    assert with_active_site  # not healthy (P1 fails)
    assert with_incidents - with_active_site  # reduced or not healthy
    assert everyone - attested  # not assessed: attestations missing
    reactivated = conn.execute(text("SELECT count(*) FROM site_event "
                                    "WHERE event_type = 'reactivated'")).scalar_one()
    assert reactivated > 0
