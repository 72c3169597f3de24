"""Withdrawing access, and the login's defences: each test replays an attack found by a review.

Sessions are checked against the database on every request (logout, disable, demotion take effect
at once), tokens expire and can be revoked, the login's ``next`` never leaves the site, the login
throttle is per (username, address) and per address and holds under concurrency, unknown users
cost a password hash too, and point-data reads, logouts and refusals are audited.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import statistics
import threading
import time
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import text

from tests.helpers import ADMIN, add_user, form_token, login, run_cli

pytestmark = pytest.mark.postgis


def new_user(db_url, role: str) -> tuple[str, str]:
    """A fresh login with ``role``, created through ``diaban users add``."""
    return add_user(db_url, (f"sec-{role}-{secrets.token_hex(3)}", f"pw-{secrets.token_hex(8)}"), role)


def logged_in(app, user):
    """A test client logged in as ``user`` through the form."""
    client = app.test_client()
    assert login(client, *user).status_code == 302
    return client


def replay(client, cookie: str) -> None:
    """Put a captured session cookie back into ``client``, as an attacker would."""
    client.set_cookie("session", cookie)


def audit_rows(conn, action: str, actor: str) -> list:
    return conn.execute(text("SELECT target, detail FROM audit_log WHERE action = :a AND actor = :u "
                             "ORDER BY id"), {"a": action, "u": actor}).all()


# --- withdrawing access -------------------------------------------------------------------------

def test_a_cookie_replayed_after_logout_is_refused(app, db_url, conn):
    user = new_user(db_url, "analyst")
    client = logged_in(app, user)
    cookie = client.get_cookie("session").value
    page = client.get("/")
    assert page.status_code == 200
    assert client.post("/logout", data={"csrf_token": form_token(page.text)}).status_code == 302
    replay(client, cookie)
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.location
    assert client.get("/api/sites?period=2018").status_code == 401
    assert [r.detail["address"] for r in audit_rows(conn, "logout", user[0])] == ["127.0.0.1"]


def test_a_disabled_user_is_refused_at_once_and_enabling_needs_a_new_login(app, db_url, engine):
    from webapp.accounts import issue_token

    user = new_user(db_url, "analyst")
    client = logged_in(app, user)
    token = issue_token(engine, user[0])
    bearer = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/vintages", headers=bearer).status_code == 200
    result = run_cli(db_url, "users", "disable", user[0])
    assert result.exit_code == 0 and f"user {user[0]} disabled" in result.output
    assert client.get("/").status_code == 302
    assert app.test_client().get("/api/vintages", headers=bearer).status_code == 401
    assert login(app.test_client(), *user).status_code == 401
    assert run_cli(db_url, "users", "enable", user[0]).exit_code == 0
    assert client.get("/").status_code == 302  # the old session stays ended
    assert app.test_client().get("/api/vintages", headers=bearer).status_code == 200
    assert logged_in(app, user).get("/").status_code == 200


def test_a_demoted_editor_cannot_upload_with_the_old_cookie(app, db_url, conn):
    user = new_user(db_url, "editor")
    client = logged_in(app, user)
    cookie = client.get_cookie("session").value
    assert client.get("/upload").status_code == 200
    result = run_cli(db_url, "users", "role", user[0], "viewer")
    assert result.exit_code == 0 and "is now viewer" in result.output
    replay(client, cookie)
    assert client.get("/upload").status_code == 302  # the session ended with the role change
    again = logged_in(app, user)
    assert again.get("/upload").status_code == 403
    assert again.post("/upload", data={"csrf_token": form_token(again.get("/").text)}).status_code == 403
    changed = audit_rows(conn, "users.role", "cli")
    assert {"role": "viewer", "previous": "editor"} in [r.detail for r in changed]


def test_the_role_is_read_from_the_database_on_every_request(app, db_url, engine):
    """Even a session row left alive (written by hand) gets the user's current role, not the cookie's."""
    user = new_user(db_url, "analyst")
    client = logged_in(app, user)
    assert client.get("/api/sites?period=2018").status_code == 200
    with engine.begin() as c:  # demote behind the application's back: no session is ended
        c.execute(text("UPDATE app_user SET role = 'viewer' WHERE username = :u"), {"u": user[0]})
    assert client.get("/api/sites?period=2018").status_code == 403


def test_revoked_and_expired_tokens_get_401(app, db_url, engine, conn):
    user = new_user(db_url, "analyst")
    client = logged_in(app, user)
    issued = run_cli(db_url, "users", "token", user[0], "--days", "1")
    token = issued.stdout.strip()
    bearer = {"Authorization": f"Bearer {token}"}
    assert app.test_client().get("/ogc/collections", headers=bearer).status_code == 200
    expires = conn.execute(text("SELECT expires_at - created_at FROM api_token WHERE token_sha256 = "
                                "encode(sha256(convert_to(:t, 'UTF8')), 'hex')"), {"t": token}).scalar_one()
    assert round(expires.total_seconds() / 3600) == 24
    with engine.begin() as c:
        c.execute(text("UPDATE api_token SET expires_at = now() - interval '1 second' WHERE token_sha256 = "
                       "encode(sha256(convert_to(:t, 'UTF8')), 'hex')"), {"t": token})
    expired = app.test_client().get("/ogc/collections", headers=bearer)
    assert expired.status_code == 401 and "expired" in expired.get_json()["error"]
    fresh = {"Authorization": f"Bearer {run_cli(db_url, 'users', 'token', user[0]).stdout.strip()}"}
    assert app.test_client().get("/api/vintages", headers=fresh).status_code == 200
    revoked = run_cli(db_url, "users", "revoke-tokens", user[0])
    assert revoked.exit_code == 0 and "2 tokens revoked, 1 sessions ended" in revoked.output
    assert app.test_client().get("/api/vintages", headers=fresh).status_code == 401
    assert client.get("/").status_code == 302  # logged out everywhere
    assert run_cli(db_url, "users", "token", user[0], "--days", "0").exit_code == 2


def test_token_days_default_to_90(db_url, conn):
    user = new_user(db_url, "viewer")
    token = run_cli(db_url, "users", "token", user[0]).stdout.strip()
    days = conn.execute(text("SELECT extract(day FROM expires_at - created_at) FROM api_token WHERE "
                             "token_sha256 = encode(sha256(convert_to(:t, 'UTF8')), 'hex')"),
                        {"t": token}).scalar_one()
    assert int(days) == 90


def test_an_expired_session_is_refused(app, db_url, engine):
    user = new_user(db_url, "viewer")
    client = logged_in(app, user)
    assert client.get("/").status_code == 200
    with engine.begin() as c:
        c.execute(text("UPDATE login_session SET expires_at = now() - interval '1 second' WHERE user_id = "
                       "(SELECT id FROM app_user WHERE username = :u)"), {"u": user[0]})
    assert client.get("/").status_code == 302
    assert app.permanent_session_lifetime.total_seconds() == 12 * 3600


def test_a_password_change_ends_the_sessions(app, db_url):
    user = new_user(db_url, "viewer")
    client = logged_in(app, user)
    result = run_cli(db_url, "users", "password", user[0], "--password-stdin", input="a-new-password-1\n")
    assert result.exit_code == 0 and "sessions are ended" in result.output
    assert client.get("/").status_code == 302
    assert login(app.test_client(), *user).status_code == 401
    assert logged_in(app, (user[0], "a-new-password-1")).get("/").status_code == 200


def test_the_last_active_admin_cannot_be_disabled_or_demoted(db_url, engine):
    with engine.connect() as c:
        admins = c.execute(text("SELECT username FROM app_user WHERE role = 'admin' AND active")
                           ).scalars().all()
    spare = new_user(db_url, "admin")
    for name in admins:  # leave the spare as the only active admin
        assert run_cli(db_url, "users", "disable", name).exit_code == 0
    try:
        for args in (("disable", spare[0]), ("role", spare[0], "editor")):
            result = run_cli(db_url, "users", *args)
            assert result.exit_code == 1 and "last active admin" in result.output
    finally:
        for name in admins:
            assert run_cli(db_url, "users", "enable", name).exit_code == 0
    assert run_cli(db_url, "users", "disable", spare[0]).exit_code == 0


def test_cli_user_changes_name_an_unknown_user(db_url):
    for args in (("disable", "nobody-x"), ("role", "nobody-x", "viewer"), ("revoke-tokens", "nobody-x")):
        result = run_cli(db_url, "users", *args)
        assert result.exit_code == 1 and "no user 'nobody-x'" in result.output


# --- the session cookie -------------------------------------------------------------------------

def _set_cookie(response) -> str:
    return next(h for h in response.headers.getlist("Set-Cookie") if h.startswith("session="))


def test_the_cookie_is_httponly_lax_and_secure_over_https(app, engine, db_url):
    from webapp import create_app

    plain = _set_cookie(app.test_client().get("/login"))
    assert "HttpOnly" in plain and "SameSite=Lax" in plain and "Secure" not in plain
    https = _set_cookie(app.test_client().get("/login", base_url="https://localhost"))
    assert "Secure" in https
    forwarded = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.200"}
    assert "Secure" not in _set_cookie(app.test_client().get("/login", headers=forwarded))  # not trusted
    proxied = create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": db_url, "ENGINE": engine,
                          "PROXY_FIX": 1})
    assert "Secure" in _set_cookie(proxied.test_client().get("/login", headers=forwarded))
    client = proxied.test_client()
    token = form_token(client.get("/login").text)
    client.post("/login", headers=forwarded, data={"username": "nobody-proxied", "password": "x",
                                                   "csrf_token": token})
    with engine.connect() as c:
        address = c.execute(text("SELECT detail ->> 'address' FROM audit_log WHERE actor = 'nobody-proxied'"
                                 )).scalar_one()
    assert address == "203.0.113.200"


# --- the login ----------------------------------------------------------------------------------

@pytest.mark.parametrize("raw_next", ["%2F%09%2Fevil.example%2F", "/\t/evil.example/", "//evil.example/",
                                      "/\\evil.example/", "https://evil.example/", "/%0A/evil.example",
                                      " //evil.example/", "javascript:alert(1)", "\\\\evil.example"])
def test_login_never_redirects_off_site(app, raw_next):
    client = app.test_client()
    token = form_token(client.get("/login").text)
    query = raw_next if "%" in raw_next else urlencode({"next": raw_next})[len("next="):]
    response = client.post(f"/login?next={query}", data={"username": ADMIN[0], "password": ADMIN[1],
                                                         "csrf_token": token})
    assert response.status_code == 302
    location = re.sub(r"[\t\n\r]", "", response.headers["Location"]).replace("\\", "/")
    assert location == "/" and not urlsplit(location).netloc


def test_login_follows_a_same_site_next(app):
    client = app.test_client()
    token = form_token(client.get("/login").text)
    response = client.post("/login?next=%2Fdashboard%3Fperiod%3D2018", data={
        "username": ADMIN[0], "password": ADMIN[1], "csrf_token": token})
    assert response.headers["Location"] == "/dashboard?period=2018"


def test_a_long_username_gets_a_400_not_a_500(client, db_url):
    token = form_token(client.get("/login").text)
    response = client.post("/login", data={"username": "u" * 200, "password": "x", "csrf_token": token})
    assert response.status_code == 400
    assert "200 ký tự" in response.text and "use at most 80" in response.text
    result = run_cli(db_url, "users", "add", "u" * 200, "--role", "viewer", "--password-stdin",
                     input="long-enough-password\n")
    assert result.exit_code == 1 and "the username has 200 characters; use at most 80" in result.output
    assert "Traceback" not in result.output


def _attempt_seconds(app, username: str, address: str) -> float:
    """Seconds one failed login of ``username`` from ``address`` takes through the app."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    token = form_token(client.get("/login").text)
    start = time.perf_counter()
    response = client.post("/login", data={"username": username, "password": "wrong-password-t",
                                           "csrf_token": token})
    elapsed = time.perf_counter() - start
    assert response.status_code == 401
    return elapsed


