"""The dashboard through Flask's test client: figures against SQL written here, roles, filters, offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.helpers import IN_PLAN_PROVINCE, incidents_csv, run_cli
from webapp.assets import remote_urls

pytestmark = pytest.mark.postgis

STATIC = Path(__file__).resolve().parents[1] / "webapp" / "static"
PLAN_VINTAGE = "75:2010-02-06"


@pytest.fixture(scope="module")
def snapshots(db_url, loaded):
    """Classification snapshots of 2017, 2017-Q4 and 2018 on the plan's vintage.

    The quarter is there so the yearly chart is seen to leave it out (one kind of period per chart).
    """
    for period in ("2017", "2017-Q4", "2018"):
        result = run_cli(db_url, "classify", "--period", period, "--vintage", PLAN_VINTAGE)
        assert result.exit_code == 0, result.output


def _rows(page: str, table_id: str) -> dict[str, dict[str, int | None]]:
    """``{data-code (or "total"): {data-col: data-value}}`` of a dashboard table."""
    body = re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)
    out = {}
    for attrs, cells in re.findall(r"<tr ([^>]*)>(.*?)</tr>", body, re.S):
        code = re.search(r'data-code="([^"]*)"', attrs)
        if code is None and "data-total" not in attrs:
            continue
        values = re.findall(r'data-col="([^"]+)" data-value="([^"]*)"', cells)
        out["total" if code is None else code.group(1)] = {c: int(v) if v else None for c, v in values}
    return out


def _district_sql(conn, sql: str, params: dict) -> dict[str, int]:
    return {code: n for code, n in conn.execute(text(sql), params).all()}


_INCIDENTS_BY_DISTRICT = """
SELECT coalesce(d.code, ref.parent_code) AS district, count(*)
FROM incident i
LEFT JOIN admin_unit d ON i.geom IS NOT NULL AND d.vintage_id = :v AND d.level = 'district'
                       AND ST_Covers(d.geom, i.geom)
