"""geo.reactivation on hand-made records checkable on paper, and the two CLI commands on PostGIS."""

import json
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from pyproj import Geod
from shapely import Point

from geo.errors import ReactivationError
from geo.reactivation import (
    SpaceTimeIndex,
    collect_evidence,
    events_near_clearings,
    kaplan_meier,
    knox_test,
    location_history,
    rank_at_risk,
    reactivation_survival,
    survival_summary,
    track_reactivations,
)
from geo.store.records import read_sites
from geo.store.units import read_units

X0, Y0 = 700_000.0, 1_200_000.0  # a point in Đồng Nai, EPSG:32648 metres
UTM = 32648


# ---------------------------------------------------------------- builders

def site_frame(*rows, index=None):
    """Sites as (site_id, dx, dy[, kind[, establishment_id]]) metres from (X0, Y0); dx None: no point."""
    return gpd.GeoDataFrame({
        "site_id": [r[0] for r in rows],
        "site_kind": [r[3] if len(r) > 3 else "public" for r in rows],
        "establishment_id": [r[4] if len(r) > 4 else None for r in rows],
    }, geometry=[None if r[1] is None else Point(X0 + r[1], Y0 + r[2]) for r in rows], crs=UTM, index=index)


def event_frame(*rows):
    """Site events as (event_id, site_id, ISO date, type)."""
    return pd.DataFrame(rows, columns=["event_id", "site_id", "event_date", "event_type"]).assign(
        event_date=lambda f: [date.fromisoformat(d) for d in f["event_date"]])


def incident_frame(*rows):
    """Incidents as (incident_id, ISO date, dx, dy[, kind[, site_id]]); dx None: commune-only."""
    return gpd.GeoDataFrame({
        "incident_id": [r[0] for r in rows],
        "event_date": [date.fromisoformat(r[1]) for r in rows],
        "incident_kind": [r[4] if len(r) > 4 else "mua_ban_dam" for r in rows],
        "establishment_id": [None] * len(rows),
        "site_id": [r[5] if len(r) > 5 else None for r in rows],
    }, geometry=[None if r[2] is None else Point(X0 + r[2], Y0 + r[3]) for r in rows], crs=UTM)


def inspection_frame(*rows):
    """Inspections as (inspection_id, ISO date, dx, dy, outcome, codes[, establishment_id])."""
    return gpd.GeoDataFrame({
        "inspection_id": [r[0] for r in rows],
        "inspection_date": [date.fromisoformat(r[1]) for r in rows],
        "establishment_id": [r[6] if len(r) > 6 else 900 + r[0] for r in rows],
        "establishment_type": ["karaoke"] * len(rows),
        "outcome": [r[4] for r in rows],
        "violation_codes": [r[5] for r in rows],
    }, geometry=[Point(X0 + r[2], Y0 + r[3]) for r in rows], crs=UTM)


def reactivated(*incidents, **options):
    """Whether the one site cleared on 2020-01-01 is reactivated by these incidents."""
    result = track(ONE_SITE, CLEARED, incident_frame(*incidents), **options)
    return bool(result.clearings["reactivated"].any())


def track(sites, events, incidents=None, inspections=None, **options):
    evidence = collect_evidence(incidents if incidents is not None else incident_frame(),
                                inspections if inspections is not None else inspection_frame())
    return track_reactivations(sites, events, evidence, **({"as_of": "2023-12-31"} | options))


CLEARED = event_frame((1, 1, "2019-06-01", "identified"), (2, 1, "2020-01-01", "cleared"))
ONE_SITE = site_frame((1, 0, 0))


# ---------------------------------------------------------------- detection

def test_incident_80_m_away_after_clearing_reactivates_with_that_evidence():
    result = track(ONE_SITE, CLEARED, incident_frame((7, "2020-06-01", 80, 0)))
    spell = result.clearings.iloc[0]
    assert spell["reactivated"] and spell["trigger"] == "incident" and spell["trigger_id"] == 7
    assert spell["reactivation_date"] == pd.Timestamp("2020-06-01")
    assert spell["days_to_reactivation"] == 152  # 31 + 29 + 31 + 30 + 31 days (2020 is a leap year)
    assert spell["incident_ids"] == [7] and spell["inspection_ids"] == [] and spell["event_ids"] == []
    assert result.sites["status"].tolist() == ["reactivated"]


