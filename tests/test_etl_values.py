"""Hand-checked values for the coordinate, date and number parsers of the ETL."""

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st
from pyproj.transformer import TransformerGroup

from boundaries import load_province
from etl import reasons
from etl.coordinates import parse_coordinate_pair, parse_coordinate_text, parse_coordinates
from etl.dates import excel_serial_to_date, parse_dates
from etl.errors import ValueParseError
from etl.numbers import parse_money, parse_money_vnd, parse_number, parse_numbers

GPKG = "boundaries/provinces/dong_nai/dong_nai_boundaries.gpkg"
BOX = shapely.box(105.5, 10.5, 107.6, 12.3)
CANDIDATES = ("EPSG:5899", "EPSG:9212", "EPSG:3405")


@pytest.fixture(scope="module")
def province():
    frame = gpd.read_file(GPKG, layer="province_2025_sapnhap")
    return frame.geometry.union_all()


def metres_between(lon1, lat1, lon2, lat2):
    return np.hypot((lon1 - lon2) * 111_320 * np.cos(np.radians(lat1)), (lat1 - lat2) * 110_574)


# --- coordinates -------------------------------------------------------------------------------------


def test_province_config_lists_the_candidates():
    assert tuple(load_province().vn2000_crs) == CANDIDATES


def test_bien_hoa_xy_in_5899_with_6960_pinned(province):
    c = parse_coordinate_pair(
        "1210490.4", "400636.0", order="x_y", province=province, crs_candidates=CANDIDATES
    )
    assert c.reason is None and c.crs == "EPSG:5899"
    assert "VN-2000 to WGS 84 (2)" in c.operation
    assert metres_between(c.lon, c.lat, 106.8427, 10.9447) < 0.05


def test_unpinned_pyproj_would_differ_here():
    # The point of pinning: the default (best available per point) operation is EPSG:5194 at Biên Hòa.
    group = TransformerGroup("EPSG:5899", "EPSG:4326", always_xy=True)
    names = [t.description for t in group.transformers]
    assert any("(1)" in n for n in names) and "(2)" in names[0]
    c = parse_coordinate_pair(
        "1210490.4", "400636.0", order="x_y", province=BOX, crs_candidates=["EPSG:5899"]
    )
    lon1, lat1 = next(t for t in group.transformers if "(1)" in t.description).transform(400636.0, 1210490.4)
    assert metres_between(c.lon, c.lat, lon1, lat1) > 0.5


def test_easting_northing_written_the_other_way_round(province):
    c = parse_coordinate_pair(
        "400636.0", "1210490.4", order="x_y", province=province, crs_candidates=CANDIDATES
    )
    assert c.crs == "EPSG:5899" and c.method == "projected+xy_swapped"
    assert metres_between(c.lon, c.lat, 106.8427, 10.9447) < 0.05


def test_binh_phuoc_point_resolves_to_9212(province):
    forward = next(
        t
        for t in TransformerGroup("EPSG:4326", "EPSG:9212", always_xy=True).transformers
        if "VN-2000 to WGS 84 (2)" in t.description
    )
    east, north = forward.transform(106.90, 11.535)
    assert round(east) == 570_704
    c = parse_coordinate_pair(north, east, order="x_y", province=province, crs_candidates=CANDIDATES)
    assert c.crs == "EPSG:9212" and c.reason is None
    assert metres_between(c.lon, c.lat, 106.90, 11.535) < 0.01


def test_two_candidates_inside_is_ambiguous():
    # With the rough box, the UTM 48N reading of the Bình Phước pair also lands inside.
    c = parse_coordinate_pair(1275711.1, 570704.5, order="x_y", province=BOX, crs_candidates=CANDIDATES)
    assert c.reason == reasons.AMBIGUOUS_CRS and np.isnan(c.lon)


