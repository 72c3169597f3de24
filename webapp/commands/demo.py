"""``diaban demo``: write the synthetic demo files and load them through the ingest, as a user would.

The files (CSV and XLSX with Vietnamese headers, every ingest kind) are written into a temporary
folder, or into ``--out DIR`` where they are kept for a trainer to look at, then loaded one by one by
``etl.ingest`` with the ``synthetic`` flag. A demo set already loaded by the same generator version is
left alone; ``--replace`` (or another generator version) deletes its import batches first, and with
them every row they loaded.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from etl.demo.load import GENERATOR_VERSION, load_demo, parse_demo_source
from geo.settings import DEFAULT_SEED
from geo.store.audit import record
from geo.store.batches import delete_batches, synthetic_batches
from webapp.commands import engine_for, print_json
from webapp.keys import cli_hmac_key

FILES = 11
"""The number of files the demo writes (the progress bar's length)."""


@click.command()
@click.option("--seed", default=DEFAULT_SEED, show_default=True, type=int, help="Random seed.")
@click.option("--replace", is_flag=True, help="Delete the demo set loaded already, then load again.")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Keep the demo files in this folder (default: a temporary folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_context
def demo(ctx, seed, replace, out, as_json):
    """Write the synthetic demo files and load them through the ingest (marked synthetic everywhere)."""
    engine = engine_for(ctx)
    existing = synthetic_batches(engine)
    sources = [parse_demo_source(b["source"]) for b in existing]
    current = all(s is not None and s[0] == GENERATOR_VERSION for s in sources)
    if existing and current and not replace:
        result = {"status": "already loaded", "seed": sources[0][1], "batches": [b["id"] for b in existing]}
    else:
        if existing:
            delete_batches(engine, [b["id"] for b in existing], actor="cli", action="demo.delete")
        with click.progressbar(length=FILES, label="Dữ liệu mô phỏng / demo data", file=sys.stderr) as bar:
            result = load_demo(
                engine, seed=seed, out=out, hmac_key=cli_hmac_key, progress=lambda _: bar.update(1)
            )
        record(
            engine, "cli", "demo.load", f"seed {seed}", batches=result["batches"], rejected=result["rejected"]
        )
    if as_json:
        print_json(result)
        return
    counts = ", ".join(
        f"{v} {k}" for k, v in result.items() if isinstance(v, int) and k not in {"seed", "generator_version"}
    )
    where = f"; files kept in {result['folder']}" if result.get("folder") else ""
    click.echo(f"demo data (seed {result['seed']}): {result['status']}: {counts}{where}")
