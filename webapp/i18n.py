"""Interface strings: Vietnamese first, English second.

The language is chosen with ``?lang=vi|en`` and remembered in the session. The shared strings are
in :data:`STRINGS`; a blueprint keeps its own in a dict of its module and adds them with
:func:`register` at import, so each page's wording lives next to its view.
"""

from __future__ import annotations

from flask import request, session

LANGUAGES = ("vi", "en")

STRINGS = {
    "app_title": ("diaban — Bản đồ phòng, chống mại dâm", "diaban — prostitution-prevention map"),
    "login": ("Đăng nhập", "Log in"),
    "logout": ("Đăng xuất", "Log out"),
    "username": ("Tên đăng nhập", "Username"),
    "password": ("Mật khẩu", "Password"),
    "bad_login": ("Sai tên đăng nhập hoặc mật khẩu.", "Wrong username or password."),
    "period": ("Kỳ báo cáo", "Period"),
    "vintage": ("Ranh giới", "Boundaries"),
    "show": ("Xem", "Show"),
    "communes": ("Xã, phường, thị trấn", "Communes"),
    "districts": ("Ranh giới huyện", "District outlines"),
    "province_outline": ("Ranh giới tỉnh", "Province outline"),
    "incidents": ("Số vụ việc", "Incidents"),
    "inspections": ("Lượt kiểm tra", "Inspections"),
    "commune": ("Đơn vị", "Unit"),
    "code": ("Mã", "Code"),
    "district": ("Huyện", "District"),
    "legend_title": ("Số vụ việc trong kỳ", "Incidents in the period"),
    "no_incident": ("Không có", "None"),
    "data_as_of": ("Dữ liệu đến", "Data as of"),
    "method": ("Phương pháp: đếm vụ việc theo đơn vị (điểm trong đa giác; bản ghi chỉ có tên "
               "xã được tính theo xã đó)",
               "Method: incidents counted per unit (point in polygon; records with only a "
               "commune reference counted there)"),
    "unassigned": ("Không gán được đơn vị", "Not assigned to a unit"),
    "synthetic": ("DỮ LIỆU MÔ PHỎNG — không phải số liệu thật",
                  "SYNTHETIC DEMO DATA — not real figures"),
    "no_data": ("Chưa có dữ liệu", "No data yet"),
}


def register(strings: dict[str, tuple[str, str]]) -> None:
    """Add a module's ``{key: (vi, en)}`` strings; a key already taken with other text is an error.

    Examples
    --------
    >>> register({"login": ("Đăng nhập", "Log in")})
    >>> register({"login": ("Vào", "Enter")})
    Traceback (most recent call last):
    ...
    ValueError: interface string 'login' is already defined with other text; pick another key
    """
    for key, pair in strings.items():
        if len(pair) != 2:
            raise ValueError(f"interface string {key!r} needs (vi, en), got {pair!r}")
        if STRINGS.get(key, pair) != pair:
            raise ValueError(f"interface string {key!r} is already defined with other text; pick another key")
        STRINGS[key] = tuple(pair)


def current_language() -> str:
    """Return the interface language of this request, remembering an explicit choice."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session["lang"] = asked
    return session.get("lang", LANGUAGES[0])


def t(key: str) -> str:
    """Return the string ``key`` in the current language."""
    vi, en = STRINGS[key]
    return en if current_language() == "en" else vi
