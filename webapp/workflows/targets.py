"""Progress against the plan's targets of the loaded province (its ``[plan]``).

:func:`plan_progress` is the one way ``diaban targets``, the dashboard and the briefing
compute it; :data:`BASIS_NAMES`, :func:`recognition_basis` and :data:`NO_PLAN` are how each
of them says what a row means.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from boundaries import loaded_province
from boundaries.targets import has_plan, load_targets
from etl.vocabulary import act_codes
from geo.periods import Period
from geo.store.recognition import read_decisions
from geo.store.targets import plan_windows, read_target_measures, year_elapsed
from geo.store.units import choose_vintage, list_vintages, vintage_key, vintage_province
from geo.targets import track_targets
from webapp.workflows.defaults import CONVENTION

#: The note on the healthy-communes share naming its basis (``webapp.recognition``: công nhận vs đề xuất).
RECOGNITION_BASIS = {
    "decided": ("căn cứ: quyết định công nhận cho {n} xã, đề xuất cho các xã còn lại",
                "basis: recognition decisions for {n} communes, the computed proposal for the rest"),
    "proposal": ("căn cứ: đề xuất (chưa có quyết định công nhận)",
                 "basis: the computed proposal (no recognition decision)"),
}


def recognition_basis(decided: int, lang: str | None = None) -> str:
    """The basis of a healthy-communes share with ``decided`` decisions, in ``lang`` (both when None).

    Examples
    --------
    >>> recognition_basis(0, "en")
    'basis: the computed proposal (no recognition decision)'
    """
    pair = RECOGNITION_BASIS["decided" if decided else "proposal"]
    texts = [text.format(n=decided) for text in pair]
    return " / ".join(texts) if lang is None else texts[lang == "en"]

#: How each basis of ``geo.targets.BASES`` is named (Vietnamese, English).
BASIS_NAMES = {
    "cumulative": ("lũy kế cả năm", "cumulative, whole years"),
    "cumulative_to_date": ("lũy kế đến hết kỳ, chỉ tiêu theo tỷ lệ thời gian",
                           "cumulative to date, goal pro rata"),
    "year": ("cả năm", "whole year"),
    "pro_rata": ("từ đầu năm đến hết kỳ, chỉ tiêu theo tỷ lệ thời gian", "year to date, goal pro rata"),
    "held": ("phải giữ ở mọi kỳ", "to hold at every period"),
    "reduction": ("mức giảm so với năm gốc", "reduction from the baseline year"),
}


#: Said by the command, the dashboard and the briefing when the loaded province has no ``[plan]``.
NO_PLAN = ("Tỉnh {name} chưa cấu hình kế hoạch (không có [plan] targets trong province.toml): "
           "không có chỉ tiêu.",
           "Province {name} has no plan configured (no [plan] targets in province.toml): no targets.")


def loaded_plan(engine, province: str | None = None) -> tuple[dict, pd.DataFrame] | None:
    """The plan and targets of the loaded province ``province`` (a code; default: the only one), or None.

    The plan's ``vintage`` is the database id of the configured one (``75:2010-02-06``).
    """
    config = loaded_province(engine, province)
    if not has_plan(config):
        return None
    plan, table = load_targets(config)
    return {**plan, "vintage": vintage_key(config.code, str(plan["vintage"]))}, table


def plan_progress(engine, *, period: Period | None = None, convention: str = CONVENTION,
                  province: str | None = None
                  ) -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame] | None:
    """The plan, its targets, ``track_targets``' rows and the plan's communes, up to ``period``.

    The plan is the loaded province's (:func:`loaded_plan`); None when it configures none.
    A period inside a plan year measures that year up to the period's end and judges it pro
    rata (or cumulative to date); later years are left out. Without a period, or for a
    period outside the plan, every plan year is shown whole. The years follow ``convention``
    (the period's own when given), and only snapshots of that convention are read. Each year
    is counted on the units in force on its last day (:func:`year_vintages`, recorded in the
    returned plan as ``vintages``); with ``[plan] province_code`` only the communes of that
    former province count.

    The healthy-communes share counts the committee's recognition decisions of the year where
    they exist and the computed proposal elsewhere (:func:`with_decisions`); each of its rows
    notes which basis it used.
    """
    found = loaded_plan(engine, province)
    if found is None:
        return None
    plan, table = found
    years = range(int(plan["start_year"]), int(plan["end_year"]) + 1)
    windows = plan_windows(years, period=period, convention=convention)
    plan["vintages"] = year_vintages(engine, plan["vintage"], windows)
    parts = []
    for vintage in dict.fromkeys(plan["vintages"].values()):
        own = [y for y, v in plan["vintages"].items() if v == vintage]
        measured, gaps, communes = read_target_measures(
            engine, table["measure"], years=own, vintage=vintage, codes=act_codes(), period=period,
            convention=convention, former_province=plan.get("province_code"))
        decisions = read_decisions(engine, vintage=vintage, years=own)
        # only the plan's communes: a decision on a commune of another former province is not its
        decisions = decisions[decisions["commune_code"].isin(communes["commune_code"])]
        parts.append((*with_decisions(measured, decisions), gaps, communes))
    measured, decided, gaps, communes = (
        pd.concat([p[i] for p in parts], ignore_index=True) for i in range(4))
    communes = communes.drop_duplicates("commune_code", keep="last").reset_index(drop=True)
    last = max(windows)
    rows = track_targets(table, measured, communes, years=years, gaps=gaps, through=last,
                         elapsed=year_elapsed(windows[last]))
    return plan, table, _note_basis(rows, table, decided, communes), communes


def year_vintages(engine, vintage: str, windows: dict[int, Period]) -> dict[int, str]:
    """The vintage each plan year is counted on: that of its province in force on the window's last day.

    Records are placed on the units of their date, so a year is measured on the units in force
    when it ends (2019 and 2020 of Đồng Nai on the 170 communes of 2019-04-10, not on the 171
    of the plan's ``vintage``), by the one rule of :func:`geo.store.units.choose_vintage`.
    """
    vintages = list_vintages(engine, vintage_province(vintage))
    return {year: choose_vintage(engine, window, vintages=vintages).id for year, window in windows.items()}


def counted_on(plan: dict) -> str:
    """The vintages the plan's years are counted on, as a page prints it.

    Examples
    --------
    >>> counted_on({"vintage": "75:2010-02-06", "vintages": {2016: "75:2010-02-06", 2017: "75:2010-02-06",
    ...             2019: "75:2019-04-10", 2020: "75:2019-04-10"}})
    '75:2010-02-06 (2016–2017), 75:2019-04-10 (2019–2020)'
    """
    by_year = plan.get("vintages") or {}
    if len(set(by_year.values())) < 2:
        return next(iter(by_year.values()), plan["vintage"])
    spans = {}
    for year, vintage in sorted(by_year.items()):
        spans.setdefault(vintage, []).append(year)
    return ", ".join(f"{v} ({ys[0]}–{ys[-1]})" if len(ys) > 1 else f"{v} ({ys[0]})"
                     for v, ys in spans.items())


def with_decisions(measured: pd.DataFrame, decisions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Put recognition decisions in place of the proposal in the ``healthy_share`` rows.

    A commune with a current decision for a measured year counts 1 when recognised and 0 when
    not, whatever its snapshot said; the others keep the proposal. A year without a snapshot
    stays a gap: its decisions alone do not make a share of every commune.

    Returns
    -------
    (DataFrame, DataFrame)
        The measured rows, and the decisions used (``year, commune_code, recognised``).

    Examples
    --------
    >>> measured = pd.DataFrame({"measure": "healthy_share", "year": [2018, 2018], "commune_code": ["A", "B"],
    ...                          "numerator": [1.0, 0.0], "denominator": 1.0})
    >>> decisions = pd.DataFrame({"year": [2018, 2019], "commune_code": ["A", "B"],
    ...                           "recognised": [False, True]})
    >>> out, used = with_decisions(measured, decisions)
    >>> out["numerator"].tolist(), len(used)
    ([0.0, 0.0], 1)
    """
    healthy = measured["measure"] == "healthy_share"
    years = set(measured.loc[healthy, "year"].astype(int))
    used = decisions.loc[decisions["year"].astype(int).isin(years), ["year", "commune_code", "recognised"]]
    used = used.assign(year=used["year"].astype(int))
    decided = used.set_index(["year", "commune_code"])["recognised"].astype(float)
    rows = measured[healthy]
    keys = pd.MultiIndex.from_arrays([rows["year"].astype(int), rows["commune_code"]])
    override = pd.Series(decided.reindex(keys).to_numpy(), index=rows.index)
    out = measured.copy()
    out.loc[healthy, "numerator"] = override.where(override.notna(), rows["numerator"])
    missing = ~used.set_index(["year", "commune_code"]).index.isin(keys)
    extra = pd.DataFrame({"measure": "healthy_share", "year": used.loc[missing, "year"],
                          "commune_code": used.loc[missing, "commune_code"],
                          "numerator": used.loc[missing, "recognised"].astype(float), "denominator": 1.0})
    return pd.concat([out, extra], ignore_index=True) if len(extra) else out, used


def _note_basis(rows: pd.DataFrame, table: pd.DataFrame, decided: pd.DataFrame,
                communes: pd.DataFrame) -> pd.DataFrame:
    """Note on each measured row of the healthy-communes share whether decisions or the proposal counted.

    Adds ``decided``: the communes of the row's scope counted by their decision (NaN on other targets).
    """
    healthy = set(table.loc[table["measure"] == "healthy_share", "target_id"])
    district = decided["commune_code"].map(communes.set_index("commune_code")["district_code"])
    counts = {("province", y): n for y, n in decided.groupby("year").size().items()}
    counts |= {(d, y): n for (d, y), n in decided.groupby([district, decided["year"]]).size().items()}
    out = rows.assign(decided=np.nan)
    for i in out.index[out["target_id"].isin(healthy) & out["note"].isna() & out["value"].notna()]:
        out.at[i, "decided"] = n = counts.get((out.at[i, "scope"], int(out.at[i, "year"])), 0)
        out.at[i, "note"] = recognition_basis(n)
    return out
