"""The yearly values the plan targets are measured with, per commune of one vintage.

Feeds :func:`geo.targets.track_targets`: incidents and inspections counted with
:func:`geo.store.counts.count_by_unit` (the project's assignment rule), busted cases of buying
and selling sex (deduplicated by case number), establishments found operating prostitution,
sums of the commune reports, the healthy communes of the newest classification snapshot of
each year, and the establishments inspected at least once in the year. Where a year has no
data at all (no report, no snapshot) it is returned as a gap with the fix, never as a zero.

Years follow the reporting convention asked for (calendar, or the 15–14 windows), and
snapshots are taken of that convention only. Given a ``period`` inside a year, that year is
measured only up to the period's end (year to date) and its snapshot is the period's own.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, text

from geo.classify import ActCodes
from geo.errors import PeriodError
from geo.periods import Period, parse_period
from geo.store.classification import newest_snapshots
from geo.store.counts import count_by_unit, locate_sql
from geo.store.engine import connection
from geo.store.models import REPORT_INDICATORS
from geo.store.units import read_units

PLAN_YEARS = range(2016, 2021)
_MEASURED = ["measure", "year", "commune_code", "numerator", "denominator"]

_REPORTS = """
SELECT DISTINCT ON (r.unit_id, r.period, r.indicator_code)
       u.code AS commune_code, r.period, r.indicator_code, r.value
