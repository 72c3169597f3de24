"""Square and hexagonal grids in metres (``WORK_CRS``) over a study area.

Cells are aligned on multiples of the cell size, so two grids of one size over different
extents share their cells, and ``cell_id`` names a cell by its size and position in the
manner of the INSPIRE/EEA reference grids: ``1000mE691000N1170000`` is the 1 km square whose
south-west corner is at E 691000, N 1170000; hexagons are named by their centre,
``hex1000mE691500N1170866``. A hexagon's cell size is the distance between opposite sides,
which is also the distance between neighbouring centres (ArcGIS's convention).
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import shapely

from geo.errors import CRSMismatchError, HotspotError
from geo.hotspots.options import check_choice
from geo.settings import WORK_CRS

CellShape = Literal["square", "hex"]
#: The most cells a grid may have; a finer grid needs an explicit, larger cell_size.
MAX_CELLS = 200_000


def check_work_crs(frame: gpd.GeoSeries | gpd.GeoDataFrame, what: str) -> None:
    """Raise `CRSMismatchError` unless ``frame`` is in ``WORK_CRS`` (metres).

    Examples
    --------
    >>> check_work_crs(gpd.GeoSeries([], crs=4326), "points")
    Traceback (most recent call last):
    ...
    geo.errors.CRSMismatchError: points are in EPSG:4326, not EPSG:32648 (metres); \
