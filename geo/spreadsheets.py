"""Cells bound for spreadsheet software: every CSV the platform writes passes through :func:`safe_cell`.

A CSV file is opened in Excel or LibreOffice, which run a cell starting with ``=``, ``+``, ``-`` or
``@`` (or a tab or carriage return before one) as a formula: ``=HYPERLINK("http://…","…")`` in a
source file would become a live link, or worse, in the download of an analyst (CSV injection, CWE-1236).
Such a cell, header cells included, is written with a leading apostrophe, which the spreadsheet shows
as text. The fullwidth forms (＝ ＋ － ＠) are treated alike, since some spreadsheets normalise them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
"""The first characters that make a spreadsheet read a text cell as a formula."""


def safe_cell(value: Any) -> Any:
    """A text value a spreadsheet would run as a formula, with a leading apostrophe; others unchanged.

    Numbers, None and other non-text values are returned as they are (a negative number is a number,
    not a formula), so the caller's writer formats them as before.

    Examples
    --------
    >>> print(safe_cell('=HYPERLINK("http://x","y")'))
    '=HYPERLINK("http://x","y")
    >>> safe_cell("-3"), safe_cell(-3), safe_cell(None), safe_cell("Karaoke Hoa Sen")
    ("'-3", -3, None, 'Karaoke Hoa Sen')
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_row(values: Iterable[Any]) -> list[Any]:
    """A row of cells (a header row too) through :func:`safe_cell`.

    Examples
    --------
    >>> safe_row(["@cmd", 1.5, "An Hòa"])
    ["'@cmd", 1.5, 'An Hòa']
    """
    return [safe_cell(value) for value in values]
