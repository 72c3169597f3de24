"""/classify (analysts run a classification from the web) and the map's provisional status.

The page stores a snapshot in the analyst's name, the same one ``diaban classify`` stores, and
audits it. A period without a snapshot shows a status computed with the same workflow and not
stored, marked provisional; a stored snapshot takes over as soon as there is one.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from tests.helpers import ANALYST, form_token, run_cli

pytestmark = pytest.mark.postgis

OLD, NEW = "75:2010-02-06", "75:2025-07-01"
COUNT = "SELECT count(*) FROM classification_snapshot"


def _count(engine) -> int:
    with engine.connect() as c:
        return c.execute(text(COUNT)).scalar_one()


def test_a_viewer_may_not_classify_and_the_nav_shows_it_to_analysts(viewer, analyst):
    assert viewer.get("/classify").status_code == 403
    assert 'data-endpoint="classify.index"' not in viewer.get("/dashboard").text
    page = analyst.get("/classify")
    assert page.status_code == 200 and 'id="classify-form"' in page.text
    assert 'data-endpoint="classify.index"' in page.text and "app/classify.js" in page.text


def test_an_analyst_classifies_and_stores_the_snapshot_the_cli_would(analyst, engine, db_url):
    token = form_token(analyst.get("/classify").text)
    form = {"csrf_token": token, "period": "2019-Q1", "vintage": OLD, "convention": "calendar",
            "ruleset": "nqlt-01-2008-provisional"}
    response = analyst.post("/classify", data=form)
    assert response.status_code == 200, response.text
    snapshot = int(re.search(r'id="classify-result" data-snapshot="(\d+)"', response.text).group(1))
    with engine.connect() as c:
        meta = c.execute(text("SELECT period, vintage_id, created_by, convention "
                              "FROM classification_snapshot WHERE id = :s"), {"s": snapshot}).one()
        stored = dict(c.execute(text("SELECT commune_code, status FROM classification_result "
                                     "WHERE snapshot_id = :s"), {"s": snapshot}).all())
        audit = c.execute(text("SELECT actor, detail FROM audit_log WHERE action = 'classify' "
                               "ORDER BY id DESC LIMIT 1")).one()
    assert tuple(meta) == ("2019-Q1", OLD, ANALYST[0], "calendar")
    assert audit.actor == ANALYST[0] and audit.detail["snapshot_id"] == snapshot
    cli = run_cli(db_url, "classify", "--period", "2019-Q1", "--vintage", OLD, "--json")
    assert {r["commune_code"]: r["status"] for r in json.loads(cli.stdout)} == stored
    for status in ("healthy", "reduced", "not_healthy", "not_assessed"):
        shown = re.search(rf'data-status="{status}"><td>[^<]*</td><td class="text-end">(\d+)<', response.text)
        assert int(shown.group(1)) == sum(s == status for s in stored.values())
    assert f'href="/?period=2019-Q1&amp;vintage={OLD}&amp;layer=status"' in response.text
    recent = analyst.get("/classify").text
    assert re.search(rf'data-snapshot="{snapshot}">.*?<td class="created-by">{ANALYST[0]}</td>', recent, re.S)


def test_a_bad_form_is_named_and_stores_nothing(analyst, engine):
    before = _count(engine)
    token = form_token(analyst.get("/classify").text)
    bad = analyst.post("/classify", data={"csrf_token": token, "period": "2019-13", "convention": "calendar",
                                          "ruleset": "nqlt-01-2008-provisional"})
    assert bad.status_code == 400 and "period &#39;2019-13&#39; is not understood" in bad.text
    rules = analyst.post("/classify", data={"csrf_token": token, "period": "2019", "ruleset": "../x"})
    assert rules.status_code == 400 and "is not shipped" in rules.text
    assert analyst.post("/classify", data={"period": "2019"}).status_code == 400  # no CSRF token
    assert _count(engine) == before


def test_a_period_without_a_snapshot_shows_a_provisional_status_stored_by_nobody(analyst, engine, db_url):
    period = "2026-H1"  # no fixture classifies it; conftest's own_snapshots drops what a module stores
    before = _count(engine)
    body = analyst.get(f"/api/series?period={period}&vintage={NEW}").get_json()
    entry = body["status"][period]
    assert entry["snapshot"] is None and entry["provisional"]["stored"] is False
    assert entry["provisional"]["ruleset_id"] == "nqlt-01-2008-provisional"
    assert len(entry["codes"]) == 95 and len(set(entry["codes"].values())) >= 2  # not a grey map
    code = sorted(entry["codes"])[0]
    panel = analyst.get(f"/api/communes/{code}?period={period}&vintage={NEW}").get_json()
    assert panel["classification"] is None and panel["provisional"]["status"] == entry["codes"][code]
    assert [c["id"] for c in panel["provisional"]["criteria"]] == [f"P{i}" for i in range(1, 10)]
    assert _count(engine) == before  # computed, never stored
    cli = run_cli(db_url, "classify", "--period", period, "--vintage", NEW, "--json")
    assert {r["commune_code"]: r["status"] for r in json.loads(cli.stdout)} == entry["codes"]  # same workflow
    after = analyst.get(f"/api/series?period={period}&vintage={NEW}").get_json()["status"][period]
    assert after["snapshot"]["id"] and "provisional" not in after  # the stored snapshot takes over
    panel = analyst.get(f"/api/communes/{code}?period={period}&vintage={NEW}").get_json()
    assert panel["classification"]["id"] == after["snapshot"]["id"] and panel["provisional"] is None


def test_the_default_map_page_carries_a_status_and_no_shell_command(analyst):
    page = analyst.get("/").text
    config = json.loads(re.search(r'<script type="application/json" id="map-config">(.*?)</script>',
                                  page, re.S).group(1))
    current = config["series"]["current"]
    assert config["series"]["status"][current]["codes"]
    assert "diaban classify" not in config["text"]["map_no_snapshot"]
    assert config["text"]["map_provisional"] == "Tạm tính — chưa lưu"
