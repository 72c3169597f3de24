"""The loaded province as the web app shows it: its name and its export coordinate systems.

Everything comes from the province whose boundaries are in the database
(``boundaries.loaded_province``, recorded by ``diaban boundaries load``), never from a default.
"""

from __future__ import annotations

from flask import current_app, g
from pyproj import CRS

from boundaries import Province, loaded_province
from geo.settings import STORAGE_CRS
from webapp.i18n import current_language


def current_province() -> Province | None:
    """The loaded province of the app's database, read once per request (None before any load)."""
    if "province" not in g:
        g.province = loaded_province(current_app.extensions["diaban.engine"])
    return g.province


def province_name() -> str:
    """The loaded province's name in the request's language ("" before any load)."""
    province = current_province()
    return province.display_name(current_language()) if province else ""


def crs_choices(province: Province | None) -> dict[str, str]:
    """The export CRSs of ``province`` (its ``export_crs``) with their names; WGS 84 alone without one.

    Examples
    --------
    >>> crs_choices(None)
    {'EPSG:4326': 'WGS 84 (EPSG:4326)'}
    """
    codes = province.export_crs if province else (STORAGE_CRS,)
    return {code: f"{CRS.from_user_input(code).name} ({code})" for code in codes}


def check_export_crs(province: Province | None, crs: str) -> None:
    """Raise ValueError unless ``crs`` is one of the province's export CRSs, naming them.

    Examples
    --------
    >>> try:
    ...     check_export_crs(None, "EPSG:5899")
    ... except ValueError as exc:
    ...     print(str(exc).split(": ")[1])
    EPSG:4326 (export_crs in province.toml)
    """
    choices = crs_choices(province)
    if crs not in choices:
        raise ValueError(f"crs {crs!r} is not one of the province's export coordinate systems: "
                         f"{', '.join(choices)} (export_crs in province.toml)")
