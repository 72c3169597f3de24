"""The hotspot engine on hand-made data with answers checkable on paper, and the CLI on PostGIS."""

import json
import math
import re
import shutil
import subprocess
from dataclasses import FrozenInstanceError
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner
from scipy.stats import kendalltau, norm
from shapely import Point, box

from geo import hotspots as hs
from geo.errors import CRSMismatchError, DiabanError, HotspotError
from geo.hotspots.inference import normal_p, two_sided_p
from geo.hotspots.trend import mann_kendall_rows
from geo.hotspots.weights import _knn_fallback, contiguity_graph, space_time_graph
from geo.settings import WORK_CRS

# ---------------------------------------------------------------- builders


def lattice(n, values=None, *, code="commune_code", size=1.0, crs=None):
    """An n × n lattice of unit squares, numbered row by row from the south-west corner."""
    cells = [box(i * size, j * size, (i + 1) * size, (j + 1) * size)
             for j in range(n) for i in range(n)]
    frame = gpd.GeoDataFrame({code: [f"{k:03d}" for k in range(n * n)]}, geometry=cells, crs=crs)
    if values is not None:
        frame["value"] = np.asarray(values, dtype=float)
    return frame


def block_values(n=5, block=3, high=10.0, low=1.0):
    """High values on a centred block × block square, low elsewhere."""
    start = (n - block) // 2
    inside = [(j * n + i) for j in range(start, start + block) for i in range(start, start + block)]
    return [high if k in inside else low for k in range(n * n)]


def gi_star_numpy(values, adjacency):
    """Getis & Ord (1992) G*_i z-scores with binary weights, self included, straight from the paper."""
    x = np.asarray(values, dtype=float)
    w = adjacency + np.eye(len(x))
    n, mean = len(x), x.mean()
    s = np.sqrt((x ** 2).mean() - mean ** 2)
    wi, s1i = w.sum(axis=1), (w ** 2).sum(axis=1)
    return (w @ x - mean * wi) / (s * np.sqrt((n * s1i - wi ** 2) / (n - 1)))


def queen_adjacency(n):
    """Queen contiguity of the n × n lattice, by hand."""
    a = np.zeros((n * n, n * n))
    for k in range(n * n):
        i, j = k % n, k // n
        for di in (-1, 0, 1):
            for dj in (-1, 0, 1):
                if (di or dj) and 0 <= i + di < n and 0 <= j + dj < n:
                    a[k, (j + dj) * n + i + di] = 1
    return a


# ---------------------------------------------------------------- Gi*


def test_gi_star_z_scores_equal_the_getis_ord_formula():
    values = np.random.default_rng(3).poisson(3, 16)
    result = hs.gi_star(lattice(4, values))
    assert np.allclose(result["z_score"], gi_star_numpy(values, queen_adjacency(4)))
    assert np.allclose(result["p_value"], 2 * norm.sf(np.abs(result["z_score"])))


def test_a_block_of_high_values_is_hot_in_the_centre_and_not_in_the_corners():
    analytic = hs.gi_star(lattice(5, block_values()))
    assert analytic.loc[12, "hotspot_class"] == "hot 99" and analytic.loc[12, "p_fdr"] < 0.01
    result = hs.gi_star(lattice(5, block_values()), inference="permutation", fdr=False)
    classes = result["hotspot_class"].to_numpy().reshape(5, 5)
    assert classes[2, 2] == "hot 99"  # p = 0.002: no draw of 8 neighbours beats 8 highs
    assert result.loc[12, "p_value"] == pytest.approx(2 / 1000)
    assert result.loc[12, "z_score"] == pytest.approx(norm.isf(0.001))  # the z of that p
    corners = [0, 4, 20, 24]
    assert set(result.loc[corners, "hotspot_class"]) <= {"not significant", "cold 95", "cold 99"}
    assert (result.loc[corners, "z_score"] <= 0).all()
    # With FDR over 25 units 999 permutations are just enough: the centre's 0.002 becomes
    # 0.05, hot 95, z and p unchanged.
    with_fdr = hs.gi_star(lattice(5, block_values()), inference="permutation")
    assert with_fdr.attrs["parameters"].permutations == 999
    assert with_fdr.loc[12, "hotspot_class"] == "hot 95"
    assert with_fdr.loc[12, "p_fdr"] == pytest.approx(0.002 * 25)
    assert np.array_equal(with_fdr["p_value"], result["p_value"])


def test_alpha_sets_the_weakest_confidence_bin():
    options = {"inference": "permutation", "fdr": False}
    result = hs.gi_star(lattice(5, block_values()), alpha=0.10, **options)
    edges = result.loc[[7, 11, 13, 17], "hotspot_class"]  # p between 0.05 and 0.10
    assert (result.loc[[7, 11, 13, 17], "p_value"].between(0.05, 0.10)).all()
    assert set(edges) == {"hot 90"}
    assert set(hs.gi_star(lattice(5, block_values()), **options).loc[edges.index, "hotspot_class"]) \
        == {"not significant"}


