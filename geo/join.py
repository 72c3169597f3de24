"""Assign points to administrative units: the one code path for ETL, analysis and web.

The rule, everywhere: a point belongs to the unit that covers it (its boundary included);
a point on an edge shared by several units goes to the unit with the lowest code, so the
answer is deterministic; a point outside every unit gets no unit. The PostGIS counting
query in ``geo.store.counts`` applies the same rule, and a test holds the two together.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import CRSMismatchError


def check_same_crs(left: gpd.GeoSeries | gpd.GeoDataFrame, right: gpd.GeoSeries | gpd.GeoDataFrame):
    """Raise when two geometry inputs do not share one CRS (GeoPandas would only warn).

    Examples
    --------
    >>> a = gpd.GeoSeries([], crs=4326)
    >>> check_same_crs(a, gpd.GeoSeries([], crs=32648))
    Traceback (most recent call last):
    ...
    geo.errors.CRSMismatchError: inputs have different CRS: EPSG:4326 and EPSG:32648; \
reproject one with .to_crs() first
    """
    if left.crs is None or right.crs is None or not left.crs.equals(right.crs):
        def name(crs):
            return crs.to_string() if crs is not None else "none"
        raise CRSMismatchError(
            f"inputs have different CRS: {name(left.crs)} and {name(right.crs)}; "
            "reproject one with .to_crs() first"
        )


def assign_units(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    units: gpd.GeoDataFrame,
    *,
    code_column: str = "unit_code",
) -> pd.DataFrame:
    """Assign each point to the unit covering it.

    Parameters
    ----------
    points : GeoSeries or GeoDataFrame
        Point geometries; missing or empty geometries get no unit.
    units : GeoDataFrame
        Polygons of one vintage, in the same CRS as ``points``.
    code_column : str, default "unit_code"
        The column of ``units`` holding the unit code.

    Returns
    -------
    DataFrame
        Indexed like ``points``, with one column ``unit_code`` (``<NA>`` outside every unit).

    Examples
    --------
    >>> from shapely import box, Point
    >>> units = gpd.GeoDataFrame({"unit_code": ["B", "A"]},
    ...                          geometry=[box(1, 0, 2, 1), box(0, 0, 1, 1)], crs=4326)
    >>> pts = gpd.GeoSeries([Point(0.5, 0.5), Point(1, 0.5), Point(5, 5)], crs=4326)
    >>> assign_units(pts, units)["unit_code"].tolist()
    ['A', 'A', <NA>]
    """
    check_same_crs(points, units)
    geoms = points.geometry.values if isinstance(points, gpd.GeoDataFrame) else points.values
    codes = units[code_column].astype("string").to_numpy()
    tree = shapely.STRtree(units.geometry.values)
    point_idx, unit_idx = tree.query(np.asarray(geoms), predicate="covered_by")
    result = pd.array([pd.NA] * len(points), dtype="string")
    if len(point_idx):
        order = np.lexsort((codes[unit_idx].astype(str), point_idx))
        first = np.unique(point_idx[order], return_index=True)[1]
        result[point_idx[order][first]] = codes[unit_idx[order][first]]
    return pd.DataFrame({"unit_code": result}, index=points.index)
