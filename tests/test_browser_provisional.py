"""The map never opens grey: without a snapshot it shows a provisional status, marked as not stored.

In Chromium: the default page (no query) starts on the status layer; a period nobody classified
(2019 on its own layer, that of 2019-04-10) is coloured by the provisional status of the API,
several colours, with "Tạm tính — chưa lưu" in the legend and in the commune panel, and no
shell command anywhere.
"""

from __future__ import annotations

import pytest

from tests.helpers import log_in, screenshot

pytestmark = [pytest.mark.postgis, pytest.mark.browser]

FILLS = ("() => Object.fromEntries(Object.entries(diabanMap.communeLayers)"
         ".map(([c, l]) => [c, l.options.fillColor]))")


def _open(page, live_server, path: str):
    log_in(page, live_server, path)
    page.wait_for_selector("path.commune")
    page.wait_for_function("() => window.diabanMap && diabanMap.state.mode")


def _expected_fills(page) -> dict[str, str]:
    return page.evaluate("""() => {
        const s = diabanMap.state.series.status[diabanMap.state.series.current];
        const colours = JSON.parse(document.getElementById('map-config').textContent).colours.status;
        return Object.fromEntries(Object.keys(diabanMap.communeLayers)
            .map((c) => [c, colours[s.codes[c]]])); }""")


def test_the_default_map_shows_a_status_never_a_shell_command(watched_page, live_server):
    page = watched_page
    _open(page, live_server, "/")
    assert page.evaluate("() => diabanMap.state.mode") == "status"
    assert page.evaluate(FILLS) == _expected_fills(page)
    assert "diaban classify" not in page.locator("#legend").inner_text()
    assert "diaban classify" not in page.locator("#meta-method").inner_text()
    assert page.errors == [] and page.failures == [] and page.foreign == []


def test_an_unclassified_period_is_coloured_provisionally_and_says_so(watched_page, live_server):
    page = watched_page
    _open(page, live_server, "/?period=2019%26vintage=2019-04-10")
    status = page.evaluate("() => diabanMap.state.series.status['2019']")
    assert status["snapshot"] is None and status["provisional"]["stored"] is False
    fills = page.evaluate(FILLS)
    assert fills == _expected_fills(page) and len(set(fills.values())) >= 3  # not a grey map
    assert page.locator("#legend-provisional").inner_text() == "Tạm tính — chưa lưu"
    assert "Tạm tính — chưa lưu" in page.locator("#legend-snapshot").inner_text()
    code = sorted(fills)[0]
    page.evaluate("(c) => diabanMap.selectCommune(c, false)", code)
    page.locator("#criteria-table").wait_for()
    assert "Tạm tính — chưa lưu" in page.locator("#panel-status").inner_text()
    assert page.locator("#panel-status").get_attribute("data-stored") == "0"
    assert "null" not in page.locator("#panel-commune").inner_text()
    gaps = page.evaluate("""async (c) => (await (await fetch(
        `/api/communes/${c}?period=2019&vintage=2019-04-10`)).json()).missing""", code)
    assert page.locator("#panel-missing li").count() == len(gaps)
    screenshot(page, "map-provisional.png")
    assert page.errors == [] and page.failures == [] and page.foreign == []
