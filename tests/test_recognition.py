"""Recognition decisions (issue #11): the store and its history, the CLI, the page, and everywhere they show.

Every test leaves the table empty (conftest's ``decisions_cleared``), so the other modules of the same run
measure the computed proposal only.
"""

from __future__ import annotations

import json
import re
import subprocess
from datetime import date

import pyogrio
import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from geo.store.map_layers import data_version
from geo.store.recognition import RecognitionError, read_decisions, record_decision
from tests.helpers import form_token, run_cli, run_tool
from webapp.workflows.targets import plan_progress, with_decisions

pytestmark = [pytest.mark.postgis, pytest.mark.usefixtures("decisions_cleared")]

VINTAGE, YEAR = "75:2010-02-06", 2018
DECISION = {"decision_number": "123/QĐ-UBND", "decision_date": date(2019, 1, 15), "decided_by": "UBND tỉnh"}


@pytest.fixture(scope="module")
def snapshot(classified) -> int:
    """conftest's classification snapshot of 2018 on the plan's vintage (the proposal); its id."""
    return classified


#: The plan's communes in a snapshot: those of old Đồng Nai (``[plan] province_code``).
IN_PLAN = ("commune_code IN (SELECT code FROM admin_unit WHERE vintage_id = :v AND level = 'commune' "
           "AND former_province_code = '75')")


def proposal(engine, snapshot_id: int, status: str) -> str:
    """The code of a plan commune whose proposal in the snapshot is ``status`` (or is not, with ``!``)."""
    op, status = ("<>", status[1:]) if status.startswith("!") else ("=", status)
    with engine.connect() as c:
        return c.execute(text(f"SELECT min(commune_code) FROM classification_result WHERE snapshot_id = :s "
                              f"AND status {op} :status AND {IN_PLAN}"),
                         {"s": snapshot_id, "status": status, "v": VINTAGE}).scalar_one()


def decide(engine, code: str, recognised: bool, *, snapshot_id=None, by="editor-test", year=YEAR,
           **changes) -> dict:
    return record_decision(engine, vintage=VINTAGE, commune_code=code, year=year, recognised=recognised,
                           snapshot_id=snapshot_id, recorded_by=by, **{**DECISION, **changes})


# --- the store ----------------------------------------------------------------------------------------


def test_a_new_decision_supersedes_the_current_one_and_keeps_it(engine, snapshot):
    code = proposal(engine, snapshot, "healthy")
    before = data_version(engine)
    first = decide(engine, code, True, snapshot_id=snapshot)
    assert data_version(engine) > before  # maps, dashboard and exports keyed by it see the change
    second = decide(engine, code, False, decision_number="7/QĐ-BCĐ", decided_by="Ban Chỉ đạo tỉnh")
    assert second["superseded"] == first["id"] and first["superseded"] is None
    current = read_decisions(engine, year=YEAR, vintage=VINTAGE, codes=[code])
    assert current[["id", "recognised", "decision_number", "decided_by"]].values.tolist() == [
        [second["id"], False, "7/QĐ-BCĐ", "Ban Chỉ đạo tỉnh"]]
    history = read_decisions(engine, year=YEAR, codes=[code], history=True).set_index("id")
    assert list(history.index) == [second["id"], first["id"]]  # newest first
    assert history.at[first["id"], "superseded_at"] is not None and history.at[first["id"], "recognised"]
    assert int(history.at[first["id"], "snapshot_id"]) == snapshot
    assert history.at[first["id"], "decision_date"] == date(2019, 1, 15)
    with engine.connect() as c:
        audited = c.execute(text("SELECT actor, target, detail FROM audit_log "
                                 "WHERE action = 'recognition.record' ORDER BY id DESC LIMIT 2")).all()
    assert [(a, t) for a, t, _ in audited] == [("editor-test", f"{VINTAGE}:{code}:{YEAR}")] * 2
    assert audited[0][2]["superseded"] == first["id"] and audited[0][2]["recognised"] is False


def test_the_database_keeps_one_current_decision_per_commune_and_year(conn, snapshot):
    row = ("INSERT INTO recognition_decision (vintage_id, commune_code, year, recognised, decision_number, "
           "decision_date, decided_by, recorded_by) VALUES (:v, '26041', 2018, true, '1', '2019-01-01', "
           "'UBND tỉnh', 'x')")
    conn.execute(text(row), {"v": VINTAGE})
    with pytest.raises(IntegrityError, match="recognition_decision_current"):
        conn.execute(text(row), {"v": VINTAGE})


@pytest.mark.parametrize(("changes", "message"), [
    ({"code": "99999"}, "no commune '99999' in vintage"),
    ({"decided_by": "  "}, "decided_by is empty"),
    ({"decision_number": "x" * 61}, "at most 60"),
    ({"decision_date": date(2017, 12, 31)}, "cannot decide 2018"),
    ({"snapshot_id": -5}, "snapshot -5 is not in the store"),
])
def test_a_bad_decision_is_refused_with_the_fix(engine, snapshot, changes, message):
    code = changes.pop("code", proposal(engine, snapshot, "healthy"))
    with pytest.raises(RecognitionError, match=message):
        decide(engine, code, True, **changes)
    assert read_decisions(engine, history=True).empty


