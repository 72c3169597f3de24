"""Hot spot layers of the map: Gi* classes (communes, grid), emerging categories, density contours.

Each is computed by the same code as ``diaban hotspots`` (:mod:`webapp.workflows.hotspots`:
``read_inputs`` then ``analyse``) with its defaults, on the incidents the filters keep. A
result is kept in memory per process, keyed by its parameters and a fingerprint of the
incidents it was computed from, so a repeated request (the time slider going back and forth)
is answered at once and a change in the data is never answered from the cache.
"""

from __future__ import annotations

import pandas as pd

from geo.hotspots import class_order, default_bandwidth, density_contours, kernel_density
from geo.periods import Period
from geo.settings import WORK_CRS
from webapp.errors import FilterError
from webapp.map_cache import cached
from webapp.map_data import MapRequest
from webapp.maps import feature_collection
from webapp.selection import slider_periods
from webapp.workflows.hotspots import analyse, hotspot_options, read_inputs

METHODS = ("gi", "emerging")
UNITS = ("commune", "grid")
#: Density contour levels, as shares of the peak of the slider's average period.
DENSITY_SHARES = (0.2, 0.4, 0.6, 0.8)


def fingerprint(incidents: pd.DataFrame) -> int:
    """A hash of the incidents an analysis reads (ids, dates, kinds, points).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely import Point
    >>> a = gpd.GeoDataFrame({"incident_id": [1], "event_date": ["2020-01-01"], "incident_kind": ["x"]},
    ...                      geometry=[Point(1, 2)])
    >>> fingerprint(a) == fingerprint(a.copy()), fingerprint(a) == fingerprint(a.assign(incident_kind="y"))
    (True, False)
    """
    columns = incidents[["incident_id", "event_date", "incident_kind"]].astype(str)
    columns["wkb"] = incidents.geometry.to_wkb(hex=True).fillna("")
    return int(pd.util.hash_pandas_object(columns, index=False).sum())


def _window(req: MapRequest, method: str) -> Period:
    """Gi*: the selected period; emerging: from the slider's first period to the selected one."""
    period = req.selection.period
    if method == "gi":
        return period
    first = slider_periods(period, req.options["first_day"], req.options["last_day"])[0]
    return Period(label=f"{first.label}/{period.label}", kind=period.kind, start=first.start,
                  end=period.end)


def _inputs(req: MapRequest, window: Period):
    """Communes, the filtered incidents of ``window`` and the data as-of, as the CLI reads them."""
    with req.engine.connect() as conn:
        vintage, communes, incidents, as_of = read_inputs(conn, window, req.vintage)
    kinds = req.filters.incident_kinds
    if kinds:
        incidents = incidents[incidents["incident_kind"].isin(kinds)]
    return vintage, communes, incidents, as_of


def hotspot_payload(req: MapRequest, *, method: str, unit: str, fdr: bool) -> dict:
    """Gi* classes or emerging categories for the selected period, as the map draws them.

    Returns
    -------
    dict
        For communes: ``classes`` (``{commune_code: class}``), ``values``; for the grid: a
        GeoJSON ``cells`` collection of the cells in a significant class only (the others are
        not significant, counted in ``counts``). Both: ``counts`` per class, ``order`` (legend
        order), ``parameters`` (every parameter of the analysis) and ``unplaced`` records.
    """
    if method not in METHODS:
        raise FilterError(f"method {method!r} is not available on the map; use one of: {', '.join(METHODS)}")
    if unit not in UNITS:
        raise FilterError(f"unit {unit!r} is not known; use one of: {', '.join(UNITS)}")
    if method == "emerging" and unit == "grid":
        raise FilterError("emerging hot spots are drawn on communes only; use unit=commune")
    window = _window(req, method)
    vintage, communes, incidents, as_of = _inputs(req, window)
    step = "month" if window.kind == "month" else "quarter"
    options = hotspot_options(method=method, unit=unit, fdr=fdr, step=step)
    key = ("hotspots", method, unit, window.label, vintage, req.selection.vintage.import_batch_id, fdr,
           req.filters.incident_kinds, fingerprint(incidents))
    result, unplaced = cached(key, lambda: analyse(options, window, vintage, communes, incidents, as_of))
    column = "category" if method == "emerging" else "hotspot_class"
    counts = result[column].value_counts()
    payload = {"method": method, "unit": unit, "window": window.label,
               "parameters": result.attrs["parameters"].to_dict(), "unplaced": int(unplaced),
               "counts": {str(k): int(v) for k, v in counts.items()},
               "order": class_order(options["alpha"]) if method == "gi" else None}
    if unit == "commune":
        payload["classes"] = dict(zip(result["commune_code"], result[column], strict=True))
        payload["values"] = {c: float(v)
                             for c, v in zip(result["commune_code"], result["value"], strict=True)}
    else:
        significant = result[~result[column].isin(["not significant", "no neighbours"])]
        payload["cells"] = feature_collection(
            significant.to_crs(4326), ["cell_id", "value", "z_score", "p_fdr" if fdr else "p_value", column])
    return payload


def density_payload(req: MapRequest) -> dict:
    """Kernel density contours of the selected period at levels fixed across the slider.

    The bandwidth is the default one for all the slider's incidents, and the levels are 20,
    40, 60 and 80 % of the peak of their average period (all incidents' density divided by
    the number of periods), so every period is drawn with the same bandwidth and levels.
    """
    periods = slider_periods(req.selection.period, req.options["first_day"], req.options["last_day"])
    span = Period(label=f"{periods[0].label}/{periods[-1].label}", kind=periods[0].kind,
                  start=periods[0].start, end=periods[-1].end)
    vintage, communes, incidents, as_of = _inputs(req, span)
    points = incidents.dropna(subset=["geometry"]).to_crs(WORK_CRS)
    extent = communes.to_crs(WORK_CRS)
    key = ("density-levels", span.label, vintage, req.filters.incident_kinds, fingerprint(incidents))

    def reference():
        bandwidth, _ = default_bandwidth(points)
        peak = float(kernel_density(points, extent, bandwidth=bandwidth)["density"].max())
        return bandwidth, [peak / len(periods) * share for share in DENSITY_SHARES]

    bandwidth, levels = cached(key, reference)
    period = req.selection.period
    days = pd.to_datetime(points["event_date"])
    mine = points[(days >= pd.Timestamp(period.start)) & (days < pd.Timestamp(period.end))]
    surface = cached((*key, period.label), lambda: density_contours(
        kernel_density(mine, extent, bandwidth=bandwidth, period=period, vintage=vintage, as_of=as_of),
        levels=levels))
    surface = surface[~surface.geometry.is_empty]
    return {"contours": feature_collection(surface.to_crs(4326), ["level"]),
            "levels": [float(v) for v in levels], "points": len(mine),
            "parameters": {**surface.attrs["parameters"].to_dict(), "levels_rule":
                           "20/40/60/80 % of the peak density of the slider's average period"}}
