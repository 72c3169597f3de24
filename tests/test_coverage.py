"""Coverage cleaning on geometries whose answers can be checked on paper."""

import geopandas as gpd
import pytest
import shapely
from shapely import box

from boundaries.coverage import clean_coverage
from geo.settings import WORK_CRS


def frame(geoms, parents):
    return gpd.GeoDataFrame({"code": [str(i) for i in range(len(geoms))], "parent_code": parents},
                            geometry=geoms, crs=WORK_CRS)


X0, Y0 = 700_000, 1_210_000  # near Biên Hòa in UTM 48N, so equal-area ≈ UTM area


def b(x1, y1, x2, y2):
    """A box in hundreds of metres from (X0, Y0)."""
    return box(X0 + 100 * x1, Y0 + 100 * y1, X0 + 100 * x2, Y0 + 100 * y2)


def test_overlap_removed_gap_filled_and_clipped_to_parent():
    # Parent: 0..2 × 0..2 (4 ha). "0" overlaps "1" on 1..1.2 × 0..1.9 (0.38 ha); "1" stops
    # at y = 1.9, leaving 1.2..2 × 1.9..2 uncovered (0.08 ha); "0" sticks out left by
    # 0.5 × 2 (1 ha).
    communes = frame([b(-0.5, 0, 1.2, 2), b(1, 0, 2, 1.9)], ["p", "p"])
    parents = gpd.GeoDataFrame({"code": ["p"]}, geometry=[b(0, 0, 2, 2)], crs=WORK_CRS)
    out, report = clean_coverage(communes, parents)
    geoms = out.geometry.values
    assert shapely.coverage_is_valid(geoms)
    assert shapely.union_all(geoms).symmetric_difference(b(0, 0, 2, 2)).area < 1e-6
    assert shapely.area(shapely.intersection(geoms[0], geoms[1])) < 1e-6
    assert report.pieces_reassigned == 1
    # Areas in km² on the equal-area CRS, within its 0.1 % scale difference from UTM here.
    assert report.clipped_outside_parent_km2 == pytest.approx(0.01, rel=2e-3)
    assert report.overlap_removed_km2 == pytest.approx(0.0038, rel=2e-3)
    assert report.gaps_filled_km2 == pytest.approx(0.0008, rel=2e-3)


def test_every_commune_stays_inside_its_own_parent():
    communes = frame([box(0, 0, 1.3, 1), box(1, 0, 2, 1)], ["a", "b"])
    parents = gpd.GeoDataFrame({"code": ["a", "b"]},
                               geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=WORK_CRS)
    out, _ = clean_coverage(communes, parents)
    assert out.geometry.iloc[0].equals(box(0, 0, 1, 1))
    assert out.geometry.iloc[1].equals(box(1, 0, 2, 1))


def test_without_parents_narrow_holes_close_and_wide_ones_stay():
    # A ring of four boxes around a 0.05 × 1 hole, and beside it a ring around a 1 × 1 hole.
    narrow = [box(0, 0, 3, 1), box(0, 2, 3, 3), box(0, 1, 1, 2), box(1.05, 1, 3, 2)]
    wide = [box(10, 0, 13, 1), box(10, 2, 13, 3), box(10, 1, 11, 2), box(12, 1, 13, 2)]
    communes = frame(narrow + wide, [None] * 8)
    out, _ = clean_coverage(communes.set_crs(None, allow_override=True).set_crs(WORK_CRS),
                            gap_width_m=0.1)
    union = shapely.union_all(out.geometry.values)
    holes = [len(p.interiors) for p in shapely.get_parts(union)]
    assert sorted(holes) == [0, 1]


def test_input_is_not_modified():
    communes = frame([box(0, 0, 1.2, 1), box(1, 0, 2, 1)], [None, None])
    before = communes.geometry.copy()
    clean_coverage(communes)
    assert communes.geometry.geom_equals(before).all()
