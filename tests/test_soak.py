"""Soak: ``diaban serve`` (waitress) under 20 map clients while a 100,000-row upload and two briefings run.

No client may get an error answer, and ``/healthz`` must answer within a second throughout: the
ingest and the briefings run in child processes, the briefings in their users' turns. The server
runs in its own process (as in production), and ``/healthz`` is timed by ``curl`` from another,
so that the clients' own work in the test process does not count against the server.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from tests.helpers import ADMIN, ANALYST, EDITOR, VIEWER, form_token, incidents_file, run_cli

pytestmark = [pytest.mark.postgis, pytest.mark.slow]

#: How long the map clients keep asking, in seconds, and how many there are.
SOAK_SECONDS, CLIENTS, ROWS = 35, 20, 100_000
#: A client's pause between two requests, in seconds: 20 clients still ask about 50 times a second,
#: more than the province's staff ever will; without any pause a one-process server saturates and
#: every answer, /healthz included, waits its turn for the interpreter.
THINK_SECONDS = 0.3
#: Server threads: more than the clients, so that /healthz never waits in waitress's queue.
THREADS = 32
#: /healthz answers 90 % of the time within HEALTH_SECONDS and never beyond HEALTH_WORST (nor fails).
#: The worst case allows for a machine whose processors are shared with other work (on the 2-core
#: machine of this suite's runs, a load average of 10 gave a worst of 2.7 s with 90 % under 1 s).
HEALTH_SECONDS, HEALTH_WORST = 1.0, 5.0
PAGES = ("/", "/api/communes?period=2018-H1", "/api/communes?period=2019&vintage=2010-02-06")


@pytest.fixture
def served(db_url, loaded, tmp_path):
    """``diaban serve`` of this checkout on a free loopback port, in its own process; its base URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    root = Path(__file__).resolve().parent.parent
    env = {**os.environ, "DATABASE_URL": db_url, "SECRET_KEY": "soak", "DIABAN_HMAC_KEY": "soak-" + "k" * 32}
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-c", "from webapp.cli import main; main()", "serve",
                               "--port", str(port), "--threads", str(THREADS)],
                              cwd=root, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except requests.RequestException:
            time.sleep(0.2)
    yield base
    server.terminate()
    server.wait(10)
    log.close()


def watch_health(base: str, stop: threading.Event) -> list[float]:
    """Time ``/healthz`` with curl every 0.25 s until ``stop``; seconds per answer (an error counts 99)."""
    curl, times = shutil.which("curl"), []
    while not stop.is_set():
        done = subprocess.run([curl, "-s", "-o", "/dev/null", "--max-time", "10", "-w",
                               "%{http_code} %{time_total}", f"{base}/healthz"],
                              capture_output=True, text=True)
        code, _, seconds = done.stdout.partition(" ")
        times.append(float(seconds) if code == "200" else 99.0)
        stop.wait(0.25)
    return times


def session_of(base: str, user: tuple[str, str]) -> requests.Session:
    """A requests session logged in as ``user``."""
    session = requests.Session()
    token = form_token(session.get(f"{base}/login").text)
    answer = session.post(f"{base}/login", data={"username": user[0], "password": user[1],
                                                 "csrf_token": token})
    assert answer.status_code == 200 and "/login" not in answer.url, answer.url
    return session


def browse(base: str, session: requests.Session, until: float, errors: list, counts: list) -> None:
    """Ask for the map page and the commune layers in turn until ``until``; keep every failure."""
    i = 0
    while time.monotonic() < until:
        path = PAGES[i % len(PAGES)]
        try:
            with session.get(f"{base}{path}", timeout=60, stream=True) as answer:
                for _ in answer.iter_content(1 << 16):
                    pass
                status = answer.status_code
        except requests.RequestException as exc:
            status = repr(exc)
        if status != 200:
            errors.append((path, status))
        counts.append(1)
        i += 1
        time.sleep(THINK_SECONDS)


def upload(base: str, session: requests.Session, path) -> dict:
    """Send the file, then poll its job until it ends; its last status."""
    token = form_token(session.get(f"{base}/upload").text)
    with path.open("rb") as handle:
        sent = session.post(f"{base}/upload", headers={"X-Requested-With": "XMLHttpRequest"}, timeout=120,
                            data={"csrf_token": token, "kind": "incidents"},
                            files={"file": (path.name, handle)})
    assert sent.status_code == 202, sent.text
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        status = session.get(f"{base}{sent.json()['status_url']}", timeout=30).json()
        if status["state"] != "running":
            return status
        time.sleep(1)
    return status


def briefing(base: str, session: requests.Session, out: list) -> None:
    """Ask for a month's briefing; keep the answer's status and first bytes."""
    token = form_token(session.get(f"{base}/reports").text)
    answer = session.post(f"{base}/reports/briefing", timeout=300,
                          data={"csrf_token": token, "period": "2018-06", "lang": "vi"})
    out.append((answer.status_code, answer.content[:4]))


def test_the_server_stays_responsive_under_load(served, db_url, engine, fresh, tmp_path):
    for user, role in ((VIEWER, "viewer"), (ANALYST, "analyst"), (EDITOR, "editor")):
        run_cli(db_url, "users", "add", user[0], "--role", role, "--password-stdin", input=user[1] + "\n")
    source = incidents_file(engine, tmp_path / "vu_viec_100k.csv", ROWS, seed=5)
    base = served
    clients = [session_of(base, VIEWER if i % 2 else ANALYST) for i in range(CLIENTS)]
    errors, counts, briefings, outcome, stop = [], [], [], {}, threading.Event()
    health: list[float] = []
    watcher = threading.Thread(target=lambda: health.extend(watch_health(base, stop)))
    watcher.start()
    until = time.monotonic() + SOAK_SECONDS
    threads = [threading.Thread(target=browse, args=(base, c, until, errors, counts)) for c in clients]
    threads += [threading.Thread(target=briefing, args=(base, session_of(base, user), briefings))
                for user in (ANALYST, ADMIN)]
    threads.append(threading.Thread(target=lambda: outcome.update(
        upload(base, session_of(base, EDITOR), source))))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    watcher.join()
    assert errors == [], errors[:10]
    assert len(counts) > CLIENTS * 5
    assert sorted(briefings) == [(200, b"%PDF"), (200, b"%PDF")]
    assert outcome["state"] == "done", outcome
    assert outcome["report"]["read"] == ROWS and outcome["report"]["loaded"] >= ROWS - 100
    with engine.connect() as c:
        stored = c.execute(text("SELECT count(*) FROM incident WHERE import_batch_id = :b"),
                           {"b": outcome["report"]["batch_id"]}).scalar_one()
    assert stored == outcome["report"]["loaded"]
    slow = sorted(health)[int(0.9 * len(health)):]
    assert len(health) > SOAK_SECONDS and slow[0] < HEALTH_SECONDS and max(health) < HEALTH_WORST, slow
