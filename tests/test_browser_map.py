"""The map page in Debian's Chromium: layers, time slider, side panel, language, roles, page weight.

Colours read from the SVG paths are compared with the classes computed here from the API's
numbers; criteria in the panel with the snapshot stored in the database. Every test fails if
the page raised an error or asked another host for anything. Screenshots are kept as
artefacts (``$DIABAN_ARTEFACTS`` or the test's temporary folder).
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from tests.helpers import (
    ANALYST,
    OLD_VINTAGE,
    VIEWER,
    click_commune,
    communes_of,
    log_in,
    newest_snapshot,
    screenshot,
    user_client,
)
from webapp.maps import colour_for

pytestmark = [pytest.mark.postgis, pytest.mark.browser]

OLD = OLD_VINTAGE

FILLS = ("() => Object.fromEntries(Object.entries(diabanMap.communeLayers)"
         ".map(([c, l]) => [c, l.options.fillColor]))")


@pytest.fixture(scope="module")
def viewer_user(app, db_url, loaded):
    user_client(app, db_url, VIEWER, "viewer")
    return VIEWER


def fills(page) -> dict[str, str]:
    return page.evaluate(FILLS)


def series(page) -> dict:
    return page.evaluate("() => diabanMap.state.series")


def open_map(page, live_server, query: str, user=None):
    log_in(page, live_server, "/?" + query.replace("&", "%26"), **({"user": user} if user else {}))
    page.wait_for_selector("path.commune")
    page.wait_for_function("() => window.diabanMap && diabanMap.state.mode")


def choose_layer(page, name: str):
    page.locator("#layer-control label", has_text=name).click()


def test_switching_the_layer_recolours_the_communes(
    watched_page,
    live_server,
    engine,
    classified,
    tmp_path,
):
    page = watched_page
    open_map(page, live_server, f"period=2018&vintage={OLD}&layer=status")
    assert page.locator("path.commune").count() == communes_of(engine, OLD)
    with engine.connect() as conn:
        snapshot = newest_snapshot(conn, "2018", OLD)
        statuses = dict(
            conn.execute(
                text("SELECT commune_code, status FROM classification_result WHERE snapshot_id = :s"),
                {"s": snapshot},
            ).all()
        )
    status_colours = page.evaluate(
        "() => JSON.parse(document.getElementById('map-config').textContent).colours.status"
    )
    assert fills(page) == {c: status_colours[s] for c, s in statuses.items()}
    choose_layer(page, "Số vụ việc")
    page.wait_for_function("() => diabanMap.state.mode === 'counts'")
    data = series(page)
    i = data["periods"].index("2018")
    expected = {c: colour_for(row[i], data["incident_breaks"]) for c, row in data["incidents"].items()}
    assert fills(page) == expected and len(set(expected.values())) >= 4
    assert "layer=counts" in page.url
    legend = page.locator("#legend-mode").inner_text()
    assert "Số vụ việc — 2018" in legend and f"{len(data['periods'])} kỳ" in legend
    choose_layer(page, "Điểm nóng Gi* (lưới ô)")
    page.wait_for_selector("path.grid-cell")
    cells = page.evaluate("() => diabanMap.state.overlays.grid.data.cells.features.length")
    assert page.locator("path.grid-cell").count() == cells > 0
    screenshot(page, "map-layers.png")
    assert page.errors == [] and page.failures == [] and page.foreign == []


def test_the_time_slider_recolours_on_one_scale(watched_page, live_server, tmp_path):
    page = watched_page
    open_map(page, live_server, f"period=2018&vintage={OLD}&layer=counts")
    data = series(page)
    before = fills(page)
    breaks = data["incident_breaks"]
    target = data["periods"].index("2021")
    page.locator("#period-slider").fill(str(target))
    page.wait_for_function("() => document.getElementById('slider-label').textContent === '2021'")
    after = fills(page)
    assert after != before
    assert after == {c: colour_for(row[target], breaks) for c, row in data["incidents"].items()}
    assert series(page)["incident_breaks"] == breaks  # the same classes for every period
    assert "2021-01-01 → 2022-01-01" in page.locator("#meta-period").inner_text()
    assert "period=2021" in page.url and page.locator("#period").input_value() == "2021"
    top = page.locator("#commune-table tbody tr").first.locator("td").nth(4).inner_text()
    assert int(top) == max(row[target] for row in data["incidents"].values())
    page.locator("#slider-prev").click()
    page.wait_for_function("() => document.getElementById('slider-label').textContent === '2020'")
    screenshot(page, "map-slider-2020.png")
    assert page.errors == [] and page.failures == [] and page.foreign == []


def test_clicking_a_commune_shows_its_criteria(
    watched_page,
    live_server,
    engine,
    classified,
    tmp_path,
):
    page = watched_page
    with engine.connect() as conn:
        snapshot = newest_snapshot(conn, "2018", OLD)
        code, name, criteria = conn.execute(
            text("""
            SELECT r.commune_code, u.name, r.criteria FROM classification_result r
            JOIN admin_unit u ON u.code = r.commune_code AND u.vintage_id = :v AND u.level = 'commune'
            WHERE r.snapshot_id = :s AND r.status = 'reduced' ORDER BY u.area_km2 DESC LIMIT 1"""),
            {"s": snapshot, "v": OLD},
        ).one()
    open_map(page, live_server, f"period=2018&vintage={OLD}&layer=status")
    click_commune(page, engine, code, OLD)
    page.locator("#criteria-table").wait_for()
    assert page.locator("#panel-title").inner_text() == name
    assert "Giảm cơ bản" in page.locator("#panel-status").inner_text()
    rows = page.locator("#criteria-table tbody tr")
    assert rows.count() == len(criteria)
    for k, criterion in enumerate(criteria):
        row = rows.nth(k)
        assert row.get_attribute("data-criterion") == criterion["id"]
        result = row.locator("td").nth(3).inner_text()
        assert result == (
            "Thiếu dữ liệu"
            if criterion["value"] is None
            else "✓ Đạt"
            if criterion["passed"]
            else "✗ Không đạt"
        )
        assert row.locator("td").nth(4).inner_text().startswith(str(len(criterion["evidence"])))
    page.locator("#criteria-table details").first.locator("summary").click()
    assert page.locator("#criteria-table details[open] li").count() >= 1
    assert page.locator("#chart-commune").is_visible() and page.locator("#panel-sites").is_visible()
    screenshot(page, "map-panel.png")
    assert page.errors == [] and page.failures == [] and page.foreign == []


def test_the_map_switches_to_english(watched_page, live_server):
    page = watched_page
    open_map(page, live_server, f"period=2018&vintage={OLD}&layer=counts")
    page.locator("#period-slider").fill("0")
    page.wait_for_function("() => document.getElementById('slider-label').textContent === '2016'")
    page.click("#lang-link")
    page.wait_for_selector("path.commune")
    page.wait_for_function("() => window.diabanMap && diabanMap.state.mode")
    assert "lang=en" in page.url and "period=2016" in page.url and "layer=counts" in page.url
    assert "Commune status (healthy)" in page.locator("#layer-control").inner_text()
    assert "Incident count — 2016" in page.locator("#legend").inner_text()
    assert page.locator("#commune-table th").first.inner_text() == "Unit"
    assert "SYNTHETIC DEMO DATA" in page.locator("#synthetic-banner").inner_text()
    assert page.errors == [] and page.foreign == []


def test_an_analyst_sees_sites_and_establishments(watched_page, live_server, app, db_url, tmp_path):
    user_client(app, db_url, ANALYST, "analyst")
    page = watched_page
    open_map(page, live_server, f"period=2018&vintage={OLD}&layer=counts", user=ANALYST)
    page.wait_for_function("() => diabanMap.state.overlays.sites.data !== null")
    sites = page.evaluate("() => diabanMap.state.overlays.sites.data.features.length")
    shown = page.evaluate("() => diabanMap.state.overlays.sites.layer.getLayers().length")
    assert shown == sites > 0
    choose_layer(page, "Cơ sở")
    page.wait_for_function("() => diabanMap.state.overlays.establishments.data !== null", timeout=30_000)
    establishments = page.evaluate("() => diabanMap.state.overlays.establishments.layer.getLayers().length")
    assert establishments == page.evaluate(
        "() => diabanMap.state.overlays.establishments.data.features.length"
    )
    assert page.locator(".marker-cluster").count() > 0  # clustered at the province's zoom
    assert "Không vi phạm" in page.locator("#legend").inner_text()
    screenshot(page, "map-points.png")
    assert page.errors == [] and page.failures == [] and page.foreign == []


def test_a_viewer_sees_no_point_and_the_point_api_refuses(watched_page, live_server, viewer_user, tmp_path):
    page = watched_page
    open_map(page, live_server, f"period=2018&vintage={OLD}", user=viewer_user)
    control = page.locator("#layer-control").inner_text()
    assert "Tụ điểm" not in control and "Cơ sở" not in control
    assert page.locator(".site-icon, .est-icon, .marker-cluster").count() == 0
    assert page.evaluate("() => Object.keys(diabanMap.state.overlays)") == ["grid", "density", "tips"]
    statuses = page.evaluate("""async () => Promise.all(
        ['/api/sites?period=2018', '/api/establishments?period=2018']
        .map((u) => fetch(u).then((r) => r.status)))""")
    assert statuses == [403, 403]
    screenshot(page, "map-viewer.png")
    assert page.errors == [] and page.foreign == []


def test_the_first_page_transfers_under_2_mb_in_the_browser(watched_page, live_server, engine):
    page = watched_page
    log_in(page, live_server, "/healthz")  # log in first, so the measure starts at the map itself
    page.route("**/*", lambda route: route.continue_())  # routing turns the HTTP cache off: count everything
    page.goto(f"{live_server}/?period=2025-H2&vintage=2025-07-01")
    page.wait_for_function("() => window.diabanMap && diabanMap.state.mode")
    page.wait_for_load_state("networkidle")
    sizes = page.evaluate("""() => Object.fromEntries(performance.getEntriesByType('navigation')
        .concat(performance.getEntriesByType('resource')).map((e) => [e.name, e.decodedBodySize]))""")
    total = sum(sizes.values())
    print(
        f"first map page, 2025 vintage: {len(sizes)} responses, {total / 1e6:.2f} MB:",
        {url.split("/", 3)[-1]: size for url, size in sizes.items()},
    )
    assert page.locator("path.commune").count() == communes_of(engine, "75:2025-07-01")
    assert any(url.endswith("/static/app/map.js") for url in sizes)
    assert all(size > 0 for url, size in sizes.items() if not url.endswith("/favicon.ico"))
    assert total < 2_000_000
    assert page.errors == [] and page.failures == [] and page.foreign == []


def test_zooming_in_swaps_in_the_detail_level_without_gaps(watched_page, live_server, engine):
    page = watched_page
    open_map(page, live_server, f"period=2018&vintage={OLD}&layer=counts")
    code = page.evaluate("() => Object.keys(diabanMap.communeLayers)[0]")
    vertices = ("() => Object.values(diabanMap.communeLayers)"
                ".reduce((n, layer) => n + layer.getLatLngs().flat(3).length, 0)")
    coarse = page.evaluate(vertices)
    assert page.evaluate("() => document.body.dataset.detail") is None  # nothing fetched at province zoom
    # the page is ready once diabanMap exists: no animation left to swallow the planner's zoom
    zoom = page.evaluate("(c) => diabanMap.map.setView("
                         "diabanMap.communeLayers[c].getBounds().getCenter(), 13).getZoom()", code)
    assert zoom == 13
    page.wait_for_function("() => document.body.dataset.detail === 'loaded'")
    assert page.evaluate(vertices) > coarse
    assert page.locator("path.commune").count() == communes_of(engine, OLD)  # still one path each
    screenshot(page, "map-detail-zoom13.png")
