"""Vintages derived from the official change lists (boundaries.history), on toy data and on Đồng Nai."""

from __future__ import annotations

import geopandas as gpd
import pytest
import shapely
from shapely import box

from boundaries.errors import BoundaryDataError
from boundaries.history import WHOLE_SHARE, derive_units
from boundaries.province import load_province
from boundaries.units import build_units
from geo.settings import AREA_CRS

#: Four communes in one district, a row of 0.02° squares: A B C D (west to east).
WEST, SOUTH, SIDE = 107.0, 11.0, 0.02
CODES = ["90001", "90002", "90003", "90004"]


def _toy(folder, changes: list[str], listed: list[tuple[str, str]]):
    """A toy province: a drawn vintage of four communes and a derived one from ``changes`` and ``listed``."""
    squares = [box(WEST + i * SIDE, SOUTH, WEST + (i + 1) * SIDE, SOUTH + SIDE) for i in range(4)]
    communes = gpd.GeoDataFrame({"code": CODES, "full_name": [f"Xã Thử {c[-1]}" for c in CODES],
                                 "parent": "901"}, geometry=squares, crs=4326)
    communes.to_file(folder / "units.gpkg", layer="communes")
    gpd.GeoDataFrame({"code": ["901"], "full_name": ["Huyện Thử"]}, geometry=[shapely.union_all(squares)],
                     crs=4326).to_file(folder / "units.gpkg", layer="districts")
    (folder / "changes.csv").write_text(
        "date,province_code,code,name,kind,successors,verified,source,note\n" + "\n".join(changes) + "\n",
        encoding="utf-8")
    (folder / "list.csv").write_text(
        "province_code,district_code,district_name,commune_code,commune_name\n"
        + "\n".join(f"46,901,Huyện Thử,{code},{name}" for code, name in listed) + "\n", encoding="utf-8")
    (folder / "province.toml").write_text("""
code = "46"
name = "Thử Nghiệm"
[[vintages]]
id = "2010-01-01"
label = "4 xã"
valid_from = 2010-01-01
valid_to = 2019-12-31
province_name = "Tỉnh Thử Nghiệm"
file = "units.gpkg"
communes = { layer = "communes", code = "code", full_name = "full_name", parent = "parent" }
districts = { layer = "districts", code = "code", full_name = "full_name" }
[[vintages]]
id = "2020-01-01"
label = "sau sắp xếp"
valid_from = 2020-01-01
province_name = "Tỉnh Thử Nghiệm"
derived_from = "2010-01-01"
changes = "changes.csv"
lists = { "46" = "list.csv" }
""", encoding="utf-8")
    province = load_province(folder)
    return province, province.vintage("2020-01-01")


def _areas(units) -> dict[str, float]:
    communes = units[units["level"] == "commune"].to_crs(AREA_CRS)
    return dict(zip(communes["code"], communes.area / 1e6, strict=True))


def test_a_merge_is_the_union_of_its_parts_and_a_rename_keeps_the_polygon(tmp_path):
    province, spec = _toy(tmp_path, ["2020-01-01,46,90002,Xã Thử 2,merged,90001,yes,NQ 1/2019,"],
                          [("90001", "Xã Thử Một"), ("90003", "Phường Thử 3"), ("90004", "Xã Thử 4")])
    units, report = derive_units(province, spec)
    before = _areas(build_units(province, province.vintage("2010-01-01"))[0])
    after = _areas(units)
    assert sorted(after) == ["90001", "90003", "90004"]
    assert after["90001"] == pytest.approx(before["90001"] + before["90002"], rel=1e-6)
    assert after["90003"] == pytest.approx(before["90003"], rel=1e-9)
    named = units.set_index("code")
    assert named.at["90001", "name"] == "Xã Thử Một" and named.at["90003", "unit_type"] == "phuong"
    assert "includes Xã Thử 2 (90002), merged 2020-01-01, NQ 1/2019" in report["notes"]["90001"]
    assert "90003" not in report["notes"]  # renamed and retyped, nothing undrawn
    district = named[named["level"] == "district"].geometry.iloc[0]
    assert district.area == pytest.approx(shapely.union_all(units[units["level"] == "commune"].geometry).area)


def test_a_derived_vintage_reuses_its_base_built_in_the_same_run(tmp_path):
    province, spec = _toy(tmp_path, ["2020-01-01,46,90002,Xã Thử 2,merged,90001,yes,NQ 1/2019,"],
                          [("90001", "Xã Thử Một"), ("90003", "Phường Thử 3"), ("90004", "Xã Thử 4")])
    built: dict = {}
    base = build_units(province, province.vintage("2010-01-01"), built=built)
    units, _ = build_units(province, spec, built=built)
    assert list(built) == ["2010-01-01", spec.id] and built["2010-01-01"] is base
    assert build_units(province, spec, built=built)[0] is units  # taken from the run, not rebuilt
    alone, _ = build_units(province, spec)  # the same units as built on its own
    assert units.drop(columns=["geometry", "geom_display"]).equals(
        alone.drop(columns=["geometry", "geom_display"]))
    assert units.geometry.geom_equals_exact(alone.geometry, 0).all()


