"""Builders the test modules share: the CLI runner, logins, form tokens, uploads, a scratch database,
generated files, browser steps and poppler's tools.

Test modules import these from here, never from one another (``test_suite_layout.py`` checks it);
``conftest.py`` holds the fixtures only.
"""

from __future__ import annotations

import io
import os
import re
import secrets
import shutil
import subprocess
import time
import unicodedata
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from sqlalchemy import text

from geo.store import make_engine
from geo.store.units import read_units

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ADMIN = ("admin-test", "correct-horse-battery")
VIEWER = ("viewer-test", "viewer-test-password")
ANALYST = ("analyst-test", "analyst-test-password")
EDITOR = ("editor-test", "editor-test-password")
#: The header that makes the upload answer with JSON (202 and the job's status URL).
XHR = {"X-Requested-With": "XMLHttpRequest"}
#: The case number of :func:`incidents_csv`, never to be stored in clear.
CASE_NUMBER = "1234/QĐ-XPVPHC"
#: The vintage of 2010 (171 communes of old Đồng Nai, 111 of former Bình Phước), valid over
#: :data:`YEARS`, and the years of :func:`incidents_file`.
OLD_VINTAGE, YEARS = "75:2010-02-06", (2011, 2018)
#: SQL condition: the establishment ``e`` lies in old Đồng Nai (the former province the
#: 2016–2020 plan covers, ``[plan] province_code``), on the 2010 vintage.
IN_PLAN_PROVINCE = ("EXISTS (SELECT 1 FROM admin_unit u WHERE u.vintage_id = '75:2010-02-06' "
                    "AND u.level = 'commune' AND u.former_province_code = '75' "
                    "AND ST_Covers(u.geom, e.geom))")
LABELS = ["Mua bán dâm", "Chứa mại dâm", "Môi giới mại dâm", "Tổ chức hoạt động mại dâm"]
#: The five Vietnamese tone marks as combining characters (what :func:`cp1258` writes apart).
TONES = "\u0300\u0301\u0303\u0309\u0323"


