"""``diaban ingest`` for every kind on the hand-made files of tests/data: counts, reasons, links, keys.

Each fixture file carries one pathology per row (its comment is the row itself: read the CSV next
to the expected counts). Every test deletes the batches it created, newest first.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from sqlalchemy import text

from etl.errors import ParserOptionError
from etl.names import district_key
from etl.pipeline import ingest
from tests.helpers import run_cli

pytestmark = [pytest.mark.postgis, pytest.mark.usefixtures("fresh")]  # each test deletes its batches

DATA = Path(__file__).parent / "data"
KEY = "h1-test-key-0123456789abcdef"
COUNTS = ("read", "loaded", "rejected", "duplicates")


def keyed(value: str) -> str:
    """The keyed hash a case number must be stored as (computed here, not by the code under test)."""
    return hmac.new(KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


@pytest.fixture(autouse=True)
def hmac_key(monkeypatch):
    monkeypatch.setenv("DIABAN_HMAC_KEY", KEY)


def load(db_url, kind: str, name: str, *extra: str) -> dict:
    result = run_cli(db_url, "ingest", kind, str(DATA / name), "--json", *extra)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["read"] == summary["loaded"] + summary["rejected"] + summary["duplicates"]
    return summary


def counts(summary: dict) -> tuple[int, ...]:
    return tuple(summary[k] for k in COUNTS)


def rows(engine, sql: str, **params) -> list[tuple]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text(sql), params).all()]


def test_inspections_are_linked_to_their_establishments_with_fines_in_dong(db_url, engine):
    establishments = load(db_url, "establishments", "establishments_h1.csv")
    assert counts(establishments) == (6, 6, 0, 0) and establishments["dropped_columns"] == ["Số điện thoại"]
    summary = load(db_url, "inspections", "inspections_h1.csv")
    assert counts(summary) == (10, 4, 5, 1)
    assert summary["reasons"] == {"AMBIGUOUS_ESTABLISHMENT": 1, "BAD_MONEY": 1, "MISSING_FIELD": 1,
                                  "NOT_IN_VOCABULARY": 1, "UNKNOWN_ESTABLISHMENT": 1}
    assert summary["warnings"] == {"UNKNOWN_LABEL": 1}
    assert summary["dropped_columns"] == ["STT", "Trưởng đoàn"]  # only mapped fields are kept
    loaded = rows(engine, """
        SELECT i.inspection_date::text, e.name, u.code, i.team_level, i.outcome, i.violation_codes,
               i.fine_vnd, i.record_ref_hmac
        FROM inspection i JOIN establishment e ON e.id = i.establishment_id
        JOIN admin_unit u ON u.id = e.unit_id
        WHERE i.import_batch_id = :b ORDER BY i.inspection_date""", b=summary["batch_id"])
    assert loaded == [
        # by registration number
        ("2018-06-15", "Karaoke H1-Sao Mai", "26017", "huyen", "xu_phat",
         ["chua_mai_dam", "vi_pham_dieu_kien_kinh_doanh"], 15_000_000, keyed("BB-H1-01/2018")),
        # by name: old Phường Thống Nhất (2010) lies in today's Phường Trấn Biên (26041)
        ("2018-06-16", "Nhà nghỉ H1-Bình An", "26041", "tinh", "nhac_nho", [], None, keyed("BB-H1-02/2018")),
        # by name: old Phường Tân Tiến lies in today's Tam Hiệp, where this one of two namesakes is
        ("2018-06-17", "Massage H1-Thư Giãn", "26017", "xa", "xu_phat", ["khieu_dam_kich_duc"], 15_000_000,
         keyed("BB-H1-03/2018")),
        # the registration number written in lower case with spaces is the same number
        ("2018-06-22", "Karaoke H1-Sao Mai", "26017", "tinh", "xu_phat", ["other"], 1_500_000,
         keyed("BB-H1-08/2018")),
    ]
    rejected = rows(engine, "SELECT source_row, reason FROM rejected_row WHERE import_batch_id = :b "
                    "ORDER BY source_row", b=summary["batch_id"])
    assert rejected == [(5, "UNKNOWN_ESTABLISHMENT"), (6, "AMBIGUOUS_ESTABLISHMENT"),
                        (7, "NOT_IN_VOCABULARY"), (8, "BAD_MONEY"), (10, "MISSING_FIELD")]


def test_sites_then_their_events(db_url, engine):
    load(db_url, "establishments", "establishments_h1.csv")
    sites = load(db_url, "sites", "sites_h1.csv")
    assert counts(sites) == (6, 3, 2, 1)
    assert sites["reasons"] == {"BAD_DATE": 1, "MISSING_FIELD": 1}
    assert sites["warnings"] == {"UNKNOWN_LABEL": 1}
    stored = rows(engine, """
        SELECT s.descriptor, s.site_kind, s.kind_label, e.name, u.code, u.vintage_id, s.geom IS NOT NULL,
               s.site_ref_hmac
        FROM site s LEFT JOIN establishment e ON e.id = s.establishment_id
        JOIN admin_unit u ON u.id = s.unit_id
        WHERE s.import_batch_id = :b ORDER BY s.id""", b=sites["batch_id"])
    assert stored == [
        ("Đoạn đường H1 gần cầu", "public", "Công cộng", None, "25996", "75:2010-02-06", True,
         keyed("TD-H1-01")),
        ("Khu H1 karaoke", "in_establishment", "Trong cơ sở", "Karaoke H1-Sao Mai", "26017", "75:2010-02-06",
         False, keyed("TD-H1-02")),
        ("Công viên H1", "public", "Bãi đất trống", None, "26020", "75:2025-07-01", False, keyed("TD-H1-03")),
    ]
    events = load(db_url, "site-events", "site_events_h1.csv")
    assert counts(events) == (7, 3, 3, 1)
    assert events["reasons"] == {"MISSING_FIELD": 1, "NOT_IN_VOCABULARY": 1, "UNKNOWN_SITE": 1}
    history = rows(engine, """
        SELECT s.descriptor, e.event_date::text, e.event_type
        FROM site_event e JOIN site s ON s.id = e.site_id
        WHERE s.import_batch_id = :b ORDER BY s.id, e.event_date""", b=sites["batch_id"])
    assert history == [
        ("Đoạn đường H1 gần cầu", "2018-03-10", "identified"),   # the sites file's first-identified date
        ("Đoạn đường H1 gần cầu", "2018-06-01", "cleared"),      # by site code
        ("Đoạn đường H1 gần cầu", "2018-09-01", "reactivated"),  # by a point 1 m away
        ("Khu H1 karaoke", "2018-05-05", "identified"),
        ("Khu H1 karaoke", "2018-09-02", "cleared"),             # by name in its commune
    ]


def test_the_same_file_twice_and_an_overlapping_file(db_url, engine):
    first = load(db_url, "incidents", "incidents_cases_a.csv")
    assert counts(first) == (3, 3, 0, 0)
    again = load(db_url, "incidents", "incidents_cases_a.csv")
    assert counts(again) == (3, 0, 0, 3)
    overlap = load(db_url, "incidents", "incidents_cases_b.csv")
    assert counts(overlap) == (5, 2, 1, 2)
    assert overlap["reasons"] == {"BAD_DATE": 1} and overlap["warnings"] == {"UNKNOWN_LABEL": 1}
    cases = [keyed(f"VV-H1-00{n}/2018") for n in (1, 2, 3, 4, 5)]
    stored = rows(engine, """
        SELECT i.case_ref_hmac, i.incident_kind, i.kind_label, i.case_type, i.outcome, i.fine_vnd, u.code
        FROM incident i JOIN admin_unit u ON u.id = i.unit_id WHERE i.case_ref_hmac = ANY(:c)
        ORDER BY i.event_date""", c=cases)
    assert stored == [
        (cases[0], "mua_ban_dam", "Mua bán dâm", "hanh_chinh", "xu_phat_hanh_chinh", 1_500_000, "25996"),
        (cases[1], "chua_mai_dam", "Chứa mại dâm", "hinh_su", "khoi_to", None, "26017"),
        (cases[2], "thoat_y", "Thoát y", None, None, None, "26272"),
        (cases[3], "moi_gioi_mai_dam", "Môi giới mại dâm", "hinh_su", "dang_xu_ly", None, "26020"),
        (cases[4], "other", "Hành vi mới lạ", None, None, None, "26020"),
    ]


def test_case_numbers_and_names_appear_nowhere_in_the_database(db_url, engine):
    load(db_url, "incidents", "incidents_cases_a.csv")
    overlap = load(db_url, "incidents", "incidents_cases_b.csv")
    needles = ["VV-H1", "vv-h1", "Trần Thị Hoa Hậu", "Lê Văn Chủ Chứa", "Đỗ Văn Môi"]
    with engine.connect() as c:
        columns = c.execute(text("""
            SELECT table_name, column_name FROM information_schema.columns
            WHERE table_schema = 'public' AND table_name <> 'spatial_ref_sys'
              AND (data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY'))""")).all()
        assert len(columns) > 40
        for table, column in columns:
            for needle in needles:
                found = c.execute(text(f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE :n'),
                                  {"n": f"%{needle}%"}).scalar()
                assert found == 0, (table, column, needle)
        # the quarantined row keeps the keyed hash, so a review can still load it; its raw has no number
        ref, raw = c.execute(text("SELECT ref_hmac, raw FROM rejected_row WHERE import_batch_id = :b"),
                             {"b": overlap["batch_id"]}).one()
    assert ref == {"case_ref_hmac": keyed("VV-H1-009/2018")}
    assert raw["event_date"] == "32/01/2018" and "case_ref" not in raw


def test_numbers_to_pseudonymise_need_a_key(engine):
    with pytest.raises(ParserOptionError, match="pseudonymisation key"):
        ingest(engine, "incidents", DATA / "incidents_cases_a.csv")
    with pytest.raises(ParserOptionError, match="at least 16"):
        ingest(engine, "incidents", DATA / "incidents_cases_a.csv", hmac_key=b"short")


def test_review_alias_then_the_next_import_places_by_itself(db_url, engine):
    first = load(db_url, "incidents", "incidents_review_a.csv")
    assert counts(first) == (3, 1, 2, 0)
    assert first["reasons"] == {"AMBIGUOUS_UNIT": 2} and first["review"] == 2
    items = json.loads(run_cli(db_url, "ingest", "review", "--json").stdout)
    mine = {i["commune_text"]: i for i in items if i["batch_id"] == first["batch_id"]}
    assert {k: [c["code"] for c in v["candidates"]] for k, v in mine.items()} == {
        "Tan Phong": ["25996"], "Xuân Hòa": ["26083", "26443"]}
    result = run_cli(db_url, "ingest", "resolve", str(mine["Tan Phong"]["id"]), "--unit", "25996", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["items"] == [{"item_id": mine["Tan Phong"]["id"], "result": "loaded"}]
    assert rows(engine, "SELECT u.code, i.import_batch_id FROM incident i "
                "JOIN admin_unit u ON u.id = i.unit_id WHERE i.case_ref_hmac = :h",
                h=keyed("VV-H1-R01")) == [("25996", first["batch_id"])]
    assert rows(engine, "SELECT commune_key, district_key, created_by FROM unit_alias") == [
        ("tan phong", district_key("Biên Hòa"), "cli")]

    later = load(db_url, "incidents", "incidents_review_b.csv")  # same text, other spacing and case
    assert counts(later) == (2, 2, 0, 0)
    assert rows(engine, "SELECT DISTINCT u.code FROM incident i JOIN admin_unit u ON u.id = i.unit_id "
                "WHERE i.import_batch_id = :b", b=later["batch_id"]) == [("25996",)]

    again = load(db_url, "incidents", "incidents_review_a.csv")  # the reviewed row is the same record
    assert counts(again) == (3, 0, 1, 2) and again["reasons"] == {"AMBIGUOUS_UNIT": 1}
    open_items = [i for i in json.loads(run_cli(db_url, "ingest", "review", "--json").stdout)
                  if i["commune_text"] == "Xuân Hòa"]
    assert [i["rows"] for i in open_items] == [2]  # one item per import of the file, listed once
    result = run_cli(db_url, "ingest", "resolve", str(open_items[0]["id"]), "--unit", "26443", "--json")
    decided = json.loads(result.stdout)["items"]
    assert [d["result"] for d in decided] == ["loaded", "duplicate"]  # one decision settles both
    assert run_cli(db_url, "ingest", "resolve", str(decided[1]["item_id"]), "--dismiss").exit_code != 0


def test_quarantine_download_is_excel_ready(db_url, engine, tmp_path):
    load(db_url, "establishments", "establishments_h1.csv")
    summary = load(db_url, "inspections", "inspections_h1.csv")
    out = tmp_path / "q.csv"
    result = run_cli(db_url, "ingest", "quarantine", str(summary["batch_id"]), "--out", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    content = data.decode("utf-8-sig")
    lines = content.splitlines()
    assert lines[0].startswith("source_row,sheet,reason,explanation,detail,review,")
    assert [line.split(",")[0] for line in lines[1:]] == ["5", "6", "7", "8", "10"]
    assert "Karaoke H1-Không Có" in content and "Không tìm thấy cơ sở" in content
    assert "Nguyễn Văn Trưởng" not in content and "BB-H1" not in content
    missing = run_cli(db_url, "ingest", "quarantine", "999999", "--out", str(out))
    assert missing.exit_code != 0 and "no import batch 999999" in missing.output


def test_structural_errors_name_the_file_and_what_was_expected(db_url, tmp_path):
    headless = tmp_path / "tu_diem.csv"
    headless.write_text("abc;def\n1;2\n", encoding="utf-8")
    old = tmp_path / "kiem_tra.xls"
    old.write_bytes(b"\xd0\xcf\x11\xe0")
    for kind, path, expected in (("sites", headless, "header"), ("inspections", old, ".xlsx"),
                                 ("site-events", tmp_path / "absent.csv", "no such file")):
        result = run_cli(db_url, "ingest", kind, str(path))
        assert result.exit_code != 0 and path.name in result.output and expected in result.output


def test_dry_run_and_the_progress_bar_of_a_large_file(db_url, engine, tmp_path):
    big = tmp_path / "co_so_lon.csv"
    big.write_text("Tên cơ sở;Loại hình;Mã xã\n" + "".join(
        f"Cơ sở H1 số {n};Karaoke;26017\n" for n in range(1200)), encoding="utf-8")
    with engine.connect() as c:
        before = c.execute(text("SELECT count(*) FROM establishment")).scalar()
    result = run_cli(db_url, "ingest", "establishments", str(big), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "1200 rows read, 1200 loaded, 0 rejected, 0 duplicates (dry run" in result.stdout
    assert "1200 rows" in result.stderr  # the progress bar's label
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM establishment")).scalar() == before


def write(tmp_path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def load_path(db_url, kind: str, path: Path, *extra: str) -> dict:
    result = run_cli(db_url, "ingest", kind, str(path), "--json", *extra)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["read"] == summary["loaded"] + summary["rejected"] + summary["duplicates"]
    return summary


REPORT_ROWS = """
    SELECT u.code, r.period, r.indicator_code, r.value FROM commune_report r
    JOIN admin_unit u ON u.id = r.unit_id WHERE r.import_batch_id = ANY(:b) ORDER BY r.id"""


def test_a_commune_report_for_a_period_given_on_the_command_line(db_url, engine, tmp_path):
    wide = write(tmp_path, "bao_cao_xa.csv", "Mã xã;Số tin báo tiếp nhận;Số tin báo đã xử lý\n26017;4;3\n")
    first = load_path(db_url, "commune-reports", wide, "--period", "6 tháng đầu năm 2018")
    assert counts(first) == (2, 2, 0, 0)
    assert counts(load_path(db_url, "commune-reports", wide, "--period", "2018-H1")) == (2, 0, 0, 2)
    corrected = write(tmp_path, "bao_cao_xa_sua.csv", "Mã xã;Kỳ báo cáo;Số tin báo đã xử lý\n26017;;4\n")
    again = load_path(db_url, "commune-reports", corrected, "--period", "6 tháng 2018")
    assert counts(again) == (1, 1, 0, 0)
    assert rows(engine, REPORT_ROWS, b=[first["batch_id"], again["batch_id"]]) == [
        ("26017", "2018-H1", "tips_received", 4.0), ("26017", "2018-H1", "tips_handled", 3.0),
        ("26017", "2018-H1", "tips_handled", 4.0)]  # the classification reads the latest one
    bad = run_cli(db_url, "ingest", "commune-reports", str(wide), "--period", "mùa xuân")
    assert bad.exit_code != 0 and "'mùa xuân' cannot be read" in bad.output
    assert run_cli(db_url, "ingest", "tips", str(wide), "--period", "2018").exit_code != 0


def test_tips_link_to_the_establishment_or_site_they_name_and_never_fail_for_it(db_url, engine, tmp_path):
    load(db_url, "establishments", "establishments_h1.csv")
    tips = write(tmp_path, "tin_bao.csv", (
        "Ngày tiếp nhận;Mã xã;Số GCN ĐKKD;Tên cơ sở;Số tin báo;Kết quả;Nội dung tin báo\n"
        "01/06/2018;26017;47a8 001234;;TB-01;Đúng sự thật;Ông Nguyễn Văn Tố báo có mua bán dâm\n"
        "02/06/2018;26017;;Karaoke Không Tồn Tại;TB-02;;\n"
        "02/06/2018;26017;;Karaoke Không Tồn Tại;TB-03;;\n"))
    summary = load_path(db_url, "tips", tips)
    assert counts(summary) == (3, 3, 0, 0)  # two tips alike but for their number: both kept
    assert summary["warnings"] == {"UNKNOWN_ESTABLISHMENT": 2}
    assert summary["dropped_columns"] == ["Nội dung tin báo"]
    assert rows(engine, """
        SELECT t.received_date::text, e.name, t.result, t.tip_ref_hmac FROM tip t
        LEFT JOIN establishment e ON e.id = t.establishment_id WHERE t.import_batch_id = :b
        ORDER BY t.received_date LIMIT 1""", b=summary["batch_id"]) == [
        ("2018-06-01", "Karaoke H1-Sao Mai", "confirmed", keyed("TB-01"))]
    assert rows(engine, "SELECT count(*) FROM tip WHERE tip::text ILIKE '%Nguyễn Văn Tố%'") == [(0,)]


def test_a_report_row_whose_commune_waits_for_review_loads_all_its_cells(db_url, engine, tmp_path):
    wide = write(tmp_path, "bao_cao_review.csv", (
        "Xã/phường;Huyện;Kỳ báo cáo;Số buổi tuyên truyền;Số người hoàn lương\n"
        "Tan Phong;Biên Hòa;Quý III/2018;2;1\n"))
    summary = load_path(db_url, "commune-reports", wide)
    assert counts(summary) == (2, 0, 2, 0) and summary["reasons"] == {"AMBIGUOUS_UNIT": 2}
    items = [i for i in json.loads(run_cli(db_url, "ingest", "review", "--json").stdout)
             if i["batch_id"] == summary["batch_id"]]
    result = run_cli(db_url, "ingest", "resolve", str(items[0]["id"]), "--unit", "25996", "--json")
    assert result.exit_code == 0, result.output
    assert [d["result"] for d in json.loads(result.stdout)["items"]] == ["loaded", "loaded"]
    assert rows(engine, REPORT_ROWS, b=[summary["batch_id"]]) == [
        ("25996", "2018-Q3", "awareness_activities", 2.0), ("25996", "2018-Q3", "reintegrated", 1.0)]
