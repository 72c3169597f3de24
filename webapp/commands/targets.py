"""``diaban targets``: progress against the provincial plan's targets (Kế hoạch 2016–2020, section II)."""

from __future__ import annotations

import click

from boundaries.targets import load_targets
from geo.store.targets import read_target_measures
from geo.targets import track_targets
from webapp.commands import engine_for, json_ready_dict, print_json

_YES_NO = {True: "đạt / yes", False: "chưa / no", None: "–"}


@click.command("targets")
@click.option("--year", type=int, default=None, help="Only this plan year (cumulative still from the start).")
@click.option("--district", default=None, help="Only this district (GSO code in the plan's vintage).")
@click.option("--json", "as_json", is_flag=True, help='Print {"plan": ..., "rows": [...]} as JSON.')
@click.pass_context
def targets(ctx, year, district, as_json):
    """Per-year and cumulative progress of the province and each district against the plan."""
    plan, table = load_targets()
    years = range(int(plan["start_year"]), int(plan["end_year"]) + 1)
    if year is not None and year not in years:
        raise click.BadParameter(f"{year} is outside the plan; use {years[0]}–{years[-1]}",
                                 param_hint="--year")
    measured, gaps, communes = read_target_measures(engine_for(ctx), table["measure"], years=years,
                                                    vintage=plan["vintage"])
    rows = track_targets(table, measured, communes, years=years, gaps=gaps)
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
                       f"{info['kind']}]\n{header}")
        click.echo(f"  {row['year']:<9}{_fmt(row['value'], info['unit']):>15}"
                   f"{_fmt(row['cumulative'], info['unit']):>16}{_fmt(row['share_of_target'], 'percent'):>19}"
                   f"  {_YES_NO[row['on_track']]:<16}" + (f"  {row['note']}" if row["note"] else ""))
    unmeasured = meta[meta["measure"] == "none"]
    if len(unmeasured):
        click.echo("\nKhông đo được trong diaban / Not measured by diaban:")
        for target_id, info in unmeasured.iterrows():
            click.echo(f"  {target_id}: {info['text']} / {info['text_en']}")
    click.echo("\nHuyện không có chỉ tiêu riêng trừ khi kế hoạch quy định / Districts have no target "
               "of their own unless the plan implies one.")


def _fmt(value, unit: str) -> str:
    """A value as a count or a percentage; '–' when missing."""
    if value is None:
        return "–"
    return f"{100 * value:.1f} %" if unit == "percent" else f"{value:,.0f}"
