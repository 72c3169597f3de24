"""The privacy rule (DOMAIN.md): no column can hold the identity of a person in a case."""

import csv
import io
import re

import pytest
from sqlalchemy import bindparam, inspect, text

from etl.pipeline import ingest
from geo.exports import write_layers
from geo.store.models import Base
from geo.store.quarantine import quarantine_csv
from tests.helpers import run_cli, send_upload, wait_for_job

#: Column-name fragments that would hold a person's identity (English and Vietnamese).
FORBIDDEN = re.compile(
    r"(person_name|full_name|ho_ten|hoten|first_name|last_name|birth|dob|ngay_sinh|nam_sinh|"
    r"age\b|phone|dien_thoai|sdt|cccd|cmnd|passport|id_number|national_id|home_address|"
    r"thuong_tru|tam_tru|que_quan|hometown|zalo|facebook|plate|bien_so|hiv|tien_an|tien_su|"
    r"photo|suspect|offender|victim)",
    re.IGNORECASE,
)
#: Names allowed by the rule: business names, unit names, staff logins.
ALLOWED = {("establishment", "name"), ("establishment", "address"), ("admin_unit", "name"),
           ("app_user", "username"), ("audit_log", "actor")}


def all_columns():
    return [(t.name, c.name) for t in Base.metadata.sorted_tables for c in t.columns]


def test_no_column_names_a_personal_identifier():
    offending = [tc for tc in all_columns() if FORBIDDEN.search(tc[1])]
    assert offending == []


def test_free_text_and_name_columns_are_only_the_allowed_ones():
    named = {tc for tc in all_columns() if re.search(r"name|address", tc[1])}
    assert named <= ALLOWED | {("vintage", "label")}


#: The committee's recognition of a commune is a public administrative act about a unit, not a
#: decision about a person: its number and date are kept as they are.
UNIT_DECISIONS = {("recognition_decision", "decision_number"), ("recognition_decision", "decision_date")}


def test_case_numbers_are_only_kept_as_keyed_hashes():
    refs = [tc for tc in all_columns() if re.search(r"ref|case|record_no|decision", tc[1])]
    assert refs and all(column.endswith("_hmac") or column in {"case_type"}
                        or (table, column) in UNIT_DECISIONS for table, column in refs)


@pytest.mark.postgis
def test_the_database_has_exactly_the_model_columns(engine):
    inspector = inspect(engine)
    in_db = {(t, c["name"]) for t in inspector.get_table_names() if t != "spatial_ref_sys"
             and t != "alembic_version" for c in inspector.get_columns(t)}
    assert in_db == set(all_columns())


# --- The allow-list, end to end (issue #12) ------------------------------------------------------------
#
# A case list with every header an adversarial review found kept by the old deny-list, and a few more;
# each cell of those columns holds a unique marker. The file has a row that loads, one rejected for its
# date and one waiting for review (a commune name two districts share). No marker may be found in any
# text, JSON or array column of any table, nor in the quarantine CSV, nor on the review page.

PERSON_HEADERS = ["Nghi phạm", "Nạn nhân", "Biệt danh", "Tên gái", "Chủ quán", "Quản lý", "Người phụ trách",
                  "Liên hệ", "Chỗ ở hiện nay", "Dân tộc", "Victim", "Manager", "Contact", "Tên tiếp viên",
                  "Khách", "Ghi chú", "SĐT", "Facebook", "Zalo", "Địa chỉ", "Cột X"]
MARK = "ZQMARK"
KEY = b"privacy-test-key-0123456789abcdef"
ROWS = [("15/06/2018", "Mua bán dâm", "P. Tân Phong", "TP Biên Hòa"),   # loads
        ("31/02/2018", "Mua bán dâm", "P. Tân Phong", "TP Biên Hòa"),   # BAD_DATE: rejected
        ("20/07/2018", "Chứa mại dâm", "Xuân Hòa", "")]                 # AMBIGUOUS_UNIT: review


def marker(row: int, column: int) -> str:
    return f"{MARK}{row}C{column:02d}"


def case_list(year_offset: int = 0) -> bytes:
    """The case list as CSV bytes; ``year_offset`` shifts the dates so two loads are no duplicates."""
    lines = [";".join(["Ngày xảy ra", "Hành vi", "Xã/phường", "Huyện", "Số hồ sơ", *PERSON_HEADERS])]
    for row, (day, act, commune, district) in enumerate(ROWS, start=1):
        day = day[:-4] + str(int(day[-4:]) + year_offset)
        cells = [marker(row, c) for c in range(len(PERSON_HEADERS))]
        lines.append(";".join([day, act, commune, district, f"{MARK}{row}CASE", *cells]))
    return ("\n".join(lines) + "\n").encode("utf-8")


def text_columns(engine) -> list[tuple[str, str, str]]:
    """Every text, character, JSON and array column of every base table outside the system schemas."""
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text("""
            SELECT c.table_schema, c.table_name, c.column_name
            FROM information_schema.columns c JOIN information_schema.tables t
              ON t.table_schema = c.table_schema AND t.table_name = c.table_name
            WHERE t.table_type = 'BASE TABLE' AND c.table_schema NOT IN ('pg_catalog', 'information_schema')
              AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY')
            ORDER BY 1, 2, 3""")).all()]


def stored_hits(engine, needle: str) -> list[str]:
    """``schema.table.column`` of every text-like column holding ``needle`` somewhere."""
    found = []
    with engine.connect() as c:
        for schema, table, column in text_columns(engine):
            sql = f'SELECT EXISTS (SELECT 1 FROM "{schema}"."{table}" WHERE "{column}"::text LIKE :n)'
            if c.execute(text(sql), {"n": f"%{needle}%"}).scalar():
                found.append(f"{schema}.{table}.{column}")
    return found


