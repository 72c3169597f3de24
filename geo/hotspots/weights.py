"""Neighbourhoods: contiguity for communes, a distance band for grid cells, and space-time.

All weights are binary (a neighbour counts 1), as in ArcGIS's Gi*; Local Moran's I
row-standardises them itself. Graphs are libpysal ``Graph`` objects on positions 0..n-1.

The default distance band for grid cells follows ArcGIS's Optimized Hot Spot Analysis
(methods.md §2.2): Incremental Spatial Autocorrelation — global Moran's I z-scores over ten
increasing distance bands, starting at the smallest distance that gives every cell a
neighbour and stepping by the mean nearest-neighbour distance, stopping before the average
cell has 500 neighbours — and the first peak whose z-score is significant (z >= 1.96), else
the highest peak. With no peak: the mean distance to the K-th nearest neighbour,
K = 5 % of the cells clamped to [3, 30], capped at the standard distance of the cells.
Either way the band is at least 0.1 % of the longer side of the cells' extent.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from geo.errors import HotspotError

if TYPE_CHECKING:
    from scipy.spatial import cKDTree

_BANDS = 10
_MAX_MEAN_NEIGHBOURS = 500
_EPSILON = 1e-6  # metres added to a band so centres exactly one band apart stay neighbours


def _graph_from_sparse(matrix):
    """A libpysal Graph on positions 0..n-1 from a square sparse matrix (rows = focal)."""
    import scipy.sparse as sp
    from libpysal.graph import Graph

    matrix = sp.csr_matrix(matrix, dtype=float)
    matrix.setdiag(0)
    matrix.eliminate_zeros()
    coo = matrix.tocoo()
    isolated = np.flatnonzero(np.diff(matrix.indptr) == 0)
    focal = np.concatenate([coo.row, isolated])
    neighbour = np.concatenate([coo.col, isolated])
    weight = np.concatenate([coo.data, np.zeros(len(isolated))])
    order = np.lexsort((neighbour, focal))
    return Graph.from_arrays(focal[order], neighbour[order], weight[order])


def contiguity_graph(geometries) -> tuple[object, str]:
    """Queen contiguity (a shared edge or corner) between polygons, binary.

    Returns the graph and its description.

    Examples
    --------
    >>> from shapely import box
    >>> g, text = contiguity_graph([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)])
    >>> g.cardinalities.tolist(), text
    ([1, 1, 0], 'queen contiguity, binary')
    """
    import geopandas as gpd
    from libpysal.graph import Graph

    series = gpd.GeoSeries(list(geometries))
    graph = Graph.build_contiguity(series, rook=False)
    return graph, "queen contiguity, binary"


def distance_band_graph(xy: np.ndarray, distance: float) -> object:
    """Binary distance band between points (metres): neighbours within ``distance``.

    Examples
    --------
    >>> xy = np.array([[0.0, 0.0], [100.0, 0.0], [500.0, 0.0]])
    >>> distance_band_graph(xy, 100).cardinalities.tolist()
    [1, 1, 0]
    """
    import scipy.sparse as sp
    from scipy.spatial import cKDTree

    tree = cKDTree(xy)
    pairs = tree.query_pairs(distance + _EPSILON, output_type="ndarray")
    n = len(xy)
    matrix = sp.coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    return _graph_from_sparse(matrix + matrix.T)


def space_time_graph(spatial, n_steps: int, time_lag: int) -> object:
    """Space-time neighbours in a units × steps cube, binary.

    The neighbours of bin (unit i, step t) are the bins of i and of i's spatial neighbours
    at steps t - time_lag … t, the bin itself excluded (Gi* adds it back as its self weight).
    Bins are numbered ``t * n_units + i``, as in ArcGIS's space-time cube.

    Examples
    --------
    >>> from shapely import box
    >>> g, _ = contiguity_graph([box(0, 0, 1, 1), box(1, 0, 2, 1)])
    >>> space_time_graph(g, 3, 1).cardinalities.tolist()
    [1, 1, 3, 3, 3, 3]
    """
    import scipy.sparse as sp

    units = spatial.sparse.tocsr().astype(float)
    units = units + sp.identity(units.shape[0], format="csr")
    lags = sp.diags([np.ones(n_steps - k) for k in range(time_lag + 1)],
                    [-k for k in range(time_lag + 1)], shape=(n_steps, n_steps))
    return _graph_from_sparse(sp.kron(lags, units, format="csr"))


def _moran_z(y: np.ndarray, pairs: np.ndarray) -> float:
    """Global Moran's I z-score (randomisation null) for binary symmetric pairs i < j."""
    n = len(y)
    z = y - y.mean()
    s0 = 2.0 * len(pairs)
    if s0 == 0:
        return np.nan
    cardinality = np.bincount(pairs.ravel(), minlength=n).astype(float)
    s1, s2 = 2.0 * s0, 4.0 * (cardinality ** 2).sum()
    m2 = (z ** 2).sum()
    i = n / s0 * 2.0 * (z[pairs[:, 0]] * z[pairs[:, 1]]).sum() / m2
    expected = -1.0 / (n - 1)
    b2 = n * (z ** 4).sum() / m2 ** 2
    variance = ((n * ((n * n - 3 * n + 3) * s1 - n * s2 + 3 * s0 ** 2)
                 - b2 * ((n * n - n) * s1 - 2 * n * s2 + 6 * s0 ** 2))
                / ((n - 1) * (n - 2) * (n - 3) * s0 ** 2) - expected ** 2)
    return float((i - expected) / np.sqrt(variance)) if variance > 0 else np.nan


