"""Reporting periods (kỳ báo cáo): month, quarter, half-year, nine months and year.

Labels follow the steering committee's rhythm: ``2019-06`` (tháng), ``2019-Q2`` (quý),
``2019-H1`` (6 tháng), ``2019-9M`` (9 tháng) and ``2019`` (năm). This module knows the
calendar convention; the 15th-to-14th reporting windows come with the classification work.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

from geo.errors import PeriodError

PeriodKind = Literal["month", "quarter", "half", "nine_months", "year"]

_PATTERNS: tuple[tuple[PeriodKind, re.Pattern[str]], ...] = (
    ("month", re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")),
    ("quarter", re.compile(r"^(\d{4})-Q([1-4])$")),
    ("half", re.compile(r"^(\d{4})-H([12])$")),
    ("nine_months", re.compile(r"^(\d{4})-(9M)$")),
    ("year", re.compile(r"^(\d{4})()$")),
)


@dataclass(frozen=True)
class Period:
    """A reporting period: ``start`` inclusive, ``end`` exclusive (calendar days).

    Examples
    --------
    >>> p = parse_period("2019-Q2")
    >>> p.start, p.end
    (datetime.date(2019, 4, 1), datetime.date(2019, 7, 1))
    >>> date(2019, 6, 30) in p
    True
    """

    label: str
    kind: PeriodKind
    start: date
    end: date

    def __contains__(self, day: date) -> bool:
        return self.start <= day < self.end


def _month_start(year: int, month: int) -> date:
    """Return the first day of ``month`` (which may run past 12 into the next year)."""
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(label: str) -> Period:
    """Parse a period label into its calendar window.

    Parameters
    ----------
    label : str
        ``YYYY``, ``YYYY-MM``, ``YYYY-Qn``, ``YYYY-Hn`` or ``YYYY-9M``.

    Returns
    -------
    Period

    Raises
    ------
    PeriodError
        When the label has none of the forms above; the message lists them.

    Examples
    --------
    >>> parse_period("2025-H2").start
    datetime.date(2025, 7, 1)
    >>> parse_period("2019-9M").end
    datetime.date(2019, 10, 1)
    >>> parse_period("2018").end
    datetime.date(2019, 1, 1)
    """
    text = label.strip().upper()
    for kind, pattern in _PATTERNS:
        match = pattern.match(text)
        if match:
            year, part = int(match.group(1)), match.group(2)
            first, months = _window(kind, part)
            return Period(text, kind, _month_start(year, first), _month_start(year, first + months))
    raise PeriodError(
        f"period {label!r} is not understood; use one of 2019 (year), 2019-06 (month), "
        "2019-Q2 (quarter), 2019-H1 (half-year) or 2019-9M (nine months)"
    )


def _window(kind: PeriodKind, part: str) -> tuple[int, int]:
    """Return (first month, number of months) of a period kind."""
    if kind == "month":
        return int(part), 1
    if kind == "quarter":
        return 3 * int(part) - 2, 3
    if kind == "half":
        return 6 * int(part) - 5, 6
    if kind == "nine_months":
        return 1, 9
    return 1, 12


def last_closed_half(today: date) -> Period:
    """Return the most recent half-year that has ended by ``today``.

    The map opens on it: the last complete six-month reporting period.

    Examples
    --------
    >>> last_closed_half(date(2026, 11, 28)).label
    '2026-H1'
    >>> last_closed_half(date(2026, 3, 1)).label
    '2025-H2'
    """
    if today.month >= 7:
        return parse_period(f"{today.year}-H1")
    return parse_period(f"{today.year - 1}-H2")
