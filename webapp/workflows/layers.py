"""Export-ready layers: the store's records read, placed and joined, one GeoDataFrame per layer, EPSG:4326.

Each function returns only the columns an export may carry (never a site's descriptor,
never a person count; establishment names only when the caller allows them). Layers dated
by a period keep the records with ``period.start <= date < period.end``. Point layers get a
``commune_code`` of the vintage asked for by ``geo.join.place_records``: the commune covering
the point, or for a record without one its own reference when it belongs to that vintage.

When several provinces share the database, a point layer holds only the records of the
vintage's province: placed in one of its communes, or with a point inside one of the
province's outlines (any of its vintages). A record of another province never reaches an export.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd

from geo.join import place_records
from geo.periods import Period
from geo.settings import STORAGE_CRS
from geo.store.classification import newest_snapshot, read_snapshot
from geo.store.counts import communes_with_counts
from geo.store.engine import connection
from geo.store.province import loaded_province_codes, province_outline
from geo.store.recognition import read_decisions
from geo.store.records import read_establishments, read_incidents, read_inspections, read_sites
from geo.store.units import read_units, vintage_province

#: The layer names every exporter knows, in a stable order.
LAYER_NAMES = ("communes", "districts", "sites", "establishments", "incidents", "inspections")
#: Layers that need a period.
PERIOD_LAYERS = ("communes", "incidents", "inspections")


def _points(frame: gpd.GeoDataFrame, columns: list[str], communes, vintage: str) -> gpd.GeoDataFrame:
    """``frame`` reduced to ``columns`` plus ``commune_code`` and geometry (EPSG:4326)."""
    out = frame[columns].copy()
    out["commune_code"] = place_records(frame, communes, vintage=vintage)
    return gpd.GeoDataFrame(out, geometry=frame.geometry, crs=STORAGE_CRS)


def communes_layer(conn, *, period: Period, vintage: str) -> gpd.GeoDataFrame:
    """The communes of ``vintage`` with their counts over ``period`` and classification status.

    Columns: ``commune_code, name, unit_type, district_code, district_name, incidents,
    inspections, status, score, snapshot_id, classified, recognised, decision_no, decision_date,
    geometry`` (EPSG:4326).
    ``status`` and ``score`` (the computed proposal, đề xuất) come from the newest snapshot of
    that period and vintage; without one they are empty and ``classified`` is ``"no snapshot"``.
    ``recognised``, ``decision_no`` and ``decision_date`` are the committee's current recognition
    decision (công nhận) for the period's year, empty where none was recorded.
    """
    with connection(conn) as c:
        frame, _ = communes_with_counts(c, vintage, period=period, display=False)
        snapshot = newest_snapshot(c, period=period.label, vintage=vintage, convention=period.convention)
        snapshot_id = snapshot.id if snapshot else None
        results = read_snapshot(c, snapshot_id)[1] if snapshot_id is not None else None
        decisions = read_decisions(c, year=int(period.label[:4]), vintage=vintage)
    frame = _with_status(frame.copy(), results, snapshot_id)
    frame = _with_decisions(frame, decisions)
    return frame.set_geometry("geometry")[[*frame.columns.drop("geometry"), "geometry"]]


def _with_status(frame: gpd.GeoDataFrame, results: pd.DataFrame | None, snapshot_id: int | None):
    """``frame`` with the snapshot's ``status, score, snapshot_id, classified`` (empty without one)."""
    if results is None:
        frame["status"] = pd.Series(pd.NA, index=frame.index, dtype="string")
        frame["score"] = pd.Series(float("nan"), index=frame.index, dtype="float64")
        frame["snapshot_id"] = pd.Series(pd.NA, index=frame.index, dtype="Int64")
        frame["classified"] = "no snapshot"
    else:
        by_code = results.set_index("commune_code")
        frame["status"] = frame["commune_code"].map(by_code["status"]).astype("string")
        frame["score"] = frame["commune_code"].map(by_code["score"]).astype("float64")
        frame["snapshot_id"] = pd.Series(snapshot_id, index=frame.index, dtype="Int64")
        frame["classified"] = "snapshot"
    return frame


def _with_decisions(frame: gpd.GeoDataFrame, decisions: pd.DataFrame) -> gpd.GeoDataFrame:
    """``frame`` with each commune's current decision: ``recognised, decision_no, decision_date``."""
    by_code = decisions.set_index("commune_code")
    codes = frame["commune_code"]
    frame["recognised"] = codes.map(by_code["recognised"]).astype("boolean")
    frame["decision_no"] = codes.map(by_code["decision_number"]).astype("string")
    frame["decision_date"] = codes.map(by_code["decision_date"]).astype(object)
    return frame


