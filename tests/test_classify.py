"""Commune classification: rule sets as data, indicators, statuses, periods, snapshots."""

from __future__ import annotations

import dataclasses
import inspect
import json
from datetime import UTC, date, datetime

import click
import geopandas as gpd
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely import Point, box
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from etl.vocabulary import act_codes, vocabulary
from geo.classify import (
    RulesetError,
    UnknownRulesetError,
    build_inputs,
    classify_communes,
    compare_results,
    empty_inputs,
    indicator,
    load_ruleset,
    parse_ruleset,
    reactivation_evidence,
)
from geo.classify.indicators import INDICATORS, frame_for
from geo.errors import PeriodError
from geo.periods import parse_period
from geo.reactivation import PROSTITUTION_KINDS, collect_evidence, track_reactivations
from geo.settings import WORK_CRS
from tests.helpers import run_cli

RULES = load_ruleset()
Y2018 = parse_period("2018")
CODES = act_codes()


# --- scenario builders --------------------------------------------------------------------

def scenario(*, period="2018", reports=None, attest=None, sites=(), events=(), establishments=(),
             inspections=(), evidence=None, incidents=()):
    """One commune "A" that meets every criterion unless the arguments say otherwise.

    Sites may carry a ``geometry`` point in ``WORK_CRS`` metres; ``evidence`` is a frame from
    :func:`collect_evidence`.
    """
    base = empty_inputs(["A"])
    reports = {"awareness_activities": 3, "tips_received": 2, "tips_handled": 2} if reports is None \
        else reports
    attest = {"P8": True, "P9": True} if attest is None else attest
    rep = pd.DataFrame([{"report_id": i, "commune_code": "A", "period": period, "indicator_code": k,
                         "value": v} for i, (k, v) in enumerate(reports.items(), start=1)],
                       columns=base.reports.columns)
    att = pd.DataFrame([{"assessment_id": i, "commune_code": "A", "period": period, "criterion_id": k,
                         "holds": v, "value": None, "assessed_by": "officer-7",
                         "assessed_at": datetime(2019, 1, 5, tzinfo=UTC), "note": "checked"}
                        for i, (k, v) in enumerate(attest.items(), start=10)],
                       columns=base.attestations.columns)
    columns = list(dict.fromkeys([*base.sites.columns, *(key for site in sites for key in site)]))
    site_frame = pd.DataFrame([{"geometry": None, **site} for site in sites], columns=columns)
    return dataclasses.replace(
        base, reports=rep, attestations=att,
        sites=gpd.GeoDataFrame(site_frame, geometry="geometry", crs=WORK_CRS),
        evidence=base.evidence if evidence is None else evidence,
        site_events=pd.DataFrame(list(events), columns=base.site_events.columns),
        establishments=pd.DataFrame(list(establishments), columns=base.establishments.columns),
        inspections=pd.DataFrame([{"violation_codes": [], **i} for i in inspections],
                                 columns=base.inspections.columns),
        incidents=pd.DataFrame(list(incidents), columns=base.incidents.columns), codes=CODES)


def classify_one(inputs, period=Y2018, rules=RULES):
    row = classify_communes(inputs, rules, period=period).iloc[0]
    return row, {c["id"]: c for c in row["criteria"]}


# --- statuses ------------------------------------------------------------------------------

def test_a_commune_meeting_every_criterion_is_healthy_with_full_score():
    row, crit = classify_one(scenario())
    assert (row["status"], row["score"], row["missing"]) == ("healthy", 100.0, [])
    assert all(c["passed"] for c in crit.values())
    assert crit["P8"]["detail"]["assessed_by"] == "officer-7" and crit["P8"]["evidence"] == [10]


def test_a_missing_report_gives_not_assessed_never_a_pass():
    row, crit = classify_one(scenario(reports={"tips_received": 2, "tips_handled": 2}))
    assert row["status"] == "not_assessed" and row["missing"] == ["P6"]
    assert crit["P6"]["passed"] is None and crit["P6"]["value"] is None


def test_a_missing_attestation_gives_not_assessed():
    row, crit = classify_one(scenario(attest={"P9": True}))
    assert row["status"] == "not_assessed" and row["missing"] == ["P8"]
    assert crit["P8"]["detail"] is None


def test_tips_handled_needs_both_counts():
    row, _ = classify_one(scenario(reports={"awareness_activities": 1, "tips_handled": 2}))
    assert row["missing"] == ["P7"]


def test_hard_knockout_with_a_full_score_is_not_healthy():
    # An active public site (P1 fails) knocks the commune out whatever its score.
    row, crit = classify_one(scenario(
        sites=[{"site_id": 5, "site_kind": "public", "commune_code": "A"}],
        events=[{"event_id": 1, "site_id": 5, "event_date": date(2016, 3, 1),
                 "event_type": "identified"}]))
    assert row["score"] == 100.0 and row["status"] == "not_healthy"
    assert crit["P1"] == {**crit["P1"], "passed": False, "value": 1.0, "evidence": [5]}
    assert crit["P3"]["passed"] is True  # identified before the period


