"""OGC API – Features at /ogc: shapes, paging, filters against SQL, tokens, roles, and GDAL as client."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
from sqlalchemy import text

from tests.helpers import ADMIN, run_cli, unavailable
from webapp.accounts import add_user, issue_token, revoke_token

pytestmark = [pytest.mark.postgis, pytest.mark.gdal]

VIEWER = ("ogc-viewer", "viewer-password-1")
ANALYST = ("ogc-analyst", "analyst-password-1")
COMMUNES = "communes-75:2025-07-01"
INCIDENT_PROPS = {"incident_id", "event_date", "incident_kind", "case_type", "outcome"}


@pytest.fixture(scope="module")
def tokens(engine):
    """Bearer tokens of the admin, a fresh analyst and a fresh viewer."""
    add_user(engine, *VIEWER, "viewer", actor="test")
    add_user(engine, *ANALYST, "analyst", actor="test")
    return {"admin": issue_token(engine, ADMIN[0]), "analyst": issue_token(engine, ANALYST[0]),
            "viewer": issue_token(engine, VIEWER[0])}


def get(client, url, token, status=200):
    """GET ``url`` (absolute or a path) with a bearer token; check the status and return the response."""
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == status, (path, response.status_code, response.data[:300])
    return response


def sql_count(conn, sql, **params):
    return conn.execute(text(sql), params).scalar_one()


INCIDENTS_SQL = "SELECT count(*) FROM incident WHERE geom IS NOT NULL"


def test_landing_conformance_and_collections(client, tokens):
    landing = get(client, "/ogc/", tokens["admin"])
    assert landing.mimetype == "application/json"
    rels = {link["rel"]: link["href"] for link in landing.get_json()["links"]}
    assert set(rels) >= {"self", "conformance", "data"}
    assert rels["data"].endswith("/ogc/collections")
    conforms = get(client, rels["conformance"], tokens["admin"]).get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core" in conforms
    assert "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson" in conforms
    listed = get(client, rels["data"] + "?f=json", tokens["admin"]).get_json()["collections"]
    ids = [c["id"] for c in listed]
    assert COMMUNES in ids and ids[-3:] == ["incidents", "inspections", "sites"]
    for described in listed:
        assert {link["rel"] for link in described["links"]} >= {"self", "items"}
    get(client, "/ogc/?f=html", tokens["admin"], status=400)


def test_collection_extent_matches_the_database(client, tokens, conn):
    body = get(client, "/ogc/collections/incidents", tokens["admin"]).get_json()
    minx, miny, maxx, maxy = body["extent"]["spatial"]["bbox"][0]
    expected = conn.execute(text("SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM "
                                 "(SELECT ST_Extent(geom) e FROM incident) x")).one()
    assert [minx, miny, maxx, maxy] == pytest.approx(list(expected), abs=1e-9)
    assert 105 < minx < maxx < 108.5 and 10 < miny < maxy < 12.5  # Đồng Nai, longitude first
    lo, hi = conn.execute(text("SELECT min(event_date), max(event_date) FROM incident "
                               "WHERE geom IS NOT NULL")).one()
    assert body["extent"]["temporal"]["interval"] == [[lo.isoformat(), hi.isoformat()]]
    communes = get(client, f"/ogc/collections/{COMMUNES}", tokens["admin"]).get_json()
    assert "temporal" not in communes["extent"]
    assert communes["extent"]["spatial"]["bbox"][0][0] < minx


def test_paging_follows_next_links_until_exhausted(client, tokens, conn):
    url, seen, pages = "/ogc/collections/incidents/items?limit=40", [], 0
    while url:
        response = get(client, url, tokens["analyst"])
        assert response.mimetype == "application/geo+json"
        body = response.get_json()
        assert body["type"] == "FeatureCollection" and body["timeStamp"].endswith("Z")
        assert body["numberReturned"] == len(body["features"]) <= 40
        seen += [f["id"] for f in body["features"]]
        for feature in body["features"]:
            assert set(feature["properties"]) == INCIDENT_PROPS
            assert feature["geometry"]["type"] == "Point"
        url = next((link["href"] for link in body["links"] if link["rel"] == "next"), None)
        pages += 1
    total = sql_count(conn, INCIDENTS_SQL)
    assert body["numberMatched"] == total == len(seen) == len(set(seen))
    assert seen == sorted(seen) and pages == -(-total // 40) and total > 40


def test_default_and_capped_limits(client, tokens):
    body = get(client, "/ogc/collections/incidents/items", tokens["admin"]).get_json()
    assert body["numberReturned"] == 10
    big = get(client, "/ogc/collections/incidents/items?limit=99999", tokens["admin"]).get_json()
    assert big["numberReturned"] == big["numberMatched"]
    assert not any(link["rel"] == "next" for link in big["links"])
    past = get(client, "/ogc/collections/incidents/items?offset=100000", tokens["admin"]).get_json()
    assert past["numberReturned"] == 0 and past["numberMatched"] == big["numberMatched"]
    for bad in ("limit=0", "limit=x", "offset=-1", "bbox=1,2,3", "bbox=107,11,106,12",
                "datetime=2024-13-01", "datetime=2024-06-01/2024-01-01", "f=xml"):
        get(client, f"/ogc/collections/incidents/items?{bad}", tokens["admin"], status=400)


@pytest.mark.parametrize("bad", ["offset=99999999999999999999", "offset=1000000001", "offset=-1",
                                 "limit=-5", "limit=0", "limit=1e30"])
def test_paging_out_of_range_gets_a_400_naming_the_range(client, tokens, bad):
    response = get(client, f"/ogc/collections/incidents/items?{bad}", tokens["admin"], status=400)
    assert "from 1 to 10000" in response.get_json()["error"]
    assert "from 0 to 1000000000" in response.get_json()["error"]


def test_a_huge_limit_is_served_as_the_largest(client, tokens):
    body = get(client, "/ogc/collections/incidents/items?limit=99999999999999999999&offset=1000000000",
               tokens["admin"]).get_json()
    assert body["numberReturned"] == 0 and "limit=10000" in body["links"][0]["href"]


def test_point_reads_and_refusals_are_audited(client, tokens, conn):
    before = sql_count(conn, "SELECT coalesce(max(id), 0) FROM audit_log")
    get(client, "/ogc/collections/sites/items?limit=3", tokens["analyst"])
    incident = sql_count(conn, "SELECT min(id) FROM incident WHERE geom IS NOT NULL")
    get(client, f"/ogc/collections/incidents/items/{incident}", tokens["analyst"])
    get(client, f"/ogc/collections/{COMMUNES}/items?limit=3", tokens["analyst"])
    get(client, "/ogc/collections/sites/items", tokens["viewer"], status=403)
    rows = conn.execute(text("SELECT actor, action, target, detail FROM audit_log WHERE id > :b ORDER BY id"),
                        {"b": before}).all()
    reads = [(r.actor, r.detail["collection"]) for r in rows if r.action == "read.ogc"]
    assert ("ogc-analyst", "sites") in reads and all(c != COMMUNES for _, c in reads)
    assert [(r.detail["collection"], r.detail["returned"]) for r in rows if r.action == "read.ogc"] == [
        ("sites", 3), ("incidents", 1)]
    assert [(r.actor, r.target) for r in rows if r.action == "forbidden"] == [
        ("ogc-viewer", "/ogc/collections/sites/items")]


def test_bbox_filter_matches_sql(client, tokens, conn):
    # around the first located incident (the mean of all may fall between the two former
    # provinces, where there are none)
    cx, cy = conn.execute(text("SELECT ST_X(geom), ST_Y(geom) FROM incident WHERE geom IS NOT NULL "
                               "ORDER BY id LIMIT 1")).one()
    bbox = (cx - 0.1, cy - 0.08, cx + 0.12, cy + 0.1)
    expected = sql_count(conn, INCIDENTS_SQL + " AND ST_X(geom) BETWEEN :a AND :c "
                         "AND ST_Y(geom) BETWEEN :b AND :d", a=bbox[0], b=bbox[1], c=bbox[2], d=bbox[3])
    query = ",".join(f"{v:.6f}" for v in bbox)
    body = get(client, f"/ogc/collections/incidents/items?bbox={query}&limit=10000",
               tokens["admin"]).get_json()
    assert 0 < expected < sql_count(conn, INCIDENTS_SQL)
    assert body["numberMatched"] == body["numberReturned"] == expected
    for feature in body["features"]:
        x, y = feature["geometry"]["coordinates"]
        assert bbox[0] <= x <= bbox[2] and bbox[1] <= y <= bbox[3]
    communes = get(client, f"/ogc/collections/{COMMUNES}/items?bbox={query}", tokens["admin"]).get_json()
    assert communes["numberMatched"] == sql_count(
        conn, "SELECT count(*) FROM admin_unit WHERE vintage_id = '75:2025-07-01' AND level = 'commune' "
        "AND ST_Intersects(geom, ST_MakeEnvelope(:a, :b, :c, :d, 4326))",
        a=bbox[0], b=bbox[1], c=bbox[2], d=bbox[3])
    assert 0 < communes["numberMatched"] < 95


@pytest.mark.parametrize(("value", "where"), [
    ("2024-01-01/2024-06-30", "event_date BETWEEN '2024-01-01' AND '2024-06-30'"),
    ("2024-01-01T00:00:00Z/..", "event_date >= '2024-01-01'"),
    ("../2023-03-31", "event_date <= '2023-03-31'"),
])
def test_datetime_filter_matches_sql(client, tokens, conn, value, where):
    expected = sql_count(conn, f"{INCIDENTS_SQL} AND {where}")
    body = get(client, f"/ogc/collections/incidents/items?datetime={value}&limit=10000",
               tokens["admin"]).get_json()
    assert body["numberMatched"] == body["numberReturned"] == expected
    assert 0 < expected < sql_count(conn, INCIDENTS_SQL)


def test_datetime_instant_and_inspections(client, tokens, conn):
    day = conn.execute(text("SELECT event_date FROM incident WHERE geom IS NOT NULL "
                            "GROUP BY event_date ORDER BY count(*) DESC, event_date LIMIT 1")).scalar_one()
    body = get(client, f"/ogc/collections/incidents/items?datetime={day.isoformat()}",
               tokens["admin"]).get_json()
    assert body["numberMatched"] == sql_count(conn, INCIDENTS_SQL + " AND event_date = :d", d=day) >= 1
    assert {f["properties"]["event_date"] for f in body["features"]} == {day.isoformat()}
    inspections = get(client, "/ogc/collections/inspections/items?datetime=2024-01-01/2024-12-31",
                      tokens["admin"]).get_json()
    assert inspections["numberMatched"] == sql_count(
        conn, "SELECT count(*) FROM inspection r JOIN establishment e ON e.id = r.establishment_id "
        "WHERE e.geom IS NOT NULL AND r.inspection_date BETWEEN '2024-01-01' AND '2024-12-31'")
    assert set(inspections["features"][0]["properties"]) == {
        "inspection_id", "inspection_date", "establishment_type", "outcome", "fine_vnd"}
    sites = get(client, "/ogc/collections/sites/items?limit=1", tokens["admin"]).get_json()
    assert set(sites["features"][0]["properties"]) == {"site_id", "site_kind"}
    assert sites["numberMatched"] == sql_count(conn, "SELECT count(*) FROM site WHERE geom IS NOT NULL")


def test_single_items_and_404s(client, tokens, conn):
    code, name = conn.execute(text("SELECT code, name FROM admin_unit WHERE vintage_id = '75:2025-07-01' "
                                   "AND level = 'commune' ORDER BY code LIMIT 1")).one()
    commune = get(client, f"/ogc/collections/{COMMUNES}/items/{code}", tokens["viewer"]).get_json()
    assert commune["id"] == code and commune["properties"]["name"] == name
    assert set(commune["properties"]) == {"commune_code", "name", "unit_type", "district_code"}
    assert commune["geometry"]["type"] == "MultiPolygon"
    first = conn.execute(text("SELECT min(id) FROM incident WHERE geom IS NOT NULL")).scalar_one()
    incident = get(client, f"/ogc/collections/incidents/items/{first}", tokens["admin"]).get_json()
    assert incident["id"] == first and incident["properties"]["incident_id"] == first
    for path in ("/ogc/collections/nope", "/ogc/collections/nope/items", "/ogc/collections/incidents/items/0",
                 "/ogc/collections/incidents/items/abc", f"/ogc/collections/{COMMUNES}/items/99999",
                 "/ogc/collections/communes-1900-01-01/items"):
        missing = get(client, path, tokens["admin"], status=404)
        assert missing.get_json()["status"] == 404  # GIS clients get JSON, not an HTML page


def test_tokens_wrong_revoked_and_missing(client, engine, tokens):
    get(client, "/ogc/collections", tokens["admin"])
    assert get(client, "/api/vintages", tokens["admin"]).get_json()[0]["id"]
    for path in ("/ogc/collections", "/api/vintages"):
        wrong = get(client, path, tokens["admin"] + "x", status=401)
        assert wrong.get_json()["status"] == 401 and wrong.location is None
        assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    spare = issue_token(engine, ANALYST[0])
    get(client, "/ogc/collections/incidents", spare)
    assert revoke_token(engine, spare) and not revoke_token(engine, spare)
    get(client, "/ogc/collections/incidents", spare, status=401)
    anonymous = client.get("/ogc/collections")
    assert anonymous.status_code == 401 and anonymous.location is None
    basic = client.get("/ogc/", headers={"Authorization": "Basic YWRtaW46eA=="})
    assert basic.status_code == 401


def test_tokens_are_stored_hashed_and_used_times_kept(engine, conn, tokens):
    stored = conn.execute(text("SELECT token_sha256, last_used_at FROM api_token")).all()
    assert len(stored) >= 3 and all(len(h) == 64 for h, _ in stored)
    assert not any(tokens["viewer"] in str(row) for row in stored)
    assert any(used is not None for _, used in stored)
    logged = conn.execute(text("SELECT detail::text, coalesce(target, '') FROM audit_log")).all()
    assert not any(token in str(row) for row in logged for token in tokens.values())


def test_cli_users_token_prints_a_working_token(client, db_url, conn):
    result = run_cli(db_url, "users", "token", ADMIN[0])
    token = result.stdout.strip()
    assert result.exit_code == 0 and len(token) >= 43 and "\n" not in token
    assert get(client, "/ogc/collections", token).get_json()["collections"]
    assert conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'users.token' "
                             "AND target = :u"), {"u": ADMIN[0]}).scalar_one() >= 1
    assert run_cli_error(db_url, "nobody-here")


def run_cli_error(db_url, name):
    from click.testing import CliRunner

    from webapp.cli import main

    result = CliRunner().invoke(main, ["users", "token", name], env={"DATABASE_URL": db_url})
    return result.exit_code == 1 and "no active user" in result.output


def test_viewer_sees_commune_layers_only(client, tokens, conn):
    listed = get(client, "/ogc/collections", tokens["viewer"]).get_json()["collections"]
    vintages = conn.execute(text("SELECT count(DISTINCT vintage_id) FROM admin_unit "
                                 "WHERE level = 'commune'")).scalar_one()
    assert [c["id"] for c in listed if not c["id"].startswith("communes-")] == []
    assert len(listed) == vintages >= 2
    for layer in ("incidents", "inspections", "sites"):
        get(client, f"/ogc/collections/{layer}", tokens["viewer"], status=403)
        get(client, f"/ogc/collections/{layer}/items", tokens["viewer"], status=403)
        get(client, f"/ogc/collections/{layer}/items/1", tokens["viewer"], status=403)
    page = get(client, f"/ogc/collections/{COMMUNES}/items?limit=200", tokens["viewer"]).get_json()
    assert page["numberMatched"] == page["numberReturned"] == 95
    analyst = get(client, "/ogc/collections", tokens["analyst"]).get_json()["collections"]
    assert {"incidents", "inspections", "sites"} <= {c["id"] for c in analyst}


@pytest.fixture(scope="module")
def gdal_env(tokens):
    """Environment passing the admin's token to GDAL as GDAL_HTTP_HEADERS (honoured by GDAL 3.6)."""
    if not (shutil.which("ogrinfo") and shutil.which("ogr2ogr")):
        unavailable("GDAL's ogrinfo and ogr2ogr (apt-get install gdal-bin)")
    return {**os.environ, "GDAL_HTTP_HEADERS": f"Authorization: Bearer {tokens['admin']}",
            "GDAL_HTTP_TIMEOUT": "30"}


