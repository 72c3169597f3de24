"""Upload jobs in PostgreSQL and heavy work in child processes: restarts, limits, caps, 503s, fairness."""

from __future__ import annotations

import io
import os
import subprocess
import threading
import time

import pytest
import requests
from sqlalchemy import text
from werkzeug.test import EnvironBuilder

from tests.helpers import (
    ANALYST,
    EDITOR,
    XHR,
    form_token,
    incidents_csv,
    incidents_file,
    login,
    send_upload,
    user_client,
    wait_for_job,
)
from webapp import upload_jobs
from webapp.errors import BUSY, DATABASE_DOWN

pytestmark = pytest.mark.postgis

def send_large(client, data: bytes, name: str) -> str:
    """Upload a body over werkzeug's 500 KB spool threshold, closing the test client's temporary file;
    return the job's status URL."""
    builder = EnvironBuilder(path="/upload", method="POST", headers=XHR, data={
        "csrf_token": form_token(client.get("/upload").text), "kind": "incidents",
        "file": (io.BytesIO(data), name)})
    environ = builder.get_environ()
    try:
        response = client.open(environ)
    finally:
        environ["wsgi.input"].close()
        builder.close()
    assert response.status_code == 202, response.text
    return response.get_json()["status_url"]


def _count(engine, sql: str, **params) -> int:
    with engine.connect() as c:
        return c.execute(text(sql), params).scalar_one()


@pytest.fixture
def fake_jobs(engine):
    """Insert ``upload_job`` rows directly (deleted after the test): ``add(owner, pid=...)``."""
    ids = []

    def add(owner: str, *, pid: int | None = None, host: str = upload_jobs.HOST) -> str:
        job_id = f"test-{os.urandom(6).hex()}"
        with engine.begin() as c:
            c.execute(text("INSERT INTO upload_job (id, owner, kind, source, dry_run, state, phase, "
                           "progress, host, pid) VALUES (:i, :o, 'incidents', 'x.csv', false, 'running', "
                           "'queued', '{}', :h, :p)"),
                      {"i": job_id, "o": owner, "h": host, "p": pid or os.getpid()})
        ids.append(job_id)
        return job_id
    yield add
    with engine.begin() as c:
        c.execute(text("DELETE FROM upload_job WHERE id = ANY(:i)"), {"i": ids})


def _new_app(db_url: str, **config):
    from webapp import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": db_url, **config})


def test_a_job_and_its_report_survive_a_restart(editor, engine, db_url, fresh):
    url = send_upload(editor, incidents_csv(engine, 2012), "sau khởi động.csv").get_json()["status_url"]
    assert wait_for_job(editor, url)["state"] == "done"
    restarted = _new_app(db_url)
    try:
        client = restarted.test_client()
        assert login(client, *EDITOR).status_code == 302
        status = client.get(url).get_json()
    finally:
        restarted.extensions["diaban.engine"].dispose()
    assert status["state"] == "done" and status["filename"] == "sau khởi động.csv"
    assert status["report"]["loaded"] == 2 and status["report"]["batch_id"] > fresh
    assert {r["code"] for r in status["report"]["reasons"]} == {"OUTSIDE_PROVINCE", "MISSING_FIELD",
                                                                "AMBIGUOUS_UNIT"}


def test_jobs_of_a_dead_process_fail_on_start_and_stale_folders_go(app, engine, db_url, fake_jobs):
    gone = subprocess.Popen(["true"])
    gone.wait()
    orphan, living = fake_jobs(EDITOR[0], pid=gone.pid), fake_jobs(EDITOR[0])
    elsewhere = fake_jobs(EDITOR[0], pid=gone.pid, host="another-host")
    area = upload_jobs.upload_area(app)
    for name in (orphan, living, "stray"):
        (area / name).mkdir(parents=True, exist_ok=True)
        (area / name / "f.csv").write_text("a\n")
    _new_app(db_url, ENGINE=engine)
    with engine.connect() as c:
        states = dict(c.execute(text("SELECT id, state FROM upload_job WHERE id = ANY(:i)"),
                                {"i": [orphan, living, elsewhere]}).all())
        error = c.execute(text("SELECT error FROM upload_job WHERE id = :i"), {"i": orphan}).scalar_one()
    assert states == {orphan: "failed", living: "running", elsewhere: "running"}
    assert error == upload_jobs.RESTARTED and "upload the file again" in error
    assert sorted(p.name for p in area.iterdir() if p.name in {orphan, living, "stray"}) == [living]


def test_an_ingest_over_its_memory_limit_fails_clearly_and_leaves_nothing(editor, engine, db_url, fresh,
                                                                           tmp_path):
    small = _new_app(db_url, ENGINE=engine, UPLOAD_MEMORY_MB=16)
    client = small.test_client()
    assert login(client, *EDITOR).status_code == 302
    data = incidents_file(engine, tmp_path / "lon.csv", 40_000).read_bytes()
    batches = _count(engine, "SELECT count(*) FROM import_batch")
    url = send_large(client, data, "lớn.csv")
    status = wait_for_job(client, url, seconds=120)
    assert status["state"] == "failed" and status["report"] is None
    assert status["error"] == upload_jobs.limit_message(upload_jobs.LimitExceeded("memory", 16))
    assert "the file needs more than 16 MB of memory; split it or ask an administrator" in status["error"]
    assert _count(engine, "SELECT count(*) FROM import_batch") == batches
    assert _count(engine, "SELECT count(*) FROM upload_job WHERE id = :i AND import_batch_id IS NULL",
                  i=status["id"]) == 1