FROM commune_report r JOIN admin_unit u ON u.id = r.unit_id
WHERE u.vintage_id = :vintage AND u.level = 'commune' AND r.indicator_code = ANY(:codes)
ORDER BY r.unit_id, r.period, r.indicator_code, r.id DESC"""
"""The latest report of each commune, period and indicator (a corrected report replaces the first)."""

_ACTIVITIES = locate_sql("""SELECT a.geom, a.unit_id FROM activity a
                            WHERE a.activity_date >= :start AND a.activity_date < :end""")

#: Cases of buying and selling sex dealt with, once per case number (its keyed hash; a row
#: without one is its own case), in the window of the case's first record.
_CASES = locate_sql(
    """SELECT first.geom, first.unit_id FROM (
           SELECT DISTINCT ON (COALESCE(i.case_ref_hmac, 'row:' || i.id)) i.geom, i.unit_id, i.event_date
           FROM incident i
           WHERE i.incident_kind = ANY(:kinds) AND i.outcome = ANY(:busted)
           ORDER BY COALESCE(i.case_ref_hmac, 'row:' || i.id), i.event_date, i.id) first
       WHERE first.event_date >= :start AND first.event_date < :end""")

#: Establishments found operating prostitution in the window: a sanction for a
#: prostitution-related violation, or a prostitution incident dealt with at it.
_DISGUISED = locate_sql(
    """SELECT e.geom, e.unit_id FROM establishment e
       WHERE EXISTS (SELECT 1 FROM inspection r WHERE r.establishment_id = e.id
                     AND r.inspection_date >= :start AND r.inspection_date < :end
                     AND r.outcome = ANY(:sanctions) AND r.violation_codes && CAST(:violations AS varchar[]))
          OR EXISTS (SELECT 1 FROM incident i WHERE i.establishment_id = e.id
                     AND i.event_date >= :start AND i.event_date < :end
                     AND i.incident_kind = ANY(:pkinds) AND i.outcome = ANY(:busted))""")

_INSPECTED = locate_sql(
    """SELECT e.geom, e.unit_id,
              EXISTS (SELECT 1 FROM inspection i WHERE i.establishment_id = e.id
                      AND i.inspection_date >= :start AND i.inspection_date < :end) AS inspected
       FROM establishment e""",
    "count(*) AS n, count(*) FILTER (WHERE rec.inspected) AS inspected")


def read_target_measures(conn: Connection | Engine, measures, *, vintage: str, years=PLAN_YEARS,
                         codes: ActCodes | None = None, period: Period | None = None,
                         convention: str = "calendar", former_province: str | None = None
                         ) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read the yearly values of ``measures`` per commune of ``vintage``.

    Parameters
    ----------
    measures : iterable of str
        Names from ``geo.targets.MEASURES``; others are ignored.
    vintage : str
        The boundary vintage counted on, the targets file's ``[plan] vintage`` (its communes'
        ``parent_code`` is the district).
    years : iterable of int, default 2016–2020
        Plan years.
    codes : ActCodes, optional
        What the record codes mean (``etl.vocabulary.act_codes()``); required for
        ``busted_cases`` and ``disguised_establishments``.
    period : Period, optional
        A period inside a plan year: later years are not measured; a quarter, half-year or
        nine months measures its year up to the period's end only, with the period's own
        snapshot. Its convention wins.
    convention : {"calendar", "report_15_14"}, default "calendar"
        The windows of the years, and the only snapshots read.
    former_province : str, optional
        Count only the communes that lay in this former province (``admin_unit.former_province_code``):
        a plan of old Đồng Nai is not judged on former Bình Phước's communes. A vintage whose
        communes carry no former province (one after the merger) is counted whole.

    Returns
    -------
    (DataFrame, DataFrame, DataFrame)
        ``measured`` (``measure, year, commune_code, numerator, denominator``; ``commune_code``
        None for records no commune took), ``gaps`` (``measure, year, note``) and
        ``communes`` (``commune_code, name, district_code, district_name``).
    """
    wanted = set(measures)
    windows = plan_windows(years, period=period, convention=convention)
    if wanted & {"busted_cases", "disguised_establishments"} and codes is None:
        raise ValueError("busted_cases and disguised_establishments need codes=etl.vocabulary.act_codes()")
    parts, gaps = [], []
    with connection(conn) as c:
        communes = _communes(c, vintage)
        if wanted & {"incidents", "inspections"}:
            parts.append(_record_counts(c, vintage, windows, wanted))
        parts += [_located(c, vintage, windows, m, _params(m, codes)) for m in
                  ("busted_cases", "disguised_establishments") if m in wanted]
        codes_ = sorted(m.split(":", 1)[1] for m in wanted if m.startswith("report:"))
        if codes_ or "awareness_share" in wanted:
            reports = _reports(c, vintage, windows, [*codes_, "awareness_activities"])
            parts.append(_report_sums(reports, codes_, list(windows), gaps))
            if "awareness_share" in wanted:
                held = _activities(c, vintage, windows)
                both = pd.concat([reports, held], ignore_index=True) if len(held) else reports
                parts.append(_awareness(both, communes, list(windows), gaps))
        if "healthy_share" in wanted:
            parts.append(_healthy(c, vintage, windows, gaps))
        if "inspected_share" in wanted:
            parts.append(_inspected(c, vintage, windows, gaps))
    measured = pd.concat([p for p in parts if len(p)] or [pd.DataFrame(columns=_MEASURED)],
                         ignore_index=True)
    if former_province is not None and communes["former_province_code"].notna().any():
        mine = communes["former_province_code"] == former_province
        others = set(communes.loc[~mine, "commune_code"])
        communes = communes[mine].reset_index(drop=True)
        measured = measured[~measured["commune_code"].isin(others)].reset_index(drop=True)
    return (measured[_MEASURED], pd.DataFrame(gaps, columns=["measure", "year", "note"]),
            communes.drop(columns="former_province_code"))


def plan_windows(years, *, period: Period | None = None, convention: str = "calendar") -> dict[int, Period]:
    """The window of each plan year measured: the year, or up to ``period``'s end in its year.

    Examples
    --------
    >>> w = plan_windows(range(2016, 2021), period=parse_period("2018-Q1"))
    >>> sorted(w), w[2018].label, str(w[2018].end)
    ([2016, 2017, 2018], '2018-Q1', '2018-04-01')
    >>> str(plan_windows([2019], convention="report_15_14")[2019].start)
    '2018-12-15'
    """
    convention = period.convention if period is not None else convention
    windows = {int(y): parse_period(str(y), convention=convention) for y in years}
    if period is None or int(period.label[:4]) not in windows:
        return windows
    year = int(period.label[:4])
    windows = {y: w for y, w in windows.items() if y <= year}
    if period.kind != "year":
        windows[year] = replace(period, start=windows[year].start)
    return windows


