"""The yearly values the plan targets are measured with, per commune of one vintage.

Feeds :func:`geo.targets.track_targets`: incidents and inspections counted with
:func:`geo.store.counts.count_by_unit` (the project's assignment rule), sums of the
commune reports, the healthy communes of the newest classification snapshot of each year,
and the establishments inspected at least once in the year. Where a year has no data at all
(no report, no snapshot) it is returned as a gap with the fix, never as a zero.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, text

from geo.errors import PeriodError
from geo.periods import parse_period
from geo.store.counts import count_by_unit, locate_sql
from geo.store.engine import connection
from geo.store.models import REPORT_INDICATORS
from geo.store.units import read_units

PLAN_YEARS = range(2016, 2021)
_MEASURED = ["measure", "year", "unit_code", "numerator", "denominator"]

_REPORTS = """
SELECT DISTINCT ON (r.unit_id, r.period, r.indicator_code)
       u.code AS unit_code, r.period, r.indicator_code, r.value
FROM commune_report r JOIN admin_unit u ON u.id = r.unit_id
WHERE u.vintage_id = :vintage AND u.level = 'commune' AND r.indicator_code = ANY(:codes)
ORDER BY r.unit_id, r.period, r.indicator_code, r.id DESC"""
"""The latest report of each commune, period and indicator (a corrected report replaces the first)."""

_ACTIVITIES = locate_sql("""SELECT a.geom, a.unit_id FROM activity a
                            WHERE a.activity_date >= :start AND a.activity_date < :end""")

_SNAPSHOTS = """
SELECT DISTINCT ON (s.period) s.id, s.period
FROM classification_snapshot s
WHERE s.vintage_id = :vintage AND s.period = ANY(:periods)
ORDER BY s.period, s.created_at DESC, s.id DESC"""

_INSPECTED = locate_sql(
    """SELECT e.geom, e.unit_id,
              EXISTS (SELECT 1 FROM inspection i WHERE i.establishment_id = e.id
                      AND i.inspection_date >= :start AND i.inspection_date < :end) AS inspected
       FROM establishment e""",
    "count(*) AS n, count(*) FILTER (WHERE rec.inspected) AS inspected")


def read_target_measures(conn: Connection | Engine, measures, *, vintage: str,
                         years=PLAN_YEARS) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read the yearly values of ``measures`` per commune of ``vintage``.

    Parameters
    ----------
    measures : iterable of str
        Names from ``geo.targets.MEASURES``; others are ignored.
    vintage : str
        The boundary vintage counted on, the targets file's ``[plan] vintage`` (its communes'
        ``parent_code`` is the district).
    years : iterable of int, default 2016–2020
        Calendar years.

    Returns
    -------
    (DataFrame, DataFrame, DataFrame)
        ``measured`` (``measure, year, unit_code, numerator, denominator``; ``unit_code``
        None for records no commune took), ``gaps`` (``measure, year, note``) and
        ``communes`` (``unit_code, name, district_code, district_name``).
    """
    wanted, years = set(measures), [int(y) for y in years]
    parts, gaps = [], []
    with connection(conn) as c:
        communes = _communes(c, vintage)
        if wanted & {"incidents", "inspections"}:
            parts.append(_record_counts(c, vintage, years, wanted))
        codes = sorted(m.split(":", 1)[1] for m in wanted if m.startswith("report:"))
        if codes or "awareness_share" in wanted:
            reports = _reports(c, vintage, years, [*codes, "awareness_activities"])
            parts.append(_report_sums(reports, codes, years, gaps))
            if "awareness_share" in wanted:
                held = _activities(c, vintage, years)
                both = pd.concat([reports, held], ignore_index=True) if len(held) else reports
                parts.append(_awareness(both, communes, years, gaps))
        if "healthy_share" in wanted:
            parts.append(_healthy(c, vintage, years, gaps))
        if "inspected_share" in wanted:
            parts.append(_inspected(c, vintage, years, gaps))
    measured = pd.concat([p for p in parts if len(p)] or [pd.DataFrame(columns=_MEASURED)],
                         ignore_index=True)
    return measured[_MEASURED], pd.DataFrame(gaps, columns=["measure", "year", "note"]), communes


def _communes(c: Connection, vintage: str) -> pd.DataFrame:
    """The communes of the vintage with their district code and name."""
    units = read_units(c, vintage)
    districts = read_units(c, vintage, level="district").set_index("unit_code")["name"]
    frame = pd.DataFrame({"unit_code": units["unit_code"], "name": units["name"]})
    frame["district_code"] = units["parent_code"].where(units["parent_code"].isin(districts.index))
    frame["district_name"] = frame["district_code"].map(districts)
    return frame