def test_an_island_gets_no_z_score_and_no_class():
    units = lattice(4, np.arange(16) % 5)
    island = gpd.GeoDataFrame({"commune_code": ["ISL"], "value": [40.0]}, geometry=[box(9, 9, 10, 10)])
    units = pd.concat([units, island], ignore_index=True)
    for function in (hs.gi_star, hs.local_moran):
        result = function(units)
        row = result.iloc[-1]
        assert row["hotspot_class"] == "no neighbours" and row["neighbours"] == 0
        assert np.isnan(row["z_score"]) and np.isnan(row["p_value"]) and np.isnan(row["p_fdr"])
        assert result["p_fdr"].notna().sum() == 16  # the FDR family leaves the island out
        assert result.attrs["parameters"].no_neighbours == ("ISL",)


def test_the_islands_value_still_counts_in_the_mean_and_variance():
    units = pd.concat([lattice(4, np.arange(16) % 5), gpd.GeoDataFrame(
        {"commune_code": ["ISL"], "value": [40.0]}, geometry=[box(9, 9, 10, 10)])], ignore_index=True)
    adjacency = np.zeros((17, 17))
    adjacency[:16, :16] = queen_adjacency(4)
    expected = gi_star_numpy(units["value"], adjacency)[:16]
    assert np.allclose(hs.gi_star(units)["z_score"][:16], expected)


def test_a_fixed_seed_gives_identical_p_values_and_another_seed_different_ones():
    units = lattice(5, np.random.default_rng(1).poisson(2, 25))
    first = hs.gi_star(units, inference="permutation", seed=11)["p_value"]
    assert first.equals(hs.gi_star(units, inference="permutation", seed=11)["p_value"])
    assert not first.equals(hs.gi_star(units, inference="permutation", seed=12)["p_value"])
    np.random.seed(5)
    before = np.random.random()
    np.random.seed(5)
    hs.gi_star(units, inference="permutation", seed=11)
    assert np.random.random() == before  # esda's seeding does not leak into numpy's global state


def test_rates_leave_out_units_without_a_denominator():
    units = lattice(4, np.arange(16) + 1)
    units["establishments"] = [0, 2] * 8
    result = hs.gi_star(units, denominator_column="establishments")
    assert (result.loc[units["establishments"] == 0, "hotspot_class"] == "no denominator").all()
    assert result.loc[1, "value"] == pytest.approx(2 / 2)
    assert result.loc[0, ["value", "z_score"]].isna().all()
    assert result.attrs["parameters"].value == "value per establishments"


def test_the_input_index_is_kept_and_the_parameters_recorded():
    units = lattice(5, block_values())
    units.index = [f"u{k}" for k in range(25)]
    result = hs.gi_star(units, inference="permutation", permutations=1999, seed=7, period="2018",
                        vintage="75:2010-02-06", as_of={"as_of": date(2026, 1, 2), "synthetic": True})
    assert list(result.index) == list(units.index)
    assert list(result.columns) == ["commune_code", "value", "neighbours", "z_score", "p_value",
                                    "p_fdr", "hotspot_class", "geometry"]
    p = result.attrs["parameters"]
    assert (p.method, p.weights, p.inference, p.permutations, p.seed, p.alpha, p.fdr, p.period,
            p.vintage, p.as_of, p.synthetic) == ("gi_star", "queen contiguity, binary", "permutation",
                                                 1999, 7, 0.05, True, "2018", "75:2010-02-06",
                                                 "2026-01-02", True)
    default = hs.gi_star(units).attrs["parameters"]
    assert (default.inference, default.permutations, default.seed) == ("analytic", None, None)
    assert default.p_value == "two-sided normal p-value of the analytic z-score"
    with pytest.raises(FrozenInstanceError):
        p.seed = 8
    assert units.columns.tolist() == ["commune_code", "geometry", "value"]  # input untouched


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"unit": "district"}, "unit='district' is not allowed; use one of: 'commune', 'grid'"),
    ({"inference": "permutation", "permutations": 9}, "permutations=9 is too few"),
    ({"inference": "bootstrap"},
     "inference='bootstrap' is not allowed; use one of: 'analytic', 'permutation'"),
    ({"permutations": 999}, "permutations=999 applies to inference='permutation' only"),
    # 16 units with FDR: the smallest pseudo p, 2/200, can never reach 0.05/16
    ({"inference": "permutation", "permutations": 199},
     "permutations=199 cannot find any hot or cold spot among 16 tests with the FDR correction"),
    ({"value_column": "nope"}, "units have no 'nope' column"),
])
def test_bad_options_name_the_allowed_values(kwargs, message):
    with pytest.raises(HotspotError, match=re.escape(message)):
        hs.gi_star(lattice(4, np.arange(16)), **kwargs)


def test_no_variation_and_metric_grids_are_refused_with_the_fix():
    with pytest.raises(HotspotError, match="no variation"):
        hs.gi_star(lattice(4, np.ones(16)))
    with pytest.raises(CRSMismatchError, match="to_crs"):
        hs.gi_star(lattice(4, np.arange(16), code="cell_id", crs=4326), unit="grid")
    assert issubclass(HotspotError, DiabanError) and issubclass(HotspotError, ValueError)