def districts_layer(conn, *, vintage: str) -> gpd.GeoDataFrame:
    """The districts of ``vintage``: ``district_code, name, unit_type, area_km2, geometry`` (EPSG:4326)."""
    frame = read_units(conn, vintage, level="district")
    return frame[["district_code", "name", "unit_type", "area_km2", "geometry"]]


def sites_layer(conn, *, vintage: str) -> gpd.GeoDataFrame:
    """Every site: ``site_id, site_kind, commune_code, geometry`` (never the descriptor)."""
    with connection(conn) as c:
        sites, _ = read_sites(c)
        communes = read_units(c, vintage)
    return _points(sites, ["site_id", "site_kind"], communes, vintage)


def establishments_layer(conn, *, vintage: str,
                         names: bool = False) -> gpd.GeoDataFrame:
    """Every establishment, with its name only when ``names=True`` (analyst and above).

    Columns: ``establishment_id, establishment_type, [name,] commitment_signed, status,
    commune_code, geometry`` (EPSG:4326).
    """
    with connection(conn) as c:
        frame = read_establishments(c)
        communes = read_units(c, vintage)
    columns = ["establishment_id", "establishment_type", *(["name"] if names else []),
               "commitment_signed", "status"]
    return _points(frame, columns, communes, vintage)


def incidents_layer(conn, *, period: Period, vintage: str) -> gpd.GeoDataFrame:
    """Incidents dated in ``[period.start, period.end)``, without any person count.

    Columns: ``incident_id, event_date, incident_kind, case_type, outcome, commune_code,
    geometry`` (EPSG:4326; None for records with only a unit reference).
    """
    with connection(conn) as c:
        frame = read_incidents(c, start=period.start, end=period.end)
        communes = read_units(c, vintage)
    columns = ["incident_id", "event_date", "incident_kind", "case_type", "outcome"]
    return _points(frame, columns, communes, vintage)


def inspections_layer(conn, *, period: Period, vintage: str) -> gpd.GeoDataFrame:
    """Inspections dated in ``[period.start, period.end)``, at their establishment's point.

    Columns: ``inspection_id, inspection_date, establishment_type, outcome, fine_vnd,
    commune_code, geometry`` (EPSG:4326).
    """
    with connection(conn) as c:
        frame = read_inspections(c, start=period.start, end=period.end)
        communes = read_units(c, vintage)
    columns = ["inspection_id", "inspection_date", "establishment_type", "outcome", "fine_vnd"]
    return _points(frame, columns, communes, vintage)


def read_layers(conn, names, *, period: Period | None, vintage: str,
                with_names: bool = False) -> dict[str, gpd.GeoDataFrame]:
    """Read the layers ``names`` (from ``LAYER_NAMES``) for one period and vintage.

    Raises
    ------
    ValueError
        For an unknown layer name, or a dated layer without a period.
    """
    unknown = [n for n in names if n not in LAYER_NAMES]
    if unknown:
        raise ValueError(f"unknown layer(s) {unknown}; choose from {', '.join(LAYER_NAMES)}")
    dated = [n for n in names if n in PERIOD_LAYERS]
    if dated and period is None:
        raise ValueError(f"layer(s) {', '.join(dated)} need a period, e.g. --period 2018")
    readers = {
        "communes": lambda c: communes_layer(c, period=period, vintage=vintage),
        "districts": lambda c: districts_layer(c, vintage=vintage),
        "sites": lambda c: sites_layer(c, vintage=vintage),
        "establishments": lambda c: establishments_layer(c, vintage=vintage, names=with_names),
        "incidents": lambda c: incidents_layer(c, period=period, vintage=vintage),
        "inspections": lambda c: inspections_layer(c, period=period, vintage=vintage),
    }
    with connection(conn) as c:
        layers = {name: readers[name](c) for name in names}
        if len(loaded_province_codes(c)) > 1:
            outline = province_outline(c, vintage_province(vintage))
            layers = {name: _within(frame, outline) if name in POINT_LAYERS else frame
                      for name, frame in layers.items()}
    return layers


#: The layers of records (one row per site, establishment, incident or inspection).
POINT_LAYERS = ("sites", "establishments", "incidents", "inspections")


def _within(frame: gpd.GeoDataFrame, outline) -> gpd.GeoDataFrame:
    """The rows of ``frame`` placed in a commune or with a point inside ``outline``."""
    inside = frame.geometry.notna() & frame.geometry.intersects(outline)
    return frame[frame["commune_code"].notna() | inside]
