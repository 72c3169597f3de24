"""``diaban hotspots``: hot spots, clusters, density or emerging hot spots for a period.

A click shell over :mod:`webapp.workflows.hotspots`: reads the records of the period
(incidents, or tip-offs with ``--source tips``) and the communes of the vintage, runs one
method of ``geo.hotspots``, writes one GeoPackage layer (EPSG:4326) whose layer metadata
records every parameter and the source, and/or prints a summary.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from geo.errors import DiabanError
from webapp.commands import engine_for, print_json
from webapp.workflows.defaults import HOTSPOT_OPTIONS as DEFAULTS
from webapp.workflows.hotspots import METHODS, SOURCES, run_hotspots, summary, write_layer


@click.command("hotspots")
@click.option("--period", required=True,
              help="2018, 2018-06, 2018-Q2, 2018-H1, 2018-9M, or START/END such as 2016/2019.")
@click.option("--vintage", default=None,
              help="Boundary vintage id; default: the vintage valid on the period's last day.")
@click.option("--source", type=click.Choice(SOURCES), default=DEFAULTS["source"], show_default=True,
              help="The records analysed: incidents, or tip-offs from the public (by received date).")
@click.option("--unit", type=click.Choice(["commune", "grid"]), default=DEFAULTS["unit"], show_default=True)
@click.option("--method", type=click.Choice(list(METHODS)), default=DEFAULTS["method"], show_default=True,
              help="gi: Getis-Ord Gi*; lisa: Local Moran's I; kde: kernel density (grid); "
                   "emerging: emerging hot spots over months or quarters.")
@click.option("--cell-size", type=float, default=DEFAULTS["cell_size"],
              help="Grid cell size in metres; default: the Optimized Hot Spot Analysis rule "
                   "(kde: the extent's shorter side / 250).")
@click.option("--shape", type=click.Choice(["square", "hex"]), default=DEFAULTS["shape"], show_default=True)
@click.option("--distance-band-m", type=float, default=DEFAULTS["distance_band_m"],
              help="Grid neighbourhood in metres; default: chosen as Optimized Hot Spot Analysis does.")
@click.option("--step", type=click.Choice(["month", "quarter"]), default=DEFAULTS["step"], show_default=True,
              help="Time step of --method emerging.")
@click.option("--time-lag", type=int, default=DEFAULTS["time_lag"], show_default=True,
              help="Previous time steps in a space-time neighbourhood (emerging).")
@click.option("--inference", type=click.Choice(["analytic", "permutation"]), default=DEFAULTS["inference"],
              show_default=True,
              help="analytic: normal p-values of the z-scores (ArcGIS Hot Spot Analysis); "
                   "permutation: conditional permutation pseudo p-values.")
@click.option("--permutations", type=int, default=DEFAULTS["permutations"],
              help="With --inference permutation: how many; default enough for the FDR correction "
                   "(2 x units / alpha, at least 999); fewer are refused.")
@click.option("--seed", type=int, default=DEFAULTS["seed"], show_default=True,
              help="Seed of the permutations (--inference permutation).")
@click.option("--alpha", type=float, default=DEFAULTS["alpha"], show_default=True)
@click.option("--fdr/--no-fdr", default=DEFAULTS["fdr"], show_default=True,
              help="Benjamini-Hochberg false discovery rate correction of the classes.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="GeoPackage to write the result layer into (other layers are kept).")
@click.option("--json", "as_json", is_flag=True, help="Print a summary as JSON.")
@click.option("--province", default=None, metavar="CODE",
              help="The province to analyse (its code); default: the only loaded one.")
@click.pass_context
def hotspots(ctx, as_json, out, province, **options):
    """Find hot spots, clusters, density or emerging hot spots of incidents (or tip-offs) for a period."""
    if options["method"] == "kde" and options["unit"] != "grid":
        raise click.UsageError("--method kde draws a density grid; add --unit grid")
    grid_only = [name for name, given in (("--cell-size", options["cell_size"] is not None),
                                          ("--distance-band-m", options["distance_band_m"] is not None),
                                          ("--shape", options["shape"] != "square")) if given]
    if options["unit"] == "commune" and grid_only:
        raise click.UsageError(f"{', '.join(grid_only)} apply to grid cells; add --unit grid")
    vintage = options.pop("vintage")
    try:
        with click.progressbar(length=2, label="Điểm nóng / hot spots", file=sys.stderr) as bar:
            _, result, unplaced = run_hotspots(engine_for(ctx), options, vintage=vintage, province=province)
            bar.update(1)
            layer = write_layer(result, out, unplaced, options["source"]) if out is not None else None
            bar.update(1)
    except DiabanError as exc:
        raise click.ClickException(str(exc)) from exc
    data = summary(result, unplaced, out, layer, options["source"])
    if as_json:
        print_json(data)
        return
    p = data["parameters"]
    classes = ", ".join(f"{k}: {v}" for k, v in data["classes"].items()) or "density surface"
    click.echo(f"{p['method']} of {data['source']} on {data['n_units']} {p['unit']} units, {p['period']} "
               f"(vintage {p['vintage']}): {classes}; {unplaced} records unplaced"
               + (f"; written to {out} layer {layer}" if out else ""))