def test_incident_120_m_away_is_too_far_at_100_m_but_not_at_150_m():
    assert not reactivated((7, "2020-06-01", 0, 120))
    assert reactivated((7, "2020-06-01", 0, 120), radius_m=150)


def test_incident_13_months_later_is_outside_the_12_month_window():
    incidents = incident_frame((7, "2021-02-01", 80, 0))
    result = track(ONE_SITE, CLEARED, incidents)
    assert not result.clearings["reactivated"].any() and result.sites["status"].tolist() == ["cleared"]
    # The window ends 365 days after the clearing, that day included.
    assert reactivated((7, "2020-12-31", 80, 0)) and not reactivated((7, "2021-01-01", 80, 0))
    assert reactivated((7, "2021-02-01", 80, 0), window_days=None)


def test_an_incident_on_the_clearing_day_is_the_clearing_not_a_comeback():
    assert not reactivated((7, "2020-01-01", 0, 0)) and reactivated((7, "2020-01-02", 0, 0))


def test_an_officers_reactivated_event_counts_whatever_the_window():
    events = pd.concat([CLEARED, event_frame((3, 1, "2022-05-01", "reactivated"))])
    spell = track(ONE_SITE, events).clearings.iloc[0]
    assert spell["trigger"] == "recorded" and spell["event_ids"] == [3]
    assert spell["reactivation_date"] == pd.Timestamp("2022-05-01")


def test_only_the_first_trigger_opens_a_reactivation_later_ones_are_its_evidence():
    events = pd.concat([CLEARED, event_frame((3, 1, "2020-09-01", "reactivated"))])
    incidents = incident_frame((7, "2020-06-01", 80, 0), (8, "2020-08-01", 0, 50), (9, "2020-07-01", 500, 0))
    inspections = inspection_frame((4, "2020-07-15", 10, 10, "xu_phat", []))
    result = track(ONE_SITE, events, incidents, inspections)
    assert len(result.clearings) == 1 and result.counts["reactivations"] == 1
    spell = result.clearings.iloc[0]
    assert (spell["trigger"], spell["trigger_id"]) == ("incident", 7)
    assert (spell["incident_ids"], spell["inspection_ids"], spell["event_ids"]) == ([7, 8], [4], [3])


def test_the_window_restarts_at_each_clearing():
    events = event_frame((2, 1, "2020-01-01", "cleared"), (3, 1, "2020-03-01", "reactivated"),
                         (4, 1, "2021-06-01", "recleared"))
    # 2020-12-01 belongs to the first spell; 2022-01-01 is 24 months after the first clearing
    # but 7 months after the re-clearing.
    incidents = incident_frame((7, "2020-12-01", 50, 0), (8, "2022-01-01", 50, 0))
    clearings = track(ONE_SITE, events, incidents).clearings
    first, second = clearings.iloc[0], clearings.iloc[1]
    assert (first["trigger"], first["event_ids"], first["incident_ids"]) == ("recorded", [3], [7])
    assert first["end_reason"] == "recleared" and first["end_date"] == pd.Timestamp("2021-06-01")
    assert (second["trigger"], second["trigger_id"], second["incident_ids"]) == ("incident", 8, [8])
    assert second["days_to_reactivation"] == 214


def test_a_reclearing_without_any_other_trigger_implies_a_reactivation_on_its_day():
    events = event_frame((2, 1, "2020-01-01", "cleared"), (4, 1, "2021-06-01", "recleared"))
    first = track(ONE_SITE, events).clearings.iloc[0]
    assert (first["trigger"], first["event_ids"]) == ("recleared", [4])
    assert first["reactivation_date"] == pd.Timestamp("2021-06-01")


def test_a_site_identified_again_after_clearing_counts_as_an_officers_record():
    events = pd.concat([CLEARED, event_frame((5, 1, "2020-04-01", "identified"))])
    assert track(ONE_SITE, events).clearings.iloc[0]["event_ids"] == [5]


