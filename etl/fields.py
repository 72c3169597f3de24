"""Field parsing of the ingest: one column of a source frame into the values of a record kind.

Every helper reads a column of ``frame`` (the rows as read) and writes into ``out`` (the parsed
rows, same index): the parsed values, and for a row that cannot be loaded the first ``reason`` code
(``etl.reasons``) with a ``detail`` naming the field, the value and the fix; ``warning`` keeps the
first warning of a row (``UNKNOWN_LABEL``: loaded, but the label is not in the vocabulary).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import numpy as np
import pandas as pd

from etl import reasons
from etl.dates import parse_dates
from etl.headers import header_words
from etl.numbers import parse_money, parse_numbers
from etl.text import distinct_cells, is_blank
from etl.vocabulary import vocabulary
from geo.errors import PeriodError
from geo.periods import parse_period

_LIST_SEPARATORS = re.compile(r"\s*[;\n+]\s*")


def _context(frame: pd.DataFrame, column: str) -> dict:
    """What the whole source column showed (day/month order, decimal mark), when ``frame`` is a part.

    ``frame.attrs["column_context"]`` is set when reviewed rows are run again alone, from the
    context their file's ingest kept (see :func:`_keep_context`).
    """
    return frame.attrs.get("column_context", {}).get(column, {})


def _keep_context(out: pd.DataFrame, column: str, **decided) -> None:
    """Record in ``out.attrs["column_context"]`` what the column decided, for re-running its rows."""
    out.attrs.setdefault("column_context", {}).setdefault(column, {}).update(
        {k: v for k, v in decided.items() if v is not None})


def new_rows(index: pd.Index) -> pd.DataFrame:
    """An empty ``out`` frame: no reason, detail or warning yet."""
    out = pd.DataFrame(index=index)
    out["reason"], out["detail"], out["warning"] = None, None, None
    return out


def reject(out: pd.DataFrame, mask, code: str, details: str | Callable[[np.ndarray], list[str]]) -> None:
    """Set ``code`` on the rows of ``mask`` that have no reason yet, with their detail texts.

    ``details`` is one text for all of them, or a function given the boolean array of the rows
    rejected here that returns their texts (such as :func:`details_of`): a detail is built only for a
    row that gets it.

    Examples
    --------
    >>> out = new_rows(pd.RangeIndex(3))
    >>> reject(out, [True, False, False], "BAD_DATE", "ngày: x")
    >>> reject(out, [True, True, False], "BAD_NUMBER", lambda rows: [f"số {i}" for i in np.flatnonzero(rows)])
    >>> out["reason"].tolist(), out["detail"].tolist()
    (['BAD_DATE', 'BAD_NUMBER', None], ['ngày: x', 'số 1', None])
    """
    rows = (pd.Series(mask, index=out.index).astype(bool) & out["reason"].isna()).to_numpy()
    if not rows.any():
        return
    out.loc[rows, "detail"] = details if isinstance(details, str) else np.array(details(rows), dtype=object)
    out.loc[rows, "reason"] = code


def details_of(field: str, values, code: str, *, suffix: str = "") -> Callable[[np.ndarray], list[str]]:
    """The details for :func:`reject`, of the rows it picks: :func:`detail` of each value, plus ``suffix``.

    Examples
    --------
    >>> details_of("ngày", ["x", "31/02"], "BAD_DATE")(np.array([False, True]))[0][:10]
    'ngày: 31/0'
    """
    def build(rows: np.ndarray) -> list[str]:
        cells = np.fromiter(values, dtype=object, count=len(rows))  # lists and tuples stay cells
        return [detail(field, v, code) + suffix for v in cells[rows]]
    return build


def warn(out: pd.DataFrame, mask, code: str) -> None:
    """Set the warning ``code`` on the rows of ``mask`` that have no warning yet."""
    mask = pd.Series(mask, index=out.index).astype(bool) & out["warning"].isna()
    out.loc[mask, "warning"] = code


def text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text (None when blank or absent).

    Examples
    --------
    >>> text(pd.DataFrame({"a": [" x ", None, ""]}), "a").tolist()
    ['x', None, None]
    >>> text(pd.DataFrame(index=[0]), "b").tolist()
    [None]
    """
    if column not in frame:
        return pd.Series([None] * len(frame), index=frame.index, dtype=object)
    codes, distinct = distinct_cells(frame[column])
    stripped = np.array([None, *(str(v).strip() for v in distinct)], dtype=object)
    return pd.Series(stripped[codes + 1], index=frame.index, dtype=object)


def each_distinct(values: pd.Series, function: Callable[[Any], Any]) -> pd.Series:
    """``function`` of each value of a text column (str or None), called once per distinct value.

    A list result is a fresh list per row.

    Examples
    --------
    >>> each_distinct(pd.Series(["a", None, "a"]), lambda v: v and v.upper()).tolist()
    ['A', None, 'A']
    """
    codes, distinct = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    results = np.empty(len(distinct) + 1, dtype=object)  # the last one: of None, where codes are -1
    for i, value in enumerate([*distinct, None]):
        results[i] = function(value)
    picked = results[codes].tolist()
    if any(isinstance(r, list) for r in results):
        picked = [list(r) if isinstance(r, list) else r for r in picked]
    return pd.Series(picked, index=values.index, dtype=object)