def test_a_sanctioned_establishment_fails_p2_and_leaves_reduced():
    row, crit = classify_one(scenario(
        establishments=[{"establishment_id": 1, "commitment_signed": True, "status": "active",
                         "commune_code": "A"}],
        inspections=[{"inspection_id": 70, "inspection_date": date(2018, 4, 2), "establishment_id": 1,
                      "outcome": "tam_dinh_chi", "violation_codes": ["chua_mai_dam"], "commune_code": "A"},
                     {"inspection_id": 71, "inspection_date": date(2018, 9, 2), "establishment_id": 1,
                      "outcome": "xu_phat", "violation_codes": ["loi_dung_kddv"], "commune_code": "A"}]))
    assert crit["P2"]["value"] == 1.0 and crit["P2"]["evidence"] == [70, 71]
    assert (row["status"], row["score"]) == ("reduced", 100.0)


ONE_ESTABLISHMENT = [{"establishment_id": 1, "commitment_signed": True, "status": "active",
                      "commune_code": "A"}]


def test_a_sanction_for_a_licence_breach_alone_does_not_fail_p2():
    # P2's text: sanctioned for prostitution-related acts; a missing labour contract is not one.
    _, crit = classify_one(scenario(establishments=ONE_ESTABLISHMENT, inspections=[
        {"inspection_id": 70, "inspection_date": date(2018, 4, 2), "establishment_id": 1,
         "outcome": "xu_phat", "violation_codes": ["vi_pham_dieu_kien_kinh_doanh"], "commune_code": "A"},
        {"inspection_id": 71, "inspection_date": date(2018, 5, 2), "establishment_id": 1,
         "outcome": "xu_phat", "violation_codes": [], "commune_code": "A"}]))
    assert (crit["P2"]["passed"], crit["P2"]["value"]) == (True, 0.0)


def test_a_warning_is_a_sanction_form_and_fails_p2():
    # Seed IV.2.e: "xử phạt ... theo các hình thức phạt cảnh cáo, phạt tiền".
    outcome = vocabulary("inspection_outcomes").code("Phạt cảnh cáo")
    assert outcome in CODES.sanction_outcomes
    assert vocabulary("inspection_outcomes").code("Cảnh cáo") == outcome
    assert vocabulary("incident_outcomes").code("Phạt cảnh cáo") in CODES.busted_outcomes
    _, crit = classify_one(scenario(establishments=ONE_ESTABLISHMENT, inspections=[
        {"inspection_id": 70, "inspection_date": date(2018, 4, 2), "establishment_id": 1, "outcome": outcome,
         "violation_codes": ["mua_dam"], "commune_code": "A"}]))
    assert crit["P2"]["passed"] is False


def test_a_police_incident_at_an_establishment_fails_p2():
    incident = {"incident_id": 801, "event_date": date(2018, 7, 1), "incident_kind": "chua_mai_dam",
                "outcome": "khoi_to", "establishment_id": 1}
    _, crit = classify_one(scenario(establishments=ONE_ESTABLISHMENT, incidents=[incident]))
    assert (crit["P2"]["passed"], crit["P2"]["value"]) == (False, 1.0)
    assert crit["P2"]["detail"] == {"establishment_ids": [1], "inspection_ids": [], "incident_ids": [801]}
    # Not at an establishment, of another kind, or still pending: P2 holds.
    for change in ({"establishment_id": None}, {"incident_kind": "other"}, {"outcome": "dang_xu_ly"}):
        _, crit = classify_one(scenario(establishments=ONE_ESTABLISHMENT, incidents=[{**incident, **change}]))
        assert crit["P2"]["passed"] is True, change


def test_p3_evidence_is_prostitution_related_only():
    found = gpd.GeoDataFrame({"inspection_id": [70, 71, 72], "inspection_date": [date(2018, 2, 1)] * 3,
                              "establishment_id": [40, 40, 40],
                              "outcome": ["xu_phat", "lap_bien_ban", "nhac_nho"],
                              "violation_codes": [["vi_pham_dieu_kien_kinh_doanh"], [], ["ban_dam"]]},
                             geometry=[None] * 3, crs=WORK_CRS)
    incidents = gpd.GeoDataFrame({"incident_id": [5, 6], "event_date": [date(2018, 3, 1)] * 2,
                                  "incident_kind": ["mua_ban_dam", "other"], "establishment_id": [40, 40]},
                                 geometry=[None] * 2, crs=WORK_CRS)
    evidence = reactivation_evidence(incidents, found, CODES)
    assert sorted(zip(evidence["source"], evidence["record_id"], strict=True)) == [
        ("incident", 5), ("inspection", 72)]


