"""Validation figures of the extracted Bình Phước layers (quoted in ``../BOUNDARIES-SOURCES.md``).

Areas are km², in WGS 84 / UTM 48N (EPSG:32648) like the Đồng Nai figures, and in the
project's equal-area CRS where named ``*_equal_area``. Called by ``extract_binh_phuoc.py``;
it can be re-run on the bundled GeoPackage alone with ``python validate_binh_phuoc.py``.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries.coverage import clean_coverage
from geo.settings import AREA_CRS, WORK_CRS

HERE = Path(__file__).resolve().parent
UTM = "EPSG:32648"


def _km2(geoms, crs=UTM) -> np.ndarray:
    """Areas in km² of EPSG:4326 geometries measured in ``crs``."""
    return gpd.GeoSeries(list(geoms), crs=4326).to_crs(crs).area.to_numpy() / 1e6


def _coverage_defects(geoms: np.ndarray) -> dict:
    """Overlaps (pairs, area) and interior gaps (holes in the union) of a polygon layer."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = [(i, j) for i, j in zip(left, right, strict=True) if i < j]
    overlap = np.array([_km2([shapely.intersection(geoms[i], geoms[j])])[0] for i, j in pairs]) \
        if pairs else np.zeros(0)
    union = shapely.union_all(geoms)
    holes = [shapely.Polygon(r) for p in shapely.get_parts(union) for r in p.interiors]
    hole_km2 = _km2(holes) if holes else np.zeros(0)
    return {
        "sum_of_areas_km2": round(float(_km2(geoms).sum()), 2),
        "union_area_km2": round(float(_km2([union])[0]), 2),
        "overlapping_pairs_gt_1m2": int((overlap > 1e-6).sum()),
        "overlapping_pairs_gt_1ha": int((overlap > 1e-2).sum()),
        "largest_overlap_km2": round(float(overlap.max(initial=0)), 3),
        "overlap_total_km2": round(float(overlap.sum()), 2),
        "gaps": len(holes),
        "gaps_gt_1ha": int((hole_km2 > 1e-2).sum()),
        "gaps_total_km2": round(float(hole_km2.sum()), 2),
    }


def _iou(a, b) -> float:
    """Intersection over union of two EPSG:4326 geometries, on the equal-area CRS."""
    inter, union = _km2([shapely.intersection(a, b), shapely.union(a, b)], AREA_CRS)
    return round(float(inter / union), 4)


