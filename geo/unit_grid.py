"""The grid of square cells behind ``geo.join.UnitIndex``: laying it and labelling its cells.

``lay_grid`` chooses the cells' size and position from the units' extent and boundary length;
``label_cells`` marks the cells a boundary segment touches (they keep their candidate polygon
parts) and labels every other cell with the lowest unit covering its centre, or as outside,
by a scanline fill. ``geo.join`` builds its index with these and answers points from it.
"""

from __future__ import annotations

import numpy as np
import shapely

#: The share of grid cells that boundaries may cross, hence of uniformly spread points that
#: need an exact test, aimed at when choosing the cell size; and the bounds on the number
#: of cells (2**21 cells is 8 MB of labels and about 0.15 s of building for a province).
BOUNDARY_SHARE, MIN_CELLS, MAX_CELLS = 0.02, 1 << 12, 1 << 21

OUTSIDE = -1
"""Cell label: no unit covers any point of the cell."""


def lay_grid(bounds: np.ndarray, length: float, cell_size: float | None) -> dict:
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


def label_cells(rings: np.ndarray, ring_part: np.ndarray, part_unit: np.ndarray,
                 grid: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Label every cell with its unit, as outside, or as a boundary cell with candidate parts."""
    nrows, ncols = grid["shape"]
    labels = np.full(nrows * ncols, np.iinfo(np.int32).max, dtype=np.int32)
    a, b, seg_part = _segments(rings, ring_part, grid["size"])
    edge_cell, edge_seg = _touched_cells(a, b, grid)
    fill_cell, fill_seg = _filled_cells(a, b, seg_part, grid)
    edge_part, fill_part = seg_part[edge_seg], seg_part[fill_seg]
    np.minimum.at(labels, fill_cell, part_unit[fill_part].astype(np.int32))  # lowest code wins
    labels[labels == np.iinfo(np.int32).max] = OUTSIDE
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
