"""Single-record forms: one row through ``etl.ingest``; and the upload page's whole-file period.

Every test deletes the import batches it made (``fresh``).
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from etl.headers import field_headers, map_headers
from etl.vocabulary import vocabulary
from tests.helpers import form_token
from tests.helpers import send_upload as _send
from tests.helpers import wait_for_job as _wait

pytestmark = [pytest.mark.postgis, pytest.mark.usefixtures("fresh")]

TIP = {"received_date": "05/06/2018", "category": "Mua bán dâm", "channel": "Đường dây nóng",
       "commune": "Phường Tân Phong", "district": "Biên Hòa", "result": "Đang xác minh"}


def test_every_form_field_is_a_field_of_its_kind_and_maps_back():
    from webapp.record_forms import CHOICES, FIELDS

    for kind, fields in FIELDS.items():
        headers = [field_headers(kind)[name][0] for name in fields]
        assert list(map_headers(headers, kind).rename.values()) == list(fields), kind
    for table in CHOICES.values():
        words = vocabulary(table)
        assert all(words.code(label) == code for code, label in words.choices().items()), table


def post(client, kind: str, values: dict):
    token = form_token(client.get(f"/record/{kind}").text)
    return client.post(f"/record/{kind}", data={"csrf_token": token, **values})


def tips_from_form(engine) -> list[tuple]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text("""
            SELECT t.received_date::text, t.category, t.channel, t.result, u.code, u.vintage_id
            FROM tip t JOIN admin_unit u ON u.id = t.unit_id JOIN import_batch b ON b.id = t.import_batch_id
            WHERE b.source = 'form:tips' ORDER BY t.id""")).all()]


def test_a_tip_recorded_on_the_form_is_stored_with_its_commune_once(editor, engine):
    first = post(editor, "tips", TIP)
    assert first.status_code == 302 and first.location == "/record/tips"
    assert "Đã ghi nhận" in editor.get(first.location).text
    assert tips_from_form(engine) == [("2018-06-05", "mua_ban_dam", "hotline", "pending", "25996",
                                       "75:2010-02-06")]
    again = post(editor, "tips", TIP)
    assert again.status_code == 302
    assert "trùng lặp" in editor.get(again.location).text
    assert len(tips_from_form(engine)) == 1
    with engine.connect() as c:
        entries = c.execute(text("SELECT actor, detail FROM audit_log WHERE action = 'ingest.form' "
                                 "ORDER BY id DESC LIMIT 2")).all()
    assert [(e.actor, e.detail["kind"], e.detail["loaded"], e.detail["duplicates"]) for e in entries] == [
        ("editor-test", "tips", 0, 1), ("editor-test", "tips", 1, 0)]


def test_a_bad_date_shows_the_reason_and_keeps_the_values(editor, engine):
    answer = post(editor, "tips", {**TIP, "received_date": "31/02/2018"})
    assert answer.status_code == 422
    page = answer.text
    assert 'data-reason="BAD_DATE"' in page and "31/02/2018" in page
    assert "Cách sửa" in page
    for name, value in {**TIP, "received_date": "31/02/2018"}.items():
        assert re.search(rf'name="{name}"\s+value="{re.escape(value)}"', page), name
    assert tips_from_form(engine) == []


def test_an_activity_by_commune_code_and_an_inspection_of_a_closed_list(editor, engine):
    loaded = post(editor, "activities", {"activity_date": "10/04/2018", "form": "Họp dân",
                                         "participants": "1.200", "commune_code": "26017"})
    assert loaded.status_code == 302
    with engine.connect() as c:
        row = c.execute(text("""
            SELECT a.activity_date::text, a.form, a.participants_count, u.code FROM activity a
            JOIN admin_unit u ON u.id = a.unit_id JOIN import_batch b ON b.id = a.import_batch_id
            WHERE b.source = 'form:activities'""")).one()
    assert tuple(row) == ("2018-04-10", "meeting", 1200, "26017")
    refused = post(editor, "inspections", {"inspection_date": "15/06/2018", "team_level": "Cấp bộ",
                                           "establishment_name": "Không có"})
    assert refused.status_code == 422 and 'data-reason="NOT_IN_VOCABULARY"' in refused.text


def test_the_forms_name_their_fields_in_vietnamese_first_and_ask_for_no_person(editor):
    page = editor.get("/record/site-events").text
    assert re.search(r"Ngày\s*<span[^>]*>Event date</span>", page)
    assert '<option value="Triệt xóa">' in page  # the vocabulary's labels are suggested
    form = page[page.index('id="record-form"'):]
    names = set(re.findall(r'name="([^"]+)"', form)) - {"csrf_token"}
    assert names == {"event_date", "event_type", "site_ref", "site_name", "commune", "district",
                     "commune_code", "lat", "lon"}
    assert "Không ghi họ tên" in page
    assert editor.get("/record/establishments").status_code == 404
    assert editor.get("/record").location == "/record/tips"
    empty = post(editor, "tips", {})
    assert empty.status_code == 400 and "Chưa nhập giá trị nào" in empty.text


def test_viewers_and_analysts_may_not_record(viewer, analyst, engine):
    for client in (viewer, analyst):
        assert client.get("/record/tips").status_code == 403
        token = form_token(client.get("/dashboard").text)
        assert client.post("/record/tips", data={"csrf_token": token, **TIP}).status_code == 403
    assert tips_from_form(engine) == []


def test_a_form_post_without_the_csrf_token_is_refused(editor, engine):
    assert editor.post("/record/tips", data=TIP).status_code == 400
    assert tips_from_form(engine) == []


REPORT = "Xã/phường;Huyện;Số buổi tuyên truyền;Số người hoàn lương\nPhường Tân Phong;Biên Hòa;2;1\n".encode()


def test_an_upload_without_a_period_column_loads_with_the_period_field(editor, engine):
    assert 'id="period-field" data-kinds="commune-reports attestations"' in editor.get("/upload").text
    started = _send(editor, REPORT, "bao_cao.csv", kind="commune-reports")
    without = _wait(editor, started.get_json()["status_url"])
    assert without["report"]["loaded"] == 0 and without["report"]["reasons"][0]["code"] == "MISSING_FIELD"
    started = _send(editor, REPORT, "bao_cao.csv", kind="commune-reports", period="Quý II/2018")
    report = _wait(editor, started.get_json()["status_url"])["report"]
    assert (report["read"], report["loaded"], report["rejected"]) == (2, 2, 0)
    with engine.connect() as c:
        rows = c.execute(text("""SELECT u.code, r.period, r.indicator_code, r.value FROM commune_report r
                                 JOIN admin_unit u ON u.id = r.unit_id WHERE r.import_batch_id = :b
                                 ORDER BY r.indicator_code"""), {"b": report["batch_id"]}).all()
    assert [tuple(r) for r in rows] == [("25996", "2018-Q2", "awareness_activities", 2),
                                        ("25996", "2018-Q2", "reintegrated", 1)]
    bad = _send(editor, REPORT, "bao_cao.csv", kind="commune-reports", period="Quý V/2018")
    assert bad.status_code == 400 and "Quý V/2018" in bad.get_json()["error"]