def test_unknown_and_disabled_users_cost_a_password_hash_too(app, db_url):
    """Without the dummy hash an unknown name answered about 15 times faster than a known one."""
    known = new_user(db_url, "viewer")
    disabled = new_user(db_url, "viewer")
    assert run_cli(db_url, "users", "disable", disabled[0]).exit_code == 0
    times = {"known": [], "unknown": [], "disabled": []}
    for i in range(5):  # interleaved, each from its own address so that no throttle trips
        times["known"].append(_attempt_seconds(app, known[0], f"192.0.2.{100 + i}"))
        times["unknown"].append(_attempt_seconds(app, f"nobody-{secrets.token_hex(4)}", f"192.0.2.{110 + i}"))
        times["disabled"].append(_attempt_seconds(app, disabled[0], f"192.0.2.{120 + i}"))
    medians = {k: statistics.median(v) for k, v in times.items()}
    print(medians)
    assert medians["unknown"] > medians["known"] / 3
    assert medians["disabled"] > medians["known"] / 3


def _post_login(port: int, cookie: str, token: str, username: str, source: str) -> int:
    """One form login over a real TCP connection from the loopback address ``source``."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    body = urlencode({"username": username, "password": "wrong-password-c", "csrf_token": token})
    connection.request("POST", "/login", body=body, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    status = connection.getresponse().status
    connection.close()
    return status


def _login_form(port: int, source: str) -> tuple[str, str]:
    """The session cookie and CSRF token of a fresh login form."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60, source_address=(source, 0))
    connection.request("GET", "/login")
    response = connection.getresponse()
    cookie = response.getheader("Set-Cookie").split(";")[0]
    token = form_token(response.read().decode())
    connection.close()
    return cookie, token


