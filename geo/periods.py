"""Reporting periods (kỳ báo cáo): month, quarter, half-year, nine months and year.

Labels follow the steering committee's rhythm: ``2019-06`` (tháng), ``2019-Q2`` (quý),
``2019-H1`` (6 tháng), ``2019-9M`` (9 tháng) and ``2019`` (năm). Two conventions place a
label on the calendar: ``calendar`` (the default: 2019 is 1 January → 31 December) and
``report_15_14``, the government reporting windows (criteria.md §5.1, NĐ 09/2019 Art. 12:
from the 15th of the month before the first month to the 14th of the last month, so 2019 is
2018-12-15 → 2019-12-14 inclusive).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from geo.errors import PeriodError

PeriodKind = Literal["month", "quarter", "half", "nine_months", "year"]
Convention = Literal["calendar", "report_15_14"]
CONVENTIONS: tuple[Convention, ...] = ("calendar", "report_15_14")

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
    >>> parse_period("2019-Q2", convention="report_15_14").convention
    'report_15_14'
    """

    label: str
    kind: PeriodKind
    start: date
    end: date
    convention: Convention = "calendar"

    def __contains__(self, day: date) -> bool:
        return self.start <= day < self.end


def _month_start(year: int, month: int) -> date:
    """Return the first day of ``month`` (which may run past 12 into the next year)."""
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def parse_period(label: str, *, convention: Convention = "calendar") -> Period:
    """Parse a period label into its window under a reporting convention.

    Parameters
    ----------
    label : str
        ``YYYY``, ``YYYY-MM``, ``YYYY-Qn``, ``YYYY-Hn`` or ``YYYY-9M``.
    convention : {"calendar", "report_15_14"}, default "calendar"
        ``calendar`` windows start on the 1st of the first month; ``report_15_14`` windows
        run from the 15th of the month before the first month to the 14th of the last month.

    Returns
    -------
    Period

    Raises
    ------
    PeriodError
        When the label has none of the forms above, or the convention is unknown; the
        message lists the allowed values.

    Examples
    --------
    >>> parse_period("2025-H2").start
    datetime.date(2025, 7, 1)
    >>> parse_period("2019-9M").end
    datetime.date(2019, 10, 1)
    >>> parse_period("2018").end
    datetime.date(2019, 1, 1)
    >>> p = parse_period("2019", convention="report_15_14")
    >>> p.start, p.end  # end exclusive: the last day is 2019-12-14
    (datetime.date(2018, 12, 15), datetime.date(2019, 12, 15))
    """
    if convention not in CONVENTIONS:
        raise PeriodError(f"convention {convention!r} is not known; use one of "
                          + ", ".join(CONVENTIONS))
    text = label.strip().upper()
    for kind, pattern in _PATTERNS:
        match = pattern.match(text)
        if match:
            year, part = int(match.group(1)), match.group(2)
            first, months = _window(kind, part)
            start, end = _month_start(year, first), _month_start(year, first + months)
            if convention == "report_15_14":
                start, end = _shift_15(start), _shift_15(end)
            return Period(text, kind, start, end, convention)
    raise PeriodError(
        f"period {label!r} is not understood; use one of 2019 (year), 2019-06 (month), "
        "2019-Q2 (quarter), 2019-H1 (half-year) or 2019-9M (nine months)"
    )


def _shift_15(first_of_month: date) -> date:
    """Return the 15th of the month before ``first_of_month``."""
    before = first_of_month - timedelta(days=1)
    return before.replace(day=15)


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