def year_elapsed(window: Period) -> float:
    """The share of its year a plan window covers (1.0 for a whole year; by days otherwise).

    Examples
    --------
    >>> round(year_elapsed(plan_windows([2019], period=parse_period("2019-H1"))[2019]), 3)
    0.496
    """
    whole = parse_period(window.label[:4], convention=window.convention)
    return (window.end - window.start).days / (whole.end - whole.start).days


def _params(measure: str, codes: ActCodes) -> tuple[str, dict]:
    """The SQL and code lists of a located count measure."""
    if measure == "busted_cases":
        return _CASES, {"kinds": sorted(codes.case_kinds), "busted": sorted(codes.busted_outcomes)}
    return _DISGUISED, {"sanctions": sorted(codes.sanction_outcomes),
                        "violations": sorted(codes.prostitution_violations),
                        "pkinds": sorted(codes.prostitution_kinds), "busted": sorted(codes.busted_outcomes)}


def _located(c: Connection, vintage: str, windows: dict[int, Period], measure: str, query) -> pd.DataFrame:
    """Per commune and year, the rows of a located count query (unassigned under no commune)."""
    sql, params = query
    rows = []
    for year, window in windows.items():
        found = c.execute(text(sql), {**params, "vintage": vintage, "start": window.start,
                                      "end": window.end}).all()
        rows += [(measure, year, code, float(n)) for code, n in found if n]
    return pd.DataFrame(rows, columns=_MEASURED[:4]).assign(denominator=np.nan)


def _communes(c: Connection, vintage: str) -> pd.DataFrame:
    """The communes of the vintage with their district code and name."""
    units = read_units(c, vintage)
    districts = read_units(c, vintage, level="district").set_index("district_code")["name"]
    frame = pd.DataFrame({"commune_code": units["commune_code"], "name": units["name"],
                          "former_province_code": units["former_province_code"]})
    frame["district_code"] = units["parent_code"].where(units["parent_code"].isin(districts.index))
    frame["district_name"] = frame["district_code"].map(districts)
    return frame


def _record_counts(c: Connection, vintage: str, windows: dict[int, Period], wanted: set) -> pd.DataFrame:
    """Incidents and inspections per commune and year; unassigned ones under no commune."""
    rows = []
    for year, window in windows.items():
        counts, unassigned = count_by_unit(c, vintage, period=window)
        for family in ("incidents", "inspections"):
            if family not in wanted:
                continue
            column = counts[family] if family in counts else pd.Series(dtype="int64")
            rows += [(family, year, code, float(n)) for code, n in column.items() if n]
            if unassigned.get(family):
                rows.append((family, year, None, float(unassigned[family])))
    return pd.DataFrame(rows, columns=_MEASURED[:4]).assign(denominator=np.nan)


def _reports(c: Connection, vintage: str, windows: dict[int, Period], codes: list[str]) -> pd.DataFrame:
    """Report sums per commune, indicator and year (report periods inside a year's window)."""
    frame = pd.read_sql(text(_REPORTS), c, params={"vintage": vintage, "codes": codes})
    frame["year"] = frame["period"].map(lambda label: _year_of(label, windows))
    frame = frame[frame["year"].notna()].astype({"year": int})
    return frame.groupby(["indicator_code", "year", "commune_code"], as_index=False)["value"].sum()


def _year_of(label: str, windows: dict[int, Period]) -> int | None:
    """The plan year whose window holds a report period (same convention), or None."""
    any_window = next(iter(windows.values()), None)
    try:
        window = parse_period(label, convention=any_window.convention if any_window else "calendar")
    except PeriodError:
        return None
    last = window.end - timedelta(days=1)
    return next((y for y, w in windows.items() if w.start <= window.start and last < w.end), None)


