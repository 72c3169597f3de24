"""Plan targets: the targets file against the plan text, progress worked by hand, the CLI on PostGIS."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from boundaries.province import load_province
from boundaries.targets import load_targets
from etl.vocabulary import act_codes
from geo.periods import parse_period
from geo.store.targets import read_target_measures
from geo.targets import track_targets
from tests.helpers import IN_PLAN_PROVINCE
from webapp.commands.targets import targets as targets_command

#: The plan's text, bundled with the repository (docs/README.md gives its provenance).
PLAN = Path(__file__).resolve().parents[1] / "docs" / "plan-dong-nai-2016-2020.txt"
YEARS = [2016, 2017, 2018, 2019, 2020]


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


@pytest.fixture(scope="module")
def plan_text() -> str:
    return _squash(PLAN.read_text(encoding="utf-8"))


def test_province_names_the_targets_file():
    assert load_province().plan["targets"] == "targets.toml"


def test_every_quote_and_number_is_in_the_plan(plan_text):
    section_two = plan_text[plan_text.index("II. MỤC TIÊU, CHỈ TIÊU"):plan_text.index("III. NỘI DUNG")]
    _, table = load_targets()
    for row in table.itertuples():
        assert _squash(row.source) in section_two, row.target_id
        assert row.number in _squash(row.source), row.target_id
        shown = float(row.number.rstrip("%").replace(".", ""))
        assert shown == (row.target * 100 if row.unit == "percent" else row.target), row.target_id


def test_the_headline_targets_as_the_plan_states_them():
    _, table = load_targets()
    got = table.set_index("target_id")[["target", "kind"]].to_dict("index")
    assert {k: (v["target"], v["kind"]) for k, v in got.items() if k in {
        "cases_broken_up", "inspections", "community_education", "vocational_training",
        "reintegrated", "healthy_communes", "awareness_communes", "establishments_inspected"}} == {
        "cases_broken_up": (150, "cumulative"), "inspections": (8000, "cumulative"),
        "community_education": (60, "cumulative"), "vocational_training": (60, "cumulative"),
        "reintegrated": (25, "cumulative"), "healthy_communes": (0.8, "share"),
        "awareness_communes": (1.0, "share"), "establishments_inspected": (1.0, "share")}


# --- pure progress, worked by hand -------------------------------------------------------

COMMUNES = pd.DataFrame({"commune_code": ["C1", "C2", "C3"], "district_code": ["D1", "D1", "D2"]})
TARGETS = pd.DataFrame({"target_id": ["insp", "healthy", "never"],
                        "kind": ["cumulative", "share", "share"],
                        "measure": ["inspections", "healthy_share", "none"],
                        "target": [100.0, 0.8, 1.0]})


def _counts(rows):
    return pd.DataFrame(rows, columns=["measure", "year", "commune_code", "numerator"]).assign(
        denominator=np.nan)


def _row(out, scope, target_id, year):
    hit = out[(out.scope == scope) & (out.target_id == target_id) & (out.year == year)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_cumulative_sums_and_on_track_rule():
    # Province: 2016 = 10 + 5 + 3 unassigned = 18 (due 100 × 1/5 = 20: behind);
    # 2017 = 25, cumulative 43 (due 40: on track); 2018 = 0, cumulative 43 (due 60: behind).
    measured = _counts([("inspections", 2016, "C1", 10), ("inspections", 2016, "C3", 5),
                        ("inspections", 2016, None, 3), ("inspections", 2017, "C2", 25)])
    out = track_targets(TARGETS, measured, COMMUNES, years=YEARS)
    expected = {2016: (18, 18, False), 2017: (25, 43, True), 2018: (0, 43, False)}
    for year, (value, cumulative, on_track) in expected.items():
        row = _row(out, "province", "insp", year)
        assert (row.value, row.cumulative, row.on_track) == (value, cumulative, on_track)
    assert _row(out, "province", "insp", 2017).share_of_target == pytest.approx(0.43)
    # Districts: their own sums (unassigned records in none), no target, so no verdict.
    d1, d2 = _row(out, "D1", "insp", 2017), _row(out, "D2", "insp", 2016)
    assert (d1.value, d1.cumulative, d2.value, d2.cumulative) == (25, 35, 5, 5)
    assert np.isnan(d1.target) and d1.on_track is None
    assert set(out.target_id) == {"insp", "healthy"}  # unmeasured targets are left out


def test_share_target_and_missing_snapshot_is_not_a_zero():
    # 2016: C1, C2 healthy, C3 not → province 2/3 < 0.8; D1 2/2 = 1.0. 2017: no snapshot.
    measured = pd.DataFrame({"measure": "healthy_share", "year": 2016,
                             "commune_code": ["C1", "C2", "C3"], "numerator": [1.0, 1.0, 0.0],
                             "denominator": 1.0})
    gaps = pd.DataFrame({"measure": ["healthy_share"], "year": [2017],
                         "note": ["run `diaban classify --period 2017`"]})
    out = track_targets(TARGETS, measured, COMMUNES, years=YEARS, gaps=gaps)
    province = _row(out, "province", "healthy", 2016)
    assert province.value == pytest.approx(2 / 3) and province.on_track is False
    assert np.isnan(province.cumulative)
    assert _row(out, "D1", "healthy", 2016).value == 1.0
    missing = _row(out, "province", "healthy", 2017)
    assert np.isnan(missing.value) and missing.on_track is None
    assert "diaban classify --period 2017" in missing.note


def test_a_missing_year_stops_the_cumulative_total():
    targets = pd.DataFrame({"target_id": ["edu"], "kind": ["cumulative"],
                            "measure": ["report:people_reached"], "target": [60.0]})
    measured = _counts([("report:people_reached", 2016, "C1", 20),
                        ("report:people_reached", 2018, "C1", 7)])
    gaps = pd.DataFrame({"measure": ["report:people_reached"], "year": [2017],
                         "note": ["no commune reported people_reached for 2017"]})
    out = track_targets(targets, measured, COMMUNES, years=YEARS, gaps=gaps)
    assert _row(out, "province", "edu", 2016).on_track is True  # 20 ≥ 60 × 1/5 = 12
    assert np.isnan(_row(out, "province", "edu", 2018).cumulative)
    assert _row(out, "province", "edu", 2018).value == 7
    # A district without any report is missing data, not zero.
    assert np.isnan(_row(out, "D2", "edu", 2016).value)


def test_cases_are_busted_cases_and_every_measured_target_says_how():
    # II.2.a counts cases of buying and selling sex that were dealt with, not every incident row.
    _, table = load_targets()
    by_id = table.set_index("target_id")
    assert by_id.at["cases_broken_up", "measure"] == "busted_cases"
    measured = table[table["measure"] != "none"]
    assert measured["how"].map(lambda h: isinstance(h, str) and len(h) > 20).all()
    assert measured["how_en"].map(lambda h: isinstance(h, str) and len(h) > 20).all()
    # "Giảm 80 %" is a reduction from the plan's start, configured in the file.
    assert (by_id.at["disguised_establishments_reduced", "kind"],
            by_id.at["disguised_establishments_reduced", "baseline"]) == ("reduction", 2016)


def test_a_quarter_is_judged_to_date_against_pro_rata_goals():
    targets = pd.DataFrame({"target_id": ["insp", "healthy", "inspected"],
                            "kind": ["cumulative", "share", "share"],
                            "measure": ["inspections", "healthy_share", "inspected_share"],
                            "target": [100.0, 0.8, 1.0], "period_rule": ["pro_rata", "held", "pro_rata"]})
    measured = pd.concat([
        _counts([("inspections", 2016, "C1", 20.0), ("inspections", 2017, "C1", 20.0),
                 ("inspections", 2018, "C1", 6.0)]),
        pd.DataFrame({"measure": "healthy_share", "year": 2018, "commune_code": ["C1", "C2", "C3"],
                      "numerator": [1.0, 1.0, 0.0], "denominator": 1.0}),
        pd.DataFrame({"measure": "inspected_share", "year": 2018, "commune_code": ["C1"],
                      "numerator": [3.0], "denominator": [10.0]})], ignore_index=True)
    out = track_targets(targets, measured, COMMUNES, years=YEARS, through=2018, elapsed=0.25)
    assert out["year"].max() == 2018  # nothing after the period's year
    insp = _row(out, "province", "insp", 2018)
    # 46 to date against 100 × 2.25 / 5 = 45, not against a whole year's share (60).
    assert (insp["cumulative"], insp["due"], insp["basis"], insp["on_track"]) == (
        46.0, 45.0, "cumulative_to_date", True)
    inspected = _row(out, "province", "inspected", 2018)
    assert (inspected["due"], inspected["basis"], inspected["on_track"]) == (0.25, "pro_rata", True)
    healthy = _row(out, "province", "healthy", 2018)
    assert (healthy["due"], healthy["basis"], healthy["on_track"]) == (0.8, "held", False)
    assert _row(out, "province", "insp", 2017)["basis"] == "cumulative"


def test_a_reduction_is_measured_from_the_baseline_year():
    targets = pd.DataFrame({"target_id": ["fewer"], "kind": ["reduction"], "target": [0.8],
                            "measure": ["disguised_establishments"], "baseline": [2016]})
    measured = _counts([("disguised_establishments", y, "C1", n)
                        for y, n in ((2016, 50.0), (2017, 40.0), (2018, 30.0), (2019, 20.0), (2020, 10.0))])
    out = track_targets(targets, measured, COMMUNES, years=YEARS)
    got = {y: (round(_row(out, "province", "fewer", y)["value"], 3),
               round(_row(out, "province", "fewer", y)["due"], 3)) for y in YEARS}
    assert got == {2016: (0.0, 0.0), 2017: (0.2, 0.2), 2018: (0.4, 0.4), 2019: (0.6, 0.6), 2020: (0.8, 0.8)}
    assert _row(out, "province", "fewer", 2020)["on_track"] is True
    # A share of a year is annualised before it is compared: 6 in a quarter is 24 a year.
    part = track_targets(targets, _counts([("disguised_establishments", 2016, "C1", 50.0),
                                           ("disguised_establishments", 2017, "C1", 6.0)]),
                         COMMUNES, years=YEARS, through=2017, elapsed=0.25)
    assert round(_row(part, "province", "fewer", 2017)["value"], 3) == 0.52


@pytest.mark.postgis
def test_busted_cases_count_each_case_number_once_and_only_busted_cases(conn):
    codes = act_codes()
    def busted(year):
        measured, _, _ = read_target_measures(conn, ["busted_cases"], vintage="75:2010-02-06", years=[year],
                                              codes=codes)
        return measured["numerator"].sum()
    before = busted(2018)
    unit = conn.execute(text("SELECT id FROM admin_unit WHERE vintage_id = '75:2010-02-06' "
                             "AND level = 'commune' ORDER BY code LIMIT 1")).scalar_one()
    rows = [("2018-03-01", "chua_mai_dam", "khoi_to", "a" * 64),   # one case, two records
            ("2018-03-09", "chua_mai_dam", "khoi_to", "a" * 64),
            ("2018-04-01", "mua_ban_dam", "dang_xu_ly", "b" * 64),  # still pending: not busted
            ("2018-05-01", "thoat_y", "xu_phat_hanh_chinh", "c" * 64),  # not a case of buying or selling sex
            ("2018-06-01", "ban_dam", "xu_phat_hanh_chinh", None)]   # no case number: its own case
    for day, kind, outcome, ref in rows:
        conn.execute(text("INSERT INTO incident (event_date, incident_kind, outcome, case_ref_hmac, unit_id, "
                          "import_batch_id) VALUES (:d, :k, :o, :r, :u, (SELECT min(id) FROM import_batch))"),
                     {"d": day, "k": kind, "o": outcome, "r": ref, "u": unit})
    assert busted(2018) - before == 2
    # The case first recorded in 2017 is not counted again in 2018.
    conn.execute(text("INSERT INTO incident (event_date, incident_kind, outcome, case_ref_hmac, unit_id, "
                      "import_batch_id) VALUES ('2017-12-20', 'chua_mai_dam', 'khoi_to', :r, :u, "
                      "(SELECT min(id) FROM import_batch))"), {"r": "a" * 64, "u": unit})
    assert busted(2018) - before == 1


@pytest.mark.postgis
def test_snapshots_of_another_convention_are_never_read(conn):
    from geo.classify import load_ruleset
    from webapp.workflows.classification import classify_period, store_run

    period = parse_period("2019", convention="report_15_14")
    run = classify_period(conn, period=period, ruleset=load_ruleset(), vintage="75:2010-02-06")
    store_run(conn, run, created_by="test")
    results = run.results
    calendar, gaps, _ = read_target_measures(conn, ["healthy_share"], vintage="75:2010-02-06", years=[2019])
    assert calendar.empty and "calendar classification snapshot of 2019" in gaps["note"].iloc[0]
    own, gaps, _ = read_target_measures(conn, ["healthy_share"], vintage="75:2010-02-06", years=[2019],
                                        convention="report_15_14")
    assert len(own) == len(results) and gaps.empty


@pytest.mark.postgis
def test_each_plan_year_is_counted_on_the_units_of_its_date(conn):
    # 2019 and 2020 on the 170 old-Đồng-Nai communes of 2019-04-10 (Suối Trầu dissolved), the
    # years before on the 171 of 2010; a snapshot of 2020 on its units is the healthy share's
    from geo.classify import load_ruleset
    from webapp.workflows.classification import classify_period, store_run
    from webapp.workflows.targets import plan_progress

    period, vintage = parse_period("2020"), "75:2019-04-10"
    snapshot = store_run(conn, classify_period(conn, period=period, ruleset=load_ruleset(), vintage=vintage),
                         created_by="test")
    plan, _, rows, communes = plan_progress(conn)
    assert plan["vintages"] == {2016: "75:2010-02-06", 2017: "75:2010-02-06", 2018: "75:2010-02-06",
                                2019: vintage, 2020: vintage}
    healthy, total = conn.execute(text(
        "SELECT count(*) FILTER (WHERE status = 'healthy'), count(*) FROM classification_result r "
        "JOIN admin_unit u ON u.code = r.commune_code AND u.vintage_id = :v AND u.level = 'commune' "
        "AND u.former_province_code = '75' WHERE r.snapshot_id = :s"), {"v": vintage, "s": snapshot}).one()
    assert total == 170
    row = rows[(rows["scope"] == "province") & (rows["target_id"] == "healthy_communes")
               & (rows["year"] == 2020)]
    assert row["value"].iloc[0] == pytest.approx(healthy / total)
    assert "26407" in set(communes["commune_code"])  # Suối Trầu, a commune of 2016–2018, is still named


# --- the command on the demo data ---------------------------------------------------------

@pytest.mark.postgis
def test_cli_json_matches_the_store(db_url, loaded, engine):
    result = CliRunner().invoke(targets_command, ["--json"], env={"DATABASE_URL": db_url},
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["plan"]["start_year"] == 2016 and len(data["plan"]["targets"]) >= 8
    rows = data["rows"]
    with engine.connect() as conn:
        direct = conn.execute(text("SELECT count(*) FROM inspection JOIN establishment e ON e.id = "
                                   "establishment_id WHERE inspection_date >= '2018-01-01' AND "
                                   f"inspection_date < '2019-01-01' AND {IN_PLAN_PROVINCE}")).scalar_one()
        districts = conn.execute(text("SELECT count(*) FROM admin_unit WHERE vintage_id = '75:2010-02-06' "
                                      "AND level = 'district' AND former_province_code = '75'")).scalar_one()
    inspections_2018 = [r for r in rows if r["scope"] == "province" and r["target_id"] == "inspections"
                        and r["year"] == 2018]
    assert direct > 0 and [r["value"] for r in inspections_2018] == [direct]
    assert len({r["scope"] for r in rows} - {"province"}) == districts > 0
    healthy = [r for r in rows if r["target_id"] == "healthy_communes" and r["year"] == 2020]
    assert healthy and all(r["value"] is None and "diaban classify --period 2020" in r["note"]
                           for r in healthy)
    # II.2.a: cases busted, fewer than all incident rows of the year.
    cases = [r for r in rows if r["scope"] == "province" and r["target_id"] == "cases_broken_up"
             and r["year"] == 2018]
    with engine.connect() as conn:
        incidents = conn.execute(text("SELECT count(*) FROM incident WHERE event_date >= '2018-01-01' "
                                      "AND event_date < '2019-01-01'")).scalar_one()
    assert 0 < cases[0]["value"] < incidents


@pytest.mark.postgis
def test_cli_for_a_quarter_shows_the_year_to_date_pro_rata(db_url, loaded, engine):
    result = CliRunner().invoke(targets_command, ["--period", "2018-Q1", "--json"],
                                env={"DATABASE_URL": db_url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    rows = [r for r in json.loads(result.stdout)["rows"] if r["scope"] == "province"]
    assert max(r["year"] for r in rows) == 2018
    insp = next(r for r in rows if r["target_id"] == "inspections" and r["year"] == 2018)
    with engine.connect() as conn:
        q1 = conn.execute(text("SELECT count(*) FROM inspection JOIN establishment e ON e.id = "
                               "establishment_id WHERE inspection_date >= '2018-01-01' AND "
                               f"inspection_date < '2018-04-01' AND {IN_PLAN_PROVINCE}")).scalar_one()
    assert insp["value"] == q1 and insp["basis"] == "cumulative_to_date"
    assert insp["due"] == pytest.approx(8000 * (2 + 90 / 365) / 5)


@pytest.mark.postgis
def test_cli_table_for_one_district_and_year(db_url, loaded, engine):
    with engine.connect() as conn:
        # a district of old Đồng Nai: the 2016–2020 plan is old Đồng Nai's ([plan] province_code)
        code = conn.execute(text("SELECT min(code) FROM admin_unit WHERE vintage_id = '75:2010-02-06' "
                                 "AND level = 'district' AND former_province_code = '75'")).scalar_one()
    env = {"DATABASE_URL": db_url}
    result = CliRunner().invoke(targets_command, ["--year", "2018", "--district", code], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"({code})" in result.output and "Toàn tỉnh" not in result.output
    assert "Triệt phá 150 vụ mua bán dâm / Break up 150 cases" in result.output
    assert "2017" not in result.output.split("Năm/Year", 1)[1]
    bad = CliRunner().invoke(targets_command, ["--district", "nope"], env=env)
    assert bad.exit_code == 2 and "known:" in bad.output

