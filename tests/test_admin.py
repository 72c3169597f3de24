"""The administration pages through Flask's test client: the audit log and the users, admin only."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from tests.helpers import ADMIN, EDITOR, form_token, login

pytestmark = pytest.mark.postgis


def _ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-id="(\d+)">', page)]


def test_only_admins_reach_the_admin_pages(editor, auth_client):
    for path in ("/admin/audit", "/admin/users"):
        assert editor.get(path).status_code == 403
        assert auth_client.get(path).status_code == 200
    token = form_token(editor.get("/dashboard").text)
    assert editor.post("/admin/users", data={"csrf_token": token, "username": "x-user", "role": "admin",
                                             "password": "long-enough-1"}).status_code == 403


def test_the_audit_log_is_newest_first_and_paged(auth_client, engine):
    page = auth_client.get("/admin/audit").text
    with engine.connect() as c:
        expected = c.execute(text("SELECT id FROM audit_log ORDER BY at DESC, id DESC")).scalars().all()
    assert _ids(page) == expected[:50]
    assert f"{len(expected)} mục; trang 1/" in page
    if len(expected) > 50:
        assert _ids(auth_client.get("/admin/audit?page=2").text) == expected[50:100]
    assert 'id="synthetic-banner"' in page  # the demo is loaded


def test_the_audit_log_filters_by_group_action_and_actor(auth_client, editor, engine):
    logins = auth_client.get("/admin/audit?category=logins").text
    with engine.connect() as c:
        expected = c.execute(text("SELECT id FROM audit_log WHERE action LIKE 'login%' OR action = 'logout' "
                                  "ORDER BY at DESC, id DESC")).scalars().all()
        mine = c.execute(text("SELECT id FROM audit_log WHERE action = 'login' AND actor = :a "
                              "ORDER BY at DESC, id DESC"), {"a": EDITOR[0]}).scalars().all()
        loads = c.execute(text("SELECT count(*) FROM audit_log WHERE action IN "
                               "('boundaries.load', 'crosswalk.load', 'demo.load')")).scalar_one()
    assert expected and _ids(logins) == expected[:50]
    actions = set(re.findall(r"<td><code>([^<]+)</code></td>", logins))
    assert actions and all(a.startswith(("login", "logout")) for a in actions)
    own = auth_client.get(f"/admin/audit?action=login&actor={EDITOR[0]}").text
    assert mine and _ids(own) == mine
    assert f"{loads} mục" in auth_client.get("/admin/audit?category=loads").text
    empty = auth_client.get("/admin/audit?actor=nobody-at-all").text
    assert 'id="audit-empty"' in empty and "0 mục" in empty


def test_admins_list_and_add_users_with_the_formform_token(auth_client, app, engine):
    page = auth_client.get("/admin/users").text
    with engine.connect() as c:
        names = c.execute(text("SELECT username FROM app_user ORDER BY username")).scalars().all()
    assert re.findall(r'<tr data-user="([^"]+)">', page) == names
    form = {"username": "analyst-made-on-web", "role": "analyst", "password": "web-made-password"}
    assert auth_client.post("/admin/users", data=form).status_code == 400  # no CSRF token
    created = auth_client.post("/admin/users", data={**form, "csrf_token": form_token(page)})
    assert created.status_code == 302 and "added=analyst-made-on-web" in created.location
    assert "Đã tạo tài khoản analyst-made-on-web" in auth_client.get(created.location).text
    with engine.connect() as c:
        role = c.execute(text("SELECT role FROM app_user WHERE username = :u"),
                         {"u": form["username"]}).scalar()
        audited = c.execute(text("SELECT actor, detail FROM audit_log WHERE action = 'users.add' "
                                 "AND target = :u"), {"u": form["username"]}).all()
    assert role == "analyst" and [(a.actor, a.detail["role"]) for a in audited] == [(ADMIN[0], "analyst")]
    assert "web-made-password" not in str(audited)
    again = auth_client.post("/admin/users", data={**form, "csrf_token": form_token(page)})
    assert again.status_code == 400 and "exists already" in again.text
    short = auth_client.post("/admin/users", data={**form, "username": "short-pw", "password": "short",
                                                   "csrf_token": form_token(page)})
    assert short.status_code == 400 and "at least 8 characters" in short.text
    client = app.test_client()
    assert login(client, form["username"], form["password"]).status_code == 302
    assert client.get("/admin/users").status_code == 403


def test_admins_disable_enable_demote_and_revoke_on_the_web(auth_client, app, editor, engine, db_url):
    from tests.helpers import run_cli

    user = ("web-changed-user", "web-changed-password")
    assert run_cli(db_url, "users", "add", user[0], "--role", "editor", "--password-stdin",
                   input=user[1] + "\n").exit_code == 0
    victim = app.test_client()
    assert login(victim, *user).status_code == 302
    token = form_token(auth_client.get("/admin/users").text)
    path = f"/admin/users/{user[0]}"
    assert auth_client.post(f"{path}/disable").status_code == 400  # no CSRF token
    assert editor.post(f"{path}/disable", data={"csrf_token": form_token(editor.get("/dashboard").text)}
                       ).status_code == 403
    assert victim.get("/upload").status_code == 200
    demoted = auth_client.post(f"{path}/role", data={"csrf_token": token, "role": "viewer"})
    assert demoted.status_code == 302 and "changed=web-changed-user" in demoted.location
    assert "Đã cập nhật tài khoản web-changed-user" in auth_client.get(demoted.location).text
    assert victim.get("/upload").status_code == 302  # the session ended with the role change
    assert login(victim, *user).status_code == 302 and victim.get("/upload").status_code == 403
    assert auth_client.post(f"{path}/disable", data={"csrf_token": token}).status_code == 302
    assert victim.get("/").status_code == 302 and login(victim, *user).status_code == 401
    assert auth_client.post(f"{path}/enable", data={"csrf_token": token}).status_code == 302
    assert login(victim, *user).status_code == 302
    assert auth_client.post(f"{path}/revoke", data={"csrf_token": token}).status_code == 302
    assert victim.get("/").status_code == 302
    assert auth_client.post(f"{path}/explode", data={"csrf_token": token}).status_code == 404
    bad = auth_client.post(f"{path}/role", data={"csrf_token": token, "role": "root"})
    assert bad.status_code == 400 and "role &#39;root&#39; is not one of" in bad.text
    with engine.connect() as c:
        audited = c.execute(text("SELECT actor, action, detail FROM audit_log WHERE target = :u AND "
                                 "action LIKE 'users.%' ORDER BY id"), {"u": user[0]}).all()
    assert [(a.actor, a.action) for a in audited] == [("cli", "users.add")] + [
        (ADMIN[0], action) for action in ("users.role", "users.disable", "users.enable", "users.revoke")]
    assert audited[1].detail == {"role": "viewer", "previous": "editor"}
    assert audited[4].detail == {"tokens": 0, "sessions": 1}
    page = auth_client.get("/admin/users").text
    assert f'action="/admin/users/{user[0]}/disable"' in page and 'name="role"' in page