def test_a_reactivated_site_fails_p3():
    events = [{"event_id": 1, "site_id": 9, "event_date": date(2016, 5, 1), "event_type": "identified"},
              {"event_id": 2, "site_id": 9, "event_date": date(2017, 1, 1), "event_type": "cleared"},
              {"event_id": 3, "site_id": 9, "event_date": date(2018, 6, 1), "event_type": "reactivated"},
              {"event_id": 4, "site_id": 9, "event_date": date(2018, 8, 1), "event_type": "recleared"}]
    row, crit = classify_one(scenario(
        sites=[{"site_id": 9, "site_kind": "public", "commune_code": "A"}], events=events))
    assert crit["P1"]["passed"] is True  # re-cleared by the period end
    assert crit["P3"]["passed"] is False and crit["P3"]["evidence"] == [9]
    assert row["status"] == "not_healthy"
    # The same history evaluated for 2019: nothing new, the commune is healthy again.
    assert classify_one(scenario(period="2019", sites=[{"site_id": 9, "site_kind": "public",
                        "commune_code": "A"}], events=events), parse_period("2019"))[0]["status"] == "healthy"


# --- P3: reactivations detected from evidence (criteria.md §4.3) ------------------------------
# One public site 9 at (700000, 1200000) in WORK_CRS metres, cleared on 2017-11-01. The radius
# and window are the engine's defaults (those of `diaban reactivation`), read, not copied.

RADIUS = inspect.signature(track_reactivations).parameters["radius_m"].default
WINDOW = inspect.signature(track_reactivations).parameters["window_days"].default
SITE_9 = {"site_id": 9, "site_kind": "public", "commune_code": "A", "geometry": Point(700_000, 1_200_000)}
CLEARED_9 = [{"event_id": 1, "site_id": 9, "event_date": date(2016, 5, 1), "event_type": "identified"},
             {"event_id": 2, "site_id": 9, "event_date": date(2017, 11, 1), "event_type": "cleared"}]


def incidents_east(*rows):
    """Evidence from prostitution incidents given as (id, day, metres east of site 9)."""
    assert "mua_ban_dam" in PROSTITUTION_KINDS
    frame = gpd.GeoDataFrame({"incident_id": [r[0] for r in rows], "event_date": [r[1] for r in rows],
                              "incident_kind": ["mua_ban_dam"] * len(rows),
                              "establishment_id": [None] * len(rows)},
                             geometry=[Point(700_000 + r[2], 1_200_000) for r in rows], crs=WORK_CRS)
    return collect_evidence(frame, None)


def test_an_incident_within_the_radius_after_a_clearing_fails_p3():
    # No officer recorded anything in 2018: only the incident reveals the reactivation.
    row, crit = classify_one(scenario(sites=[SITE_9], events=CLEARED_9,
                                      evidence=incidents_east((501, date(2018, 3, 10), RADIUS - 10))))
    assert crit["P3"]["passed"] is False and crit["P3"]["value"] == 1.0 and crit["P3"]["evidence"] == [9]
    assert crit["P3"]["detail"] == {
        "reactivations": [{"site_id": 9, "cleared_date": "2017-11-01", "reactivation_date": "2018-03-10",
                           "trigger": "incident", "trigger_id": 501}],
        "incident_ids": [501], "inspection_ids": [], "radius_m": RADIUS, "window_days": WINDOW}
    assert row["status"] == "not_healthy"
    json.dumps(crit["P3"]["detail"])  # stored as JSONB with the snapshot


def test_an_incident_outside_the_radius_passes_p3():
    row, crit = classify_one(scenario(sites=[SITE_9], events=CLEARED_9,
                                      evidence=incidents_east((501, date(2018, 3, 10), RADIUS + 50))))
    assert (crit["P3"]["passed"], crit["P3"]["value"], crit["P3"]["detail"]) == (True, 0.0, None)
    assert row["status"] == "healthy"


def test_a_reactivation_first_triggered_before_the_period_is_not_new_in_it():
    # Rule: a spell is reactivated once, on its first trigger (2017-12-20 here). The 2018
    # incident is more evidence of the same reactivation, not a new one, so 2018 passes P3;
    # 2017 fails it. (An officer's `reactivated` record in 2018 would still count: recorded
    # events in the period always do.)
    evidence = incidents_east((500, date(2017, 12, 20), 10), (501, date(2018, 3, 10), 20))
    _, crit = classify_one(scenario(sites=[SITE_9], events=CLEARED_9, evidence=evidence))
    assert (crit["P3"]["passed"], crit["P3"]["value"]) == (True, 0.0)
    _, crit = classify_one(scenario(period="2017", sites=[SITE_9], events=CLEARED_9, evidence=evidence),
                           parse_period("2017"))
    assert crit["P3"]["passed"] is False and crit["P3"]["evidence"] == [9]
    assert crit["P3"]["detail"]["reactivations"][0]["trigger_id"] == 500
    assert crit["P3"]["detail"]["incident_ids"] == [500]  # 501 is after 2017's last day


