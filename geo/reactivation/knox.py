"""Near-repeat (Knox) test over space-time bands, as the Ratcliffe Near Repeat Calculator reports it.

Every pair of events is placed in one cell of a grid of distance bands × time bands. The
**observed** count of a cell is compared with its **expected** count under no space-time
interaction: the mean over Monte Carlo permutations of the event dates across the (fixed)
event locations. The **Knox ratio** is observed / expected and the pseudo **p-value** is
one-sided (an excess of pairs): ``(1 + #{simulated ≥ observed}) / (permutations + 1)``.

Bands, stated exactly so that labels and computation agree (``methods.md`` §2.9: the NRC
computes a band labelled "a to b" as [a−1, b), which shifts date-only data by one day):

* distance: band 0 is **same location** (distance ≤ ``same_location_m``, default 0 m:
  identical projected points, e.g. records at one establishment); band *k* = 1 … *K* covers
  ``((k−1)·w, k·w]`` metres, labelled so (the first band starts just above the
  same-location tolerance); the last row is everything farther than *K·w*. Same-place pairs are thus
  never mixed into the first "near" band.
* time: band *j* = 1 … *J* covers whole-day lags ``(j−1)·w … j·w − 1`` (so "0–13 days",
  "14–27 days" for 14-day bands, every band the same number of days); the last band is
  every longer lag.

Pitfalls (``methods.md``): duplicates of one event (an incident and the inspection that
found it, at one place on one day) inflate the same-location, 0-day cell, whose count is
reported in ``params["same_place_same_day_pairs"]``: drop duplicates first if they are not
distinct events. Permuting dates conditions on both the spatial layout and the date
distribution, which deals with most edge effects, but pairs longer than the study period
cannot be observed: keep ``J·w`` well inside it. Distances are in ``WORK_CRS`` metres.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from geo.errors import ReactivationError
from geo.reactivation.frames import check_positive, day_numbers, require_columns, work_xy
from geo.reactivation.index import SpaceTimeIndex
from geo.settings import DEFAULT_SEED

KNOX_COLUMNS = ["distance_band", "time_band", "distance_min_m", "distance_max_m", "time_min_days",
                "time_max_days", "observed", "expected", "ratio", "p_value"]


@dataclass(frozen=True)
class KnoxResult:
    """The table of :func:`knox_test` (one row per distance band × time band) and its parameters."""

    table: pd.DataFrame
    params: dict = field(default_factory=dict)

    def matrix(self, value: str = "ratio") -> pd.DataFrame:
        """One column of the table as a distance × time matrix, in band order, as the NRC prints it."""
        pivot = self.table.pivot(index="distance_band", columns="time_band", values=value)
        return pivot.loc[self.table["distance_band"].unique(), self.table["time_band"].unique()]


def knox_test(events: gpd.GeoDataFrame, *, date_column: str = "date", distance_band_m: float = 100.0,
              n_distance_bands: int = 5, time_band_days: int = 14, n_time_bands: int = 5,
              same_location_m: float = 0.0, permutations: int = 999, seed: int = DEFAULT_SEED) -> KnoxResult:
    """Knox test of near repeats in distance bands × time bands, with Monte Carlo p-values.

    Parameters
    ----------
    events : GeoDataFrame
        Points (any CRS; projected to ``WORK_CRS``) and a date column. Rows without a point
        or a date are left out and counted in ``params``.
    date_column : str, default "date"
    distance_band_m : float, default 100
        Width of a distance band in metres.
    n_distance_bands : int, default 5
        Number of distance bands after "same location" (so 0–500 m by default).
    time_band_days : int, default 14
        Width of a time band in days.
    n_time_bands : int, default 5
        Number of time bands (so lags 0–69 days by default).
    same_location_m : float, default 0
        Pairs at most this far apart form the "same location" band.
    permutations : int, default 999
        Monte Carlo permutations of the dates (99 for a quick look; the smallest p-value is
        ``1 / (permutations + 1)``).
    seed : int, default ``geo.settings.DEFAULT_SEED``
        Seed of the permutations: the same seed gives the same p-values.

    Returns
    -------
    KnoxResult
        ``table``: ``distance_band, time_band`` (labels), the band bounds, ``observed``,
        ``expected``, ``ratio`` (NaN when expected is 0) and ``p_value``; ``params``: the
        options, the numbers of events used and skipped and of pairs.

    Examples
    --------
    >>> from shapely import Point
    >>> ev = gpd.GeoDataFrame({"date": pd.to_datetime(["2020-01-01", "2020-01-03", "2020-06-01"])},
    ...     geometry=[Point(0, 0), Point(50, 0), Point(5000, 0)], crs=32648)
    >>> r = knox_test(ev, permutations=99)
    >>> row = r.table.iloc[6]
    >>> row["distance_band"], row["time_band"], int(row["observed"])
    ('(0, 100] m', '0–13 days', 1)
    """
    require_columns(events, [date_column, "geometry"], "events")
    for name, value, integer in (("distance_band_m", distance_band_m, False),
                                 ("n_distance_bands", n_distance_bands, True),
                                 ("time_band_days", time_band_days, True),
                                 ("n_time_bands", n_time_bands, True), ("permutations", permutations, True)):
        check_positive(value, name, integer=integer)
    if not 0 <= same_location_m < distance_band_m:
        raise ReactivationError(f"same_location_m must lie in [0, distance_band_m), got {same_location_m!r}")
    x, y, t, skipped = _points(events, date_column)
    bands = _Bands(distance_band_m, n_distance_bands, time_band_days, n_time_bands, same_location_m)
    close_i, close_j, dband = _close_pairs(x, y, bands)
    observed = _cell_counts(t, close_i, close_j, dband, bands)
    sims = _simulate(t, close_i, close_j, dband, bands, permutations, seed)
    table = _table(bands, observed, sims)
    params = {"distance_band_m": float(distance_band_m), "n_distance_bands": n_distance_bands,
              "time_band_days": time_band_days, "n_time_bands": n_time_bands,
              "same_location_m": float(same_location_m), "permutations": permutations, "seed": seed,
              "events": len(t), "events_skipped": skipped, "pairs": len(t) * (len(t) - 1) // 2,
              "close_pairs": len(close_i), "same_place_same_day_pairs": int(observed[0, 0])}
    return KnoxResult(table, params)


@dataclass(frozen=True)
class _Bands:
    """Band widths and counts; the last distance row and the last time column are open-ended."""

    dist_w: float
    n_dist: int
    time_w: int
    n_time: int
    same_m: float

    @property
    def shape(self) -> tuple[int, int]:
        """(same location + K bands + beyond, J bands + beyond)."""
        return self.n_dist + 2, self.n_time + 1

    def distance_index(self, d: np.ndarray) -> np.ndarray:
        """0 for same location, k for ((k−1)w, kw], K+1 beyond."""
        k = np.ceil(d / self.dist_w).astype(np.int64)
        k = np.clip(np.maximum(k, 1), 1, self.n_dist + 1)
        return np.where(d <= self.same_m, 0, k)

    def time_index(self, lag: np.ndarray) -> np.ndarray:
        """0 … J−1 for the bands, J for every longer lag."""
        return np.minimum(lag // self.time_w, self.n_time).astype(np.int64)


def _points(events, date_column) -> tuple[np.ndarray, np.ndarray, np.ndarray, int]:
    """Projected coordinates and day numbers of the usable events (and how many were not)."""
    if len(events):
        x, y = work_xy(events, "events")
    else:
        x, y = np.empty(0), np.empty(0)
    t = day_numbers(events[date_column])
    keep = np.isfinite(x) & np.isfinite(y) & np.isfinite(t)
    return x[keep], y[keep], t[keep].astype(np.int64), int((~keep).sum())


def _close_pairs(x, y, bands: _Bands) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs i < j within the outermost distance band, with their distance band index."""
    if len(x) < 2:
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, empty
    reach = max(bands.dist_w * bands.n_dist, bands.same_m)
    pairs = cKDTree(np.column_stack([x, y])).query_pairs(reach, output_type="ndarray")
    i, j = pairs[:, 0].astype(np.int64), pairs[:, 1].astype(np.int64)
    return i, j, bands.distance_index(np.hypot(x[i] - x[j], y[i] - y[j]))


