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
A caller holding coordinate arrays (a parsed file's longitudes and latitudes) calls
`assign_units_xy` instead, which skips making and reading point geometries (about 60 ms a
million points); both apply the same rule by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geo.errors import CRSMismatchError
from geo.unit_grid import OUTSIDE, label_cells, lay_grid

#: Below this many points, `assign_units` given a frame skips building the grid (about 0.15 s
#: for a province's 95 communes at full resolution) and tests each point against the units
#: whose bounding box holds it (about 25 µs a point).
SMALL_BATCH = 2_000

_POINT, _POLYGON, _MULTIPOLYGON = 0, 3, 6
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
    _check_crs(left.crs, right.crs)


def _check_crs(left: CRS | None, right: CRS | None) -> None:
    """Raise a CRSMismatchError unless both CRS are given and equal."""
    if left is None or right is None or not left.equals(right):
        def name(crs):
            return crs.to_string() if crs is not None else "none"
        raise CRSMismatchError(
            f"inputs have different CRS: {name(left)} and {name(right)}; "
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
    >>> units = gpd.GeoDataFrame({"commune_code": ["B", "A"]},
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
    code_column: str = "commune_code"
    """The column the codes came from, and the name of the column `assign_units` returns."""

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
    code_column: str = "commune_code",
    cell_size: float | None = None,
) -> UnitIndex:
    """Prepare units for `assign_units`, to reuse over many batches of points.

    Parameters
    ----------
    units : GeoDataFrame
        Valid polygons or multipolygons of one vintage; rows without a geometry cover nothing.
    code_column : str, default "commune_code"
        The column of ``units`` holding the unit code; codes are compared as strings.
    cell_size : float, optional
        The side of a grid cell in the units' CRS units (degrees for EPSG:4326, metres
        for ``WORK_CRS``). By default it is chosen from the units' extent and boundary
        length so that about ``geo.unit_grid.BOUNDARY_SHARE`` of the cells are boundary cells, within
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
    >>> assign_units(pts, index)["code"].tolist()  # the column is named after the code column
    ['2', '1']
    """
    if cell_size is not None and not cell_size > 0:
        raise ValueError(f"cell_size must be a positive number of CRS units, not {cell_size!r}")
    codes, geoms = _sorted_units(units, code_column)
    parts, part_unit = shapely.get_parts(geoms, return_index=True)  # new objects
    rings, ring_part = shapely.get_rings(parts, return_index=True)
    bounds = shapely.total_bounds(parts) if len(parts) else np.full(4, np.nan)
    grid = lay_grid(bounds, shapely.length(rings).sum(), cell_size)
    labels, offsets, candidates = label_cells(rings, ring_part, part_unit, grid)
    shapely.prepare(parts)
    return UnitIndex(codes=codes, parts=parts, part_unit=part_unit, crs=units.crs,
                     origin=grid["origin"], cell_size=grid["size"], shape=grid["shape"],
                     labels=labels, offsets=offsets, candidates=candidates, code_column=code_column)


def assign_units(
    points: gpd.GeoSeries | gpd.GeoDataFrame,
    units: gpd.GeoDataFrame | UnitIndex,
    *,
    code_column: str = "commune_code",
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
    code_column : str, default "commune_code"
        The column of ``units`` holding the unit code (unused when ``units`` is a UnitIndex,
        which has its codes already).

    Returns
    -------
    DataFrame
        Indexed like ``points``, with one column named ``code_column`` (the index's own for a
        `UnitIndex`), ``<NA>`` outside every unit.

    Raises
    ------
    CRSMismatchError
        When ``points`` and ``units`` have different CRS.
    ValueError
        When a geometry of ``points`` is not a point.

    Examples
    --------
    >>> from shapely import box, Point
    >>> units = gpd.GeoDataFrame({"commune_code": ["B", "A"]},
    ...                          geometry=[box(1, 0, 2, 1), box(0, 0, 1, 1)], crs=4326)
    >>> pts = gpd.GeoSeries([Point(0.5, 0.5), Point(1, 0.5), Point(5, 5)], crs=4326)
    >>> assign_units(pts, units)["commune_code"].tolist()
    ['A', 'A', <NA>]
    """
    check_same_crs(points, units)
    geoms = np.asarray(points.geometry.values if isinstance(points, gpd.GeoDataFrame) else points.values,
                       dtype=object)
    return _assign(*_coordinates(geoms), units, code_column, points.index)


def assign_units_xy(
    x: np.ndarray | pd.Series,
    y: np.ndarray | pd.Series,
    units: gpd.GeoDataFrame | UnitIndex,
    *,
    crs,
    code_column: str = "commune_code",
) -> pd.DataFrame:
    """Assign each coordinate pair to the unit covering it: `assign_units` for coordinate arrays.

    The same rule and the same answers as `assign_units` on the points ``(x[i], y[i])``,
    without making point geometries or reading their coordinates back.

    Parameters
    ----------
    x, y : array-like of float
        Coordinates of the points in ``crs`` (longitude and latitude for EPSG:4326), of one
        length; a pair with a NaN or missing value gets no unit.
    units : GeoDataFrame or UnitIndex
        As for `assign_units`.
    crs : anything pyproj.CRS.from_user_input takes
        The CRS of ``x`` and ``y``; it must equal the units' CRS (no silent reprojection).
    code_column : str, default "commune_code"
        As for `assign_units`.

    Returns
    -------
    DataFrame
        With one column named ``code_column`` (``<NA>`` outside every unit), indexed like ``x`` when
        it is a Series, else from 0.

    Raises
    ------
    CRSMismatchError
        When ``crs`` is not the units' CRS.
    ValueError
        When ``x`` and ``y`` differ in length.

    Examples
    --------
    >>> from shapely import box
    >>> units = gpd.GeoDataFrame({"commune_code": ["B", "A"]},
    ...                          geometry=[box(1, 0, 2, 1), box(0, 0, 1, 1)], crs=4326)
    >>> out = assign_units_xy([0.5, 1.0, 5.0, np.nan], [0.5, 0.5, 5.0, 0.5], units, crs=4326)
    >>> out["commune_code"].tolist()
    ['A', 'A', <NA>, <NA>]
    """
    _check_crs(None if crs is None else CRS.from_user_input(crs), units.crs)
    index = x.index if isinstance(x, pd.Series) else None
    x, y = (v.to_numpy(dtype=float, na_value=np.nan) if isinstance(v, pd.Series)
            else np.asarray(v, dtype=float) for v in (x, y))
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"x and y must be two 1-d arrays of one length; got shapes {x.shape} and {y.shape}")
    return _assign(x, y, units, code_column, pd.RangeIndex(len(x)) if index is None else index)


def _assign(x: np.ndarray, y: np.ndarray, units: gpd.GeoDataFrame | UnitIndex, code_column: str,
            index: pd.Index) -> pd.DataFrame:
    """The unit codes of the points (x, y), by the grid or, for a few points and a frame, an STRtree."""
    if not isinstance(units, UnitIndex) and len(x) < SMALL_BATCH:
        codes, unit_geoms = _sorted_units(units, code_column)
        found = _assign_directly(unit_geoms, x, y)
    else:
        grid = units if isinstance(units, UnitIndex) else build_unit_index(units, code_column=code_column)
        codes, found, code_column = grid.codes, _locate(grid, x, y), grid.code_column
    result = pd.array(codes, dtype="string").take(found, allow_fill=True)  # -1 reads <NA>
    return pd.DataFrame({code_column: result}, index=index)


def _sorted_units(units: gpd.GeoDataFrame, code_column: str) -> tuple[np.ndarray, np.ndarray]:
    """The codes and geometries of the units in ascending code order, those without geometry left out."""
    geoms = np.asarray(units.geometry.values, dtype=object)
    _check_types(geoms, {-1, _POLYGON, _MULTIPOLYGON}, "units must be polygons or multipolygons")
    codes = units[code_column].astype("string").to_numpy(dtype=object)
    keep = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    order = np.flatnonzero(keep)[np.argsort(codes[keep].astype(str), kind="stable")]
    return codes[order], geoms[order]


def _assign_directly(units: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """For a few points: the lowest position among the (code-sorted) units covering each, or -1.

    An STRtree finds the units whose box holds a point, then GEOS tests ``covered_by``.
    """
    finite = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    point, unit = shapely.STRtree(units).query(shapely.points(x[finite], y[finite]), predicate="covered_by")
    found = np.full(len(x), len(units), dtype=np.int64)
    np.minimum.at(found, finite[point], unit)
    found[found == len(units)] = OUTSIDE
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


def _locate(index: UnitIndex, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The position in ``index.codes`` of the unit taking each point (x, y), or -1."""
    (x0, y0), size, (nrows, ncols) = index.origin, index.cell_size, index.shape
    col = np.subtract(x, x0)  # in place from here: each temporary of a million points costs
    col /= size
    np.floor(col, out=col)
    cell = np.subtract(y, y0)
    cell /= size
    np.floor(cell, out=cell)  # the row, for now
    outside = ~(col >= 0)  # True for NaN
    outside |= col >= ncols
    outside |= ~(cell >= 0)
    outside |= cell >= nrows
    cell *= ncols
    cell += col  # the cell number, exact in a float below 2**53
    cell[outside] = 0
    found = index.labels.take(cell.astype(np.intp))
    found[outside] = OUTSIDE
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
    found = np.full(len(cell), OUTSIDE, dtype=np.int64)
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
        Points (EPSG:4326) or ``None``, with ``ref_commune_code`` and ``ref_vintage`` columns
        for records placed only by a commune reference.
    units : GeoDataFrame
        The communes of ``vintage`` (``commune_code``, polygons in the records' CRS).
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
    >>> units = gpd.GeoDataFrame({"commune_code": ["A"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    >>> recs = gpd.GeoDataFrame({"ref_commune_code": [None, "B", "C"],
    ...     "ref_vintage": [None, "v1", "v0"]}, geometry=[Point(0.5, 0.5), None, None], crs=4326)
    >>> place_records(recs, units, vintage="v1").tolist()
    ['A', 'B', <NA>]
    >>> cw = pd.DataFrame({"from_vintage": ["v0"], "from_code": ["C"], "to_vintage": ["v1"],
    ...                    "to_code": ["A"], "kind": ["whole"]})
    >>> place_records(recs, units, vintage="v1", crosswalk=cw).tolist()
    ['A', 'B', 'A']
    """
    if records.empty:
        return pd.Series(pd.array([], dtype="string"), index=records.index, name="commune_code")
    by_point = assign_units(records.geometry, units)["commune_code"].astype("string")
    ref_ok = records["ref_vintage"].eq(vintage).fillna(False).astype(bool)
    by_ref = records["ref_commune_code"].where(ref_ok).astype("string")
    if crosswalk is not None and not crosswalk.empty:
        whole = crosswalk[(crosswalk["kind"] == "whole") & (crosswalk["to_vintage"] == vintage)]
        successor = dict(zip(zip(whole["from_vintage"], whole["from_code"], strict=True),
                             whole["to_code"], strict=True))
        followed = pd.Series([successor.get((v, c)) for v, c in zip(
            records["ref_vintage"], records["ref_commune_code"], strict=True)],
            index=records.index, dtype="string")
        by_ref = by_ref.fillna(followed)
    has_point = records.geometry.notna() & ~records.geometry.is_empty
    return by_point.where(has_point, by_ref).rename("commune_code")