def test_evidence_after_the_period_never_changes_its_p3():
    events = [*CLEARED_9[:1], {"event_id": 2, "site_id": 9, "event_date": date(2018, 6, 1),
                               "event_type": "cleared"}]
    evidence = incidents_east((502, date(2019, 2, 1), 0))
    _, crit = classify_one(scenario(sites=[SITE_9], events=events, evidence=evidence))
    assert crit["P3"]["passed"] is True
    _, crit = classify_one(scenario(period="2019", sites=[SITE_9], events=events, evidence=evidence),
                           parse_period("2019"))
    assert crit["P3"]["passed"] is False and crit["P3"]["detail"]["incident_ids"] == [502]


def test_a_site_recorded_and_detected_as_reactivated_counts_once():
    events = [*CLEARED_9,
              {"event_id": 3, "site_id": 9, "event_date": date(2018, 4, 1), "event_type": "reactivated"},
              {"event_id": 4, "site_id": 10, "event_date": date(2018, 5, 1), "event_type": "identified"}]
    sites = [SITE_9, {"site_id": 10, "site_kind": "public", "commune_code": "A"}]
    _, crit = classify_one(scenario(sites=sites, events=events,
                                    evidence=incidents_east((501, date(2018, 3, 10), 0))))
    # Site 9 (recorded on 04-01, detected on 03-10) and the new site 10: two distinct sites.
    assert (crit["P3"]["value"], crit["P3"]["evidence"]) == (2.0, [9, 10])
    assert [r["trigger_id"] for r in crit["P3"]["detail"]["reactivations"]] == [501]


def test_a_violation_at_the_sites_establishment_fails_p3_without_a_point():
    site = {"site_id": 12, "site_kind": "in_establishment", "commune_code": "A", "establishment_id": 40}
    events = [{"event_id": 5, "site_id": 12, "event_date": date(2017, 10, 1), "event_type": "cleared"}]
    found = {"inspection_id": 70, "inspection_date": date(2018, 2, 1), "establishment_id": 40,
             "outcome": "lap_bien_ban"}  # a violation record, not a sanction: P2 still holds
    evidence = collect_evidence(None, gpd.GeoDataFrame(
        {**{k: [v] for k, v in found.items()}, "violation_codes": [[]]}, geometry=[None], crs=WORK_CRS))
    _, crit = classify_one(scenario(sites=[site], events=events, evidence=evidence,
                                    inspections=[{**found, "commune_code": "A"}]))
    assert crit["P2"]["passed"] is True
    assert crit["P3"]["passed"] is False and crit["P3"]["evidence"] == [12]
    assert (crit["P3"]["detail"]["inspection_ids"], crit["P3"]["detail"]["incident_ids"]) == ([70], [])


def test_low_score_with_hard_conditions_met_is_reduced():
    row, crit = classify_one(scenario(reports={"awareness_activities": 0, "tips_received": 4,
                                               "tips_handled": 3}))
    assert crit["P6"]["passed"] is False and crit["P7"]["value"] == 0.75
    assert (row["status"], row["score"]) == ("reduced", 60.0)


def test_attested_criteria_knock_out_without_weight_and_score_with_weight():
    p8_false, _ = classify_one(scenario(attest={"P8": False, "P9": True}))
    assert (p8_false["status"], p8_false["score"]) == ("reduced", 100.0)
    p9_false, _ = classify_one(scenario(attest={"P8": True, "P9": False}))
    assert (p9_false["status"], p9_false["score"]) == ("healthy", 80.0)


def test_shares_of_establishments_and_the_vacuous_case():
    est = [{"establishment_id": i, "commitment_signed": s, "status": "active", "commune_code": "A"}
           for i, s in ((1, True), (2, None), (3, True), (4, True))]
    insp = [{"inspection_id": 1, "inspection_date": date(2018, 2, 1), "establishment_id": 1,
             "outcome": "khong_vi_pham", "commune_code": "A"},
            {"inspection_id": 2, "inspection_date": date(2017, 2, 1), "establishment_id": 2,
             "outcome": "khong_vi_pham", "commune_code": "A"}]
    row, crit = classify_one(scenario(establishments=est, inspections=insp))
    assert crit["P4"]["value"] == 0.75 and crit["P4"]["evidence"] == [1, 3, 4]  # unknown is not signed
    assert crit["P5"]["value"] == 0.25 and crit["P5"]["evidence"] == [1]
    assert (row["status"], row["score"]) == ("reduced", 60.0)
    assert classify_one(scenario())[1]["P4"]["value"] == 1.0  # no establishment: nothing unsigned