def _peak(z_scores: list[float]) -> int | None:
    """The first local maximum with z >= 1.96, else the highest local maximum, else None."""
    z = np.asarray(z_scores, dtype=float)
    peaks = [k for k in range(1, len(z) - 1) if z[k] > z[k - 1] and z[k] > z[k + 1]]
    significant = [k for k in peaks if z[k] >= 1.96]
    if significant:
        return significant[0]
    return max(peaks, key=lambda k: z[k]) if peaks else None


def _knn_fallback(xy: np.ndarray, tree: cKDTree) -> float:
    """Mean distance to the K-th neighbour (K = 5 % of n in [3, 30]), at most the standard distance."""
    n = len(xy)
    k = int(min(max(int(n * 0.05), 3), 30, n - 1))
    distances, _ = tree.query(xy, k=k + 1)
    standard = np.sqrt(((xy - xy.mean(axis=0)) ** 2).sum(axis=1).mean())
    return float(min(distances[:, k].mean(), standard))


def select_distance_band(xy: np.ndarray, values: np.ndarray) -> tuple[float, str]:
    """The OHSA scale of analysis for points ``xy`` (metres) with ``values`` (module doc).

    Returns the band in metres and a sentence saying how it was chosen.

    Examples
    --------
    >>> xy = np.array([[x, y] for y in range(10) for x in range(10)], dtype=float) * 100
    >>> values = np.array([9.0 if x < 3 and y < 3 else 0.0 for y in range(10) for x in range(10)])
    >>> band, rule = select_distance_band(xy, values)
    >>> band >= 100, rule.split(":")[0]
    (True, 'incremental spatial autocorrelation')
    """
    from scipy.spatial import cKDTree

    if len(xy) < 4:
        raise HotspotError(f"{len(xy)} cells are too few for a distance band; use at least 4")
    tree = cKDTree(xy)
    nearest = tree.query(xy, k=2)[0][:, 1]
    start, step = float(nearest.max()), float(nearest.mean())
    extent = float(np.ptp(xy, axis=0).max())
    bands, z_scores = [], []
    for k in range(_BANDS):
        distance = start + k * step
        pairs = tree.query_pairs(distance + _EPSILON, output_type="ndarray")
        if 2 * len(pairs) / len(xy) > _MAX_MEAN_NEIGHBOURS:
            break
        bands.append(distance)
        z_scores.append(_moran_z(values, pairs))
    peak = _peak(z_scores)
    if peak is not None:
        band = bands[peak]
        rule = (f"incremental spatial autocorrelation: peak of global Moran's I z-score "
                f"({z_scores[peak]:.2f}) over {len(bands)} bands from {start:.0f} m by {step:.0f} m")
    else:
        band = _knn_fallback(xy, tree)
        rule = "no autocorrelation peak: mean distance to the K-th neighbour, K = 5 % of cells in [3, 30]"
    return max(band, 0.001 * extent), rule
