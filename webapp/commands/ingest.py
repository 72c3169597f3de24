"""``diaban ingest``: load a file of establishments or incidents, quarantining the rows it cannot load."""

from __future__ import annotations

import click

from etl.pipeline import KINDS
from etl.pipeline import ingest as run_ingest
from etl.reasons import explain
from geo.errors import DiabanError
from webapp.commands import engine_for, print_json

LARGE_FILE = 1000
"""From this many rows on, a progress bar is shown on stderr (not with --json)."""
_STAGES = ("read", "parsed", "records", "rejected")


@click.command("ingest")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("path", type=click.Path(dir_okay=False))
@click.option("--mapping", type=click.Path(exists=True, dir_okay=False), default=None,
              help="Header overrides: a TOML, JSON or CSV file mapping source headers to fields.")
@click.option("--dry-run", is_flag=True, help="Check and report everything, write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as one JSON object.")
@click.pass_context
def ingest(ctx, kind, path, mapping, dry_run, as_json):
    """Load PATH as KIND records: sound rows are loaded, every other row is quarantined with a reason."""
    bar = _Progress(enabled=not as_json)
    try:
        summary = run_ingest(engine_for(ctx), kind, path, mapping=mapping, dry_run=dry_run, actor="cli",
                             progress=bar)
    except DiabanError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    finally:
        bar.close()
    if as_json:
        print_json(summary)
        return
    _print_summary(summary, dry_run)


class _Progress:
    """A click progress bar over the pipeline's stages, opened once the file is known to be large."""

    def __init__(self, *, enabled: bool) -> None:
        self.enabled, self.bar = enabled, None

    def __call__(self, stage: str, rows: int) -> None:
        if stage == "read" and self.enabled and rows >= LARGE_FILE:
            stderr = click.get_text_stream("stderr")
            self.bar = click.progressbar(length=len(_STAGES), label=f"{rows} rows", file=stderr)
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
        click.echo("Dropped for privacy, never stored: " + ", ".join(summary["dropped_columns"]))
    for code, count in summary["reasons"].items():
        click.echo(f"  {code} × {count}: {explain(code).en} Fix: {explain(code).fix}")
    for code, count in summary.get("warnings", {}).items():
        click.echo(f"  warning {code} × {count}: {explain(code).en}")