def artefact_path(name: str) -> Path:
    """Where a test keeps an artefact (a screenshot, a rendered PDF page) for people to look at.

    ``$DIABAN_ARTEFACTS`` when set, else ``test-artefacts/`` in the checkout (ignored by git).
    """
    default = Path(__file__).resolve().parent.parent / "test-artefacts"
    folder = Path(os.environ.get("DIABAN_ARTEFACTS") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder / name


def unavailable(what: str) -> None:
    """Fail under CI, skip elsewhere."""
    if IN_CI:
        pytest.fail(f"{what} is not available, and CI=true forbids skipping", pytrace=False)
    pytest.skip(f"{what} is not available")


@contextmanager
def new_database(server_url):
    """Create an empty database on the server, yield its URL string, drop it afterwards."""
    name = f"diaban_test_{os.getpid()}_{secrets.token_hex(3)}"
    admin = make_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def run_cli(db_url: str, *args: str, input: str | None = None):
    """Run ``diaban ARGS`` against ``db_url`` and return click's result."""
    from webapp.cli import main

    return CliRunner().invoke(main, list(args), input=input, env={"DATABASE_URL": db_url},
                              catch_exceptions=False)


def form_token(html: str) -> str:
    """The CSRF token of the first form of a page."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, username=ADMIN[0], password=ADMIN[1]):
    """Log ``client`` in through the form and return the response."""
    token = form_token(client.get("/login").text)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


def add_user(db_url: str, user: tuple[str, str], role: str, *, exist_ok: bool = False) -> tuple[str, str]:
    """Create ``user`` (name, password) with ``role`` through ``diaban users add``; return it.

    With ``exist_ok`` a user created earlier in the run is accepted as it is.
    """
    result = run_cli(db_url, "users", "add", user[0], "--role", role, "--password-stdin",
                     input=user[1] + "\n")
    assert result.exit_code == 0 or (exist_ok and "exists already" in result.output), result.output
    return user


def user_client(app, db_url, user: tuple[str, str], role: str):
    """A test client logged in as ``user`` (created by ``diaban users add --role ROLE`` if new)."""
    add_user(db_url, user, role, exist_ok=True)
    client = app.test_client()
    assert login(client, *user).status_code == 302
    return client


def send_upload(client, data: bytes, name: str, kind: str = "incidents", **form):
    """Post ``data`` as file ``name`` to ``/upload`` the way the page's script does; return the response."""
    token = form_token(client.get("/upload").text)
    return client.post("/upload", headers=XHR, data={
        "csrf_token": token, "kind": kind, "file": (io.BytesIO(data), name), **form})


def wait_for_job(client, url: str, seconds: float = 60) -> dict:
    """Poll the upload job at ``url`` until it ends; return its last status."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        status = client.get(url).get_json()
        if status["state"] != "running":
            return status
        time.sleep(0.1)
    raise AssertionError(f"the upload job did not end within {seconds} s: {status}")


def incidents_csv(engine, year: int) -> bytes:
    """Six rows: two load, two are rejected (outside the province, no date), one waits for review (a
    commune name two districts share), one repeats the first. Case numbers are pseudonymised."""
    units = read_units(engine, "75:2010-02-06")
    point = units.loc[units["commune_code"] == "25996", "geometry"].iloc[0].representative_point()
    lat, lon = (f"{v:.6f}".replace(".", ",") for v in (point.y, point.x))
    rows = ["STT;Ngày xảy ra;Hành vi;Vĩ độ;Kinh độ;Xã/phường;Huyện;Họ tên;Số hồ sơ",
            f"1;15/06/{year};Mua bán dâm;{lat};{lon};;;Nguyễn Văn Bí;{CASE_NUMBER}",
            f"2;16/06/{year};Chứa mại dâm;21,028500;105,854200;;;Trần Thị C;",
            "3;;Mua bán dâm;;;P. Tân Phong;TP Biên Hòa;Lê Văn D;",
            f"4;03/04/{year};Môi giới mại dâm;;;P. Tân Phong;TP Biên Hòa;Phạm E;",
            f"5;20/07/{year};Mua bán dâm;;;Xuân Hòa;;Võ F;",
            f"1;15/06/{year};Mua bán dâm;{lat};{lon};;;Nguyễn Văn Bí;{CASE_NUMBER}"]
    return ("\n".join(rows) + "\n").encode()


def incidents_file(engine, path: Path, n: int, *, seed: int = 1) -> Path:
    """``n`` loadable incident rows (as benchmarks/ingest_benchmark.py builds them): dd/mm/yyyy dates
    over :data:`YEARS`, offence labels, counts, and GPS points at the communes' interior points."""
    rng = np.random.default_rng(seed)
    inside = read_units(engine, OLD_VINTAGE).geometry.representative_point()
    pick = rng.integers(0, len(inside), n)
    lon = inside.x.to_numpy()[pick] + rng.uniform(-1e-6, 1e-6, n)
    lat = inside.y.to_numpy()[pick] + rng.uniform(-1e-6, 1e-6, n)
    first = np.datetime64(f"{YEARS[0]}-01-01")
    days = first + rng.integers(0, 365 * (YEARS[1] - YEARS[0]), n).astype("timedelta64[D]")
    labels, persons = rng.integers(0, len(LABELS), n), rng.integers(1, 12, n)
    lines = ["STT,Ngày xảy ra,Hành vi,Vĩ độ,Kinh độ,Số đối tượng"]
    for i in range(n):
        y, m, d = str(days[i]).split("-")
        lines.append(f"{i + 1},{d}/{m}/{y},{LABELS[labels[i]]},{lat[i]:.7f},{lon[i]:.7f},{persons[i]}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def cp1258(text: str) -> bytes:
    """Windows-1258 bytes as Vietnamese Windows writes them: base letter, then a combining tone mark."""
    out = b""
    for ch in unicodedata.normalize("NFC", text):
        try:
            out += ch.encode("cp1258")
        except UnicodeEncodeError:
            parts = unicodedata.normalize("NFD", ch)
            base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in TONES))
            out += (base + "".join(c for c in parts if c in TONES)).encode("cp1258")
    return out