def test_a_time_limit_ends_the_child_and_the_job(editor, engine, db_url, fresh, tmp_path):
    quick = _new_app(db_url, ENGINE=engine, UPLOAD_SECONDS=0.5)
    client = quick.test_client()
    assert login(client, *EDITOR).status_code == 302
    data = incidents_file(engine, tmp_path / "cham.csv", 20_000).read_bytes()
    batches = _count(engine, "SELECT count(*) FROM import_batch")
    status = wait_for_job(client, send_large(client, data, "chậm.csv"), seconds=60)
    assert status["state"] == "failed"
    assert status["error"].endswith("the file needs more than 0.5 s to load; split it or ask an "
                                    "administrator")
    assert _count(engine, "SELECT count(*) FROM import_batch") == batches


def test_a_user_with_three_jobs_waiting_gets_429(editor, fake_jobs, engine):
    for _ in range(3):
        fake_jobs(EDITOR[0])
    refused = send_upload(editor, incidents_csv(engine, 2012), "x.csv")
    assert refused.status_code == 429 and refused.headers["Retry-After"]
    message = refused.get_json()["error"]
    assert "Bạn đã có 3 tệp đang chờ hoặc đang nạp" in message and "at most 3" in message
    page = editor.post("/upload", data={"csrf_token": form_token(editor.get("/upload").text),
                                        "kind": "incidents", "file": (io.BytesIO(b"a\n"), "y.csv")})
    assert page.status_code == 429 and 'id="upload-refused"' in page.text


def test_the_server_wide_cap_gives_429_too(editor, fake_jobs, engine):
    for owner in ("someone-1", "someone-2", "someone-3", "someone-4") * 5:
        fake_jobs(owner)
    refused = send_upload(editor, incidents_csv(engine, 2012), "x.csv")
    assert refused.status_code == 429 and "try again in a few minutes" in refused.get_json()["error"]


def test_a_vietnamese_file_name_keeps_its_extension_and_loads(editor, engine, fresh):
    response = send_upload(editor, incidents_csv(engine, 2011), "đ.csv")
    status = wait_for_job(editor, response.get_json()["status_url"])
    assert status["state"] == "done", status
    assert status["filename"] == "đ.csv" and status["report"]["loaded"] == 2
    assert _count(engine, "SELECT count(*) FROM import_batch WHERE source = 'đ.csv'") == 1


def test_a_file_name_is_kept_only_sanitised(editor, engine, fresh):
    sent = send_upload(editor, incidents_csv(engine, 2011), "..\\tmp/x\x07y.CSV", dry_run="1")
    status = wait_for_job(editor, sent.get_json()["status_url"])
    assert status["state"] == "done" and status["filename"] == "xy.CSV"


@pytest.fixture
def unreachable_app():
    """The app on a database URL whose port nothing listens on."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = _new_app(f"postgresql+psycopg://nobody:pw@127.0.0.1:{port}/nothing")
    yield app
    app.extensions["diaban.engine"].dispose()


def test_an_unreachable_database_is_a_clear_503(unreachable_app):
    client = unreachable_app.test_client()
    with client.session_transaction() as session:
        session["sid"] = "a-session-id"  # looked up in the database on every request
    page = client.get("/")
    assert page.status_code == 503 and page.mimetype == "text/html"
    assert "Tạm thời không kết nối được cơ sở dữ liệu" in page.text
    assert "database cannot be reached" in page.text
    api = client.get("/api/communes")
    assert api.status_code == 503 and api.get_json() == {"error": DATABASE_DOWN, "status": 503}
    assert api.headers["Retry-After"] == "30"
    token = client.get("/ogc/collections", headers={"Authorization": "Bearer abc"})
    assert token.status_code == 503 and token.get_json()["error"] == DATABASE_DOWN
    health = client.get("/healthz")
    assert health.status_code == 503 and health.get_json()["status"] == "degraded"


def _logged_in(base: str, user: tuple[str, str]) -> requests.Session:
    session = requests.Session()
    token = form_token(session.get(f"{base}/login").text)
    assert session.post(f"{base}/login", data={"username": user[0], "password": user[1],
                                               "csrf_token": token}).status_code == 200
    return session


def watch_health(base: str, stop: threading.Event) -> list[float]:
    """Ask /healthz every 0.2 s until ``stop``; the seconds each answer took (an error counts as 99)."""
    times = []
    while not stop.is_set():
        started = time.monotonic()
        try:
            ok = requests.get(f"{base}/healthz", timeout=10).status_code == 200
        except requests.RequestException:
            ok = False
        times.append(time.monotonic() - started if ok else 99.0)
        stop.wait(0.2)
    return times


def test_ten_briefings_at_once_leave_healthz_quick(live_server, app, db_url):
    user_client(app, db_url, ANALYST, "analyst")
    session = _logged_in(live_server, ANALYST)
    token = form_token(session.get(f"{live_server}/reports").text)
    answers, stop = [], threading.Event()

    def ask():
        answers.append(session.post(f"{live_server}/reports/briefing", timeout=300, data={
            "csrf_token": token, "period": "2018-06", "lang": "vi"}))
    watcher = threading.Thread(target=lambda: answers.append(watch_health(live_server, stop)))
    watcher.start()
    askers = [threading.Thread(target=ask) for _ in range(10)]
    for thread in askers:
        thread.start()
    for thread in askers:
        thread.join()
    stop.set()
    watcher.join()
    health = next(a for a in answers if isinstance(a, list))
    briefings = [a for a in answers if not isinstance(a, list)]
    assert len(health) >= 5 and max(health) < 1.0, health
    assert sorted({r.status_code for r in briefings}) == [200, 429]
    assert all(r.content.startswith(b"%PDF") for r in briefings if r.status_code == 200)
    busy = [r for r in briefings if r.status_code == 429]
    assert busy[0].headers["Retry-After"] and BUSY["user"].split(" / ")[1] in busy[0].text
