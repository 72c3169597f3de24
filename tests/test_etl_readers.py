"""Readers and header mapping on real files written into tmp_path (no mocks)."""

from __future__ import annotations

import datetime as dt
import unicodedata
import zipfile

import geopandas as gpd
import pytest
from openpyxl import Workbook
from shapely.geometry import Point

from etl.errors import HeaderMappingError, SourceFileError, UnsupportedFormatError
from etl.headers import forbidden_reason, header_key, load_mapping, map_headers
from etl.readers import read_table
from etl.text import encode_legacy
from tests.helpers import cp1258

FORBIDDEN = ["Họ tên người vi phạm", "Năm sinh", "SĐT", "Ghi chú", "Chủ cơ sở"]
PERSON_VALUES = ["Nguyễn Văn An", "1991", "0909123456", "khách quen, ngụ ấp 3", "Trần Thị Bình"]


CSV_TEXT = (
    "Ten co so,Dia chi,Xa/phuong,Kinh do,Vi do,Ho ten,So dien thoai,Ghi chu\n"
    "Karaoke Hoa Sen,KP 5,Tân Biên,106.85,10.96,Nguyễn Văn An,0909123456,khách quen\n"
    "Nhà nghỉ Thủy Tiên,ấp Đức Long 3,Thống Nhất,107.15,10.98,Trần Thị Bình,0911222333,\n"
)


# --- headers -----------------------------------------------------------------------------------------


def test_header_key_ignores_case_diacritics_punctuation_and_spacing_but_keeps_d():
    assert header_key("Xã/phường") == header_key("XA - PHUONG") == "xaphuong"
    assert header_key("Đội 178") == "doi178"
    assert header_key("Tọa độ X") != header_key("Tọa độ Y")


@pytest.mark.parametrize(
    ("kind", "header", "field"),
    [
        ("establishments", "Tên cơ sở kinh doanh", "name"),
        ("establishments", "Ten co so", "name"),
        ("establishments", "Establishment name", "name"),
        ("inspections", "Ngày kiểm tra", "inspection_date"),
        ("inspections", "Inspection date", "inspection_date"),
        ("inspections", "Số tiền phạt", "fine"),
        ("inspections", "Tiền phạt", "fine"),
        ("inspections", "Hành vi", "violation"),
        ("incidents", "Loại vụ việc", "incident_kind"),
        ("incidents", "Hành vi", "incident_kind"),
        ("incidents", "Số người bán dâm", "persons_ban_dam"),
        ("incidents", "Dưới 18 tuổi", "persons_under_18"),
        ("sites", "Kinh độ", "lon"),
        ("sites", "VI DO", "lat"),
        ("sites", "Toạ độ X", "x"),
        ("sites", "Huyện", "district"),
    ],
)
def test_synonyms_map_to_canonical_fields(kind, header, field):
    result = map_headers([header], kind)
    assert result.rename == {header: field}
    assert result.unmatched == [] and result.dropped == []


@pytest.mark.parametrize(
    ("header", "reason"),
    [
        ("Họ tên người vi phạm", "person_name"),
        ("HoTen", "person_name"),
        ("Chủ cơ sở", "person_name"),
        ("Tên đối tượng", "person_name"),
        ("Người bán dâm", "person_name"),
        ("Năm sinh", "birth_or_age"),
        ("Ngày sinh", "birth_or_age"),
        ("Số CCCD", "id_number"),
        ("CMND", "id_number"),
        ("SĐT", "phone_or_handle"),
        ("Số điện thoại", "phone_or_handle"),
        ("Zalo", "phone_or_handle"),
        ("Địa chỉ thường trú", "home_address"),
        ("Quê quán", "home_address"),
        ("Ghi chú", "free_text"),
        ("Mô tả vụ việc", "free_text"),
        ("Nhận xét", "free_text"),
        ("Tiền án, tiền sự", "sensitive_record"),
        ("Biển số xe", "sensitive_record"),
    ],
)
def test_forbidden_headers_are_dropped_with_their_reason(header, reason):
    dropped = forbidden_reason(header, kind="incidents")
    assert dropped is not None and dropped.reason == reason and dropped.column == header
    assert map_headers([header, "Ngày"], "incidents").dropped[0].reason == reason


@pytest.mark.parametrize("header", ["Tên cơ sở", "Số người vi phạm", "Số đối tượng", "Địa chỉ", "Ownership"])
def test_business_data_and_counts_are_not_forbidden(header):
    assert forbidden_reason(header, kind="establishments") is None