def test_gi_star_on_a_grid_uses_a_distance_band_in_metres():
    values = block_values(n=8, block=3, high=9, low=0)
    cells = lattice(8, values, code="cell_id", size=500, crs=WORK_CRS)
    result = hs.gi_star(cells, unit="grid", distance_band_m=500, fdr=False)
    assert result.loc[27, "neighbours"] == 4  # rook-like: the 4 cells 500 m away
    assert result["neighbours"].min() == 2
    assert result.loc[27, "hotspot_class"].startswith("hot")
    assert result.attrs["parameters"].weights == "distance band 500 m between cell centres, binary"
    default = hs.gi_star(cells, unit="grid", fdr=False)
    assert default.attrs["parameters"].distance_band_m >= 500
    assert default.attrs["parameters"].distance_rule.startswith(("incremental", "no autocorrelation"))


# ---------------------------------------------------------------- inference pieces


def test_benjamini_hochberg_against_a_hand_worked_example():
    # Sorted p: 0.01, 0.03, 0.04, 0.20 (m = 4) → p·m/rank: 0.04, 0.06, 0.0533, 0.20;
    # running minimum from the largest rank down: 0.04, 0.0533, 0.0533, 0.20.
    adjusted = hs.benjamini_hochberg([0.04, 0.01, 0.20, 0.03])
    assert adjusted == pytest.approx([4 * 0.04 / 3, 0.04, 0.20, 4 * 0.04 / 3])


def test_benjamini_hochberg_decides_as_the_step_up_rule():
    rng = np.random.default_rng(0)
    for _ in range(50):
        p = np.concatenate([rng.uniform(0, 0.02, rng.integers(0, 6)), rng.uniform(0, 1, 15)])
        adjusted = hs.benjamini_hochberg(p)
        for q in (0.01, 0.05, 0.10):
            ranked = np.sort(p)
            passing = np.flatnonzero(ranked <= q * np.arange(1, len(p) + 1) / len(p))
            cutoff = ranked[passing.max()] if passing.size else -1.0
            assert set(np.flatnonzero(adjusted <= q)) == set(np.flatnonzero(p <= cutoff))


def test_two_sided_pseudo_p_values_count_ties_on_both_sides():
    simulated = np.array([[0.0] * 600 + [1.0] * 399, list(range(999))], dtype=float)
    p = two_sided_p(np.array([0.0, 5000.0]), simulated)
    assert p.tolist() == [1.0, 2 / 1000]


# ---------------------------------------------------------------- Local Moran's I


def test_local_moran_finds_a_high_outlier_and_the_clusters():
    values = np.zeros(49)
    values[24] = 20.0  # one high unit in the middle of lows
    for inference in ("analytic", "permutation"):
        result = hs.local_moran(lattice(7, values), fdr=False, inference=inference)
        assert result.loc[24, "hotspot_class"] == "HL" and result.loc[24, "z_score"] < 0
        split = hs.local_moran(lattice(5, [9 if k % 5 < 2 else 0 for k in range(25)]), fdr=False,
                               inference=inference)
        assert split.loc[10, "hotspot_class"] == "HH" and split.loc[13, "hotspot_class"] == "LL"
        assert set(split["hotspot_class"]) <= {"HH", "LL", "HL", "LH", "not significant"}
        assert np.allclose(split["p_value"], normal_p(split["z_score"]))


def test_local_morans_analytic_moments_are_those_of_random_permutations_of_all_values():
    from geo.hotspots.inference import moran_local_moments
    from geo.hotspots.weights import distance_band_graph

    rng = np.random.default_rng(1)
    graph = distance_band_graph(rng.uniform(0, 10, (30, 2)), 2.5)
    y, n = rng.poisson(3, 30).astype(float), 30
    w = graph.sparse.toarray()
    sums = w.sum(axis=1, keepdims=True)
    w = np.divide(w, sums, out=np.zeros_like(w), where=sums > 0)

    def local_i(values):  # esda's scaling: (n - 1) z_i Σ w_ij z_j / Σ z²
        z = values - values.mean()
        return (n - 1) * z * (w @ z) / (z @ z)

    simulated = np.array([local_i(rng.permutation(y)) for _ in range(40_000)])
    expected, variance = moran_local_moments(y, graph)
    has = graph.cardinalities.to_numpy() > 0
    assert np.allclose(expected[has], simulated.mean(axis=0)[has], atol=0.01)
    assert np.allclose(variance[has], simulated.var(axis=0)[has], rtol=0.05)


# ---------------------------------------------------------------- grids, counts, weights


