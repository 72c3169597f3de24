"""Numbers in Vietnamese and English formats, and money as integer VND.

Vietnamese writes ``1.234.567,5`` (dot between thousands, comma before decimals); English writes
``1,234,567.5``. Most cells tell which convention they use; a cell with one separator followed by
exactly three digits (``2.500``, ``2,500``) does not, so :func:`parse_numbers` decides per column
from the cells that do (``docs/data-realities.md`` §6.3). Money is returned as whole đồng
(``int``), never as a float.

Examples
--------
>>> parse_number("1.234.567,5")
1234567.5
>>> parse_money_vnd("15 triệu")
15000000
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

import numpy as np
import pandas as pd

from etl import reasons
from etl.errors import ParserOptionError, ValueParseError
from etl.text import distinct_cells

MAX_VND = 2**63 - 1
"""The largest amount kept: money is stored as a 64-bit integer (``BIGINT``) of đồng."""

_SPACES = re.compile(r"[\s\u00a0\u2009\u202f]+")
_DIGIT_SPACES = re.compile(r"(?<=[\d.,]) (?=\d)")
_NUMBER_WITH_UNIT = re.compile(r"(?P<num>[+-]?\d[\d.,]*)(?:\s*[^\W\d_]+(?:\s+[^\W\d_]+)*)?")
_MULTIPLIERS = {
    "tỷ": 10**9,
    "tỉ": 10**9,
    "triệu": 10**6,
    "tr": 10**6,
    "nghìn": 10**3,
    "ngàn": 10**3,
    "k": 10**3,
}
_CURRENCY = r"(?:vnđ|vnd|đồng|đ)"
_MONEY_PART = re.compile(r"(?P<num>\d[\d.,]*)\s*(?P<unit>tỷ|tỉ|triệu|tr|nghìn|ngàn|k)?")
_MONEY = re.compile(rf"(?:\d[\d.,]*\s*(?:tỷ|tỉ|triệu|tr|nghìn|ngàn|k)?\s*)+{_CURRENCY}?")


def _is_thousands(groups: list[str]) -> bool:
    """True when ``groups`` (split at one separator) are valid thousands groups: 1-3 digits, then 3s."""
    head, tail = groups[0], groups[1:]
    return 1 <= len(head) <= 3 and head != "0" and all(len(g) == 3 for g in tail)


def _evidence(num: str) -> str | None:
    """The decimal mark a number string proves by itself (``","`` or ``"."``), or None."""
    body = num.lstrip("+-")
    if "," in body and "." in body:
        return "," if body.rfind(",") > body.rfind(".") else "."
    for mark, other in ((",", "."), (".", ",")):
        if body.count(mark) > 1:
            return other
        if body.count(mark) == 1:
            head, tail = body.split(mark)
            if len(tail) != 3 or head == "0" or len(head) > 3:
                return mark
    return None


def _to_decimal(num: str, ambiguity: str | None) -> Decimal:
    """Convert a bare number string; ``ambiguity`` is the decimal mark for ``2,500``-like cells.

    ``None`` applies the Vietnamese default (a lone ``.`` separates thousands, a lone ``,`` is
    ambiguous); ``"flag"`` makes every such cell ambiguous.
    """
    sign, body = ("-", num[1:]) if num.startswith("-") else ("", num.lstrip("+"))
    mark = _evidence(body)
    if mark is None and ("," in body or "." in body):
        lone = "," if "," in body else "."
        if ambiguity in (",", "."):
            mark = ambiguity if ambiguity == lone else ("," if lone == "." else ".")
        elif ambiguity is None and lone == ".":
            mark = ","
        else:
            raise ValueParseError(
                f"number {num!r} could be {body.replace(lone, '')} or "
                f"{body.replace(lone, '.')}; decide the column's convention",
                reasons.AMBIGUOUS_NUMBER,
            )
    integer, _, fraction = body.partition(mark) if mark else (body, "", "")
    thousands = "." if mark == "," else ","
    groups = integer.split(thousands)
    if (
        not integer
        or (len(groups) > 1 and not _is_thousands(groups))
        or (bool(mark) and mark in body and not fraction)
        or not "".join(groups).isdigit()
        or (fraction and not fraction.isdigit())
    ):
        raise ValueParseError(
            f"number {num!r} has misplaced separators; write 1.234.567,5", reasons.BAD_NUMBER
        )
    return Decimal(sign + "".join(groups) + ("." + fraction if fraction else ""))


def _clean(text: object) -> str:
    """NFC, case-folded, trimmed text of a cell."""
    return unicodedata.normalize("NFC", str(text)).strip().casefold()




def _squeeze(text: object) -> str:
    """The cleaned cell with spaces between digits removed (``1 234 567``) and other runs made single."""
    return _DIGIT_SPACES.sub("", _SPACES.sub(" ", _clean(text)))


def parse_number(text: object, *, decimal_mark: str | None = None) -> float:
    """Parse one number written in Vietnamese or English format.

    Parameters
    ----------
    text : object
        The cell; a trailing unit word (``03 vụ``, ``2 đối tượng``) is dropped.
    decimal_mark : {None, ",", "."}, default None
        The column's decimal mark, used only for cells that do not show it themselves
        (one separator then three digits). ``None`` reads ``2.500`` as 2500 (Vietnamese) and
        rejects ``2,500`` as ambiguous.

    Returns
    -------
    float

    Raises
    ------
    ValueParseError
        With reason ``BAD_NUMBER`` (also for a number beyond the float range) or ``AMBIGUOUS_NUMBER``.

    Examples
    --------
    >>> parse_number("1,234,567.5"), parse_number("12,5"), parse_number("2.500"), parse_number("03 vụ")
    (1234567.5, 12.5, 2500.0, 3.0)
    >>> parse_number("2,500", decimal_mark=".")
    2500.0
    """
    if decimal_mark not in (None, ",", "."):
        raise ValueParseError(
            f"decimal_mark {decimal_mark!r} is not allowed; use None, ',' or '.'", reasons.BAD_NUMBER
        )
    return _finite(_parse_decimal(text, decimal_mark), text)


def _finite(value: Decimal, text: object) -> float:
    """``value`` as a float, or ``BAD_NUMBER`` when it is infinite or beyond the float range."""
    number = float(value)
    if not math.isfinite(number):
        raise ValueParseError(f"number {str(text)[:40]!r} is too large to be a count or amount",
                              reasons.BAD_NUMBER)
    return number


def _parse_decimal(text: object, ambiguity: str | None) -> Decimal:
    """The Decimal value of a number cell, unit word dropped."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        if text != text:
            raise ValueParseError(
                "number is blank; leave it empty only where blank is allowed", reasons.BAD_NUMBER
            )
        return Decimal(text) if isinstance(text, int) else Decimal(str(text))
    match = _NUMBER_WITH_UNIT.fullmatch(_squeeze(text))
    if match is None:
        raise ValueParseError(
            f"{text!r} is not a number; write digits such as 1.234.567,5", reasons.BAD_NUMBER
        )
    return _to_decimal(match.group("num"), ambiguity)


