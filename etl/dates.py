"""Dates as they arrive: dd/mm/yyyy, Excel serials, ISO, Vietnamese long forms, months, quarters, years.

The order of day and month in ``06/07/2019`` is decided per column, never per cell
(``docs/data-realities.md`` §6.1): if some cell has a first field above 12 the column is
day-first; if some cell has a second field above 12 it is month-first (Excel in an en-US locale);
if both occur, the cells that could be either get ``AMBIGUOUS_DAY_MONTH``; if neither occurs the
column is read day-first by Vietnamese convention and ``day_month_order`` says
``day_first_assumed``. Coarser labels give the first day of their period and a ``date_precision``.

Examples
--------
>>> parse_dates(["15/06/2019", "06/07/2019"])["date"].dt.strftime("%Y-%m-%d").tolist()
['2019-06-15', '2019-07-06']
>>> excel_serial_to_date(43631)
datetime.date(2019, 6, 15)
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Literal

import numpy as np
import pandas as pd

from etl import reasons
from etl.errors import ParserOptionError, ValueParseError
from etl.text import distinct_cells

Precision = Literal["day", "month", "quarter", "year"]

#: Two-digit years below this are 20yy, the others 19yy (``15/6/19`` is 2019).
TWO_DIGIT_PIVOT = 50

_TIME = r"(?:[ t]+\d{1,2}[:h]\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_DMY = re.compile(rf"(?:ngày\s*)?(\d{{1,2}})\s*([/.\-])\s*(\d{{1,2}})\s*\2\s*(\d{{4}}|\d{{2}}){_TIME}")
_ISO = re.compile(rf"(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}")
_LONG = re.compile(r"(?:ngày\s*)?(\d{1,2})\s+tháng\s+(\d{1,2})\s*,?\s*năm\s+(\d{4})")
_MONTH = re.compile(r"(?:tháng|t)\s*(\d{1,2})\s*(?:/|-|năm)\s*(\d{4})")
_QUARTER = re.compile(r"(?:quý|q)\s*(iv|i{1,3}|[1-4])\s*(?:/|-|năm)\s*(\d{4})")
_YEAR = re.compile(r"(?:năm\s*)?(\d{4})")
_SERIAL = re.compile(r"\d+(?:[.,]\d+)?")
_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "1": 1, "2": 2, "3": 3, "4": 4}
_LAST_SERIAL = {system: (date(9999, 12, 31) - epoch).days
                for system, epoch in ((1900, date(1899, 12, 30)), (1904, date(1904, 1, 1)))}
"""The serial of 31/12/9999, the last day Python can hold, in each Excel date system."""


def excel_serial_to_date(serial: float, *, date_system: Literal[1900, 1904] = 1900) -> date:
    """The calendar day of an Excel serial number (the time of day is dropped).

    Parameters
    ----------
    serial : float
        Days as Excel counts them.
    date_system : {1900, 1904}, default 1900
        The workbook's date system (1904 for old Mac workbooks). In the 1900 system Excel
        counts the non-existent 29 February 1900 as serial 60, so serials 1-59 are one day
        off the others.

    Returns
    -------
    datetime.date

    Raises
    ------
    ValueParseError
        Reason ``BAD_DATE`` for serial 60 (29/2/1900), serials below 1 (0 in 1904), serials after
        31/12/9999, and anything that is not a finite real number.

    Examples
    --------
    >>> excel_serial_to_date(43631), excel_serial_to_date(43631.75)
    (datetime.date(2019, 6, 15), datetime.date(2019, 6, 15))
    >>> excel_serial_to_date(59), excel_serial_to_date(61)
    (datetime.date(1900, 2, 28), datetime.date(1900, 3, 1))
    >>> excel_serial_to_date(0, date_system=1904)
    datetime.date(1904, 1, 1)
    """
    if date_system not in (1900, 1904):
        raise ParserOptionError(f"date_system {date_system!r} is not known; use 1900 or 1904")
    real = isinstance(serial, numbers.Real) and not isinstance(serial, bool)
    if not real or not (isinstance(serial, numbers.Integral) or math.isfinite(serial)):
        raise ValueParseError(f"Excel serial {serial!r} is not a finite number", reasons.BAD_DATE)
    days = math.floor(serial)
    if days > _LAST_SERIAL[date_system]:
        raise ValueParseError(f"Excel serial {serial!r} is after 31/12/9999", reasons.BAD_DATE)
    if date_system == 1904 and days >= 0:
        return date(1904, 1, 1) + timedelta(days=days)
    if date_system == 1900 and days >= 1 and days != 60:
        return date(1899, 12, 31 if days < 60 else 30) + timedelta(days=days)
    raise ValueParseError(
        f"Excel serial {serial!r} is not a real day (29/2/1900 or before day 1)", reasons.BAD_DATE
    )


def _clean(value: object) -> str:
    """NFC, case-folded text with single spaces."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", str(value)).strip().casefold())