def test_owner_is_dropped_even_for_establishments_while_the_name_is_kept():
    result = map_headers(["Tên cơ sở", "Chủ cơ sở", "Ghi chú"], "establishments")
    assert result.rename == {"Tên cơ sở": "name"}
    assert [(d.column, d.reason) for d in result.dropped] == [
        ("Chủ cơ sở", "person_name"),
        ("Ghi chú", "free_text"),
    ]


def test_second_header_for_the_same_field_is_dropped_not_overwritten():
    result = map_headers(["Kinh độ", "Longitude", "STT"], "sites")
    assert result.rename == {"Kinh độ": "lon"}
    assert [(d.column, d.reason, d.pattern) for d in result.dropped] == [
        ("Longitude", "duplicate_field", "lon"), ("STT", "not_a_field", "")]
    assert result.unmatched == ["Longitude", "STT"]


# Headers an adversarial review found kept by the old deny-list (issue #12), and a few more.
PERSON_HEADERS = ["Nghi phạm", "Nạn nhân", "Biệt danh", "Tên gái", "Chủ quán", "Quản lý", "Người phụ trách",
                  "Liên hệ", "Chỗ ở hiện nay", "Dân tộc", "Victim", "Manager", "Contact", "Tên tiếp viên",
                  "Khách", "Ghi chú", "SĐT", "Facebook", "Zalo"]


@pytest.mark.parametrize("kind", ["establishments", "sites", "site-events", "incidents", "inspections"])
def test_only_mapped_fields_are_kept_every_other_column_is_dropped_with_its_reason(kind):
    headers = ["Xã/phường", *PERSON_HEADERS, "Cột X", "Địa chỉ thường trú"]
    result = map_headers(headers, kind)
    assert result.rename == {"Xã/phường": "commune"}
    reasons = {d.column: d for d in result.dropped}
    assert list(reasons) == headers[1:]
    assert all(reasons[h].private and reasons[h].reason != "not_a_field" for h in PERSON_HEADERS)
    assert reasons["Cột X"].reason == "not_a_field" and not reasons["Cột X"].private
    assert reasons["Cột X"].explanation == "not a field of this kind"
    assert reasons["Nghi phạm"].explanation == "identifies a person"


def test_a_bare_address_is_a_place_for_establishments_but_dropped_from_a_case_list():
    assert map_headers(["Địa chỉ"], "establishments").rename == {"Địa chỉ": "address"}
    assert map_headers(["Nơi xảy ra"], "incidents").rename == {"Nơi xảy ra": "address"}
    assert [d.reason for d in map_headers(["Địa chỉ"], "incidents").dropped] == ["not_a_field"]


@pytest.mark.parametrize("header", PERSON_HEADERS)
def test_a_user_mapping_can_never_keep_a_person_column(header):
    result = map_headers([header], "establishments", mapping={header: "name"})
    assert result.rename == {} and [d.column for d in result.dropped] == [header]


def test_mapping_overrides_synonyms_but_never_privacy(tmp_path):
    toml = tmp_path / "map.toml"
    toml.write_text(
        '"Cột 7" = "fine"\n"Ten co so" = "establishment_ref"\n"Ghi chú" = "violation"\n', encoding="utf-8"
    )
    result = map_headers(["COT 7", "Tên cơ sở", "Ghi chú"], "inspections", mapping=toml)
    assert result.rename == {"COT 7": "fine", "Tên cơ sở": "establishment_ref"}
    assert [d.column for d in result.dropped] == ["Ghi chú"]
    csv_file = tmp_path / "map.csv"
    csv_file.write_text("source,field\nCột 7,fine\n", encoding="utf-8-sig")
    assert load_mapping(csv_file) == {"Cột 7": "fine"}


def test_mapping_to_an_unknown_field_names_the_field_and_the_choices():
    with pytest.raises(
        HeaderMappingError, match=r"'amount' is not a field of inspections; use one of .*fine"
    ):
        map_headers(["Cột 7"], "inspections", mapping={"Cột 7": "amount"})


def test_mapping_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "map.csv"
    bad.write_text("Cột 7\n", encoding="utf-8")
    with pytest.raises(HeaderMappingError, match=r"map\.csv, line 1: expected two cells"):
        load_mapping(bad)
    with pytest.raises(HeaderMappingError, match=r"map\.txt: a mapping file must be \.toml or \.csv"):
        load_mapping(tmp_path / "map.txt")


