"""The web app's error classes, and the one place where errors become HTTP answers.

Answers are JSON under /api/ and /ogc, plain pages elsewhere. Errors diaban raises on purpose
(``geo.errors.DiabanError``) map by the builtin they refine (:func:`status_for`): ``LookupError``
is 404, ``ValueError`` 400, ``StoreError`` 503.

A database that cannot be reached (SQLAlchemy's ``OperationalError`` or ``InterfaceError``, a
lost connection) is 503 with :data:`DATABASE_DOWN`; heavy work without a turn
(:class:`Busy`) is 429, and heavy work over its limits
(:class:`LimitExceeded`) is 503, each with ``Retry-After`` where waiting helps.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from geo.errors import DiabanError, StoreError
from geo.store.engine import UNREACHABLE_ERRORS


class AccountError(DiabanError, ValueError):
    """A user that cannot be created or changed as asked."""


class LimitExceeded(Exception):  # noqa: N818 (the name says what happened)
    """A child went over its memory (``resource="memory"``, ``limit`` in MB) or time (seconds) limit."""

    def __init__(self, resource_name: str, limit: float) -> None:
        unit = "MB" if resource_name == "memory" else "s"
        super().__init__(f"needs more than {limit:g} {unit} ({resource_name} limit)")
        self.resource, self.limit, self.unit = resource_name, limit, unit


class Busy(Exception):  # noqa: N818 (the name says what happened)
    """No turn for a heavy request: the user has one running, or the server is at its limit."""

    def __init__(self, scope: str, retry_after: int) -> None:
        super().__init__(f"busy ({scope})")
        self.scope, self.retry_after = scope, retry_after


class RemoteAssetError(RuntimeError):
    """A rendered page still loads something from outside the app."""


class SupervisorGoneError(RuntimeError):
    """The server process that started an ingest has died: the child stops before committing."""


class FilterError(DiabanError, ValueError):
    """A map filter (district, incident kind, establishment type…) that cannot be used (400)."""


class OgcRequestError(DiabanError, ValueError):
    """A query parameter of an OGC API request that cannot be used (answered with 400)."""


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
    def domain_error(exc: DiabanError):
        return _answer(status_for(exc), str(exc))

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


def status_for(exc: DiabanError) -> int:
    """The HTTP status of an error diaban raised on purpose.

    A store that cannot answer is 503; something asked for that does not exist (a
    ``LookupError``: an unknown vintage, snapshot, layer, batch, review item) is 404; every
    other bad input (a ``ValueError``: period, filter, option) is 400. A bare ``KeyError`` or
    ``IndexError`` is not here on purpose: it is a bug, and stays a 500.

    Examples
    --------
    >>> from geo.errors import PeriodError, UnknownVintageError
    >>> status_for(UnknownVintageError("x")), status_for(PeriodError("x")), status_for(StoreError("x"))
    (404, 400, 503)
    """
    if isinstance(exc, StoreError):
        return 503
    return 404 if isinstance(exc, LookupError) else 400


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

