"""The web app through Flask's test client: login, the map page, the API."""

import re
from pathlib import Path

import pytest

from tests.conftest import login
from webapp.assets import remote_urls

pytestmark = pytest.mark.postgis
STATIC = Path(__file__).resolve().parents[1] / "webapp" / "static"


def test_healthz_answers_without_login(client):
    body = client.get("/healthz").get_json()
    assert body == {"status": "ok", "database": "ok", "schema": "0004"}


@pytest.mark.parametrize("path", ["/", "/api/communes", "/api/vintages"])
def test_everything_else_needs_a_login(client, path):
    response = client.get(path)
    if path.startswith("/api/"):
        assert response.status_code == 401 and response.get_json()["status"] == 401
    else:
        assert response.status_code == 302 and "/login" in response.location


def test_wrong_password_is_refused_and_audited(client, conn):
    from sqlalchemy import text

    assert login(client, "admin-test", "wrong-password").status_code == 401
    assert client.get("/").status_code == 302
    failed = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'login.failed' "
                               "AND actor = 'admin-test'")).scalar_one()
    assert failed >= 1


def test_login_form_needs_its_token(client):
    response = client.post("/login", data={"username": "admin-test", "password": "x"})
    assert response.status_code == 400


def test_map_page_states_its_period_vintage_and_data_and_loads_nothing_remote(auth_client):
    page = auth_client.get("/?period=2018&vintage=2010-02-06").text
    assert remote_urls(page) == []
    for ref in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        assert (STATIC / ref.removeprefix("/static/")).is_file(), ref
    assert 'id="legend"' in page and "Số vụ việc trong kỳ" in page
    assert "2018-01-01" in page and "2010-02-06" in page and "Dữ liệu đến" in page
    assert 'id="synthetic-banner"' in page
    assert page.count('"commune_code": "') == 171


def test_map_defaults_to_the_last_closed_half_year_on_its_vintage(auth_client):
    page = auth_client.get("/").text
    assert re.search(r"<b>\d{4}-H[12]</b>", page)


def test_map_speaks_english_on_request(auth_client):
    page = auth_client.get("/?lang=en&period=2018").text
    assert "Incidents in the period" in page and "SYNTHETIC DEMO DATA" in page


def test_api_geojson_shape_and_metadata(auth_client):
    body = auth_client.get("/api/communes?period=2025-H2").get_json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 95
    props = body["features"][0]["properties"]
    assert set(props) >= {"commune_code", "name", "district_code", "incidents", "inspections"}
    meta = body["metadata"]
    assert meta["vintage"] == "2025-07-01" and meta["period"] == "2025-H2"
    assert meta["synthetic"] is True and meta["data_as_of"]


def test_api_full_detail_has_more_vertices(auth_client):
    def vertices(body):
        return len(re.findall(r"\d+\.\d+, \d+\.\d+", str(body["features"])))
    display = auth_client.get("/api/communes?period=2018").get_json()
    full = auth_client.get("/api/communes?period=2018&detail=full").get_json()
    assert full["metadata"]["geometry"] == "full" and vertices(full) > vertices(display)


@pytest.mark.parametrize(("query", "message"), [
    ("period=2018-13", "period '2018-13' is not understood"),
    ("period=2018&vintage=1999", "vintage '1999' is not loaded; use one of: 2010-02-06, 2025-07-01"),
])
def test_bad_parameters_get_a_400_that_names_the_fix(auth_client, query, message):
    response = auth_client.get(f"/api/communes?{query}")
    assert response.status_code == 400 and message in response.get_json()["error"]


def test_vintages_endpoint(auth_client):
    body = auth_client.get("/api/vintages").get_json()
    assert [v["id"] for v in body] == ["2010-02-06", "2025-07-01"]
    assert body[1]["valid_to"] is None and body[0]["units"]["commune"] == 171