reproject them with .to_crs(geo.settings.WORK_CRS)
    """
    if frame.crs is None or not frame.crs.equals(WORK_CRS):
        name = frame.crs.to_string() if frame.crs is not None else "no CRS"
        raise CRSMismatchError(f"{what} are in {name}, not {WORK_CRS} (metres); "
                               "reproject them with .to_crs(geo.settings.WORK_CRS)")


def default_cell_size(points: gpd.GeoSeries | gpd.GeoDataFrame) -> float:
    """The grid cell size Optimized Hot Spot Analysis would choose for incident points.

    Rule (after ArcGIS OHSA, whose script scales nearest-neighbour distances by 2): take
    each distinct location's distance to its nearest other location, drop locational
    outliers (more than three standard deviations above the mean of those distances), and
    double the mean of the rest; round up to a multiple of 10 m.

    Parameters
    ----------
    points : GeoSeries or GeoDataFrame
        Incident points in ``WORK_CRS``; empty geometries are ignored.

    Returns
    -------
    float
        Metres.

    Examples
    --------
    >>> from shapely import Point
    >>> pts = gpd.GeoSeries([Point(x * 300, 0) for x in range(20)], crs=WORK_CRS)
    >>> default_cell_size(pts)
    600.0
    """
    check_work_crs(points, "points")
    geoms = points.geometry if isinstance(points, gpd.GeoDataFrame) else points
    geoms = geoms[geoms.notna() & ~geoms.is_empty]
    xy = np.unique(shapely.get_coordinates(geoms.values), axis=0)
    if len(xy) < 2:
        raise HotspotError(f"{len(xy)} distinct point locations cannot set a cell size; "
                           "pass cell_size= in metres")
    from scipy.spatial import cKDTree

    nearest = cKDTree(xy).query(xy, k=2)[0][:, 1]
    kept = nearest[nearest <= nearest.mean() + 3 * nearest.std()]
    return float(np.ceil(2.0 * kept.mean() / 10.0) * 10.0)


def make_grid(
    extent_geoms: gpd.GeoSeries | gpd.GeoDataFrame,
    *,
    cell_size: float | None = None,
    points: gpd.GeoSeries | gpd.GeoDataFrame | None = None,
    shape: CellShape = "square",
) -> gpd.GeoDataFrame:
    """Cells covering a study area: every cell that intersects one of ``extent_geoms``.

    Parameters
    ----------
    extent_geoms : GeoSeries or GeoDataFrame
        The study area (e.g. the communes of a vintage), in ``WORK_CRS``.
    cell_size : float, optional
        Metres. By default `default_cell_size` of ``points`` (or of ``extent_geoms`` when
        they are points themselves): the OHSA nearest-neighbour rule.
    points : GeoSeries or GeoDataFrame, optional
        The incidents that set the default cell size.
    shape : {"square", "hex"}, default "square"

    Returns
    -------
    GeoDataFrame
        ``cell_id`` and the cell polygons, in ``WORK_CRS``, ordered south to north then
        west to east; ``attrs["cell_size"]`` and ``attrs["cell_shape"]`` record the choice.

    Examples
    --------
    >>> from shapely import box
    >>> area = gpd.GeoSeries([box(0, 0, 2500, 1500)], crs=WORK_CRS)
    >>> cells = make_grid(area, cell_size=1000)
    >>> len(cells), cells["cell_id"].iloc[0]
    (6, '1000mE0N0')
    >>> hexes = make_grid(area, cell_size=1000, shape="hex")
    >>> len(hexes), round(hexes.area.iloc[0])  # (√3/2)·1000² m²
    (12, 866025)
    """
    check_choice("shape", shape, CellShape)
    check_work_crs(extent_geoms, "extent_geoms")
    size = _cell_size(extent_geoms, cell_size, points)
    area = shapely.union_all(extent_geoms.geometry.values)
    centres, polygons = (_squares if shape == "square" else _hexagons)(area.bounds, size)
    shapely.prepare(area)
    keep = shapely.intersects(area, polygons)
    cells = gpd.GeoDataFrame({"cell_id": _names(centres[keep], size, shape)},
                             geometry=polygons[keep], crs=WORK_CRS)
    cells.attrs.update(cell_size=size, cell_shape=shape)
    return cells


def _cell_size(extent_geoms, cell_size, points) -> float:
    """The given cell size (checked) or the OHSA default from the points."""
    if cell_size is None:
        source = points if points is not None else extent_geoms
        if not (source.geometry.geom_type.dropna() == "Point").all():
            raise HotspotError("make_grid needs cell_size= (metres) or the incident points= "
                               "to choose a default cell size from")
        return default_cell_size(source)
    if not np.isfinite(cell_size) or cell_size < 1:
        raise HotspotError(f"cell_size={cell_size} must be a number of metres >= 1")
    return float(cell_size)


def _check_count(n: int, size: float) -> None:
    if n > MAX_CELLS:
        raise HotspotError(f"a {size:g} m grid over this area has {n} cells, more than "
                           f"{MAX_CELLS}; choose a larger cell_size")


def _squares(bounds, size: float) -> tuple[np.ndarray, np.ndarray]:
    """Lower-left corners and polygons of the aligned squares over ``bounds``."""
    x0, y0 = np.floor(np.asarray(bounds[:2]) / size) * size
    cols = max(int(np.ceil((bounds[2] - x0) / size)), 1)
    rows = max(int(np.ceil((bounds[3] - y0) / size)), 1)
    _check_count(rows * cols, size)
    yy, xx = np.mgrid[0:rows, 0:cols]
    x, y = x0 + xx.ravel() * size, y0 + yy.ravel() * size
    return np.c_[x, y], shapely.box(x, y, x + size, y + size)


def _hexagons(bounds, size: float) -> tuple[np.ndarray, np.ndarray]:
    """Centres and polygons of flat-topped hexagons (``size`` between opposite sides)."""
    side = size / np.sqrt(3.0)
    dx, dy = 1.5 * side, size
    c0 = np.floor((bounds[0] - side) / dx)
    r0 = np.floor((bounds[1] - dy) / dy)
    cols = int(np.ceil((bounds[2] + side) / dx) - c0) + 1
    rows = int(np.ceil((bounds[3] + dy) / dy) - r0) + 1
    _check_count(rows * cols, size)
    rr, cc = np.mgrid[0:rows, 0:cols]
    col, row = (c0 + cc).ravel(), (r0 + rr).ravel()
    x = col * dx
    y = row * dy + np.where(col % 2 == 1, dy / 2.0, 0.0)
    # Vertex offsets written out (not via cos/sin) so that neighbours share exact vertices.
    ox = np.array([side, side / 2, -side / 2, -side, -side / 2, side / 2])
    oy = np.array([0.0, dy / 2, dy / 2, 0.0, -dy / 2, -dy / 2])
    ring = np.stack([x[:, None] + ox, y[:, None] + oy], axis=-1)
    order = np.lexsort((x, y))
    return np.c_[x, y][order], shapely.polygons(ring[order])


def _names(xy: np.ndarray, size: float, shape: CellShape) -> list[str]:
    """INSPIRE-style names: size, then easting/northing of the corner (hex: the centre)."""
    prefix = "hex" if shape == "hex" else ""
    return [f"{prefix}{size:.0f}mE{x:.0f}N{y:.0f}" for x, y in np.round(xy) + 0.0]
