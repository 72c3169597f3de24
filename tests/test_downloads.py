"""Downloads from /reports: exports by role read back with GDAL, audit rows, CSRF, no file left behind."""

import re
import subprocess
import tempfile
from pathlib import Path

import pyogrio
import pytest
from sqlalchemy import text

from tests.helpers import ADMIN, ANALYST, VIEWER, form_token

pytestmark = [pytest.mark.postgis, pytest.mark.gdal]

PERIOD, VINTAGE, START, END = "2018", "75:2010-02-06", "2018-01-01", "2019-01-01"


def token(client) -> str:
    page = client.get("/reports")
    assert page.status_code == 200
    return form_token(page.text)


def download(client, *layers, fmt="gpkg", **form):
    data = {"csrf_token": token(client), "layers": list(layers), "format": fmt, "crs": "EPSG:4326",
            "period": PERIOD, "vintage": VINTAGE, **form}
    return client.post("/reports/export", data=data)


def scalar(engine, sql: str, **params):
    with engine.connect() as c:
        return c.execute(text(sql), {"v": VINTAGE, "s": START, "e": END, **params}).scalar_one()


def audit_rows(engine, actor: str, action: str) -> int:
    return scalar(engine, "SELECT count(*) FROM audit_log WHERE actor = :a AND action = :x",
                  a=actor, x=action)


def test_analyst_geopackage_reads_back_with_gdal(analyst, engine, ogrinfo, tmp_path):
    response = download(analyst, "communes", "incidents")
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/geopackage+sqlite3"
    assert "attachment" in response.headers["Content-Disposition"]
    path = tmp_path / "download.gpkg"
    path.write_bytes(response.data)
    summary = subprocess.run([ogrinfo, "-ro", "-so", "-al", str(path)], capture_output=True, text=True,
                             timeout=120, check=True).stdout
    assert re.findall(r"Layer name: (\w+)", summary) == ["communes", "incidents"]
    expected = [scalar(engine, "SELECT count(*) FROM admin_unit WHERE vintage_id = :v AND level = 'commune'"),
                scalar(engine, "SELECT count(*) FROM incident WHERE event_date >= :s AND event_date < :e")]
    assert [int(n) for n in re.findall(r"Feature Count: (\d+)", summary)] == expected
    assert expected[1] > 0


def test_viewer_is_refused_point_layers_and_names(viewer):
    for layer in ("sites", "establishments", "incidents", "inspections"):
        assert download(viewer, layer).status_code == 403, layer
    assert download(viewer, "communes", with_names="1").status_code == 403


def test_viewer_gets_the_public_commune_layer(viewer, analyst, engine, tmp_path):
    before = audit_rows(engine, VIEWER[0], "export")
    response = download(viewer, "communes")  # no public flag sent: a viewer's export is public anyway
    assert response.status_code == 200, response.text
    (tmp_path / "viewer.gpkg").write_bytes(response.data)
    public = pyogrio.read_dataframe(tmp_path / "viewer.gpkg")
    assert len(public) == scalar(engine, "SELECT count(*) FROM admin_unit WHERE vintage_id = :v "
                                         "AND level = 'commune'")
    full = analyst.post("/reports/export", data={"csrf_token": token(analyst), "layers": "communes",
                                                 "format": "gpkg", "period": PERIOD, "vintage": VINTAGE})
    (tmp_path / "analyst.gpkg").write_bytes(full.data)
    internal = pyogrio.read_dataframe(tmp_path / "analyst.gpkg").set_index("commune_code")["incidents"]
    small = set(internal[internal.isin([1, 2])].index)
    assert small  # there is something to hide
    shown = public.set_index("commune_code")["incidents"]
    assert set(shown[shown == "<3"].index) == small
    assert not shown.isin(["1", "2"]).any()
    assert audit_rows(engine, VIEWER[0], "export") == before + 1
    detail = scalar(engine, "SELECT detail FROM audit_log WHERE actor = :a AND action = 'export' "
                            "ORDER BY id DESC LIMIT 1", a=VIEWER[0])
    assert detail["public"] is True and detail["format"] == "gpkg"


def test_state_changing_posts_need_the_csrf_token(analyst):
    form = {"layers": "communes", "format": "gpkg", "period": PERIOD}
    assert analyst.post("/reports/export", data=form).status_code == 400
    assert analyst.post("/reports/briefing", data={"period": PERIOD}).status_code == 400


def test_bad_requests_name_the_problem(analyst):
    several = download(analyst, "communes", "districts", fmt="shp")
    assert several.status_code == 400 and "gpkg" in several.text
    assert download(analyst, "incidents", public="1").status_code == 400
    assert download(analyst, "nothing").status_code == 400
    assert download(analyst, "communes", period="2018-13").status_code == 400


def test_every_format_downloads_and_no_file_is_left_behind(analyst):
    folder = Path(tempfile.gettempdir())
    before = set(folder.glob("diaban-export-*"))
    for fmt, signature in (("gpkg", b"SQLite format 3"), ("shp", b"PK"), ("geojson", b"{"),
                           ("kml", b"<?xml"), ("csv", b"WKT"), ("fgb", b"fgb")):
        response = download(analyst, "districts", fmt=fmt)
        assert response.status_code == 200, (fmt, response.text)
        assert response.data.startswith(signature), fmt
    assert set(folder.glob("diaban-export-*")) == before


def test_the_page_offers_layers_by_role(analyst, viewer):
    assert 'id="layer-incidents"' in analyst.get("/reports").text
    page = viewer.get("/reports").text
    assert 'id="layer-communes"' in page and 'id="layer-incidents"' not in page
    assert 'id="briefing-form"' not in page and 'id="briefing-role"' in page


def test_briefing_pdf_download(analyst, viewer, engine):
    before = audit_rows(engine, ANALYST[0], "report")
    response = analyst.post("/reports/briefing", data={"csrf_token": token(analyst), "period": PERIOD,
                                                       "lang": "en", "public": "1"})
    assert response.status_code == 200, response.text
    assert response.mimetype == "application/pdf" and response.data.startswith(b"%PDF")
    assert response.headers["Content-Disposition"].endswith("-en-public.pdf")
    assert audit_rows(engine, ANALYST[0], "report") == before + 1
    refused = viewer.post("/reports/briefing", data={"csrf_token": token(viewer), "period": PERIOD})
    assert refused.status_code == 403


@pytest.mark.browser
def test_the_browser_shows_progress_then_saves_the_pdf(page, live_server):
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live_server}/login?next=/reports")
    page.fill("#username", ADMIN[0])
    page.fill("#password", ADMIN[1])
    page.click("button[type=submit]")
    page.fill("#briefing-period", PERIOD)
    status = page.locator("#briefing-form .download-status")
    with page.expect_download(timeout=180_000) as info:
        page.click("#briefing-form button[type=submit]")
        page.wait_for_selector("#briefing-form .download-status[data-state=working] .spinner-border")
        assert "Đang tạo" in status.inner_text()
        assert page.locator("#briefing-form button[type=submit]").is_disabled()
    download = info.value
    assert download.suggested_filename == f"diaban-bao-cao-{PERIOD}-vi.pdf"
    assert Path(download.path()).read_bytes().startswith(b"%PDF")
    page.wait_for_selector("#briefing-form .download-status[data-state=done]")
    assert "Đã tải về" in status.inner_text() and errors == []
