"""Kernel density of incident points in metres, as grid cells a map can draw.

A density surface shows where incidents are dense; it is not a test, so it is labelled
"density", never "hot spot" (docs/methods.md §3). Density is in points per km², evaluated at
cell centres; it integrates to the number of points (less what falls outside the grid).

Kernels (``d`` = distance from a point):

- ``"quartic"`` (ArcGIS Kernel Density, Silverman 1986 eq. 4.5): ``3 / (π r²) · (1 − d²/r²)²``
  within the search radius ``r``. Default ``r`` — ArcGIS's rule:
  ``0.9 · min(SD, √(1/ln 2) · Dm) · n^(−0.2)``, with SD the standard distance of the points
  and Dm their median distance to the mean centre.
- ``"gaussian"``: ``exp(−d² / 2h²) / (2π h²)``, cut at 4h. Default ``h`` — Silverman's rule
  of thumb for two dimensions: ``σ · n^(−1/6)``, σ the root mean of the two coordinate
  variances.

The default cell size is ArcGIS's: the shorter side of the extent divided by 250, rounded up
to a multiple of 10 m.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import shapely

from geo.errors import HotspotError, check_choice
from geo.hotspots.grid import CellShape, cell_centres, check_work_crs, make_grid
from geo.hotspots.options import HotspotParameters, attach, provenance

Kernel = Literal["quartic", "gaussian"]
_GAUSS_CUT = 4.0


def _coordinates(points: gpd.GeoSeries | gpd.GeoDataFrame) -> np.ndarray:
    geoms = points.geometry.values
    geoms = geoms[~(shapely.is_missing(geoms) | shapely.is_empty(geoms))]
    if not (shapely.get_type_id(geoms) == 0).all():
        raise HotspotError("kernel density needs point geometries")
    return shapely.get_coordinates(geoms)


def default_bandwidth(points: gpd.GeoSeries | gpd.GeoDataFrame, *,
                      kernel: Kernel = "quartic") -> tuple[float, str]:
    """The default bandwidth in metres for ``kernel`` (module docstring), and the rule used.

    Examples
    --------
    >>> from shapely import Point
    >>> pts = gpd.GeoSeries([Point(x, y) for x in range(0, 1000, 100) for y in range(0, 1000, 100)],
    ...                     crs="EPSG:32648")
    >>> round(default_bandwidth(pts)[0], 1), round(default_bandwidth(pts, kernel="gaussian")[0], 1)
    (145.5, 133.3)
    """
    check_choice("kernel", kernel, Kernel, error=HotspotError)
    check_work_crs(points, "points")
    xy = _coordinates(points)
    n = len(xy)
    if n < 2:
        raise HotspotError(f"{n} points cannot set a bandwidth; pass bandwidth= in metres")
    if kernel == "gaussian":
        sigma = float(np.sqrt(xy.var(axis=0).mean()))
        return sigma * n ** (-1 / 6), "Silverman's rule of thumb, 2-D: sigma * n^(-1/6)"
    distance = np.hypot(*(xy - xy.mean(axis=0)).T)
    standard = float(np.sqrt((distance ** 2).mean()))
    radius = 0.9 * min(standard, np.sqrt(1 / np.log(2)) * float(np.median(distance))) * n ** -0.2
    return radius, "ArcGIS Kernel Density default: 0.9 * min(SD, sqrt(1/ln 2) * Dm) * n^(-0.2)"


def _kernel_sum(centres: np.ndarray, xy: np.ndarray, kernel: Kernel, bandwidth: float) -> np.ndarray:
    """Sum over points of the kernel at each centre (points per m²)."""
    from scipy.spatial import cKDTree

    reach = bandwidth if kernel == "quartic" else _GAUSS_CUT * bandwidth
    pairs = cKDTree(centres).sparse_distance_matrix(cKDTree(xy), reach, output_type="ndarray")
    d = pairs["v"]
    if kernel == "quartic":
        k = 3.0 / (np.pi * bandwidth ** 2) * (1.0 - (d / bandwidth) ** 2) ** 2
    else:
        k = np.exp(-(d ** 2) / (2 * bandwidth ** 2)) / (2 * np.pi * bandwidth ** 2)
    return np.bincount(pairs["i"], weights=k, minlength=len(centres))


def kernel_density(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    extent: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    cell_size: float | None = None,
    bandwidth: float | None = None,
    kernel: Kernel = "quartic",
    shape: CellShape = "square",
    period=None,
    vintage: str | None = None,
    as_of=None,
) -> gpd.GeoDataFrame:
    """Kernel density of ``points`` on grid cells covering ``extent``.

    Parameters
    ----------
    points : GeoSeries or GeoDataFrame
        Incident points in ``WORK_CRS``; missing or empty geometries are skipped.
    extent : GeoSeries or GeoDataFrame
        The study area in ``WORK_CRS`` (e.g. the communes): every cell that overlaps it is
        kept, clipped to it; the density is that at the centre of the whole cell.
    cell_size, bandwidth : float, optional
        Metres; defaults as in the module docstring.
    kernel : {"quartic", "gaussian"}, default "quartic"
    shape : {"square", "hex"}, default "square"
    period, vintage, as_of
        Recorded in the parameters only.

    Returns
    -------
    GeoDataFrame
        ``cell_id``, ``density`` (points per km²) and the cell polygons in ``WORK_CRS``;
        ``attrs["parameters"]``.

    Examples
    --------
    >>> from shapely import Point, box
    >>> area = gpd.GeoSeries([box(0, 0, 10_000, 10_000)], crs="EPSG:32648")
    >>> pts = gpd.GeoSeries([Point(5_000, 5_000)] * 10, crs="EPSG:32648")
    >>> surface = kernel_density(pts, area, cell_size=100, bandwidth=1_000)
    >>> round(float((surface["density"] * 0.01).sum()), 2)  # cells of 0.01 km²
    10.0
    """
    check_choice("kernel", kernel, Kernel, error=HotspotError)
    check_work_crs(points, "points")
    xy = _coordinates(points)
    if bandwidth is None:
        bandwidth, rule = default_bandwidth(points, kernel=kernel)
    elif not np.isfinite(bandwidth) or bandwidth <= 0:
        raise HotspotError(f"bandwidth={bandwidth} must be a positive number of metres")
    else:
        rule = "given"
    if cell_size is None:
        x0, y0, x1, y1 = extent.total_bounds
        cell_size = float(np.ceil(min(x1 - x0, y1 - y0) / 250 / 10) * 10)
    cells = make_grid(extent, cell_size=cell_size, shape=shape, min_inside=0.0)
    centres = cell_centres(cells.geometry.values, float(cell_size), shape)
    density = _kernel_sum(centres, xy, kernel, float(bandwidth)) * 1e6 if len(xy) else np.zeros(len(cells))
    result = cells.assign(density=density)[["cell_id", "density", "geometry"]]
    parameters = HotspotParameters(
        method="kernel_density", unit="grid", value="points per km²", cell_size_m=float(cell_size),
        cell_shape=shape, kernel=kernel, bandwidth_m=float(bandwidth), bandwidth_rule=rule,
        alpha=None, fdr=None, n_units=len(result), **provenance(period=period, vintage=vintage, as_of=as_of))
    return attach(result, parameters)


def density_contours(surface: gpd.GeoDataFrame, *, levels=None) -> gpd.GeoDataFrame:
    """Areas where the density reaches each level: the union of the cells at or above it.

    Parameters
    ----------
    surface : GeoDataFrame
        The output of `kernel_density`.
    levels : sequence of float, optional
        Densities (points per km²); by default 20, 40, 60 and 80 % of the maximum.

    Returns
    -------
    GeoDataFrame
        ``level`` and the (multi)polygon per level, lowest first; the surface's parameters.

    Examples
    --------
    >>> from shapely import box
    >>> cells = gpd.GeoDataFrame({"density": [1.0, 5.0, 9.0]},
    ...     geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)], crs="EPSG:32648")
    >>> density_contours(cells, levels=[4, 8]).area.tolist()
    [2.0, 1.0]
    """
    peak = float(surface["density"].max()) if len(surface) else 0.0
    chosen = sorted(levels) if levels is not None else [peak * f for f in (0.2, 0.4, 0.6, 0.8)]
    geoms = [shapely.union_all(surface.geometry.values[surface["density"].to_numpy() >= level])
             for level in chosen]
    result = gpd.GeoDataFrame({"level": np.asarray(chosen, dtype=float)}, geometry=geoms,
                              crs=surface.crs)
    if "parameters" in surface.attrs:
        attach(result, surface.attrs["parameters"])
    return result
