"""The map in Debian's Chromium, driven by Playwright: it draws, offline, without errors.

The browser steps (``log_in``, ``screenshot``) live in ``tests/helpers.py`` and conftest's
``watched_page`` serves every browser test. The map's
layers, time slider, panel and roles are exercised in ``test_browser_map.py``.
"""

import pytest

from tests.helpers import communes_of, log_in, screenshot

pytestmark = [pytest.mark.postgis, pytest.mark.browser]


def test_map_draws_every_commune_with_legend_and_no_errors(watched_page, live_server, engine, tmp_path):
    page = watched_page
    log_in(page, live_server, "/?period=2018%26vintage=2010-02-06")
    page.wait_for_selector("path.commune")
    assert page.locator("path.commune").count() == communes_of(engine, "75:2010-02-06")
    page.locator("#legend h3").first.wait_for()
    assert page.locator("#legend").is_visible() and page.locator("#layer-control").is_visible()
    assert page.locator("#synthetic-banner").is_visible()
    meta = page.locator("#map-meta").inner_text()
    assert "75:2010-02-06" in meta and "2018" in meta and "Dữ liệu đến" in meta
    assert page.locator("#commune-table tbody tr").count() == communes_of(engine, "75:2010-02-06")
    screenshot(page, "map-2018.png")
    assert page.errors == [] and page.failures == [] and page.foreign == []


def test_clicking_a_commune_opens_its_panel(watched_page, live_server):
    page = watched_page
    log_in(page, live_server, "/?period=2025-H2")
    page.wait_for_selector("path.commune")
    page.locator("#commune-table tbody tr").nth(3).click()
    panel = page.locator("#panel-commune")
    panel.wait_for()
    code = page.locator("#commune-table tr.selected td").nth(1).inner_text()
    assert f"Mã: {code}" in panel.inner_text() and "Kỳ báo cáo: 2025-H2" in panel.inner_text()
    assert page.locator(f'path.commune[data-code="{code}"]').get_attribute("stroke-width") == "3"
    assert page.errors == [] and page.foreign == []


def test_period_form_changes_the_map(watched_page, live_server, engine):
    page = watched_page
    log_in(page, live_server, "/?period=2018")
    page.wait_for_selector("path.commune")
    page.fill("#period", "2025-H2")
    page.select_option("#vintage", "75:2025-07-01")
    page.click("#filters button[type=submit]")
    page.wait_for_url("**/?period=2025-H2**")
    page.wait_for_selector("path.commune")
    assert page.locator("path.commune").count() == communes_of(engine, "75:2025-07-01") == 95
    assert "2025-H2" in page.locator("#map-meta").inner_text()
    assert page.locator("#district").is_disabled()  # no districts from 2025-07-01
