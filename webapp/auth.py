"""Login, logout and the guard every route except /healthz and /login goes through."""

from __future__ import annotations

import secrets
from functools import wraps

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

from webapp.accounts import authenticate, has_role, user_for_token
from webapp.i18n import t

bp = Blueprint("auth", __name__)

#: Paths whose clients may authenticate with ``Authorization: Bearer TOKEN``.
MACHINE_PREFIXES = ("/api/", "/ogc/")

#: Endpoints reachable without a login.
PUBLIC_ENDPOINTS = {"auth.login", "health.healthz", "health.favicon", "static"}


@bp.before_app_request
def require_login():
    """Load the user of the session; send anyone else to the login page (401 for the API)."""
    g.user = session.get("user")
    machine = request.path.startswith(MACHINE_PREFIXES) or request.path == "/ogc"
    header = request.headers.get("Authorization", "")
    if machine and header:
        scheme, _, token = header.partition(" ")
        g.user = user_for_token(current_app.extensions["diaban.engine"], token.strip()) \
            if scheme.lower() == "bearer" else None
        if g.user is None:
            return _unauthorized("invalid, revoked or unsupported token; get one with "
                                 "`diaban users token NAME` and send Authorization: Bearer TOKEN")
    if g.user is None and request.endpoint not in PUBLIC_ENDPOINTS:
        if machine:
            return _unauthorized("log in or send Authorization: Bearer TOKEN")
        return redirect(url_for("auth.login", next=request.full_path))
    return None


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
    error = None
    if request.method == "POST":
        token = request.form.get("csrf_token")
        if not token or token != session.get("csrf_token"):
            abort(400)
        user = authenticate(current_app.extensions["diaban.engine"],
                            request.form.get("username", ""), request.form.get("password", ""))
        if user:
            session.clear()
            session["user"] = user
            target = request.args.get("next", "")
            return redirect(target if target.startswith("/") and not target.startswith("//")
                            else url_for("map.index"))
        error = t("bad_login")
    session.setdefault("csrf_token", secrets.token_urlsafe(24))
    return render_template("login.html", error=error, t=t, csrf_token=session["csrf_token"]), (
        401 if error else 200)


@bp.route("/logout", methods=["POST"])
def logout():
    """Forget the session's user."""
    session.clear()
    return redirect(url_for("auth.login"))
