"""``diaban hotspots``: hot spots, clusters, density or emerging hot spots for a period.

Reads the records of the period (incidents, or tip-offs with ``--source tips``) and the
communes of the vintage from the store, runs one method of ``geo.hotspots`` and writes one
GeoPackage layer (EPSG:4326) whose layer metadata records every parameter and the source,
and/or prints a summary.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from geo.errors import DiabanError
from geo.hotspots.options import DEFAULT_ALPHA, DEFAULT_INFERENCE, DEFAULT_SEED
from webapp.commands import engine_for, print_json

METHODS = {"gi": "gi_star", "lisa": "local_moran", "kde": "kernel_density",
           "emerging": "emerging_hotspots"}
#: What can be analysed: the records read, and the name of their count column in the result.
SOURCES = ("incidents", "tips")


def parse_window(label: str):
    """A period label, or ``START/END`` (two labels) for the window from START to END.

    Examples
    --------
    >>> w = parse_window("2016/2019")
    >>> w.label, w.start, w.end
    ('2016/2019', datetime.date(2016, 1, 1), datetime.date(2020, 1, 1))
    """
    from geo.periods import Period, parse_period

    if "/" not in label:
        return parse_period(label)
    first, last = (parse_period(part) for part in label.split("/", 1))
    if last.end <= first.start:
        raise click.BadParameter(f"{label!r}: the end comes before the start", param_hint="--period")
    return Period(label=f"{first.label}/{last.label}", kind=first.kind, start=first.start, end=last.end)


def read_inputs(conn, window, vintage, source: str = "incidents"):
    """The communes of the vintage (``commune_code``), the period's records of ``source``, data as-of.

    Tip-offs are dated by the day they were received (``event_date`` in the frame returned, the
    column the space-time cube reads); like incidents, they carry a point or a commune reference.
    """
    from geo.store.counts import data_as_of
    from geo.store.records import read_incidents, read_tips
    from geo.store.units import read_units, vintage_for_period

    if source not in SOURCES:
        raise click.BadParameter(f"{source!r}: use one of {', '.join(SOURCES)}", param_hint="--source")
    vintage = vintage or vintage_for_period(conn, window)
    communes = read_units(conn, vintage).rename(columns={"unit_code": "commune_code"})
    if source == "tips":
        records = read_tips(conn, start=window.start, end=window.end).rename(
            columns={"received_date": "event_date"})
    else:
        records = read_incidents(conn, start=window.start, end=window.end)
    return vintage, communes[["commune_code", "name", "geometry"]], records, data_as_of(conn)


def analyse(options: dict, window, vintage, communes, incidents, as_of):
    """Run the chosen method; return the result and the number of records left unplaced.

    ``incidents`` are the records of ``options["source"]`` (default incidents); their count per
    unit is the result's column of that name.
    """
    import geo.hotspots as hs
    from geo.settings import WORK_CRS

    method, unit = options["method"], options["unit"]
    common = {"period": window, "vintage": vintage, "as_of": as_of}
    tests = {"inference": options["inference"], "permutations": options["permutations"],
             "seed": options["seed"],
             "alpha": options["alpha"], "fdr": options["fdr"], "unit": unit,
             "distance_band": options["distance_band"], **common}
    points = incidents.to_crs(WORK_CRS)
    if method == "kde":
        result = hs.kernel_density(points, communes.to_crs(WORK_CRS), cell_size=options["cell_size"],
                                   shape=options["shape"], **common)
        return result, int(points.geometry.isna().sum())
    units = communes
    if unit == "grid":
        units = hs.make_grid(communes.to_crs(WORK_CRS), cell_size=options["cell_size"],
                             points=points, shape=options["shape"])
    records = points if unit == "grid" else incidents
    if method == "emerging":
        steps = hs.time_steps(window.start, window.end, step=options["step"])
        cube, unplaced = hs.count_cube(records, units, steps, unit=unit, vintage=vintage)
        return hs.emerging_hotspots(units, cube, time_lag=options["time_lag"], **tests), unplaced
    units = units.copy()
    column = options.get("source") or "incidents"
    units[column], unplaced = hs.count_records(records, units, unit=unit, vintage=vintage)
    function = hs.gi_star if method == "gi" else hs.local_moran
    return function(units, value_column=column, **tests), unplaced


def write_layer(result, path: Path, unplaced: int, source: str = "incidents") -> str:
    """Write ``result`` as one layer (EPSG:4326) with its parameters and source as layer metadata."""
    import pyogrio

    from geo.settings import STORAGE_CRS

    parameters = result.attrs["parameters"]
    layer = f"{parameters.method}_{parameters.unit}" + ("" if source == "incidents" else f"_{source}")
    metadata = {**parameters.to_metadata(), "unplaced_records": str(unplaced), "source": source}
    pyogrio.write_dataframe(
        result.to_crs(STORAGE_CRS), path, layer=layer, driver="GPKG", layer_metadata=metadata,
        dataset_metadata={"generator": "diaban hotspots", "synthetic": metadata["synthetic"]})
    return layer


def summary(result, unplaced: int, out: Path | None, layer: str | None, source: str = "incidents") -> dict:
    """The ``--json`` summary: counts per class, the parameters, the source, what was written."""
    from geo.hotspots import summarize

    data = summarize(result)
    if "density" in result:
        data["density_max_per_km2"] = float(result["density"].max())
    return {**data, "source": source, "unplaced_records": unplaced,
            "out": None if out is None else str(out), "layer": layer}


@click.command("hotspots")
@click.option("--period", required=True,
              help="2018, 2018-06, 2018-Q2, 2018-H1, 2018-9M, or START/END such as 2016/2019.")
@click.option("--vintage", default=None,
              help="Boundary vintage id; default: the vintage valid on the period's last day.")
@click.option("--source", type=click.Choice(SOURCES), default="incidents", show_default=True,
              help="The records analysed: incidents, or tip-offs from the public (by received date).")
@click.option("--unit", type=click.Choice(["commune", "grid"]), default="commune", show_default=True)
@click.option("--method", type=click.Choice(list(METHODS)), default="gi", show_default=True,
              help="gi: Getis-Ord Gi*; lisa: Local Moran's I; kde: kernel density (grid); "
                   "emerging: emerging hot spots over months or quarters.")
@click.option("--cell-size", type=float, default=None,
              help="Grid cell size in metres; default: the Optimized Hot Spot Analysis rule "
                   "(kde: the extent's shorter side / 250).")
@click.option("--shape", type=click.Choice(["square", "hex"]), default="square", show_default=True)
@click.option("--distance-band", type=float, default=None,
              help="Grid neighbourhood in metres; default: chosen as Optimized Hot Spot Analysis does.")
@click.option("--step", type=click.Choice(["month", "quarter"]), default="month", show_default=True,
              help="Time step of --method emerging.")
@click.option("--time-lag", type=int, default=1, show_default=True,
              help="Previous time steps in a space-time neighbourhood (emerging).")
@click.option("--inference", type=click.Choice(["analytic", "permutation"]), default=DEFAULT_INFERENCE,
              show_default=True,
              help="analytic: normal p-values of the z-scores (ArcGIS Hot Spot Analysis); "
                   "permutation: conditional permutation pseudo p-values.")
@click.option("--permutations", type=int, default=None,
              help="With --inference permutation: how many; default enough for the FDR correction "
                   "(2 x units / alpha, at least 999); fewer are refused.")
@click.option("--seed", type=int, default=DEFAULT_SEED, show_default=True,
              help="Seed of the permutations (--inference permutation).")
@click.option("--alpha", type=float, default=DEFAULT_ALPHA, show_default=True)
@click.option("--fdr/--no-fdr", default=True, show_default=True,
              help="Benjamini-Hochberg false discovery rate correction of the classes.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="GeoPackage to write the result layer into (other layers are kept).")
@click.option("--json", "as_json", is_flag=True, help="Print a summary as JSON.")
@click.pass_context
def hotspots(ctx, as_json, out, **options):
    """Find hot spots, clusters, density or emerging hot spots of incidents (or tip-offs) for a period."""
    if options["method"] == "kde" and options["unit"] != "grid":
        raise click.UsageError("--method kde draws a density grid; add --unit grid")
    grid_only = [name for name, given in (("--cell-size", options["cell_size"] is not None),
                                          ("--distance-band", options["distance_band"] is not None),
                                          ("--shape", options["shape"] != "square")) if given]
    if options["unit"] == "commune" and grid_only:
        raise click.UsageError(f"{', '.join(grid_only)} apply to grid cells; add --unit grid")
    try:
        window = parse_window(options["period"])
        with click.progressbar(length=4, label="Điểm nóng / hot spots", file=sys.stderr) as bar:
            with engine_for(ctx).connect() as conn:
                vintage, communes, incidents, as_of = read_inputs(conn, window, options["vintage"],
                                                                  options["source"])
            bar.update(1)
            result, unplaced = analyse(options, window, vintage, communes, incidents, as_of)
            if "commune_code" in result:
                result.insert(1, "name", communes["name"])  # both keep the communes' index
            bar.update(2)
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
