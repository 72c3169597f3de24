"""The web app through Flask's test client: login, the map page, the API."""

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.helpers import ADMIN, add_user, form_token, login, run_cli
from webapp.assets import remote_urls

pytestmark = pytest.mark.postgis
STATIC = Path(__file__).resolve().parents[1] / "webapp" / "static"


def test_healthz_answers_without_login(client, engine):
    from alembic.script import ScriptDirectory

    from geo.store.schema import alembic_config

    head = ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    body = client.get("/healthz").get_json()
    assert body == {"status": "ok", "database": "ok", "schema": head}


@pytest.mark.parametrize("path", ["/", "/api/communes", "/api/vintages"])
def test_everything_else_needs_a_login(client, path):
    response = client.get(path)
    if path.startswith("/api/"):
        assert response.status_code == 401 and response.get_json()["status"] == 401
    else:
        assert response.status_code == 302 and "/login" in response.location


def test_wrong_password_is_refused_and_audited(client, conn):
    assert login(client, "admin-test", "wrong-password").status_code == 401
    assert client.get("/").status_code == 302
    failed = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'login.failed' "
                               "AND actor = 'admin-test'")).scalar_one()
    assert failed >= 1


def test_login_form_needs_its_token(client):
    response = client.post("/login", data={"username": "admin-test", "password": "x"})
    assert response.status_code == 400


def script_block(page: str, block_id: str):
    """The JSON of ``<script type="application/json" id=block_id>`` in ``page``."""
    found = re.search(rf'<script type="application/json" id="{block_id}">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def test_map_page_states_its_period_vintage_and_data_and_loads_nothing_remote(auth_client, conn):
    page = auth_client.get("/?period=2018&vintage=2010-02-06").text
    assert remote_urls(page) == []
    for ref in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        assert (STATIC / ref.removeprefix("/static/")).is_file(), ref
    assert 'id="map-meta"' in page and "2018-01-01" in page and "2010-02-06" in page and "Dữ liệu đến" in page
    assert 'id="synthetic-banner"' in page and 'id="period-slider"' in page and 'id="commune-table"' in page
    communes = conn.execute(text("SELECT count(*) FROM admin_unit WHERE vintage_id = '75:2010-02-06' "
                                 "AND level = 'commune'")).scalar_one()
    geometry = script_block(page, "map-geometry")
    assert len(geometry["communes"]["features"]) == communes == 171 + 111  # with former Bình Phước
    assert len(geometry["outlines"]["features"]) == 11 + 11  # the districts of both former provinces
    config = script_block(page, "map-config")
    assert config["series"]["current"] == "2018" and config["vintage"] == "75:2010-02-06"
    assert set(config["series"]["incidents"]) == {f["properties"]["commune_code"]
                                                  for f in geometry["communes"]["features"]}


def test_map_defaults_to_the_last_closed_half_year_on_its_vintage(auth_client):
    page = auth_client.get("/").text
    assert re.search(r"<b>\d{4}-H[12]</b>", page)
    assert re.fullmatch(r"\d{4}-H[12]", script_block(page, "map-config")["series"]["current"])


def test_map_speaks_english_on_request(auth_client):
    page = auth_client.get("/?lang=en&period=2018").text
    assert '<html lang="en">' in page and "SYNTHETIC DEMO DATA" in page
    config = script_block(page, "map-config")
    assert config["text"]["map_layer_status"] == "Commune status (healthy)"
    assert config["labels"]["status"]["not_healthy"] == "Not healthy"
    assert "Tiếng Việt" in page
    back = auth_client.get("/?lang=vi&period=2018").text
    assert script_block(back, "map-config")["labels"]["status"]["not_healthy"] == "Chưa lành mạnh"


def page_weight(client, path: str) -> tuple[int, int]:
    """Bytes of the page and of everything it links (scripts, stylesheets), as a browser loads them."""
    page = client.get(path)
    assert page.status_code == 200
    total = len(page.data)
    for ref in re.findall(r'(?:src|href)="(/static/[^"]+)"', page.text):
        with client.get(ref) as asset:
            total += len(asset.data)
    return len(page.data), total


def test_every_script_module_is_linked_so_the_weight_counts_it(auth_client):
    page = auth_client.get("/?period=2018").text
    imported, todo = set(), ["map.js"]
    while todo:  # map.js and what it imports, transitively
        source = (STATIC / "app" / todo.pop()).read_text()
        found = set(re.findall(r'from "\./([\w-]+\.js)"', source)) - imported
        imported |= found
        todo.extend(found)
    assert imported == {"util.js", "themes.js", "overlays.js", "panel.js"}
    assert all(f'rel="modulepreload" href="/static/app/{name}"' in page for name in imported)
    assert '<script type="module" src="/static/app/map.js">' in page


@pytest.mark.parametrize("path", ["/?period=2018&vintage=2010-02-06", "/?period=2025-H2&vintage=2025-07-01",
                                  "/?period=2016-01&vintage=2010-02-06"])
def test_the_first_map_page_weighs_less_than_2_mb(auth_client, path):
    html, total = page_weight(auth_client, path)
    print(f"{path}: page {html / 1e6:.2f} MB, with its scripts and styles {total / 1e6:.2f} MB")
    assert total < 2_000_000


def test_a_viewer_page_has_no_point_and_no_point_endpoint(app, viewer):
    page = viewer.get("/?period=2018&vintage=2010-02-06").text
    config = script_block(page, "map-config")
    assert config["points"] is False
    assert "sites" not in config["api"] and "establishments" not in config["api"]
    assert "/api/sites" not in page and "/api/establishments" not in page and "DEMO-" not in page
    assert not re.search(r'"type":\s*"(Multi)?Point"', page)
    assert 'data-endpoint="upload.index"' not in page  # an editor's page
    admin = script_block(_admin_page(app), "map-config")
    assert admin["points"] is True and admin["api"]["sites"] == "/api/sites"


def _admin_page(app) -> str:
    client = app.test_client()
    assert login(client).status_code == 302
    return client.get("/?period=2018&vintage=2010-02-06").text


def test_a_bad_layer_gets_a_400(auth_client):
    response = auth_client.get("/?period=2018&layer=heat")
    assert response.status_code == 400
    assert "layer 'heat' is not a map layer; use one of: status, counts, gi, emerging" in response.text


def test_the_navigation_links_the_pages_that_exist(app, auth_client):
    page = auth_client.get("/?period=2018").text
    for endpoint in ("dashboard.index", "upload.index", "review.queue", "reports.index", "admin.audit"):
        assert (f'data-endpoint="{endpoint}"' in page) == (endpoint in app.view_functions), endpoint
    assert re.search(r'class="nav-link active" href="/"', page)


def test_no_basemap_by_default_and_a_configured_one_is_allowed_by_the_policy(app, engine, db_url):
    from webapp import create_app

    assert app.config["BASEMAP_URL"] == ""
    client = app.test_client()
    assert login(client).status_code == 302
    page = client.get("/?period=2018")
    assert script_block(page.text, "map-config")["basemap"] is None
    assert "img-src 'self' data:;" in page.headers["Content-Security-Policy"]
    tiles = "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    other = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": db_url, "ENGINE": engine,
                        "BASEMAP_URL": tiles, "BASEMAP_ATTRIBUTION": "© Example contributors"})
    client = other.test_client()
    assert login(client).status_code == 302
    page = client.get("/?period=2018")
    basemap = script_block(page.text, "map-config")["basemap"]
    assert basemap == {"url": tiles, "attribution": "© Example contributors"}
    assert "img-src 'self' data: https://*.tiles.example.org;" in page.headers["Content-Security-Policy"]
    assert remote_urls(page.text) == []  # tiles are requested by the script, not linked by the page


