"""Errors of the domain core. Each refines a builtin; messages name the bad value and the fix."""

from __future__ import annotations

from typing import get_args


class DiabanError(Exception):
    """Base class of every error diaban raises on purpose."""


class CRSMismatchError(DiabanError, ValueError):
    """Two inputs that must share a coordinate reference system do not."""


class PeriodError(DiabanError, ValueError):
    """A reporting period string that cannot be parsed."""


class UnknownVintageError(DiabanError, LookupError):
    """A boundary vintage that is not loaded."""


class UnknownProvinceError(DiabanError, LookupError):
    """A province that is not loaded (not found: 404 on the web)."""


class ProvinceNotNamedError(DiabanError, ValueError):
    """No province named where several are loaded (a request to complete: 400 on the web)."""


class StoreError(DiabanError, RuntimeError):
    """The database cannot be reached or is not initialised."""


class VintageInUseError(DiabanError, ValueError):
    """A vintage cannot be replaced or deleted while records refer to its units."""


class ReactivationError(DiabanError, ValueError):
    """A bad option or input frame of the reactivation engine (``geo.reactivation``)."""


class HotspotError(DiabanError, ValueError):
    """A bad option or input of the hotspot engine (``geo.hotspots``), or data too thin for it."""


def check_choice(name: str, value, allowed, *, error: type[Exception] = ValueError):
    """Return ``value`` when it is one of ``allowed``; otherwise raise ``error`` listing them.

    The one check of a string option (ARCHITECTURE.md, style rule 4). ``allowed`` is a
    sequence or a ``Literal`` type; ``error`` is the calling package's class (e.g.
    `HotspotError`), so the caller's ``except`` still catches it.

    Examples
    --------
    >>> from typing import Literal
    >>> check_choice("unit", "grid", Literal["commune", "grid"])
    'grid'
    >>> check_choice("ci", "wide", ("log", "plain"), error=ReactivationError)
    Traceback (most recent call last):
    ...
    geo.errors.ReactivationError: ci='wide' is not allowed; use one of: 'log', 'plain'
    """
    options = get_args(allowed) or tuple(allowed)
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise error(f"{name}={value!r} is not allowed; use one of: {listed}")
    return value


class ExportError(DiabanError, ValueError):
    """An export that cannot be written as asked (format, CRS, public mode)."""


class UnknownSnapshotError(DiabanError, LookupError):
    """A snapshot id that is not in the store."""


class QueueFull(DiabanError, RuntimeError):  # noqa: N818 (the name says what happened)
    """The upload queue is at its cap: ``scope`` is ``"owner"`` or ``"total"``, ``cap`` the limit."""

    def __init__(self, scope: str, cap: int) -> None:
        super().__init__(f"upload queue full ({scope}: at most {cap} queued or running)")
        self.scope, self.cap = scope, cap


class ReviewError(DiabanError, LookupError):
    """A review item or unit that does not exist, or an item that is no longer open."""


class UnknownReviewItemError(ReviewError):
    """A review item id that does not exist."""


class UnknownBatchError(DiabanError, LookupError):
    """An import batch that does not exist."""


class RecognitionError(DiabanError, ValueError):
    """A decision that cannot be recorded as given (unknown commune or snapshot, empty field, bad date)."""


class UnknownLayerError(DiabanError, LookupError):
    """A feature layer id that is not served."""