def detail(field: str, value: Any, code: str) -> str:
    """The detail text of a rejection: the field, the value, what is wrong and the fix.

    Examples
    --------
    >>> detail("fine", "nhiều", "BAD_MONEY")[:40]
    'fine: nhiều — The amount of money cannot'
    """
    reason = reasons.explain(code)
    return f"{field}: {'' if is_blank(value) else value!s} — {reason.en} Fix: {reason.fix}"


def require(frame: pd.DataFrame, out: pd.DataFrame, columns: list[str], shown: str) -> None:
    """Reject with ``MISSING_FIELD`` the rows where every one of ``columns`` is blank."""
    blank = pd.Series(True, index=frame.index)
    for column in columns:
        blank &= text(frame, column).isna()
    reject(out, blank, reasons.MISSING_FIELD, detail(shown, None, reasons.MISSING_FIELD))


def dates(frame: pd.DataFrame, out: pd.DataFrame, column: str, *, required: bool) -> None:
    """``out[column]`` as ``datetime.date`` (None when blank); a bad date rejects the row."""
    raw = text(frame, column)
    if required:
        reject(out, raw.isna(), reasons.MISSING_FIELD, detail(column, None, reasons.MISSING_FIELD))
    if column not in frame:
        out[column] = None
        return
    parsed = parse_dates(frame[column], order=_context(frame, column).get("order"))
    _keep_context(out, column, order=parsed.attrs["order"])
    for code in parsed["reason"].dropna().unique():
        reject(out, parsed["reason"] == code, code, details_of(column, raw, code))
    days = parsed["date"].dt.date.to_numpy(dtype=object, copy=True)
    days[parsed["date"].isna().to_numpy()] = None
    out[column] = days.tolist()


def count(frame: pd.DataFrame, out: pd.DataFrame, column: str, *, target: str | None = None,
          whole: bool = True) -> None:
    """A count (of people, activities): a non-negative number, whole unless ``whole`` is False.

    Anything else rejects the row with ``BAD_NUMBER``; the value goes to ``out[target or column]``.
    """
    target = target or column
    if column not in frame:
        out[target] = None
        return
    parsed = parse_numbers(frame[column], decimal_mark=_context(frame, column).get("decimal_mark"))
    _keep_context(out, column, decimal_mark=parsed.attrs["decimal_mark"])
    numbers = parsed["value"]
    fits = numbers.notna() & (numbers >= 0) & ((numbers % 1 == 0) if whole else True)
    bad = text(frame, column).notna() & ~fits
    reject(out, bad, reasons.BAD_NUMBER, details_of(column, frame[column], reasons.BAD_NUMBER))
    keep = (~bad & numbers.notna()).tolist()
    cast = int if whole else float
    out[target] = [cast(v) if k else None for v, k in zip(numbers.tolist(), keep, strict=True)]


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}


def period_label(value: str | None) -> str | None:
    """The canonical label (``geo.periods``) of a reporting period as reports write it; None if unreadable.

    Examples
    --------
    >>> [period_label(v) for v in ("2018", "Năm 2018", "2018-Q2", "Quý II/2018", "Quý 3 năm 2018")]
    ['2018', '2018', '2018-Q2', '2018-Q2', '2018-Q3']
    >>> [period_label(v) for v in ("6 tháng 2018", "6 tháng cuối năm 2018", "9 tháng đầu năm 2018")]
    ['2018-H1', '2018-H2', '2018-9M']
    >>> [period_label(v) for v in ("Tháng 6/2018", "06/2018", "2018-H1", "Quý V/2018", "hôm qua")]
    ['2018-06', '2018-06', '2018-H1', None, None]
    """
    if value is None:
        return None
    try:
        return parse_period(str(value).strip()).label
    except PeriodError:
        pass
    words = header_words(value)
    years = [w for w in words if len(w) == 4 and w.isdigit()]
    if len(years) != 1:
        return None
    rest = [w for w in words if w not in (years[0], "nam", "dau")]
    label = _period_words(years[0], rest)
    try:
        return None if label is None else parse_period(label).label
    except PeriodError:
        return None


def _period_words(year: str, rest: list[str]) -> str | None:
    """The label of ``year`` and the other words of a Vietnamese period (quý, tháng, 6/9 tháng)."""
    if not rest:
        return year
    if rest[0] == "quy" and len(rest) == 2:
        number = _ROMAN.get(rest[1]) or (int(rest[1]) if rest[1].isdigit() else 0)
        return f"{year}-Q{number}"
    if len(rest) >= 2 and rest[1] == "thang" and rest[0] in ("6", "9"):
        return f"{year}-{'9M' if rest[0] == '9' else 'H2' if 'cuoi' in rest else 'H1'}"
    month = rest[1] if rest[0] == "thang" and len(rest) == 2 else rest[0] if len(rest) == 1 else ""
    return f"{year}-{int(month):02d}" if month.isdigit() else None


