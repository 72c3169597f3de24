"""Assign points to administrative units: the one code path for ETL, analysis and web.

The rule, everywhere: a point belongs to the unit that covers it (its boundary included);
a point on an edge shared by several units goes to the unit with the lowest code, so the
answer is deterministic; a point outside every unit gets no unit. The PostGIS counting
query in ``geo.store.counts`` applies the same rule, and a test holds the two together.

The method exploits that the units of a vintage are fixed while points come by the million.
``build_unit_index`` lays a regular grid of square cells over the units' extent, each cell
widened by a tiny margin that absorbs floating-point rounding. A cell that no boundary
segment touches is wholly inside some units or wholly outside all of them: its answer is
stored once, found by a scanline fill of the rings at the cell's centre row (even-odd
crossings per polygon, the lowest code winning where units overlap). A cell some boundary
segment touches keeps the short list of polygons that may cover a point in it. Assigning is
then an integer lookup of each point's cell; only the few points in boundary cells get an
exact test, a prepared ``shapely.intersects_xy`` (which for a point and a polygon is
``covers``) against that cell's candidates, the lowest code winning. Both steps are exact:
a point is answered from a cell only when no boundary comes within the margin of that cell.
Given a frame of units and fewer than ``SMALL_BATCH`` points, `assign_units` skips the grid
and tests each point against the units whose bounding box holds it (an STRtree query).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.errors import CRSMismatchError

#: The share of grid cells that boundaries may cross, hence of uniformly spread points that
#: need an exact test, aimed at when choosing the cell size; and the bounds on the number
#: of cells (2**21 cells is 8 MB of labels and about 0.15 s of building for a province).
BOUNDARY_SHARE, MIN_CELLS, MAX_CELLS = 0.02, 1 << 12, 1 << 21

#: Below this many points, `assign_units` given a frame skips building the grid (about 0.15 s
#: for a province's 95 communes at full resolution) and tests each point against the units
#: whose bounding box holds it (about 25 µs a point).
SMALL_BATCH = 2_000

_POINT, _POLYGON, _MULTIPOLYGON = 0, 3, 6
_OUTSIDE = -1  # cell label: no unit covers any point of the cell
_POINTS_ONLY = "assign_units takes point geometries"


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


@dataclass(frozen=True, eq=False, repr=False)
class UnitIndex:
    """Units prepared for fast point assignment; build it with `build_unit_index`.

    Attributes
    ----------
    codes : ndarray of str
        The unit codes in ascending order; a unit is referred to by its position here.
    parts : ndarray of shapely Polygons
        The polygons making up the units, in the order of their units: prepared copies, the
        input geometries stay unprepared.
    part_unit : ndarray of int64
        The position in ``codes`` of each part's unit (ascending).
    crs : pyproj.CRS
        The CRS of the units; points must share it.
    origin : (float, float)
        The lower-left corner of the grid, in CRS units.
    cell_size : float
        The side of a square grid cell, in CRS units.
    shape : (int, int)
        The grid's number of rows and columns.
    labels : ndarray of int32
        Per cell (row-major): the position in ``codes`` of the unit taking every point of the
        cell, ``-1`` when no unit covers any of it, ``-2 - k`` for the k-th boundary cell.
    offsets, candidates : ndarray of int64
        The parts that may cover a point of boundary cell k are
        ``candidates[offsets[k]:offsets[k + 1]]``, in ascending order.

    Examples
    --------
    >>> from shapely import box
    >>> units = gpd.GeoDataFrame({"unit_code": ["B", "A"]},
    ...                          geometry=[box(1, 0, 2, 1), box(0, 0, 1, 1)], crs=4326)
    >>> index = build_unit_index(units, cell_size=0.25)
    >>> index
    UnitIndex(2 units, 5×9 cells of 0.25, 27 boundary cells, EPSG:4326)
    >>> index.codes.tolist(), index.labels.reshape(index.shape)[2].tolist()
    (['A', 'B'], [-14, 0, 0, 0, -15, 1, 1, 1, -16])
    """

    codes: np.ndarray
    parts: np.ndarray
    part_unit: np.ndarray
    crs: CRS
    origin: tuple[float, float]
    cell_size: float
    shape: tuple[int, int]
    labels: np.ndarray
    offsets: np.ndarray
    candidates: np.ndarray

    def __len__(self) -> int:
        """The number of units."""
        return len(self.codes)

    def __repr__(self) -> str:
        """A one-line summary: units, grid, boundary cells, CRS."""
        crs = self.crs.to_string() if self.crs is not None else "no CRS"
        return (f"UnitIndex({len(self)} units, {self.shape[0]}×{self.shape[1]} cells of "
                f"{self.cell_size:g}, {len(self.offsets) - 1} boundary cells, {crs})")


def build_unit_index(
    units: gpd.GeoDataFrame,
    *,
    code_column: str = "unit_code",
    cell_size: float | None = None,
) -> UnitIndex:
    """Prepare units for `assign_units`, to reuse over many batches of points.

    Parameters
    ----------
    units : GeoDataFrame
        Valid polygons or multipolygons of one vintage; rows without a geometry cover nothing.
    code_column : str, default "unit_code"
        The column of ``units`` holding the unit code; codes are compared as strings.
    cell_size : float, optional
        The side of a grid cell in the units' CRS units (degrees for EPSG:4326, metres
        for ``WORK_CRS``). By default it is chosen from the units' extent and boundary
        length so that about ``BOUNDARY_SHARE`` of the cells are boundary cells, within
        ``MIN_CELLS`` to ``MAX_CELLS`` cells. Any positive size gives the same answers; it
        only changes the speed.

    Returns
    -------
    UnitIndex

    Raises
    ------
    ValueError
        When a unit geometry is not polygonal, or ``cell_size`` is not positive or so small
        that the grid would exceed 64 × ``MAX_CELLS`` cells.

    Examples
    --------
    >>> from shapely import box, Point
    >>> units = gpd.GeoDataFrame({"code": ["2", "1"]},
    ...                          geometry=[box(1, 0, 2, 1), box(0, 0, 1, 1)], crs=32648)
    >>> index = build_unit_index(units, code_column="code")
    >>> pts = gpd.GeoSeries([Point(1.5, 0.5), Point(1, 1)], crs=32648)
    >>> assign_units(pts, index)["unit_code"].tolist()
    ['2', '1']
    """
    if cell_size is not None and not cell_size > 0:
        raise ValueError(f"cell_size must be a positive number of CRS units, not {cell_size!r}")
    codes, geoms = _sorted_units(units, code_column)
    parts, part_unit = shapely.get_parts(geoms, return_index=True)  # new objects
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    bounds = shapely.total_bounds(parts) if len(parts) else np.full(4, np.nan)
    grid = _grid(bounds, shapely.length(rings).sum(), cell_size)
    labels, offsets, candidates = _label_cells(rings, ring_part, part_unit, grid)
    shapely.prepare(parts)
    return UnitIndex(codes=codes, parts=parts, part_unit=part_unit, crs=units.crs,
                     origin=grid["origin"], cell_size=grid["size"], shape=grid["shape"],
                     labels=labels, offsets=offsets, candidates=candidates)


def assign_units(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    units: gpd.GeoDataFrame | UnitIndex,
    *,
    code_column: str = "unit_code",
) -> pd.DataFrame:
    """Assign each point to the unit covering it.

    Parameters
    ----------
    points : GeoSeries or GeoDataFrame
        Point geometries; missing or empty geometries get no unit.
    units : GeoDataFrame or UnitIndex
        Polygons of one vintage in the same CRS as ``points``, or the same prepared once by
        `build_unit_index`: given a frame and ``SMALL_BATCH`` points or more, an index is
        built for the call, so pass the index when assigning several batches.
    code_column : str, default "unit_code"
        The column of ``units`` holding the unit code (unused when ``units`` is a UnitIndex,
        which has its codes already).

    Returns
    -------
    DataFrame
        Indexed like ``points``, with one column ``unit_code`` (``<NA>`` outside every unit).

    Raises
    ------
    CRSMismatchError
        When ``points`` and ``units`` have different CRS.
    ValueError
        When a geometry of ``points`` is not a point.

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
    geoms = np.asarray(points.geometry.values if isinstance(points, gpd.GeoDataFrame) else points.values,
                       dtype=object)
    if not isinstance(units, UnitIndex) and len(geoms) < SMALL_BATCH:
        _check_types(geoms, {-1, _POINT}, _POINTS_ONLY)
        codes, unit_geoms = _sorted_units(units, code_column)
        found = _assign_directly(unit_geoms, geoms)
    else:
        index = units if isinstance(units, UnitIndex) else build_unit_index(units, code_column=code_column)
        codes, found = index.codes, _locate(index, *_coordinates(geoms))
    result = pd.array(codes, dtype="string").take(found, allow_fill=True)  # -1 reads <NA>
    return pd.DataFrame({"unit_code": result}, index=points.index)


