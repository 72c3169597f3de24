"""An editor attests a commune's criteria in Debian's Chromium: list, form, saved state, offline."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.helpers import add_user, screenshot

pytestmark = [pytest.mark.postgis, pytest.mark.browser, pytest.mark.usefixtures("fresh")]

EDITOR = ("editor-browser-attest", "editor-browser-attest-password")


@pytest.fixture(scope="module")
def editor(db_url, loaded):
    return add_user(db_url, EDITOR, "editor")


def test_an_editor_attests_a_commune_through_the_page(watched_page, live_server, editor, engine):
    with engine.connect() as c:
        code = c.execute(text("""
            SELECT u.code FROM admin_unit u WHERE u.vintage_id = '75:2010-02-06' AND u.level = 'commune'
              AND NOT EXISTS (SELECT 1 FROM criterion_assessment a
                              WHERE a.unit_id = u.id AND a.period = '2018')
            ORDER BY u.code DESC LIMIT 1""")).scalar_one()
    page = watched_page
    page.goto(f"{live_server}/login?next=/attest%3Fperiod%3D2018")
    page.fill("#username", editor[0])
    page.fill("#password", editor[1])
    page.click("button[type=submit]")
    page.wait_for_selector("#attest-table")
    assert page.locator('#main-nav a[data-endpoint="attest.index"]').count() == 1
    row = page.locator(f'#attest-table tr[data-code="{code}"]')
    assert row.locator('td[data-criterion="P8"]').get_attribute("data-state") == "missing"
    row.locator("a").first.click()
    page.wait_for_selector("#attest-form")
    assert page.locator("#attest-privacy").is_visible()
    page.check("#holds-P8-yes")
    page.check("#holds-P9-yes")
    page.fill("#value-P9", "3")
    page.select_option("#office", "ubnd_xa")
    page.fill("#attested_on", "19/12/2018")
    page.click("#attest-submit")
    page.wait_for_selector(".attest-flash")
    assert "2 xác nhận" in page.locator(".attest-flash").first.inner_text()
    assert page.locator("#criterion-P8 .current").get_attribute("data-state") == "holds"
    assert "UBND xã, 19/12/2018" in page.locator("#criterion-P9 .current").inner_text()
    screenshot(page, "attest-commune.png")
    page.click("#attest-back")
    page.wait_for_selector("#attest-table")
    assert row.locator('td[data-criterion="P9"]').get_attribute("data-state") == "holds"
    with engine.connect() as c:
        stored = c.execute(text("""
            SELECT a.criterion_id, a.holds, a.value, a.assessed_by FROM criterion_assessment a
            JOIN admin_unit u ON u.id = a.unit_id WHERE u.code = :c AND u.vintage_id = '75:2010-02-06'
              AND a.period = '2018' ORDER BY a.criterion_id"""), {"c": code}).all()
    assert [tuple(r) for r in stored] == [("P8", True, None, "ubnd_xa"), ("P9", True, 3.0, "ubnd_xa")]
    assert page.errors == [] and page.failures == [] and page.foreign == []
