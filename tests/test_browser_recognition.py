"""Recognition in Debian's Chromium: an editor records a decision on the page, then finds it in the map panel.

The panel shows the proposal (đề xuất, computed) and the decision (công nhận) side by side; the test
fails if the page raised an error or asked another host for anything. The screenshot of the panel is
kept as an artefact.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.helpers import OLD_VINTAGE as VINTAGE
from tests.helpers import add_user, click_commune, log_in, screenshot

pytestmark = [pytest.mark.postgis, pytest.mark.browser, pytest.mark.usefixtures("decisions_cleared")]

EDITOR = ("editor-recognition", "editor-recognition-password")


@pytest.fixture(scope="module")
def editor_user(db_url, loaded):
    return add_user(db_url, EDITOR, "editor")


def test_an_editor_records_a_decision_and_sees_it_in_the_map_panel(
        watched_page, live_server, engine, editor_user, classified):
    page, snapshot = watched_page, classified
    with engine.connect() as conn:
        code, name = conn.execute(text("""
            SELECT r.commune_code, u.name FROM classification_result r
            JOIN admin_unit u ON u.code = r.commune_code AND u.vintage_id = :v AND u.level = 'commune'
            WHERE r.snapshot_id = :s AND r.status <> 'healthy' ORDER BY u.area_km2 DESC LIMIT 1"""),
            {"s": snapshot, "v": VINTAGE}).one()
    log_in(page, live_server, f"/recognition?year=2018%26vintage={VINTAGE}", user=editor_user)
    page.wait_for_selector("#recognition-table")
    assert page.locator('#main-nav a[data-endpoint="recognition.index"]').count() == 1
    row = page.locator(f"#commune-{code}")
    assert row.get_attribute("data-decision") == ""
    row.locator("details summary").click()
    page.check(f"#yes-{code}")
    page.fill(f"#number-{code}", "321/QĐ-UBND")
    page.fill(f"#date-{code}", "2019-01-20")
    page.fill(f"#by-{code}", "UBND tỉnh")
    assert page.locator(f"#snapshot-{code}").input_value() == str(snapshot)
    row.locator("button[type=submit]").click()
    page.wait_for_selector("#rec-flash")
    assert page.locator(f"#commune-{code}").get_attribute("data-decision") == "recognised"
    assert "321/QĐ-UBND" in page.locator(f"#commune-{code} .decision-ref").inner_text()

    page.goto(f"{live_server}/?period=2018&vintage={VINTAGE}&layer=status")
    page.wait_for_selector("path.commune")
    page.wait_for_function("() => window.diabanMap && diabanMap.state.mode")
    click_commune(page, engine, code)
    page.locator("#panel-recognition").wait_for()
    assert page.locator("#panel-title").inner_text() == name
    decision = page.locator("#panel-decision")
    assert decision.get_attribute("data-decision") == "true"
    assert page.locator("#panel-decision-verdict").inner_text() == "Được công nhận"
    assert "321/QĐ-UBND" in decision.inner_text() and "UBND tỉnh" in decision.inner_text()
    assert "Công nhận 2018" in decision.inner_text()
    proposal = page.locator("#panel-proposal").inner_text()
    assert proposal.startswith("Đề xuất 2018") and f"#{snapshot}" in proposal and "Lành mạnh" not in proposal
    screenshot(page, "map-panel-recognition.png")
    assert page.errors == [] and page.failures == [] and page.foreign == []
