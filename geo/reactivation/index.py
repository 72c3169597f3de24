"""A space-time index: a 3-D R-tree over points in (x metres, y metres, t days).

Built once per call (bulk-loaded with the Sort-Tile-Recursive packer of libspatialindex),
queried with a box ``[x ± r] × [y ± r] × [t0, t1]`` that returns candidates, then an exact
distance check keeps the points with ``distance ≤ r`` and ``t0 ≤ t ≤ t1`` (both ends
included). Coordinates are ``WORK_CRS`` metres, time is whole days (see
:func:`geo.reactivation.frames.day_numbers`).
"""

from __future__ import annotations

import numpy as np
from rtree.index import Index, Property

#: Added to every query box so that float rounding of ``x ± r`` never drops a point that
#: the exact check would keep (the exact check then removes the extra candidates).
_PAD = 1e-6


class SpaceTimeIndex:
    """Points in (x, y, t) with a 3-D R-tree, queried by a disc in space and a time interval.

    Parameters
    ----------
    x, y : array-like of float
        Coordinates in metres (``WORK_CRS``). Rows with NaN in ``x``, ``y`` or ``t`` are
        left out of the index and counted in ``skipped``.
    t : array-like of float
        Time in days (day numbers).
    ids : array-like of int, optional
        The id returned for each point; positions 0 … n−1 when omitted.

    Examples
    --------
    >>> index = SpaceTimeIndex([0, 80, 120, 80], [0, 0, 0, 0], [10, 20, 20, 500],
    ...                        ids=[11, 12, 13, 14])
    >>> index.query(0, 0, 0, 365, 100).tolist()       # 120 m too far, day 500 too late
    [11, 12]
    >>> sorted(index.candidates(0, 0, 0, 365, 100).tolist())  # the box holds no more here
    [11, 12]
    """

    def __init__(self, x, y, t, ids=None):
        x, y, t = (np.asarray(v, dtype=float) for v in (x, y, t))
        ids = np.arange(len(x), dtype=np.int64) if ids is None else np.asarray(ids, dtype=np.int64)
        keep = np.isfinite(x) & np.isfinite(y) & np.isfinite(t)
        self.skipped = int((~keep).sum())
        self._x, self._y, self._t, self._ids = x[keep], y[keep], t[keep], ids[keep]
        self._tree = _build(np.column_stack([self._x, self._y, self._t]))

    def __len__(self) -> int:
        return len(self._ids)

    def candidates(self, x: float, y: float, t0: float | None, t1: float | None,
                   radius: float) -> np.ndarray:
        """Ids whose point lies in the box ``[x ± radius] × [y ± radius] × [t0, t1]``.

        ``t0`` or ``t1`` None leaves that end of the time interval open.
        """
        _, hits = self._box_hits(np.array([x], dtype=float), np.array([y], dtype=float),
                                 [t0], [t1], radius)
        return self._ids[hits]

    def query(self, x: float, y: float, t0: float | None, t1: float | None,
              radius: float) -> np.ndarray:
        """Ids within ``radius`` metres of ``(x, y)`` and dated in ``[t0, t1]``, in index order."""
        _, ids, _ = self.query_many([x], [y], [t0], [t1], radius)
        return ids

    def query_many(self, x, y, t0, t1, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Run one query per row of the arrays at once.

        Returns
        -------
        (ndarray, ndarray, ndarray)
            For every hit: the query's position, the point's id and the distance in metres,
            ordered by query and then by the point's position in the index.

        Examples
        --------
        >>> index = SpaceTimeIndex([0, 30], [0, 40], [5, 9])
        >>> [a.tolist() for a in index.query_many([0, 30], [0, 0], [0, None], [6, None], 50)]
        [[0, 1, 1], [0, 0, 1], [0.0, 30.0, 40.0]]
        """
        x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
        t0, t1 = _bounds(t0, len(x), -np.inf), _bounds(t1, len(x), np.inf)
        query_pos, point_pos = self._box_hits(x, y, t0, t1, radius)
        dist = np.hypot(self._x[point_pos] - x[query_pos], self._y[point_pos] - y[query_pos])
        t = self._t[point_pos]
        exact = (dist <= radius) & (t >= t0[query_pos]) & (t <= t1[query_pos])
        order = np.lexsort((point_pos[exact], query_pos[exact]))
        return query_pos[exact][order], self._ids[point_pos[exact]][order], dist[exact][order]

    def _box_hits(self, x, y, t0, t1, radius) -> tuple[np.ndarray, np.ndarray]:
        """(query position, point position) of every box hit; finite, valid queries only."""
        empty = np.empty(0, dtype=np.int64)
        t0, t1 = _bounds(t0, len(x), -np.inf), _bounds(t1, len(x), np.inf)
        valid = np.isfinite(x) & np.isfinite(y) & (t0 <= t1)
        if self._tree is None or not valid.any():
            return empty, empty
        tmin, tmax = self._t.min(), self._t.max()
        lo = np.column_stack([x - radius - _PAD, y - radius - _PAD, np.maximum(t0, tmin) - _PAD])
        hi = np.column_stack([x + radius + _PAD, y + radius + _PAD, np.minimum(t1, tmax) + _PAD])
        rows = np.flatnonzero(valid & (lo[:, 2] <= hi[:, 2]))
        if not len(rows):
            return empty, empty
        hits, counts = self._tree.intersection_v(lo[rows], hi[rows])
        return np.repeat(rows, counts.astype(np.int64)), hits.astype(np.int64)


def _build(points: np.ndarray) -> Index | None:
    """Bulk-load a 3-D R-tree whose ids are row positions (None when there is no point)."""
    if not len(points):
        return None
    return Index((np.arange(len(points), dtype=np.int64), points, points.copy()),
                 properties=Property(dimension=3))


def _bounds(values, n: int, default: float) -> np.ndarray:
    """Time bounds as a float array of length ``n``; None and NaN become ``default``."""
    if values is None:
        return np.full(n, default)
    arr = np.asarray(values)
    if arr.dtype == object:
        arr = np.array([default if v is None else v for v in arr.ravel()], dtype=float)
    arr = np.broadcast_to(arr.astype(float), (n,)).copy()
    arr[np.isnan(arr)] = default
    return arr