def test_inspection_violation_and_relevant_kind_rules():
    inspections = inspection_frame((1, "2020-02-01", 0, 0, "nhac_nho", []),
                                   (2, "2020-03-01", 0, 0, "khong_vi_pham", None),
                                   (3, "2020-04-01", 0, 0, "nhac_nho", ["ND144-2021-D25"]),
                                   (4, "2020-05-01", 0, 0, "tam_dinh_chi", []))
    incidents = incident_frame((7, "2020-02-01", 0, 0, "khac"), (8, "2020-06-01", 0, 0, "chua_mai_dam"))
    spell = track(ONE_SITE, CLEARED, incidents, inspections).clearings.iloc[0]
    assert (spell["trigger"], spell["trigger_id"]) == ("inspection", 3)
    assert spell["inspection_ids"] == [3, 4] and spell["incident_ids"] == [8]
    evidence = collect_evidence(incidents, inspections, kinds={"khac"})
    assert evidence.loc[evidence["source"] == "incident", "record_id"].tolist() == [7]


def test_a_commune_only_incident_naming_the_site_counts_and_is_counted_as_pointless():
    incidents = incident_frame((7, "2020-06-01", None, None, "mua_ban_dam", 1),
                               (8, "2020-07-01", None, None, "mua_ban_dam", 2))
    result = track(ONE_SITE, CLEARED, incidents)
    assert result.clearings.iloc[0]["incident_ids"] == [7]
    assert result.counts["evidence_without_point"] == 2


def test_a_violation_at_the_sites_establishment_counts_without_a_site_point():
    sites = site_frame((1, None, None, "in_establishment", 55))
    inspections = inspection_frame((4, "2020-03-01", 9000, 0, "xu_phat", [], 55),
                                   (5, "2020-03-02", 0, 0, "xu_phat", [], 56))
    result = track(sites, CLEARED, inspections=inspections)
    assert result.clearings.iloc[0]["inspection_ids"] == [4]
    assert result.counts["sites_without_point"] == 1


def test_status_on_the_as_of_day_and_later_records_ignored():
    sites = site_frame((1, 0, 0), (2, 5000, 0), (3, 10000, 0), index=[30, 10, 20])
    events = pd.concat([CLEARED, event_frame((6, 2, "2018-01-01", "identified"),
                                             (7, 3, "2019-01-01", "cleared"))])
    incidents = incident_frame((7, "2020-06-01", 80, 0))
    early = track(sites, events, incidents, as_of="2020-05-31")
    assert early.sites.index.tolist() == [30, 10, 20]
    assert early.sites["status"].tolist() == ["cleared", "active", "cleared"]
    spell = early.clearings[early.clearings["site_id"] == 1].iloc[0]
    assert spell["end_date"] == pd.Timestamp("2020-05-31") and spell["followup_days"] == 151
    late = track(sites, events, incidents, as_of="2020-06-01")
    assert late.sites["status"].tolist() == ["reactivated", "active", "cleared"]
    assert track(sites, events, as_of="2019-12-31").counts["events_after_as_of"] == 1


def test_timeline_merges_recorded_events_and_detected_reactivations():
    events = pd.concat([CLEARED, event_frame((3, 1, "2020-09-01", "reactivated"))])
    timeline = track(ONE_SITE, events, incident_frame((7, "2020-06-01", 80, 0))).timeline
    assert timeline[["event", "origin"]].values.tolist() == [
        ["identified", "recorded"], ["cleared", "recorded"], ["reactivated", "detected"],
        ["reactivated", "recorded"]]
    assert timeline["clearing_event_id"].tolist()[2:] == [2, 2]
    assert timeline.iloc[2]["incident_ids"] == [7]


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 800), min_size=1, max_size=3, unique=True),
       st.lists(st.tuples(st.integers(-120, 120), st.integers(-120, 120), st.integers(0, 1000)), max_size=15),
       st.sampled_from([50.0, 100.0]), st.sampled_from([90, 365, None]))
def test_detection_matches_a_brute_force_reading_of_the_rules(clear_days, points, radius, window):
    start = date(2018, 1, 1).toordinal()
    iso = [date.fromordinal(start + d).isoformat() for d in range(1001)]
    days = sorted(clear_days)
    events = event_frame(*[(k, 1, iso[d], "cleared") for k, d in enumerate(days)])
    incidents = incident_frame(*[(i, iso[t], x, y) for i, (x, y, t) in enumerate(points)])
    result = track(ONE_SITE, events, incidents, as_of=iso[1000], radius_m=radius, window_days=window)
    for k, d in enumerate(days):
        end = days[k + 1] if k + 1 < len(days) else 1000
        end = min(end, d + window) if window else end
        hits = sorted((t, i) for i, (x, y, t) in enumerate(points)
                      if np.hypot(x, y) <= radius and d < t <= end)
        spell = result.clearings.iloc[k]
        assert spell["incident_ids"] == sorted(i for _, i in hits)
        assert spell["reactivated"] == bool(hits)
        if hits:
            assert spell["days_to_reactivation"] == hits[0][0] - d