def test_square_grid_cells_are_aligned_and_named_by_their_corner():
    area = gpd.GeoSeries([box(150, 250, 2150, 1250)], crs=WORK_CRS)
    cells = hs.make_grid(area, cell_size=1000, min_inside=0)
    assert cells["cell_id"].tolist() == ["1000mE0N0", "1000mE1000N0", "1000mE2000N0",
                                         "1000mE0N1000", "1000mE1000N1000", "1000mE2000N1000"]
    assert cells["inside_share"].tolist() == pytest.approx([0.6375, 0.75, 0.1125, 0.2125, 0.25, 0.0375])
    assert cells.crs.equals(WORK_CRS) and np.allclose(cells.area, cells["inside_share"] * 1e6)
    assert hs.make_grid(area, cell_size=1000)["cell_id"].tolist() == ["1000mE0N0", "1000mE1000N0"]


def l_shape():
    """An L: a 3.4 km × 1 km bar along the x axis and a 1 km × 2.6 km bar up the y axis."""
    return gpd.GeoSeries([shapely.union(box(0, 0, 3400, 1000), box(0, 0, 1000, 2600))], crs=WORK_CRS)


def test_cells_mostly_outside_the_study_area_are_dropped_and_the_rest_clipped():
    # On the 1 km lattice: 3 whole cells along the bottom and 1 up the side; the cell at
    # E3000 is 40 % inside (dropped), the one at N2000 60 % (kept, clipped); the cells at
    # E1000N1000, E2000N1000, E3000N1000 and E1000N2000 only touch the L.
    cells = hs.make_grid(l_shape(), cell_size=1000)
    assert sorted(cells["cell_id"]) == sorted(["1000mE0N0", "1000mE1000N0", "1000mE2000N0",
                                               "1000mE0N1000", "1000mE0N2000"])
    shares = dict(zip(cells["cell_id"], cells["inside_share"], strict=True))
    assert shares["1000mE0N2000"] == pytest.approx(0.6) and sum(shares.values()) == pytest.approx(4.6)
    assert cells.geometry.within(l_shape().iloc[0].buffer(1e-6)).all()
    assert cells.area.sum() == pytest.approx(4.6e6)
    assert cells.attrs["min_inside"] == 0.5
    assert len(hs.make_grid(l_shape(), cell_size=1000, min_inside=0.3)) == 6  # E3000 comes back
    assert len(hs.make_grid(l_shape(), cell_size=1000, min_inside=0)) == 6  # touching cells never
    # Records in the dropped cell are unplaced, not counted in a neighbour.
    points = gpd.GeoDataFrame(geometry=[Point(3200, 500), Point(500, 2300), Point(500, 500)],
                              crs=WORK_CRS)
    counts, unplaced = hs.count_records(points, cells, unit="grid")
    assert counts.sum() == 2 and unplaced == 1
    with pytest.raises(HotspotError, match="min_inside=2"):
        hs.make_grid(l_shape(), cell_size=1000, min_inside=2)


def test_clipped_cells_keep_the_lattice_neighbourhood_of_their_whole_cells():
    from geo.hotspots.grid import cell_centres

    for shape in ("square", "hex"):
        cells = hs.make_grid(l_shape(), cell_size=1000, shape=shape, min_inside=0)
        whole = hs.make_grid(gpd.GeoSeries([box(-3000, -3000, 7000, 7000)], crs=WORK_CRS),
                             cell_size=1000, shape=shape).set_index("cell_id")
        expected = shapely.get_coordinates(whole.loc[cells["cell_id"]].centroid)
        assert np.allclose(cell_centres(cells.geometry.values, 1000, shape), expected)


def test_cells_cut_by_the_parts_equal_cells_cut_by_their_union():
    # An irregular coverage of a disc (Voronoi pieces): every cell, inside or on the edge,
    # must be the cell ∩ the whole area, and no cell that touches the area may be lost.
    rng = np.random.default_rng(5)
    disc = Point(0, 0).buffer(4200, quad_segs=64)
    seeds = shapely.multipoints(rng.uniform(-4200, 4200, (40, 2)))
    parts = [p.intersection(disc) for p in shapely.get_parts(shapely.voronoi_polygons(seeds))]
    area = gpd.GeoSeries(parts, crs=WORK_CRS)
    for shape in ("square", "hex"):
        cells = hs.make_grid(area, cell_size=700, shape=shape, min_inside=0)
        whole = hs.make_grid(gpd.GeoSeries([box(-9000, -9000, 9000, 9000)], crs=WORK_CRS),
                             cell_size=700, shape=shape, min_inside=0).set_index("cell_id")
        expected = shapely.intersection(whole.geometry.values, disc)
        touching = whole.index[shapely.area(expected) > 0]
        assert sorted(cells["cell_id"]) == sorted(touching)
        mine = cells.set_index("cell_id").geometry
        exact = gpd.GeoSeries(expected, index=whole.index, crs=WORK_CRS).loc[mine.index]
        assert np.allclose(mine.area, exact.area)
        assert (mine.symmetric_difference(exact).area < 1e-6).all()