def test_unknown_kind_lists_the_kinds():
    with pytest.raises(HeaderMappingError, match="is not one of establishments, sites"):
        map_headers(["Tên cơ sở"], "shops")


# --- CSV ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("utf-8", lambda text: text.encode("utf-8")),
        ("utf-8-sig", lambda text: text.encode("utf-8-sig")),
        ("cp1258", cp1258),
    ],
)
def test_csv_in_each_encoding_maps_headers_drops_people_and_returns_nfc(tmp_path, encoding, encode):
    path = tmp_path / "co_so.csv"
    path.write_bytes(encode(CSV_TEXT))
    result = read_table(path, kind="establishments")
    frame = result.frame
    assert result.encoding == encoding
    assert list(frame.columns) == ["source_row", "name", "address", "commune", "lon", "lat"]
    assert frame["source_row"].tolist() == [2, 3]
    assert frame["commune"].tolist() == ["Tân Biên", "Thống Nhất"]
    assert frame["name"].tolist() == ["Karaoke Hoa Sen", "Nhà nghỉ Thủy Tiên"]
    assert all(
        unicodedata.is_normalized("NFC", v) for v in frame[["name", "address", "commune"]].to_numpy().ravel()
    )
    assert frame["lon"].tolist() == ["106.85", "107.15"]  # values are not parsed here
    assert [(d.column, d.reason) for d in result.dropped_columns] == [
        ("Ho ten", "person_name"),
        ("So dien thoai", "phone_or_handle"),
        ("Ghi chu", "free_text"),
    ]
    flat = [str(v) for v in frame.to_numpy().ravel()]
    assert not any(p in v for v in flat for p in ("Nguyễn", "0909123456", "khách quen"))


def test_csv_with_semicolons_and_decimal_commas_and_a_title_row(tmp_path):
    path = tmp_path / "vu_viec.csv"
    text = (
        "BÁO CÁO VỤ VIỆC THÁNG 6\n"
        "Ngày;Hành vi;Xã/phường;Số tiền phạt;Kinh độ\n"
        "05/06/2019;mua bán dâm;Tân Biên;1.500.000;106,85\n"
    )
    path.write_text(text, encoding="utf-8")
    result = read_table(path, kind="incidents")
    assert result.header_row == 2
    assert result.frame.to_dict("records") == [
        {
            "source_row": 3,
            "event_date": "05/06/2019",
            "incident_kind": "mua bán dâm",
            "commune": "Tân Biên",
            "fine": "1.500.000",
            "lon": "106,85",
        }
    ]
    assert "delimiter ';'" in result.notes


def test_csv_with_tab_delimiter_and_no_kind_keeps_source_headers_of_known_fields_only(tmp_path):
    path = tmp_path / "tab.csv"
    path.write_text("Tên cơ sở\tSĐT\tXã\tCột X\nKaraoke A\t0909\tAn Hòa\tbí mật\n", encoding="utf-8")
    result = read_table(path)
    assert list(result.frame.columns) == ["source_row", "Tên cơ sở", "Xã"]
    assert [(d.column, d.reason) for d in result.dropped_columns] == [
        ("SĐT", "phone_or_handle"), ("Cột X", "not_a_field")]


def test_csv_mapping_file_renames_an_unknown_header(tmp_path):
    path = tmp_path / "kt.csv"
    path.write_text("Ten co so,Cot 7\nKaraoke A,15 triệu\n", encoding="utf-8")
    mapping = tmp_path / "map.toml"
    mapping.write_text('[mapping]\n"Cột 7" = "fine"\n', encoding="utf-8")
    without = read_table(path, kind="inspections")
    assert without.unmatched == ["Cot 7"]
    assert list(without.frame.columns) == ["source_row", "establishment_name"]
    assert "dropped, not a field of this kind: 'Cot 7' (not_a_field)" in without.notes
    with_mapping = read_table(path, kind="inspections", mapping=mapping)
    assert with_mapping.frame["fine"].tolist() == ["15 triệu"]
    assert with_mapping.unmatched == []


def test_csv_row_wider_than_header_names_file_row_and_fix(tmp_path):
    path = tmp_path / "lech.csv"
    path.write_text("Ten co so,Xa\nKaraoke A,An Hòa\nKaraoke B,Tân Biên,thừa\n", encoding="utf-8")
    with pytest.raises(
        SourceFileError, match=r"lech\.csv, row 3: 3 cells but the header \(row 1\) has 2; quote"
    ) as info:
        read_table(path, kind="establishments")
    assert info.value.row == 3 and info.value.path == str(path)