def test_bad_options_and_inputs_are_named():
    with pytest.raises(ReactivationError, match="radius_m must be a positive number, got -5"):
        track(ONE_SITE, CLEARED, radius_m=-5)
    with pytest.raises(ReactivationError, match="window_days must be a positive integer"):
        track(ONE_SITE, CLEARED, window_days=30.5)
    with pytest.raises(ReactivationError, match=r"sites lacks column\(s\) \['site_kind'\]"):
        track(ONE_SITE.drop(columns="site_kind"), CLEARED)
    with pytest.raises(ReactivationError, match=r"site_id must be unique in sites; repeated: \[1\]"):
        track(pd.concat([ONE_SITE, ONE_SITE]), CLEARED)
    with pytest.raises(ReactivationError, match="has no CRS"):
        track(ONE_SITE.set_crs(None, allow_override=True), CLEARED)
    with pytest.raises(ReactivationError, match="ci='wide' is not allowed; use one of: 'log-log', 'log'"):
        kaplan_meier([1], [True], ci="wide")


# ---------------------------------------------------------------- the 3-D index

coordinate = st.integers(-300, 300).map(float)
point = st.tuples(coordinate, coordinate, st.integers(0, 60).map(float))


@settings(max_examples=80, deadline=None)
@given(st.lists(point, max_size=40), point, st.integers(0, 40), st.sampled_from([0.0, 50.0, 99.5, 150.0]))
def test_space_time_query_equals_brute_force(points, centre, span, radius):
    xyz = np.array(points, dtype=float).reshape(-1, 3)
    ids = np.arange(100, 100 + len(xyz))
    index = SpaceTimeIndex(xyz[:, 0], xyz[:, 1], xyz[:, 2], ids=ids)
    x, y, t0 = centre
    found = index.query(x, y, t0, t0 + span, radius)
    inside = (np.hypot(xyz[:, 0] - x, xyz[:, 1] - y) <= radius) & (xyz[:, 2] >= t0) & (xyz[:, 2] <= t0 + span)
    assert found.tolist() == ids[inside].tolist()
    assert set(found.tolist()) <= set(index.candidates(x, y, t0, t0 + span, radius).tolist())


def test_index_skips_rows_without_a_point_or_date_and_open_time_bounds():
    index = SpaceTimeIndex([0, np.nan, 10], [0, 0, 0], [5, 6, np.nan])
    assert index.skipped == 2 and len(index) == 1
    assert index.query(0, 0, None, None, 1).tolist() == [0]
    assert SpaceTimeIndex([], [], []).query(0, 0, 0, 1, 5).tolist() == []


# ---------------------------------------------------------------- Kaplan–Meier

# Freireich et al. (1963), 6-MP arm: weeks in remission; False = censored. The estimates and
# Greenwood standard errors are the textbook table (Kleinbaum & Klein, Survival Analysis,
# ch. 2; R: summary(survfit(Surv(time, status) ~ 1), conf.type = "log")).
SIX_MP = [(6, True), (6, True), (6, True), (6, False), (7, True), (9, False), (10, True), (10, False),
          (11, False), (13, True), (16, True), (17, False), (19, False), (20, False), (22, True),
          (23, True), (25, False), (32, False), (32, False), (34, False), (35, False)]
SIX_MP_TABLE = [  # time, at risk, events, survival, std err, lower, upper (95 %, log scale)
    (6, 21, 3, 0.857, 0.0764, 0.720, 1.000), (7, 17, 1, 0.807, 0.0869, 0.653, 0.996),
    (10, 15, 1, 0.753, 0.0963, 0.586, 0.968), (13, 12, 1, 0.690, 0.1068, 0.510, 0.935),
    (16, 11, 1, 0.627, 0.1141, 0.439, 0.896), (22, 7, 1, 0.538, 0.1282, 0.337, 0.858),
    (23, 6, 1, 0.448, 0.1346, 0.249, 0.807)]