def test_projected_outside_and_unreadable(province):
    outside = parse_coordinate_pair(
        1210490.4, 200000.0, order="x_y", province=province, crs_candidates=CANDIDATES
    )
    assert outside.reason == reasons.OUTSIDE_PROVINCE
    assert (
        parse_coordinate_pair(5.0, 7.0, order="x_y", crs_candidates=CANDIDATES).reason
        == reasons.BAD_COORDINATE
    )


@pytest.mark.parametrize(
    "text",
    [
        "10°56'41.2\"N 106°49'30\"E",
        "10° 56′ 41.2″ N, 106° 49′ 30″ E",
        "10°56’41.2” N 106°49’30” E",
        "N10°56'41.2\" E106°49'30\"",
        "10 độ 56 phút 41.2 giây N 106 độ 49 phút 30 giây E",
        "10 56 41.2 106 49 30",
        "106°49'30\"E 10°56'41.2\"N",
        "10°56,68667' N 106°49,5' E",
    ],
)
def test_dms_forms(text):
    c = parse_coordinate_text(text, province=BOX)
    assert c.reason is None and c.method == "dms"
    assert c.lon == pytest.approx(106 + 49 / 60 + 30 / 3600, abs=1e-6)
    assert c.lat == pytest.approx(10 + 56 / 60 + 41.2 / 3600, abs=1e-5)


@pytest.mark.parametrize(
    ("text", "method"),
    [
        ("10.9447, 106.8427", "decimal"),
        ("10,9447; 106,8427", "decimal"),
        ("10,9447, 106,8427", "decimal"),
        ("106.8427 10.9447", "decimal+swapped"),
        ("106,8427; 10,9447", "decimal+swapped"),
    ],
)
def test_decimal_text(text, method):
    c = parse_coordinate_text(text, province=BOX)
    assert (round(c.lon, 4), round(c.lat, 4), c.method, c.reason) == (106.8427, 10.9447, method, None)


def test_swap_by_range_without_province():
    c = parse_coordinate_pair("106.8427", "10.9447", order="lat_lon")
    assert (c.lon, c.lat, c.method) == (106.8427, 10.9447, "decimal+swapped")


def test_bad_minutes_and_junk():
    assert parse_coordinate_text("10°75'00\"N 106°49'30\"E").reason == reasons.BAD_COORDINATE
    assert parse_coordinate_text("gần chợ Biên Hòa").reason == reasons.BAD_COORDINATE
    assert parse_coordinate_text("10.9447").reason == reasons.BAD_COORDINATE


def test_frame_keeps_index_and_never_moves_outside_points(province):
    frame = pd.DataFrame(
        {
            "vi_do": ["10,9447", "106.8427", "10.7769", None, None, "abc"],
            "kinh_do": ["106,8427", "10.9447", "106.7009", None, None, "def"],
            "X": [None, None, None, "1210490,4", None, None],
            "Y": [None, None, None, "400.636,0", None, None],
        },
        index=[10, 11, 12, 13, 14, 15],
    )
    before = frame.copy()
    out = parse_coordinates(
        frame, lon="kinh_do", lat="vi_do", x="X", y="Y", province=province, crs_candidates=CANDIDATES
    )
    pd.testing.assert_frame_equal(frame, before)
    assert out.index.tolist() == [10, 11, 12, 13, 14, 15]
    assert out["reason"].tolist() == [
        None,
        None,
        reasons.OUTSIDE_PROVINCE,
        None,
        reasons.NO_COORDINATE,
        reasons.BAD_COORDINATE,
    ]
    assert out["coord_method"].tolist()[:4] == ["decimal", "decimal+swapped", "decimal", "projected"]
    assert out.loc[12, ["lon", "lat"]].isna().all()  # Hồ Chí Minh City centre: rejected, not moved
    assert metres_between(out.loc[13, "lon"], out.loc[13, "lat"], 106.8427, 10.9447) < 0.05
    assert out.loc[13, "crs_source"] == "EPSG:5899"