def test_p5_is_a_yearly_duty_scaled_to_shorter_periods():
    # II.1.c: 100 % inspected regularly (at least once a year). A quarter needs a quarter of it.
    p5 = next(c for c in RULES.criteria if c.id == "P5")
    assert (p5.threshold, p5.duty) == (1.0, "yearly") and "100%" in p5.text_vi
    est = [{"establishment_id": i, "commitment_signed": True, "status": "active", "commune_code": "A"}
           for i in range(1, 5)]
    insp = [{"inspection_id": 1, "inspection_date": date(2018, 2, 1), "establishment_id": 1,
             "outcome": "khong_vi_pham", "commune_code": "A"}]
    _, quarter = classify_one(scenario(period="2018-Q1", establishments=est, inspections=insp),
                              parse_period("2018-Q1"))
    _, year = classify_one(scenario(establishments=est, inspections=insp))
    assert quarter["P5"]["value"] == year["P5"]["value"] == 0.25
    assert quarter["P5"]["passed"] is True and year["P5"]["passed"] is False


def test_reports_inside_the_period_are_summed_and_a_longer_one_is_not_used():
    inputs = scenario(period="2018-H1")
    extra = inputs.reports.assign(period="2018-H2", report_id=inputs.reports["report_id"] + 100)
    both = dataclasses.replace(inputs, reports=pd.concat([inputs.reports, extra]),
                               attestations=inputs.attestations.assign(period="2018"))
    _, crit = classify_one(both)
    assert crit["P6"]["value"] == 6.0 and crit["P6"]["evidence"] == [1, 101]
    # A year report does not speak for a half-year; a year attestation does.
    yearly = scenario(period="2018")
    row, crit = classify_one(yearly, parse_period("2018-H1"))
    assert row["missing"] == ["P6", "P7"] and crit["P8"]["passed"] is True


def test_every_status_occurs_over_several_units():
    base = scenario()
    two = dataclasses.replace(base, units=pd.DataFrame({"commune_code": ["A", "B"], "name": ["A", "B"]}))
    out = classify_communes(two, RULES, period=Y2018)
    assert out["status"].tolist() == ["healthy", "not_assessed"]
    assert out.index.tolist() == [0, 1] and out.columns[:3].tolist() == ["commune_code", "name", "status"]


# --- placing records on a vintage ----------------------------------------------------------

