"""Read the sheets of an .xlsx workbook in openpyxl's streaming mode, within the limits of ``etl.filetypes``.

``load_workbook(read_only=True)`` keeps the workbook on disk and parses one sheet's XML as it goes. The
sheet's rows are taken from openpyxl's worksheet parser itself, cell by cell, so that a row holding one
cell at column XFD is never padded to 16,384 cells and a missing row costs nothing; its merged ranges
come from the same pass (read-only worksheets do not expose them). A sheet whose declared dimension or
actual extent exceeds :data:`~etl.filetypes.MAX_ROWS`, :data:`~etl.filetypes.MAX_COLUMNS` or the cell
budget is refused before it is put in memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.worksheet._reader import WorkSheetParser

from etl.errors import FileTooLargeError, SourceFileError
from etl.filetypes import MAX_COLUMNS, MAX_MERGED_CELLS, MAX_ROWS

MAX_MERGES = 100_000
"""Most merged ranges a sheet may declare (a report template has tens)."""
_MERGE_TAG = b"mergeCell"
_FIX = ("delete the unused rows and columns (or copy the data into a new sheet) and save again, or "
        "split the sheet into several files")


def open_workbook(path: Path):
    """The workbook in read-only (streaming) mode with cached formula values; the caller closes it.

    Raises
    ------
    etl.errors.SourceFileError
        For a file openpyxl cannot read, naming the file and the fix.
    """
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises zipfile, KeyError, XML and its own errors on a bad file
        raise SourceFileError(
            f"{path}: not a readable .xlsx workbook ({type(exc).__name__}: {exc}); open it in Excel or "
            "LibreOffice and save it again as .xlsx.",
            path=str(path),
        ) from exc


def sheet_grid(book, name: str, path: Path, budget: int) -> tuple[list[Any], list[tuple[int, int, int, int]]]:
    """The rows (trailing empty cells cut) and 0-based merged ranges of one sheet, within the limits.

    Parameters
    ----------
    book : openpyxl.Workbook
        Opened by :func:`open_workbook`.
    name : str
        The sheet.
    path : pathlib.Path
        The file, for messages.
    budget : int
        Most cells (rows x widest row) the sheet may take.

    Returns
    -------
    rows : list
        One sequence of cell values per row from row 1, empty for an empty row; strings stripped.
    merges : list of tuple
        ``(top, left, bottom, right)``, 0-based, of each merged range.

    Raises
    ------
    etl.errors.FileTooLargeError
        When the sheet declares or holds more rows, columns, cells or merged cells than allowed.
    """
    work = book[name]
    where = f"{path}, sheet {name!r}"
    _check_extent(where, path, name, work.max_row or 0, work.max_column or 0, "declares cells up to")
    with work._get_source() as source:  # the sheet's XML inside the zip (openpyxl's read-only API)
        guarded = _MergeGuard(source, where, path, name)
        parser = WorkSheetParser(guarded, work._shared_strings, data_only=True, epoch=book.epoch,
                                 date_formats=book._date_formats, timedelta_formats=book._timedelta_formats)
        rows = _rows(parser.parse(), where, path, name, budget)
    merges = _merges(parser.merged_cells, where, path, name)
    bottom = max((m[2] for m in merges), default=-1)
    rows.extend([()] * (bottom + 1 - len(rows)))  # merged cells below the last value
    return rows, merges


def _rows(parsed, where: str, path: Path, name: str, budget: int) -> list[Any]:
    rows: list[Any] = []
    width = 0
    for number, cells in parsed:
        values = {c["column"]: _cell(c["value"]) for c in cells}
        used = [column for column, value in values.items() if value is not None]
        if not used:
            continue
        last = max(used)
        _check_extent(where, path, name, number, last, "holds a value at")
        if number <= len(rows):
            raise FileTooLargeError(
                f"{where}, row {number}: rows out of order in the file; open it in Excel or LibreOffice "
                "and save it again.", path=str(path), sheet=name, row=number)
        rows.extend([()] * (number - 1 - len(rows)))
        rows.append([values.get(column) for column in range(1, last + 1)])
        width = max(width, last)
        if len(rows) * width > budget:
            raise FileTooLargeError(
                f"{where}: {len(rows):,} rows of up to {width} columns by row {number}, more cells than "
                f"the {budget:,} a file may have; {_FIX}.", path=str(path), sheet=name, row=number)
    return rows


def _check_extent(where: str, path: Path, name: str, rows: int, columns: int, verb: str) -> None:
    if rows > MAX_ROWS or columns > MAX_COLUMNS:
        cell = f"{get_column_letter(min(max(columns, 1), 18278))}{rows}"
        raise FileTooLargeError(
            f"{where}: the sheet {verb} {cell} ({columns:,} columns, {rows:,} rows), beyond the limits of "
            f"{MAX_COLUMNS} columns and {MAX_ROWS:,} rows; {_FIX}.", path=str(path), sheet=name)


def _merges(found, where: str, path: Path, name: str) -> list[tuple[int, int, int, int]]:
    merges = []
    for merged in found.mergeCell if found is not None else []:
        left, top, right, bottom = range_boundaries(merged.ref)
        _check_extent(where, path, name, bottom, right, "merges cells up to")
        merges.append((top - 1, left - 1, bottom - 1, right - 1))
    covered = sum((b - t + 1) * (r - c + 1) for t, c, b, r in merges)
    if covered > MAX_MERGED_CELLS:
        raise FileTooLargeError(
            f"{where}: its merged ranges cover {covered:,} cells, more than the {MAX_MERGED_CELLS:,} "
            "allowed; unmerge the cells of the data rows (Home > Merge > Unmerge) and save again.",
            path=str(path), sheet=name)
    return merges


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip() or None
    return value


class _MergeGuard:
    """A sheet's XML stream that refuses more than :data:`MAX_MERGES` merged ranges as it is read.

    openpyxl builds the ``<mergeCells>`` element whole before it reads it: counting ``mergeCell`` in
    the bytes on their way to the parser stops a sheet of millions of them first.
    """

    def __init__(self, source, where: str, path: Path, name: str) -> None:
        self._source, self._where, self._path, self._name = source, where, path, name
        self._tail, self._seen = b"", 0

    def read(self, size: int = -1) -> bytes:
        data = self._source.read(size)
        self._seen += (self._tail + data).count(_MERGE_TAG)  # the tail is too short to hold one alone
        self._tail = data[-(len(_MERGE_TAG) - 1):]
        if self._seen > MAX_MERGES + 1:  # + the <mergeCells> element itself
            raise FileTooLargeError(
                f"{self._where}: more than {MAX_MERGES:,} merged ranges; unmerge the cells of the data "
                "rows (Home > Merge > Unmerge) and save again.", path=str(self._path), sheet=self._name)
        return data
