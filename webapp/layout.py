"""What every page built on ``templates/base.html`` shares: the navigation bar, language links, banner.

The blueprint has no routes: it only adds :func:`layout_context` to every template, so a page
extending ``base.html`` gets ``t``, ``lang``, ``nav_links()``, ``lang_url(code)``,
``data_status()``, ``province_name()`` and ``username`` without passing them. A navigation link appears only
when its endpoint is registered (blueprints land independently) and the user's role allows it.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, current_app, g, has_request_context, request, url_for
from markupsafe import escape

from geo.store.counts import data_as_of
from webapp.accounts import has_role
from webapp.auth import csrf_token
from webapp.i18n import LANGUAGES, current_language, register, t
from webapp.map_cache import cached, make_body, send
from webapp.province import province_name

bp = Blueprint("layout", __name__)

STRINGS = {
    "nav_map": ("Bản đồ", "Map"),
    "nav_dashboard": ("Tổng quan", "Dashboard"),
    "nav_upload": ("Tải lên", "Upload"),
    "nav_review": ("Hàng chờ duyệt", "Review queue"),
    "nav_record": ("Nhập từng bản ghi", "Record one event"),
    "nav_attest": ("Xác nhận tiêu chí", "Attestations"),
    "nav_reports": ("Báo cáo", "Reports"),
    "nav_classify": ("Phân loại", "Classify"),
    "nav_audit": ("Nhật ký", "Audit log"),
    "nav_users": ("Người dùng", "Users"),
    "nav_role": ("Vai trò", "Role"),
}
register(STRINGS)

#: The navigation bar, in order: (endpoint, string key, lowest role that sees it).
NAV = (
    ("map.index", "nav_map", "viewer"),
    ("dashboard.index", "nav_dashboard", "viewer"),
    ("upload.index", "nav_upload", "editor"),
    ("review.queue", "nav_review", "editor"),
    ("record_forms.index", "nav_record", "editor"),
    ("attest.index", "nav_attest", "editor"),
    ("reports.index", "nav_reports", "viewer"),  # viewers: the public exports
    ("recognition.index", "nav_recognition", "viewer"),  # editors and admins record, others read
    ("classify.index", "nav_classify", "analyst"),
    ("admin.audit", "nav_audit", "admin"),
    ("admin.users", "nav_users", "admin"),
)

#: The name of each language in itself, for the switch.
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}


def nav_links() -> list[dict]:
    """The links of the navigation bar the current user may follow.

    Returns
    -------
    list of dict
        ``endpoint, url, label, active`` for each entry of :data:`NAV` whose endpoint exists
        and whose role the user holds.
    """
    user = g.get("user")
    return [{"endpoint": endpoint, "url": url_for(endpoint), "label": t(key),
             "active": request.endpoint == endpoint}
            for endpoint, key, role in NAV
            if endpoint in current_app.view_functions and has_role(user, role)]


def lang_url(code: str) -> str:
    """The current page's URL with ``lang=code`` (every other query parameter kept)."""
    args = {**request.args.to_dict(), "lang": code}
    if request.endpoint and request.method == "GET":
        return url_for(request.endpoint, **(request.view_args or {}), **args)
    return url_for("map.index", lang=code) if "map.index" in current_app.view_functions else f"?lang={code}"


def data_status() -> dict:
    """When the data last changed and whether it is synthetic (read once per request)."""
    if "data_status" not in g:
        g.data_status = data_as_of(current_app.extensions["diaban.engine"])
    return g.data_status


@bp.app_context_processor
def layout_context() -> dict:
    """The helpers ``base.html`` uses, available to every template rendered for a request."""
    if not has_request_context():  # e.g. a document rendered by a command: no page around it
        return {}
    user = g.get("user")
    return {"t": t, "lang": current_language(), "languages": LANGUAGES, "language_names": LANGUAGE_NAMES,
            "nav_links": nav_links, "lang_url": lang_url, "data_status": data_status,
            "province_name": province_name, "username": user["username"] if user else ""}


#: Marks standing for the per-user values in a cached page (plain words: escaping keeps them).
USER_MARK, TOKEN_MARK = "diabanslotuser7f3c", "diabanslottoken7f3c"


def cached_page(key: tuple, render: Callable[..., str]) -> Response:
    """Answer with a page rendered once per ``key``: only the user's name and form token differ.

    ``render(username=..., csrf_token=...)`` renders the page with marks standing for the two
    (values passed to ``render_template`` win over this module's context). The text is kept in
    the map cache, encoded and compressed once (``webapp.map_cache.Body``); each request splices
    in its own escaped name and token. ``key`` must hold everything else the page depends on:
    the query, the user's role (the navigation), the language, the mount point and the data
    revision.
    """
    body = cached(key, lambda: make_body(render(username=USER_MARK, csrf_token=lambda: TOKEN_MARK),
                                         {"user": USER_MARK, "token": TOKEN_MARK}))
    values = {"user": str(escape(g.user["username"])), "token": str(escape(csrf_token()))}
    return send(body, "text/html", values)
