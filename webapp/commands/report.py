"""``diaban report``: the steering committee's briefing pack of a period as one PDF.

The figures come from ``webapp.briefing`` (the same code paths and defaults as ``diaban
classify``, ``hotspots``, ``targets``, ``classify-compare`` and ``reactivation``); the file
is written to ``--out`` and the request to the audit log (who, period, vintage, language,
edition), never the figures.
"""

from __future__ import annotations

from pathlib import Path

import click

from geo.errors import DiabanError
from webapp.commands import cli_actor, engine_for, print_json
from webapp.workflows.reports import audit_report


@click.command("report")
@click.option("--period", required=True, help="2018, 2018-06, 2018-Q2, 2018-H1 or 2018-9M.")
@click.option("--vintage", default=None,
              help="Boundary vintage id; default: the vintage valid on the period's last day.")
@click.option("--lang", type=click.Choice(["vi", "en"]), default="vi", show_default=True,
              help="Language of the pack.")
@click.option("--public", is_flag=True,
              help="Edition for wider distribution: counts of 1 and 2 as \"<3\", no point maps.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The PDF file to write.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.option("--province", default=None, metavar="CODE",
              help="The province of the briefing (its code); default: the only loaded one.")
@click.pass_context
def report(ctx, period, vintage, lang, public, out, as_json, province):
    """Write the briefing pack of PERIOD (maps, targets, districts, changes, reactivations, methods)."""
    from webapp.briefing import briefing_pdf

    engine = engine_for(ctx)
    try:
        pdf, briefing = briefing_pdf(engine, period=period, vintage=vintage, lang=lang, public=public,
                                     actor=cli_actor(), province=province)
    except DiabanError as exc:
        raise click.ClickException(str(exc)) from exc
    out.write_bytes(pdf)
    audit_report(engine, cli_actor(), briefing, lang=lang, public=public, via="cli")
    data = {"out": str(out), "bytes": len(pdf), "period": briefing.period.label,
            "vintage": briefing.vintage.id, "lang": lang, "public": public,
            "snapshot": briefing.snapshot.id, "previous_snapshot": briefing.previous.id,
            "synthetic": briefing.synthetic}
    if as_json:
        print_json(data)
        return
    click.echo(f"briefing {data['period']} ({lang}{', public' if public else ''}; vintage {data['vintage']}, "
               f"snapshot {data['snapshot']} vs {data['previous_snapshot']}) written to {out}")