def test_a_dissolved_unit_is_split_between_its_successors_and_the_split_is_noted(tmp_path):
    province, spec = _toy(tmp_path, ["2020-01-01,46,90002,Xã Thử 2,dissolved,90001 90003,yes,NQ 2/2019,"],
                          [("90001", "Xã Thử 1"), ("90003", "Xã Thử 3"), ("90004", "Xã Thử 4")])
    units, report = derive_units(province, spec)
    before, after = _areas(build_units(province, province.vintage("2010-01-01"))[0]), _areas(units)
    gained = {c: after[c] - before[c] for c in ("90001", "90003")}
    assert sum(gained.values()) == pytest.approx(before["90002"], rel=1e-6)
    assert gained["90001"] == pytest.approx(gained["90003"], rel=0.05)  # the nearest half each
    assert all("no published layer draws the line" in report["notes"][c] for c in ("90001", "90003"))


def test_a_dissolved_unit_goes_whole_to_the_successor_given_most_of_it(tmp_path):
    row = "2020-01-01,46,90002,Xã Thử 2,dissolved,90001:95 90003:5,yes,NQ 2/2019,"
    province, spec = _toy(tmp_path, [row], [(c, f"Xã Thử {c[-1]}") for c in ("90001", "90003", "90004")])
    units, report = derive_units(province, spec)
    before, after = _areas(build_units(province, province.vintage("2010-01-01"))[0]), _areas(units)
    assert WHOLE_SHARE <= 0.95
    assert after["90001"] == pytest.approx(before["90001"] + before["90002"], rel=1e-6)
    assert after["90003"] == pytest.approx(before["90003"], rel=1e-9)
    assert "is not drawn" in report["notes"]["90001"] and "5%" in report["notes"]["90003"]


def test_an_unnamed_successor_is_the_neighbour_with_the_longest_border_and_is_flagged(tmp_path):
    row = "2020-01-01,46,90004,Xã Thử 4,merged,,no,GSO lists,the successor is inferred"
    province, spec = _toy(tmp_path, [row], [(c, f"Xã Thử {c[-1]}") for c in CODES[:3]])
    units, report = derive_units(province, spec)
    assert sorted(_areas(units)) == ["90001", "90002", "90003"]
    assert "not verified" in report["notes"]["90003"]  # D touches only C


@pytest.mark.parametrize(("changes", "listed", "message"), [
    ([], [("90001", "Xã Thử 1"), ("90002", "Xã Thử 2"), ("90003", "Xã Thử 3")],
     "unit 90004 (Xã Thử 4) is not in the lists of the vintage's date and no row says where it went"),
    (["2020-01-01,46,90004,Xã Thử 4,merged,90009,yes,NQ,"],
     [("90001", "Xã Thử 1"), ("90002", "Xã Thử 2"), ("90003", "Xã Thử 3")],
     "line 2: successors ['90009'] of unit 90004"),
    ([], [(c, f"Xã Thử {c[-1]}") for c in CODES] + [("90005", "Xã Mới")],
     "units ['90005'] of the lists of 2020-01-01 receive no unit"),
    (["2020-01-01,46,90004,Xã Thử 4,split,90003,yes,NQ,"], [(c, "Xã Thử") for c in CODES],
     "line 2: kind 'split' is not one of merged, dissolved, adjusted"),
])
def test_a_change_list_that_does_not_account_for_every_unit_is_refused(tmp_path, changes, listed, message):
    province, spec = _toy(tmp_path, changes, listed)
    with pytest.raises(BoundaryDataError) as error:
        derive_units(province, spec)
    assert message in str(error.value) and "changes.csv" in str(error.value)


def test_dong_nai_has_170_then_159_units_of_its_own_beside_former_binh_phuoc():
    province = load_province()
    counts, notes = {}, {}
    for vintage in ("2010-02-06", "2019-04-10", "2024-11-01"):
        units, report = build_units(province, province.vintage(vintage))
        communes = units[units["level"] == "commune"]
        counts[vintage] = communes.groupby("former_province_code").size().to_dict()
        notes[vintage] = report.get("notes", {})
        province_outline = units[units["level"] == "province"].geometry.iloc[0]
        assert province_outline.is_valid
        assert province_outline.area == pytest.approx(shapely.union_all(communes.geometry).area, rel=1e-6)
    assert counts == {"2010-02-06": {"75": 171, "70": 111}, "2019-04-10": {"75": 170, "70": 111},
                      "2024-11-01": {"75": 159, "70": 111}}
    # Suối Trầu (26407) is dissolved on 2019-04-10: 92 % of it to Bình Sơn, drawn whole there
    assert "Xã Suối Trầu (26407), dissolved 2019-04-10" in notes["2019-04-10"]["26395"]
    # Tân Tiến (26014) and Tân Mai (26026) are one Phường Tân Mai under code 26014 from 2024-11-01
    assert "includes Phường Tân Mai (26026)" in notes["2024-11-01"]["26014"]
    unverified = [c for c, n in notes["2024-11-01"].items() if "not verified" in n]
    assert len(unverified) == 5  # six merges without a quoted resolution, two into Bảo Vinh
