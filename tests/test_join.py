"""geo.join on hand-drawn squares, and as a property against a brute-force oracle."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import Point, box

from geo.errors import CRSMismatchError
from geo.join import assign_units

# A 2×2 grid of unit squares, codes deliberately not in spatial order.
UNITS = gpd.GeoDataFrame(
    {"unit_code": ["40", "10", "30", "20"]},
    geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2), box(1, 1, 2, 2)],
    crs=32648,
)


def codes(points):
    return assign_units(gpd.GeoSeries(points, crs=32648), UNITS)["unit_code"].tolist()


def test_interior_points_get_their_square():
    assert codes([Point(0.5, 0.5), Point(1.5, 0.5), Point(0.5, 1.5), Point(1.5, 1.5)]) == [
        "40", "10", "30", "20"]


def test_shared_edge_goes_to_the_lowest_code():
    # (1, 0.5) lies on the edge of 40 and 10; (1, 1) is the corner of all four.
    assert codes([Point(1, 0.5), Point(0.5, 1), Point(1, 1)]) == ["10", "30", "10"]


def test_points_outside_get_none_and_missing_geometries_too():
    out = assign_units(gpd.GeoSeries([Point(5, 5), None, Point(-0.0001, 0.5)], crs=32648), UNITS)
    assert out["unit_code"].isna().tolist() == [True, True, True]


def test_index_is_kept():
    pts = gpd.GeoSeries([Point(0.5, 0.5), Point(1.5, 1.5)], index=[17, 3], crs=32648)
    out = assign_units(pts, UNITS)
    assert out.index.tolist() == [17, 3] and out.loc[3, "unit_code"] == "20"


def test_different_crs_is_an_error_not_a_warning():
    with pytest.raises(CRSMismatchError, match="EPSG:4326 and EPSG:32648"):
        assign_units(gpd.GeoSeries([Point(0, 0)], crs=4326), UNITS)


coordinate = st.floats(min_value=-0.5, max_value=2.5, allow_nan=False).map(lambda v: round(v, 1))


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(coordinate, coordinate), min_size=1, max_size=40))
def test_matches_brute_force(xy):
    points = [Point(x, y) for x, y in xy]
    expected = []
    for p in points:
        covering = sorted(c for c, g in zip(UNITS["unit_code"], UNITS.geometry, strict=True)
                          if shapely.covers(g, p))
        expected.append(covering[0] if covering else None)
    got = assign_units(gpd.GeoSeries(points, crs=32648), UNITS)["unit_code"]
    assert [None if pd.isna(v) else v for v in got] == expected
    assert np.all(got.index == np.arange(len(points)))
