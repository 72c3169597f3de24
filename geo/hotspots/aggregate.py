"""Counting records (incidents, establishments) per unit, and per unit and time step.

A record with a point is counted in the unit covering it, by ``geo.join.assign_units`` (its
boundary rule included); a record without a point is counted in the commune its
``ref_commune_code`` names when ``ref_vintage`` is the vintage analysed (communes only: a grid
cell cannot be inferred from a commune). Records placed nowhere are counted as unplaced and
reported, never dropped silently.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import HotspotError, check_choice
from geo.hotspots.options import Unit, id_column
from geo.join import assign_units, check_same_crs, place_records
from geo.periods import Period, parse_period

Step = Literal["month", "quarter"]


def time_steps(start: date, end: date, *, step: Step = "month") -> list[Period]:
    """The consecutive months or quarters that make up ``[start, end)``.

    Examples
    --------
    >>> [p.label for p in time_steps(date(2018, 1, 1), date(2018, 7, 1), step="quarter")]
    ['2018-Q1', '2018-Q2']
    >>> len(time_steps(date(2016, 1, 1), date(2020, 1, 1)))
    48
    """
    check_choice("step", step, Step, error=HotspotError)
    months = 1 if step == "month" else 3
    first = start.year * 12 + start.month - 1
    last = end.year * 12 + end.month - 1
    if start.day != 1 or end.day != 1 or first % months or last % months or last <= first:
        raise HotspotError(f"[{start}, {end}) cannot be cut into whole {step}s; give a window "
                           f"starting and ending on {step} boundaries")
    steps = []
    for m in range(first, last, months):
        year, month = divmod(m, 12)
        steps.append(parse_period(f"{year}-{month + 1:02d}" if step == "month"
                                  else f"{year}-Q{month // 3 + 1}"))
    return steps


def locate_records(records: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *,
                   unit: Unit = "commune", vintage: str | None = None) -> pd.Series:
    """The unit each record falls in, indexed like ``records`` (``<NA>`` when none).

    Communes follow the one placement rule of :func:`geo.join.place_records` (the point, else a
    reference to a unit of ``vintage``), kept only when the unit is one of ``units``; grid cells
    are found by point alone (a cell cannot be inferred from a commune).

    Parameters
    ----------
    records : GeoDataFrame
        Points (or None) in the CRS of ``units``; for communes, optional ``ref_commune_code``
        and ``ref_vintage`` columns place records that have no point.
    units : GeoDataFrame
        Communes with ``commune_code`` or grid cells with ``cell_id``.
    unit : {"commune", "grid"}, default "commune"
    vintage : str, optional
        The boundary vintage of the communes; references to other vintages are ignored.

    Examples
    --------
    >>> from shapely import box, Point
    >>> units = gpd.GeoDataFrame({"commune_code": ["A", "B"]},
    ...                          geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    >>> records = gpd.GeoDataFrame({"ref_commune_code": [None, "B", "B", "Z"],
    ...     "ref_vintage": [None, "v1", "v0", "v1"]}, geometry=[Point(0.5, 0.5), None, None, None],
    ...     crs=4326)
    >>> locate_records(records, units, vintage="v1").tolist()
    ['A', 'B', <NA>, <NA>]
    """
    column = id_column(unit)
    _require(units, column)
    check_same_crs(records, units)
    if unit == "commune" and vintage is not None and {"ref_commune_code", "ref_vintage"} <= set(records):
        placed = place_records(records, units[[column, "geometry"]], vintage=vintage)
        return placed.where(placed.isin(units[column])).rename(None)
    found = pd.Series(pd.NA, index=records.index, dtype="string")
    has_point = records.geometry.notna() & ~records.geometry.is_empty
    if has_point.any():
        assigned = assign_units(records.geometry[has_point], units, code_column=column)
        found[has_point] = assigned.iloc[:, 0].astype("string")
    return found


def count_records(records: gpd.GeoDataFrame, units: gpd.GeoDataFrame, *,
                  unit: Unit = "commune", vintage: str | None = None) -> tuple[pd.Series, int]:
    """Count records per unit.

    Returns
    -------
    (Series, int)
        Counts named ``count`` indexed like ``units`` (0 where none), and the number of
        records no unit took.

    Examples
    --------
    >>> from shapely import box, Point
    >>> units = gpd.GeoDataFrame({"commune_code": ["A", "B"]},
    ...                          geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    >>> pts = gpd.GeoDataFrame(geometry=[Point(0.5, 0.5), Point(0.2, 0.2), Point(9, 9)], crs=4326)
    >>> counts, unplaced = count_records(pts, units)
    >>> counts.tolist(), unplaced
    ([2, 0], 1)
    """
    found = locate_records(records, units, unit=unit, vintage=vintage)
    tally = found.value_counts()
    counts = units[id_column(unit)].map(tally).fillna(0).astype("int64").rename("count")
    return counts, int(found.isna().sum())


def count_cube(records: gpd.GeoDataFrame, units: gpd.GeoDataFrame, steps: list[Period], *,
               unit: Unit = "commune", vintage: str | None = None,
               date_column: str = "event_date") -> tuple[pd.DataFrame, int]:
    """Count records per unit and time step: the space-time cube of emerging hot spots.

    Returns
    -------
    (DataFrame, int)
        Counts indexed like ``units`` with one column per step (its label), and the number
        of records dated within the steps that no unit took.

    Examples
    --------
    >>> from shapely import box, Point
    >>> units = gpd.GeoDataFrame({"commune_code": ["A"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    >>> recs = gpd.GeoDataFrame({"event_date": [date(2018, 1, 5), date(2018, 5, 1),
    ...     date(2019, 1, 1)]}, geometry=[Point(0.5, 0.5)] * 3, crs=4326)
    >>> cube, _ = count_cube(recs, units, time_steps(date(2018, 1, 1), date(2019, 1, 1),
    ...                                             step="quarter"))
    >>> cube.to_dict("records")
    [{'2018-Q1': 1, '2018-Q2': 1, '2018-Q3': 0, '2018-Q4': 0}]
    """
    _require(records, date_column)
    days = pd.to_datetime(records[date_column]).to_numpy("datetime64[D]")
    starts = np.array([p.start for p in steps], dtype="datetime64[D]")
    position = np.searchsorted(starts, days, side="right") - 1
    inside = (position >= 0) & (days < np.datetime64(steps[-1].end, "D"))
    found = locate_records(records[inside], units, unit=unit, vintage=vintage)
    row = pd.Index(units[id_column(unit)].astype("string")).get_indexer(found)
    placed = row >= 0
    table = np.zeros((len(units), len(steps)), dtype="int64")
    np.add.at(table, (row[placed], position[inside][placed]), 1)
    cube = pd.DataFrame(table, index=units.index, columns=[p.label for p in steps])
    return cube, int((~placed).sum())


def _require(frame: pd.DataFrame, column: str) -> None:
    if column not in frame:
        have = ", ".join(map(str, frame.columns))
        raise HotspotError(f"the frame has no {column!r} column; it has: {have}")