def test_frame_needs_columns():
    with pytest.raises(ValueError, match="not in the frame"):
        parse_coordinates(pd.DataFrame({"a": [1]}), lon="lon", lat="a", province=BOX)
    with pytest.raises(ValueError, match="name the coordinate columns"):
        parse_coordinates(pd.DataFrame({"a": [1]}), lon="a", province=BOX)


# --- dates ---------------------------------------------------------------------------------------------


def iso(frame):
    return [None if pd.isna(d) else d.strftime("%Y-%m-%d") for d in frame["date"]]


@pytest.mark.parametrize(
    ("value", "expected", "precision"),
    [
        ("15/06/2019", "2019-06-15", "day"),
        ("15/6/19", "2019-06-15", "day"),
        ("15-06-2019", "2019-06-15", "day"),
        ("15.06.2019", "2019-06-15", "day"),
        ("2019-06-15", "2019-06-15", "day"),
        ("ngày 5 tháng 6 năm 2019", "2019-06-05", "day"),
        ("Ngày 15 tháng 06 năm 2019", "2019-06-15", "day"),
        (43631, "2019-06-15", "day"),
        ("43631", "2019-06-15", "day"),
        (43631.5, "2019-06-15", "day"),
        (date(2019, 6, 15), "2019-06-15", "day"),
        ("tháng 6/2019", "2019-06-01", "month"),
        ("T6/2019", "2019-06-01", "month"),
        ("Tháng 06 năm 2019", "2019-06-01", "month"),
        ("quý II/2019", "2019-04-01", "quarter"),
        ("Quý 4/2020", "2020-10-01", "quarter"),
        ("Q2/2019", "2019-04-01", "quarter"),
        ("QIV-2020", "2020-10-01", "quarter"),
        ("năm 2019", "2019-01-01", "year"),
        ("2019", "2019-01-01", "year"),
    ],
)
def test_each_date_form(value, expected, precision):
    out = parse_dates([value])
    assert iso(out) == [expected] and out["date_precision"].tolist() == [precision]
    assert out["reason"].tolist() == [None]


def test_order_decided_per_column():
    day_first = parse_dates(["13/02/2019", "06/07/2019"])
    assert iso(day_first) == ["2019-02-13", "2019-07-06"]
    assert day_first["day_month_order"].tolist() == ["day_first", "day_first"]
    month_first = parse_dates(["02/13/2019", "06/07/2019"])
    assert iso(month_first) == ["2019-02-13", "2019-06-07"]
    assumed = parse_dates(["06/07/2019"])
    assert iso(assumed) == ["2019-07-06"] and assumed["day_month_order"].tolist() == ["day_first_assumed"]


def test_mixed_column_flags_only_the_undecidable_cells():
    out = parse_dates(pd.Series(["13/02/2019", "02/13/2019", "06/07/2019", "05/05/2019"], index=list("abcd")))
    assert out.index.tolist() == list("abcd")
    assert iso(out) == ["2019-02-13", "2019-02-13", None, "2019-05-05"]
    assert out["reason"].tolist() == [None, None, reasons.AMBIGUOUS_DAY_MONTH, None]


def test_bad_dates():
    out = parse_dates(["31/02/2019", "hôm qua", "", 5, 60.0])
    assert out["reason"].tolist() == [
        reasons.BAD_DATE,
        reasons.BAD_DATE,
        None,
        reasons.BAD_DATE,
        reasons.BAD_DATE,
    ]


def test_excel_1900_leap_bug_and_1904():
    assert excel_serial_to_date(43631) == date(2019, 6, 15)
    assert excel_serial_to_date(59) == date(1900, 2, 28)
    assert excel_serial_to_date(61) == date(1900, 3, 1)
    with pytest.raises(ValueParseError) as caught:
        excel_serial_to_date(60)
    assert caught.value.reason == reasons.BAD_DATE
    assert excel_serial_to_date(43631 - 1462, date_system=1904) == date(2019, 6, 15)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2060, 12, 31)))
def test_dd_mm_yyyy_round_trip(day):
    out = parse_dates([day.strftime("%d/%m/%Y"), "25/12/2000"])
    assert out["date"].iloc[0].date() == day


