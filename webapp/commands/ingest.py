"""``diaban ingest``: load files of records, download a batch's quarantine, work the review queue.

- ``diaban ingest KIND PATH [--mapping FILE] [--dry-run] [--json]`` for KIND establishments, sites,
  site-events, incidents, inspections, tips, activities, commune-reports or attestations (the last two
  also take ``--period P``, the period of the whole file);
- ``diaban ingest quarantine BATCH_ID --out FILE.csv``: the rows a batch could not load (UTF-8 with
  BOM, so Excel shows Vietnamese);
- ``diaban ingest review [--json]``: the open review items; ``diaban ingest resolve ITEM_ID --unit CODE``
  (or ``--dismiss``) decides one, remembers the alias and loads the row.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from etl.headers import KINDS
from etl.pipeline import ingest as run_ingest
from etl.reasons import explain
from etl.records import PERIOD_KINDS
from etl.review import resolve_review
from geo.errors import DiabanError
from geo.store.quarantine import quarantine_csv
from geo.store.review import list_items
from webapp.commands import engine_for, print_json
from webapp.keys import cli_hmac_key

LARGE_FILE = 1000
"""From this many rows on, a progress bar is shown on stderr (not with --json)."""
_STAGES = ("read", "parsed", "records", "rejected")


@click.group("ingest")
def ingest():
    """Load files of records; the quarantine and review queue of what could not be loaded."""


def _kind_command(kind: str) -> click.Command:
    @click.command(kind)
    @click.argument("path", type=click.Path(dir_okay=False))
    @click.option("--mapping", type=click.Path(exists=True, dir_okay=False), default=None,
                  help="Header overrides: a TOML or CSV file mapping source headers to fields.")
    @click.option("--dry-run", is_flag=True, help="Check and report everything, write nothing.")
    @click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
    @click.option("--province", default=None, metavar="CODE",
                  help="The province of the records (its code); default: the only loaded one.")
    @click.pass_context
    def command(ctx, path, mapping, dry_run, as_json, province, period=None):
        bar = _Progress(enabled=not as_json)
        try:
            summary = run_ingest(engine_for(ctx), kind, path, mapping=mapping, dry_run=dry_run, actor="cli",
                                 progress=bar, hmac_key=cli_hmac_key, period=period,
                                 province=province)
        except DiabanError as exc:
            raise click.ClickException(f"{path}: {exc}") from exc
        finally:
            bar.close()
        if as_json:
            print_json(summary)
            return
        _print_summary(summary, dry_run)

    command.help = (f"Load PATH as {kind} records: sound rows are loaded, every other row is quarantined "
                    "with a reason (CSV, XLSX, GeoJSON, GeoPackage or zipped Shapefile).")
    if kind in PERIOD_KINDS:
        command = click.option(
            "--period", default=None,
            help="The reporting period of the whole file (2018, 2018-Q2, 'Quý II/2018', '6 tháng 2018'); "
                 "fills the rows whose period cell is blank.")(command)
    return command


for _kind in KINDS:
    ingest.add_command(_kind_command(_kind))


class _Progress:
    """A click progress bar over the pipeline's stages, opened once the file is known to be large."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled, self.bar = enabled, None

    def __call__(self, stage: str, rows: int) -> None:
        if stage == "read" and self.enabled and rows >= LARGE_FILE:
            self.bar = click.progressbar(length=len(_STAGES), label=f"{rows} rows", file=sys.stderr)
            self.bar.__enter__()
        if self.bar is not None:
            self.bar.label = stage
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)


def _print_summary(summary: dict, dry_run: bool) -> None:
    where = "dry run, nothing written" if dry_run else f"import batch {summary['batch_id']}"
    click.echo(f"{summary['kind']}: {summary['read']} rows read, {summary['loaded']} loaded, "
               f"{summary['rejected']} rejected, {summary['duplicates']} duplicates ({where}).")
    if summary["dropped_columns"]:
        click.echo("Columns not read (personal data, or no field of this kind), never stored: "
                   + ", ".join(f"{c} ({summary['dropped_reasons'][c]})" for c in summary["dropped_columns"]))
    for code, count in summary["reasons"].items():
        click.echo(f"  {code} × {count}: {explain(code).en} Fix: {explain(code).fix}")
    for code, count in summary.get("warnings", {}).items():
        click.echo(f"  warning {code} × {count}: {explain(code).en}")
    if summary.get("review") and not dry_run:
        click.echo(f"{summary['review']} rows wait in the review queue: `diaban ingest review` or /review.")
    if summary["rejected"] and not dry_run:
        click.echo(f"Rejected rows: `diaban ingest quarantine {summary['batch_id']} --out FILE.csv`.")


@ingest.command("quarantine")
@click.argument("batch_id", type=int)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, writable=True),
              help="The CSV file to write (UTF-8 with BOM).")
@click.pass_context
def quarantine(ctx, batch_id, out):
    """Write the rows import batch BATCH_ID could not load, with reason, detail and fix, as CSV."""
    content = quarantine_csv(engine_for(ctx), batch_id, explain=_explanations())
    Path(out).write_text(content, encoding="utf-8", newline="")
    click.echo(f"{out}: {max(content.count(chr(10)) - 1, 0)} rows of batch {batch_id}")


def _explanations() -> dict[str, str]:
    """Reason code to its Vietnamese explanation and fix, for the quarantine file."""
    from etl.reasons import REASONS

    return {code: f"{r.vi} {r.fix}" for code, r in REASONS.items()}


@ingest.command("review")
@click.option("--json", "as_json", is_flag=True, help="Print the items as JSON.")
@click.pass_context
def review(ctx, as_json):
    """List the open review items: rows whose commune the ingest would not guess, with candidates."""
    items = list_items(engine_for(ctx))
    if as_json:
        print_json(items)
        return
    if not items:
        click.echo("no open review item")
    for item in items:
        options = "; ".join(f"{c['code']} {c['name']} ({c['district'] or '-'}, {c['score']})"
                            for c in item["candidates"])
        more = f" (+{item['rows'] - 1} rows with the same text)" if item["rows"] > 1 else ""
        click.echo(f"#{item['id']} batch {item['batch_id']} row {item['source_row']}{more}: "
                   f"{item['commune_text']} / {item['district_text'] or '-'} → {options}")


@ingest.command("resolve")
@click.argument("item_id", type=int)
@click.option("--unit", "commune_code", default=None, help="GSO code of the commune the row names.")
@click.option("--dismiss", is_flag=True, help="Leave the row in quarantine and close the item.")
@click.option("--no-remember", is_flag=True, help="Do not remember the choice as an alias.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def resolve(ctx, item_id, commune_code, dismiss, no_remember, as_json):
    """Decide review item ITEM_ID: its commune is --unit CODE (loads the row), or --dismiss it."""
    if bool(commune_code) == dismiss:
        raise click.UsageError("give either --unit CODE or --dismiss")
    result = resolve_review(engine_for(ctx), item_id, commune_code=commune_code, dismiss=dismiss,
                            remember=not no_remember, actor="cli")
    if as_json:
        print_json(result)
        return
    click.echo(f"item {item_id}: {result['status']}; " + ", ".join(
        f"#{i['item_id']} {i['result']}" for i in result["items"]))