def test_a_snapshot_of_another_year_is_refused(engine, snapshot):
    with pytest.raises(RecognitionError, match=f"snapshot {snapshot} is of 2018 .* a snapshot of 2019"):
        decide(engine, proposal(engine, snapshot, "healthy"), True, snapshot_id=snapshot, year=2019)


# --- the CLI -------------------------------------------------------------------------------------------


def test_the_cli_records_and_lists_decisions_with_their_history(db_url, engine, snapshot):
    code = proposal(engine, snapshot, "!healthy")
    args = ("recognition", "record", "--year", str(YEAR), "--commune", code, "--number", "45/QĐ-UBND",
            "--date", "2019-02-01", "--by", "UBND tỉnh", "--snapshot", str(snapshot))
    first = run_cli(db_url, *args, "--recognised", "--json")
    assert first.exit_code == 0, first.output
    recorded = json.loads(first.stdout)
    assert (recorded["commune_code"], recorded["recognised"], recorded["vintage_id"]) == (code, True, VINTAGE)
    second = run_cli(db_url, *args, "--not-recognised")
    assert second.exit_code == 0 and f"supersedes decision #{recorded['id']}" in second.stdout
    listed = json.loads(run_cli(db_url, "recognition", "list", "--year", str(YEAR), "--json").stdout)
    assert [(r["commune_code"], r["recognised"], r["current"]) for r in listed] == [(code, False, True)]
    assert listed[0]["proposal"] != "healthy" and listed[0]["name"]
    history = json.loads(run_cli(db_url, "recognition", "list", "--history", "--json").stdout)
    assert [r["current"] for r in history] == [True, False]
    missing = run_cli(db_url, *args)
    assert missing.exit_code != 0 and "--recognised or --not-recognised" in missing.output
    bad = run_cli(db_url, "recognition", "record", "--year", "2018", "--commune", "00000", "--recognised",
                  "--number", "1", "--date", "2019-01-01", "--by", "UBND tỉnh")
    assert bad.exit_code == 1 and "no commune '00000'" in bad.output


# --- the page, the API, the export, the dashboard -------------------------------------------------------


def page(client, year=YEAR) -> str:
    response = client.get(f"/recognition?year={year}&vintage={VINTAGE}")
    assert response.status_code == 200
    return response.text


def row_of(html: str, code: str) -> str:
    return re.search(rf'<tr id="commune-{code}".*?</tr>', html, re.S).group(0)


def post(client, code: str, **fields):
    data = {"csrf_token": form_token(page(client)), "year": str(YEAR), "vintage": VINTAGE,
            "recognised": "1", "decision_number": "88/QĐ-UBND", "decision_date": "2019-03-04",
            "decided_by": "UBND tỉnh", **fields}
    return client.post(f"/recognition/{code}", data=data)


def test_a_viewer_reads_the_page_but_cannot_record(viewer, engine, snapshot):
    code = proposal(engine, snapshot, "healthy")
    html = page(viewer)
    assert 'id="recognition-table"' in html and "rec-form" not in html
    assert 'data-proposal="healthy"' in row_of(html, code)
    with viewer.session_transaction() as session:
        token = session.setdefault("csrf_token", "a-token")
    answer = viewer.post(f"/recognition/{code}", data={
        "csrf_token": token, "year": str(YEAR), "vintage": VINTAGE, "recognised": "1",
        "decision_number": "1", "decision_date": "2019-01-01", "decided_by": "UBND tỉnh"})
    assert answer.status_code == 403
    assert read_decisions(engine, history=True).empty