def test_concurrent_guesses_get_no_more_than_the_limit(live_server, db_url, conn):
    from webapp.auth import LOGIN_MAX_FAILURES

    user = new_user(db_url, "viewer")
    port, source = int(live_server.rsplit(":", 1)[1]), "127.0.0.7"  # an address of its own
    forms = [_login_form(port, source) for _ in range(20)]
    statuses, barrier = [], threading.Barrier(20)

    def guess(form):
        barrier.wait()
        statuses.append(_post_login(port, *form, user[0], source))

    threads = [threading.Thread(target=guess, args=(form,)) for form in forms]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * LOGIN_MAX_FAILURES + [429] * (20 - LOGIN_MAX_FAILURES)
    failed = conn.execute(text("SELECT count(*) FROM audit_log WHERE action = 'login.failed' AND actor = :u"),
                          {"u": user[0]}).scalar_one()
    assert failed == LOGIN_MAX_FAILURES


# --- the audit of reads, logouts and refusals ---------------------------------------------------

def test_point_reads_and_refusals_are_audited(app, db_url, conn):
    analyst = new_user(db_url, "analyst")
    viewer = new_user(db_url, "viewer")
    body = logged_in(app, analyst).get("/api/sites?period=2018").get_json()
    logged_in(app, analyst).get("/api/establishments?period=2018")
    reads = audit_rows(conn, "read.sites", analyst[0])
    assert [(r.target, r.detail["returned"]) for r in reads] == [("/api/sites?period=2018",
                                                                  len(body["features"]))]
    assert len(audit_rows(conn, "read.establishments", analyst[0])) == 1
    assert logged_in(app, viewer).get("/api/sites?period=2018").status_code == 403
    refused = audit_rows(conn, "forbidden", viewer[0])
    assert [(r.target, r.detail["method"]) for r in refused] == [("/api/sites?period=2018", "GET")]


# --- keys ---------------------------------------------------------------------------------------

def test_the_session_key_file_is_private_from_its_creation(tmp_path, monkeypatch):
    """Written first and restricted afterwards, the key was readable by others for a moment."""
    from webapp.keys import SESSION_KEY_FILE, session_key

    def no_chmod(*args, **kwargs):
        raise AssertionError("the key file was created with a wider mode and restricted afterwards")

    monkeypatch.setattr(os, "chmod", no_chmod)
    monkeypatch.setattr(Path, "chmod", no_chmod)
    previous = os.umask(0)  # the mode must come from the creation itself, not from the umask
    try:
        key = session_key(tmp_path / "instance")
    finally:
        os.umask(previous)
    path = tmp_path / "instance" / SESSION_KEY_FILE
    assert (path.stat().st_mode & 0o777) == 0o600 and len(key) == 64
    assert session_key(tmp_path / "instance") == key
