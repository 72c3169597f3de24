"""Login, logout and the guards every request goes through.

:func:`require_login` sends anyone without a session (or a Bearer token under /api/ and /ogc)
to the login page; :func:`check_csrf` refuses a state-changing request from a browser session
without the session's token; :func:`login` is rate limited per username and client address
from the audit log (so the limit holds across processes); :func:`security_headers` adds the
headers every answer carries.
"""

from __future__ import annotations

import re
import secrets
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from geo.store.audit import recent_login_failures, record
from webapp.accounts import authenticate, has_role, user_for_token
from webapp.i18n import t

bp = Blueprint("auth", __name__)

#: Paths whose clients may authenticate with ``Authorization: Bearer TOKEN``.
MACHINE_PREFIXES = ("/api/", "/ogc/")

#: Endpoints reachable without a login.
PUBLIC_ENDPOINTS = {"auth.login", "health.healthz", "health.favicon", "static"}

#: Methods that change nothing and need no CSRF token.
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

#: Failed logins for one username or from one client address within the window before 429.
LOGIN_MAX_FAILURES = 5
LOGIN_WINDOW_SECONDS = 10 * 60
THROTTLED = ("Quá nhiều lần đăng nhập sai. Vui lòng thử lại sau 10 phút. / "
             "Too many failed logins. Please try again in 10 minutes.")

#: The content security policy: everything from the app itself. Folium's pages inline their
#: scripts and styles, Leaflet uses data: images; a configured basemap adds its tile host.
CSP_SOURCES = {
    "default-src": "'self'", "script-src": "'self' 'unsafe-inline'", "style-src": "'self' 'unsafe-inline'",
    "img-src": "'self' data:", "font-src": "'self'", "connect-src": "'self'", "object-src": "'none'",
    "base-uri": "'self'", "form-action": "'self'", "frame-ancestors": "'none'",
}


def tile_source(url: str) -> str | None:
    """The CSP source of a tile URL template on another host (``{s}`` becomes ``*``), else None.

    Examples
    --------
    >>> tile_source("https://{s}.tile.example.org/{z}/{x}/{y}.png")
    'https://*.tile.example.org'
    >>> tile_source("/tiles/{z}/{x}/{y}.png") is None
    True
    """
    parts = urlsplit(url or "")
    if not parts.netloc:
        return None
    host = re.sub(r"\{[^}]*\}", "*", parts.netloc)
    return f"{parts.scheme}://{host}" if parts.scheme else host


def content_security_policy(basemap_url: str = "") -> str:
    """The policy of every answer; with a basemap on another host, its tiles are allowed as images.

    Examples
    --------
    >>> "img-src 'self' data: https://tiles.example.org;" in content_security_policy("https://tiles.example.org/{z}/{x}/{y}.png")
    True
    """
    sources = dict(CSP_SOURCES)
    tiles = tile_source(basemap_url)
    if tiles:
        sources["img-src"] += f" {tiles}"
    return "; ".join(f"{name} {value}" for name, value in sources.items())


#: Sent with every answer (the policy without a basemap; see :func:`security_headers`).
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": content_security_policy(),
}


@bp.before_app_request
def require_login():
    """Load the user of the session; send anyone else to the login page (401 for the API)."""
    g.user = session.get("user")
    g.bearer = False
    machine = request.path.startswith(MACHINE_PREFIXES) or request.path == "/ogc"
    header = request.headers.get("Authorization", "")
    if machine and header:
        scheme, _, token = header.partition(" ")
        g.user = user_for_token(current_app.extensions["diaban.engine"], token.strip()) \
            if scheme.lower() == "bearer" else None
        g.bearer = g.user is not None
        if g.user is None:
            return _unauthorized("invalid, revoked or unsupported token; get one with "
                                 "`diaban users token NAME` and send Authorization: Bearer TOKEN")
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if machine:
            return _unauthorized("log in or send Authorization: Bearer TOKEN")
        return redirect(url_for("auth.login", next=request.full_path))
    return None


@bp.before_app_request
def check_csrf():
    """Refuse (400) a state-changing request without the session's token.

    The token comes in the form field ``csrf_token`` or the header ``X-CSRF-Token``. Requests
    authenticated with a Bearer token carry no cookie and are exempt. Runs after
    :func:`require_login`, so an anonymous request to a guarded route is sent to log in first.
    """
    if request.method in SAFE_METHODS or g.get("bearer"):
        return
    sent = request.form.get("csrf_token") or request.headers.get("X-CSRF-Token") or ""
    expected = session.get("csrf_token") or ""
    if not expected or not secrets.compare_digest(sent.encode(), expected.encode()):
        abort(400, "thiếu hoặc sai mã CSRF; tải lại trang / missing or wrong CSRF token; reload the page")


def csrf_token() -> str:
    """The session's CSRF token, created on first use (templates call it for every form)."""
    return session.setdefault("csrf_token", secrets.token_urlsafe(24))


@bp.app_context_processor
def inject_csrf_token() -> dict:
    """Make :func:`csrf_token` available to every template."""
    return {"csrf_token": csrf_token}


@bp.after_app_request
def security_headers(response):
    """Add :data:`SECURITY_HEADERS` to every answer, the policy allowing the configured basemap."""
    response.headers.setdefault("Content-Security-Policy",
                                content_security_policy(current_app.config.get("BASEMAP_URL", "")))
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def _unauthorized(message: str):
    """A 401 in JSON with the Bearer challenge: API and OGC API clients never get a redirect."""
    response = jsonify({"error": message, "status": 401})
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="diaban"'
    return response


def role_required(role: str):
    """Decorate a view so that it needs ``role`` or a higher one (403 otherwise)."""
    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not has_role(g.user, role):
                abort(403)
            return view(*args, **kwargs)
        return wrapped
    return decorator


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Show the login form and check it; a per-session token guards the form."""
    error, status = None, 200
    if request.method == "POST":  # the token was checked by check_csrf
        engine = current_app.extensions["diaban.engine"]
        username, address = request.form.get("username", ""), request.remote_addr
        failures = recent_login_failures(engine, username, address, seconds=LOGIN_WINDOW_SECONDS)
        if max(failures) >= LOGIN_MAX_FAILURES:
            record(engine, username, "login.throttled", address=address,
                   by_username=failures[0], by_address=failures[1])
            return render_template("login.html", error=THROTTLED, t=t, csrf_token=csrf_token()), 429
        user = authenticate(engine, username, request.form.get("password", ""), address=address)
        if user:
            session.clear()
            session["user"] = user
            session["csrf_token"] = secrets.token_urlsafe(24)  # a new token for the new session
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/") and not target.startswith("//")
                            else url_for("map.index"))
        error, status = t("bad_login"), 401
    return render_template("login.html", error=error, t=t, csrf_token=csrf_token()), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Forget the session's user (the form carries the session's token, see :func:`check_csrf`)."""
    session.clear()
    return redirect(url_for("auth.login"))
