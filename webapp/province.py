"""The loaded province as the web app shows it: its name and its export coordinate systems.

Everything comes from the province whose boundaries are in the database
(``boundaries.loaded_province``, recorded by ``diaban boundaries load``), never from a default.
"""

from __future__ import annotations

from flask import abort, current_app, g, request, session
from pyproj import CRS

from boundaries import Province, loaded_province
from geo.settings import STORAGE_CRS
from webapp.i18n import current_language

FORBIDDEN = ("Tài khoản này chỉ được xem dữ liệu của tỉnh {own}, không phải tỉnh {asked}. / "
             "This login may see province {own} only, not province {asked}.")


def requested_province_code() -> str | None:
    """The province of this request: the user's own when limited, else ``?province=``, else the session's.

    A ``province`` query parameter is remembered in the session (the selector). A user limited to
    one province asking for another gets 403. None: no province named (the only loaded one serves).
    """
    if "province_code" not in g:
        own = (g.get("user") or {}).get("province")
        asked = request.args.get("province") or None
        if own and asked and asked != own:
            abort(403, description=FORBIDDEN.format(own=own, asked=asked))
        if asked and not own:
            session["province"] = asked
        g.province_code = own or asked or session.get("province")
    return g.province_code


def service_province_code() -> str | None:
    """The province a data service (OGC API) is limited to: the user's own, else ``?province=``.

    Unlike the pages, no province is remembered from the session: a GIS client asking without
    one reads every province it may. A limited user asking for another gets 403.
    """
    requested_province_code()
    return (g.get("user") or {}).get("province") or request.args.get("province") or None


def current_province() -> Province | None:
    """The province of this request (:func:`requested_province_code`), read once (None before any load).

    Raises ``ProvinceNotNamedError`` (a 400 answer listing them) when several provinces are loaded
    and the request names none.
    """
    if "province" not in g:
        g.province = loaded_province(current_app.extensions["diaban.engine"], requested_province_code())
    return g.province


def current_province_code() -> str | None:
    """The code of :func:`current_province` (None before any load)."""
    province = current_province()
    return province.code if province else None


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
