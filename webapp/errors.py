"""The one place where errors become HTTP answers: JSON under /api/ and /ogc, plain pages elsewhere."""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from geo.errors import DiabanError, StoreError


def register_error_handlers(app: Flask) -> None:
    """Attach the handlers to ``app``."""

    @app.errorhandler(DiabanError)
    def bad_request(exc: DiabanError):
        status = 503 if isinstance(exc, StoreError) else 400
        return _answer(status, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _answer(exc.code or 500, exc.description or exc.name)


def _answer(status: int, message: str):
    """JSON for the APIs (GIS clients read it), a minimal text page for browsers."""
    if request.path.startswith(("/api/", "/ogc")):
        return jsonify({"error": message, "status": status}), status
    return f"<!doctype html><meta charset=utf-8><title>{status}</title><p>{_escape(message)}", status


def _escape(text: str) -> str:
    """Escape HTML special characters."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
