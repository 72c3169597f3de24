"""Hot spots, clusters, density or emerging hot spots of a period: read, analyse, write.

``diaban hotspots``, the map's hot spot layers and the briefing all run these: read the
records of the window (incidents, or tip-offs) and the communes of the vintage
(:func:`read_inputs`), run one method of ``geo.hotspots`` (:func:`analyse`, options
defaulting to :data:`webapp.workflows.defaults.HOTSPOT_OPTIONS`), and write one GeoPackage
layer (:func:`write_layer`) or summarise (:func:`summary`).
"""

from __future__ import annotations

from pathlib import Path

from geo.errors import HotspotError, PeriodError
from geo.periods import Period, parse_period
from webapp.workflows.defaults import HOTSPOT_OPTIONS

#: The methods by option name and ``geo.hotspots`` function.
METHODS = {"gi": "gi_star", "lisa": "local_moran", "kde": "kernel_density",
           "emerging": "emerging_hotspots"}
#: What can be analysed: the records read, and the name of their count column in the result.
SOURCES = ("incidents", "tips")


def parse_window(label: str) -> Period:
    """A period label, or ``START/END`` (two labels) for the window from START to END.

    Examples
    --------
    >>> w = parse_window("2016/2019")
    >>> w.label, w.start, w.end
    ('2016/2019', datetime.date(2016, 1, 1), datetime.date(2020, 1, 1))
    """
    if "/" not in label:
        return parse_period(label)
    first, last = (parse_period(part) for part in label.split("/", 1))
    if last.end <= first.start:
        raise PeriodError(f"{label!r}: the end comes before the start; give START/END in order")
    return Period(label=f"{first.label}/{last.label}", kind=first.kind, start=first.start, end=last.end)


def hotspot_options(**given) -> dict:
    """Every analysis option: :data:`~webapp.workflows.defaults.HOTSPOT_OPTIONS` updated by ``given``.

    Examples
    --------
    >>> hotspot_options(method="emerging")["method"], hotspot_options()["seed"]
    ('emerging', 2016)
    """
    unknown = sorted(set(given) - set(HOTSPOT_OPTIONS))
    if unknown:
        raise HotspotError(f"unknown hot spot options {unknown}; use: {', '.join(HOTSPOT_OPTIONS)}")
    return {**HOTSPOT_OPTIONS, **given}


def read_inputs(conn, window: Period, vintage: str | None, source: str = "incidents", *,
                province: str | None = None):
    """The vintage, its communes (``commune_code``), the window's records of ``source``, data as-of.

    Tip-offs are dated by the day they were received (``event_date`` in the frame returned, the
    column the space-time cube reads); like incidents, they carry a point or a commune reference.
    The vintage (of ``province``, a code, by default the only loaded one) defaults to the one
    valid on the window's last day.
    """
    from geo.store.counts import data_as_of
    from geo.store.records import read_incidents, read_tips
    from geo.store.units import choose_vintage, read_units

    if source not in SOURCES:
        raise HotspotError(f"source {source!r} is not known; use one of: {', '.join(SOURCES)}")
    vintage = choose_vintage(conn, window, vintage, province=province).id
    communes = read_units(conn, vintage)
    if source == "tips":
        records = read_tips(conn, start=window.start, end=window.end).rename(
            columns={"received_date": "event_date"})
    else:
        records = read_incidents(conn, start=window.start, end=window.end)
    return vintage, communes[["commune_code", "name", "geometry"]], records, data_as_of(conn)


def analyse(options: dict, window: Period, vintage: str, communes, incidents, as_of):
    """Run the chosen method; return the result and the number of records left unplaced.

    ``options`` are :func:`hotspot_options`; ``incidents`` are the records of
    ``options["source"]`` (default incidents), whose count per unit is the result's column of
    that name.
    """
    import geo.hotspots as hs
    from geo.settings import WORK_CRS

    method, unit = options["method"], options["unit"]
    common = {"period": window, "vintage": vintage, "as_of": as_of}
    tests = {"inference": options["inference"], "permutations": options["permutations"],
             "seed": options["seed"],
             "alpha": options["alpha"], "fdr": options["fdr"], "unit": unit,
             "distance_band_m": options["distance_band_m"], **common}
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


def run_hotspots(engine, options: dict, *, vintage: str | None = None, province: str | None = None):
    """Read and analyse ``options["period"]``: the window, result (named communes), unplaced count.

    ``options`` are :func:`hotspot_options` with a ``period`` label (or ``START/END``).
    """
    window = parse_window(options["period"])
    with engine.connect() as conn:
        chosen, communes, records, as_of = read_inputs(conn, window, vintage, options["source"],
                                                    province=province)
    result, unplaced = analyse(options, window, chosen, communes, records, as_of)
    if "commune_code" in result:
        result.insert(1, "name", communes["name"])  # both keep the communes' index
    return window, result, unplaced


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
    """The summary: counts per class, the parameters, the source, what was written."""
    from geo.hotspots import summarize

    data = summarize(result)
    if "density" in result:
        data["density_max_per_km2"] = float(result["density"].max())
    return {**data, "source": source, "unplaced_records": unplaced,
            "out": None if out is None else str(out), "layer": layer}