def test_csv_without_a_recognisable_header_names_the_file(tmp_path):
    path = tmp_path / "rac.csv"
    path.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(
        SourceFileError, match=r"rac\.csv: no header row found in the first 30 rows; put one row"
    ):
        read_table(path, kind="establishments")


# --- XLSX --------------------------------------------------------------------------------------------

HEADER = ["STT", "Tên cơ sở", "Chủ cơ sở", "Địa chỉ", "Xã/phường", "Tọa độ", None, "Ngày KT", "Số tiền phạt",
          "Họ tên người vi phạm", "Năm sinh", "SĐT", "Ghi chú"]  # fmt: skip
ADDRESSES = [
    "KP 5, P. Tân Biên, TP Biên Hoà",
    "Số 12 đường Hùng Vương, ấp Trung Tâm",
    "Tổ 3, khu phố Bình Đức",
]


def write_workbook(path):
    book = Workbook()
    sheet = book.active
    sheet.title = "Biên Hòa"
    sheet["A1"] = "UBND TỈNH ĐỒNG NAI"
    sheet.merge_cells("A1:M1")
    sheet["A2"] = "BÁO CÁO KẾT QUẢ KIỂM TRA"
    sheet.merge_cells("A2:M2")
    for column, label in enumerate(HEADER, start=1):
        if label is not None:
            sheet.cell(row=4, column=column, value=label)
        if label not in ("Tọa độ", None):
            sheet.merge_cells(start_row=4, start_column=column, end_row=5, end_column=column)
    sheet.merge_cells("F4:G4")
    sheet["F5"], sheet["G5"] = "X", "Y"
    legacy = [encode_legacy(text, "tcvn3").decode("latin-1") for text in ADDRESSES]
    rows = [
        [1, "Karaoke Hoa Sen", "Trần Thị Bình", legacy[0], "Tân Biên", 1218000.5, 412345.2,
         dt.datetime(2019, 6, 15), 15000000, "Nguyễn Văn An", 1991, "0909123456", "khách quen, ngụ ấp 3"],
        [2, "Nhà nghỉ Thủy Tiên", "Lê Văn Cường", legacy[1], "Thống Nhất", None, None, "20/06/2019",
         "7,5 triệu", None, None, None, None],
        None,  # a blank row inside the data
        [3, "Massage Bình An", None, legacy[2], "Long Bình", 1219000, 413000, 43631, "-",
         None, None, None, None],
    ]  # fmt: skip
    for offset, row in enumerate(rows):
        for column, value in enumerate(row or [], start=1):
            sheet.cell(row=6 + offset, column=column, value=value)
    second = book.create_sheet("Long Khánh")
    second.append(["DANH SÁCH CƠ SỞ ĐƯỢC KIỂM TRA NĂM 2024"])
    second.append(["TT", "Ten co so", "Ngay kiem tra", "Tien phat", "Ghi chu"])
    second.append([1, "Karaoke Suối Tre", "02/03/2024", "0", "chủ quán vắng mặt"])
    book.save(path)


@pytest.fixture
def workbook(tmp_path):
    path = tmp_path / "kiem_tra_2019.xlsx"
    write_workbook(path)
    return path


def test_xlsx_finds_the_header_below_title_rows_and_joins_the_merged_two_row_header(workbook):
    result = read_table(workbook, sheet="Biên Hòa", kind="inspections")
    assert (result.sheet, result.header_row, result.sheets) == ("Biên Hòa", 5, {"Biên Hòa": 5})
    assert list(result.frame.columns) == [
        "source_row", "establishment_name", "address", "commune", "x", "y", "inspection_date", "fine",
    ]  # fmt: skip
    assert result.unmatched == ["STT"]
    assert result.frame["x"].tolist()[0] == 1218000.5 and result.frame["y"].tolist()[0] == 412345.2


def test_xlsx_source_row_is_the_excel_row_number(workbook):
    frame = read_table(workbook, sheet="Biên Hòa", kind="inspections").frame
    assert frame["source_row"].tolist() == [6, 7, 9]
    assert frame["establishment_name"].tolist() == [
        "Karaoke Hoa Sen",
        "Nhà nghỉ Thủy Tiên",
        "Massage Bình An",
    ]
    assert frame["inspection_date"].tolist() == [dt.datetime(2019, 6, 15), "20/06/2019", 43631]


