"""``diaban targets``: progress against the plan's targets of the loaded province (its ``[plan]``).

A click shell over :func:`webapp.workflows.targets.plan_progress`, the one way the command,
the dashboard and the briefing compute it.
"""

from __future__ import annotations

import click

from boundaries import loaded_province
from geo.periods import CONVENTIONS, parse_period
from webapp.commands import engine_for, print_json
from webapp.workflows.defaults import CONVENTION
from webapp.workflows.jsonable import json_ready_dict
from webapp.workflows.targets import BASIS_NAMES, NO_PLAN, loaded_plan, plan_progress

_YES_NO = {True: "đạt / yes", False: "chưa / no", None: "–"}


@click.command("targets")
@click.option("--year", type=int, default=None, help="Only this plan year (cumulative still from the start).")
@click.option("--district", default=None, help="Only this district (GSO code in the plan's vintage).")
@click.option("--period", default=None,
              help="Up to this period (2019-Q2, 2019-H1, 2019-9M): its year to date, goals pro rata.")
@click.option("--convention", type=click.Choice(CONVENTIONS), default=CONVENTION, show_default=True,
              help="Year windows: calendar, or the 15th-to-14th reporting windows.")
@click.option("--json", "as_json", is_flag=True, help='Print {"plan": ..., "rows": [...]} as JSON.')
@click.option("--province", default=None, metavar="CODE",
              help="The province whose plan to show (its code); default: the only loaded one.")
@click.pass_context
def targets(ctx, year, district, period, convention, as_json, province):
    """Per-year and cumulative progress of the province and each district against the plan."""
    found = loaded_plan(engine_for(ctx), province)
    if found is None:
        _no_plan(engine_for(ctx), as_json, province)
        return
    plan, _ = found
    years = range(int(plan["start_year"]), int(plan["end_year"]) + 1)
    if year is not None and year not in years:
        raise click.BadParameter(f"{year} is outside the plan; use {years[0]}–{years[-1]}",
                                 param_hint="--year")
    window = None if period is None else parse_period(period, convention=convention)
    plan, table, rows, communes = plan_progress(engine_for(ctx), period=window, convention=convention,
                                                province=province)
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


def _no_plan(engine, as_json: bool, code: str | None = None) -> None:
    """Say that the loaded province configures no plan (``{"plan": null, "rows": []}`` as JSON)."""
    province = loaded_province(engine, code)
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