def test_api_geojson_shape_and_metadata(auth_client):
    body = auth_client.get("/api/communes?period=2025-H2").get_json()
    assert body["type"] == "FeatureCollection" and len(body["features"]) == 95
    props = body["features"][0]["properties"]
    assert set(props) >= {"commune_code", "name", "district_code", "incidents", "inspections"}
    meta = body["metadata"]
    assert meta["vintage"] == "75:2025-07-01" and meta["period"] == "2025-H2"
    assert meta["synthetic"] is True and meta["data_as_of"]


def test_api_full_detail_has_more_vertices(auth_client):
    def vertices(body):
        return len(re.findall(r"\d+\.\d+, \d+\.\d+", str(body["features"])))
    display = auth_client.get("/api/communes?period=2018").get_json()
    full = auth_client.get("/api/communes?period=2018&detail=full").get_json()
    assert full["metadata"]["geometry"] == "full" and vertices(full) > vertices(display)


@pytest.mark.parametrize(("query", "status", "message"), [
    ("period=2018-13", 400, "period '2018-13' is not understood"),
    # A vintage that is not loaded is something asked for that does not exist (a LookupError): 404.
    ("period=2018&vintage=1999", 404,
     "vintage '1999' is not loaded; use one of: 2010-02-06, 2019-04-10, 2024-11-01, 2025-07-01"),
])
def test_bad_parameters_get_a_status_and_a_message_that_names_the_fix(auth_client, query, status, message):
    response = auth_client.get(f"/api/communes?{query}")
    assert response.status_code == status and message in response.get_json()["error"]


def test_an_unknown_vintage_on_a_page_is_a_404_page(auth_client):
    response = auth_client.get("/?period=2018&vintage=1999")
    assert response.status_code == 404 and "vintage '1999' is not loaded" in response.text


def test_vintages_endpoint(auth_client):
    body = auth_client.get("/api/vintages").get_json()
    assert [v["id"] for v in body] == ["75:2010-02-06", "75:2019-04-10", "75:2024-11-01", "75:2025-07-01"]
    assert body[-1]["valid_to"] is None and [v["units"]["commune"] for v in body] == [282, 281, 270, 95]


def _failed_logins(client, username, times, address):
    """``times`` wrong-password logins of ``username`` from ``address``; each must get 401."""
    client.environ_base["REMOTE_ADDR"] = address
    for _ in range(times):
        assert login(client, username, "wrong-password-x").status_code == 401