def _sorted_units(units: gpd.GeoDataFrame, code_column: str) -> tuple[np.ndarray, np.ndarray]:
    """The codes and geometries of the units in ascending code order, those without geometry left out."""
    geoms = np.asarray(units.geometry.values, dtype=object)
    _check_types(geoms, {-1, _POLYGON, _MULTIPOLYGON}, "units must be polygons or multipolygons")
    codes = units[code_column].astype("string").to_numpy(dtype=object)
    keep = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    order = np.flatnonzero(keep)[np.argsort(codes[keep].astype(str), kind="stable")]
    return codes[order], geoms[order]


def _assign_directly(units: np.ndarray, points: np.ndarray) -> np.ndarray:
    """For a few points: the lowest position among the (code-sorted) units covering each, or -1.

    An STRtree finds the units whose box holds a point, then GEOS tests ``covered_by``.
    """
    point, unit = shapely.STRtree(units).query(points, predicate="covered_by")
    found = np.full(len(points), len(units), dtype=np.int64)
    np.minimum.at(found, point, unit)
    found[found == len(units)] = _OUTSIDE
    return found


def _check_types(geoms: np.ndarray, allowed: set[int], message: str,
                 positions: np.ndarray | None = None) -> None:
    """Raise a ValueError naming the first geometry whose type is not allowed.

    ``positions`` are the positions of ``geoms`` in the caller's input, when a subset.
    """
    bad = np.flatnonzero(~np.isin(shapely.get_type_id(geoms), list(allowed)))
    if len(bad):
        where = bad[0] if positions is None else positions[bad[0]]
        raise ValueError(f"{message}; got {len(bad)} other geometries, the first a "
                         f"{geoms[bad[0]].geom_type} at position {where}")


