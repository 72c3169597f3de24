"""The Flask web application: maps, API, login. Build it with :func:`create_app`."""

from __future__ import annotations

import os
from datetime import timedelta

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from geo.settings import database_url
from geo.store import make_engine
from webapp.keys import session_key

#: Default limit of a request body (uploads included), in bytes.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
#: Default absolute lifetime of a login, in hours (the session ends then, whatever the activity).
SESSION_HOURS = 12


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application.

    Configuration is read here and only here: ``DATABASE_URL`` (or ``test_config``) for the
    database, ``SECRET_KEY`` for sessions (else a key kept in the instance folder),
    ``MAX_CONTENT_LENGTH`` for the largest request body in bytes (default 50 MB; larger get 413),
    ``DIABAN_BASEMAP_URL`` and ``DIABAN_BASEMAP_ATTRIBUTION`` for the map's tile layer (default
    none: boundaries and labels only, no request to another host), ``DIABAN_SESSION_HOURS`` for
    the absolute lifetime of a login (default 12), ``DIABAN_COOKIE_SECURE=1`` to mark the cookie
    ``Secure`` always (it is whenever the request is HTTPS), and ``DIABAN_PROXY_FIX=N`` behind N
    reverse proxies (default 0: trust no ``X-Forwarded-*`` header; with N the client address, scheme
    and host come from the headers the N proxies set), ``THREADS`` (set by ``diaban serve
    --threads``) for the size of the database connection pool (one connection per server thread).
    """
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(
        DATABASE_URL=database_url(),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("DIABAN_COOKIE_SECURE", "") == "1",
        PERMANENT_SESSION_LIFETIME=timedelta(
            hours=float(os.environ.get("DIABAN_SESSION_HOURS") or SESSION_HOURS)),
        PROXY_FIX=int(os.environ.get("DIABAN_PROXY_FIX") or 0),
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=MAX_UPLOAD_BYTES,
        BASEMAP_URL=os.environ.get("DIABAN_BASEMAP_URL", ""),
        BASEMAP_ATTRIBUTION=os.environ.get("DIABAN_BASEMAP_ATTRIBUTION", ""),
    )
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or session_key(app.instance_path)
    app.json.ensure_ascii = False
    _serve_sessions(app)
    # One pooled connection per server thread, so no request waits for (or times out on) the pool.
    threads = int(app.config.get("THREADS", 8))
    app.extensions["diaban.engine"] = app.config.get("ENGINE") or make_engine(
        app.config["DATABASE_URL"], pool_size=threads, max_overflow=threads)

    from webapp import (
        admin,
        api,
        attest,
        auth,
        classify_page,
        dashboard,
        health,
        layout,
        map_page,
        national,
        ogc,
        recognition,
        record_forms,
        reports,
        review,
        upload,
    )
    from webapp.errors import register_error_handlers

    for blueprint in (auth.bp, health.bp, map_page.bp, api.bp, ogc.bp, review.bp, layout.bp, dashboard.bp,
                      upload.bp, admin.bp, reports.bp, recognition.bp, classify_page.bp, record_forms.bp,
                      attest.bp, national.bp):
        app.register_blueprint(blueprint)
    register_error_handlers(app)
    return app


def _serve_sessions(app: Flask) -> None:
    """The cookie (Secure on HTTPS) and, with ``PROXY_FIX`` = N > 0, trust in N proxies' headers."""
    from webapp.auth import SessionInterface

    app.session_interface = SessionInterface()
    proxies = app.config["PROXY_FIX"]
    if proxies:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
