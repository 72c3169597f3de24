"""The upload through Flask's test client: roles, the background ingest, its report, errors, the audit log."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.helpers import (
    CASE_NUMBER,
    EDITOR,
    XHR,
    form_token,
    incidents_csv,
    login,
    send_upload,
    user_client,
    wait_for_job,
)

pytestmark = pytest.mark.postgis

OTHER_EDITOR = ("editor-other", "editor-other-password")


@pytest.fixture(scope="module")
def other_editor(app, db_url, loaded):
    return user_client(app, db_url, OTHER_EDITOR, "editor")


def _token(client) -> str:
    return form_token(client.get("/upload").text)


def _upload_dirs() -> set[Path]:
    return set(Path(tempfile.gettempdir()).glob("diaban-uploads-*/*"))


def test_only_editors_and_admins_may_upload(analyst, editor, auth_client):
    assert analyst.get("/upload").status_code == 403
    token = form_token(analyst.get("/dashboard").text)
    refused = analyst.post("/upload", data={"csrf_token": token, "kind": "incidents"})
    assert refused.status_code == 403
    assert analyst.get("/upload/jobs/anything").status_code == 403
    for client in (editor, auth_client):
        page = client.get("/upload").text
        assert 'id="upload-form"' in page and 'value="incidents"' in page and 'value="establishments"' in page
        assert 'enctype="multipart/form-data"' in page and "app/upload.js" in page


def test_an_upload_runs_in_the_background_and_reports_what_it_loaded(editor, engine, fresh):
    before = _upload_dirs()
    response = send_upload(editor, incidents_csv(engine, 2017), "vụ việc tháng 6.csv")
    assert response.status_code == 202, response.text
    status = wait_for_job(editor, response.get_json()["status_url"])
    assert status["state"] == "done" and status["stage"] == "done", status
    assert status["rows"]["read"] == 6 and status["filename"] == "vụ việc tháng 6.csv"
    report = status["report"]
    assert {k: report[k] for k in ("read", "loaded", "rejected", "duplicates", "review")} == {
        "read": 6, "loaded": 2, "rejected": 3, "duplicates": 1, "review": 1}
    assert report["dropped_columns"] == ["STT", "Họ tên"]  # only mapped fields are kept
    reasons = {r["code"]: r for r in report["reasons"]}
    assert set(reasons) == {"OUTSIDE_PROVINCE", "MISSING_FIELD", "AMBIGUOUS_UNIT"}
    assert reasons["MISSING_FIELD"]["vi"] == "Thiếu thông tin bắt buộc." and reasons["MISSING_FIELD"]["fix"]
    assert reasons["OUTSIDE_PROVINCE"]["en"].startswith("The point lies outside the province")
    batch = report["batch_id"]
    with engine.connect() as c:
        loaded = c.execute(text("SELECT count(*) FROM incident WHERE import_batch_id = :b"),
                           {"b": batch}).scalar()
        rejected = c.execute(text("SELECT count(*) FROM rejected_row WHERE import_batch_id = :b"),
                             {"b": batch}).scalar()
        source = c.execute(text("SELECT source FROM import_batch WHERE id = :b"), {"b": batch}).scalar()
        audit = c.execute(text("SELECT actor, action, target, detail FROM audit_log WHERE "
                               "detail ->> 'job' = :j OR target = :t ORDER BY id"),
                          {"j": status["id"], "t": f"import_batch:{batch}"}).all()
        stored = c.execute(text(
            "SELECT (SELECT string_agg(i::text, ' ') FROM incident i WHERE import_batch_id = :b) || "
            "(SELECT string_agg(r::text, ' ') FROM rejected_row r WHERE import_batch_id = :b)"),
            {"b": batch}).scalar()
    assert (loaded, rejected) == (2, 3)
    assert CASE_NUMBER not in stored and "Nguyễn" not in stored  # pseudonymised, dropped
    assert [(a.actor, a.action) for a in audit] == [(EDITOR[0], "ingest"), (EDITOR[0], "upload")]
    assert audit[1].target == "vụ việc tháng 6.csv" and audit[1].detail["batch_id"] == batch
    assert source == audit[0].detail["source"] == "vụ việc tháng 6.csv"  # not the temporary path
    assert "Nguyễn" not in str(audit)
    assert status["links"] == {"quarantine": f"/ingest/{batch}/quarantine.csv", "review": "/review"}
    assert _upload_dirs() <= before  # the uploaded file is gone


def test_a_dry_run_writes_nothing(editor, engine, fresh):
    def counts():
        with engine.connect() as c:
            return c.execute(text("SELECT (SELECT count(*) FROM import_batch), (SELECT count(*) "
                                  "FROM incident), (SELECT count(*) FROM rejected_row)")).one()
    start = counts()
    response = send_upload(editor, incidents_csv(engine, 2016), "thu.csv", dry_run="1")
    status = wait_for_job(editor, response.get_json()["status_url"])
    assert status["state"] == "done" and status["dry_run"] is True
    assert status["report"]["batch_id"] is None and status["report"]["loaded"] == 2
    assert status["report"]["rejected"] == 3
    assert status.get("links") == {}
    assert counts() == start


def test_a_file_that_cannot_be_read_fails_with_its_name_and_the_fix(editor, engine, fresh):
    before = _upload_dirs()
    response = send_upload(editor, b"this is not a workbook", "bao_cao.xlsx")
    status = wait_for_job(editor, response.get_json()["status_url"])
    assert status["state"] == "failed" and status["report"] is None
    assert status["error"].startswith("bao_cao.xlsx: not a readable .xlsx workbook")
    assert "save it again as .xlsx" in status["error"] and "diaban-upload-" not in status["error"]
    assert _upload_dirs() <= before
    with engine.connect() as c:
        failed = c.execute(text("SELECT detail FROM audit_log WHERE action = 'upload.failed' AND actor = :a "
                                "AND target = 'bao_cao.xlsx'"), {"a": EDITOR[0]}).scalars().all()
    assert failed and "not a readable .xlsx workbook" in failed[-1]["error"]


def test_bad_submissions_are_refused_before_any_job(editor):
    wrong = send_upload(editor, b"a;b\n1;2\n", "notes.txt")
    assert wrong.status_code == 400 and "notes.txt" in wrong.get_json()["error"]
    assert ".csv, .xlsx, .geojson, .json, .gpkg, .zip" in wrong.get_json()["error"]
    kind = send_upload(editor, b"a;b\n1;2\n", "a.csv", kind="people")
    assert kind.status_code == 400 and "'people'" in kind.get_json()["error"]
    page = editor.post("/upload", data={"csrf_token": _token(editor), "kind": "incidents"})
    assert page.status_code == 400 and 'id="upload-refused"' in page.text and "Chưa chọn tệp" in page.text


def test_a_plain_form_post_redirects_to_the_page_that_follows_the_job(editor, engine, fresh):
    response = editor.post("/upload", data={"csrf_token": _token(editor), "kind": "incidents",
                                            "file": (io.BytesIO(incidents_csv(engine, 2015)), "a.csv")})
    assert response.status_code == 302 and "/upload?job=" in response.location
    job = response.location.split("job=")[1]
    page = editor.get(response.location).text
    assert f'data-job-url="/upload/jobs/{job}"' in page
    assert wait_for_job(editor, f"/upload/jobs/{job}")["state"] == "done"


def test_a_job_is_visible_to_its_owner_and_admins_only(editor, other_editor, auth_client, engine,
                                                         fresh):
    url = send_upload(editor, incidents_csv(engine, 2014), "b.csv", dry_run="1").get_json()["status_url"]
    wait_for_job(editor, url)
    assert other_editor.get(url).status_code == 404
    assert auth_client.get(url).status_code == 200
    assert editor.get("/upload/jobs/no-such-job").status_code == 404


def test_a_body_over_the_limit_gets_413_with_the_limit(app, engine, db_url, editor):
    from webapp import create_app

    small = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": db_url, "ENGINE": engine,
                        "MAX_CONTENT_LENGTH": 256 * 1024})
    client = small.test_client()
    assert login(client, *EDITOR).status_code == 302
    token = _token(client)
    big = b"x" * (256 * 1024 + 10)  # under werkzeug's 500 KB spool threshold: no temporary file left open
    response = client.post("/upload", headers=XHR, data={"csrf_token": token, "kind": "incidents",
                                                         "file": (io.BytesIO(big), "big.csv")})
    assert response.status_code == 413 and "256 KB" in response.get_json()["error"]
    page = client.post("/upload", data={"csrf_token": token, "kind": "incidents",
                                        "file": (io.BytesIO(big), "b.csv")})
    assert page.status_code == 413 and "Tệp quá lớn: giới hạn là 256 KB" in page.text