def _coordinates(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The x and y of each point, NaN when missing or empty; a ValueError names a non-point.

    ``get_x`` is twice as fast as ``get_coordinates`` and gives NaN for a missing geometry
    and for a non-point, so only the NaN ones need their type checked; GEOS refuses the x
    of an empty point, and then every type is checked and the empty ones get NaN.
    """
    try:
        x, y = shapely.get_x(points), shapely.get_y(points)
    except shapely.errors.GEOSException:
        _check_types(points, {-1, _POINT}, _POINTS_ONLY)
        x, y = np.full(len(points), np.nan), np.full(len(points), np.nan)
        xy, where = shapely.get_coordinates(points, return_index=True)
        x[where], y[where] = xy[:, 0], xy[:, 1]
        return x, y
    unsure = np.flatnonzero(np.isnan(x))
    _check_types(points[unsure], {-1, _POINT}, _POINTS_ONLY, unsure)
    return x, y


def _grid(bounds: np.ndarray, length: float, cell_size: float | None) -> dict:
    """Choose a grid of square cells covering ``bounds`` with at least half a cell to spare.

    A boundary crosses about one cell per cell side of its ``length``, so a cell side of
    ``BOUNDARY_SHARE * area / length`` makes that share of the cells boundary cells.
    ``margin`` widens every cell on all sides; it is far above the rounding error of
    mapping a coordinate to its cell and far below the cell size.
    """
    xmin, ymin, xmax, ymax = bounds if np.isfinite(bounds).all() else (0.0, 0.0, 1.0, 1.0)
    extent = max(xmax - xmin, ymax - ymin) or 1.0
    width, height = max(xmax - xmin, extent / MIN_CELLS), max(ymax - ymin, extent / MIN_CELLS)
    if cell_size is None:
        size = BOUNDARY_SHARE * width * height / length if length else extent
        size = np.sqrt(width * height / np.clip(width * height / size**2, MIN_CELLS, MAX_CELLS))
    size = float(size if cell_size is None else cell_size)
    ncols, nrows = int(np.ceil(width / size)) + 1, int(np.ceil(height / size)) + 1
    if ncols * nrows > 64 * MAX_CELLS:
        raise ValueError(f"cell_size {size:g} would make {ncols}×{nrows} cells; take a larger one")
    origin = (xmin - (ncols * size - width) / 2, ymin - (nrows * size - height) / 2)
    scale = max(abs(xmin), abs(xmax), abs(ymin), abs(ymax)) + (ncols + nrows) * size
    return {"origin": origin, "size": size, "shape": (nrows, ncols),
            "margin": max(size * 1e-6, scale * 1e-12)}


def _segments(rings: np.ndarray, ring_part: np.ndarray, size: float) -> tuple[np.ndarray, ...]:
    """Every ring segment cut to at most ``size`` long: start, end (n×2) and its polygon part."""
    coords, ring = shapely.get_coordinates(shapely.segmentize(rings, size), return_index=True)
    same = ring[1:] == ring[:-1]
    return coords[:-1][same], coords[1:][same], ring_part[ring[:-1][same]]


def _runs(start: np.ndarray, count: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every integer of the runs ``start[i] + j`` for ``j < count[i]``, with its run ``i``."""
    run = np.repeat(np.arange(len(start)), count)
    return run, np.arange(len(run)) + np.repeat(start - np.cumsum(count) + count, count)


def _touched_cells(a: np.ndarray, b: np.ndarray, grid: dict) -> tuple[np.ndarray, np.ndarray]:
    """Pairs (cell, segment) for every cell, widened by the margin, that a segment's box meets.

    The box is widened by twice the margin, which outweighs the rounding of the division.
    """
    (x0, y0), size, (nrows, ncols), pad = grid["origin"], grid["size"], grid["shape"], 2 * grid["margin"]
    lo, hi = np.minimum(a, b) - pad, np.maximum(a, b) + pad
    c0 = np.clip(np.floor((lo[:, 0] - x0) / size), 0, ncols - 1).astype(np.int64)
    c1 = np.clip(np.floor((hi[:, 0] - x0) / size), 0, ncols - 1).astype(np.int64)
    r0 = np.clip(np.floor((lo[:, 1] - y0) / size), 0, nrows - 1).astype(np.int64)
    r1 = np.clip(np.floor((hi[:, 1] - y0) / size), 0, nrows - 1).astype(np.int64)
    width = c1 - c0 + 1
    segment, k = _runs(np.zeros(len(a), dtype=np.int64), width * (r1 - r0 + 1))
    cell = (r0[segment] + k // width[segment]) * ncols + c0[segment] + k % width[segment]
    return cell, segment


def _filled_cells(a: np.ndarray, b: np.ndarray, part: np.ndarray, grid: dict) -> tuple[np.ndarray, ...]:
    """Pairs (cell, segment) for every cell whose centre lies inside a polygon part.

    A scanline fill: the rings' crossings of each row's centre line, sorted per part and
    row, pair up (even-odd) into runs of cells. A segment crosses a centre line when
    exactly one end is on or below it, so every ring crosses each line an even number of
    times; the candidate rows are widened a little against rounding, then tested exactly.
    ``segment`` names one segment of the part.
    """
    (x0, y0), size, (nrows, ncols) = grid["origin"], grid["size"], grid["shape"]
    t0 = (np.minimum(a[:, 1], b[:, 1]) - y0) / size - 0.5
    t1 = (np.maximum(a[:, 1], b[:, 1]) - y0) / size - 0.5
    k0 = np.ceil(t0 - 1e-6).astype(np.int64)
    seg, row = _runs(k0, np.maximum(np.floor(t1 + 1e-6).astype(np.int64) - k0 + 1, 0))
    yc = y0 + (row + 0.5) * size
    cross = ((a[seg, 1] <= yc) != (b[seg, 1] <= yc)) & (row >= 0) & (row < nrows)
    seg, row, yc = seg[cross], row[cross], yc[cross]
    xa, ya, xb, yb = a[seg, 0], a[seg, 1], b[seg, 0], b[seg, 1]
    x = xa + (yc - ya) * (xb - xa) / (yb - ya)
    order = np.lexsort((x, row, part[seg]))
    x, row, seg = x[order], row[order], seg[order]
    first = np.clip(np.ceil((x[0::2] - x0) / size - 0.5), 0, ncols).astype(np.int64)
    stop = np.clip(np.ceil((x[1::2] - x0) / size - 0.5), 0, ncols).astype(np.int64)
    run, col = _runs(first, np.maximum(stop - first, 0))
    return row[0::2][run] * ncols + col, seg[0::2][run]


def _label_cells(rings: np.ndarray, ring_part: np.ndarray, part_unit: np.ndarray,
                 grid: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label every cell with its unit, as outside, or as a boundary cell with candidate parts."""
    nrows, ncols = grid["shape"]
    labels = np.full(nrows * ncols, np.iinfo(np.int32).max, dtype=np.int32)
    a, b, seg_part = _segments(rings, ring_part, grid["size"])
    edge_cell, edge_seg = _touched_cells(a, b, grid)
    fill_cell, fill_seg = _filled_cells(a, b, seg_part, grid)
    edge_part, fill_part = seg_part[edge_seg], seg_part[fill_seg]
    np.minimum.at(labels, fill_cell, part_unit[fill_part].astype(np.int32))  # lowest code wins
    labels[labels == np.iinfo(np.int32).max] = _OUTSIDE
    boundary = np.zeros(len(labels), dtype=bool)
    boundary[edge_cell] = True
    # A boundary cell's candidates: the parts whose boundary meets it, and the parts
    # covering its centre (these cover all of it, as none of their boundary is near).
    inner = boundary[fill_cell]
    n = max(len(part_unit), 1)
    keys = np.concatenate([edge_cell * n + edge_part, fill_cell[inner] * n + fill_part[inner]])
    keys = np.sort(keys)
    keys = keys[np.append(True, keys[1:] != keys[:-1])[:len(keys)]]  # unique, faster than np.unique
    cell, candidates = np.divmod(keys, n)
    cells = np.flatnonzero(boundary)
    labels[cells] = -2 - np.arange(len(cells))
    offsets = np.searchsorted(cell, np.append(cells, len(labels)))
    return labels, offsets, candidates


def _locate(index: UnitIndex, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The position in ``index.codes`` of the unit taking each point (x, y), or -1."""
    (x0, y0), size, (nrows, ncols) = index.origin, index.cell_size, index.shape
    col, row = np.floor((x - x0) / size), np.floor((y - y0) / size)
    inside = (col >= 0) & (col < ncols) & (row >= 0) & (row < nrows)  # False for NaN
    cell = np.where(inside, row, 0).astype(np.int64) * ncols + np.where(inside, col, 0).astype(np.int64)
    found = np.where(inside, index.labels.take(cell), _OUTSIDE)
    near = np.flatnonzero(found <= -2)
    if len(near):
        found[near] = _exact(index, -2 - found[near], x[near], y[near])
    return found


def _exact(index: UnitIndex, cell: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Test points of boundary cells against their cell's candidates; the lowest code wins.

    Candidates come in ascending order of their unit, so a point stops at its first hit:
    round ``rank`` tests each point still unresolved against its cell's rank-th candidate.
    """
    start, count = index.offsets[cell], index.offsets[cell + 1] - index.offsets[cell]
    found = np.full(len(cell), _OUTSIDE, dtype=np.int64)
    todo = np.arange(len(cell))
    for rank in range(int(count.max())):
        todo = todo[count[todo] > rank]
        part = index.candidates[start[todo] + rank]
        hit = shapely.intersects_xy(index.parts[part], x[todo], y[todo])
        found[todo[hit]] = index.part_unit[part[hit]]
        todo = todo[~hit]
    return found


def place_records(records: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *, vintage: str,
                  crosswalk: pd.DataFrame | None = None) -> pd.Series:
    """Return the unit code of each record on the units of ``vintage``: the point, else the reference.

    The Python twin of ``geo.store.counts.locate_sql``: a record with a point goes where
    ``assign_units`` puts it (nowhere if outside every unit); a record without one goes to
    the unit it names when that unit is of ``vintage``, or to its whole successor there.

    Parameters
    ----------
    records : GeoDataFrame
        Points (EPSG:4326) or ``None``, with ``ref_unit_code`` and ``ref_vintage`` columns
        for records placed only by a commune reference.
    units : GeoDataFrame
        The communes of ``vintage`` (``unit_code``, polygons in the records' CRS).
    vintage : str
        The evaluated vintage.
    crosswalk : DataFrame, optional
        ``from_vintage, from_code, to_vintage, to_code, kind``: a reference to a unit of
        another vintage follows a ``whole`` row into ``vintage``; a split unit's records
        stay unplaced (flagged, never guessed).

    Returns
    -------
    Series
        Indexed like ``records``: the unit code, ``<NA>`` when the record cannot be placed.

    Examples
    --------
    >>> from shapely import Point, box
    >>> units = gpd.GeoDataFrame({"unit_code": ["A"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    >>> recs = gpd.GeoDataFrame({"ref_unit_code": [None, "B", "C"],
    ...     "ref_vintage": [None, "v1", "v0"]}, geometry=[Point(0.5, 0.5), None, None], crs=4326)
    >>> place_records(recs, units, vintage="v1").tolist()
    ['A', 'B', <NA>]
    >>> cw = pd.DataFrame({"from_vintage": ["v0"], "from_code": ["C"], "to_vintage": ["v1"],
    ...                    "to_code": ["A"], "kind": ["whole"]})
    >>> place_records(recs, units, vintage="v1", crosswalk=cw).tolist()
    ['A', 'B', 'A']
    """
    if records.empty:
        return pd.Series(pd.array([], dtype="string"), index=records.index, name="unit_code")
    by_point = assign_units(records.geometry, units)["unit_code"].astype("string")
    ref_ok = records["ref_vintage"].eq(vintage).fillna(False).astype(bool)
    by_ref = records["ref_unit_code"].where(ref_ok).astype("string")
    if crosswalk is not None and not crosswalk.empty:
        whole = crosswalk[(crosswalk["kind"] == "whole") & (crosswalk["to_vintage"] == vintage)]
        successor = dict(zip(zip(whole["from_vintage"], whole["from_code"], strict=True),
                             whole["to_code"], strict=True))
        followed = pd.Series([successor.get((v, c)) for v, c in zip(
            records["ref_vintage"], records["ref_unit_code"], strict=True)],
            index=records.index, dtype="string")
        by_ref = by_ref.fillna(followed)
    has_point = records.geometry.notna() & ~records.geometry.is_empty
    return by_point.where(has_point, by_ref).rename("unit_code")