def _day(year: int, month: int, day: int) -> date:
    """A real date or ``BAD_DATE``."""
    try:
        return date(year, month, day)
    except ValueError:
        raise ValueParseError(
            f"{day:02d}/{month:02d}/{year} is not a real date; check day and month", reasons.BAD_DATE
        ) from None


def _number(number: float | str, date_system: Literal[1900, 1904],
            window: tuple[int, int]) -> tuple[date, str]:
    """A bare number (or its digits): a year (1900-2100, whole) or an Excel serial inside ``window``."""
    try:
        value = float(number)
    except OverflowError:  # an int beyond the float range
        value = math.inf
    if not math.isfinite(value):
        raise ValueParseError(f"number {value!r} is not a date", reasons.BAD_DATE)
    if value == int(value) and 1900 <= value <= 2100:
        return date(int(value), 1, 1), "year"
    if window[0] <= value <= window[1]:
        return excel_serial_to_date(value, date_system=date_system), "day"
    raise ValueParseError(
        f"number {value!r} is neither a year nor an Excel serial in {window}", reasons.BAD_DATE
    )


def _labelled(text: str) -> tuple[date, str] | None:
    """ISO, long form, month, quarter or year labels; None when the text is none of them."""
    if m := _ISO.fullmatch(text):
        return _day(int(m[1]), int(m[2]), int(m[3])), "day"
    if m := _LONG.fullmatch(text):
        return _day(int(m[3]), int(m[2]), int(m[1])), "day"
    if m := _MONTH.fullmatch(text):
        return _day(int(m[2]), int(m[1]), 1), "month"
    if m := _QUARTER.fullmatch(text):
        return _day(int(m[2]), 3 * _ROMAN[m[1]] - 2, 1), "quarter"
    if m := _YEAR.fullmatch(text):
        return _day(int(m[1]), 1, 1), "year"
    return None


def _dmy_fields(value: object) -> tuple[int, int, int] | None:
    """The (first, second, year) fields of a ``15/06/2019``-like cell, or None."""
    if not isinstance(value, str) or not (m := _DMY.fullmatch(_clean(value))):
        return None
    year = int(m[4])
    if len(m[4]) == 2:
        year += 2000 if year < TWO_DIGIT_PIVOT else 1900
    return int(m[1]), int(m[3]), year


#: The day/month orders a column can show (see :func:`parse_dates`).
COLUMN_ORDERS = ("day_first", "month_first", "mixed", "day_first_assumed")


def _column_order(fields: list[tuple[int, int, int]]) -> str:
    """``day_first``, ``month_first``, ``mixed`` or ``day_first_assumed`` from the column's cells."""
    day_first = any(first > 12 for first, _, _ in fields)
    month_first = any(second > 12 for _, second, _ in fields)
    if day_first and month_first:
        return "mixed"
    return "day_first" if day_first else "month_first" if month_first else "day_first_assumed"


def _parse_dmy(fields: tuple[int, int, int], order: str) -> tuple[date, str]:
    """Apply the column order to one cell; under ``mixed`` only self-evident cells pass."""
    first, second, year = fields
    if order == "mixed":
        if first <= 12 and second <= 12 and first != second:
            raise ValueParseError(
                f"{first}/{second}/{year} could be day or month first in a mixed column",
                reasons.AMBIGUOUS_DAY_MONTH,
            )
        order = "month_first" if second > 12 else "day_first"
    day, month = (second, first) if order == "month_first" else (first, second)
    return _day(year, month, day), order


