"""``diaban ingest`` on one small hand-made file per pathology of the source data (tests/data/pathologies).

Every expected number below is read off the file itself: the comment of each case says why each row
loads, is rejected or is a duplicate. Communes are those of the 2010-02-06 vintage (the one valid for
2016-2024 dates), checked in boundaries/provinces/dong_nai/gazetteer/dong_nai_gso_units_2016-2019.csv.
The files that cannot be typed (legacy encodings, XLSX, GeoPackage, Shapefile, VN-2000 X/Y) are
written by tests/data/pathologies/make_files.py, whose points are fixed there.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlalchemy import text

from tests.helpers import run_cli

pytestmark = [pytest.mark.postgis, pytest.mark.usefixtures("fresh")]  # each case deletes its batches

DATA = Path(__file__).parent / "data" / "pathologies"

# The loaded incidents of the batch, oldest first: date, unit code, act code, label.
BY_DATE = """
    SELECT i.event_date::text, u.code, i.incident_kind, i.kind_label
    FROM incident i JOIN admin_unit u ON u.id = i.unit_id
    WHERE i.import_batch_id = :b ORDER BY i.event_date, i.persons_total"""
# The same with the stored point (EPSG:4326), to 4 decimals (about 10 m).
WITH_POINT = """
    SELECT i.event_date::text, u.code, round(ST_Y(i.geom)::numeric, :digits)::float,
           round(ST_X(i.geom)::numeric, :digits)::float
    FROM incident i JOIN admin_unit u ON u.id = i.unit_id
    WHERE i.import_batch_id = :b ORDER BY i.event_date"""
REJECTED = "SELECT source_row, reason FROM rejected_row WHERE import_batch_id = :b ORDER BY source_row"
MBD = ("mua_ban_dam", "Mua bán dâm")
# The four acts of the TCVN3 files, once repaired (the same cells in both files).
TCVN3_ROWS = (BY_DATE, [
        ("2020-05-01", "25996", *MBD), ("2020-05-02", "26017", "chua_mai_dam", "Chứa mại dâm"),
        ("2020-05-03", "26020", "moi_gioi_mai_dam", "Môi giới mại dâm"),
        ("2020-05-04", "26005", "khieu_dam_kich_duc", "Khiêu dâm, kích dục")])


class Case(NamedTuple):
    file: str
    read: int
    loaded: int
    rejected: int
    duplicates: int
    reasons: dict
    check: tuple[str, list[tuple]] | None = None
    warnings: dict = {}  # noqa: RUF012 - a NamedTuple default, never mutated
    dropped: list = []  # noqa: RUF012
    kind: str = "incidents"
    digits: int = 4  # of the points of WITH_POINT


CASES = {
    # 1. UTF-8 with a BOM: the BOM must not stick to the first header ("Ngày xảy ra"), else every
    # row would miss its date. Three sound rows in three Biên Hòa wards.
    "bom": Case("bom_utf8.csv", 3, 3, 0, 0, {}, (BY_DATE, [
        ("2018-03-05", "25996", *MBD), ("2018-03-06", "26017", "chua_mai_dam", "Chứa mại dâm"),
        ("2018-03-07", "26020", "moi_gioi_mai_dam", "Môi giới mại dâm")])),
    # 2. Windows-1258 with tone marks as combining characters (Tân Hòa = Ho + U+0300 + a): decoded
    # and NFC-normalised, the names match Tân Hòa 26005, Hố Nai 3 26272, Quyết Thắng 26041.
    "cp1258": Case("windows_1258.csv", 3, 3, 0, 0, {}, (BY_DATE, [
        ("2019-04-10", "26005", *MBD), ("2019-04-11", "26272", "chua_mai_dam", "Chứa mại dâm"),
        ("2019-04-12", "26041", "thoat_y", "Thoát y")])),
    # 3a. The act column in TCVN3 (.VnTime) as Excel shows it ("Chøa m¹i d©m"): repaired, the four
    # labels are known (no UNKNOWN_LABEL warning) and stored in Unicode.
    "tcvn3": Case("tcvn3_act.csv", 4, 4, 0, 0, {}, TCVN3_ROWS),
    # 3c. The same TCVN3 cells as raw bytes (a .VnTime sheet saved as plain CSV), placed by GSO code.
    # The file is not UTF-8, so it is read as Windows-1258 (byte 0xDD, "í" in TCVN3, is "Ư" there),
    # and each cell's bytes are recovered from it: the column repairs like 3a, all four cells.
    "tcvn3_raw": Case("tcvn3_raw_bytes.csv", 4, 4, 0, 0, {}, TCVN3_ROWS),
    # 3b. The commune column in VNI-Windows ("Phöôøng Taân Phong"): repaired, the four names match.
    "vni": Case("vni_commune.csv", 4, 4, 0, 0, {}, (BY_DATE, [
        ("2021-06-01", "25996", *MBD), ("2021-06-02", "26017", *MBD), ("2021-06-03", "26272", *MBD),
        ("2021-06-04", "26041", *MBD)])),
    # 4. The act column as UTF-8 read as Windows-1252 ("Chá»©a máº¡i dÃ¢m"): repaired like 3a.
    "mojibake": Case("mojibake_act.csv", 4, 4, 0, 0, {}, (BY_DATE, [
        ("2022-07-01", "25996", *MBD), ("2022-07-02", "26017", "chua_mai_dam", "Chứa mại dâm"),
        ("2022-07-03", "26020", "thoat_y", "Thoát y"),
        ("2022-07-04", "26005", "moi_gioi_mai_dam", "Môi giới mại dâm")])),
    # 5. XLSX: two merged title rows, a blank row, a header merged over rows 4-5 with "Tọa độ" over
    # X and Y; a blank data row (not read). Four rows: an Excel date, a dd/mm/yyyy text, the serial
    # 43315 (= 2018-08-03) and a VN-2000 X/Y point in Hố Nai 3 without commune name: all load.
    # "STT" (the row number) is no field of incidents: dropped and listed like any other such column.
    "xlsx": Case("title_rows_merged_header.xlsx", 4, 4, 0, 0, {}, (BY_DATE, [
        ("2018-08-01", "25996", *MBD), ("2018-08-02", "26017", "chua_mai_dam", "Chứa mại dâm"),
        ("2018-08-03", "26020", "moi_gioi_mai_dam", "Môi giới mại dâm"), ("2018-08-04", "26272", *MBD)]),
        dropped=["STT"]),
    # 6. GeoJSON points: Tân Phong and Tam Hiệp load at their points; the third is in Hà Nội.
    "geojson": Case("points.geojson", 3, 2, 1, 0, {"OUTSIDE_PROVINCE": 1}, (WITH_POINT, [
        ("2018-09-01", "25996", 10.9759, 106.8262), ("2018-09-02", "26017", 10.9488, 106.8563)])),
    # 7. GeoPackage in UTM 48N (EPSG:32648): converted back to the points written (Long Bình,
    # Hố Nai 3, TT Long Thành); "Mua dâm" and "Bán dâm" are their own acts.
    "gpkg": Case("points_utm48n.gpkg", 3, 3, 0, 0, {}, (WITH_POINT, [
        ("2019-10-15", "26020", 10.9323, 106.9028), ("2019-10-16", "26272", 10.9643, 106.9304),
        ("2019-10-17", "26368", 10.7784, 106.9415)])),
    # 8. Zipped Shapefile with 10-character English fields (Date, Offence, Persons) and a UTF-8 .dbf:
    # the Vietnamese labels survive; "Selling sex" is the English label of ban_dam.
    "shapefile": Case("points_shapefile.zip", 3, 3, 0, 0, {}, (BY_DATE, [
        ("2020-01-10", "25996", *MBD), ("2020-01-11", "26005", "chua_mai_dam", "Chứa mại dâm"),
        ("2020-01-12", "26041", "ban_dam", "Selling sex")])),
    # 9. English headers (Date, Offence, Commune, District, Persons, Fine) and English act labels.
    "english": Case("english_headers.csv", 3, 3, 0, 0, {}, (
        "SELECT i.event_date::text, i.incident_kind, i.persons_total, i.fine_vnd FROM incident i "
        "WHERE i.import_batch_id = :b ORDER BY i.event_date", [
            ("2019-11-01", "mua_ban_dam", 2, 1_500_000), ("2019-11-02", "chua_mai_dam", 3, None),
            ("2019-11-03", "moi_gioi_mai_dam", 1, None)])),
    # 10. Vietnamese headers without diacritics (Ngay xay ra, Hanh vi, Xa/phuong, ...): rows 2-3 load;
    # row 4's act "Mua ban dam" is a listed label, but its commune "Tan Phong" in "TP Bien Hoa" is no
    # exact name (diacritics count in names): AMBIGUOUS_UNIT, waiting for a reviewer.
    "vi_no_diacritics": Case("vietnamese_headers_no_diacritics.csv", 3, 2, 1, 0, {"AMBIGUOUS_UNIT": 1},
                             (BY_DATE, [("2019-12-05", "25996", *MBD),
                                        ("2019-12-06", "26017", "chua_mai_dam", "Chứa mại dâm")])),
    # 11. Commune names: "P. Tân Phong" (25996), "X. Hố Nai III" (26272), "TT. Trảng Bom" (26248),
    # "Phường Tân Hoà" old tone (26005), GSO code 26017 alone; "Bàu Hàm" in H. Thống Nhất, whose
    # only near name is Bàu Hàm 2 (another digit): UNKNOWN_UNIT; "Bàu Hàm 2" without district: 26314.
    "commune_names": Case("commune_names.csv", 7, 6, 1, 0, {"UNKNOWN_UNIT": 1}, (BY_DATE, [
        ("2017-02-01", "25996", *MBD), ("2017-02-02", "26272", *MBD), ("2017-02-03", "26248", *MBD),
        ("2017-02-04", "26005", *MBD), ("2017-02-05", "26017", *MBD), ("2017-02-07", "26314", *MBD)])),
    # 12. Degrees: decimal (Tân Phong), swapped lat/lon (Tam Hiệp), DMS with ′ ″ and N/E
    # (10°55′56.4″N 106°54′10.1″E = Long Bình), decimal commas (Hố Nai 3) load; "21,0285;105,8542" is
    # Hà Nội (OUTSIDE_PROVINCE); "10.97" with "abc" is no coordinate (BAD_COORDINATE).
    "degrees": Case("coordinates_degrees.csv", 6, 4, 2, 0, {"BAD_COORDINATE": 1, "OUTSIDE_PROVINCE": 1}, (
        WITH_POINT, [("2020-03-01", "25996", 10.9759, 106.8262), ("2020-03-02", "26017", 10.9488, 106.8563),
                     ("2020-03-03", "26020", 10.9323, 106.9028),
                     ("2020-03-04", "26272", 10.9643, 106.9304)])),
    # 13. VN-2000 X (northing) / Y (easting) in TM-3 107°45′: Tam Hiệp, TT Trảng Bom, and Hố Nai 3
    # with X and Y swapped load; the Hà Nội pair lands outside under every candidate CRS.
    # (to 3 decimals: make_files.py wrote X/Y with pyproj's default VN-2000 datum shift, the ingest
    # reads them back with EPSG:6960 pinned, up to a metre apart).
    "vn2000": Case("vn2000_xy.csv", 4, 3, 1, 0, {"OUTSIDE_PROVINCE": 1}, (WITH_POINT, [
        ("2021-04-01", "26017", 10.949, 106.856), ("2021-04-02", "26248", 10.961, 106.997),
        ("2021-04-04", "26272", 10.964, 106.93)]), digits=3),
    # 14. Dates: 15/06/2019, the serial 43632 (= 2019-06-16), ISO 2019-06-17 and "ngày 18 tháng 6 năm
    # 2019" load; 31/02/2019 does not exist and "hôm qua" is no date: BAD_DATE twice.
    "dates": Case("dates.csv", 6, 4, 2, 0, {"BAD_DATE": 2}, (
        "SELECT i.event_date::text FROM incident i WHERE i.import_batch_id = :b ORDER BY 1",
        [("2019-06-15",), ("2019-06-16",), ("2019-06-17",), ("2019-06-18",)])),
    # 15. Money in đồng: 1.234.567, 15 triệu, 1,5 triệu, 2.500.000đ load; "nhiều tiền" is BAD_MONEY;
    # the count "hai" (in words) is BAD_NUMBER.
    "money": Case("numbers_money.csv", 6, 4, 2, 0, {"BAD_MONEY": 1, "BAD_NUMBER": 1}, (
        "SELECT i.event_date::text, i.persons_total, i.fine_vnd FROM incident i "
        "WHERE i.import_batch_id = :b ORDER BY 1", [
            ("2019-08-01", 2, 1_234_567), ("2019-08-02", 1, 15_000_000), ("2019-08-03", 1, 1_500_000),
            ("2019-08-04", 3, 2_500_000)])),
    # 16. An act the vocabulary does not list loads as "other", its label kept, with a warning.
    "unknown_label": Case("unknown_label.csv", 3, 3, 0, 0, {}, (BY_DATE, [
        ("2019-09-01", "25996", *MBD), ("2019-09-02", "25996", "other", "Hành vi chưa có trong danh mục"),
        ("2019-09-03", "25996", "chua_mai_dam", "Chứa mại dâm")]), warnings={"UNKNOWN_LABEL": 1}),
    # 17. "Họ tên", "Số CCCD" and "Biệt danh" (a nickname) are dropped at read time for privacy, and
    # "Cột X" (a free-text column no pattern names) because it is no field of incidents: only mapped
    # fields are kept. The three rows load, and no name, ID number, nickname or note reaches the
    # batch's records or the batch itself.
    "person_columns": Case("person_columns.csv", 3, 3, 0, 0, {}, (
        "SELECT (SELECT count(*) FROM incident t WHERE t.import_batch_id = :b), "
        "(SELECT count(*) FROM incident t WHERE t.import_batch_id = :b AND t::text ~ :needles) "
        "+ (SELECT count(*) FROM import_batch t WHERE t.id = :b AND t::text ~ :needles)", [(3, 0)]),
        dropped=["Họ tên", "Số CCCD", "Biệt danh", "Cột X"]),
    # 18. Row 4 repeats row 2 exactly: one duplicate; row 5 differs by its count of people: loaded.
    "duplicate": Case("duplicate_row.csv", 4, 3, 0, 1, {}),
    # 19. Row 2 has no date, row 3 no act, row 4 no place at all (no point, code or name): three
    # MISSING_FIELD; row 5 loads.
    "missing_field": Case("missing_field.csv", 4, 1, 3, 0, {"MISSING_FIELD": 3}, (REJECTED, [
        (2, "MISSING_FIELD"), (3, "MISSING_FIELD"), (4, "MISSING_FIELD")])),
    # 20. Tip-offs with the informant's name and phone: both columns dropped at read time, the three
    # tips load (a blank result would be pending; "Đang xác minh" is pending) and no name or number
    # reaches the tips or the batch.
    "tips_informant": Case("tips_informant.csv", 3, 3, 0, 0, {}, (
        "SELECT t.received_date::text, u.code, t.channel, t.category, t.result, t.handled_date::text, "
        "(SELECT count(*) FROM tip x WHERE x.import_batch_id = :b AND x::text ~ :needles) "
        "+ (SELECT count(*) FROM import_batch x WHERE x.id = :b AND x::text ~ :needles) "
        "FROM tip t JOIN admin_unit u ON u.id = t.unit_id WHERE t.import_batch_id = :b ORDER BY 1", [
            ("2018-02-03", "25996", "hotline", "mua_ban_dam", "confirmed", "2018-02-10", 0),
            ("2018-02-04", "26017", "mailbox", "co_so_nghi_van", "not_confirmed", "2018-02-12", 0),
            ("2018-02-05", "26020", "walk_in", "tu_diem", "pending", None, 0)]),
        dropped=["Người báo tin", "SĐT người báo tin"], kind="tips"),
    # 21. A verification result outside the closed list (confirmed / not_confirmed / pending):
    # "Đã xong" rejects row 3 with NOT_IN_VOCABULARY; rows 2 and 4 load.
    "tips_bad_result": Case("tips_bad_result.csv", 3, 2, 1, 0, {"NOT_IN_VOCABULARY": 1}, (REJECTED, [
        (3, "NOT_IN_VOCABULARY")]), kind="tips"),
    # 22. Activities: a negative count of participants (row 3) is BAD_NUMBER; a blank one loads as
    # unknown (row 4); forms are read through the vocabulary (Họp dân = meeting, Tờ rơi = leaflet).
    "activities_negative": Case("activities_negative.csv", 3, 2, 1, 0, {"BAD_NUMBER": 1}, (
        "SELECT a.activity_date::text, u.code, a.form, a.form_label, a.participants_count FROM activity a "
        "JOIN admin_unit u ON u.id = a.unit_id WHERE a.import_batch_id = :b ORDER BY 1", [
            ("2018-04-10", "25996", "meeting", "Họp dân", 50),
            ("2018-04-12", "26017", "leaflet", "Tờ rơi", None)]),
        kind="activities"),
    # 23. A wide commune report, one row per commune and one column per indicator, for "Quý II/2018"
    # (2018-Q2): each filled cell is one value read (3 + 2 + 3 = 8; Tam Hiệp left people reached
    # blank). "Phường Hoa Sen Vàng" is no commune of Biên Hòa: its three cells are UNKNOWN_UNIT.
    "commune_reports_wide": Case("commune_reports_wide.csv", 8, 5, 3, 0, {"UNKNOWN_UNIT": 3}, (
        "SELECT u.code, r.period, r.indicator_code, r.value, r.reported_by FROM commune_report r "
        "JOIN admin_unit u ON u.id = r.unit_id WHERE r.import_batch_id = :b ORDER BY 1, 3", [
            ("25996", "2018-Q2", "awareness_activities", 2.0, "unspecified"),
            ("25996", "2018-Q2", "people_reached", 10.0, "unspecified"),
            ("25996", "2018-Q2", "reintegrated", 1.0, "unspecified"),
            ("26017", "2018-Q2", "awareness_activities", 1.0, "unspecified"),
            ("26017", "2018-Q2", "reintegrated", 0.0, "unspecified")]), kind="commune-reports"),
    # 24. Attestations: "Đạt" holds, "Không đạt" does not, the office is stored as its code; P12 is
    # no criterion a person attests in the rule set (P8, P9): NOT_IN_VOCABULARY.
    "attestations_criteria": Case("attestations_criteria.csv", 3, 2, 1, 0, {"NOT_IN_VOCABULARY": 1}, (
        "SELECT u.code, a.period, a.criterion_id, a.holds, a.assessed_by, a.note FROM criterion_assessment a "
        "JOIN admin_unit u ON u.id = a.unit_id WHERE a.import_batch_id = :b ORDER BY 3", [
            ("25996", "2018", "P8", True, "ubnd_xa", None), ("25996", "2018", "P9", False, "ubnd_xa", None)]),
        kind="attestations"),
}
NEEDLES = "075123456789|075987654321|Nguyễn Văn Ất|Trần Thị Bính|Lê Văn Canh|Tư Mập|Út Gầy|Bé Ba|quán Hồng"


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_pathology_file(db_url, engine, case):
    result = run_cli(db_url, "ingest", case.kind, str(DATA / case.file), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    got = {k: summary[k] for k in ("read", "loaded", "rejected", "duplicates", "reasons", "warnings",
                                   "dropped_columns")}
    assert got == {"read": case.read, "loaded": case.loaded, "rejected": case.rejected,
                   "duplicates": case.duplicates, "reasons": case.reasons, "warnings": case.warnings,
                   "dropped_columns": case.dropped}
    if case.check:
        sql, expected = case.check
        with engine.connect() as c:
            rows = c.execute(text(sql), {"b": summary["batch_id"], "needles": NEEDLES,
                                               "digits": case.digits}).all()
        assert [tuple(r) for r in rows] == expected
