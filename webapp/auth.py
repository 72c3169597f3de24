"""Login, logout and the guards every request goes through.

:func:`require_login` checks the session against the database on every request (its row in
``login_session``, the user's current role and active flag; see :mod:`webapp.accounts`) and
sends anyone without a live session (or a valid Bearer token under /api/ and /ogc) to the login
page; :func:`check_csrf` refuses a state-changing request from a browser session without the
session's token; :func:`login` is rate limited per username and client address, and per
address, atomically in the database (so the limit holds across processes and threads);
:func:`security_headers` adds the headers every answer carries; 403 answers are audited.
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
    has_request_context,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.sessions import SecureCookieSessionInterface

from geo.store.audit import claim_login_attempt, mark_login_succeeded, record
from webapp.accounts import (
    MAX_USERNAME_LENGTH,
    authenticate,
    end_session,
    has_role,
    open_session,
    user_for_session,
    user_for_token,
)
from webapp.i18n import t

bp = Blueprint("auth", __name__)

#: Paths whose clients may authenticate with ``Authorization: Bearer TOKEN``.
MACHINE_PREFIXES = ("/api/", "/ogc/")

#: Endpoints reachable without a login.
PUBLIC_ENDPOINTS = {"auth.login", "health.healthz", "health.favicon", "static"}

#: Public endpoints that never need to know the user: no session lookup in the database.
ANONYMOUS_ENDPOINTS = {"health.healthz", "health.favicon", "static"}

#: Methods that change nothing and need no CSRF token.
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

#: Failed logins within the window before 429: for one username from one client address, and
#: from one address for any usernames. Failures at one address never hold a user back elsewhere.
LOGIN_MAX_FAILURES = 5
LOGIN_MAX_FAILURES_PER_ADDRESS = 20
LOGIN_WINDOW_SECONDS = 10 * 60
THROTTLED = ("Quá nhiều lần đăng nhập sai. Vui lòng thử lại sau 10 phút. / "
             "Too many failed logins. Please try again in 10 minutes.")
NAME_TOO_LONG = ("Tên đăng nhập dài {n} ký tự; tối đa {most} ký tự. / "
                 "The username has {n} characters; use at most {most}.")

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


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked ``Secure`` whenever the request came over HTTPS.

    ``SESSION_COOKIE_SECURE`` forces the flag; otherwise it follows the request's scheme (behind
    a proxy, enable ``DIABAN_PROXY_FIX`` so that the scheme is the client's).
    """

    def get_cookie_secure(self, app) -> bool:
        """True when configured, or when the current request is HTTPS."""
        return super().get_cookie_secure(app) or (has_request_context() and request.is_secure)


@bp.before_app_request
def require_login():
    """Load the user of the session; send anyone else to the login page (401 for the API)."""
    engine = current_app.extensions["diaban.engine"]
    sid = session.get("sid") if request.endpoint not in ANONYMOUS_ENDPOINTS else None
    g.user = user_for_session(engine, sid) if sid else None
    if sid and g.user is None:
        session.clear()  # ended, expired, or its user disabled: the cookie is worth nothing now
    g.bearer = False
    machine = request.path.startswith(MACHINE_PREFIXES) or request.path == "/ogc"
    header = request.headers.get("Authorization", "")
    if machine and header:
        scheme, _, token = header.partition(" ")
        g.user = user_for_token(engine, token.strip()) if scheme.lower() == "bearer" else None
        g.bearer = g.user is not None
        if g.user is None:
            return _unauthorized("invalid, expired, revoked or unsupported token; get one with "
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


def audit_request(action: str, **detail) -> None:
    """Record ``action`` of the current user on the requested path (with its query) and address."""
    user = g.get("user")
    record(current_app.extensions["diaban.engine"], user["username"] if user else "anonymous", action,
           request.full_path.rstrip("?"), address=request.remote_addr or "", method=request.method, **detail)


@bp.after_app_request
def audit_forbidden(response):
    """Audit every 403 answer as ``forbidden``: who tried to reach what."""
    if response.status_code == 403:
        audit_request("forbidden", bearer=bool(g.get("bearer")))
    return response


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
    if request.method == "GET":
        return _login_page(None, 200)
    username = request.form.get("username", "")  # the CSRF token was checked by check_csrf
    if len(username) > MAX_USERNAME_LENGTH:
        return _login_page(NAME_TOO_LONG.format(n=len(username), most=MAX_USERNAME_LENGTH), 400)
    engine = current_app.extensions["diaban.engine"]
    attempt = claim_login_attempt(engine, username, request.remote_addr, seconds=LOGIN_WINDOW_SECONDS,
                                  per_username=LOGIN_MAX_FAILURES, per_address=LOGIN_MAX_FAILURES_PER_ADDRESS)
    if attempt is None:
        return _login_page(THROTTLED, 429)
    user = authenticate(engine, username, request.form.get("password", ""))
    if user is None:
        return _login_page(t("bad_login"), 401)
    mark_login_succeeded(engine, attempt)
    session.clear()
    session["sid"] = open_session(engine, user["username"], lifetime=current_app.permanent_session_lifetime)
    session["csrf_token"] = secrets.token_urlsafe(24)  # a new token for the new session
    return redirect(safe_next(request.args.get("next", "")) or url_for("map.index"))


#: Characters a browser drops from or folds in a URL: controls, whitespace and the backslash.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f\\]")


def safe_next(target: str) -> str | None:
    r"""``target`` when it is a path on this site, else None (no open redirect after login).

    Browsers strip tabs and newlines from URLs and read a backslash as ``/``, so a target that
    would become ``//host`` or carries a scheme or a host is refused.

    Examples
    --------
    >>> safe_next("/dashboard?period=2018")
    '/dashboard?period=2018'
    >>> [safe_next(t) for t in ("//evil.example/", "/\t/evil.example/", "/\\evil.example",
    ...                         "https://evil.example", "/ok\n")]
    [None, None, None, None, None]
    """
    if _URL_NOISE.search(target):
        return None
    parts = urlsplit(target)
    if not target.startswith("/") or target.startswith("//") or parts.scheme or parts.netloc:
        return None
    return target


def _login_page(error: str | None, status: int):
    """The login form with ``error``, answered with ``status``."""
    return render_template("login.html", error=error, t=t, csrf_token=csrf_token()), status


@bp.route("/logout", methods=["POST"])
def logout():
    """End the session in the database and forget it (the form carries the session's token)."""
    end_session(current_app.extensions["diaban.engine"], session["sid"], actor=g.user["username"],
                address=request.remote_addr or "")
    session.clear()
    return redirect(url_for("auth.login"))
