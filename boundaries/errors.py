"""Errors of the boundaries package."""

from geo.errors import DiabanError


class ProvinceConfigError(DiabanError, ValueError):
    """A province configuration file that is missing a key or names a missing layer."""


class BoundaryDataError(DiabanError, ValueError):
    """A boundary layer whose content cannot become a clean coverage."""