def test_xlsx_drops_forbidden_columns_and_keeps_the_establishment_name(workbook):
    result = read_table(workbook, sheet="Biên Hòa", kind="inspections")
    assert sorted(d.column for d in result.dropped_columns if d.private) == sorted(FORBIDDEN)
    assert not set(FORBIDDEN) & set(result.frame.columns)
    assert "establishment_name" in result.frame.columns
    flat = [str(v) for v in result.frame.to_numpy().ravel()]
    assert not any(value in cell for cell in flat for value in PERSON_VALUES)
    assert any("dropped for privacy" in note and "'SĐT' (phone_or_handle)" in note for note in result.notes)


def test_xlsx_tcvn3_column_is_repaired_and_reported(workbook):
    result = read_table(workbook, sheet="Biên Hòa", kind="inspections")
    assert result.frame["address"].tolist() == [unicodedata.normalize("NFC", a) for a in ADDRESSES]
    assert result.text_report.loc["address", "encoding"] == "tcvn3"
    assert result.text_report.loc["establishment_name", "encoding"] == "unicode"
    assert "column 'address': text read as tcvn3" in result.notes


def test_xlsx_whole_workbook_stacks_every_sheet_with_its_name_and_rows(workbook):
    result = read_table(workbook, kind="inspections")
    frame = result.frame
    assert result.sheet is None and result.header_row is None
    assert result.sheets == {"Biên Hòa": 5, "Long Khánh": 2}
    assert frame[["source_sheet", "source_row"]].to_numpy().tolist() == [
        ["Biên Hòa", 6], ["Biên Hòa", 7], ["Biên Hòa", 9], ["Long Khánh", 3],
    ]  # fmt: skip
    assert frame["establishment_name"].iloc[-1] == "Karaoke Suối Tre"
    assert frame["fine"].iloc[-1] == "0"
    assert {"Ghi chu", "Ghi chú"} <= {d.column for d in result.dropped_columns}
    assert "chủ quán vắng mặt" not in [str(v) for v in frame.to_numpy().ravel()]


def test_xlsx_sheet_without_header_is_skipped_with_a_note_or_named_when_asked_for(workbook, tmp_path):
    from openpyxl import load_workbook

    book = load_workbook(workbook)
    book.create_sheet("Hướng dẫn").append(["Điền mỗi cơ sở một dòng"])
    path = tmp_path / "kiem_tra_them.xlsx"
    book.save(path)
    result = read_table(path, kind="inspections")
    assert set(result.sheets) == {"Biên Hòa", "Long Khánh"}
    assert any(note.startswith("sheet 'Hướng dẫn' skipped") for note in result.notes)
    with pytest.raises(
        SourceFileError, match=r"kiem_tra_them\.xlsx, sheet 'Hướng dẫn': no header row"
    ) as info:
        read_table(path, sheet="Hướng dẫn", kind="inspections")
    assert info.value.sheet == "Hướng dẫn"
    with pytest.raises(
        SourceFileError, match=r"no sheet 'Nhơn Trạch'; the sheets are 'Biên Hòa', 'Long Khánh'"
    ):
        read_table(path, sheet="Nhơn Trạch")


# --- vector formats ----------------------------------------------------------------------------------


def points_frame(crs="EPSG:4326"):
    frame = gpd.GeoDataFrame(
        {
            "Ten co so": ["Karaoke Hoa Sen", "Nhà nghỉ Thủy Tiên"],
            "Loai hinh": ["karaoke", "nhà nghỉ"],
            "Xa phuong": ["Tân Biên", "Thống Nhất"],
            "Chu co so": ["Trần Thị Bình", "Lê Văn Cường"],
            "SDT": ["0909123456", "0911222333"],
        },
        geometry=[Point(106.85, 10.96), Point(107.15, 10.98)],
        crs="EPSG:4326",
    )
    return frame.to_crs(crs)


def assert_establishment_layer(result, crs):
    frame = result.frame
    assert isinstance(frame, gpd.GeoDataFrame)
    assert list(frame.columns) == ["source_row", "name", "establishment_type", "commune", "geometry"]
    assert frame["source_row"].tolist() == [1, 2]
    assert frame["commune"].tolist() == ["Tân Biên", "Thống Nhất"]
    assert sorted(d.column for d in result.dropped_columns) == ["Chu co so", "SDT"]
    assert frame.crs.to_epsg() == 4326 and result.crs == crs
    assert frame.geometry.x.round(6).tolist() == [106.85, 107.15]
    assert frame.geometry.y.round(6).tolist() == [10.96, 10.98]