def _per_district(communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> dict:
    """Per 2019 district: area, commune count, IoU of its communes' union, swap check."""
    out = {}
    for code, name, geom in districts[["district_code", "district_name", "geometry"]].itertuples(index=False):
        mine = communes[communes["gso_district_code"] == code]
        points = shapely.point_on_surface(mine.geometry.values)
        out[code] = {
            "name": name,
            "area_km2": round(float(_km2([geom])[0]), 1),
            "area_km2_equal_area": round(float(_km2([geom], AREA_CRS)[0]), 1),
            "communes": len(mine),
            "iou_communes_vs_district": _iou(shapely.union_all(mine.geometry.values), geom),
            "communes_with_point_outside_own_district": int((~shapely.contains(geom, points)).sum()),
        }
    return out


def _cleaning(communes: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> dict:
    """The loader's cleaning (boundaries.coverage) on the raw layers, and what it leaves."""
    work = communes[["gso_commune_code", "gso_district_code", "geometry"]].rename(
        columns={"gso_commune_code": "code", "gso_district_code": "parent_code"})
    parents = districts[["district_code", "geometry"]].rename(columns={"district_code": "code"})
    cleaned, report = clean_coverage(work, parents)
    geoms = cleaned.geometry.values
    moved_per_unit = _km2(shapely.symmetric_difference(communes.geometry.values, geoms))
    return {**report.as_dict(),
            "largest_change_one_commune_km2": round(float(moved_per_unit.max()), 3),
            "coverage_is_valid_after": bool(shapely.coverage_is_valid(geoms)),
            "work_crs": WORK_CRS, "area_crs": AREA_CRS}


def _neighbour(province: gpd.GeoDataFrame, dong_nai: gpd.GeoDataFrame) -> dict:
    """How the outline meets old Đồng Nai's outline (same gis.chinhphu.vn source)."""
    mine, theirs = province.geometry.iloc[0], dong_nai.geometry.iloc[0]
    work = gpd.GeoSeries([mine, theirs], crs=4326).to_crs(UTM)
    border = work.iloc[0].boundary
    near = {f"shared_border_km_within_{d}m": round(float(border.intersection(work.iloc[1].buffer(d)).length
                                                        / 1e3), 2) for d in (1, 10, 50)}
    return {"overlap_m2": round(float(work.iloc[0].intersection(work.iloc[1]).area), 1),
            "distance_m": round(float(work.iloc[0].distance(work.iloc[1])), 3), **near}


def validate(communes, districts, province, lists: dict[str, pd.DataFrame], dong_nai) -> dict:
    """Return the validation figures of the three layers against the GSO lists."""
    geoms = communes.geometry.values
    outline = province.geometry.iloc[0]
    union = shapely.union_all(geoms)
    texts = [v for frame in (communes, districts, province) for col in frame.columns
             if frame[col].dtype == object and col != "geometry" for v in frame[col] if isinstance(v, str)]
    codes = set(communes["gso_commune_code"])
    return {
        "communes": {
            "features": len(communes),
            "invalid": int((~shapely.is_valid(geoms)).sum()),
            "vertices_per_commune_mean": round(float(shapely.get_num_coordinates(geoms).mean()), 1),
            "gso_match": communes["gso_match"].value_counts().to_dict(),
            "codes_equal_list": {name: codes == set(frame["commune_code"]) for name, frame in lists.items()},
            "per_district_2010": communes.groupby("gso_district_code_2010").size().to_dict(),
            **_coverage_defects(geoms),
            "iou_vs_province_outline": _iou(union, outline),
            "outline_uncovered_km2": round(float(_km2([shapely.difference(outline, union)])[0]), 2),
            "outside_outline_km2": round(float(_km2([shapely.difference(union, outline)])[0]), 2),
            "population_census2009_sum": int(communes["population_census2009"].sum()),
        },
        "districts": {
            "features": len(districts),
            "invalid": int((~shapely.is_valid(districts.geometry.values)).sum()),
            **_coverage_defects(districts.geometry.values),
            "iou_union_vs_province": _iou(shapely.union_all(districts.geometry.values), outline),
            "per_district": _per_district(communes, districts),
        },
        "province": {"area_km2": round(float(_km2([outline])[0]), 1),
                     "area_km2_equal_area": round(float(_km2([outline], AREA_CRS)[0]), 1),
                     "invalid": int(not outline.is_valid)},
        "list_sizes": {name: {"communes": len(frame), "districts": frame["district_code"].nunique(),
                              "types": frame["commune_type"].value_counts().to_dict()}
                       for name, frame in lists.items()},
        "cleaning": _cleaning(communes, districts),
        "against_old_dong_nai_outline": _neighbour(province, dong_nai),
        "text_not_nfc": sum(unicodedata.normalize("NFC", t) != t for t in texts),
    }


if __name__ == "__main__":
    gpkg = HERE.parent / "binh_phuoc_boundaries.gpkg"
    gaz = HERE.parent / "gazetteer"
    figures = validate(
        gpd.read_file(gpkg, layer="communes_2016_2019_vietgis"),
        gpd.read_file(gpkg, layer="districts_2019_gischinhphu"),
        gpd.read_file(gpkg, layer="province_2019_gischinhphu"),
        {n: pd.read_csv(gaz / f"binh_phuoc_gso_units_{n}.csv", dtype=str)
         for n in ("2010", "2016-2019", "2019-2024", "2024-11")},
        gpd.read_file(HERE.parent.parent / "dong_nai" / "dong_nai_boundaries.gpkg",
                      layer="province_2019_gischinhphu"))
    print(json.dumps(figures, indent=2, ensure_ascii=False))
