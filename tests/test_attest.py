"""The attestation pages: an editor attests P8/P9 of a commune, the classification reads it, roles, audit.

The rows go through ``etl.ingest`` (source ``form:attest``): every test deletes the import batches it
made (``fresh``); the snapshots ``diaban classify`` stores are immutable and stay, like every other
test's.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import text

from etl.vocabulary import vocabulary
from tests.helpers import form_token, run_cli

pytestmark = [pytest.mark.postgis, pytest.mark.usefixtures("fresh")]

VINTAGE = "75:2010-02-06"  # the vintage valid on 31/12/2018


@pytest.fixture
def unattested(engine) -> str:
    """A commune of 2018's vintage with no attestation for 2018 in the demo data."""
    with engine.connect() as c:
        return c.execute(text("""
            SELECT u.code FROM admin_unit u
            WHERE u.vintage_id = :v AND u.level = 'commune' AND NOT EXISTS (
                SELECT 1 FROM criterion_assessment a WHERE a.unit_id = u.id AND a.period = '2018')
            ORDER BY u.code LIMIT 1"""), {"v": VINTAGE}).scalar_one()


def classify_2018(db_url, code: str) -> dict:
    result = run_cli(db_url, "classify", "--period", "2018", "--vintage", VINTAGE, "--json")
    assert result.exit_code == 0, result.output
    row = next(r for r in json.loads(result.stdout) if r["commune_code"] == code)
    return {c["id"]: c for c in row["criteria"]}


def attest(client, code: str, period: str = "2018", **fields):
    token = form_token(client.get(f"/attest/{code}?period={period}").text)
    return client.post(f"/attest/{code}?period={period}", data={"csrf_token": token, **fields})


def stored(engine, code: str) -> list[tuple]:
    with engine.connect() as c:
        return [tuple(r) for r in c.execute(text("""
            SELECT a.criterion_id, a.holds, a.value, a.assessed_by, a.assessed_at::date::text, a.note,
                   a.record_hash IS NOT NULL, b.source, b.kind, b.created_by
            FROM criterion_assessment a JOIN admin_unit u ON u.id = a.unit_id
            JOIN import_batch b ON b.id = a.import_batch_id
            WHERE u.code = :code AND u.vintage_id = :v AND a.period = '2018'
            ORDER BY a.criterion_id, a.id"""), {"code": code, "v": VINTAGE}).all()]


def test_an_attestation_recorded_on_the_page_is_read_by_the_classification(
        editor, engine, db_url, unattested):
    before = classify_2018(db_url, unattested)
    assert before["P8"]["value"] is None and before["P9"]["value"] is None  # missing: not assessed

    answer = attest(editor, unattested, holds_P8="yes", holds_P9="no", value_P9="2,5",
                    office="cong_an_xa", attested_on="20/12/2018")
    assert answer.status_code == 302, answer.text
    assert answer.location.endswith(f"/attest/{unattested}?period=2018")
    batch = (True, "form:attest", "attestations", "editor-test")  # hashed, like every ingested row
    assert stored(engine, unattested) == [("P8", True, None, "cong_an_xa", "2018-12-20", None, *batch),
                                          ("P9", False, 2.5, "cong_an_xa", "2018-12-20", None, *batch)]
    after = classify_2018(db_url, unattested)
    assert (after["P8"]["value"], after["P8"]["passed"]) == (1.0, True)
    assert (after["P9"]["value"], after["P9"]["passed"]) == (0.0, False)
    assert after["P8"]["detail"]["assessed_by"] == "cong_an_xa"

    with engine.connect() as c:
        entry = c.execute(text("""SELECT actor, target, detail FROM audit_log WHERE action = 'attest.record'
                                  ORDER BY id DESC LIMIT 1""")).one()
    assert entry.actor == "editor-test" and entry.target == f"commune:{VINTAGE}/{unattested}"
    assert entry.detail["period"] == "2018" and entry.detail["office"] == "cong_an_xa"
    assert entry.detail["criteria"] == {"P8": "Đạt", "P9": "Không đạt"} and entry.detail["loaded"] == 2

    page = editor.get(f"/attest/{unattested}?period=2018").text
    assert "2 xác nhận" in page  # the flash after the redirect
    assert re.search(r'id="criterion-P8".*?data-state="holds"', page, re.S)
    listing = editor.get("/attest?period=2018").text
    row = re.search(rf'<tr data-code="{unattested}">(.*?)</tr>', listing, re.S).group(1)
    assert 'data-criterion="P8" data-state="holds"' in row and 'data-criterion="P9" data-state="fails"' in row