def test_records_are_placed_by_point_or_same_vintage_reference_else_unassigned():
    units = gpd.GeoDataFrame({"commune_code": ["A", "B"], "name": ["A", "B"]},
                             geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    sites = gpd.GeoDataFrame({"site_id": [1, 2, 3, 4], "site_kind": "public",
                              "ref_commune_code": [None, "B", "B", None],
                              "ref_vintage": [None, "v2", "v1", None]},
                             geometry=[Point(0.5, 0.5), None, None, Point(5, 5)], crs=4326)
    empty = empty_inputs([])
    est = gpd.GeoDataFrame({"establishment_id": [], "commitment_signed": [], "status": [],
                            "ref_commune_code": [], "ref_vintage": []}, geometry=[], crs=4326)
    insp = gpd.GeoDataFrame({"inspection_id": [], "inspection_date": [], "establishment_id": [],
                             "outcome": [], "ref_commune_code": [], "ref_vintage": []}, geometry=[], crs=4326)
    inputs = build_inputs(units, vintage="v2", sites=sites, site_events=empty.site_events,
                          establishments=est, inspections=insp, codes=CODES,
                          reports=empty.reports.assign(vintage_id=[]),
                          attestations=empty.attestations)
    assert inputs.sites["commune_code"].tolist()[:2] == ["A", "B"]
    assert inputs.sites["commune_code"].isna().tolist() == [False, False, True, True]
    assert inputs.unassigned["sites"] == [3, 4]


# --- periods: the 15th-to-14th convention --------------------------------------------------

@pytest.mark.parametrize(("label", "start", "last_day"), [
    ("2019", date(2018, 12, 15), date(2019, 12, 14)),
    ("2019-06", date(2019, 5, 15), date(2019, 6, 14)),
    ("2019-01", date(2018, 12, 15), date(2019, 1, 14)),
    ("2019-Q2", date(2019, 3, 15), date(2019, 6, 14)),
    ("2019-H1", date(2018, 12, 15), date(2019, 6, 14)),
    ("2019-H2", date(2019, 6, 15), date(2019, 12, 14)),
    ("2019-9M", date(2018, 12, 15), date(2019, 9, 14)),
])
def test_report_15_14_windows(label, start, last_day):
    p = parse_period(label, convention="report_15_14")
    assert (p.start, p.end.toordinal() - 1) == (start, last_day.toordinal())
    assert p.convention == "report_15_14" and last_day in p and date(2019, 12, 15) not in p


def test_calendar_stays_the_default_and_a_bad_convention_lists_the_allowed_ones():
    assert parse_period("2019").start == date(2019, 1, 1)
    with pytest.raises(PeriodError, match="calendar, report_15_14"):
        parse_period("2019", convention="fiscal")


def test_a_site_found_on_20_december_belongs_to_next_year_under_15_14():
    events = [{"event_id": 1, "site_id": 3, "event_date": date(2018, 12, 20), "event_type": "identified"}]
    sites = [{"site_id": 3, "site_kind": "in_establishment", "commune_code": "A"}]
    cal, _ = classify_one(scenario(sites=sites, events=events), Y2018)
    p2018 = parse_period("2018", convention="report_15_14")
    rep, crit = classify_one(scenario(sites=sites, events=events), p2018)
    assert cal["status"] == "not_healthy" and rep["status"] == "healthy" and crit["P3"]["value"] == 0
    p2019 = parse_period("2019", convention="report_15_14")
    assert classify_one(scenario(period="2019", sites=sites, events=events), p2019)[0]["status"] == \
        "not_healthy"


# --- rule sets -----------------------------------------------------------------------------

def test_the_shipped_rule_set_is_provisional_and_follows_criteria_md():
    assert RULES.provisional and RULES.id == "nqlt-01-2008-provisional" and len(RULES.sha256) == 64
    kinds = {c.id: c.kind for c in RULES.criteria}
    assert kinds == {"P1": "hard", "P2": "hard", "P3": "hard", "P4": "scored", "P5": "scored",
                     "P6": "scored", "P7": "scored", "P8": "attested", "P9": "attested"}
    assert RULES.reduced_requires == ("P1", "P3") and "01/2008" in RULES.legal_basis


def test_validation_names_every_problem_at_once(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("""
id = "bad"
version = "1"
provisional = true
[decision]
score_threshold = "high"
reduced_requires = ["P1", "P7"]
[[criteria]]
id = "P1"
text_vi = "x"
text_en = "x"
kind = "hard"
indicator = "active_sites_typo"
comparison = "=<"
weight = 5
[[criteria]]
id = "P2"
text_vi = "x"
text_en = "x"
kind = "scored"
indicator = "awareness_activities"
comparison = ">="
[[criteria]]
id = "P2"
text_vi = "x"
text_en = "x"
kind = "optional"
indicator = "attestation"
""", encoding="utf-8")
    with pytest.raises(RulesetError) as err:
        load_ruleset(path)
    message = str(err.value)
    for fragment in ("missing key 'legal_basis'", "unknown indicator 'active_sites_typo'",
                     "comparison '=<' is not one of <= < == >= >", "criterion P1: missing 'threshold'",
                     "hard criterion takes no 'weight'", "criterion P2: missing 'threshold'",
                     "scored criterion needs a 'weight'", "kind 'optional' is not one of",
                     "'P2' is used twice", "score_threshold 'high' must be a number",
                     "unknown criterion 'P7'"):
        assert fragment in message, fragment
    assert message.count("\n  - ") >= 11


def test_an_unknown_rule_set_lists_the_shipped_ones():
    with pytest.raises(UnknownRulesetError, match="nqlt-01-2008-provisional"):
        load_ruleset("nqlt-2099")


def test_an_indicator_registered_by_name_can_be_used_by_an_edited_rule_set():
    @indicator("test_always_two")
    def _two(inputs, period, *, criterion=""):
        return frame_for(inputs, {}, values=pd.Series(2.0, index=inputs.units["commune_code"]))

    try:
        data = {"id": "t", "version": "2", "legal_basis": "test", "provisional": True,
                "decision": {"score_threshold": 5, "reduced_requires": []},
                "criteria": [{"id": "X", "text_vi": "x", "text_en": "x", "kind": "scored",
                              "indicator": "test_always_two", "comparison": ">", "threshold": 1,
                              "weight": 5}]}
        row, crit = classify_one(empty_inputs(["A"]), rules=parse_ruleset(data))
        assert (row["status"], crit["X"]["value"]) == ("healthy", 2.0)
    finally:
        INDICATORS.pop("test_always_two")


def test_compare_names_status_and_criteria_changes():
    before = classify_communes(scenario(), RULES, period=Y2018)
    after = classify_communes(scenario(reports={"awareness_activities": 0, "tips_received": 1,
                                                "tips_handled": 0}), RULES, period=Y2018)
    diff = compare_results(before, after)
    assert diff.to_dict(orient="records") == [{
        "commune_code": "A", "status_before": "healthy", "status_after": "reduced",
        "score_before": 100.0, "score_after": 60.0, "changed_criteria": ["P6", "P7"]}]
    assert compare_results(before, before).empty


def test_a_snapshot_states_its_rule_text_only_when_the_shipped_file_is_the_one_applied():
    from geo.classify import SnapshotMeta

    meta = SnapshotMeta.unstored(RULES, period="2018", convention="calendar", vintage_id="75:2010-02-06",
                                 data_as_of=datetime(2019, 1, 1, tzinfo=UTC))
    assert meta.shipped_ruleset() == RULES
    assert dataclasses.replace(meta, ruleset_sha256="0" * 64).shipped_ruleset() is None  # file changed
    # An id is never read as a path: this file exists and is no rule set.
    assert dataclasses.replace(meta, ruleset_id="pyproject.toml").shipped_ruleset() is None
    assert dataclasses.replace(meta, ruleset_id="gone").shipped_ruleset() is None


# --- against the demo data in PostGIS ------------------------------------------------------

def cli(db_url, *args):
    from webapp.cli import main
    from webapp.commands.classify import classify, classify_compare

    group = click.Group(commands={**main.commands, "classify": classify,
                                  "classify-compare": classify_compare})
    result = CliRunner().invoke(group, list(args), env={"DATABASE_URL": db_url},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.postgis
@pytest.mark.parametrize(("period", "vintage", "units"), [("2018", "75:2010-02-06", 171 + 111),
                                                          ("2025-H2", "75:2025-07-01", 95)])
def test_cli_classifies_the_demo_with_every_status_and_stores_the_snapshot(db_url, loaded, engine,
                                                                           period, vintage, units):
    result = cli(db_url, "classify", "--period", period, "--vintage", vintage, "--json")
    rows = json.loads(result.stdout)
    assert len(rows) == units
    assert {r["status"] for r in rows} == {"healthy", "reduced", "not_healthy", "not_assessed"}
    assert set(rows[0]) == {"commune_code", "name", "status", "score", "criteria"}
    assert [c["id"] for c in rows[0]["criteria"]] == [f"P{i}" for i in range(1, 10)]
    assert "PROVISIONAL" in result.stderr
    snapshot = int(result.stderr.split()[1])
    from geo.store.classification import read_snapshot

    meta, stored = read_snapshot(engine, snapshot)
    assert (meta.period, meta.vintage_id, meta.ruleset_sha256) == (period, vintage, RULES.sha256)
    assert meta.stored and meta.shipped_ruleset() == RULES
    again = int(cli(db_url, "classify", "--period", period, "--vintage", vintage).stderr.split()[1])
    compared = json.loads(cli(db_url, "classify-compare", str(snapshot), str(again), "--json").stdout)
    assert (compared["before"]["id"], compared["after"]["id"], compared["changes"]) == (snapshot, again, [])
    assert compared["before"]["data_as_of"] == meta.data_as_of.isoformat()
    assert stored["status"].tolist() == [r["status"] for r in rows]
    assert stored["criteria"].tolist() == [[{**c, "kind": s["kind"]} for c, s in zip(
        r["criteria"], stored_c, strict=True)] for r, stored_c in zip(rows, stored["criteria"],
                                                                      strict=True)]


@pytest.mark.postgis
def test_the_default_vintage_is_the_one_valid_in_the_period(db_url, loaded):
    result = cli(db_url, "classify", "--period", "2025-H2")
    assert "vintage 75:2025-07-01" in result.stderr and "healthy:" in result.stdout


@pytest.mark.postgis
def test_snapshots_cannot_be_updated_or_deleted(conn):
    snapshot = _take_snapshot(conn, "2018", "75:2010-02-06")
    for statement in (f"UPDATE classification_snapshot SET period = '2017' WHERE id = {snapshot}",
                      f"DELETE FROM classification_snapshot WHERE id = {snapshot}",
                      f"UPDATE classification_result SET status = 'healthy' WHERE snapshot_id = {snapshot}",
                      f"DELETE FROM classification_result WHERE snapshot_id = {snapshot}"):
        with pytest.raises(DBAPIError, match="immutable"), conn.begin_nested():
            conn.execute(text(statement))


@pytest.mark.postgis
def test_a_snapshot_is_reproduced_unchanged_after_new_data_arrives(conn):
    from geo.store.classification import read_snapshot

    snapshot = _take_snapshot(conn, "2018", "75:2010-02-06")
    _, before = read_snapshot(conn, snapshot)
    healthy = before.loc[before["status"] == "healthy", "commune_code"].iloc[0]
    # A new public site is reported in that commune during 2018 (by commune reference only).
    conn.execute(text("""
        WITH s AS (INSERT INTO site (site_kind, unit_id, import_batch_id)
                   SELECT 'public', id, (SELECT min(id) FROM import_batch) FROM admin_unit
                   WHERE vintage_id = '75:2010-02-06' AND code = :c AND level = 'commune' RETURNING id)
        INSERT INTO site_event (site_id, event_date, event_type, import_batch_id)
        SELECT id, '2018-07-01', 'identified', (SELECT min(id) FROM import_batch) FROM s"""),
        {"c": healthy})
    _, again = read_snapshot(conn, snapshot)
    pd.testing.assert_frame_equal(before, again)
    newer = _take_snapshot(conn, "2018", "75:2010-02-06")
    from geo.store.classification import compare_snapshots

    _, _, changes = compare_snapshots(conn, snapshot, newer)
    assert changes.to_dict(orient="records")[0] | {"score_before": 0, "score_after": 0} == {
        "commune_code": healthy, "status_before": "healthy", "status_after": "not_healthy",
        "score_before": 0, "score_after": 0, "changed_criteria": ["P1", "P3"]}
    assert len(changes) == 1


@pytest.mark.postgis
def test_every_reader_gives_one_snapshot_the_same_metadata(conn):
    from geo.store.classification import list_snapshots, newest_snapshots, read_snapshot
    from geo.store.recognition import year_snapshots

    snapshot = _take_snapshot(conn, "2016", "75:2010-02-06")
    meta, results = read_snapshot(conn, snapshot)
    assert (meta.id, meta.period, meta.convention, meta.created_by) == (snapshot, "2016", "calendar", "test")
    assert meta.created_at is not None and meta.data_as_of <= meta.created_at
    assert newest_snapshots(conn, vintage="75:2010-02-06", periods=["2016"]) == [meta]
    assert year_snapshots(conn, 2016, vintage="75:2010-02-06")[0] == meta
    (listed,) = [m for m in list_snapshots(conn, limit=50) if m.id == snapshot]
    assert listed.counts == results["status"].value_counts().to_dict()
    assert listed == dataclasses.replace(meta, counts=listed.counts) and meta.counts == {}
    summary = meta.summary()
    assert summary["stored"] and "provisional" not in summary and "created_by" not in summary
    assert json.loads(json.dumps(summary))["data_as_of"] == meta.data_as_of.isoformat()


def _take_snapshot(conn, label, vintage):
    from webapp.workflows.classification import classify_period, store_run

    run = classify_period(conn, period=parse_period(label), ruleset=RULES, vintage=vintage)
    return store_run(conn, run, created_by="test")


@pytest.mark.postgis
def test_the_demo_commune_of_a_site_reactivated_by_an_incident_in_2018_fails_p3(db_url, engine):
    # Found in SQL, independently of the engine: a site cleared in 2018, then (before any later
    # clearing, within the default window and radius) a prostitution incident in 2018, with no
    # officer's record of the site in 2018 (so recorded events alone would not fail P3).
    srid = int(WORK_CRS.split(":")[1])
    with engine.connect() as c:
        found = c.execute(text(f"""
            SELECT DISTINCT u.code, s.id
            FROM site s
            JOIN site_event k ON k.site_id = s.id AND k.event_type IN ('cleared', 'recleared')
                             AND k.event_date >= '2018-01-01'
            JOIN incident i ON i.incident_kind = ANY(:kinds) AND i.event_date > k.event_date
                           AND i.event_date < '2019-01-01' AND i.event_date <= k.event_date + :window
                           AND ST_DWithin(ST_Transform(i.geom, {srid}), ST_Transform(s.geom, {srid}), :radius)
            JOIN admin_unit u ON u.vintage_id = '75:2010-02-06' AND u.level = 'commune'
                             AND ST_Covers(u.geom, s.geom)
            WHERE NOT EXISTS (SELECT 1 FROM site_event n WHERE n.site_id = s.id
                              AND n.event_type IN ('cleared', 'recleared')
                              AND n.event_date > k.event_date AND n.event_date < i.event_date)
              AND NOT EXISTS (SELECT 1 FROM site_event r WHERE r.site_id = s.id
                              AND r.event_type IN ('identified', 'reactivated')
                              AND r.event_date BETWEEN '2018-01-01' AND '2018-12-31')"""),
            {"kinds": sorted(PROSTITUTION_KINDS), "window": WINDOW, "radius": RADIUS}).all()
    assert found, "the demo should hold a site reactivated by an incident in 2018"
    result = run_cli(db_url, "classify", "--period", "2018", "--vintage", "75:2010-02-06", "--json")
    assert result.exit_code == 0, result.output
    p3 = {r["commune_code"]: r["criteria"][2] for r in json.loads(result.stdout)}
    for code, site in found:
        assert p3[code]["id"] == "P3" and p3[code]["passed"] is False, (code, site)
        assert site in p3[code]["evidence"]
        assert site in [r["site_id"] for r in p3[code]["detail"]["reactivations"]]