@pytest.fixture(scope="module")
def throttle_user(db_url):
    return add_user(db_url, ("throttle-user", "throttle-user-password"), "viewer")


def test_failed_logins_of_one_username_from_one_address_are_throttled_and_audited(client, conn,
                                                                                   throttle_user):
    name, password = throttle_user
    _failed_logins(client, name, 5, "203.0.113.10")
    response = login(client, name, password)  # even the right password: paused at this address
    assert response.status_code == 429 and "Quá nhiều lần đăng nhập sai" in response.text
    assert response.text.index("Quá nhiều") < response.text.index("Too many")
    assert client.get("/").status_code == 302
    client.environ_base["REMOTE_ADDR"] = "203.0.113.99"  # the user, elsewhere, is not locked out
    assert login(client, name, password).status_code == 302
    rows = conn.execute(text("SELECT action, detail FROM audit_log WHERE actor = :n ORDER BY id"),
                        {"n": name}).all()
    assert [r.action for r in rows] == ["login.failed"] * 5 + ["login.throttled", "login"]
    assert [r.detail["address"] for r in rows] == ["203.0.113.10"] * 6 + ["203.0.113.99"]
    assert rows[5].detail == {"address": "203.0.113.10", "by_username": 5, "by_address": 5}
    assert all(password not in str(r.detail) and "wrong-password" not in str(r.detail) for r in rows)


def test_failed_logins_from_one_address_are_throttled(client, conn):
    from webapp.auth import LOGIN_MAX_FAILURES_PER_ADDRESS

    for i in range(LOGIN_MAX_FAILURES_PER_ADDRESS):
        _failed_logins(client, f"nobody-{i}", 1, "198.51.100.7")
    response = login(client, ADMIN[0], ADMIN[1])
    assert response.status_code == 429
    client.environ_base["REMOTE_ADDR"] = "198.51.100.8"  # another address is not held back
    assert login(client, ADMIN[0], ADMIN[1]).status_code == 302
    throttled = conn.execute(text("SELECT detail FROM audit_log WHERE action = 'login.throttled' "
                                  "AND actor = :n"), {"n": ADMIN[0]}).scalars().all()
    assert {"address": "198.51.100.7", "by_username": 0, "by_address": 20} in throttled


def test_a_successful_login_clears_the_username_counter(app, db_url):
    name, password = "clears-user", "clears-user-password"
    assert run_cli(db_url, "users", "add", name, "--role", "viewer", "--password-stdin",
                   input=password + "\n").exit_code == 0
    client = app.test_client()
    _failed_logins(client, name, 4, "192.0.2.1")
    assert login(client, name, password).status_code == 302
    client = app.test_client()
    _failed_logins(client, name, 4, "192.0.2.1")  # 8 failures in the window, 4 since the success
    assert login(client, name, password).status_code == 302


def test_logout_needs_the_session_token(auth_client):
    assert auth_client.post("/logout").status_code == 400
    assert auth_client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    page = auth_client.get("/").text  # still logged in
    response = auth_client.post("/logout", data={"csrf_token": form_token(page)})
    assert response.status_code == 302 and response.location.endswith("/login")
    assert auth_client.get("/").status_code == 302


def test_the_login_token_is_renewed_for_the_new_session(client):
    before = form_token(client.get("/login").text)
    assert login(client).status_code == 302
    assert form_token(client.get("/").text) != before


def test_bearer_requests_need_noform_token(client, engine):
    from webapp.accounts import issue_token

    token = issue_token(engine, ADMIN[0])
    response = client.post("/api/communes", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 405  # the method is refused, not the missing token
    assert client.post("/api/communes").status_code == 401


def test_request_bodies_are_limited(app, engine, db_url):
    from webapp import create_app

    assert app.config["MAX_CONTENT_LENGTH"] == 50 * 1024 * 1024
    small = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": db_url,
                        "ENGINE": engine, "MAX_CONTENT_LENGTH": 2048})
    client = small.test_client()
    token = form_token(client.get("/login").text)
    response = client.post("/login", data={"csrf_token": token, "username": "x", "password": "y" * 4096})
    assert response.status_code == 413
    assert login(client).status_code == 302
    response = client.post("/logout", data={"csrf_token": form_token(client.get("/").text),
                                            "padding": "z" * 4096})
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/healthz", "/login", "/", "/api/vintages", "/ogc/collections",
                                  "/no-such-page"])
def test_every_answer_has_the_security_headers(auth_client, path):
    headers = auth_client.get(path).headers
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Referrer-Policy"] == "same-origin"
    policy = dict(part.strip().split(" ", 1) for part in headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'self'" and policy["img-src"] == "'self' data:"
    assert policy["script-src"] == policy["style-src"] == "'self' 'unsafe-inline'"
    assert policy["font-src"] == "'self'" and policy["frame-ancestors"] == "'none'"


def test_anonymous_answers_have_the_security_headers_too(client):
    for path in ("/", "/api/communes"):
        assert client.get(path).headers["X-Frame-Options"] == "DENY"
