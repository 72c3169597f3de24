"""Administration (admin role): the audit log and the logins.

``GET /admin/audit`` pages through the audit log, newest first, filtered by a group of actions
(logins, uploads, exports, attestations, users, loads), an exact action or an actor.
``GET /admin/users`` lists the logins; ``POST /admin/users`` creates one, and
``POST /admin/users/NAME/ACTION`` disables, enables, changes the role of a login or revokes its
tokens and sessions (every form carries the session's CSRF token; every change is audited; the
``diaban users`` commands do the same from the command line).
"""

from __future__ import annotations

import json
import math

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for

from geo.store.audit import audit_actions, read_audit_log
from geo.store.models import ROLES
from webapp.accounts import (
    AccountError,
    add_user,
    list_users,
    revoke_access,
    set_active,
    set_role,
)
from webapp.auth import role_required
from webapp.i18n import register, t

bp = Blueprint("admin", __name__, url_prefix="/admin")

PAGE_SIZE = 50

#: Groups of the audit filter: each keeps the actions starting with one of its prefixes.
CATEGORIES = {
    "logins": ("login", "logout"),
    "reads": ("read",),
    "denied": ("forbidden",),
    "uploads": ("ingest", "upload"),
    "exports": ("export", "report"),
    "attestations": ("attest", "criterion"),
    "users": ("users",),
    "loads": ("boundaries", "crosswalk", "demo"),
}

STRINGS = {
    "admin_audit_title": ("Nhật ký hệ thống", "Audit log"),
    "admin_users_title": ("Người dùng", "Users"),
    "admin_category": ("Nhóm", "Group"),
    "admin_all": ("Tất cả", "All"),
    "admin_cat_logins": ("Đăng nhập", "Logins"),
    "admin_cat_uploads": ("Tải lên, nạp dữ liệu", "Uploads and ingests"),
    "admin_cat_exports": ("Xuất dữ liệu, báo cáo", "Exports and reports"),
    "admin_cat_attestations": ("Xác nhận tiêu chí", "Attestations"),
    "admin_cat_users": ("Tài khoản", "Accounts"),
    "admin_cat_loads": ("Nạp ranh giới, dữ liệu mẫu", "Boundary and demo loads"),
    "admin_cat_reads": ("Đọc dữ liệu điểm", "Point-data reads"),
    "admin_cat_denied": ("Truy cập bị từ chối", "Refused requests"),
    "admin_action": ("Hành động", "Action"),
    "admin_actor": ("Người thực hiện", "Actor"),
    "admin_time": ("Thời điểm (UTC)", "Time (UTC)"),
    "admin_target": ("Đối tượng", "Target"),
    "admin_detail": ("Chi tiết", "Detail"),
    "admin_filter": ("Lọc", "Filter"),
    "admin_matches": ("{n} mục; trang {page}/{pages}", "{n} entries; page {page} of {pages}"),
    "admin_prev": ("Trang trước", "Previous"),
    "admin_next": ("Trang sau", "Next"),
    "admin_empty": ("Không có mục nào.", "No entries."),
    "admin_role": ("Vai trò", "Role"),
    "admin_active": ("Hoạt động", "Active"),
    "admin_created": ("Tạo lúc", "Created"),
    "admin_yes": ("có", "yes"),
    "admin_no": ("không", "no"),
    "admin_add_user": ("Thêm người dùng", "Add a user"),
    "admin_add": ("Thêm", "Add"),
    "admin_added": ("Đã tạo tài khoản {name}.", "Account {name} created."),
    "admin_password_hint": ("Ít nhất 8 ký tự.", "At least 8 characters."),
    "admin_actions": ("Thao tác", "Actions"),
    "admin_disable": ("Khóa", "Disable"),
    "admin_enable": ("Mở khóa", "Enable"),
    "admin_set_role": ("Đổi vai trò", "Change role"),
    "admin_revoke": ("Thu hồi token, đăng xuất mọi nơi", "Revoke tokens, log out everywhere"),
    "admin_changed": ("Đã cập nhật tài khoản {name}.", "Account {name} updated."),
}
register(STRINGS)


@bp.route("/audit")
@role_required("admin")
def audit():
    """A page of the audit log, newest first, with the group, action and actor filters."""
    engine = current_app.extensions["diaban.engine"]
    category = request.args.get("category") or ""
    action = request.args.get("action") or ""
    actor = (request.args.get("actor") or "").strip()
    page = max(1, request.args.get("page", 1, type=int) or 1)
    rows, total = read_audit_log(engine, prefixes=CATEGORIES.get(category), action=action or None,
                                 actor=actor or None, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    for row in rows:
        row["detail_text"] = json.dumps(row["detail"] or {}, ensure_ascii=False, sort_keys=True, default=str)
    pages = max(1, math.ceil(total / PAGE_SIZE))
    filters = {k: v for k, v in (("category", category), ("action", action), ("actor", actor)) if v}
    return render_template(
        "admin_audit.html", rows=rows, total=total, page=page, pages=pages, filters=filters,
        categories=list(CATEGORIES), actions=audit_actions(engine), category=category, action=action,
        actor=actor)


@bp.route("/users", methods=["GET", "POST"])
@role_required("admin")
def users():
    """The logins; a POST (with the form's CSRF token) creates one, audited as ``users.add``."""
    engine = current_app.extensions["diaban.engine"]
    error, status = None, 200
    if request.method == "POST":
        name = (request.form.get("username") or "").strip()
        try:
            add_user(engine, name, request.form.get("password") or "", request.form.get("role") or "",
                     actor=g.user["username"])
            return redirect(url_for("admin.users", added=name))
        except AccountError as exc:
            error, status = str(exc), 400
    return _users_page(engine, error, status)


#: The changes of ``POST /admin/users/NAME/ACTION``, each audited by :mod:`webapp.accounts`.
USER_ACTIONS = ("disable", "enable", "role", "revoke")


@bp.route("/users/<path:username>/<action>", methods=["POST"])
@role_required("admin")
def change_user(username: str, action: str):
    """Disable, enable, change the role of ``username`` or revoke its access; ends its sessions."""
    if action not in USER_ACTIONS:
        abort(404, f"no user action {action!r}; use one of: {', '.join(USER_ACTIONS)}")
    engine, actor = current_app.extensions["diaban.engine"], g.user["username"]
    try:
        if action == "role":
            set_role(engine, username, request.form.get("role") or "", actor=actor)
        elif action == "revoke":
            revoke_access(engine, username, actor=actor)
        else:
            set_active(engine, username, action == "enable", actor=actor)
    except AccountError as exc:
        return _users_page(engine, str(exc), 400)
    return redirect(url_for("admin.users", changed=username))


def _users_page(engine, error: str | None, status: int):
    """The users page with ``error`` (or the confirmation of the last change), answered with ``status``."""
    added, changed = request.args.get("added"), request.args.get("changed")
    notice = (t("admin_added").format(name=added) if added
              else t("admin_changed").format(name=changed) if changed else None)
    return render_template("admin_users.html", users=list_users(engine), roles=ROLES, error=error,
                           added=notice), status
