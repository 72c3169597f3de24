"""``diaban export``: write layers of the store to GeoPackage, Shapefile, GeoJSON, KML, CSV or FlatGeobuf.

The same recipe as the web download (``webapp.exporting.export_layers``): read with
``webapp.workflows.layers``, write with ``geo.exports``, and record in the audit log who asked for
which layers, format, CRS and public mode, never the data itself.
"""

from __future__ import annotations

from pathlib import Path

import click

from boundaries import loaded_province
from geo.errors import DiabanError
from webapp.commands import cli_actor, engine_for, print_json
from webapp.province import check_export_crs, crs_choices

LAYERS = ("communes", "districts", "sites", "establishments", "incidents", "inspections")
FORMATS = ("gpkg", "shp", "geojson", "kml", "csv", "fgb")


@click.command("export")
@click.argument("layers", nargs=-1, required=True, type=click.Choice(LAYERS))
@click.option("--format", "fmt", type=click.Choice(FORMATS), required=True,
              help="gpkg may hold several layers; the others one.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="File to write (a shapefile is written as one .zip).")
@click.option("--period", default=None, help="2018, 2018-Q2, 2018-06 …; needed by communes, "
              "incidents and inspections.")
@click.option("--vintage", default=None,
              help="Boundary vintage id; default: the one valid on the period's last day.")
@click.option("--crs", default=None,
              help="One of the loaded province's export_crs (province.toml); default: its first.")
@click.option("--public", is_flag=True,
              help="For wider distribution: no site/establishment/inspection points, counts <3 hidden.")
@click.option("--with-names", is_flag=True, help="Include establishment names (analyst and above).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.option("--province", default=None, metavar="CODE",
              help="The province to export (its code); default: the only loaded one.")
@click.pass_context
def export(ctx, layers, out, as_json, **options):
    """Export LAYERS (communes, districts, sites, establishments, incidents, inspections) to a file."""
    from webapp.exporting import export_layers

    layers = tuple(dict.fromkeys(layers))
    if len(layers) > 1 and options["fmt"] != "gpkg":
        raise click.UsageError(f"--format {options['fmt']} holds one layer; use --format gpkg "
                               "for several")
    if options["public"] and options["with_names"]:
        raise click.UsageError("--public outputs carry no establishment names; drop --with-names")
    options["crs"] = _crs(engine_for(ctx), options["crs"], options["province"])
    try:
        written, counts = export_layers(engine_for(ctx), layers, out, options=options, actor=cli_actor())
    except (DiabanError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    data = {"out": str(written), "format": options["fmt"], "crs": options["crs"],
            "public": options["public"], "vintage": options["vintage"],
            "layers": counts}
    if as_json:
        print_json(data)
        return
    click.echo(f"{', '.join(f'{n} ({c})' for n, c in data['layers'].items())} written to {written}")


def _crs(engine, crs: str | None, code: str | None = None) -> str:
    """``crs`` checked against the province's export CRSs (its first when None)."""
    province = loaded_province(engine, code)
    if crs is None:
        return next(iter(crs_choices(province)))
    try:
        check_export_crs(province, crs)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--crs") from exc
    return crs