# --- numbers and money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.234.567,5", 1234567.5),
        ("1.234.567", 1234567.0),
        ("12,5", 12.5),
        ("2.500", 2500.0),
        ("1,234,567.5", 1234567.5),
        ("1 234 567", 1234567.0),
        ("-3,25", -3.25),
        ("03 vụ", 3.0),
        ("0,500", 0.5),
    ],
)
def test_numbers(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2,500", reasons.AMBIGUOUS_NUMBER),
        ("1.23.4", reasons.BAD_NUMBER),
        ("abc", reasons.BAD_NUMBER),
        ("1,2,3.4.5", reasons.BAD_NUMBER),
    ],
)
def test_bad_numbers(text, reason):
    with pytest.raises(ValueParseError) as caught:
        parse_number(text)
    assert caught.value.reason == reason


def test_number_convention_per_column():
    assert parse_numbers(["2,500", "1,234,567.5"])["value"].tolist() == [2500.0, 1234567.5]
    assert parse_numbers(["2,500", "3,75"])["value"].tolist() == [2.5, 3.75]
    assert parse_numbers(["2.500", "3.75"])["value"].tolist() == [2.5, 3.75]
    mixed = parse_numbers(pd.Series(["2.500", "1.234,5", "1,234.5"], index=[7, 8, 9]))
    assert mixed["reason"].tolist() == [reasons.AMBIGUOUS_NUMBER, None, None]
    assert mixed.index.tolist() == [7, 8, 9]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15 triệu", 15_000_000),
        ("15tr", 15_000_000),
        ("1,5 tỷ", 1_500_000_000),
        ("1,5 tỉ", 1_500_000_000),
        ("15.000.000đ", 15_000_000),
        ("15.000.000 VNĐ", 15_000_000),
        ("7.500.000 đồng", 7_500_000),
        ("500 nghìn", 500_000),
        ("500 ngàn", 500_000),
        ("500k", 500_000),
        ("2,500", 2_500),
        ("1 tỷ 200 triệu", 1_200_000_000),
        ("1,1 tỷ", 1_100_000_000),
        ("15 Triệu đồng", 15_000_000),
    ],
)
def test_money(text, expected):
    value = parse_money_vnd(text)
    assert value == expected and isinstance(value, int)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("nhiều tiền", reasons.BAD_MONEY),
        ("-5 triệu", reasons.BAD_MONEY),
        ("15,5đ", reasons.FRACTIONAL_MONEY),
        ("500 triệu 1 tỷ", reasons.BAD_MONEY),
        ("1,2345678 nghìn", reasons.FRACTIONAL_MONEY),
    ],
)
def test_bad_money(text, reason):
    with pytest.raises(ValueParseError) as caught:
        parse_money_vnd(text)
    assert caught.value.reason == reason


def test_money_frame():
    out = parse_money(pd.Series(["15tr", None, "?"], index=[3, 4, 5]))
    assert out["amount_vnd"].dtype == "Int64" and out["amount_vnd"].iloc[0] == 15_000_000
    assert out["reason"].tolist() == [None, None, reasons.BAD_MONEY] and out.index.tolist() == [3, 4, 5]


@given(st.integers(min_value=0, max_value=10**15))
def test_dot_thousands_round_trip(number):
    text = f"{number:,}".replace(",", ".")
    assert parse_money_vnd(text) == number
    assert parse_number(text) == float(number)


def test_every_reason_is_explained():
    for code in (
        reasons.BAD_COORDINATE,
        reasons.OUTSIDE_PROVINCE,
        reasons.AMBIGUOUS_CRS,
        reasons.BAD_DATE,
        reasons.AMBIGUOUS_DAY_MONTH,
        reasons.BAD_NUMBER,
        reasons.AMBIGUOUS_NUMBER,
        reasons.BAD_MONEY,
        reasons.FRACTIONAL_MONEY,
        reasons.NO_COORDINATE,
    ):
        assert reasons.explain(code).fix