def _column_mark(cells: list[str]) -> str | None:
    """The decimal mark the column proves: one mark, ``None`` if none, ``"flag"`` if they conflict."""
    marks = {_evidence(c) for c in cells} - {None}
    return marks.pop() if len(marks) == 1 else ("flag" if marks else None)


def parse_numbers(values: Iterable[object], *, decimal_mark: str | None = None) -> pd.DataFrame:
    """Parse a column of numbers, deciding the decimal mark from the column itself.

    Parameters
    ----------
    values : iterable or Series
        The cells; a Series keeps its index.
    decimal_mark : {",", ".", "flag"}, optional
        The mark the whole column proved, when these cells are only a part of it (re-running a
        reviewed row); by default the cells decide. The mark used is ``result.attrs["decimal_mark"]``.

    Returns
    -------
    DataFrame
        ``value`` (float, NaN when rejected or blank) and ``reason`` (a code of ``etl.reasons``,
        None when parsed or blank).

    Examples
    --------
    >>> parse_numbers(["2,500", "1,234.5"])["value"].tolist()  # the second cell shows '.' is decimal
    [2500.0, 1234.5]
    >>> parse_numbers(["2,500", "12,5"])["value"].tolist()     # here ',' is decimal
    [2.5, 12.5]
    >>> parse_numbers(["2,500", "x"])["reason"].tolist()
    ['AMBIGUOUS_NUMBER', 'BAD_NUMBER']
    >>> parse_numbers(["2,500"], decimal_mark=",")["value"].tolist()  # the column had 12,5
    [2.5]
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, distinct = distinct_cells(series)  # each distinct cell is parsed once
    cells = [_squeeze(v) for v in distinct if isinstance(v, str)]
    if decimal_mark is None:
        mark = _column_mark([m.group("num") for c in cells if (m := _NUMBER_WITH_UNIT.fullmatch(c))])
    elif decimal_mark in (",", ".", "flag"):
        mark = decimal_mark
    else:
        raise ParserOptionError(f"decimal_mark {decimal_mark!r} is not allowed; use ',', '.' or 'flag'")
    out, why = [float("nan")], [None]  # slot 0: the blank cells
    for value in distinct:
        try:
            out.append(_finite(_parse_decimal(value, mark), value))
            why.append(None)
        except ValueParseError as error:
            out.append(float("nan"))
            why.append(error.reason)
    take = codes + 1
    result = pd.DataFrame(
        {
            "value": pd.Series(np.array(out, dtype=float)[take], index=series.index, dtype=float),
            "reason": pd.Series(np.array(why, dtype=object)[take], index=series.index, dtype=object),
        }
    )
    result.attrs["decimal_mark"] = mark
    return result


def _money_parts(text: str) -> list[tuple[str, int]]:
    """Split ``1 tỷ 500 triệu đồng`` into ``[("1", 10**9), ("500", 10**6)]``; raise when malformed."""
    if not _MONEY.fullmatch(text):
        raise ValueParseError(f"{text!r} is not an amount; write 15.000.000đ or 15 triệu", reasons.BAD_MONEY)
    body = re.sub(rf"{_CURRENCY}$", "", text).strip()
    parts = [(m.group("num"), _MULTIPLIERS.get(m.group("unit") or "", 1)) for m in _MONEY_PART.finditer(body)]
    multipliers = [m for _, m in parts]
    if len(parts) > 1 and (1 in multipliers or multipliers != sorted(set(multipliers), reverse=True)):
        raise ValueParseError(
            f"{text!r} mixes units out of order; write e.g. '1 tỷ 500 triệu'", reasons.BAD_MONEY
        )
    return parts


def parse_money_vnd(text: object) -> int:
    """Parse an amount of money into whole Vietnamese đồng.

    Parameters
    ----------
    text : object
        ``15.000.000đ``, ``15.000.000 VNĐ``, ``15 triệu``, ``15tr``, ``1,5 tỷ``, ``500 nghìn``,
        ``500k``, ``1 tỷ 500 triệu`` or a plain integer. Without a unit word, a lone separator
        followed by three digits separates thousands (``2,500`` = 2500: money has no fractions).

    Returns
    -------
    int
        The amount in đồng.

    Raises
    ------
    ValueParseError
        With reason ``BAD_MONEY`` (also for a negative amount or one above ``MAX_VND``),
        ``AMBIGUOUS_NUMBER`` or ``FRACTIONAL_MONEY``.

    Examples
    --------
    >>> [parse_money_vnd(t) for t in ("15tr", "1,5 tỷ", "15.000.000 VNĐ", "500k", "1 tỷ 500 triệu")]
    [15000000, 1500000000, 15000000, 500000, 1500000000]
    """
    if isinstance(text, int) and not isinstance(text, bool):
        return _in_range(text, text)
    total = Decimal(0)
    for num, multiplier in _money_parts(_squeeze(text)):
        try:
            amount = _to_decimal(num, None)
        except ValueParseError:
            if multiplier != 1:
                raise
            amount = _to_decimal(num, ".")
        total += amount * multiplier
    if total != total.to_integral_value():
        raise ValueParseError(
            f"amount {text!r} = {total} đồng is not whole; check the separators", reasons.FRACTIONAL_MONEY
        )
    return _in_range(int(total), text)


def _in_range(amount: int, text: object) -> int:
    """``amount`` if it is a possible sum of đồng: not negative, and within a 64-bit integer column."""
    if not 0 <= amount <= MAX_VND:
        raise ValueParseError(
            f"amount {str(text)[:40]!r} is {'negative' if amount < 0 else 'beyond 9.2 × 10^18 đồng'}; "
            "write the amount in đồng, without a sign", reasons.BAD_MONEY)
    return amount


def parse_money(values: Iterable[object]) -> pd.DataFrame:
    """Parse a column of amounts into whole đồng.

    Parameters
    ----------
    values : iterable or Series
        The cells; a Series keeps its index.

    Returns
    -------
    DataFrame
        ``amount_vnd`` (nullable ``Int64``) and ``reason`` (None when parsed or blank).

    Examples
    --------
    >>> parse_money(["15 triệu", "", "nhiều tiền"]).to_dict("list")
    {'amount_vnd': [15000000, None, None], 'reason': [None, None, 'BAD_MONEY']}
    """
    series = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, distinct = distinct_cells(series)  # each distinct cell is parsed once
    out, why = [None], [None]  # slot 0: the blank cells
    for value in distinct:
        try:
            out.append(parse_money_vnd(value))
            why.append(None)
        except ValueParseError as error:
            out.append(None)
            why.append(error.reason)
    take = codes + 1
    return pd.DataFrame(
        {
            "amount_vnd": pd.Series(np.array(out, dtype=object)[take], index=series.index, dtype="Int64"),
            "reason": pd.Series(np.array(why, dtype=object)[take], index=series.index, dtype=object),
        }
    )