def test_kaplan_meier_reproduces_the_6mp_textbook_table():
    times, events = zip(*SIX_MP, strict=True)
    km = kaplan_meier(times, events, ci="log")
    expected = np.array(SIX_MP_TABLE)
    assert km[["time", "at_risk", "events"]].to_numpy().tolist() == expected[:, :3].tolist()
    np.testing.assert_allclose(km["survival"], expected[:, 3], atol=5e-4)
    np.testing.assert_allclose(km["std_err"], expected[:, 4], atol=5e-5)
    np.testing.assert_allclose(km[["ci_lower", "ci_upper"]], expected[:, 5:], atol=5e-4)
    # at risk of the next row = at risk − events − censored in between
    assert (km["at_risk"].iloc[1:].to_numpy()
            == (km["at_risk"] - km["events"] - km["censored"]).iloc[:-1].to_numpy()).all()


def test_kaplan_meier_log_log_interval_worked_by_hand():
    # t = 6: S = 18/21; Σ d/(n(n−d)) = 3/378; se(log S) = 0.089087; log S = −0.154151;
    # θ-se = 0.577921; bounds S^exp(±1.959964 · 0.577921) = S^3.1041, S^0.3222.
    times, events = zip(*SIX_MP, strict=True)
    row = kaplan_meier(times, events).iloc[0]
    assert row["survival"] == pytest.approx(18 / 21)
    assert row["std_err"] == pytest.approx(18 / 21 * np.sqrt(3 / 378))
    assert (row["ci_lower"], row["ci_upper"]) == pytest.approx((0.61972, 0.95155), abs=5e-5)


def test_kaplan_meier_small_hand_example_and_total_failure():
    km = kaplan_meier([2, 3, 5, 8, 8], [True, False, True, True, True])
    assert km["survival"].tolist() == pytest.approx([0.8, 0.8 * 2 / 3, 0.0])
    assert km["at_risk"].tolist() == [5, 3, 2] and km["censored"].tolist() == [1, 0, 0]
    assert np.isnan(km["std_err"].iloc[-1]) and np.isnan(km["ci_lower"].iloc[-1])
    plain = kaplan_meier([2, 3, 5, 8, 8], [True, False, True, True, True], ci="plain").iloc[0]
    assert plain["ci_lower"] == pytest.approx(0.8 - 1.959964 * np.sqrt(0.8 * 0.2 / 5), abs=1e-6)


def test_survival_by_group_and_summary():
    spells = pd.DataFrame({"followup_days": [30, 60, 90, 120, 400, 10],
                           "reactivated": [True, False, True, True, False, True],
                           "site_kind": ["public"] * 4 + ["in_establishment", None]})
    km = reactivation_survival(spells, by="site_kind")
    assert km["group"].unique().tolist() == ["(unknown)", "public"]
    public = km[km["group"] == "public"]
    assert public["survival"].tolist() == pytest.approx([0.75, 0.375, 0.0])
    summary = survival_summary(spells, by="site_kind", horizons=(100, 365, 500)).set_index("group")
    assert summary.loc["public", "median_days"] == 90
    assert summary.loc["public", "survival_100d"] == pytest.approx(0.375)
    assert summary.loc["public", "survival_500d"] == 0  # all reactivated by day 120: stays 0
    assert summary.loc["in_establishment", "reactivated"] == 0
    assert np.isnan(summary.loc["in_establishment", "median_days"])
    assert summary.loc["in_establishment", "survival_365d"] == 1
    assert np.isnan(summary.loc["in_establishment", "survival_500d"])  # beyond its censored follow-up


# ---------------------------------------------------------------- Knox

def events_frame(x, y, days):
    return gpd.GeoDataFrame({"date": pd.to_datetime(np.asarray(days), unit="D", origin="2018-01-01")},
                            geometry=gpd.points_from_xy(X0 + np.asarray(x), Y0 + np.asarray(y)), crs=UTM)


def clustered_events(seed=3):
    rng = np.random.default_rng(seed)
    n = 80
    x, y, t = rng.uniform(0, 20000, n), rng.uniform(0, 20000, n), rng.integers(0, 1000, n)
    follow = np.repeat(np.arange(n), 2)  # each event has two near repeats: ≤ 50 m, 1–10 days
    angle = rng.uniform(0, 2 * np.pi, len(follow))
    r = rng.uniform(5, 50, len(follow))
    return events_frame(np.r_[x, x[follow] + r * np.cos(angle)], np.r_[y, y[follow] + r * np.sin(angle)],
                        np.r_[t, t[follow] + rng.integers(1, 11, len(follow))])