@pytest.fixture(scope="module")
def header_file_env(tokens, tmp_path_factory):
    """Environment passing the token through GDAL_HTTP_HEADER_FILE.

    GDAL 3.12's OAPIF driver (pyogrio's) sets its own request headers and ignores
    GDAL_HTTP_HEADERS; a header file works with both GDAL 3.6 and 3.12.
    """
    path = tmp_path_factory.mktemp("gdal") / "headers.txt"
    path.write_text(f"Authorization: Bearer {tokens['admin']}\n")
    return {**os.environ, "GDAL_HTTP_HEADER_FILE": str(path), "GDAL_HTTP_TIMEOUT": "30"}


def test_ogrinfo_counts_incidents_through_oapif(live_server, gdal_env, conn):
    out = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{live_server}/ogc", "incidents"],
                         capture_output=True, text=True, env=gdal_env, timeout=120)
    assert out.returncode == 0, out.stderr
    assert f"Feature Count: {sql_count(conn, INCIDENTS_SQL)}" in out.stdout
    assert "incident_kind" in out.stdout and "persons" not in out.stdout
    refused = subprocess.run(["ogrinfo", "-ro", "-so", f"OAPIF:{live_server}/ogc", "incidents"],
                             capture_output=True, text=True, timeout=120,
                             env={**gdal_env, "GDAL_HTTP_HEADERS": "Authorization: Bearer wrong"})
    assert refused.returncode != 0


