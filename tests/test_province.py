"""Province configurations and boundary layers: bad input gets an error naming the fix."""

import geopandas as gpd
import pytest
from shapely import box

from boundaries import load_province
from boundaries.errors import BoundaryDataError, ProvinceConfigError
from boundaries.units import build_units, unit_type_of

TOML = """
code = "99"
name = "Tỉnh Thử"
[[vintages]]
id = "2020-01-01"
label = "test"
valid_from = 2020-01-01
province_name = "Tỉnh Thử"
file = "units.gpkg"
expected_units = {expected}
communes = {{ layer = "communes", code = "code", full_name = "full_name" }}
"""


def write_province(folder, geoms, codes, names, expected=3):
    gpd.GeoDataFrame({"code": codes, "full_name": names}, geometry=geoms, crs=4326).to_file(
        folder / "units.gpkg", layer="communes")
    (folder / "province.toml").write_text(TOML.format(expected=expected), encoding="utf-8")
    return load_province(folder)


SQUARES = [box(106, 10, 106.1, 10.1), box(106.1, 10, 106.2, 10.1), box(106, 10.1, 106.2, 10.2)]
NAMES = ["Phường Một", "Xã Hai", "Thị trấn Ba"]


def test_another_province_loads_from_its_own_folder(tmp_path):
    province = write_province(tmp_path, SQUARES, ["00001", "00002", "00003"], NAMES)
    units, report = build_units(province, province.vintages[0])
    communes = units[units["level"] == "commune"]
    assert communes["unit_type"].tolist() == ["phuong", "xa", "thi_tran"]
    assert (units["level"] == "province").sum() == 1
    assert units.loc[units["level"] == "province", "unit_type"].item() == "tinh"
    assert report["coverage"]["units"] == 3


def test_repeated_codes_are_named(tmp_path):
    province = write_province(tmp_path, SQUARES, ["00001", "00001", "00003"], NAMES)
    with pytest.raises(BoundaryDataError, match=r"codes repeated: \['00001'\]"):
        build_units(province, province.vintages[0])


def test_unexpected_unit_count_is_named(tmp_path):
    province = write_province(tmp_path, SQUARES, ["1", "2", "3"], NAMES, expected=95)
    with pytest.raises(BoundaryDataError, match="has 3 units, the configuration expects 95"):
        build_units(province, province.vintages[0])


def test_missing_layer_names_file_and_layer(tmp_path):
    province = write_province(tmp_path, SQUARES, ["1", "2", "3"], NAMES)
    (tmp_path / "province.toml").write_text(
        TOML.format(expected=3).replace('layer = "communes"', 'layer = "nope"'), encoding="utf-8")
    province = load_province(tmp_path)
    with pytest.raises(BoundaryDataError, match=r"units.gpkg \(layer nope\)"):
        build_units(province, province.vintages[0])


def test_missing_key_and_missing_folder_are_named(tmp_path):
    (tmp_path / "province.toml").write_text('code = "1"\nname = "x"\n', encoding="utf-8")
    with pytest.raises(ProvinceConfigError, match="missing key 'vintages'"):
        load_province(tmp_path)
    with pytest.raises(ProvinceConfigError, match="dong_nai"):
        load_province(tmp_path / "elsewhere")


def test_unknown_type_prefix_is_named():
    with pytest.raises(BoundaryDataError, match="'Khu phố 5' starts with no known type"):
        unit_type_of("Khu phố 5")