def _record_counts(c: Connection, vintage: str, years: list[int], wanted: set) -> pd.DataFrame:
    """Incidents and inspections per commune and year; unassigned ones under no commune."""
    rows = []
    for year in years:
        counts, unassigned = count_by_unit(c, vintage, parse_period(str(year)))
        for family in ("incidents", "inspections"):
            if family not in wanted:
                continue
            column = counts[family] if family in counts else pd.Series(dtype="int64")
            rows += [(family, year, code, float(n)) for code, n in column.items() if n]
            if unassigned.get(family):
                rows.append((family, year, None, float(unassigned[family])))
    return pd.DataFrame(rows, columns=_MEASURED[:4]).assign(denominator=np.nan)


def _reports(c: Connection, vintage: str, years: list[int], codes: list[str]) -> pd.DataFrame:
    """Report sums per commune, indicator and year (periods inside one calendar year)."""
    frame = pd.read_sql(text(_REPORTS), c, params={"vintage": vintage, "codes": codes})
    frame["year"] = frame["period"].map(_year_of)
    frame = frame[frame["year"].isin(years)]
    return frame.groupby(["indicator_code", "year", "unit_code"], as_index=False)["value"].sum()


def _year_of(label: str) -> int | None:
    """The calendar year a report period lies in, or None when it spans two years."""
    try:
        window = parse_period(label)
    except PeriodError:
        return None
    return window.start.year if window.start.year == (window.end - timedelta(days=1)).year else None


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
        rows.append(pd.DataFrame({"measure": measure, "year": own["year"], "unit_code": own["unit_code"],
                                  "numerator": own["value"].astype(float), "denominator": np.nan}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=_MEASURED)


def _activities(c: Connection, vintage: str, years: list[int]) -> pd.DataFrame:
    """Awareness activities held per commune and year (``activity`` records), as report-like rows."""
    rows = []
    for year in years:
        window = parse_period(str(year))
        found = c.execute(text(_ACTIVITIES), {"vintage": vintage, "start": window.start, "end": window.end})
        rows += [("awareness_activities", year, code, float(n)) for code, n in found.all() if code]
    return pd.DataFrame(rows, columns=["indicator_code", "year", "unit_code", "value"])


def _awareness(reports: pd.DataFrame, communes: pd.DataFrame, years: list[int], gaps: list) -> pd.DataFrame:
    """Per commune and year: 1 when it held (or reported) at least one awareness activity, out of 1."""
    own = reports[reports["indicator_code"] == "awareness_activities"]
    rows = []
    for year in years:
        done = own.loc[(own["year"] == year) & (own["value"] >= 1), "unit_code"]
        if not (own["year"] == year).any():
            gaps.append(("awareness_share", year, f"no commune reported awareness_activities for {year}"))
            continue
        rows.append(pd.DataFrame({"measure": "awareness_share", "year": year,
                                  "unit_code": communes["unit_code"],
                                  "numerator": communes["unit_code"].isin(done).astype(float),
                                  "denominator": 1.0}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=_MEASURED)


def _healthy(c: Connection, vintage: str, years: list[int], gaps: list) -> pd.DataFrame:
    """Per commune of the newest snapshot of each year: 1 when healthy, out of 1."""
    periods = [str(y) for y in years]
    snaps = dict(c.execute(text(_SNAPSHOTS), {"vintage": vintage, "periods": periods}).all())
    results = pd.read_sql(text("SELECT snapshot_id, unit_code, status FROM classification_result "
                               "WHERE snapshot_id = ANY(:ids)"), c, params={"ids": list(snaps)})
    gaps += [("healthy_share", y, f"no classification snapshot of {y} on vintage {vintage}; run "
              f"`diaban classify --period {y} --vintage {vintage}`")
             for y in years if str(y) not in snaps.values()]
    year = results["snapshot_id"].map({i: int(p) for i, p in snaps.items()})
    return pd.DataFrame({"measure": "healthy_share", "year": year, "unit_code": results["unit_code"],
                         "numerator": (results["status"] == "healthy").astype(float),
                         "denominator": 1.0})


def _inspected(c: Connection, vintage: str, years: list[int], gaps: list) -> pd.DataFrame:
    """Per commune and year: establishments inspected at least once, out of all establishments."""
    rows = []
    for year in years:
        window = parse_period(str(year))
        params = {"vintage": vintage, "start": window.start, "end": window.end}
        found = c.execute(text(_INSPECTED), params).all()
        if not found:
            gaps.append(("inspected_share", year, "no establishment on record"))
        rows += [("inspected_share", year, code, float(k), float(n)) for code, n, k in found]
    return pd.DataFrame(rows, columns=_MEASURED)
