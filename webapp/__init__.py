"""The Flask web application: maps, API, login. Build it with :func:`create_app`."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

from geo.settings import database_url
from geo.store import make_engine

#: Default limit of a request body (uploads included), in bytes.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application.

    Configuration is read here and only here: ``DATABASE_URL`` (or ``test_config``) for the
    database, ``SECRET_KEY`` for sessions (else a key kept in the instance folder),
    ``MAX_CONTENT_LENGTH`` for the largest request body in bytes (default 50 MB; larger get 413),
    ``DIABAN_BASEMAP_URL`` and ``DIABAN_BASEMAP_ATTRIBUTION`` for the map's tile layer (default
    none: boundaries and labels only, no request to another host).
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        DATABASE_URL=database_url(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        BASEMAP_URL=os.environ.get("DIABAN_BASEMAP_URL", ""),
        BASEMAP_ATTRIBUTION=os.environ.get("DIABAN_BASEMAP_ATTRIBUTION", ""),
    )
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _instance_secret(app)
    app.json.ensure_ascii = False
    app.extensions["diaban.engine"] = app.config.get("ENGINE") or make_engine(app.config["DATABASE_URL"])

    from webapp import admin, api, auth, dashboard, health, layout, map_page, ogc, reports, review, upload
    from webapp.errors import register_error_handlers

    for blueprint in (auth.bp, health.bp, map_page.bp, api.bp, ogc.bp, review.bp, layout.bp, dashboard.bp,
                      upload.bp, admin.bp, reports.bp):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    return app


def _instance_secret(app: Flask) -> str:
    """Return the session key kept in the instance folder, creating it on first use."""
    path = Path(app.instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
