"""Square and hexagonal grids in metres (``WORK_CRS``) over a study area.

Cells are aligned on multiples of the cell size, so two grids of one size over different
extents share their cells, and ``cell_id`` names a cell by its size and position in the
manner of the INSPIRE/EEA reference grids: ``1000mE691000N1170000`` is the 1 km square whose
south-west corner is at E 691000, N 1170000; hexagons are named by their centre,
``hex1000mE691500N1170866``. A hexagon's cell size is the distance between opposite sides,
which is also the distance between neighbouring centres (ArcGIS's convention).

Cells only partly inside the study area are clipped to it, and a cell with less than
``min_inside`` (default half) of its area inside is dropped, so the grid does not analyse
land outside the area as if it had no incidents (ArcGIS's Optimized Hot Spot Analysis keeps
only the fishnet cells within its bounding polygon). Records in a dropped cell are counted as
unplaced. Neighbourhoods keep using the centre of the whole cell (`cell_centres`), so the
lattice stays regular along the boundary.
"""

from __future__ import annotations

from typing import Literal

import geopandas as gpd
import numpy as np
import shapely

from geo.errors import CRSMismatchError, HotspotError, check_choice
from geo.settings import WORK_CRS

CellShape = Literal["square", "hex"]
#: The most cells a grid may have; a finer grid needs an explicit, larger cell_size.
MAX_CELLS = 200_000
#: The share of a cell's area that must lie inside the study area for the cell to be kept.
DEFAULT_MIN_INSIDE = 0.5


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
    min_inside: float = DEFAULT_MIN_INSIDE,
) -> gpd.GeoDataFrame:
    """Cells covering a study area, clipped to it; cells mostly outside it are dropped.

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
    min_inside : float, default 0.5
        The share of a cell's area that must lie inside the study area; cells with less are
        dropped (0 keeps every cell that overlaps the area). Kept cells are clipped to the area.

    Returns
    -------
    GeoDataFrame
        ``cell_id``, ``inside_share`` (the share of the whole cell inside the area) and the
        cell polygons clipped to the area, in ``WORK_CRS``, ordered south to north then west
        to east; ``attrs`` record ``cell_size``, ``cell_shape`` and ``min_inside``.

    Examples
    --------
    >>> from shapely import box
    >>> area = gpd.GeoSeries([box(0, 0, 2500, 1500)], crs=WORK_CRS)
    >>> cells = make_grid(area, cell_size=1000)  # the corner cell, a quarter inside, is dropped
    >>> len(cells), cells["cell_id"].iloc[0]
    (5, '1000mE0N0')
    >>> make_grid(area, cell_size=1000, min_inside=0)["inside_share"].tolist()
    [1.0, 1.0, 0.5, 0.5, 0.5, 0.25]
    >>> hexes = make_grid(area, cell_size=1000, shape="hex", min_inside=0.99)
    >>> len(hexes), round(hexes.area.iloc[0])  # (√3/2)·1000² m²
    (2, 866025)
    """
    check_choice("shape", shape, CellShape, error=HotspotError)
    check_work_crs(extent_geoms, "extent_geoms")
    size = _cell_size(extent_geoms, cell_size, points)
    if not 0 <= min_inside <= 1:
        raise HotspotError(f"min_inside={min_inside} must be a share between 0 and 1 (0.5 is the default)")
    area = shapely.union_all(extent_geoms.geometry.values)
    centres, polygons = (_squares if shape == "square" else _hexagons)(area.bounds, size)
    shapely.prepare(area)
    touching = shapely.intersects(area, polygons)
    clipped = _clip(polygons[touching], area, extent_geoms.geometry.values)
    share = shapely.area(clipped) / shapely.area(polygons[touching])
    keep = (share > 0) & (share >= min_inside - 1e-9)
    cells = gpd.GeoDataFrame({"cell_id": _names(centres[touching][keep], size, shape),
                              "inside_share": share[keep]},
                             geometry=_polygonal(clipped[keep]), crs=WORK_CRS)
    cells.attrs.update(cell_size=size, cell_shape=shape, min_inside=float(min_inside))
    return cells


def _clip(cells: np.ndarray, area, parts: np.ndarray) -> np.ndarray:
    """``cells ∩ area``, where ``area`` (prepared) is the union of the polygons ``parts``.

    A cell wholly inside is kept as it is; a cell on the edge is cut by the few parts it
    meets, not by the whole area: one intersection with an outline of a hundred thousand
    vertices per edge cell took minutes for a province (2025 Đồng Nai, 500 m cells).
    """
    out = cells.copy()
    edge = np.flatnonzero(~shapely.contains_properly(area, cells))
    if not len(edge):
        return out
    parts = parts[~shapely.is_empty(parts)]
    cell_at, part_at = shapely.STRtree(parts).query(cells[edge], predicate="intersects")
    pieces = shapely.intersection(cells[edge][cell_at], parts[part_at])
    order = np.argsort(cell_at, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(cell_at[order]) != 0])
    groups = np.split(pieces[order], starts[1:])
    out[edge] = shapely.Polygon()
    out[edge[cell_at[order][starts]]] = [g[0] if len(g) == 1 else shapely.union_all(g) for g in groups]
    return out


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """The polygonal part of clipped cells (a clip can leave stray edges or points)."""
    collections = shapely.get_type_id(geoms) == 7
    if collections.any():
        geoms = geoms.copy()
        parts = [shapely.get_parts(g) for g in geoms[collections]]
        geoms[collections] = [shapely.union_all(p[shapely.get_type_id(p) >= 3]) for p in parts]
    return geoms


def cell_centres(geoms, cell_size: float | None, cell_shape: str | None) -> np.ndarray:
    """Centres of the whole cells that (clipped) ``geoms`` belong to, as an (n, 2) array.

    A clipped cell's centroid lies inside its whole cell, whose centre is the nearest lattice
    point. Without a known ``cell_size``/``cell_shape`` the centroids are returned.

    Examples
    --------
    >>> from shapely import box
    >>> cell_centres([box(0, 0, 1000, 300), box(1000, 0, 2000, 1000)], 1000, "square").tolist()
    [[500.0, 500.0], [1500.0, 500.0]]
    """
    xy = shapely.get_coordinates(shapely.centroid(np.asarray(geoms)))
    if cell_size is None or cell_shape not in ("square", "hex"):
        return xy
    if cell_shape == "square":
        return (np.floor(xy / cell_size) + 0.5) * cell_size
    dx, dy = 1.5 * cell_size / np.sqrt(3.0), cell_size
    candidates = []
    for col in (np.floor(xy[:, 0] / dx), np.floor(xy[:, 0] / dx) + 1):
        offset = np.where(col % 2 == 1, dy / 2.0, 0.0)
        candidates.append(np.c_[col * dx, np.round((xy[:, 1] - offset) / dy) * dy + offset])
    nearer = (((candidates[0] - xy) ** 2).sum(axis=1) <= ((candidates[1] - xy) ** 2).sum(axis=1))
    return np.where(nearer[:, None], candidates[0], candidates[1])


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
