"""``diaban classify`` and ``diaban classify-compare``: commune status under a rule set.

Click shells over :mod:`webapp.workflows.classification` (:func:`classify_period` then
:func:`store_run`), the same workflow as the ``/classify`` page, the map's provisional
status and the briefing.
"""

from __future__ import annotations

import click
import pandas as pd

from geo.classify import (
    DEFAULT_RULESET,
    STATUSES,
    Ruleset,
    data_completeness,
    load_ruleset,
    summarize_missing,
)
from geo.periods import CONVENTIONS, Period, parse_period
from geo.store.classification import compare_snapshots
from webapp.commands import cli_actor, engine_for, print_json
from webapp.workflows.classification import (
    classify_period,
    missing_records,
    read_inputs_for,
    result_records,
    store_run,
)
from webapp.workflows.defaults import CONVENTION


@click.command("classify")
@click.option("--period", required=True, help="2019, 2019-06, 2019-Q2, 2019-H1 or 2019-9M.")
@click.option("--vintage", default=None,
              help="Boundary vintage id; default: the vintage valid on the period's last day.")
@click.option("--ruleset", default=DEFAULT_RULESET, show_default=True,
              help="A shipped rule set id or a TOML file.")
@click.option("--convention", type=click.Choice(CONVENTIONS), default=CONVENTION, show_default=True,
              help="Period windows: calendar, or the 15th-to-14th reporting windows.")
@click.option("--missing", is_flag=True,
              help="Store nothing: list per commune the criteria without data and what to load to fill them.")
@click.option("--json", "as_json", is_flag=True, help="Print the classification (or the gaps) as JSON.")
@click.option("--province", default=None, metavar="CODE",
              help="The province to classify (its code); default: the only loaded one.")
@click.pass_context
def classify(ctx, period, vintage, ruleset, convention, missing, as_json, province):
    """Classify every commune for a period and store the result as an immutable snapshot."""
    rules = load_ruleset(ruleset)
    window = parse_period(period, convention=convention)
    if missing:
        _print_missing(engine_for(ctx), window, rules, vintage, as_json, province)
        return
    with engine_for(ctx).begin() as conn:
        run = classify_period(conn, period=window, ruleset=rules, vintage=vintage, province=province)
        snapshot = store_run(conn, run, created_by=cli_actor())
    click.echo(f"snapshot {snapshot} ({rules.id} {rules.version}, {window.label} {convention}, "
               f"vintage {run.vintage})" + (" — PROVISIONAL rule set" if rules.provisional else ""),
               err=True)
    if as_json:
        print_json(result_records(run.results))
        return
    counts = run.results["status"].value_counts()
    for status in STATUSES:
        click.echo(f"{status}: {int(counts.get(status, 0))}")
    unassigned = {k: len(v) for k, v in run.inputs.unassigned.items() if v}
    if unassigned:
        click.echo(f"records outside vintage {run.vintage}: {unassigned}")
    if counts.get("not_assessed", 0):
        click.echo(f"why not assessed: diaban classify --period {window.label} --missing")


def _print_missing(engine, window: Period, rules: Ruleset, vintage: str | None, as_json: bool,
                   province: str | None = None) -> None:
    """``--missing``: the criteria without data per commune, and what to load (nothing stored)."""
    with engine.connect() as conn:
        chosen, inputs = read_inputs_for(conn, period=window, vintage=vintage, province=province)
    completeness = data_completeness(inputs, rules, period=window)
    records = missing_records(completeness, inputs.units)
    if as_json:
        print_json(records)
        return
    click.echo(f"{window.label} ({window.convention}), vintage {chosen}, {rules.id} {rules.version}: "
               f"{len({r['commune_code'] for r in records})} of {len(inputs.units)} communes lack data")
    for row in summarize_missing(completeness).itertuples():
        click.echo(f"{row.communes} communes — {row.what_to_load}")
    for code, rows in pd.DataFrame(records, columns=["commune_code", "name", "criterion_id"]).groupby(
            "commune_code", sort=True):
        click.echo(f"  {code} {rows['name'].iloc[0]}: {', '.join(rows['criterion_id'])}")


@click.command("classify-compare")
@click.argument("snapshot_a", type=int)
@click.argument("snapshot_b", type=int)
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@click.pass_context
def classify_compare(ctx, snapshot_a, snapshot_b, as_json):
    """List the communes whose status or criteria differ between two snapshots."""
    meta_a, meta_b, changes = compare_snapshots(engine_for(ctx), snapshot_a, snapshot_b)
    rows = changes.to_dict(orient="records")
    if as_json:
        print_json({"before": meta_a.summary(), "after": meta_b.summary(), "changes": rows})
        return
    click.echo(f"{len(rows)} communes changed between snapshot {snapshot_a} and {snapshot_b}")
    for row in rows:
        click.echo(f"{row['commune_code']}: {row['status_before']} → {row['status_after']} "
                   f"(criteria {', '.join(row['changed_criteria']) or '-'})")