def test_geojson_keeps_geometry_and_maps_attribute_headers(tmp_path):
    path = tmp_path / "co_so.geojson"
    points_frame().to_file(path, driver="GeoJSON")
    assert_establishment_layer(read_table(path, kind="establishments"), "EPSG:4326")


def test_geopackage_is_converted_to_4326_and_a_layer_can_be_chosen(tmp_path):
    path = tmp_path / "co_so.gpkg"
    points_frame("EPSG:32648").to_file(path, layer="co_so", driver="GPKG")
    points_frame().iloc[:1].to_file(path, layer="khac", driver="GPKG")
    result = read_table(path, sheet="co_so", kind="establishments")
    assert_establishment_layer(result, "EPSG:32648")
    assert "converted from EPSG:32648 to EPSG:4326" in result.notes
    assert len(read_table(path, sheet="khac", kind="establishments").frame) == 1
    with pytest.raises(
        SourceFileError, match=r"co_so\.gpkg: no layer 'nope'; the layers are 'co_so', 'khac'"
    ):
        read_table(path, sheet="nope")


def test_zipped_shapefile_is_read_through_vsizip(tmp_path):
    folder = tmp_path / "shp"
    folder.mkdir()
    points_frame("EPSG:32648").to_file(folder / "co_so.shp", encoding="utf-8")
    archive = tmp_path / "co_so.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for part in folder.iterdir():
            handle.write(part, part.name)
    result = read_table(archive, kind="establishments")
    assert_establishment_layer(result, "EPSG:32648")


def test_zip_without_shapefile_names_the_file_and_the_fix(tmp_path):
    archive = tmp_path / "rong.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("readme.txt", "nothing")
    with pytest.raises(SourceFileError, match=r"rong\.zip: the zip holds no \.shp file; zip the Shapefile's"):
        read_table(archive)


# --- bad files ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "fix"), [("bao_cao.pdf", r"save it as one of \.csv"), ("cu.xls", r"save as \.xlsx")]
)
def test_unknown_extension_names_the_file_and_the_fix(tmp_path, name, fix):
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(UnsupportedFormatError, match=fix) as info:
        read_table(path)
    assert name in str(info.value) and info.value.path == str(path)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("hong.xlsx", r"hong\.xlsx: not a readable \.xlsx workbook .*save it again as \.xlsx"),
        ("hong.gpkg", r"hong\.gpkg: not a readable vector file .*export it again"),
        ("hong.geojson", r"hong\.geojson: not a readable vector file"),
    ],
)
def test_unreadable_file_names_the_file_and_the_fix(tmp_path, name, message):
    path = tmp_path / name
    path.write_bytes(b"this is not what the extension says \x00\x01")
    with pytest.raises(SourceFileError, match=message):
        read_table(path)


def test_missing_file_names_the_path(tmp_path):
    with pytest.raises(SourceFileError, match=r"khong_co\.csv: no such file; check the path"):
        read_table(tmp_path / "khong_co.csv")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_sheet_wholly_in_a_legacy_font_finds_its_header(tmp_path, fmt):
    # A .VnTime sheet holds TCVN3 in its headers too ("Ngµy x¶y ra"): the header row must be found
    # and read, as an .xlsx (Latin-1 strings) or saved as plain CSV (raw bytes, not UTF-8).
    headers = ["Ngày xảy ra", "Hành vi", "Xã/phường", "Huyện"]
    rows = [["05/03/2018", "Mua bán dâm", "Tân Phong", "Biên Hòa"],
            ["06/03/2018", "Chứa mại dâm", "Hố Nai 3", "Trảng Bom"]]
    legacy = [[encode_legacy(cell, "tcvn3") for cell in row] for row in [headers, *rows]]
    if fmt == "xlsx":
        book = Workbook()
        sheet = book.active
        sheet.append([encode_legacy("BÁO CÁO VỤ VIỆC", "tcvn3").decode("latin-1")])  # a title row
        for row in legacy:
            sheet.append([cell.decode("latin-1") for cell in row])
        path = tmp_path / "vntime.xlsx"
        book.save(path)
    else:
        path = tmp_path / "vntime.csv"
        path.write_bytes(b"\r\n".join(b";".join(row) for row in legacy) + b"\r\n")
    frame = read_table(path, kind="incidents").frame
    assert {"event_date", "incident_kind", "commune", "district"} <= set(frame.columns)
    assert frame["incident_kind"].tolist() == ["Mua bán dâm", "Chứa mại dâm"]
    assert frame["commune"].tolist() == ["Tân Phong", "Hố Nai 3"]
