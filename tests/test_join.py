"""geo.join on hand-drawn squares, and as a property against a brute-force oracle."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely import MultiPolygon, Point, Polygon, box

from geo.errors import CRSMismatchError
from geo.join import SMALL_BATCH, assign_units, assign_units_xy, build_unit_index

# A 2×2 grid of unit squares, codes deliberately not in spatial order.
UNITS = gpd.GeoDataFrame(
    {"commune_code": ["40", "10", "30", "20"]},
    geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(0, 1, 1, 2), box(1, 1, 2, 2)],
    crs=32648,
)


def codes(points):
    return assign_units(gpd.GeoSeries(points, crs=32648), UNITS)["commune_code"].tolist()


def test_interior_points_get_their_square():
    assert codes([Point(0.5, 0.5), Point(1.5, 0.5), Point(0.5, 1.5), Point(1.5, 1.5)]) == [
        "40", "10", "30", "20"]


def test_shared_edge_goes_to_the_lowest_code():
    # (1, 0.5) lies on the edge of 40 and 10; (1, 1) is the corner of all four.
    assert codes([Point(1, 0.5), Point(0.5, 1), Point(1, 1)]) == ["10", "30", "10"]


def test_points_outside_get_none_and_missing_geometries_too():
    out = assign_units(gpd.GeoSeries([Point(5, 5), None, Point(-0.0001, 0.5)], crs=32648), UNITS)
    assert out["commune_code"].isna().tolist() == [True, True, True]


def test_index_is_kept():
    pts = gpd.GeoSeries([Point(0.5, 0.5), Point(1.5, 1.5)], index=[17, 3], crs=32648)
    out = assign_units(pts, UNITS)
    assert out.index.tolist() == [17, 3] and out.loc[3, "commune_code"] == "20"


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
        covering = sorted(c for c, g in zip(UNITS["commune_code"], UNITS.geometry, strict=True)
                          if shapely.covers(g, p))
        expected.append(covering[0] if covering else None)
    got = assign_units(gpd.GeoSeries(points, crs=32648), UNITS)["commune_code"]
    assert [None if pd.isna(v) else v for v in got] == expected
    assert np.all(got.index == np.arange(len(points)))


# --- the grid index (geo.join.build_unit_index) ------------------------------------------

def brute_force(points, units, code_column="commune_code"):
    """The rule spelt out: every unit that covers the point, the lowest code, else None."""
    expected = []
    for p in points:
        covering = sorted(c for c, g in zip(units[code_column], units.geometry, strict=True)
                          if p is not None and not p.is_empty and g is not None and shapely.covers(g, p))
        expected.append(covering[0] if covering else None)
    return expected


def got(points, units, **kwargs):
    out = assign_units(gpd.GeoSeries(points, crs=units.crs), units, **kwargs).iloc[:, 0]
    return [None if pd.isna(v) else v for v in out]


# "50" is a U whose left arm has a hole, plus a separate square; "60" fills the hole;
# "07" closes the top of the U's notch, so the notch below it is outside every unit.
U_SHELL = [(0, 0), (6, 0), (6, 6), (4, 6), (4, 2), (2, 2), (2, 6), (0, 6), (0, 0)]
HOLE = [(0.5, 3), (1.5, 3), (1.5, 5), (0.5, 5), (0.5, 3)]
FANCY = gpd.GeoDataFrame(
    {"commune_code": ["60", "50", "07"]},
    geometry=[Polygon(HOLE),
              MultiPolygon([Polygon(U_SHELL, [HOLE]), box(8, 0, 9, 1)]),
              box(2, 4, 4, 6)],
    crs=32648,
)
FANCY_ANSWERS = {
    (1, 1): "50",       # in the U
    (1, 4): "60",       # in the hole
    (0.5, 4): "50",     # on the hole's ring: 50 and 60 both cover it
    (3, 3): None,       # in the notch under 07: concave, outside every unit
    (3, 5): "07",
    (2, 5): "07",       # edge shared by 50 and 07
    (2, 3): "50",       # 50's edge facing the empty notch
    (3, 4): "07",       # 07's edge facing the empty notch
    (4, 6): "07",       # corner of 50 and 07
    (8.5, 0.5): "50",   # the second part
    (9, 1): "50",       # its far corner
    (7, 0.5): None,     # between the parts
    (6.000001, 3): None,
}


@pytest.mark.parametrize("cell_size", [None, 0.5, 1.0, 0.37, 3.0, 0.01])
def test_concave_multipart_unit_with_a_hole_holding_another_unit(cell_size):
    index = build_unit_index(FANCY, cell_size=cell_size)
    points = [Point(xy) for xy in FANCY_ANSWERS]
    assert got(points, index) == list(FANCY_ANSWERS.values())
    assert got(points, FANCY) == list(FANCY_ANSWERS.values())


@pytest.mark.parametrize("cell_size", [0.25, 0.5, 2 / 3, 0.1])
def test_points_on_grid_cell_lines_and_cell_corners(cell_size):
    index = build_unit_index(UNITS, cell_size=cell_size)
    x0, size = index.origin[0], index.cell_size
    # Every cell line, cell centre and cell corner of the grid, plus the units' edges.
    ticks = np.unique(np.r_[x0 + size * np.arange(0, 2 * index.shape[1] + 1) / 2, 0, 1, 2])
    points = [Point(x, y) for x in ticks for y in ticks]
    assert got(points, index) == brute_force(points, UNITS)
    with_cells = [p for p in points if p.x in (x0 + size, x0 + 2 * size)]
    assert with_cells, "some points lie exactly on cell lines"


def test_a_cell_line_on_a_shared_edge_still_gives_the_lowest_code():
    # With cells of 2/3 the grid starts at -1/3, so the shared edge x = 1 is a cell line
    # up to rounding; points on it must still go to the lowest code whichever cell they hit.
    index = build_unit_index(UNITS, cell_size=2 / 3)
    assert index.origin[0] == pytest.approx(-1 / 3)
    points = [Point(1, y) for y in np.linspace(0, 2, 41)]
    assert got(points, index) == ["10"] * 20 + ["10"] + ["20"] * 20


def test_the_index_is_reused_and_answers_like_the_frame():
    index = build_unit_index(UNITS)
    points = [Point(0.5, 0.5), Point(1, 1), Point(1.5, 1), Point(3, 3), None]
    assert got(points, index) == got(points, UNITS) == ["40", "10", "10", None, None]
    assert len(index) == 4 and index.codes.tolist() == ["10", "20", "30", "40"]
    assert "4 units" in repr(index) and "EPSG:32648" in repr(index)


def test_building_leaves_the_input_unprepared():
    units = UNITS.copy()
    build_unit_index(units)
    assert not shapely.is_prepared(units.geometry.values).any()


def test_an_index_in_another_crs_is_an_error():
    index = build_unit_index(UNITS)
    with pytest.raises(CRSMismatchError, match="EPSG:4326 and EPSG:32648"):
        assign_units(gpd.GeoSeries([Point(0, 0)], crs=4326), index)


def test_empty_points_get_none():
    assert got([Point(), Point(0.5, 0.5), None, Point()], UNITS) == [None, "40", None, None]


@pytest.mark.parametrize(("geometry", "name"), [
    (box(0, 0, 1, 1), "Polygon"),
    (shapely.MultiPoint([(0.5, 0.5)]), "MultiPoint"),
    (shapely.LineString([(0, 0), (1, 1)]), "LineString"),
])
def test_non_points_are_refused_by_name(geometry, name):
    for points in ([Point(0.5, 0.5), geometry], [Point(), geometry]):  # with and without empties
        for units in (UNITS, build_unit_index(UNITS)):
            with pytest.raises(ValueError, match=f"point geometries.*a {name} at position 1"):
                assign_units(gpd.GeoSeries(points, crs=32648), units)


def test_units_must_be_polygons_and_cells_positive():
    lines = gpd.GeoDataFrame({"commune_code": ["a"]}, geometry=[shapely.LineString([(0, 0), (1, 1)])],
                             crs=32648)
    with pytest.raises(ValueError, match=r"polygons or multipolygons.*LineString"):
        build_unit_index(lines)
    with pytest.raises(ValueError, match="cell_size must be a positive"):
        build_unit_index(UNITS, cell_size=0)
    with pytest.raises(ValueError, match="take a larger one"):
        build_unit_index(UNITS, cell_size=1e-6)


def test_no_units_and_units_without_geometry_cover_nothing():
    empty = build_unit_index(UNITS.iloc[:0])
    assert got([Point(0.5, 0.5), None], empty) == [None, None]
    partly = UNITS.copy()
    partly.loc[0, "geometry"] = None  # "40", the lower left square
    assert got([Point(0.5, 0.5), Point(1, 0.5)], partly) == [None, "10"]


def test_overlapping_units_give_the_lowest_code_inside_too():
    units = gpd.GeoDataFrame({"commune_code": ["b", "a", "c"]},
                             geometry=[box(0, 0, 4, 4), box(1, 1, 3, 3), box(2, 2, 5, 5)], crs=32648)
    for cell_size in (None, 0.5, 0.3):
        points = [Point(2, 2), Point(2.5, 2.5), Point(0.5, 0.5), Point(4.5, 4.5), Point(3.5, 3.5)]
        assert got(points, units, code_column="commune_code") == ["a", "a", "b", "c", "b"]
        assert got(points, build_unit_index(units, cell_size=cell_size)) == ["a", "a", "b", "c", "b"]


# Property: any points, drawn freely or snapped onto the units' vertices and edges, and any
# cell size give the brute-force answer. The units add a triangle (slanted edges) and a
# square "25" overlapping three others to the 2×2 squares.
PROPERTY_UNITS = pd.concat([UNITS, gpd.GeoDataFrame(
    {"commune_code": ["15", "25"]},
    geometry=[Polygon([(2, 0), (3, 1), (2, 2)]), box(1.5, 1.5, 2.5, 2.5)], crs=32648)],
    ignore_index=True)
BOUNDARIES = list(PROPERTY_UNITS.boundary)
VERTICES = [tuple(c) for c in shapely.get_coordinates(PROPERTY_UNITS.geometry.values)]

free = st.tuples(st.floats(-0.5, 3.5, allow_nan=False), st.floats(-0.5, 3.5, allow_nan=False))
on_vertex = st.sampled_from(VERTICES)
on_edge = st.builds(lambda line, f: tuple(shapely.get_coordinates(line.interpolate(f, normalized=True))[0]),
                    st.sampled_from(BOUNDARIES), st.sampled_from([0.0, 0.125, 0.25, 0.3, 0.5, 0.75, 0.9])
                    | st.floats(0, 1))
lattice = st.tuples(*[st.integers(-2, 14).map(lambda k: k / 4)] * 2)


@settings(max_examples=150, deadline=None)
@given(st.lists(on_vertex | on_edge | free | lattice, min_size=1, max_size=60),
       st.sampled_from([None, 0.25, 0.3, 1.0, 2.5, 0.07]))
def test_matches_brute_force_on_vertices_edges_and_anywhere(xy, cell_size):
    points = [Point(x, y) for x, y in xy]
    index = build_unit_index(PROPERTY_UNITS, cell_size=cell_size)
    expected = brute_force(points, PROPERTY_UNITS)
    assert got(points, index) == expected
    assert got(points, PROPERTY_UNITS) == expected  # a small batch: no grid, an STRtree


def test_a_large_batch_given_the_frame_goes_through_the_grid_and_agrees():
    ticks = np.arange(-2, 15) / 4
    points = [Point(x, y) for x in ticks for y in ticks] * 9  # 2,601 points on a lattice
    assert len(points) >= SMALL_BATCH
    assert got(points, PROPERTY_UNITS) == brute_force(points[:289], PROPERTY_UNITS) * 9


boxes = st.lists(st.tuples(*[st.integers(0, 8)] * 4, st.text("abc", min_size=1, max_size=2)),
                 min_size=1, max_size=5)


@settings(max_examples=80, deadline=None)
@given(boxes, st.lists(lattice, min_size=1, max_size=40), st.sampled_from([None, 0.5, 0.75, 1.3]))
def test_random_boxes_sharing_edges_and_overlapping(spec, xy, cell_size):
    # Boxes on a half-unit lattice share edges and corners and overlap; so do the points.
    geoms = [box(min(a, c) / 2, min(b, d) / 2, max(a, c) / 2 + 0.5, max(b, d) / 2 + 0.5)
             for a, b, c, d, _ in spec]
    units = gpd.GeoDataFrame({"code": [s[4] for s in spec]}, geometry=geoms, crs=32648)
    points = [Point(x, y) for x, y in xy]
    index = build_unit_index(units, code_column="code", cell_size=cell_size)
    assert got(points, index) == brute_force(points, units, "code")


# --- coordinate arrays (geo.join.assign_units_xy) -----------------------------------------

def sjoin_lowest(x, y, units):
    """The rule by geopandas: ``sjoin(..., predicate="intersects")`` (= covers), lowest code per point."""
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(x, y), crs=units.crs)
    pairs = gpd.sjoin(points, units, predicate="intersects")
    lowest = pairs.groupby(level=0)["commune_code"].min()
    return [lowest.get(i) for i in range(len(x))]


@pytest.mark.parametrize("n", [300, SMALL_BATCH + 500])  # the STRtree path and the grid path
def test_arrays_answer_like_points_and_like_sjoin_with_nan_and_boundary_points(n):
    rng = np.random.default_rng(n)
    units = PROPERTY_UNITS
    x, y = rng.uniform(-0.5, 3.5, n), rng.uniform(-0.5, 3.5, n)
    # A third of the points on vertices and on edges (shared ones included: lowest code), on a
    # lattice of quarter units; some with a NaN coordinate, one or both.
    k = n // 3
    x[:k], y[:k] = rng.integers(-2, 15, (2, k)) / 4
    vertices = np.array(VERTICES)
    x[k:2 * k:2], y[k:2 * k:2] = vertices[rng.integers(0, len(vertices), len(x[k:2 * k:2]))].T
    x[2 * k:2 * k + 20], y[2 * k + 10:2 * k + 30] = np.nan, np.nan
    index = pd.RangeIndex(n) + 100
    by_xy = assign_units_xy(pd.Series(x, index=index), pd.Series(y, index=index), units, crs=32648)
    by_point = assign_units(gpd.GeoSeries(gpd.points_from_xy(x, y), index=index, crs=32648), units)
    pd.testing.assert_frame_equal(by_xy, by_point)
    by_index = assign_units_xy(x, y, build_unit_index(units), crs="EPSG:32648")["commune_code"]
    assert by_index.index.tolist() == list(range(n))
    assert by_index.tolist() == by_xy["commune_code"].tolist()
    expected = sjoin_lowest(np.nan_to_num(x, nan=99.0), np.nan_to_num(y, nan=99.0), units)
    assert [None if pd.isna(v) else v for v in by_xy["commune_code"]] == expected
    assert by_xy["commune_code"].iloc[2 * k:2 * k + 30].isna().all()
    assert by_xy["commune_code"].eq("10").any() and (expected.count(None) < n)


def test_arrays_on_shared_edges_give_the_lowest_code():
    x, y = np.array([1.0, 0.5, 1.0, 1.5, np.nan, 0.5]), np.array([0.5, 1.0, 1.0, 1.5, 0.5, np.nan])
    assert assign_units_xy(x, y, UNITS, crs=32648)["commune_code"].tolist() == ["10", "30", "10", "20", pd.NA,
                                                                              pd.NA]


def test_arrays_need_the_units_crs_and_equal_lengths():
    with pytest.raises(CRSMismatchError, match="EPSG:4326 and EPSG:32648"):
        assign_units_xy([0.5], [0.5], UNITS, crs=4326)
    with pytest.raises(CRSMismatchError, match="none and EPSG:32648"):
        assign_units_xy([0.5], [0.5], build_unit_index(UNITS), crs=None)
    with pytest.raises(ValueError, match="one length"):
        assign_units_xy([0.5, 1.0], [0.5], UNITS, crs=32648)


# --- the real 2025 layer: 95 communes at full resolution ---------------------------------

def tree_reference(points, units, code_column):
    """The former implementation: an STRtree ``covered_by`` query, lowest code per point."""
    codes = units[code_column].astype(str).to_numpy()
    point_idx, unit_idx = shapely.STRtree(units.geometry.values).query(
        np.asarray(points.values), predicate="covered_by")
    result = np.full(len(points), None, dtype=object)
    order = np.lexsort((codes[unit_idx], point_idx))
    first = np.unique(point_idx[order], return_index=True)[1]
    result[point_idx[order][first]] = codes[unit_idx[order][first]]
    return result.tolist()


@pytest.fixture(scope="module")
def communes_2025():
    from boundaries import load_province
    from boundaries.units import build_units

    province = load_province()
    units, _ = build_units(province, province.vintage("2025-07-01"))
    return units[units.level == "commune"]


@pytest.mark.slow
def test_real_2025_communes_agree_with_the_strtree_reference(communes_2025):
    assert len(communes_2025) == 95
    rng = np.random.default_rng(20250701)
    xmin, ymin, xmax, ymax = communes_2025.total_bounds
    n = 20_000
    uniform = shapely.points(rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n))
    # Points on the communes' own vertices and on their edges, where the rule decides.
    vertices = shapely.get_coordinates(communes_2025.geometry.values)
    picked = rng.choice(len(vertices) - 1, 3_000)
    on_vertex = shapely.points(vertices[picked])
    on_edge = shapely.points((vertices[picked] + vertices[picked + 1]) / 2)  # segment midpoints
    points = gpd.GeoSeries(np.concatenate([uniform, on_vertex, on_edge]), crs=communes_2025.crs)
    index = build_unit_index(communes_2025, code_column="code")
    result = assign_units(points, index)["code"]  # named after the index's code column
    assert [None if pd.isna(v) else v for v in result] == tree_reference(points, communes_2025, "code")
    assigned = result.iloc[:n].notna().mean()
    assert 0.45 < assigned < 0.6  # the province fills about half of its bounding box
    assert result.iloc[n:n + 3_000].notna().all()  # every vertex belongs to some commune
