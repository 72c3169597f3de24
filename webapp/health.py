"""GET /healthz: answers without a login, for monitoring; 503 when the database cannot be reached."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from geo.errors import StoreError
from geo.store import check_reachable, current_revision
from geo.store.engine import DATABASE_ERROR
from webapp.errors import DATABASE_DOWN

bp = Blueprint("health", __name__)


@bp.route("/favicon.ico")
def favicon():
    """No icon: answer 204 rather than sending browsers to the login page."""
    return "", 204


@bp.route("/healthz")
def healthz():
    """Report whether the database answers and which schema revision it has (503 and why when not)."""
    try:
        engine = current_app.extensions["diaban.engine"]
        check_reachable(engine)
        return jsonify({"status": "ok", "database": "ok", "schema": current_revision(engine)})
    except (StoreError, DATABASE_ERROR) as exc:
        return jsonify({"status": "degraded", "database": str(exc), "message": DATABASE_DOWN}), 503, \
            {"Retry-After": "30"}