def test_the_same_attestation_twice_is_stored_once(editor, engine, unattested):
    fields = {"holds_P8": "yes", "office": "ubnd_xa", "attested_on": "21/12/2018"}
    assert attest(editor, unattested, **fields).status_code == 302
    again = attest(editor, unattested, **fields)
    assert again.status_code == 302
    assert "giống hệt" in editor.get(again.location).text
    assert [r[:2] for r in stored(engine, unattested)] == [("P8", True)]


def test_a_changed_answer_replaces_the_one_on_record(editor, engine, unattested):
    for holds, day in (("yes", "21/12/2018"), ("no", "22/12/2018")):
        answer = attest(editor, unattested, holds_P8=holds, office="ubnd_xa", attested_on=day)
        assert answer.status_code == 302
    listing = editor.get("/attest?period=2018").text
    row = re.search(rf'<tr data-code="{unattested}">(.*?)</tr>', listing, re.S).group(1)
    assert 'data-criterion="P8" data-state="fails"' in row
    # an earlier date does not replace the newer answer, and the editor is told so
    older = attest(editor, unattested, holds_P8="yes", office="ubnd_xa", attested_on="01/12/2018")
    assert "không phải xác nhận mới nhất" in editor.get(older.location).text


def test_a_bad_date_is_refused_with_its_reason_and_the_values_kept(editor, engine, unattested):
    answer = attest(editor, unattested, holds_P8="yes", value_P8="1", office="mttq_xa",
                    attested_on="32/12/2018")
    assert answer.status_code == 422
    page = answer.text
    assert 'data-reason="BAD_DATE"' in page and "32/12/2018" in page
    assert 'value="32/12/2018"' in page and re.search(r'id="holds-P8-yes" value="yes"\s+checked', page)
    assert '<option value="mttq_xa" selected>' in page and 'name="value_P8" value="1"' in page
    assert stored(engine, unattested) == []


def test_the_form_refuses_nothing_marked_and_an_office_not_listed(editor, engine, unattested):
    nothing = attest(editor, unattested, office="ubnd_xa")
    assert nothing.status_code == 400 and "Chưa chọn đạt hay không đạt" in nothing.text
    person = attest(editor, unattested, holds_P8="yes", office="Nguyễn Văn A")
    assert person.status_code == 400 and "Chọn đơn vị xác nhận" in person.text
    assert stored(engine, unattested) == []


def test_the_form_offers_the_ingest_offices_and_no_note(editor, unattested):
    page = editor.get(f"/attest/{unattested}?period=2018").text
    offered = re.findall(r'<option value="([a-z_0-9]+)"', page)
    offices = vocabulary("offices")
    assert offered == list(offices.choices())
    assert all(offices.code(label) == code for code, label in offices.choices().items())
    assert "note" not in re.findall(r'name="([^"]+)"', page)
    assert "Không có ô ghi chú" in page  # the privacy statement
    assert re.findall(r'name="(holds_P\d)"', page)[::3] == ["holds_P8", "holds_P9"]  # the attested ones


def test_an_unknown_commune_or_period_is_refused(editor):
    assert editor.get("/attest/99999?period=2018").status_code == 404
    assert editor.get("/attest?period=2018-Q7").status_code == 400


def test_viewers_and_analysts_may_not_attest(viewer, analyst, engine, unattested):
    for client in (viewer, analyst):
        token = form_token(client.get("/dashboard").text)
        assert client.get("/attest?period=2018").status_code == 403
        assert client.get(f"/attest/{unattested}?period=2018").status_code == 403
        refused = client.post(f"/attest/{unattested}?period=2018",
                              data={"csrf_token": token, "holds_P8": "yes", "office": "ubnd_xa"})
        assert refused.status_code == 403
    assert stored(engine, unattested) == []


def test_the_map_panel_links_editors_to_the_attestation_page(editor, viewer):
    assert '"attest":"/attest/CODE"' in editor.get("/?period=2018").text
    assert "/attest/CODE" not in viewer.get("/?period=2018").text
    nav = editor.get("/dashboard").text
    assert 'data-endpoint="attest.index"' in nav and 'data-endpoint="record_forms.index"' in nav
    assert 'data-endpoint="attest.index"' not in viewer.get("/dashboard").text
