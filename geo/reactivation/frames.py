"""Input frames of the reactivation engine: column and option checks, day numbers, metres.

Dates become whole day numbers (days since 1970-01-01) so that time is an integer axis;
points become ``x, y`` in ``WORK_CRS`` metres, NaN where a record has no point (records
placed only by a commune reference). Every check raises
:class:`geo.errors.ReactivationError` naming the bad value and the allowed ones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.errors import ReactivationError
from geo.settings import WORK_CRS

EPOCH = np.datetime64("1970-01-01", "D")


def require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    """Raise when ``frame`` lacks one of ``columns``.

    Examples
    --------
    >>> require_columns(pd.DataFrame({"a": [1]}), ["a", "b"], "sites")
    Traceback (most recent call last):
    ...
    geo.errors.ReactivationError: sites lacks column(s) ['b']; it has ['a']
    """
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ReactivationError(f"{what} lacks column(s) {missing}; it has {list(frame.columns)}")


def check_positive(value, name: str, *, integer: bool = False):
    """Return ``value`` when it is a positive number (an integer if asked); otherwise raise.

    Examples
    --------
    >>> check_positive(100, "radius_m")
    100
    >>> check_positive(0, "radius_m")
    Traceback (most recent call last):
    ...
    geo.errors.ReactivationError: radius_m must be a positive number, got 0
    """
    kind = "integer" if integer else "number"
    ok = isinstance(value, int | np.integer) if integer else isinstance(value, int | float | np.number)
    if isinstance(value, bool) or not ok or not np.isfinite(value) or value <= 0:
        raise ReactivationError(f"{name} must be a positive {kind}, got {value!r}")
    return value


def day_numbers(values) -> np.ndarray:
    """Whole days since 1970-01-01 of dates, as float (NaN for missing dates).

    Examples
    --------
    >>> day_numbers([date(1970, 1, 2), None, "2020-01-01"]).tolist()
    [1.0, nan, 18262.0]
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    stamps = pd.to_datetime(series)
    days = stamps.to_numpy().astype("datetime64[D]")
    out = (days - EPOCH).astype(np.int64).astype(float)
    out[np.isnat(days)] = np.nan
    return out


def day_dates(days) -> np.ndarray:
    """Day numbers back to ``datetime64[s]`` dates (NaT for NaN).

    Examples
    --------
    >>> day_dates([18262.0, float("nan")]).astype(str).tolist()
    ['2020-01-01T00:00:00', 'NaT']
    """
    arr = np.asarray(days, dtype=float)
    out = np.full(arr.shape, np.datetime64("NaT"), dtype="datetime64[s]")
    ok = np.isfinite(arr)
    out[ok] = (EPOCH + arr[ok].astype(np.int64).astype("timedelta64[D]")).astype("datetime64[s]")
    return out


def to_date(day: float) -> date | None:
    """The calendar date of a day number (None for NaN).

    Examples
    --------
    >>> to_date(18262.0), to_date(float("nan"))
    (datetime.date(2020, 1, 1), None)
    """
    if day is None or not np.isfinite(day):
        return None
    return (EPOCH + np.timedelta64(int(day), "D")).astype(object)


def as_day(value: date | str | None) -> float | None:
    """The day number of one date given as a ``date`` or ISO string (None stays None).

    Examples
    --------
    >>> as_day("2020-01-01")
    18262.0
    """
    if value is None:
        return None
    day = day_numbers([value])[0]
    if np.isnan(day):
        raise ReactivationError(f"{value!r} is not a date; give a date or an ISO string YYYY-MM-DD")
    return float(day)


def work_xy(frame: gpd.GeoDataFrame | gpd.GeoSeries, what: str) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in ``WORK_CRS`` metres, NaN where the geometry is missing or empty.

    The input must carry a CRS (any): a frame without one raises rather than being
    guessed. Non-point geometries (a line site) are represented by their centroid.

    Examples
    --------
    >>> from shapely import Point
    >>> x, y = work_xy(gpd.GeoSeries([Point(106.82, 10.95), None], crs=4326), "incidents")
    >>> round(float(x[0])), round(float(y[0])), bool(np.isnan(x[1]))
    (698888, 1211051, True)
    """
    if frame.crs is None:
        raise ReactivationError(f"{what} has no CRS; set it with .set_crs('EPSG:4326') first")
    geoms = frame.geometry if isinstance(frame, gpd.GeoDataFrame) else frame
    work = geoms.to_crs(WORK_CRS).to_numpy()
    missing = shapely.is_missing(work) | shapely.is_empty(work)
    points = shapely.centroid(np.where(missing, None, work))
    x = np.where(missing, np.nan, shapely.get_x(points))
    y = np.where(missing, np.nan, shapely.get_y(points))
    return x.astype(float), y.astype(float)


def id_lists(owner: np.ndarray, ids: np.ndarray, n: int) -> list[list[int]]:
    """Group ``ids`` by ``owner`` position (0 … n−1) into sorted, de-duplicated lists.

    Examples
    --------
    >>> id_lists(np.array([1, 1, 0]), np.array([7, 3, 5]), 3)
    [[5], [3, 7], []]
    """
    out: list[list[int]] = [[] for _ in range(n)]
    for o, i in zip(np.asarray(owner).tolist(), np.asarray(ids).tolist(), strict=True):
        out[o].append(int(i))
    return [sorted(set(v)) for v in out]