def periods(frame: pd.DataFrame, out: pd.DataFrame, column: str = "period") -> None:
    """``out[column]``: the canonical period label (required); ``out["period_last_day"]`` its last day.

    The last day chooses the boundary vintage the row's commune is read on (the vintage a
    classification of the period uses).
    """
    raw = text(frame, column)
    reject(out, raw.isna(), reasons.MISSING_FIELD, detail(column, None, reasons.MISSING_FIELD))
    labels = each_distinct(raw, period_label)
    reject(out, raw.notna() & labels.isna(), reasons.BAD_PERIOD,
           details_of(column, raw, reasons.BAD_PERIOD))
    out[column] = labels
    out["period_last_day"] = each_distinct(
        labels, lambda v: None if v is None else parse_period(v).end - timedelta(days=1))


def money(frame: pd.DataFrame, out: pd.DataFrame, column: str, target: str) -> None:
    """``out[target]``: an amount in whole đồng (``15 triệu`` = 15000000); a bad amount rejects the row."""
    if column not in frame:
        out[target] = None
        return
    parsed = parse_money(frame[column])
    for code in parsed["reason"].dropna().unique():
        reject(out, parsed["reason"] == code, code, details_of(column, frame[column], code))
    out[target] = [None if pd.isna(v) else int(v) for v in parsed["amount_vnd"]]


def coded(frame: pd.DataFrame, out: pd.DataFrame, column: str, table: str, *, target: str,
          label: str | None = None, required: bool = False, strict: bool = True) -> None:
    """``out[target]``: the code of a label through the vocabulary ``table``; the label in ``out[label]``.

    A label the table does not list loads as the table's ``unknown`` code with the warning
    ``UNKNOWN_LABEL``; a closed table (no ``unknown`` code) rejects the row with ``NOT_IN_VOCABULARY``,
    unless ``strict`` is False: the code is then None, with the warning.
    """
    words = vocabulary(table)
    raw = text(frame, column)
    if required:
        reject(out, raw.isna(), reasons.MISSING_FIELD, detail(column, None, reasons.MISSING_FIELD))
    known = each_distinct(raw, lambda v: v is not None and words.knows(v)).astype(bool)
    unknown = raw.notna() & ~known
    if words.unknown is None and strict:
        allowed = f" Allowed codes: {words.labels()}."
        reject(out, unknown, reasons.NOT_IN_VOCABULARY,
               details_of(column, raw, reasons.NOT_IN_VOCABULARY, suffix=allowed))
    else:
        warn(out, unknown, reasons.UNKNOWN_LABEL)
    out[target] = each_distinct(raw, words.code)
    if label:
        out[label] = raw


def coded_list(frame: pd.DataFrame, out: pd.DataFrame, column: str, table: str, *, target: str,
               label: str) -> None:
    """Several labels in one cell (``Mua dâm; Không có hợp đồng lao động``): lists of codes and labels.

    Examples
    --------
    >>> out = new_rows(pd.RangeIndex(2))
    >>> coded_list(pd.DataFrame({"v": ["Mua dâm; Lạ", None]}), out, "v", "violation_types",
    ...            target="codes", label="labels")
    >>> out["codes"].tolist(), out["labels"].tolist(), out["warning"].tolist()
    ([['mua_dam', 'other'], []], [['Mua dâm', 'Lạ'], None], ['UNKNOWN_LABEL', None])
    """
    words = vocabulary(table)
    raw = text(frame, column)
    labels = each_distinct(raw, lambda v: None if v is None else _split_labels(v, words))
    unknown = each_distinct(raw, lambda v: v is not None and not all(words.knows(p) for p in
                                                                     _split_labels(v, words)))
    warn(out, unknown.astype(bool), reasons.UNKNOWN_LABEL)
    out[target] = each_distinct(raw, lambda v: [] if v is None else list(dict.fromkeys(
        words.code(p) for p in _split_labels(v, words))))
    out[label] = labels


def _split_labels(cell: str, words) -> list[str]:
    """Split on ``;``, ``+`` and line breaks; a part that is no label splits on commas if all pieces are.

    A comma is also part of labels (``Khiêu dâm, kích dục``), so it separates only where that gives
    known labels.
    """
    labels = []
    for part in filter(None, _LIST_SEPARATORS.split(cell)):
        pieces = [p.strip() for p in part.split(",") if p.strip()]
        known = len(pieces) > 1 and not words.knows(part) and all(words.knows(p) for p in pieces)
        labels.extend(pieces if known else [part])
    return labels


def yes_no(frame: pd.DataFrame, out: pd.DataFrame, column: str) -> None:
    """``out[column]``: True, False or None (blank or not a yes/no word)."""
    words = vocabulary("yes_no")
    out[column] = each_distinct(text(frame, column), lambda v: {"yes": True, "no": False}.get(words.code(v)))
