"""The review queue in the browser's terms: who may see and decide it, the form, CSRF, the CSV download."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from etl import resolve_review
from etl.pipeline import ingest
from tests.helpers import add_user, form_token, login

pytestmark = pytest.mark.postgis

DATA = Path(__file__).parent / "data"
KEY = b"h1-review-key-0123456789abcdef"
USERS = {role: (f"h1-{role}", f"h1-{role}-password") for role in ("viewer", "analyst", "editor")}


@pytest.fixture(scope="module")
def users(db_url, loaded):
    for username, password in USERS.values():
        role = username.removeprefix("h1-")
        add_user(db_url, (username, password), role)
    return USERS


def client_for(app, users, role):
    client = app.test_client()
    assert login(client, *users[role]).status_code == 302
    return client


def token(client) -> str:
    page = client.get("/review")
    return form_token(page.text)


@pytest.fixture
def batch(engine):
    """A batch of incidents with two rows waiting for review (deleted afterwards, with what it taught)."""
    summary = ingest(engine, "incidents", DATA / "incidents_review_a.csv", actor="h1-test", hmac_key=KEY)
    assert (summary["loaded"], summary["rejected"], summary["review"]) == (1, 2, 2)
    with engine.connect() as c:
        items = dict(c.execute(text("SELECT commune_text, id FROM review_item WHERE import_batch_id = :b"),
                               {"b": summary["batch_id"]}).all())
    yield summary["batch_id"], items
    with engine.begin() as c:
        c.execute(text("DELETE FROM import_batch WHERE id = :b"), {"b": summary["batch_id"]})


def status(engine, item_id: int) -> tuple:
    with engine.connect() as c:
        return tuple(c.execute(text("SELECT status, result, resolved_by FROM review_item WHERE id = :i"),
                               {"i": item_id}).one())


@pytest.mark.parametrize("role", ["viewer", "analyst"])
def test_viewers_and_analysts_are_refused(app, users, batch, engine, role):
    batch_id, items = batch
    client = client_for(app, users, role)
    assert client.get("/review").status_code == 403
    assert client.get(f"/ingest/{batch_id}/quarantine.csv").status_code == 403
    with client.session_transaction() as session:
        csrf = session.setdefault("csrf_token", "a-token")
    answer = client.post(f"/review/{items['Tan Phong']}", data={"csrf_token": csrf, "unit_id": "1"})
    assert answer.status_code == 403
    assert status(engine, items["Tan Phong"]) == ("open", None, None)


def test_an_editor_sees_the_rows_and_their_candidates(app, users, batch):
    _, items = batch
    page = client_for(app, users, "editor").get("/review")
    assert page.status_code == 200
    for item_id in items.values():
        assert f'id="item-{item_id}"' in page.text
    assert "Tan Phong" in page.text and "Xuân Hòa" in page.text
    assert "Phường Tân Phong (25996)" in page.text
    assert "Phường Xuân Hoà (26083), Thành phố Long Khánh" in page.text
    assert "Xã Xuân Hòa (26443), Huyện Xuân Lộc" in page.text
    assert "Hàng chờ duyệt" in page.text and 'data-endpoint="review.queue"' in page.text  # the shared layout


def test_an_editor_resolves_an_item_through_the_form(app, users, batch, engine):
    batch_id, items = batch
    client = client_for(app, users, "editor")
    with engine.connect() as c:
        unit = c.execute(text("SELECT id FROM admin_unit WHERE vintage_id = '75:2010-02-06' "
                              "AND code = '25996'")).scalar()
    answer = client.post(f"/review/{items['Tan Phong']}", data={
        "csrf_token": token(client), "unit_id": str(unit), "remember": "1", "action": "resolve"})
    assert answer.status_code == 302 and answer.location.endswith("/review")
    assert status(engine, items["Tan Phong"]) == ("resolved", "loaded", "h1-editor")
    page = client.get("/review")
    assert "Đã nạp dòng" in page.text and f'id="item-{items["Tan Phong"]}"' not in page.text
    with engine.connect() as c:
        loaded = c.execute(text("SELECT u.code FROM incident i JOIN admin_unit u ON u.id = i.unit_id "
                                "WHERE i.import_batch_id = :b ORDER BY i.id"),
                           {"b": batch_id}).scalars().all()
        alias = c.execute(text("SELECT created_by, unit_id FROM unit_alias WHERE import_batch_id = :b"),
                          {"b": batch_id}).one()
        audited = c.execute(text("SELECT detail FROM audit_log WHERE action = 'review.resolve' AND actor = "
                                 "'h1-editor' AND target = :t"),
                            {"t": f"review_item:{items['Tan Phong']}"}).one()
    assert loaded == ["25996", "25996"]  # the row loaded at import, and the reviewed one
    assert tuple(alias) == ("h1-editor", unit)
    assert audited.detail["unit"] == "25996" and audited.detail["alias"] is True
    again = client.post(f"/review/{items['Tan Phong']}",
                        data={"csrf_token": token(client), "unit_id": str(unit)})
    assert again.status_code == 409  # decided already
    unknown = client.post("/review/999999", data={"csrf_token": token(client), "unit_id": "1"})
    assert unknown.status_code == 404


def test_the_form_needs_the_session_token_and_a_choice(app, users, batch, engine):
    _, items = batch
    client = client_for(app, users, "editor")
    item = items["Xuân Hòa"]
    assert client.post(f"/review/{item}", data={"unit_id": "1"}).status_code == 400
    assert client.post(f"/review/{item}", data={"unit_id": "1", "csrf_token": "forged"}).status_code == 400
    assert status(engine, item) == ("open", None, None)
    answer = client.post(f"/review/{item}", data={"csrf_token": token(client), "action": "resolve"},
                         follow_redirects=True)
    assert "Chưa chọn đơn vị" in answer.text and status(engine, item) == ("open", None, None)
    answer = client.post(f"/review/{item}", data={"csrf_token": token(client), "action": "dismiss"})
    assert answer.status_code == 302 and status(engine, item) == ("dismissed", None, "h1-editor")


def test_the_quarantine_csv_has_the_rows(app, users, batch, engine):
    batch_id, _ = batch
    client = client_for(app, users, "editor")
    answer = client.get(f"/ingest/{batch_id}/quarantine.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert f'filename="quarantine-{batch_id}.csv"' in answer.headers["Content-Disposition"]
    assert answer.data.startswith(b"\xef\xbb\xbf")
    lines = answer.data.decode("utf-8-sig").splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("2,,AMBIGUOUS_UNIT,") and "Tan Phong" in lines[1] and "open" in lines[1]
    assert lines[2].startswith("3,,AMBIGUOUS_UNIT,") and "Xuân Hòa" in lines[2]
    assert "VV-H1" not in answer.data.decode("utf-8-sig")
    assert client.get("/ingest/999999/quarantine.csv").status_code == 404
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM audit_log WHERE action = 'quarantine.download' "
                              "AND target = :t"), {"t": f"import_batch:{batch_id}"}).scalar() == 1


def test_a_reviewed_row_is_read_as_its_whole_column_was(engine, tmp_path):
    # 06/25/2018 proves the column month-first, so the second row's 06/07/2018 is 7 June; alone,
    # 06/07/2018 would read day-first (6 July). The review re-runs that row alone.
    path = tmp_path / "month_first.csv"
    path.write_text("Ngày xảy ra;Hành vi;Xã/phường;Huyện;Số vụ việc\n"
                    "06/25/2018;Mua bán dâm;P. Tân Phong;TP Biên Hòa;VV-CTX-01\n"
                    "06/07/2018;Mua bán dâm;Tân Phongg;TP Biên Hòa;VV-CTX-02\n", encoding="utf-8")
    summary = ingest(engine, "incidents", path, actor="ctx-test", hmac_key=KEY)
    try:
        assert (summary["loaded"], summary["reasons"]) == (1, {"AMBIGUOUS_UNIT": 1})
        assert summary["column_context"]["event_date"] == {"order": "month_first"}
        with engine.connect() as c:
            item = c.execute(text("SELECT id FROM review_item WHERE import_batch_id = :b"),
                             {"b": summary["batch_id"]}).scalar_one()
            unit = c.execute(text("SELECT id FROM admin_unit WHERE code = '25996' "
                                  "AND vintage_id = '75:2010-02-06'")).scalar_one()
        decided = resolve_review(engine, item, actor="ctx-test", unit_id=unit)
        assert [d["result"] for d in decided["items"]] == ["loaded"]
        with engine.connect() as c:
            days = c.execute(text("SELECT event_date FROM incident WHERE import_batch_id = :b "
                                  "ORDER BY event_date"), {"b": summary["batch_id"]}).scalars().all()
        assert [d.isoformat() for d in days] == ["2018-06-07", "2018-06-25"]
    finally:
        with engine.begin() as c:
            c.execute(text("DELETE FROM import_batch WHERE id = :b"), {"b": summary["batch_id"]})
