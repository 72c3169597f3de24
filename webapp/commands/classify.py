"""``diaban classify`` and ``diaban classify-compare``: commune status under a rule set."""

from __future__ import annotations

import getpass

import click

from etl.vocabulary import act_codes
from geo.classify import DEFAULT_RULESET, STATUSES, classify_communes, load_ruleset
from geo.periods import CONVENTIONS, parse_period
from geo.store.classification import (
    compare_snapshots,
    read_classification_inputs,
    read_time,
    write_snapshot,
)
from geo.store.units import vintage_for_period
from webapp.commands import engine_for, print_json


def result_records(results) -> list[dict]:
    """The JSON shape of a classification: one dict per commune."""
    return [
        {"commune_code": r.unit_code, "name": r.name, "status": r.status, "score": float(r.score),
         "criteria": [{"id": c["id"], "passed": c["passed"], "value": c["value"],
                       "evidence": c["evidence"], "detail": c.get("detail")} for c in r.criteria]}
        for r in results.itertuples()
    ]


@click.command("classify")
@click.option("--period", required=True, help="2019, 2019-06, 2019-Q2, 2019-H1 or 2019-9M.")
@click.option("--vintage", default=None,
              help="Boundary vintage id; default: the vintage valid on the period's last day.")
@click.option("--ruleset", default=DEFAULT_RULESET, show_default=True,
              help="A shipped rule set id or a TOML file.")
@click.option("--convention", type=click.Choice(CONVENTIONS), default="calendar", show_default=True,
              help="Period windows: calendar, or the 15th-to-14th reporting windows.")
@click.option("--json", "as_json", is_flag=True, help="Print the classification as JSON.")
@click.pass_context
def classify(ctx, period, vintage, ruleset, convention, as_json):
    """Classify every commune for a period and store the result as an immutable snapshot."""
    rules = load_ruleset(ruleset)
    window = parse_period(period, convention=convention)
    engine = engine_for(ctx)
    with engine.begin() as conn:
        chosen = vintage or vintage_for_period(conn, window)
        inputs = read_classification_inputs(conn, window, vintage=chosen, codes=act_codes())
        results = classify_communes(inputs, rules, window)
        snapshot = write_snapshot(conn, results, ruleset=rules, period=window, vintage=chosen,
                                  as_of=read_time(conn), created_by=_actor())
    click.echo(f"snapshot {snapshot} ({rules.id} {rules.version}, {window.label} {convention}, "
               f"vintage {chosen})" + (" — PROVISIONAL rule set" if rules.provisional else ""),
               err=True)
    if as_json:
        print_json(result_records(results))
        return
    counts = results["status"].value_counts()
    for status in STATUSES:
        click.echo(f"{status}: {int(counts.get(status, 0))}")
    unassigned = {k: len(v) for k, v in inputs.unassigned.items() if v}
    if unassigned:
        click.echo(f"records outside vintage {chosen}: {unassigned}")


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
        keys = ("id", "ruleset_id", "ruleset_version", "period", "convention", "vintage_id",
                "data_as_of")
        print_json({"before": {k: meta_a[k] for k in keys}, "after": {k: meta_b[k] for k in keys},
                     "changes": rows})
        return
    click.echo(f"{len(rows)} communes changed between snapshot {snapshot_a} and {snapshot_b}")
    for row in rows:
        click.echo(f"{row['unit_code']}: {row['status_before']} → {row['status_after']} "
                   f"(criteria {', '.join(row['changed_criteria']) or '-'})")


def _actor() -> str:
    """The login running the command (recorded on the snapshot)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"
