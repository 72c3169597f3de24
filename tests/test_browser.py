"""The map in Debian's Chromium, driven by Playwright: it draws, offline, without errors."""

import pytest

from tests.conftest import ADMIN

pytestmark = [pytest.mark.postgis, pytest.mark.browser]


@pytest.fixture
def watched_page(page, live_server):
    """A page that records failed requests, page errors and requests leaving the app."""
    page.failures, page.errors, page.foreign = [], [], []
    page.on("requestfailed", lambda r: page.failures.append(f"{r.url} {r.failure}"))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(live_server) else page.foreign.append(r.url))
    return page


def log_in(page, live_server, path="/"):
    page.goto(f"{live_server}/login?next={path}")
    page.fill("#username", ADMIN[0])
    page.fill("#password", ADMIN[1])
    page.click("button[type=submit]")


def test_map_draws_every_commune_with_legend_and_no_errors(watched_page, live_server):
    page = watched_page
    log_in(page, live_server, "/?period=2018%26vintage=2010-02-06")
    page.wait_for_selector("path.leaflet-interactive")
    assert page.locator("path.leaflet-interactive").count() == 171
    assert page.locator("#legend").is_visible()
    assert page.locator(".leaflet-control-layers").is_visible()
    assert page.locator("#synthetic-banner").is_visible()
    assert "2010-02-06" in page.locator("#map-meta").inner_text()
    assert page.errors == [] and page.failures == [] and page.foreign == []


def test_clicking_a_commune_opens_its_popup(watched_page, live_server):
    page = watched_page
    log_in(page, live_server, "/?period=2025-H2")
    page.wait_for_selector("path.leaflet-interactive")
    page.locator("path.leaflet-interactive").nth(40).click(force=True)
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    text = popup.inner_text()
    assert "Số vụ việc" in text and "Lượt kiểm tra" in text and "Mã" in text
    assert page.errors == []


def test_period_form_changes_the_map(watched_page, live_server):
    page = watched_page
    log_in(page, live_server, "/?period=2018")
    page.fill("#period", "2025-H2")
    page.select_option("#vintage", "2025-07-01")
    page.click(".topbar form button[type=submit]")
    page.wait_for_selector("path.leaflet-interactive")
    assert page.locator("path.leaflet-interactive").count() == 95
    assert "2025-H2" in page.locator("#map-meta").inner_text()