def newest_snapshot(conn, period: str, vintage: str) -> int:
    """The id of the newest classification snapshot of ``period`` on ``vintage``."""
    sql = text("SELECT id FROM classification_snapshot WHERE period = :p AND vintage_id = :v "
               "ORDER BY created_at DESC, id DESC LIMIT 1")
    return conn.execute(sql, {"p": period, "v": vintage}).scalar_one()


def communes_of(engine, vintage: str) -> int:
    """How many communes ``vintage`` has."""
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM admin_unit WHERE vintage_id = :v "
                                 "AND level = 'commune'"), {"v": vintage}).scalar_one()


def inside_point(engine, code: str, vintage: str = OLD_VINTAGE) -> tuple[float, float]:
    """(lat, lon) of a point inside commune ``code`` of ``vintage`` as the map draws it."""
    with engine.connect() as conn:
        return conn.execute(
            text(
                "SELECT ST_Y(p), ST_X(p) FROM (SELECT ST_PointOnSurface(geom_display) p FROM "
                "admin_unit WHERE vintage_id = :v AND code = :c AND level = 'commune') s"
            ),
            {"v": vintage, "c": code},
        ).one()


def click_commune(page, engine, code: str, vintage: str = OLD_VINTAGE) -> None:
    """Click commune ``code`` on the map with the mouse, where the commune itself is on top.

    Waits until the page's requests (sites included) are done: a site cluster drawn over the
    commune's interior point would take the click (it did). Then clicks that point if the
    commune's path is the element there, else the first point of a 19 × 19 grid over the
    path's box that is.
    """
    page.wait_for_load_state("networkidle")
    lat, lon = inside_point(engine, code, vintage)
    x, y = page.evaluate("""([c, lat, lon]) => {
        const path = diabanMap.communeLayers[c].getElement();
        const r = diabanMap.map.getContainer().getBoundingClientRect();
        const p = diabanMap.map.latLngToContainerPoint([lat, lon]);
        const centre = [r.left + p.x, r.top + p.y];
        if (document.elementFromPoint(...centre) === path) return centre;
        const b = path.getBoundingClientRect();
        for (let i = 1; i < 20; i++) for (let j = 1; j < 20; j++) {
            const x = b.left + b.width * i / 20, y = b.top + b.height * j / 20;
            if (document.elementFromPoint(x, y) === path) return [x, y];
        }
        return centre; }""", [code, lat, lon])
    page.mouse.click(x, y)


def log_in(page, live_server, path="/", user=ADMIN):
    """Log in through the form, then land on ``path`` (its query's ``&`` written as ``%26``)."""
    page.goto(f"{live_server}/login?next={path}")
    page.fill("#username", user[0])
    page.fill("#password", user[1])
    page.click("button[type=submit]")


def screenshot(page, name: str) -> Path:
    """Keep a full-page screenshot as an artefact (see :func:`artefact_path`)."""
    shot = artefact_path(name)
    page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
    return shot


def tool(name: str) -> str:
    """The path of poppler's ``name`` (fails under CI, skips elsewhere, when it is missing)."""
    path = shutil.which(name)
    if path is None:
        unavailable(f"poppler's {name} (apt-get install poppler-utils)")
    return path


def run_tool(*args) -> str:
    """Run poppler's ``args[0]`` with the other ``args``; return its standard output."""
    return subprocess.run([tool(args[0]), *args[1:]], capture_output=True, text=True, timeout=120,
                          check=True).stdout