def test_hexagons_tile_the_plane_with_neighbours_one_cell_size_apart():
    area = gpd.GeoSeries([box(0, 0, 6000, 5000)], crs=WORK_CRS)
    cells = hs.make_grid(area, cell_size=1000, shape="hex", min_inside=0)
    assert cells.geometry.union_all().area == pytest.approx(cells.area.sum())  # no overlap
    assert area.iloc[0].difference(cells.geometry.union_all()).area == pytest.approx(0)  # no gap
    from geo.hotspots.grid import cell_centres

    centres = cell_centres(cells.geometry.values, 1000, "hex")
    distances = np.hypot(*(centres[:, None, :] - centres[None, :, :]).transpose(2, 0, 1))
    nearest = np.sort(distances, axis=1)[:, 1]
    assert nearest == pytest.approx(np.full(len(cells), 1000.0))
    assert cells["cell_id"].is_unique


def test_the_default_cell_size_is_twice_the_mean_nearest_neighbour_distance():
    points = [Point(x * 300, 0) for x in range(20)] + [Point(90_000, 0)]  # a locational outlier
    assert hs.default_cell_size(gpd.GeoSeries(points, crs=WORK_CRS)) == 600.0
    area = gpd.GeoSeries([box(0, -500, 6000, 500)], crs=WORK_CRS)
    assert hs.make_grid(area, points=gpd.GeoSeries(points, crs=WORK_CRS)).attrs["cell_size"] == 600.0
    with pytest.raises(HotspotError, match="cell_size="):
        hs.make_grid(area)


def test_counting_places_points_and_commune_references_and_reports_the_rest():
    units = lattice(2, code="commune_code", crs=4326)  # codes 000 001 / 002 003
    records = gpd.GeoDataFrame({
        "ref_commune_code": [None, None, "003", "003", "999"],
        "ref_vintage": [None, None, "v1", "v0", "v1"],
    }, geometry=[Point(0.5, 0.5), Point(1.0, 0.5), None, None, None], crs=4326)
    counts, unplaced = hs.count_records(records, units, vintage="v1")
    assert counts.tolist() == [2, 0, 0, 1]  # the shared edge x = 1 goes to the lowest code
    assert unplaced == 2


def test_the_cube_counts_records_per_unit_and_step():
    units = lattice(2, crs=4326)
    records = gpd.GeoDataFrame({"event_date": [date(2018, 1, 31), date(2018, 2, 1), date(2018, 3, 9),
                                               date(2017, 12, 31)]},
                               geometry=[Point(0.5, 0.5), Point(1.5, 1.5), Point(1.5, 1.5), Point(0.5, 0.5)],
                               crs=4326)
    steps = hs.time_steps(date(2018, 1, 1), date(2018, 4, 1))
    cube, unplaced = hs.count_cube(records, units, steps)
    assert cube.columns.tolist() == ["2018-01", "2018-02", "2018-03"]
    assert cube.to_numpy().tolist() == [[1, 0, 0], [0, 0, 0], [0, 0, 0], [0, 1, 1]]
    assert unplaced == 0
    with pytest.raises(HotspotError, match="whole quarters"):
        hs.time_steps(date(2018, 2, 1), date(2018, 7, 1), step="quarter")


def test_space_time_neighbours_reach_one_step_back():
    graph, _ = contiguity_graph([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)])
    st = space_time_graph(graph, 3, 1).sparse.toarray()
    # bin (unit 0, step 1) = 3: unit 1 at step 1, units 0 and 1 at step 0; never step 2
    assert np.flatnonzero(st[3]).tolist() == [0, 1, 4]
    assert np.flatnonzero(st[5]).tolist() == [2]  # the island sees only its own past
    assert st[:3, 3:].sum() == 0


def test_the_fallback_band_is_the_mean_distance_to_the_kth_neighbour():
    from scipy.spatial import cKDTree

    xy = np.c_[np.arange(20) * 100.0, np.zeros(20)]
    # K = max(3, 5 % of 20): 3rd neighbour 300 m away for the two ends, 200 m for the others.
    assert _knn_fallback(xy, cKDTree(xy)) == pytest.approx((18 * 200 + 2 * 300) / 20)


# ---------------------------------------------------------------- kernel density


@pytest.mark.parametrize("kernel", ["quartic", "gaussian"])
def test_kernel_density_integrates_to_the_number_of_points(kernel):
    area = gpd.GeoSeries([box(0, 0, 20_000, 20_000)], crs=WORK_CRS)
    points = gpd.GeoSeries([Point(10_000, 10_000), Point(9_000, 11_000), Point(11_000, 9_500)],
                           crs=WORK_CRS)
    surface = hs.kernel_density(points, area, cell_size=100, bandwidth=1_500, kernel=kernel)
    assert (surface["density"] * 0.01).sum() == pytest.approx(3.0, rel=1e-3)
    assert surface.attrs["parameters"].bandwidth_rule == "given"


def test_the_quartic_kernel_value_at_a_cell_centre():
    area = gpd.GeoSeries([box(0, 0, 1000, 1000)], crs=WORK_CRS)
    surface = hs.kernel_density(gpd.GeoSeries([Point(550, 550)], crs=WORK_CRS), area, cell_size=100,
                                bandwidth=400)
    at = surface.set_index("cell_id")["density"]
    assert at["100mE100N500"] == 0.0  # centre (150, 550): 400 m away, on the search radius
    expected = 3 / (math.pi * 400 ** 2) * (1 - (100 / 400) ** 2) ** 2 * 1e6  # centre 100 m away
    assert at["100mE400N500"] == pytest.approx(expected)