def cell(result, distance, time):
    table = result.table
    return table[(table["distance_band"] == distance) & (table["time_band"] == time)].iloc[0]


def test_knox_finds_constructed_near_repeats():
    result = knox_test(clustered_events(), permutations=199, seed=1)
    near = cell(result, "(0, 100] m", "0–13 days")
    assert near["observed"] >= 160 and near["ratio"] > 10 and near["p_value"] == pytest.approx(1 / 200)
    # Far apart and long after, pairs are as many as chance gives (the totals per time band
    # are fixed, so the excess of near pairs is taken from here, by less than 1 %).
    assert cell(result, "> 500 m", "≥ 70 days")["ratio"] == pytest.approx(1, abs=0.01)
    assert result.table["observed"].sum() == result.params["pairs"] == 240 * 239 // 2


def test_knox_on_a_permutation_invariant_pattern_gives_ratio_one():
    # Every event on one day: permuting dates changes nothing, so expected = observed.
    rng = np.random.default_rng(5)
    result = knox_test(events_frame(rng.uniform(0, 800, 60), rng.uniform(0, 800, 60), np.zeros(60)),
                       permutations=99)
    filled = result.table[result.table["expected"] > 0]
    assert len(filled) >= 6
    assert (filled["ratio"] == 1).all() and (filled["p_value"] == 1).all()


def test_knox_on_random_points_and_dates_stays_near_one():
    rng = np.random.default_rng(8)
    events = events_frame(rng.uniform(0, 5000, 600), rng.uniform(0, 5000, 600), rng.integers(0, 700, 600))
    result = knox_test(events, distance_band_m=500, time_band_days=60, permutations=99, seed=2)
    inner = result.table[result.table["expected"] > 50]
    assert len(inner) >= 20 and inner["ratio"].between(0.8, 1.25).all()
    assert (result.table["p_value"] < 0.01).sum() <= 1


def test_knox_fixed_seed_gives_identical_p_values():
    events = clustered_events(seed=4)
    a = knox_test(events, permutations=99, seed=11).table
    b = knox_test(events, permutations=99, seed=11).table
    c = knox_test(events, permutations=99, seed=12).table
    pd.testing.assert_frame_equal(a, b)
    assert not np.array_equal(a["p_value"], c["p_value"])


def test_knox_band_edges_are_what_the_labels_say():
    # Pairs: same place (0 m, 0 days); exactly 100 m apart, 13 days; 100.5 m, 14 days.
    events = events_frame([0, 0, 5000, 5100, 9000, 9100.5], [0] * 6, [0, 0, 100, 113, 300, 314])
    table = knox_test(events, permutations=9).table.set_index(["distance_band", "time_band"])
    observed = table.loc[table["observed"] > 0, "observed"]
    assert observed.loc[("same location", "0–13 days")] == 1
    assert observed.loc[("(0, 100] m", "0–13 days")] == 1
    assert observed.loc[("(100, 200] m", "14–27 days")] == 1
    assert observed.sum() == 15
    row = table.loc[("(100, 200] m", "14–27 days")]
    assert (row["distance_min_m"], row["distance_max_m"], row["time_min_days"], row["time_max_days"]) == (
        100, 200, 14, 27)


def test_knox_rejects_bad_bands():
    with pytest.raises(ReactivationError, match="n_time_bands must be a positive integer"):
        knox_test(clustered_events(), n_time_bands=0)


def test_events_near_clearings_keep_only_spell_time_and_neighbourhood():
    events = pd.concat([CLEARED, event_frame((4, 1, "2020-06-01", "recleared"))])
    incidents = incident_frame((7, "2019-12-31", 100, 0), (8, "2020-02-01", 400, 0),
                               (9, "2020-03-01", 600, 0), (10, "2021-03-01", 10, 0))
    evidence = collect_evidence(incidents, None)
    result = track(ONE_SITE, events, incidents)
    assert events_near_clearings(evidence, result)["record_id"].tolist() == [8, 10]


