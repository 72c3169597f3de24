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
from geo.targets import track_targets
from webapp.commands.targets import targets as targets_command

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
YEARS = [2016, 2017, 2018, 2019, 2020]


def _squash(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


@pytest.fixture(scope="module")
def plan_text() -> str:
    path = SEEDS / "000_e8f66064faf255ac.txt"
    assert path.is_file(), f"the plan is expected at {path}"
    return _squash(path.read_text(encoding="utf-8"))


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

COMMUNES = pd.DataFrame({"unit_code": ["C1", "C2", "C3"], "district_code": ["D1", "D1", "D2"]})
TARGETS = pd.DataFrame({"target_id": ["insp", "healthy", "never"],
                        "kind": ["cumulative", "share", "share"],
                        "measure": ["inspections", "healthy_share", "none"],
                        "target": [100.0, 0.8, 1.0]})


def _counts(rows):
    return pd.DataFrame(rows, columns=["measure", "year", "unit_code", "numerator"]).assign(
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
                             "unit_code": ["C1", "C2", "C3"], "numerator": [1.0, 1.0, 0.0],
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
        direct = conn.execute(text("SELECT count(*) FROM inspection WHERE inspection_date >= "
                                   "'2018-01-01' AND inspection_date < '2019-01-01'")).scalar_one()
        districts = conn.execute(text("SELECT count(*) FROM admin_unit WHERE vintage_id = "
                                      "'2010-02-06' AND level = 'district'")).scalar_one()
    inspections_2018 = [r for r in rows if r["scope"] == "province" and r["target_id"] == "inspections"
                        and r["year"] == 2018]
    assert direct > 0 and [r["value"] for r in inspections_2018] == [direct]
    assert len({r["scope"] for r in rows} - {"province"}) == districts > 0
    healthy = [r for r in rows if r["target_id"] == "healthy_communes" and r["year"] == 2020]
    assert healthy and all(r["value"] is None and "diaban classify --period 2020" in r["note"]
                           for r in healthy)


@pytest.mark.postgis
def test_cli_table_for_one_district_and_year(db_url, loaded, engine):
    with engine.connect() as conn:
        code = conn.execute(text("SELECT min(code) FROM admin_unit WHERE vintage_id = '2010-02-06' "
                                 "AND level = 'district'")).scalar_one()
    env = {"DATABASE_URL": db_url}
    result = CliRunner().invoke(targets_command, ["--year", "2018", "--district", code], env=env,
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f"({code})" in result.output and "Toàn tỉnh" not in result.output
    assert "Triệt phá 150 vụ mua bán dâm / Break up 150 cases" in result.output
    assert "2017" not in result.output.split("Năm/Year", 1)[1]
    bad = CliRunner().invoke(targets_command, ["--district", "nope"], env=env)
    assert bad.exit_code == 2 and "known:" in bad.output

