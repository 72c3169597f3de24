"""The one place where errors become HTTP answers: JSON under /api/ and /ogc, plain pages elsewhere.

A database that cannot be reached (SQLAlchemy's ``OperationalError`` or ``InterfaceError``, a
lost connection) is 503 with :data:`DATABASE_DOWN`; heavy work without a turn
(:class:`webapp.workers.Busy`) is 429, and heavy work over its limits
(:class:`webapp.workers.LimitExceeded`) is 503, each with ``Retry-After`` where waiting helps.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from geo.errors import DiabanError, StoreError
from geo.store.engine import UNREACHABLE_ERRORS
from webapp.workers import Busy, LimitExceeded

#: The answer when the database cannot be reached, in Vietnamese then English.
DATABASE_DOWN = ("Tạm thời không kết nối được cơ sở dữ liệu; thử lại sau ít phút, nếu vẫn lỗi hãy báo quản "
                 "trị viên. / The database cannot be reached right now; try again in a few minutes, and "
                 "tell the administrator if it persists.")
#: The answers to heavy work that has to wait, by scope.
BUSY = {"user": ("Yêu cầu trước của bạn (báo cáo hoặc tải dữ liệu) vẫn đang chạy; đợi nó xong rồi thử lại. / "
                 "Your previous report or download is still being prepared; wait for it, then try again."),
        "total": ("Máy chủ đang bận tạo báo cáo cho người khác; thử lại sau ít giây. / "
                  "The server is busy preparing reports for others; try again in a few seconds.")}
#: The answer to heavy work over a limit.
TOO_HEAVY = ("Yêu cầu cần nhiều hơn {limit} {unit}; chọn kỳ ngắn hơn hoặc ít lớp hơn, hoặc báo quản trị "
             "viên. / "
             "The request needs more than {limit} {unit}; choose a shorter period or fewer layers, or ask an "
             "administrator.")

_log = logging.getLogger(__name__)


def register_error_handlers(app: Flask) -> None:
    """Attach the handlers to ``app``."""

    @app.errorhandler(DiabanError)
    def bad_request(exc: DiabanError):
        status = 503 if isinstance(exc, StoreError) else 400
        return _answer(status, str(exc))

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return _answer(exc.code or 500, exc.description or exc.name)

    def database_down(exc):
        _log.warning("database unreachable on %s: %s", request.path, exc.__class__.__name__)
        return _answer(503, DATABASE_DOWN, retry_after=30)

    for unreachable in UNREACHABLE_ERRORS:
        app.register_error_handler(unreachable, database_down)

    @app.errorhandler(Busy)
    def busy(exc: Busy):
        return _answer(429, BUSY[exc.scope], retry_after=exc.retry_after)

    @app.errorhandler(LimitExceeded)
    def too_heavy(exc: LimitExceeded):
        return _answer(503, TOO_HEAVY.format(limit=f"{exc.limit:g}", unit=exc.unit))


def _answer(status: int, message: str, *, retry_after: int | None = None):
    """JSON for the APIs (GIS clients read it), a minimal text page for browsers."""
    headers = {"Retry-After": str(retry_after)} if retry_after else {}
    if request.path.startswith(("/api/", "/ogc")):
        return jsonify({"error": message, "status": status}), status, headers
    page = f"<!doctype html><meta charset=utf-8><title>{status}</title><p>{_escape(message)}"
    return page, status, headers


def _escape(text: str) -> str:
    """Escape HTML special characters."""
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&quot;"))