def _lag_counts(t: np.ndarray, bands: _Bands) -> np.ndarray:
    """Pairs of all events per time band (invariant under permutation of the dates)."""
    s = np.sort(t)
    edges = [bands.time_w * j for j in range(1, bands.n_time + 1)]
    within = [int((np.searchsorted(s, s + e, side="left") - np.arange(len(s)) - 1).sum()) for e in edges]
    # ``within[j]``: pairs with lag < (j+1)·w (the −1 drops each event's pair with itself;
    # ties are handled because lags are counted once from the earlier element of each pair).
    cumulative = np.array([*within, len(s) * (len(s) - 1) // 2])
    return np.diff(np.r_[0, cumulative])


def _cell_counts(t, i, j, dband, bands: _Bands) -> np.ndarray:
    """Observed pair counts per (distance band, time band); the far row from the totals."""
    rows, cols = bands.shape
    grid = np.zeros((rows, cols), dtype=np.int64)
    tband = bands.time_index(np.abs(t[i] - t[j]))
    np.add.at(grid, (dband, tband), 1)
    grid[-1] = _lag_counts(t, bands) - grid[:-1].sum(axis=0)
    return grid


def _simulate(t, i, j, dband, bands: _Bands, permutations: int, seed: int) -> np.ndarray:
    """Cell counts for each permutation of the dates over the locations."""
    rng = np.random.default_rng(seed)
    rows, cols = bands.shape
    totals = _lag_counts(t, bands)
    out = np.zeros((permutations, rows, cols), dtype=np.int64)
    flat = dband * cols
    for k in range(permutations):
        shuffled = t[rng.permutation(len(t))]
        cells = flat + bands.time_index(np.abs(shuffled[i] - shuffled[j]))
        grid = np.bincount(cells, minlength=rows * cols).reshape(rows, cols)
        grid[-1] = totals - grid[:-1].sum(axis=0)
        out[k] = grid
    return out


def _table(bands: _Bands, observed: np.ndarray, sims: np.ndarray) -> pd.DataFrame:
    """The tidy table: one row per cell, distance bands outer, time bands inner."""
    expected = sims.mean(axis=0)
    p_value = (1 + (sims >= observed[None]).sum(axis=0)) / (len(sims) + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(expected > 0, observed / expected, np.nan)
    d_labels, d_lo, d_hi = _distance_labels(bands)
    t_labels, t_lo, t_hi = _time_labels(bands)
    rows, cols = bands.shape
    r, c = np.divmod(np.arange(rows * cols), cols)
    return pd.DataFrame({
        "distance_band": np.array(d_labels)[r], "time_band": np.array(t_labels)[c],
        "distance_min_m": np.array(d_lo)[r], "distance_max_m": np.array(d_hi)[r],
        "time_min_days": np.array(t_lo)[c], "time_max_days": np.array(t_hi)[c],
        "observed": observed.ravel(), "expected": expected.ravel(), "ratio": ratio.ravel(),
        "p_value": p_value.ravel(),
    }, columns=KNOX_COLUMNS)


def _distance_labels(bands: _Bands) -> tuple[list[str], list[float], list[float]]:
    """Labels and bounds of the distance rows: (min, max] metres, [0, tolerance] for the first."""
    w, k = bands.dist_w, bands.n_dist
    lows = [0.0, bands.same_m] + [(n - 1) * w for n in range(2, k + 2)]
    highs = [bands.same_m] + [n * w for n in range(1, k + 1)] + [np.inf]
    labels = ["same location"] + [f"({_num(lo)}, {_num(hi)}] m" for lo, hi in zip(lows[1:-1], highs[1:-1],
                                                                                strict=True)]
    labels.append(f"> {_num(k * w)} m")
    return labels, [float(v) for v in lows], [float(v) for v in highs]


def _time_labels(bands: _Bands) -> tuple[list[str], list[float], list[float]]:
    """Labels and inclusive [min, max] whole-day lags of the time columns (max inf for the last)."""
    w, j = bands.time_w, bands.n_time
    labels = [f"{(n - 1) * w}–{n * w - 1} days" for n in range(1, j + 1)] + [f"≥ {j * w} days"]
    lows = [float((n - 1) * w) for n in range(1, j + 2)]
    highs = [float(n * w - 1) for n in range(1, j + 1)] + [np.inf]
    return labels, lows, highs


def _num(value: float) -> str:
    """A band bound without a needless ``.0``."""
    return f"{value:g}"


def events_near_clearings(evidence: gpd.GeoDataFrame, reactivations, *,
                          radius_m: float = 500.0) -> gpd.GeoDataFrame:
    """The evidence within ``radius_m`` of a site during one of its clearing spells.

    The events to give :func:`knox_test` for near repeats *around cleared sites*: dated
    after a clearing of a site (not on its day) up to the spell's end, and within the
    radius (metres, ``WORK_CRS``) of that site. Each event is kept once.

    Parameters
    ----------
    evidence : GeoDataFrame
        From :func:`geo.reactivation.collect_evidence`.
    reactivations : Reactivations
        From :func:`geo.reactivation.track_reactivations` (its ``sites`` and ``clearings``).
    radius_m : float, default 500
        The neighbourhood of a site, in metres (the Knox bands' reach by default).

    Returns
    -------
    GeoDataFrame
        The selected rows of ``evidence``, index and order kept.

    Examples
    --------
    >>> from shapely import Point
    >>> from geo.reactivation.detection import track_reactivations
    >>> sites = gpd.GeoDataFrame({"site_id": [1], "site_kind": ["public"]},
    ...                          geometry=[Point(700000, 1200000)], crs=32648)
    >>> events = pd.DataFrame({"event_id": [1], "site_id": [1], "event_date": ["2020-01-01"],
    ...                        "event_type": ["cleared"]})
    >>> evidence = gpd.GeoDataFrame({"source": ["incident"] * 3, "record_id": [7, 8, 9],
    ...     "date": pd.to_datetime(["2019-12-01", "2020-02-01", "2020-02-01"]),
    ...     "establishment_id": pd.array([None] * 3, dtype="Int64"),
    ...     "site_id": pd.array([None] * 3, dtype="Int64")},
    ...     geometry=[Point(700100, 1200000), Point(700400, 1200000), Point(701000, 1200000)],
    ...     crs=32648)
    >>> result = track_reactivations(sites, events, evidence, as_of="2020-12-31")
    >>> events_near_clearings(evidence, result)["record_id"].tolist()  # 7: before; 9: 1 km
    [8]
    """
    check_positive(radius_m, "radius_m")
    spells = reactivations.clearings
    sites = reactivations.sites
    x, y = work_xy(sites, "sites") if len(sites) else (np.empty(0), np.empty(0))
    pos = pd.Index(sites["site_id"]).get_indexer(spells["site_id"])
    ex, ey = work_xy(evidence, "evidence") if len(evidence) else (np.empty(0), np.empty(0))
    index = SpaceTimeIndex(ex, ey, day_numbers(evidence["date"]))
    _, hit, _ = index.query_many(x[pos], y[pos], day_numbers(spells["cleared_date"]) + 1,
                                 day_numbers(spells["end_date"]), radius_m)
    return evidence.iloc[np.unique(hit)]
