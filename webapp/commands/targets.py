"""``diaban targets``: progress against the plan's targets of the loaded province (its ``[plan]``).

:func:`plan_progress` is the one way the command, the dashboard and the briefing compute it.
"""

from __future__ import annotations

import click
import numpy as np
import pandas as pd

from boundaries import loaded_province
from boundaries.targets import has_plan, load_targets
from etl.vocabulary import act_codes
from geo.periods import CONVENTIONS, Period, parse_period
from geo.store.recognition import read_decisions
from geo.store.targets import plan_windows, read_target_measures, year_elapsed
from geo.targets import track_targets
from webapp.commands import engine_for, json_ready_dict, print_json

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
_YES_NO = {True: "đạt / yes", False: "chưa / no", None: "–"}
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


def loaded_plan(engine) -> tuple[dict, pd.DataFrame] | None:
    """The plan and targets of the province whose boundaries are loaded, or None without a plan."""
    province = loaded_province(engine)
    return load_targets(province) if has_plan(province) else None


def plan_progress(engine, *, period: Period | None = None, convention: str = "calendar"
                  ) -> tuple[dict, pd.DataFrame, pd.DataFrame, pd.DataFrame] | None:
    """The plan, its targets, ``track_targets``' rows and the plan's communes, up to ``period``.

    The plan is the loaded province's (:func:`loaded_plan`); None when it configures none.
    A period inside a plan year measures that year up to the period's end and judges it pro
    rata (or cumulative to date); later years are left out. Without a period, or for a
    period outside the plan, every plan year is shown whole. The years follow ``convention``
    (the period's own when given), and only snapshots of that convention are read.

    The healthy-communes share counts the committee's recognition decisions of the year where
    they exist and the computed proposal elsewhere (:func:`with_decisions`); each of its rows
    notes which basis it used.
    """
    found = loaded_plan(engine)
    if found is None:
        return None
    plan, table = found
    years = range(int(plan["start_year"]), int(plan["end_year"]) + 1)
    windows = plan_windows(years, period=period, convention=convention)
    measured, gaps, communes = read_target_measures(
        engine, table["measure"], years=years, vintage=plan["vintage"], codes=act_codes(), period=period,
        convention=convention)
    decisions = read_decisions(engine, vintage=plan["vintage"], years=list(windows))
    measured, decided = with_decisions(measured, decisions)
    last = max(windows)
    rows = track_targets(table, measured, communes, years=years, gaps=gaps, through=last,
                         elapsed=year_elapsed(windows[last]))
    return plan, table, _note_basis(rows, table, decided, communes), communes


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
    >>> measured = pd.DataFrame({"measure": "healthy_share", "year": [2018, 2018], "unit_code": ["A", "B"],
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
    keys = pd.MultiIndex.from_arrays([rows["year"].astype(int), rows["unit_code"]])
    override = pd.Series(decided.reindex(keys).to_numpy(), index=rows.index)
    out = measured.copy()
    out.loc[healthy, "numerator"] = override.where(override.notna(), rows["numerator"])
    missing = ~used.set_index(["year", "commune_code"]).index.isin(keys)
    extra = pd.DataFrame({"measure": "healthy_share", "year": used.loc[missing, "year"],
                          "unit_code": used.loc[missing, "commune_code"],
                          "numerator": used.loc[missing, "recognised"].astype(float), "denominator": 1.0})
    return pd.concat([out, extra], ignore_index=True) if len(extra) else out, used


def _note_basis(rows: pd.DataFrame, table: pd.DataFrame, decided: pd.DataFrame,
                communes: pd.DataFrame) -> pd.DataFrame:
    """Note on each measured row of the healthy-communes share whether decisions or the proposal counted.

    Adds ``decided``: the communes of the row's scope counted by their decision (NaN on other targets).
    """
    healthy = set(table.loc[table["measure"] == "healthy_share", "target_id"])
    district = decided["commune_code"].map(communes.set_index("unit_code")["district_code"])
    counts = {("province", y): n for y, n in decided.groupby("year").size().items()}
    counts |= {(d, y): n for (d, y), n in decided.groupby([district, decided["year"]]).size().items()}
    out = rows.assign(decided=np.nan)
    for i in out.index[out["target_id"].isin(healthy) & out["note"].isna() & out["value"].notna()]:
        out.at[i, "decided"] = n = counts.get((out.at[i, "scope"], int(out.at[i, "year"])), 0)
        out.at[i, "note"] = recognition_basis(n)
    return out


@click.command("targets")
@click.option("--year", type=int, default=None, help="Only this plan year (cumulative still from the start).")
@click.option("--district", default=None, help="Only this district (GSO code in the plan's vintage).")
@click.option("--period", default=None,
              help="Up to this period (2019-Q2, 2019-H1, 2019-9M): its year to date, goals pro rata.")
@click.option("--convention", type=click.Choice(CONVENTIONS), default="calendar", show_default=True,
              help="Year windows: calendar, or the 15th-to-14th reporting windows.")
@click.option("--json", "as_json", is_flag=True, help='Print {"plan": ..., "rows": [...]} as JSON.')
@click.pass_context
def targets(ctx, year, district, period, convention, as_json):
    """Per-year and cumulative progress of the province and each district against the plan."""
    found = loaded_plan(engine_for(ctx))
    if found is None:
        _no_plan(engine_for(ctx), as_json)
        return
    plan, _ = found
    years = range(int(plan["start_year"]), int(plan["end_year"]) + 1)
    if year is not None and year not in years:
        raise click.BadParameter(f"{year} is outside the plan; use {years[0]}–{years[-1]}",
                                 param_hint="--year")
    window = None if period is None else parse_period(period, convention=convention)
    plan, table, rows, communes = plan_progress(engine_for(ctx), period=window, convention=convention)
    names = {"province": "Toàn tỉnh / Province",
             **communes.dropna(subset=["district_code"])
             .drop_duplicates("district_code").set_index("district_code")["district_name"]}
    rows = _select(rows, year, district, names)
    records = [_record(r, names) for r in rows.to_dict(orient="records")]
    if as_json:
        print_json({"plan": {**plan, "vintage": plan["vintage"],
                             "targets": [json_ready_dict(t) for t in table.to_dict(orient="records")]},
                    "rows": records})
        return
    _print_table(records, table)


def _no_plan(engine, as_json: bool) -> None:
    """Say that the loaded province configures no plan (``{"plan": null, "rows": []}`` as JSON)."""
    province = loaded_province(engine)
    name = province.name if province else "?"
    if as_json:
        print_json({"plan": None, "rows": [], "note": NO_PLAN[1].format(name=name)})
        return
    click.echo(" / ".join(text.format(name=name) for text in NO_PLAN))


def _select(rows, year, district, names):
    """Keep the rows of one year and/or one district, naming the known districts on a bad code."""
    if district is not None:
        if district not in names or district == "province":
            known = ", ".join(f"{c} {n}" for c, n in names.items() if c != "province")
            raise click.BadParameter(f"no district {district!r}; known: {known}", param_hint="--district")
        rows = rows[rows["scope"] == district]
    if year is not None:
        rows = rows[rows["year"] == year]
    return rows


def _record(row: dict, names: dict) -> dict:
    """One row of the JSON output."""
    row = json_ready_dict(row)
    row["scope_name"] = names.get(row["scope"])
    row["year"] = int(row["year"])
    return row


def _print_table(records: list[dict], table) -> None:
    """The readable table: per scope, per target, one line per year (Vietnamese / English)."""
    meta = table.set_index("target_id")
    header = (f"  {'Năm/Year':<9}{'Giá trị/Value':>15}{'Lũy kế/Cumul.':>16}{'% mục tiêu/target':>19}"
              f"  {'Tiến độ/On track':<16}")
    scope = target = None
    for row in records:
        if row["scope"] != scope:
            scope, target = row["scope"], None
            click.echo(f"\n== {row['scope_name']} ({scope}) ==")
        if row["target_id"] != target:
            target, info = row["target_id"], meta.loc[row["target_id"]]
            goal = "–" if row["target"] is None else _fmt(row["target"], info["unit"])
            click.echo(f"\n{info['text']} / {info['text_en']}\n  [{target}; mục tiêu/target {goal}, "
                       f"{info['kind']}]" + _how(info) + f"\n{header}")
        click.echo(f"  {row['year']:<9}{_fmt(row['value'], info['unit']):>15}"
                   f"{_fmt(row['cumulative'], info['unit']):>16}{_fmt(row['share_of_target'], 'percent'):>19}"
                   f"  {_YES_NO[row['on_track']]:<16}  {' / '.join(BASIS_NAMES[row['basis']])}"
                   + (f"  {row['note']}" if row["note"] else ""))
    unmeasured = meta[meta["measure"] == "none"]
    if len(unmeasured):
        click.echo("\nKhông đo được trong diaban / Not measured by diaban:")
        for target_id, info in unmeasured.iterrows():
            click.echo(f"  {target_id}: {info['text']} / {info['text_en']}")
    click.echo("\nHuyện không có chỉ tiêu riêng trừ khi kế hoạch quy định / Districts have no target "
               "of their own unless the plan implies one.")


def _how(info) -> str:
    """The target's "cách tính / how measured" line, when the targets file gives one."""
    how = info.get("how")
    if not isinstance(how, str):
        return ""
    return f"\n  Cách tính: {how}\n  How measured: {info.get('how_en', '')}"


def _fmt(value, unit: str) -> str:
    """A value as a count or a percentage; '–' when missing."""
    if value is None:
        return "–"
    return f"{100 * value:.1f} %" if unit == "percent" else f"{value:,.0f}"
