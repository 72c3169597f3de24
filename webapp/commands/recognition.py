"""``diaban recognition``: the steering committee's recognition decisions, recorded and listed.

``record`` enters one decision (superseding the commune's current one for that year, which is
kept as history); ``list`` shows the decisions next to the computed proposal.
"""

from __future__ import annotations

import click

from geo.periods import parse_period
from geo.store.recognition import read_decisions, read_proposals, record_decision
from geo.store.units import choose_vintage, read_units
from webapp.commands import cli_actor, engine_for, print_json
from webapp.workflows.jsonable import json_ready_dict


@click.group("recognition")
def recognition():
    """Công nhận xã lành mạnh / the committee's recognition decisions per commune and year."""


def year_vintage(engine, year: int, vintage: str | None) -> str:
    """The vintage asked for, else the one valid on the year's last day."""
    return choose_vintage(engine, parse_period(str(year)), vintage).id


@recognition.command("record")
@click.option("--year", type=int, required=True, help="The year the decision recognises.")
@click.option("--commune", "code", required=True, help="The commune's GSO code (5 digits).")
@click.option("--recognised/--not-recognised", default=None,
              help="Recognised as lành mạnh không có tệ nạn mại dâm, or not.")
@click.option("--number", required=True, help="The decision's number, e.g. 123/QĐ-UBND.")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="The decision's date, YYYY-MM-DD.")
@click.option("--by", "office", required=True,
              help="The office or role that decided (UBND tỉnh, Ban Chỉ đạo tỉnh), never a person's name.")
@click.option("--snapshot", "snapshot_id", type=int, default=None,
              help="The classification snapshot (of that year) the decision was based on.")
@click.option("--vintage", default=None, help="Boundary vintage; default: the one valid at the year's end.")
@click.option("--json", "as_json", is_flag=True, help="Print the recorded decision as JSON.")
@click.pass_context
def record(ctx, year, code, recognised, number, day, office, snapshot_id, vintage, as_json):
    """Record a decision; the commune's current decision for the year is kept as superseded."""
    if recognised is None:
        raise click.UsageError("say --recognised or --not-recognised")
    engine = engine_for(ctx)
    row = record_decision(engine, vintage=year_vintage(engine, year, vintage), commune_code=code, year=year,
                          recognised=recognised, decision_number=number, decision_date=day.date(),
                          decided_by=office, snapshot_id=snapshot_id, recorded_by=cli_actor())
    if as_json:
        print_json(json_ready_dict(row))
        return
    verdict = "công nhận / recognised" if row["recognised"] else "không công nhận / not recognised"
    click.echo(f"{row['commune_code']} {row['year']}: {verdict} — {row['decision_number']} "
               f"{row['decision_date']:%Y-%m-%d} ({row['decided_by']})"
               + (f"; supersedes decision #{row['superseded']}" if row["superseded"] else ""))


@recognition.command("list")
@click.option("--year", type=int, default=None, help="Only this year (then with each commune's proposal).")
@click.option("--vintage", default=None, help="Only this boundary vintage.")
@click.option("--history", is_flag=True, help="Include superseded decisions.")
@click.option("--json", "as_json", is_flag=True, help="Print the decisions as JSON.")
@click.pass_context
def list_(ctx, year, vintage, history, as_json):
    """List the current decisions (and the proposal they were set against, for one year)."""
    engine = engine_for(ctx)
    frame = read_decisions(engine, year=year, vintage=vintage, history=history)
    records = [json_ready_dict(r) for r in frame.to_dict(orient="records")]
    for rec in records:
        rec["current"] = rec["superseded_at"] is None
    if year is not None:
        _add_proposals(engine, records, year)
    if as_json:
        print_json(records)
        return
    if not records:
        click.echo("Chưa có quyết định nào / no decision recorded" + (f" for {year}" if year else ""))
    for rec in records:
        proposal = f"  đề xuất/proposal: {rec['proposal']}" if "proposal" in rec else ""
        click.echo(f"{rec['year']} {rec['commune_code']} {rec.get('name', '')}\t"
                   f"{'công nhận/recognised' if rec['recognised'] else 'không/not recognised'}\t"
                   f"{rec['decision_number']} {rec['decision_date']} ({rec['decided_by']})"
                   f"{'' if rec['current'] else '  [superseded]'}{proposal}")


def _add_proposals(engine, records: list[dict], year: int) -> None:
    """Add each decision's commune name and the proposal of its year on its vintage (in place)."""
    for vintage in sorted({r["vintage_id"] for r in records}):
        _, proposals = read_proposals(engine, year, vintage=vintage)
        status = dict(zip(proposals["commune_code"], proposals["status"], strict=True))
        names = read_units(engine, vintage).set_index("commune_code")["name"]
        for rec in (r for r in records if r["vintage_id"] == vintage):
            rec["proposal"] = status.get(rec["commune_code"])
            rec["name"] = names.get(rec["commune_code"])