def _parse_cell(
    value: object, order: str, date_system: Literal[1900, 1904], window: tuple[int, int]
) -> tuple[date, str, str | None]:
    """(date, precision, day_month_order) of one non-blank cell, or raise ``ValueParseError``."""
    if isinstance(value, datetime | pd.Timestamp):
        return value.date(), "day", None
    if isinstance(value, date):
        return value, "day", None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return (*_number(value, date_system, window), None)
    if (fields := _dmy_fields(value)) is not None:
        day, used = _parse_dmy(fields, order)
        return day, "day", used
    text = _clean(value)
    if _SERIAL.fullmatch(text):
        return (*_number(text.replace(",", "."), date_system, window), None)
    if (found := _labelled(text)) is not None:
        return (*found, None)
    raise ValueParseError(f"{value!r} is not a date; write dd/mm/yyyy", reasons.BAD_DATE)




def parse_dates(
    values: Iterable[object],
    *,
    date_system: Literal[1900, 1904] = 1900,
    serial_window: tuple[int, int] = (20000, 60000),
    order: str | None = None,
) -> pd.DataFrame:
    """Parse one column of dates, deciding the day/month order for the whole column.

    Parameters
    ----------
    values : iterable or Series
        Text (``15/06/2019``, ``15-6-19``, ``2019-06-15``, ``ngày 5 tháng 6 năm 2019``,
        ``tháng 6/2019``, ``T6/2019``, ``quý II/2019``, ``Q2-2019``, ``năm 2019``), Excel serials
        (numbers or digit text) and native dates; a Series keeps its index.
    date_system : {1900, 1904}, default 1900
        The workbook's Excel date system.
    serial_window : (int, int), default (20000, 60000)
        Serials accepted as dates (1954-09-26 to 2064-04-08); whole numbers 1900-2100 are years.
    order : {"day_first", "month_first", "mixed", "day_first_assumed"}, optional
        The order the whole column showed, when these cells are only a part of it (re-running
        a reviewed row); by default the cells decide. The order used is ``result.attrs["order"]``.

    Returns
    -------
    DataFrame
        ``date`` (datetime64; the first day of a month, quarter or year; NaT when rejected or
        blank), ``date_precision`` (day, month, quarter, year), ``day_month_order``
        (``day_first``, ``month_first`` or ``day_first_assumed`` for dd/mm cells, else None)
        and ``reason`` (``BAD_DATE``, ``AMBIGUOUS_DAY_MONTH`` or None).

    Examples
    --------
    >>> out = parse_dates(["6/15/2019", "06/07/2019", 43631, "quý II/2019"])
    >>> out["date"].dt.strftime("%Y-%m-%d").tolist()
    ['2019-06-15', '2019-06-07', '2019-06-15', '2019-04-01']
    >>> out["date_precision"].tolist(), out["day_month_order"].tolist()[:2]
    (['day', 'day', 'day', 'quarter'], ['month_first', 'month_first'])
    >>> parse_dates(["06/07/2019"], order="month_first")["date"].dt.strftime("%Y-%m-%d").tolist()
    ['2019-06-07']
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, distinct = distinct_cells(series)  # each distinct cell is parsed once
    if order is None:
        order = _column_order([f for v in distinct if (f := _dmy_fields(v)) is not None])
    elif order not in COLUMN_ORDERS:
        raise ParserOptionError(f"order {order!r} is not allowed; use one of {', '.join(COLUMN_ORDERS)}")
    days, precisions, orders, why = [], [None], [None], [None]  # slot 0: the blank cells
    for value in distinct:
        try:
            day, precision, used = _parse_cell(value, order, date_system, serial_window)
            days.append(np.datetime64(day, "s"))
            precisions.append(precision)
            orders.append(used)
            why.append(None)
        except ValueParseError as error:
            days.append(np.datetime64("NaT", "s"))
            precisions.append(None)
            orders.append(None)
            why.append(error.reason)
    take = codes + 1  # blank cells (-1) take slot 0
    dates = np.array([np.datetime64("NaT", "s"), *days], dtype="datetime64[s]")[take]
    labels = {"date_precision": precisions, "day_month_order": orders, "reason": why}
    result = pd.DataFrame(
        {
            "date": pd.Series(dates, index=series.index),
            **{k: pd.Series(np.array(v, dtype=object)[take], index=series.index, dtype=object)
               for k, v in labels.items()},
        }
    )
    result.attrs["order"] = order
    return result
