"""What the communes report in the demo: attestations, periodic counts, awareness activities.

Pure and deterministic for the generator passed in; nothing here knows a province.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from etl.demo.generate import END, START, Vintage
from geo.vintages import vintage_on

#: Awareness activity forms as commune reports write them (etl/vocabulary.toml [activity_forms]).
ACTIVITY_FORMS = ("Họp dân", "Loa phát thanh", "Phát tờ rơi", "Băng rôn, khẩu hiệu", "Tập huấn")


def attestations(vintages: list[Vintage], rng) -> pd.DataFrame:
    """Attestations of the human criteria (P8, P9) per commune and year; a few missing."""
    rows = []
    for v in vintages:
        last = min(v.valid_to or END, END)
        for year in range(max(v.valid_from.year, START.year), last.year + 1):
            if vintage_on(vintages, date(year, 12, 31)) is not v:
                continue  # the year ends on a later vintage's units: attested there
            for code in v.communes["commune_code"]:
                if rng.random() < 0.06:
                    continue  # not attested: the classification must say not_assessed
                rows += [
                    {
                        "vintage": v.id,
                        "commune_code": code,
                        "period": str(year),
                        "criterion_id": "P8",
                        "holds": bool(rng.random() > 0.02),
                    },
                    {
                        "vintage": v.id,
                        "commune_code": code,
                        "period": str(year),
                        "criterion_id": "P9",
                        "holds": bool(rng.random() > 0.12),
                    },
                ]
    return pd.DataFrame(rows, columns=["vintage", "commune_code", "period", "criterion_id", "holds"])


def report_periods(vintages: list[Vintage]) -> dict[str, list[str]]:
    """The periods communes report aggregate counts for, per vintage id.

    The first vintage reports whole years from the start of the demo to the year its
    validity ends; each later one, half-years from the first ending in its validity to the
    end of the demo. A period is reported on the units the ingest puts it on, those of its
    last day (:func:`geo.vintages.vintage_on`), so a vintage reports no period that
    ends in a later one's validity.

    Examples
    --------
    >>> v = [Vintage("a", date(2010, 2, 6), date(2019, 4, 9), None),
    ...      Vintage("b", date(2025, 7, 1), None, None)]
    >>> report_periods(v)
    {'a': ['2016', '2017', '2018', '2019'], 'b': ['2025-H2', '2026-H1']}
    >>> v.insert(1, Vintage("c", date(2019, 4, 10), date(2025, 6, 30), None))
    >>> periods = report_periods(v)
    >>> periods["a"], periods["c"][:2], periods["c"][-1], periods["b"]
    (['2016', '2017', '2018'], ['2019-H1', '2019-H2'], '2025-H1', ['2025-H2', '2026-H1'])
    """
    first, *later = vintages
    last_year = min(first.valid_to or END, END).year
    periods = {first.id: [str(y) for y in range(START.year, last_year + 1)
                          if vintage_on(vintages, date(y, 12, 31)) is first]}
    for v in later:
        halves = [(y, h) for y in range(v.valid_from.year, END.year + 1) for h in (1, 2)]
        ends = {(y, h): date(y, 12, 31) if h == 2 else date(y, 6, 30) for y, h in halves}
        periods[v.id] = [
            f"{y}-H{h}"
            for y, h in halves
            if date(y, 6 * h - 5, 1) <= END and vintage_on(vintages, ends[y, h]) is v  # v began by then
        ]
    return periods


def reports(vintages: list[Vintage], rng, clean: dict[str, set[str]]) -> pd.DataFrame:
    """Aggregate counts per commune and period; a few communes leave one report out."""
    rows = []
    periods = report_periods(vintages)
    for v in vintages:
        for period in periods[v.id]:
            for code in v.communes["commune_code"]:
                rows += _commune_reports(v.id, code, period, code in clean[v.id], rng)
    return pd.DataFrame(rows, columns=["vintage", "commune_code", "period", "indicator_code", "value"])


def _commune_reports(vintage: str, code: str, period: str, clean: bool, rng) -> list[dict]:
    """One commune's reports for a period: awareness work, tip-offs, people supported (counts)."""
    awareness = int(rng.poisson(4)) if rng.random() > (0.04 if clean else 0.15) else 0
    received = int(rng.poisson(1 if clean else 5))
    handled = received if rng.random() < (0.9 if clean else 0.7) else int(rng.integers(0, received + 1))
    values = {"awareness_activities": awareness, "tips_received": received, "tips_handled": handled}
    if not clean:  # people reached, trained, reintegrated: aggregate counts, never persons
        values |= {
            "people_reached": int(rng.poisson(1.5)),
            "vocational_support": int(rng.poisson(0.4)),
            "reintegrated": int(rng.poisson(0.15)),
        }
    dropped = rng.random() < 0.04  # this commune's awareness or tip report never arrived
    left_out = ("awareness_activities",) if rng.random() < 0.5 else ("tips_received", "tips_handled")
    return [
        {"vintage": vintage, "commune_code": code, "period": period, "indicator_code": k, "value": n}
        for k, n in values.items()
        if not (dropped and k in left_out)
    ]


def activities(vintages: list[Vintage], rng) -> pd.DataFrame:
    """Awareness activities: about one commune in two holds one a year, on a working day.

    Returns
    -------
    DataFrame
        ``vintage, commune_code, activity_date, form, participants`` (``form`` a Vietnamese label).
    """
    rows = []
    for v in vintages:
        last = min(v.valid_to or END, END)
        for year in range(max(v.valid_from.year, START.year), last.year + 1):
            first = max(date(year, 1, 1), v.valid_from)
            days = (min(date(year, 12, 31), last) - first).days
            for code in v.communes["commune_code"]:
                if rng.random() < 0.5:
                    day = first + timedelta(days=int(rng.integers(0, days + 1)))
                    rows.append(
                        {
                            "vintage": v.id,
                            "commune_code": code,
                            "activity_date": day,
                            "form": ACTIVITY_FORMS[int(rng.integers(0, len(ACTIVITY_FORMS)))],
                            "participants": int(rng.integers(20, 300)),
                        }
                    )
    return pd.DataFrame(rows, columns=["vintage", "commune_code", "activity_date", "form", "participants"])