def test_an_editor_records_and_the_decision_shows_everywhere(editor, analyst, engine, snapshot, db_url,
                                                             ogrinfo, tmp_path):
    code = proposal(engine, snapshot, "!healthy")
    assert "rec-form" in page(editor)
    answer = post(editor, code, snapshot_id=str(snapshot))
    assert answer.status_code == 302 and answer.location.endswith(f"#commune-{code}")
    row = row_of(page(editor), code)
    assert 'data-decision="recognised"' in row and "88/QĐ-UBND" in row and "UBND tỉnh" in row
    with engine.connect() as c:
        actor = c.execute(text("SELECT actor FROM audit_log WHERE action = 'recognition.record' "
                               "ORDER BY id DESC LIMIT 1")).scalar_one()
    assert actor == "editor-test"

    panel = analyst.get(f"/api/communes/{code}?period=2018-H2&vintage={VINTAGE}").get_json()["recognition"]
    assert panel["year"] == YEAR and panel["proposal"]["status"] != "healthy"
    assert panel["proposal"]["snapshot_id"] == snapshot
    assert panel["decision"] | {"recorded_at": None} == {
        "recognised": True, "decision_number": "88/QĐ-UBND", "decision_date": "2019-03-04",
        "decided_by": "UBND tỉnh", "snapshot_id": snapshot, "recorded_at": None, "superseded": 0}

    out = tmp_path / "communes.gpkg"
    result = run_cli(db_url, "export", "communes", "--format", "gpkg", "--out", str(out), "--period", "2018",
                     "--vintage", VINTAGE)
    assert result.exit_code == 0, result.output
    gdal = subprocess.run([ogrinfo, "-ro", "-al", "-where", f"commune_code = '{code}'", str(out)],
                          capture_output=True, text=True, check=True, timeout=120).stdout
    assert "recognised (Integer(Boolean))" in gdal and "recognised (Integer(Boolean)) = 1" in gdal
    assert "decision_no (String) = 88/QĐ-UBND" in gdal and "decision_date (String) = 2019-03-04" in gdal
    frame = pyogrio.read_dataframe(out).set_index("commune_code")
    assert frame["recognised"].notna().sum() == 1 and frame.at[code, "status"] != "healthy"

    dashboard = analyst.get(f"/dashboard?period=2018&vintage={VINTAGE}").text
    total = re.search(r'<tr class="fw-semibold" data-total="1">.*?</tr>', dashboard, re.S).group(0)
    assert 'data-col="recognised" data-value="1"' in total
    assert 'id="recognition-source" data-year="2018" data-decided="1"' in dashboard


def test_a_bad_form_is_answered_with_the_reason_and_nothing_stored(editor, engine, snapshot):
    code = proposal(engine, snapshot, "healthy")
    for fields, reason in (({"decided_by": ""}, "decided_by is empty"),
                           ({"decision_date": "15/01/2019"}, "YYYY-MM-DD"),
                           ({"recognised": ""}, "Chọn có hoặc không công nhận")):
        answer = post(editor, code, **fields)
        assert answer.status_code == 400 and reason in answer.text, fields
    assert read_decisions(engine, history=True).empty


# --- the plan's 80 % target ----------------------------------------------------------------------------


def healthy_2018(engine) -> tuple[float, str]:
    _, _, rows, _ = plan_progress(engine)
    row = rows[(rows["scope"] == "province") & (rows["target_id"] == "healthy_communes")
               & (rows["year"] == YEAR)].iloc[0]
    return row["value"], row["note"]


def test_the_healthy_target_counts_decisions_where_they_exist(engine, snapshot):
    with engine.connect() as c:
        communes = c.execute(text(f"SELECT count(*) FROM classification_result WHERE snapshot_id = :s "
                                  f"AND {IN_PLAN}"), {"s": snapshot, "v": VINTAGE}).scalar_one()
    proposed, note = healthy_2018(engine)
    assert "đề xuất (chưa có quyết định" in note and "the computed proposal (no recognition" in note
    decide(engine, proposal(engine, snapshot, "healthy"), False)  # the committee did not recognise it
    assert healthy_2018(engine)[0] == pytest.approx(proposed - 1 / communes)
    decide(engine, proposal(engine, snapshot, "!healthy"), True)
    value, note = healthy_2018(engine)
    assert value == pytest.approx(proposed)
    assert "quyết định công nhận cho 2 xã" in note and "recognition decisions for 2 communes" in note


def test_decisions_of_a_year_without_a_snapshot_leave_it_a_gap():
    import pandas as pd

    measured = pd.DataFrame({"measure": "healthy_share", "year": [2018], "commune_code": ["A"],
                             "numerator": [1.0], "denominator": [1.0]})
    decisions = pd.DataFrame({"year": [2018, 2018, 2019], "commune_code": ["A", "B", "A"],
                              "recognised": [False, True, True]})
    out, used = with_decisions(measured, decisions)
    assert sorted(zip(out["commune_code"], out["numerator"], strict=True)) == [("A", 0.0), ("B", 1.0)]
    assert set(out["year"]) == {2018} and len(used) == 2


# --- the briefing ---------------------------------------------------------------------------------------


@pytest.mark.slow
def test_the_briefing_states_the_decisions_next_to_the_proposal(db_url, engine, snapshot, tmp_path):
    decide(engine, proposal(engine, snapshot, "!healthy"), True)
    decide(engine, proposal(engine, snapshot, "healthy"), False)
    out = tmp_path / "briefing.pdf"
    result = run_cli(db_url, "report", "--period", str(YEAR), "--vintage", VINTAGE, "--out", str(out))
    assert result.exit_code == 0, result.output
    pdf = " ".join(run_tool("pdftotext", "-layout", str(out), "-").split())
    assert "Công nhận năm 2018" in pdf
    assert "1 xã được công nhận lành mạnh, 2 xã đã có quyết định" in pdf
    table = re.search(r"Tình trạng các xã theo huyện(.*?)Toàn tỉnh \d+(?: \d+){4} [\d,]+ % (\d+) ", pdf)
    assert "Được công" in table.group(1) and table.group(2) == "1"  # the district table's column
    assert "căn cứ: quyết định công nhận cho 2 xã" in pdf  # the 80 % target names its basis