# ---------------------------------------------------------------- at-risk list

def test_at_risk_ranks_cleared_sites_by_recent_weighted_activity():
    sites = site_frame((1, 0, 0), (2, 5000, 0), (3, 10000, 0), (4, 15000, 0))
    events = event_frame((1, 1, "2020-01-01", "cleared"), (2, 2, "2020-01-01", "cleared"),
                         (3, 3, "2020-01-01", "cleared"), (4, 3, "2020-02-01", "reactivated"),
                         (5, 4, "2020-03-20", "cleared"))
    incidents = incident_frame(
        (10, "2020-03-31", 300, 0),         # site 1: today, weight 1
        (11, "2020-03-01", 0, 400),         # site 1: 30 days ago, weight 1/2
        (12, "2020-03-31", 5000, 450),      # site 2: weight 1
        (13, "2020-04-01", 5000, 10),       # after as_of: ignored
        (14, "2019-12-01", 5000, 10),       # before the clearing and the look-back: ignored
        (15, "2020-03-30", 10000, 100),     # site 3 is reactivated: not listed
        (16, "2020-03-10", 15000, 100),     # site 4: before its clearing on 03-20: ignored
        (17, "2020-03-31", 5600, 0))        # 600 m from site 2: too far
    result = track(sites, events, incidents, as_of="2020-03-31", radius_m=50)
    ranked = rank_at_risk(result.sites, collect_evidence(incidents, None), as_of="2020-03-31")
    assert ranked["site_id"].tolist() == [1, 2] and ranked["rank"].tolist() == [1, 2]
    assert ranked["score"].tolist() == pytest.approx([1.5, 1.0])
    assert ranked.iloc[0]["incident_ids"] == [10, 11] and ranked.iloc[0]["nearest_m"] == 300
    assert ranked.index.tolist() == [0, 1]
    assert len(rank_at_risk(result.sites, collect_evidence(incidents, None), as_of="2020-03-31", top=1)) == 1


# ---------------------------------------------------------------- location history

GEOD = Geod(ellps="WGS84")
LON, LAT = 106.8431, 10.9452  # Biên Hòa


def around(distance_m, azimuth=45.0):
    lon, lat, _ = GEOD.fwd(LON, LAT, azimuth, distance_m)
    return Point(lon, lat)


def test_history_returns_exactly_the_records_within_the_radius_with_their_distances():
    sites = gpd.GeoDataFrame({"site_id": [1, 2], "site_kind": ["public", "in_establishment"],
                              "establishment_id": [None, 501]},
                             geometry=[around(60, 10), around(140, 200)], crs=4326)
    events = event_frame((1, 1, "2018-03-01", "identified"), (2, 1, "2019-01-01", "cleared"),
                         (3, 2, "2018-01-01", "identified"))
    incidents = gpd.GeoDataFrame({"incident_id": [7, 8, 9], "event_date": [date(2017, 5, 1),
                                  date(2020, 1, 1), date(2016, 1, 1)],
                                  "incident_kind": ["khac", "mua_ban_dam", "chua_mai_dam"],
                                  "establishment_id": [501, None, None]},
                                 geometry=[around(95, 300), around(105, 90), None], crs=4326)
    inspections = gpd.GeoDataFrame({"inspection_id": [4, 5, 6],
                                    "inspection_date": [date(2016, 6, 1)] * 3,
                                    "establishment_id": [501, 501, 502],
                                    "establishment_type": ["karaoke"] * 3,
                                    "outcome": ["xu_phat", "khong_vi_pham", "tuoc_giay_phep"],
                                    "violation_codes": [["ND167-2013-D25"], [], []]},
                                   geometry=[around(30, 120)] * 2 + [around(99, 250)], crs=4326)
    establishments = pd.DataFrame({"establishment_id": [501, 502], "establishment_type": ["karaoke", "bar"],
                                   "name": ["Karaoke X", "Bar Y"]})
    found = location_history(LON, LAT, sites=sites, site_events=events, incidents=incidents,
                             inspections=inspections, establishments=establishments, radius_m=100)
    assert found[["record", "record_id"]].values.tolist() == [
        ["inspection_violation", 4], ["inspection_violation", 6], ["incident", 7],
        ["site_event", 1], ["site_event", 2]]
    assert found["date"].is_monotonic_increasing
    geodesic = {("inspection_violation", 4): 30, ("inspection_violation", 6): 99, ("incident", 7): 95,
                ("site_event", 1): 60, ("site_event", 2): 60}
    for row in found.itertuples():
        assert row.distance_m == pytest.approx(geodesic[(row.record, row.record_id)], rel=1e-3, abs=0.06)
    assert found.loc[found["record_id"] == 7, "establishment_type"].item() == "karaoke"
    assert found.loc[found["record_id"] == 4, "violation_codes"].item() == ["ND167-2013-D25"]
    assert "name" not in found.columns and not found.isin(["Karaoke X", "Bar Y"]).any().any()
    wider = location_history(LON, LAT, sites=sites, site_events=events, incidents=incidents, radius_m=150)
    pairs = set(map(tuple, wider[["record", "record_id"]].values.tolist()))
    assert {("site_event", 3), ("incident", 8)} <= pairs