def test_the_default_quartic_bandwidth_follows_the_arcgis_rule():
    xy = [(0, 0), (100, 0), (0, 100), (100, 100), (50, 50)]
    points = gpd.GeoSeries([Point(p) for p in xy], crs=WORK_CRS)
    distances = [math.hypot(x - 50, y - 50) for x, y in xy]  # mean centre (50, 50)
    sd = math.sqrt(sum(d * d for d in distances) / 5)
    dm = sorted(distances)[2]
    expected = 0.9 * min(sd, math.sqrt(1 / math.log(2)) * dm) * 5 ** -0.2
    assert hs.default_bandwidth(points)[0] == pytest.approx(expected)


def test_density_contours_are_the_union_of_the_cells_above_each_level():
    area = gpd.GeoSeries([box(0, 0, 5000, 5000)], crs=WORK_CRS)
    surface = hs.kernel_density(gpd.GeoSeries([Point(2500, 2500)], crs=WORK_CRS), area,
                                cell_size=100, bandwidth=1000)
    contours = hs.density_contours(surface)
    assert contours["level"].tolist() == pytest.approx([f * surface["density"].max()
                                                        for f in (0.2, 0.4, 0.6, 0.8)])
    assert contours.area.is_monotonic_decreasing
    assert contours.iloc[-1].geometry.contains(Point(2500, 2500))


# ---------------------------------------------------------------- Mann–Kendall


def test_mann_kendall_against_a_hand_worked_series_with_ties():
    # 1, 2, 2, 3: five rising pairs and one tie, S = 5; Var(S) = (4·3·13 − 2·1·9)/18 = 138/18;
    # Z = (5 − 1)/√Var(S) = 1.4446; p = 2(1 − Φ(Z)) = 0.1486.
    r = hs.mann_kendall([1, 2, 2, 3])
    assert (r.s, r.var_s) == (5, pytest.approx(138 / 18))
    z = 4 / math.sqrt(138 / 18)
    assert r.z == pytest.approx(z)
    assert r.p_value == pytest.approx(2 * (1 - 0.5 * (1 + math.erf(z / math.sqrt(2)))))
    assert r.trend == "no trend" and r.tau == pytest.approx(5 / 6)


def test_mann_kendall_agrees_with_scipy_kendalltau_without_ties():
    rng = np.random.default_rng(4)
    for n in (8, 15, 30):
        x = rng.permutation(n) + rng.uniform(0, 0.1, n)
        r = hs.mann_kendall(x)
        tau, p_scipy = kendalltau(np.arange(n), x, method="asymptotic")
        assert r.s == round(tau * n * (n - 1) / 2)
        if r.s:  # scipy's normal approximation has no continuity correction: Var(S) = (S/z)²
            assert (r.s / norm.isf(p_scipy / 2)) ** 2 == pytest.approx(r.var_s)


def test_mann_kendall_rows_handles_constant_and_missing_series():
    s, _, z, p = mann_kendall_rows(np.array([[2.0, 2.0, 2.0], [1.0, np.nan, 3.0]]))
    assert (s[0], z[0], p[0]) == (0, 0, 1)
    assert np.isnan([s[1], z[1], p[1]]).all()


# ---------------------------------------------------------------- emerging hot spots

H, C, N = (3.0, 0.01), (-3.0, 0.01), (0.5, 0.5)  # hot, cold and plain bins: (z, p)


def rising(start, stop, p=0.01, n=10):
    return [(z, p) for z in np.linspace(start, stop, n)]


def flat(z, p=0.01):
    return [(z + d, p) for d in (0, 0.2, -0.1, 0.1, 0.0, 0.2, -0.2, 0.1, -0.1, 0.0)]


TRAJECTORIES = {
    "new hot spot": [N] * 9 + [H],
    "consecutive hot spot": [N] * 7 + [H] * 3,
    "intensifying hot spot": rising(2.0, 4.7),
    "persistent hot spot": flat(3.0),
    "diminishing hot spot": rising(4.7, 2.0),
    "oscillating hot spot": [N, C, N, H, N, N, N, N, N, H],
    "historical hot spot": [*rising(4.7, 2.3, n=9), N],
    "sporadic hot spot": [H, N, N, H, N, N, N, N, N, H],
    "no pattern detected": [H, C, N, N, N, N, N, N, N, N],
}


def mirror(trajectory):
    return [(-z, p) for z, p in trajectory]


@pytest.mark.parametrize("category", [*TRAJECTORIES, *(c.replace("hot", "cold") for c in TRAJECTORIES
                                                         if "hot" in c)])
def test_every_category_comes_from_a_constructed_cube(category):
    cube = dict(TRAJECTORIES) | {
        c.replace("hot", "cold"): mirror(t) for c, t in TRAJECTORIES.items() if "hot" in c}
    z, p = zip(*cube[category], strict=True)
    assert hs.classify_trajectory(z, p) == category


