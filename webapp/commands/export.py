"""``diaban export``: write layers of the store to GeoPackage, Shapefile, GeoJSON, KML, CSV or FlatGeobuf.

Reads export-ready layers with ``geo.store.layers`` and writes them with ``geo.exports``;
every export is written to the audit log (who, which layers, format, CRS, public), never
the data itself.
"""

from __future__ import annotations

from pathlib import Path

import click

from geo.errors import DiabanError
from webapp.commands import engine_for, print_json

LAYERS = ("communes", "districts", "sites", "establishments", "incidents", "inspections")
FORMATS = ("gpkg", "shp", "geojson", "kml", "csv", "fgb")


def _vintage(conn, period, vintage: str | None) -> str:
    """The vintage asked for, else the one valid at the period's end, else the newest loaded."""
    from geo.store.units import list_vintages, vintage_for_period

    if vintage:
        return vintage
    if period is not None:
        return vintage_for_period(conn, period)
    return list_vintages(conn)[-1]["id"]


def _audit(engine, actor: str, layers, options: dict) -> None:
    """Record the export in the audit log (no data, only what was asked for)."""
    from geo.store import session_scope
    from geo.store.batches import audit

    with session_scope(engine) as session:
        audit(session, actor, "export", ",".join(layers), format=options["fmt"],
              crs=options["crs"], public=options["public"], with_names=options["with_names"],
              period=options["period"], vintage=options["vintage"])


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
@click.option("--crs", default="EPSG:4326", show_default=True,
              help="EPSG:4326, EPSG:5899 (VN-2000 TM-3 107°45′), EPSG:3405 (VN-2000 UTM 48N) …")
@click.option("--public", is_flag=True,
              help="For wider distribution: no site/establishment/inspection points, counts <3 hidden.")
@click.option("--with-names", is_flag=True, help="Include establishment names (analyst and above).")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@click.pass_context
def export(ctx, layers, out, as_json, **options):
    """Export LAYERS (communes, districts, sites, establishments, incidents, inspections) to a file."""
    from geo.exports import write_layers
    from geo.periods import parse_period
    from geo.store.counts import data_as_of
    from geo.store.layers import read_layers
    from webapp.commands.classify import _actor

    layers = tuple(dict.fromkeys(layers))
    if len(layers) > 1 and options["fmt"] != "gpkg":
        raise click.UsageError(f"--format {options['fmt']} holds one layer; use --format gpkg "
                               "for several")
    if options["public"] and options["with_names"]:
        raise click.UsageError("--public outputs carry no establishment names; drop --with-names")
    try:
        period = parse_period(options["period"]) if options["period"] else None
        engine = engine_for(ctx)
        with engine.connect() as conn:
            options["vintage"] = _vintage(conn, period, options["vintage"])
            frames = read_layers(conn, layers, period=period, vintage=options["vintage"],
                                 with_names=options["with_names"])
            as_of = data_as_of(conn)
        metadata = {"generator": "diaban export", "period": options["period"] or "",
                    "vintage": options["vintage"], "data_as_of": as_of["as_of"],
                    "synthetic": str(as_of["synthetic"]).lower()}
        written = write_layers(frames, out, fmt=options["fmt"], crs=options["crs"],
                               public=options["public"], metadata=metadata)
    except (DiabanError, ValueError) as exc:
        raise click.ClickException(str(exc)) from exc
    _audit(engine, _actor(), layers, options)
    data = {"out": str(written), "format": options["fmt"], "crs": options["crs"],
            "public": options["public"], "vintage": options["vintage"],
            "layers": {name: len(frame) for name, frame in frames.items()}}
    if as_json:
        print_json(data)
        return
    click.echo(f"{', '.join(f'{n} ({c})' for n, c in data['layers'].items())} written to {written}")
