"""The map page's shell (folium, vendored assets), its geometry, and the count classes.

Folium renders the Leaflet map itself with only Leaflet and Bootstrap's stylesheet (no
jQuery, Bootstrap script or icon fonts: the map page does not use them, and the first page
must stay light); the page's own script (``static/app/map.js``) adds every layer from the
geometry embedded once in the page and the attributes the API sends per period.
"""

from __future__ import annotations

import json
from datetime import date
from typing import ClassVar

import folium
import geopandas as gpd
import numpy as np
import shapely

from webapp.workflows.jsonable import json_ready

#: ColorBrewer YlOrRd, 5 classes: sequential and colour-blind safe.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
ZERO_COLOUR = "#f0f0f0"
#: Coordinates are sent with 5 decimals (about 1 m), as the display geometry is stored.
PRECISION = 5


def count_breaks(values, k: int = 5) -> list[int]:
    """Upper bounds of up to ``k`` classes for the non-zero counts (quantiles, whole numbers).

    Zero is a class of its own on the map, so it is left out here.

    Examples
    --------
    >>> count_breaks([0, 0, 1, 1, 2, 3, 5, 8, 13, 40])
    [1, 3, 5, 13, 40]
    >>> count_breaks([0, 0])
    []
    """
    nonzero = np.asarray([v for v in values if v > 0], dtype=float)
    if not len(nonzero):
        return []
    qs = np.quantile(nonzero, np.linspace(0, 1, k + 1)[1:], method="inverted_cdf")
    return sorted({int(np.ceil(q)) for q in qs})


def colour_for(value: int, breaks: list[int]) -> str:
    """The fill colour of a count under ``breaks`` (``static/app/map.js`` applies the same rule).

    Examples
    --------
    >>> colour_for(0, [1, 5]), colour_for(3, [1, 5]) == PALETTE[-1]
    ('#f0f0f0', True)
    """
    if value <= 0:
        return ZERO_COLOUR
    index = int(np.searchsorted(breaks, value))
    return PALETTE[len(PALETTE) - len(breaks) + min(index, len(breaks) - 1)]


def feature_collection(frame: gpd.GeoDataFrame, properties: list[str]) -> dict:
    """A GeoJSON FeatureCollection of ``frame`` (EPSG:4326) with only ``properties``.

    Coordinates are rounded to :data:`PRECISION` decimals; missing values become null.

    Examples
    --------
    >>> from shapely import Point
    >>> f = gpd.GeoDataFrame({"a": [1.0, np.nan]}, geometry=[Point(106.123456789, 10.5), None], crs=4326)
    >>> fc = feature_collection(f, ["a"])
    >>> fc["features"][0]["geometry"]["coordinates"], fc["features"][1]["properties"]
    ((106.12346, 10.5), {'a': None})
    """
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        raise ValueError(f"feature_collection needs EPSG:4326, got {frame.crs}; call to_crs(4326) first")
    geoms = shapely.transform(frame.geometry.values, lambda xy: np.round(xy, PRECISION))
    rows = frame[properties].astype(object).where(frame[properties].notna(), None)
    features = [
        {"type": "Feature", "geometry": None if geom is None else shapely.geometry.mapping(geom),
         "properties": {k: _plain(v) for k, v in zip(properties, values, strict=True)}}
        for geom, values in zip(geoms, rows.itertuples(index=False, name=None), strict=True)
    ]
    return {"type": "FeatureCollection", "features": features}


def _plain(value):
    """A JSON-ready scalar (``webapp.workflows.jsonable.json_ready``), dates as ISO strings."""
    value = json_ready(value)
    return value.isoformat() if isinstance(value, date) else value


def script_json(value) -> str:
    r"""JSON for a ``<script type="application/json">`` block: compact, ``<``, ``>`` and ``&`` escaped.

    Examples
    --------
    >>> script_json({"a": "</script>&", "b": [1, 2]})
    '{"a":"\\u003c/script\\u003e\\u0026","b":[1,2]}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


class _ShellMap(folium.Map):
    """A folium map that links Leaflet and Bootstrap's stylesheet only."""

    default_js: ClassVar = [folium.Map.default_js[0]]
    default_css: ClassVar = [folium.Map.default_css[0], folium.Map.default_css[1]]


def map_shell(bounds) -> dict[str, str]:
    """Render an empty folium map centred on ``bounds`` (minx, miny, maxx, maxy in degrees).

    Not fitted here: folium's ``fit_bounds`` animates the zoom from ``zoom_start``, and Leaflet
    drops any zoom asked for while an animation runs, so the page script's own fit to the
    communes (and a planner's first zoom) would be lost. The page script fits the view, not
    animated, as soon as it has drawn the communes; ``zoom_start`` is only the view before.

    Returns
    -------
    dict
        ``header`` (asset links and the map's style), ``html`` (the map's element),
        ``script`` (the code creating the map) and ``name`` (the global variable holding the
        Leaflet map, for the page's script). No tile layer: the page's script adds the
        basemap when the administrator configured one.
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    fmap = _ShellMap(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None, zoom_start=9,
                     control_scale=True, prefer_canvas=False)
    root = fmap.get_root()
    for child in list(root._children.values()):
        child.render()
    return {"header": root.header.render(), "html": root.html.render(), "script": root.script.render(),
            "name": fmap.get_name()}
