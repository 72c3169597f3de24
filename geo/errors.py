"""Errors of the domain core. Each refines a builtin; messages name the bad value and the fix."""


class DiabanError(Exception):
    """Base class of every error diaban raises on purpose."""


class CRSMismatchError(DiabanError, ValueError):
    """Two inputs that must share a coordinate reference system do not."""


class PeriodError(DiabanError, ValueError):
    """A reporting period string that cannot be parsed."""


class UnknownVintageError(DiabanError, LookupError):
    """A boundary vintage that is not loaded."""


class StoreError(DiabanError, RuntimeError):
    """The database cannot be reached or is not initialised."""


class ReactivationError(DiabanError, ValueError):
    """A bad option or input frame of the reactivation engine (``geo.reactivation``)."""


class HotspotError(DiabanError, ValueError):
    """A bad option or input of the hotspot engine (``geo.hotspots``), or data too thin for it."""