def test_the_category_list_and_the_islands():
    assert len(hs.CATEGORIES) == 18 and hs.CATEGORIES[-2:] == ("no pattern detected", "no neighbours")
    assert hs.classify_trajectory([np.nan] * 5, [np.nan] * 5) == "no neighbours"


def count_cube(extra, n=7, steps=10, seed=5):
    """Counts 0–2 everywhere plus ``extra[t]`` on the 3 × 3 block in the middle of n × n units."""
    cube = np.random.default_rng(seed).integers(0, 3, size=(n * n, steps)).astype(float)
    centre = n // 2
    for k in [(centre + dj) * n + centre + di for di in (-1, 0, 1) for dj in (-1, 0, 1)]:
        cube[k] += extra
    return lattice(n), pd.DataFrame(cube, columns=[f"2019-{m:02d}" for m in range(1, steps + 1)])


@pytest.mark.parametrize(("extra", "category"), [
    (np.r_[np.zeros(9), 15.0], "new hot spot"),
    (np.full(10, 8.0), "persistent hot spot"),
    (np.r_[np.zeros(7), 10.0, 12.0, 14.0], "consecutive hot spot"),
    (np.r_[0, 10, 0, 0, 10, 0, 0, 10, 0, 10.0], "sporadic hot spot"),
    (np.zeros(10), "no pattern detected"),
])
def test_emerging_hot_spots_from_counts(extra, category):
    units, cube = count_cube(extra)
    result = hs.emerging_hotspots(units, cube, fdr=False)
    assert result.loc[24, "category"] == category
    assert result.loc[24, "value"] == cube.loc[24].sum()
    p = result.attrs["parameters"]
    assert (p.method, p.time_lag, p.steps[0], len(p.steps)) == ("emerging_hotspots", 1, "2019-01", 10)


def test_space_time_bins_use_the_previous_step_and_fdr_within_each_step():
    units, cube = count_cube(np.r_[np.zeros(9), 15.0])
    bins = hs.space_time_gi_star(units, cube)
    assert bins.shape == (490, 6) and bins.index.names == [None, "step"]
    last = bins.xs("2019-10", level="step")
    assert last.loc[24, "z_score"] > 3
    assert last["p_fdr"].to_numpy() == pytest.approx(hs.benjamini_hochberg(last["p_value"]))
    with pytest.raises(HotspotError, match="at least 3"):
        hs.space_time_gi_star(units, cube.iloc[:, :2])


# ---------------------------------------------------------------- the CLI on PostGIS