LEFT JOIN admin_unit ref ON i.geom IS NULL AND ref.id = i.unit_id AND ref.vintage_id = :v
WHERE i.event_date >= :start AND i.event_date < :end
GROUP BY 1"""

_INSPECTIONS_BY_DISTRICT = """
SELECT d.code, count(*) FROM inspection n JOIN establishment e ON e.id = n.establishment_id
JOIN admin_unit d ON d.vintage_id = :v AND d.level = 'district' AND ST_Covers(d.geom, e.geom)
WHERE n.inspection_date >= :start AND n.inspection_date < :end GROUP BY 1"""

_ESTABLISHMENTS_BY_DISTRICT = """
SELECT d.code, count(*) FROM establishment e
JOIN admin_unit d ON d.vintage_id = :v AND d.level = 'district' AND ST_Covers(d.geom, e.geom)
GROUP BY 1"""

_NEWEST = """SELECT max(id) FROM classification_snapshot
             WHERE period = :p AND vintage_id = :v AND convention = 'calendar'"""

_STATUS_BY_DISTRICT = """
SELECT u.parent_code, r.status, count(*) FROM classification_result r
JOIN admin_unit u ON u.code = r.commune_code AND u.vintage_id = :v AND u.level = 'commune'
WHERE r.snapshot_id = (""" + _NEWEST + """) GROUP BY 1, 2"""


def test_the_district_table_matches_sql_written_here(analyst, engine, snapshots):
    page = analyst.get(f"/dashboard?period=2018&vintage={PLAN_VINTAGE}").text
    rows = _rows(page, "district-table")
    params = {"v": PLAN_VINTAGE, "start": "2018-01-01", "end": "2019-01-01", "p": "2018"}
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM establishment WHERE geom IS NULL")).scalar_one() == 0
        incidents = _district_sql(conn, _INCIDENTS_BY_DISTRICT, params)
        inspections = _district_sql(conn, _INSPECTIONS_BY_DISTRICT, params)
        establishments = _district_sql(conn, _ESTABLISHMENTS_BY_DISTRICT, params)
        statuses = conn.execute(text(_STATUS_BY_DISTRICT), params).all()
        districts = conn.execute(text("SELECT code FROM admin_unit WHERE vintage_id = :v "
                                      "AND level = 'district'"), params).scalars().all()
    assert set(rows) == {*districts, "total"} and len(districts) == 11 + 11  # and former Bình Phước's
    assert None not in incidents  # every 2018 incident lies in a district of the vintage
    for code in districts:
        assert rows[code]["incidents"] == incidents.get(code, 0), code
        assert rows[code]["inspections"] == inspections.get(code, 0), code
        assert rows[code]["establishments"] == establishments.get(code, 0), code
    for district, status, n in statuses:
        assert rows[district][status] == n, (district, status)
    assert rows["total"]["incidents"] == sum(incidents.values()) > 0
    assert rows["total"]["healthy"] == sum(n for _, s, n in statuses if s == "healthy") > 0
    source = re.search(r'id="status-source">(.*?)</p>', page, re.S).group(1)
    assert "#" in source and "nqlt-01-2008-provisional" in source


def _target_cell(page: str, target: str, year: int) -> float:
    """The value a targets-table cell carries (cumulative for totals)."""
    row = re.search(rf'<tr data-target="{target}">(.*?)</tr>', page, re.S).group(1)
    return float(re.search(rf'data-year="{year}" data-value="([^"]*)"', row).group(1))


def test_the_healthy_share_series_and_the_plan_targets_match_sql(analyst, engine, snapshots):
    page = analyst.get(f"/dashboard?period=2018&vintage={PLAN_VINTAGE}").text
    with engine.connect() as conn:
        expected = {}
        for period in ("2017", "2018"):
            counts = dict(conn.execute(text(
                "SELECT status, count(*) FROM classification_result WHERE snapshot_id = (" + _NEWEST + ") "
                "GROUP BY 1"), {"p": period, "v": PLAN_VINTAGE}).all())
            expected[period] = counts.get("healthy", 0) / sum(counts.values())
        # the plan is old Đồng Nai's: its communes' statuses, the inspections of its establishments
        plan = dict(conn.execute(text(
            "SELECT status, count(*) FROM classification_result r "
            "JOIN admin_unit u ON u.code = r.commune_code "
            "AND u.vintage_id = :v AND u.level = 'commune' AND u.former_province_code = '75' "
            "WHERE snapshot_id = (" + _NEWEST + ") GROUP BY 1"), {"p": "2018", "v": PLAN_VINTAGE}).all())
        inspections = conn.execute(text(
            "SELECT count(*) FROM inspection JOIN establishment e ON e.id = establishment_id WHERE "
            f"inspection_date >= '2016-01-01' AND inspection_date < '2019-01-01' AND {IN_PLAN_PROVINCE}"
        )).scalar_one()
    shares = dict(re.findall(r'<tr data-period="(\d{4})".*?data-share="([^"]*)"', page, re.S))
    assert {p: pytest.approx(float(shares[p])) for p in expected} == expected
    data = json.loads(re.search(r'id="healthy-data">(.*?)</script>', page, re.S).group(1))
    assert data["labels"][:2] == ["2017", "2018"] and data["goal"] == 80.0
    assert data["shares"]["healthy"][1] == round(100 * expected["2018"], 1)
    assert sum(data["shares"][s][1] for s in data["shares"]) == pytest.approx(100, abs=0.3)
    assert _target_cell(page, "inspections", 2018) == inspections > 0  # cumulative 2016–2018, counted here
    assert _target_cell(page, "healthy_communes", 2018) == pytest.approx(plan["healthy"] / sum(plan.values()))
    assert "chart.umd.js" in page and "app/dashboard.js" in page


def test_a_quarter_shows_its_year_to_date_against_pro_rata_goals_and_how_each_target_is_measured(
        analyst, engine, snapshots):
    page = analyst.get(f"/dashboard?period=2018-Q1&vintage={PLAN_VINTAGE}").text
    with engine.connect() as conn:
        to_date = conn.execute(text(
            "SELECT count(*) FROM inspection JOIN establishment e ON e.id = establishment_id WHERE "
            f"inspection_date >= '2016-01-01' AND inspection_date < '2018-04-01' AND {IN_PLAN_PROVINCE}"
        )).scalar_one()
    assert _target_cell(page, "inspections", 2018) == to_date > 0  # not the whole of 2018
    row = re.search(r'<tr data-target="inspections">(.*?)</tr>', page, re.S).group(1)
    assert 'data-year="2019"' not in row and 'data-basis="cumulative_to_date"' in row
    due = float(re.search(r'data-due="([^"]*)"', row).group(1))
    assert due == pytest.approx(8000 * (2 + 90 / 365) / 5)  # never a whole year's quota
    cases = re.search(r'<tr data-target="cases_broken_up">(.*?)</tr>', page, re.S).group(1)
    assert "Cách tính" in cases and "mỗi số hồ sơ vụ việc tính một lần" in cases
    english = analyst.get(f"/dashboard?period=2018-Q1&vintage={PLAN_VINTAGE}&lang=en").text
    assert "How measured" in english and "goal to date" in english
    analyst.get(f"/dashboard?period=2018&vintage={PLAN_VINTAGE}&lang=vi")  # back to the default


def test_the_page_states_period_vintage_as_of_and_loads_nothing_remote(analyst, snapshots):
    page = analyst.get(f"/dashboard?period=2018&vintage={PLAN_VINTAGE}").text
    meta = re.search(r'id="dash-meta">(.*?)</p>', page, re.S).group(1)
    assert "2018-01-01" in meta and "2019-01-01" in meta and PLAN_VINTAGE in meta
    assert re.search(r"Dữ liệu đến: \d{4}-\d\d-\d\d \d\d:\d\d UTC", meta)
    assert 'id="synthetic-banner"' in page and "DỮ LIỆU MÔ PHỎNG" in page
    assert remote_urls(page) == []
    for ref in re.findall(r'(?:src|href)="(/static/[^"]+)"', page):
        assert (STATIC / ref.removeprefix("/static/")).is_file(), ref
    english = analyst.get("/dashboard?period=2018&lang=en").text
    assert "Plan targets and progress" in english and "SYNTHETIC DEMO DATA" in english
    analyst.get("/dashboard?lang=vi")


def test_a_district_narrows_every_section_and_a_bad_one_is_named(analyst, engine, snapshots):
    page = analyst.get(f"/dashboard?period=2018&vintage={PLAN_VINTAGE}&district=731").text
    rows = _rows(page, "district-table")
    assert set(rows) == {"731", "total"} and rows["731"] == rows["total"]
    assert "Huyện không có chỉ tiêu riêng" in page
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM admin_unit WHERE vintage_id = :v AND level = 'commune' "
                              "AND parent_code = '731'"), {"v": PLAN_VINTAGE}).scalar_one()
    row = re.search(r'<tr data-period="2018"[^>]*>(.*?)</tr>', page, re.S).group(1)
    assert re.findall(r'<td class="text-end">(\d+)</td>', row)[0] == str(n)  # communes classified
    bad = analyst.get(f"/dashboard?period=2018&vintage={PLAN_VINTAGE}&district=999")
    assert bad.status_code == 400 and "district '999'" in bad.text and "731" in bad.text


def test_a_vintage_without_districts_is_tabled_by_commune(analyst, engine):
    page = analyst.get("/dashboard?period=2025-H2&vintage=2025-07-01").text
    with engine.connect() as conn:
        communes = conn.execute(text("SELECT count(*) FROM admin_unit WHERE vintage_id = '75:2025-07-01' "
                                     "AND level = 'commune'")).scalar_one()
    assert len(_rows(page, "district-table")) == communes + 1
    assert "Theo xã" in page and 'id="district" name="district" disabled' in page


def _at_risk_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-site="(\d+)">', page)]


def test_at_risk_sites_for_analysts_match_the_cli(analyst, db_url):
    page = analyst.get(f"/dashboard?period=2020-H1&vintage={PLAN_VINTAGE}").text
    result = run_cli(db_url, "reactivation", "--as-of", "2020-06-30", "--top", "1000", "--json")
    expected = [s["site_id"] for s in json.loads(result.stdout)["at_risk"]["sites"]]
    shown = _at_risk_ids(page)
    assert expected and shown and set(shown) <= set(expected)
    assert "Đến ngày 2020-06-30" in page


def test_a_viewer_gets_aggregates_only(viewer, analyst):
    url = f"/dashboard?period=2020-H1&vintage={PLAN_VINTAGE}"
    page, detailed = viewer.get(url), analyst.get(url).text
    assert page.status_code == 200
    assert _at_risk_ids(detailed) and _at_risk_ids(page.text) == []
    assert 'id="at-risk-sites"' not in page.text and 'id="at-risk-communes"' in page.text
    per_commune = re.findall(r'<tr><td>([^<]+)</td><td class="text-end">(\d+)</td>', page.text)
    communes = re.findall(r'<tr data-site="\d+">.*?</td><td>.*?</td><td>.*?</td><td>([^<]+)</td>', detailed,
                          re.S)
    assert {c: int(n) for c, n in per_commune} == {c: communes.count(c) for c in set(communes)}
    assert "DEMO-" not in page.text and not re.search(r'"type":\s*"(Multi)?Point"', page.text)


def test_the_navigation_follows_the_role(viewer, auth_client):
    nav = re.search(r'<nav .*?</nav>', viewer.get("/dashboard").text, re.S).group(0)
    assert "Tổng quan" in nav and "Bản đồ" in nav
    assert "/upload" not in nav and "/admin/audit" not in nav
    admin_nav = re.search(r'<nav .*?</nav>', auth_client.get("/dashboard").text, re.S).group(0)
    assert "/upload" in admin_nav and "/admin/audit" in admin_nav and 'name="csrf_token"' in admin_nav
    assert "?lang=en" in admin_nav


def test_the_dashboard_needs_a_login(client):
    response = client.get("/dashboard")
    assert response.status_code == 302 and "/login" in response.location


def test_the_figures_are_cached_until_an_ingest_changes_the_data(analyst, engine, db_url, fresh, tmp_path,
                                                                  monkeypatch):
    import webapp.dashboard as dashboard

    computed = []
    real = dashboard._figures
    monkeypatch.setattr(dashboard, "_figures", lambda detailed: computed.append(detailed) or real(detailed))
    url = f"/dashboard?period=2016&vintage={PLAN_VINTAGE}"
    before = _rows(analyst.get(url).text, "district-table")["total"]
    once = len(computed)
    assert _rows(analyst.get(url).text, "district-table")["total"] == before
    assert len(computed) == once  # the same data revision: the cached figures, nothing recomputed

    source = tmp_path / "vụ việc 2016.csv"
    source.write_bytes(incidents_csv(engine, 2016))
    result = run_cli(db_url, "ingest", "incidents", str(source))
    assert result.exit_code == 0, result.output
    with engine.connect() as c:
        added = c.execute(text(
            "SELECT count(*) FROM incident WHERE import_batch_id > :b AND unit_id IS NOT NULL "
            "AND event_date >= '2016-01-01' AND event_date < '2017-01-01'"), {"b": fresh}).scalar()
    after = _rows(analyst.get(url).text, "district-table")["total"]
    assert len(computed) == once + 1  # a new revision: computed again
    assert added > 0 and after["incidents"] == before["incidents"] + added