def test_history_rejects_a_point_that_is_not_lon_lat():
    with pytest.raises(ReactivationError, match="not a longitude, latitude"):
        location_history(700000.0, 1200000.0)


# ---------------------------------------------------------------- CLI on PostGIS

def invoke(db_url, command, *args):
    result = CliRunner().invoke(command, list(args), env={"DATABASE_URL": db_url}, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.postgis
def test_cli_reactivation_json_lists_officers_reactivations_with_their_evidence(db_url, loaded, engine):
    from webapp.commands.reactivation import reactivation

    report = json.loads(invoke(db_url, reactivation, "--json", "--as-of", "2026-06-30").stdout)
    assert {"as_of", "vintage", "params", "counts", "status", "sites", "survival", "at_risk"} <= set(report)
    assert report["params"] == {"as_of": "2026-06-30", "radius_m": 100.0, "window_days": 365}
    sites, events = read_sites(engine)
    assert len(report["sites"]) == len(sites) and sum(report["status"].values()) == len(sites)
    recorded = set(events.loc[events["event_type"] == "reactivated", "event_id"])
    assert recorded, "the demo data has officer-recorded reactivations"
    listed = {e for s in report["sites"] for c in s["clearings"] for e in c["event_ids"]}
    assert recorded <= listed
    spells = [c for s in report["sites"] for c in s["clearings"]]
    assert all(c["reactivation_date"] > c["cleared_date"] for c in spells if c["reactivated"])
    assert all(c["incident_ids"] or c["inspection_ids"] or c["event_ids"] for c in spells if c["reactivated"])
    assert report["survival"]["overall"][0]["spells"] == len(spells)
    assert {r["group"] for r in report["survival"]["by_site_kind"]} <= {"public", "in_establishment"}
    # districts (abolished in 2025) come from the latest vintage that has them: 2024-11-01
    assert report["survival"]["district_vintage"] == "75:2024-11-01"
    districts = set(read_units(engine, "75:2024-11-01", level="district")["district_code"])
    by_district = report["survival"]["by_district"]
    assert by_district and {r["group"] for r in by_district if r["group"] is not None} <= districts
    assert sum(r["spells"] for r in by_district) == len(spells)
    assert all(r["rank"] == i for i, r in enumerate(report["at_risk"]["sites"], start=1))
    text = invoke(db_url, reactivation, "--as-of", "2026-06-30", "--window-days", "0").stdout
    assert "window no limit" in text and "Kaplan–Meier" in text


@pytest.mark.postgis
def test_cli_history_at_a_demo_site_returns_that_site_at_distance_zero(db_url, loaded, engine):
    from webapp.commands.reactivation import history

    sites, events = read_sites(engine)
    site = sites[sites.geometry.notna()].iloc[0]
    report = json.loads(invoke(db_url, history, "--lon", repr(site.geometry.x), "--lat",
                               repr(site.geometry.y), "--json").stdout)
    own = [r for r in report["records"] if r["site_id"] == site["site_id"] and r["record"] == "site_event"]
    assert sorted(r["record_id"] for r in own) == sorted(events.loc[events["site_id"] == site["site_id"],
                                                                    "event_id"])
    assert all(r["distance_m"] <= 0.1 for r in own)
    assert all(r["distance_m"] <= 100 for r in report["records"])
    dates = [r["date"] for r in report["records"] if r["date"]]
    assert dates == sorted(dates)
    assert "name" not in report["records"][0]
