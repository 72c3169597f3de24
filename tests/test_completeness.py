"""Data completeness: ``not_assessed`` is always explained (which criteria lack data) and actionable.

Hand-made inputs check every reason and action; on the demo data the gaps are exactly the
criteria a stored snapshot could not assess; loading what the action says removes the gap from
the CLI, the map panel and the dashboard.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime

import pandas as pd
import pytest
from sqlalchemy import text

from geo.classify import classify_communes, data_completeness, empty_inputs, load_ruleset, summarize_missing
from geo.periods import parse_period
from tests.helpers import run_cli

OLD = "75:2010-02-06"
RULES = load_ruleset()


def _inputs():
    """A: an activity and P8 attested; B: a tip report without tips_handled; C: awareness reported."""
    base = empty_inputs(["A", "B", "C"])
    reports = pd.DataFrame({"report_id": [1, 2], "commune_code": ["B", "C"], "period": ["2018", "2018-Q2"],
                            "indicator_code": ["tips_received", "awareness_activities"], "value": [3.0, 2.0]})
    attestations = pd.DataFrame({"assessment_id": [9], "commune_code": ["A"], "period": ["2018"],
                                 "criterion_id": ["P8"], "holds": [True], "value": [None],
                                 "assessed_by": ["officer"], "assessed_at": [datetime(2019, 1, 5)],
                                 "note": [None]})
    activities = pd.DataFrame({"activity_id": [4], "activity_date": [pd.Timestamp("2018-05-02")],
                               "form": ["meeting"], "participants_count": [30], "commune_code": ["A"]})
    return replace(base, reports=reports, attestations=attestations, activities=activities)


def test_every_reason_and_its_action():
    out = data_completeness(_inputs(), RULES, period=parse_period("2018"))
    out = out.set_index(["commune_code", "criterion_id"])
    gaps = out[out["missing"]]
    assert sorted(gaps.index) == [("A", "P7"), ("A", "P9"), ("B", "P6"), ("B", "P7"), ("B", "P8"),
                                  ("B", "P9"), ("C", "P7"), ("C", "P8"), ("C", "P9")]
    assert out.loc[("B", "P7"), "reason"] == "incomplete_report"
    assert "lacks tips_handled" in out.loc[("B", "P7"), "what_to_load"]
    assert "thiếu tips_handled" in out.loc[("B", "P7"), "what_to_load_vi"]
    assert out.loc[("A", "P7"), "what_to_load"] == (
        "P7: no tip-offs or commune report for 2018 → load `diaban ingest tips FILE` or a commune report "
        "with tips_received and tips_handled (`diaban ingest commune-reports FILE`)")
    assert out.loc[("B", "P8"), "what_to_load"] == \
        "P8: not attested for 2018 → record on /attest or `diaban ingest attestations FILE`"
    assert "`diaban ingest activities FILE`" in out.loc[("B", "P6"), "what_to_load"]
    assert out.loc[~out["missing"], ["reason", "what_to_load", "what_to_load_vi"]].isna().all().all()


def test_missing_is_exactly_what_the_classification_cannot_assess():
    inputs, period = _inputs(), parse_period("2018")
    out = data_completeness(inputs, RULES, period=period)
    results = classify_communes(inputs, RULES, period=period).set_index("commune_code")
    for code, rows in out.groupby("commune_code"):
        assert sorted(rows.loc[rows["missing"], "criterion_id"]) == sorted(results.loc[code, "missing"])
    summary = summarize_missing(out)
    assert summary.set_index(["criterion_id", "reason"])["communes"].to_dict() == {
        ("P7", "no_data"): 2, ("P9", "no_data"): 3, ("P6", "no_data"): 1, ("P7", "incomplete_report"): 1,
        ("P8", "no_data"): 2}


def test_another_convention_is_named_in_the_action():
    out = data_completeness(empty_inputs(["A"]), RULES,
                            period=parse_period("2018-Q2", convention="report_15_14"))
    assert "for 2018-Q2 (report_15_14)" in out.loc[out["criterion_id"] == "P8", "what_to_load"].item()


@pytest.mark.postgis
def test_the_cli_lists_the_gaps_of_the_not_assessed_communes_and_stores_nothing(db_url, engine):
    count = "SELECT count(*) FROM classification_snapshot"
    with engine.connect() as c:
        before = c.execute(text(count)).scalar_one()
    result = run_cli(db_url, "classify", "--period", "2018", "--vintage", OLD, "--missing", "--json")
    assert result.exit_code == 0, result.output
    gaps = json.loads(result.stdout)
    with engine.connect() as c:
        assert c.execute(text(count)).scalar_one() == before  # --missing stores no snapshot
    stored = run_cli(db_url, "classify", "--period", "2018", "--vintage", OLD, "--json")
    unassessed = {r["commune_code"]: sorted(k["id"] for k in r["criteria"] if k["value"] is None)
                  for r in json.loads(stored.stdout) if r["status"] == "not_assessed"}
    listed: dict[str, list] = {}
    for row in gaps:
        listed.setdefault(row["commune_code"], []).append(row["criterion_id"])
        assert row["what_to_load"].startswith(f"{row['criterion_id']}: ") and row["what_to_load_vi"]
    assert unassessed and {k: sorted(v) for k, v in listed.items()} == unassessed
    text_out = run_cli(db_url, "classify", "--period", "2018", "--vintage", OLD, "--missing")
    assert f"{len(unassessed)} of {171 + 111} communes lack data" in text_out.output
    # the dashboard's section computes the same outside any Flask app or request context
    from webapp.period_status import missing_section

    section = missing_section(engine, OLD, parse_period("2018"), [*listed, "00000"], lang="en")
    assert section["communes"] == len(unassessed)
    assert section["command"] == f"diaban classify --period 2018 --vintage {OLD} --missing"
    english = {row["what_to_load"] for row in gaps}  # the CLI's English actions
    assert section["rows"] and {row["what_to_load"] for row in section["rows"]} <= english


@pytest.mark.postgis
def test_loading_what_the_action_says_fills_the_gap_everywhere(db_url, analyst, fresh, tmp_path):
    def gaps() -> dict[str, set]:
        rows = json.loads(run_cli(db_url, "classify", "--period", "2018", "--vintage", OLD, "--missing",
                                  "--json").stdout)
        out: dict[str, set] = {}
        for row in rows:
            out.setdefault(row["commune_code"], set()).add(row["criterion_id"])
        return out

    before = gaps()
    code = next(c for c, missing in sorted(before.items()) if "P8" in missing)
    panel = analyst.get(f"/api/communes/{code}?period=2018&vintage={OLD}").get_json()
    assert "P8" in {m["criterion_id"] for m in panel["missing"]}
    assert all("→" in m["what_to_load"] for m in panel["missing"])
    english = analyst.get(f"/api/communes/{code}?period=2018&vintage={OLD}&lang=en").get_json()
    assert any("not attested for 2018" in m["what_to_load"] for m in english["missing"])
    page = analyst.get(f"/dashboard?period=2018&vintage={OLD}").text
    p8_before = _dashboard_count(page, "P8")
    assert p8_before == sum("P8" in m for m in before.values())

    path = tmp_path / "xac_nhan.csv"
    path.write_text(f"Mã xã;Kỳ đánh giá;Tiêu chí;Kết quả;Đơn vị xác nhận\n{code};Năm 2018;P8;Đạt;UBND xã\n",
                    encoding="utf-8")
    loaded = run_cli(db_url, "ingest", "attestations", str(path), "--json")
    assert loaded.exit_code == 0 and json.loads(loaded.stdout)["loaded"] == 1, loaded.output

    after = gaps()
    assert "P8" not in after.get(code, set()) and after.get(code, set()) == before[code] - {"P8"}
    panel = analyst.get(f"/api/communes/{code}?period=2018&vintage={OLD}").get_json()
    assert "P8" not in {m["criterion_id"] for m in panel["missing"]}
    page = analyst.get(f"/dashboard?period=2018&vintage={OLD}").text
    assert (_dashboard_count(page, "P8") or 0) == p8_before - 1


def _dashboard_count(page: str, criterion: str) -> int | None:
    import re

    found = re.search(rf'data-criterion="{criterion}" data-reason="no_data" data-communes="(\d+)"', page)
    return int(found.group(1)) if found else None


@pytest.mark.postgis
def test_a_complete_commune_gets_an_empty_list_and_a_viewer_gets_the_gaps_too(db_url, viewer, analyst):
    gaps = json.loads(run_cli(db_url, "classify", "--period", "2018", "--vintage", OLD, "--missing",
                              "--json").stdout)
    lacking = {r["commune_code"] for r in gaps}
    codes = list(analyst.get(f"/api/series?period=2018&vintage={OLD}").get_json()["incidents"])
    complete = next(c for c in codes if c not in lacking)
    assert viewer.get(f"/api/communes/{complete}?period=2018&vintage={OLD}").get_json()["missing"] == []
    some = sorted(lacking)[0]
    body = viewer.get(f"/api/communes/{some}?period=2018&vintage={OLD}").get_json()
    assert [m["criterion_id"] for m in body["missing"]] == [r["criterion_id"] for r in gaps
                                                              if r["commune_code"] == some]
    assert all(set(m) == {"criterion_id", "reason", "what_to_load"} for m in body["missing"])