@pytest.mark.parametrize("how", ["headers", "header_file"])
def test_ogr2ogr_copies_communes_to_geopackage(live_server, gdal_env, header_file_env, conn, tmp_path, how):
    out = tmp_path / "communes.gpkg"
    copied = subprocess.run(["ogr2ogr", "-f", "GPKG", str(out), f"OAPIF:{live_server}/ogc", COMMUNES],
                            capture_output=True, text=True, timeout=300,
                            env=gdal_env if how == "headers" else header_file_env)
    assert copied.returncode == 0, copied.stderr
    info = subprocess.run(["ogrinfo", "-ro", "-al", "-so", str(out)], capture_output=True, text=True,
                          timeout=60)
    assert "Feature Count: 95" in info.stdout, info.stdout
    names = conn.execute(text("SELECT name FROM admin_unit WHERE vintage_id = '75:2025-07-01' "
                              "AND level = 'commune' ORDER BY code")).scalars().all()
    accented = next(n for n in names if any(ch in n for ch in "ăâđêôơưĐ"))
    one = subprocess.run(["ogrinfo", "-ro", "-al", "-q", "-where", f"name = '{accented}'", str(out)],
                         capture_output=True, text=True, timeout=60)
    assert one.returncode == 0 and f"name (String) = {accented}" in one.stdout, one.stdout


PYOGRIO_SCRIPT = """
import sys
import pyogrio
url = sys.argv[1]
print(pyogrio.__gdal_version_string__)
print(pyogrio.read_info(url, layer="incidents")["features"])
print(len(pyogrio.read_dataframe(url, layer="incidents", bbox=tuple(map(float, sys.argv[2].split(","))))))
"""


def test_pyogrio_gdal_312_reads_from_another_process(live_server, header_file_env, conn):
    # Never from this process: pyogrio reading a server thread of its own process deadlocks.
    bbox = (106.8, 10.9, 107.0, 11.1)
    out = subprocess.run([sys.executable, "-c", PYOGRIO_SCRIPT, f"OAPIF:{live_server}/ogc",
                          ",".join(map(str, bbox))],
                         capture_output=True, text=True, env=header_file_env, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    version, count, in_bbox = out.stdout.split()
    assert int(count) == sql_count(conn, INCIDENTS_SQL)
    assert int(in_bbox) == sql_count(conn, INCIDENTS_SQL + " AND ST_Intersects(geom, "
                                     "ST_MakeEnvelope(106.8, 10.9, 107.0, 11.1, 4326))") > 0
    assert version.startswith("3.")