def upload(client, data: bytes, name: str) -> dict:
    response = send_upload(client, data, name)
    assert response.status_code == 202, response.text
    status = wait_for_job(client, response.get_json()["status_url"], seconds=90)
    assert status["state"] == "done", status
    return status["report"]


@pytest.mark.postgis
def test_no_value_of_an_unmapped_column_is_stored_shown_or_exported(engine, editor, fresh, tmp_path):
    path = tmp_path / "danh_sach_vu_viec.csv"
    path.write_bytes(case_list())
    summary = ingest(engine, "incidents", path, actor="privacy-test", hmac_key=KEY)
    report = upload(editor, case_list(year_offset=1), "danh sách vụ việc.csv")
    assert stored_hits(engine, "Xuân Hòa"), "the search sees values stored in rejected rows"
    assert stored_hits(engine, MARK) == []
    assert summary["reasons"] == {"AMBIGUOUS_UNIT": 1, "BAD_DATE": 1}
    assert sorted(r["code"] for r in report["reasons"]) == ["AMBIGUOUS_UNIT", "BAD_DATE"]
    for result in (summary, report):
        assert (result["loaded"], result["rejected"], result["review"]) == (1, 2, 1)
        assert result["dropped_columns"] == PERSON_HEADERS
    reasons = summary["dropped_reasons"]
    assert {h for h, r in reasons.items() if r == "not_a_field"} == {"Địa chỉ", "Cột X"}
    assert all(reasons[h] not in ("not_a_field", "duplicate_field") for h in PERSON_HEADERS[:-2])
    batches = (summary["batch_id"], report["batch_id"])
    with engine.connect() as c:
        raws = c.execute(text("SELECT raw FROM rejected_row WHERE import_batch_id IN :b").bindparams(
            bindparam("b", expanding=True)), {"b": list(batches)}).scalars().all()
    assert len(raws) == 4 and all(set(raw) <= {"event_date", "incident_kind", "commune", "district"}
                                  for raw in raws)

    for batch in batches:
        quarantine = editor.get(f"/ingest/{batch}/quarantine.csv")
        assert quarantine.status_code == 200
        shown = quarantine.data.decode("utf-8-sig")
        assert "Xuân Hòa" in shown and "BAD_DATE" in shown and MARK not in shown
        assert MARK not in quarantine_csv(engine, batch)
    page = editor.get("/review").text
    assert "Xuân Hòa" in page and MARK not in page


@pytest.mark.postgis
def test_quarantine_csv_neutralises_formulas_in_cells_and_headers(engine, fresh, tmp_path):
    path = tmp_path / "cong_thuc.csv"
    path.write_text("Ngày xảy ra;Hành vi;Xã/phường;Huyện\n"
                    '31/02/2018;=HYPERLINK("http://x","y");@SUM(1);-2+3\n', encoding="utf-8")
    summary = ingest(engine, "incidents", path, actor="privacy-test", hmac_key=KEY)
    assert summary["reasons"] == {"BAD_DATE": 1}
    with engine.begin() as c:  # a row stored before the allow-list could carry any header
        c.execute(text("""UPDATE rejected_row SET raw = raw || '{"=HYPERLINK(\\"http://x\\",\\"y\\")": "+1"}'
                          WHERE import_batch_id = :b"""), {"b": summary["batch_id"]})
    rows = list(csv.reader(io.StringIO(quarantine_csv(engine, summary["batch_id"]).lstrip("\ufeff"))))
    header, row = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert "'=HYPERLINK(\"http://x\",\"y\")" in header
    assert row["incident_kind"] == "'=HYPERLINK(\"http://x\",\"y\")"
    assert (row["commune"], row["district"]) == ("'@SUM(1)", "'-2+3")
    assert row["'=HYPERLINK(\"http://x\",\"y\")"] == "'+1"
    assert not [cell for cell in [*header, *rows[1]] if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]


@pytest.mark.postgis
def test_csv_export_neutralises_formulas_loaded_from_a_source_file(db_url, engine, fresh, tmp_path):
    path = tmp_path / "co_so.csv"
    formula = '=HYPERLINK("http://x","y")'
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, delimiter=";").writerows([["Tên cơ sở", "Loại hình", "Xã/phường"],
                                                     [formula, "Karaoke", "Phường Tam Hiệp"]])
    summary = ingest(engine, "establishments", path, actor="privacy-test", hmac_key=KEY)
    assert summary["loaded"] == 1, summary
    out = tmp_path / "co_so_export.csv"
    result = run_cli(db_url, "export", "establishments", "--format", "csv", "--with-names", "--out", str(out))
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    ours = [r for r in rows if "HYPERLINK" in (r.get("name") or "")]
    assert len(ours) == 1 and ours[0]["name"] == "'" + formula
    assert not [v for r in rows for v in r.values() if v and v[:1] in ("=", "+", "@", "\t", "\r")]


def test_export_csv_headers_are_neutralised_too(tmp_path):
    import geopandas as gpd
    from shapely import Point

    frame = gpd.GeoDataFrame({"=cmd()": ["+x"], "count": [-2]}, geometry=[Point(106.8, 10.9)], crs=4326)
    out = write_layers({"communes": frame}, tmp_path / "c.csv", fmt="csv")
    header, row = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert header == ["WKT", "'=cmd()", "count"] and row[1:] == ["'+x", "-2"]