def _report_sums(reports: pd.DataFrame, codes: list[str], years: list[int], gaps: list) -> pd.DataFrame:
    """Rows ``report:CODE`` per commune and year; a gap for each year nobody reported."""
    rows = []
    for code in codes:
        measure = f"report:{code}"
        if code not in REPORT_INDICATORS:
            gaps += [(measure, y, f"commune_report has no indicator {code!r} (allowed: "
                      f"{', '.join(REPORT_INDICATORS)})") for y in years]
            continue
        own = reports[reports["indicator_code"] == code]
        gaps += [(measure, y, f"no commune reported {code} for {y}")
                 for y in years if y not in set(own["year"])]
        rows.append(pd.DataFrame({"measure": measure, "year": own["year"],
                                  "commune_code": own["commune_code"],
                                  "numerator": own["value"].astype(float), "denominator": np.nan}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=_MEASURED)


def _activities(c: Connection, vintage: str, windows: dict[int, Period]) -> pd.DataFrame:
    """Awareness activities held per commune and plan year's window (``activity`` records), as report rows."""
    rows = []
    for year, window in windows.items():
        found = c.execute(text(_ACTIVITIES), {"vintage": vintage, "start": window.start, "end": window.end})
        rows += [("awareness_activities", year, code, float(n)) for code, n in found.all() if code]
    return pd.DataFrame(rows, columns=["indicator_code", "year", "commune_code", "value"])


def _awareness(reports: pd.DataFrame, communes: pd.DataFrame, years: list[int], gaps: list) -> pd.DataFrame:
    """Per commune and year: 1 when it held (or reported) at least one awareness activity, out of 1."""
    own = reports[reports["indicator_code"] == "awareness_activities"]
    rows = []
    for year in years:
        done = own.loc[(own["year"] == year) & (own["value"] >= 1), "commune_code"]
        if not (own["year"] == year).any():
            gaps.append(("awareness_share", year, f"no commune reported awareness_activities for {year}"))
            continue
        rows.append(pd.DataFrame({"measure": "awareness_share", "year": year,
                                  "commune_code": communes["commune_code"],
                                  "numerator": communes["commune_code"].isin(done).astype(float),
                                  "denominator": 1.0}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=_MEASURED)


def _healthy(c: Connection, vintage: str, windows: dict[int, Period], gaps: list) -> pd.DataFrame:
    """Per commune of the newest snapshot of each window (same convention): 1 when healthy, out of 1."""
    labels = {w.label: y for y, w in windows.items()}
    convention = next(iter(windows.values())).convention if windows else "calendar"
    snaps = {s.id: s.period
             for s in newest_snapshots(c, vintage=vintage, periods=list(labels), convention=convention)}
    results = pd.read_sql(text("SELECT snapshot_id, commune_code, status FROM classification_result "
                               "WHERE snapshot_id = ANY(:ids)"), c, params={"ids": list(snaps)})
    flag = "" if convention == "calendar" else f" --convention {convention}"
    gaps += [("healthy_share", y, f"no {convention} classification snapshot of {label} on vintage "
              f"{vintage}; run `diaban classify --period {label} --vintage {vintage}{flag}`")
             for label, y in labels.items() if label not in snaps.values()]
    year = results["snapshot_id"].map({i: labels[p] for i, p in snaps.items()})
    return pd.DataFrame({"measure": "healthy_share", "year": year, "commune_code": results["commune_code"],
                         "numerator": (results["status"] == "healthy").astype(float),
                         "denominator": 1.0})


def _inspected(c: Connection, vintage: str, windows: dict[int, Period], gaps: list) -> pd.DataFrame:
    """Per commune and year: establishments inspected at least once, out of all establishments."""
    rows = []
    for year, window in windows.items():
        params = {"vintage": vintage, "start": window.start, "end": window.end}
        found = c.execute(text(_INSPECTED), params).all()
        if not found:
            gaps.append(("inspected_share", year, "no establishment on record"))
        rows += [("inspected_share", year, code, float(k), float(n)) for code, n, k in found]
    return pd.DataFrame(rows, columns=_MEASURED)