def ogrinfo(path):
    exe = shutil.which("ogrinfo") or "/usr/bin/ogrinfo"
    result = subprocess.run([exe, "-so", "-al", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_hotspots(db_url, *args):
    from webapp.commands.hotspots import hotspots

    return CliRunner().invoke(hotspots, list(args), env={"DATABASE_URL": db_url},
                              catch_exceptions=False)


@pytest.mark.postgis
@pytest.mark.gdal
def test_cli_gi_on_communes_writes_one_gpkg_layer_with_its_parameters(db_url, loaded, engine, tmp_path):
    from geo.periods import parse_period
    from geo.store.counts import count_by_unit

    out = tmp_path / "tmp.gpkg"
    result = run_hotspots(db_url, "--period", "2018", "--vintage", "75:2010-02-06", "--unit", "commune",
                          "--method", "gi", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert set(summary) == {"n_units", "classes", "parameters", "unplaced_records", "out", "layer", "source"}
    assert summary["source"] == "incidents"  # the default
    assert summary["n_units"] == 282 and sum(summary["classes"].values()) == 282  # 171 + 111 of Bình Phước
    assert summary["parameters"]["inference"] == "analytic" and summary["parameters"]["synthetic"] is True
    assert summary["parameters"]["permutations"] is None
    info = ogrinfo(out)
    assert "Layer name: gi_star_commune" in info and "Feature Count: 282" in info
    for field in ("commune_code: String", "name: String", "value: Real", "z_score: Real",
                  "p_value: Real", "p_fdr: Real", "hotspot_class: String"):
        assert field in info
    for entry in ("method=gi_star", "weights=queen contiguity, binary", "inference=analytic",
                  "alpha=0.05", "fdr=true", "period=2018", "vintage=75:2010-02-06", "synthetic=true"):
        assert f"  {entry}\n" in info
    assert re.search(r"  as_of=\d{4}-\d\d-\d\dT", info)
    # The values are the incidents per commune that PostGIS counts on its own.
    layer = gpd.read_file(out, layer="gi_star_commune").set_index("commune_code")
    counts, unassigned = count_by_unit(engine, "75:2010-02-06", period=parse_period("2018"))
    expected = counts["incidents"].reindex(layer.index, fill_value=0)
    assert layer["value"].astype(int).equals(expected.astype(int).rename("value"))
    assert layer["value"].sum() > 0 and summary["unplaced_records"] == unassigned["incidents"]


@pytest.mark.postgis
def test_cli_emerging_over_quarters_and_its_errors(db_url, loaded):
    result = run_hotspots(db_url, "--period", "2016/2019", "--method", "emerging", "--step", "quarter",
                          "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert sum(summary["classes"].values()) == 170 + 111  # the units of the range's last day
    assert set(summary["classes"]) <= set(hs.CATEGORIES)
    assert len(summary["parameters"]["steps"]) == 16 and summary["parameters"]["vintage"] == "75:2019-04-10"
    bad = run_hotspots(db_url, "--period", "2018", "--method", "kde")
    assert bad.exit_code == 2 and "--unit grid" in bad.output
    grid_only = run_hotspots(db_url, "--period", "2018", "--cell-size", "1000")
    assert grid_only.exit_code == 2 and "--cell-size apply to grid cells" in grid_only.output
    few = run_hotspots(db_url, "--period", "2018", "--inference", "permutation", "--permutations", "999")
    assert few.exit_code == 1 and "use at least 11279" in few.output  # 282 communes, FDR: 2·282/0.05 − 1
    stray = run_hotspots(db_url, "--period", "2018", "--permutations", "9999")
    assert stray.exit_code == 1 and "applies to inference='permutation' only" in stray.output
    unknown = run_hotspots(db_url, "--period", "2018", "--vintage", "1999-01-01")
    assert unknown.exit_code == 1 and "not loaded" in unknown.output


def test_categories_are_exclusive_oscillating_and_historical_are_not_shadowed():
    from geo.hotspots.emerging import classify_trajectory

    n_sig, hot_z, cold_z = 0.5, 3.0, -3.0
    # cold once, then quiet, then hot only at the final step: oscillating, not new
    z = [cold_z] + [0.1] * 8 + [hot_z]
    p = [0.001] + [n_sig] * 8 + [0.001]
    assert classify_trajectory(z, p) == "oscillating hot spot"
    # hot in 9 of 10 steps (flat, no trend) but not at the final step: historical, not persistent
    z = [hot_z] * 9 + [0.2]
    p = [0.001] * 9 + [n_sig]
    assert classify_trajectory(z, p) == "historical hot spot"
    # the same nine hot steps ending hot: persistent
    assert classify_trajectory([0.2] + [hot_z] * 9, [n_sig] + [0.001] * 9) == "persistent hot spot"


def series(pattern):
    """Bins from a string: H hot, C cold, . plain (z, p as H, C and N above)."""
    z, p = zip(*({"H": H, "C": C, ".": N}[c] for c in pattern), strict=True)
    return z, p


@pytest.mark.parametrize(("pattern", "pro", "arcmap"), [
    ("H..H.....H", "sporadic hot spot", "sporadic hot spot"),        # on-again, off-again, hot at the end
    ("H..H......", "no pattern detected", "sporadic hot spot"),      # Pro: the final step must be hot
    (".........H", "new hot spot", "new hot spot"),                  # hot only at the end
    ("H........H", "sporadic hot spot", "sporadic hot spot"),        # one earlier hot step: not new
    (".......HHH", "consecutive hot spot", "consecutive hot spot"),  # one final run
    ("H......HHH", "sporadic hot spot", "sporadic hot spot"),        # a hot step before the run
    ("HHH.HHHHHH", "persistent hot spot", "persistent hot spot"),    # 9 of 10 hot: 90 %, no trend
    ("HH..HHHHHH", "sporadic hot spot", "sporadic hot spot"),        # 8 of 10: below 90 %
    ("HHHHHHHHH.", "historical hot spot", "historical hot spot"),    # 90 % hot, not at the end
    ("HHHHHHHH..", "no pattern detected", "sporadic hot spot"),      # 80 %, not at the end
    ("C..H.....H", "oscillating hot spot", "oscillating hot spot"),  # a cold step: never sporadic
    ("H..H...C..", "no pattern detected", "no pattern detected"),
    ("C..C.....C", "sporadic cold spot", "sporadic cold spot"),
    ("C..C......", "no pattern detected", "sporadic cold spot"),
])
def test_sporadic_follows_arcgis_pro_by_default_and_arcmap_on_request(pattern, pro, arcmap):
    z, p = series(pattern)
    assert hs.classify_trajectory(z, p) == pro
    assert hs.classify_trajectory(z, p, sporadic_rule="arcmap") == arcmap


def test_the_sporadic_rule_is_recorded_and_checked():
    units, cube = count_cube(np.r_[0, 10, 0, 0, 10, 0, 0, 10, 0, 0.0])
    pro = hs.emerging_hotspots(units, cube, fdr=False)
    arcmap = hs.emerging_hotspots(units, cube, fdr=False, sporadic_rule="arcmap")
    assert pro.attrs["parameters"].sporadic_rule == "pro"
    assert arcmap.attrs["parameters"].sporadic_rule == "arcmap"
    assert arcmap.loc[24, "category"] == "sporadic hot spot" != pro.loc[24, "category"]
    with pytest.raises(HotspotError, match="sporadic_rule='esri' is not allowed"):
        hs.classify_trajectory([1.0] * 3, [0.5] * 3, sporadic_rule="esri")
