"""Read a source file into a frame: CSV, XLSX, GeoJSON, GeoPackage or a zipped Shapefile.

Every reader ends the same way: the header row is found (below the title rows of a report
template), headers are mapped to canonical fields (``etl.headers``), every column that is no field of
the kind (forbidden ones first) is dropped *before* its values enter the frame (privacy, DOMAIN.md),
every kept row carries the row number the sender sees (``source_row``: the Excel row, the CSV record
counted from 1 with the header, or the feature number), and text columns are repaired
(``etl.text.repair_frame``: NFC, TCVN3, VNI, mojibake).

Values are not parsed here: dates, numbers and coordinates stay as the file gives them (strings for
CSV; what openpyxl returns for XLSX) for the parsers of ``etl.dates``, ``etl.numbers`` and
``etl.coordinates``. Vector formats keep their geometry, converted to EPSG:4326 when the file
declares a CRS.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

import pandas as pd
import pyogrio
from openpyxl.utils import get_column_letter

from etl.errors import FileContentError, FileTooLargeError, SourceFileError, UnsupportedFormatError
from etl.filetypes import MAX_CELLS, MAX_COLUMNS, MAX_ROWS, check_content, shapefile_members, vector_uri
from etl.headers import (
    DroppedColumn,
    HeaderMapping,
    Kind,
    header_key,
    header_score,
    load_mapping,
    map_headers,
)
from etl.text import SourceCodec, decode_bytes, repair_column, repair_frame
from etl.workbooks import open_workbook, sheet_grid

SCAN_ROWS = 30
"""How many rows from the top are searched for the header row."""
MIN_HEADER_SCORE = 2
"""Least number of distinct known headers (synonyms, mapping keys or forbidden headers) a row needs to be
taken as the header row; one suffices on the first non-empty row of the file."""
STORAGE_CRS = "EPSG:4326"
_DELIMITERS = (";", "\t", ",")  # on a tie, ";" first: Vietnamese CSV with decimal commas uses it
_FORMATS = ".csv, .txt, .xlsx, .xlsm, .geojson, .json, .gpkg, .zip (Shapefile)"


@dataclass(frozen=True)
class ReadResult:
    """A file read into a frame, with what was learnt on the way.

    ``frame`` holds the kept columns (canonical names where the header matched) plus ``source_row``
    (1-based row of the file) and, for a workbook read whole, ``source_sheet``; vector formats give a
    GeoDataFrame. ``sheet`` and ``header_row`` are set when one sheet was read; ``sheets`` maps every
    sheet read to its header row. ``dropped_columns`` lists every column not kept, with its reason
    (privacy, or no field of the kind: only mapped fields are kept), ``unmatched`` the dropped headers
    that name no person, only no field, ``text_report`` the per-column text repair
    report, ``crs`` the CRS the file declared, ``notes`` anything else worth telling the sender.
    """

    frame: pd.DataFrame
    source: str
    sheet: str | None
    header_row: int | None
    encoding: str | None
    dropped_columns: list[DroppedColumn]
    notes: list[str]
    unmatched: list[str] = field(default_factory=list)
    sheets: dict[str, int] = field(default_factory=dict)
    text_report: pd.DataFrame = field(default_factory=pd.DataFrame)
    crs: str | None = None


@dataclass
class _Grid:
    rows: list[list[Any]]
    merges: list[tuple[int, int, int, int]]  # 0-based min_row, min_col, max_row, max_col
    letters: bool  # name header-less columns by spreadsheet letter
    codec: SourceCodec | None = None  # cells decoded with it and not normalised (a cp1258 CSV)


def read_table(
    path: str | Path,
    *,
    sheet: str | None = None,
    kind: Kind | None = None,
    mapping: dict[str, str] | str | Path | None = None,
) -> ReadResult:
    r"""Read a CSV, XLSX, GeoJSON, GeoPackage or zipped Shapefile into a frame.

    Parameters
    ----------
    path : str or pathlib.Path
        The file. The format is chosen by extension.
    sheet : str, optional
        The worksheet of a workbook (all sheets with a header row when None, stacked with a
        ``source_sheet`` column), or the layer of a GeoPackage or zip (the first when None).
    kind : {"establishments", "sites", "site-events", "incidents", "inspections"}, optional
        The record kind whose fields the headers are mapped to; None keeps the source headers.
    mapping : dict or path, optional
        User header overrides (``--mapping``), see :func:`etl.headers.map_headers`.

    Returns
    -------
    ReadResult
        Geometry, when present, is in EPSG:4326 if the file declared a CRS (``crs`` records it).

    Raises
    ------
    UnsupportedFormatError
        For an extension no reader handles.
    FileContentError
        For bytes that do not match the extension (XML such as a GDAL VRT in a .geojson, a zip in a
        .gpkg), or a path, sheet or zip member pointing elsewhere (``/vsi``, ``..``).
    FileTooLargeError
        For a file beyond the limits of ``etl.filetypes`` (``MAX_ROWS``, ``MAX_COLUMNS``, ``MAX_CELLS``,
        bytes, unpacked zip size).
    SourceFileError
        For a missing or unreadable file, an unknown sheet or layer, no recognisable header row, or a
        CSV row wider than its header; the message names the file (sheet, row) and the fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = pathlib.Path(tmp, "kt.csv")
    ...     data = "Ten co so;Ngay KT;SDT\nKaraoke Hoa Sen;15/06/2019;0909\n"
    ...     _ = file.write_bytes(data.encode("utf-8-sig"))
    ...     result = read_table(file, kind="inspections")
    >>> result.frame.to_dict("records")
    [{'source_row': 2, 'establishment_name': 'Karaoke Hoa Sen', 'inspection_date': '15/06/2019'}]
    >>> result.encoding, [d.column for d in result.dropped_columns]
    ('utf-8-sig', ['SDT'])
    """
    path = Path(path)
    suffix = "".join(path.suffixes[-2:]).lower() if path.suffix.lower() == ".zip" else path.suffix.lower()
    suffix = suffix if suffix in _READERS else path.suffix.lower()
    reader = _READERS.get(suffix)
    if reader is None:
        raise UnsupportedFormatError(
            f"{path}: cannot read {path.suffix or 'a file without extension'!r} files; "
            f"save it as one of {_FORMATS} (an old .xls workbook: open it and save as .xlsx).",
            path=str(path),
        )
    if "/vsi" in f"{path}/{sheet}".lower():
        raise FileContentError(
            f"{path}: a path or sheet naming a GDAL virtual file system ('/vsi...') is refused; give the "
            "path of a file on this computer and the plain name of its sheet or layer.",
            path=str(path),
        )
    if not path.is_file():
        raise SourceFileError(f"{path}: no such file; check the path.", path=str(path))
    check_content(path, suffix)
    return reader(path, sheet, kind, mapping)


# --- CSV -------------------------------------------------------------------------------------------


def _read_csv(path: Path, sheet: str | None, kind: Kind | None, mapping: Any) -> ReadResult:
    # Windows-1258 text stays un-normalised so legacy TCVN3/VNI cells keep their bytes (etl.text).
    text, encoding = decode_bytes(path.read_bytes(), source=str(path), raw_cp1258=True)  # size checked
    delimiter = _sniff_delimiter(text[: 2**20].splitlines()[:50])
    rows = _csv_rows(path, text, delimiter)
    codec: SourceCodec | None = "cp1258" if encoding == "cp1258" else None
    frame, header_row, result = _tabulate(_Grid(rows, [], False, codec), str(path), None, kind, mapping)
    notes = [f"delimiter {delimiter!r}"]
    return _finish(frame, result, str(path), None, header_row, encoding, notes, codec=codec)


def _csv_rows(path: Path, text: str, delimiter: str) -> list[list[Any]]:
    """The records of a CSV, trailing empty cells cut; refused past MAX_ROWS, MAX_COLUMNS, MAX_CELLS."""
    rows: list[list[Any]] = []
    width = number = 0
    try:
        for number, record in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), start=1):
            row = [cell.strip() or None for cell in record]
            del row[_used_width(row) :]
            width = max(width, len(row))
            if number > MAX_ROWS or len(row) > MAX_COLUMNS or number * width > MAX_CELLS:
                raise FileTooLargeError(
                    f"{path}, row {number}: {len(row):,} fields; a CSV may have up to {MAX_ROWS:,} rows, "
                    f"{MAX_COLUMNS} columns and {MAX_CELLS:,} cells; check the delimiter, or split the "
                    "file into several (one per year or per district).",
                    path=str(path),
                    row=number,
                )
            rows.append(row)
    except csv.Error as exc:
        raise SourceFileError(
            f"{path}, row {number + 1}: not a readable CSV record ({exc}); save it again as CSV (UTF-8).",
            path=str(path),
            row=number + 1,
        ) from exc
    return rows


def _sniff_delimiter(lines: list[str]) -> str:
    """The delimiter whose most common field count (above one) covers the most lines."""
    best, best_key = ",", (0, 0)
    for delimiter in _DELIMITERS:
        try:
            widths = Counter(len(row) for row in csv.reader(lines, delimiter=delimiter) if any(row))
        except csv.Error:  # a field over csv's size limit: not this delimiter
            continue
        width, count = max(widths.items(), key=lambda item: (item[1], item[0]), default=(0, 0))
        key = (count if width > 1 else 0, width)
        if key > best_key:
            best, best_key = delimiter, key
    return best


# --- XLSX ------------------------------------------------------------------------------------------


def _read_xlsx(path: Path, sheet: str | None, kind: Kind | None, mapping: Any) -> ReadResult:
    book = open_workbook(path)
    try:
        parts, notes = _read_sheets(book, path, sheet, kind, mapping)
    finally:
        book.close()
    if not parts:
        raise SourceFileError(
            f"{path}: no sheet has a recognisable header row; put one row of column headers (such as "
            "'Tên cơ sở', 'Ngày KT', 'Xã/phường') above the data.",
            path=str(path),
        )
    return _stack_sheets(parts, str(path), sheet, notes)


def _read_sheets(book, path: Path, sheet: str | None, kind: Kind | None, mapping: Any):
    """Each sheet tabulated, within one cell budget for the workbook; sheets without header noted."""
    if sheet is not None and sheet not in book.sheetnames:
        raise SourceFileError(
            f"{path}: no sheet {sheet!r}; the sheets are {', '.join(map(repr, book.sheetnames))}.",
            path=str(path),
        )
    parts: list[tuple[str, pd.DataFrame, int, Any]] = []
    notes: list[str] = []
    budget = MAX_CELLS
    for name in [sheet] if sheet else book.sheetnames:
        rows, merges = sheet_grid(book, name, path, budget)
        budget -= len(rows) * max(map(len, rows), default=0)
        try:
            frame, header_row, result = _tabulate(_Grid(rows, merges, True), str(path), name, kind, mapping)
        except SourceFileError as exc:
            if sheet is not None or len(book.sheetnames) == 1:
                raise
            notes.append(f"sheet {name!r} skipped: {exc}")
            continue
        parts.append((name, frame, header_row, result))
    return parts, notes


def _stack_sheets(
    parts: list[tuple[str, pd.DataFrame, int, Any]], source: str, sheet: str | None, notes: list[str]
) -> ReadResult:
    if len(parts) == 1 and sheet is not None:
        name, frame, header_row, result = parts[0]
        return _finish(frame, result, source, name, header_row, None, notes)
    frames = [frame.assign(source_sheet=name) for name, frame, _, _ in parts]
    stacked = pd.concat(frames, ignore_index=True)
    stacked.insert(0, "source_sheet", stacked.pop("source_sheet"))
    dropped = {d.column: d for _, _, _, r in parts for d in r.dropped}
    merged = HeaderMapping(parts[0][3].rename, list(dropped.values()))
    one = len(parts) == 1
    result = _finish(
        stacked, merged, source, parts[0][0] if one else None, parts[0][2] if one else None, None, notes
    )
    result.sheets.update({name: header_row for name, _, header_row, _ in parts})
    return result


# --- Shared table logic ----------------------------------------------------------------------------


def _tabulate(grid: _Grid, source: str, sheet: str | None, kind: Kind | None, mapping: Any):
    """Find the header row, drop forbidden columns, and build the frame with ``source_row``."""
    rows = _fill_merges(grid)
    where = f"{source}, sheet {sheet!r}" if sheet else source
    known = {
        header_key(k) for k in (load_mapping(mapping) if isinstance(mapping, str | Path) else mapping or {})
    }
    header_index, labels = _find_header(rows, grid.merges, kind, known, (where, source, sheet), grid.codec)
    header_width = _used_width(labels)
    body = rows[header_index + 1 :]
    widths = [_used_width(row) for row in body]
    wider = next((offset for offset, w in enumerate(widths) if w > header_width), None)
    if not grid.letters and wider is not None:
        number = header_index + wider + 2
        raise SourceFileError(
            f"{where}, row {number}: {widths[wider]} cells but the header (row {header_index + 1}) "
            f"has {header_width}; quote cells that contain the delimiter, or check the delimiter.",
            path=source,
            sheet=sheet,
            row=number,
        )
    width = max([header_width, *widths])
    labels = _name_columns(labels[:width], width, grid.letters, grid.codec)
    result = map_headers(labels, kind, mapping=mapping)
    forbidden = {d.column for d in result.dropped}
    keep = [i for i, label in enumerate(labels) if label not in forbidden]
    take = itemgetter(*keep) if len(keep) > 1 else lambda row: tuple(row[i] for i in keep)
    records = [take(row) for row, w in zip(body, widths, strict=True) if w]  # rows are padded to width
    numbers = [header_index + offset + 2 for offset, w in enumerate(widths) if w]
    frame = pd.DataFrame(records, columns=[labels[i] for i in keep], dtype=object)
    frame = frame.rename(columns=result.rename)
    frame.insert(0, "source_row", pd.Series(numbers, dtype="int64"))
    return frame, header_index + 1, result


def _used_width(row: list[Any]) -> int:
    """One past the last non-empty cell of a row."""
    width = len(row)
    while width and row[width - 1] is None:
        width -= 1
    return width


def _fill_merges(grid: _Grid) -> list[list[Any]]:
    """Rows padded to one width, each merged range's value copied into all of its cells."""
    width = max([len(r) for r in grid.rows] + [m[3] + 1 for m in grid.merges], default=0)
    rows = [list(row) + [None] * (width - len(row)) if grid.merges or len(row) < width else row
            for row in grid.rows]  # copied where merged cells will be filled in
    for top, left, bottom, right in grid.merges:
        value = rows[top][left]
        for r in range(top, bottom + 1):
            for c in range(left, right + 1):
                rows[r][c] = value
    return rows


def _repaired(labels: list[Any], codec: str | None) -> list[Any]:
    """A candidate header row as it reads once repaired as one column of text (unchanged if Unicode)."""
    return list(repair_column(labels, source_codec=codec)[0])


def _find_header(
    rows: list[list[Any]],
    merges: list[tuple[int, int, int, int]],
    kind: Kind | None,
    known: set[str],
    place: tuple[str, str, str | None],
    codec: str | None = None,
) -> tuple[int, list[Any]]:
    """The index and labels of the best-scoring header row; a two-row header is joined ("Tọa độ X").

    A candidate row is also scored as repaired (``etl.text.repair_column`` over the row's labels),
    so a sheet written entirely in a legacy font (.VnTime headers such as "Ngµy x¶y ra") still
    shows its header; the repaired labels are returned then.
    """
    spanned = {  # only the scanned rows: a merge down a long data column costs nothing here
        (r, c)
        for top, left, bottom, right in merges
        if right > left and top < SCAN_ROWS
        for r in range(top, min(bottom, SCAN_ROWS) + 1)
        for c in range(left, right + 1)
    }
    best: tuple[tuple[int, bool, int], int, list[Any]] | None = None
    for index in range(min(len(rows), SCAN_ROWS)):
        candidates = [(rows[index], False)]
        if index > 0 and any((index - 1, c) in spanned for c in range(len(rows[index]))):
            candidates.append((_join_rows(rows[index - 1], rows[index], index - 1, spanned), True))
        for labels, joined in [*candidates, *((_repaired(c, codec), j) for c, j in candidates)]:
            score = len(
                {
                    header_key(label)
                    for label in labels
                    if label is not None and (header_key(label) in known or header_score([label], kind))
                }
            )
            key = (score, joined, -index)
            if best is None or key > best[0]:
                best = (key, index, labels)
    where, source, sheet = place
    first = next((i for i, row in enumerate(rows) if any(v is not None for v in row)), None)
    if best is None or best[0][0] < (1 if best[1] == first else MIN_HEADER_SCORE):
        raise SourceFileError(
            f"{where}: no header row found in the first {SCAN_ROWS} rows; put one row of column headers "
            "(such as 'Tên cơ sở', 'Ngày KT', 'Xã/phường', 'Kinh độ') above the data, or give --mapping.",
            path=source,
            sheet=sheet,
        )
    return best[1], best[2]


def _join_rows(
    upper: list[Any], lower: list[Any], upper_index: int, spanned: set[tuple[int, int]]
) -> list[Any]:
    labels = []
    for c, (above, below) in enumerate(zip(upper, lower, strict=True)):
        if below is None:
            labels.append(above)
        elif (upper_index, c) in spanned and above is not None and above != below:
            labels.append(f"{above} {below}")
        else:
            labels.append(below)
    return labels


def _name_columns(labels: list[Any], width: int, letters: bool, codec: SourceCodec | None) -> list[str]:
    """Header labels as unique strings, TCVN3/VNI repaired; a column without header gets a name."""
    labels = list(labels) + [None] * (width - len(labels))
    texts = [str(label).strip() if label is not None else None for label in labels]
    repaired, _, _ = repair_column(texts, source_codec=codec)
    names: list[str] = []
    taken: set[str] = set()
    stems: Counter[str] = Counter()  # names taken per part before the first "."; linear, not quadratic
    for number, label in enumerate(repaired, start=1):
        name = label or (f"column_{get_column_letter(number)}" if letters else f"column_{number}")
        while name in taken:
            name = f"{name}.{stems[name.split('.')[0]] + 1}"
        names.append(name)
        taken.add(name)
        stems[name.split(".")[0]] += 1
    return names


def _finish(
    frame: pd.DataFrame,
    result: Any,
    source: str,
    sheet: str | None,
    header_row: int | None,
    encoding: str | None,
    notes: list[str],
    crs: str | None = None,
    codec: SourceCodec | None = None,
) -> ReadResult:
    repaired, report = repair_frame(frame, source_codec=codec)
    notes = list(notes)
    for private, label in ((True, "dropped for privacy"), (False, "dropped, not a field of this kind")):
        shown = [f"{d.column!r} ({d.reason})" for d in result.dropped if d.private == private]
        if shown:
            notes.append(f"{label}: " + ", ".join(shown))
    for column, encoding_found in report["encoding"].items():
        if encoding_found not in ("unicode",):
            notes.append(f"column {column!r}: text read as {encoding_found}")
    sheets = {sheet: header_row} if sheet is not None and header_row is not None else {}
    return ReadResult(
        repaired,
        source,
        sheet,
        header_row,
        encoding,
        list(result.dropped),
        notes,
        list(result.unmatched),
        sheets,
        report,
        crs,
    )


# --- Vector formats --------------------------------------------------------------------------------


def _read_vector(path: Path, layer: str | None, kind: Kind | None, mapping: Any) -> ReadResult:
    uri, notes = _vector_uri(path, layer)  # an explicit driver; the bytes were checked
    try:
        layers = [str(name) for name in pyogrio.list_layers(uri)[:, 0]]
        if layer is not None and layer not in layers and not str(path).lower().endswith(".zip"):
            raise SourceFileError(
                f"{path}: no layer {layer!r}; the layers are {', '.join(map(repr, layers))}.", path=str(path)
            )
        name = layer if layer in layers else layers[0]
        if len(layers) > 1 and layer is None:
            notes.append(
                f"{len(layers)} layers ({', '.join(layers)}); read {name!r}, choose another with sheet="
            )
        info = pyogrio.read_info(uri, layer=name)
        result = map_headers(list(info["fields"]), kind, mapping=mapping)
        forbidden = {d.column for d in result.dropped}
        keep = [f for f in info["fields"] if f not in forbidden]
        frame = pyogrio.read_dataframe(uri, layer=name, columns=keep)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, IndexError) as exc:
        raise SourceFileError(
            f"{path}: not a readable vector file ({exc}); export it again as GeoJSON, GeoPackage or a zipped "
            "Shapefile (.shp with its .shx, .dbf and .prj).",
            path=str(path),
        ) from exc
    crs = frame.crs.to_string() if frame.crs is not None else None
    if crs is None:
        notes.append("no CRS declared; coordinates kept as they are")
    elif frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(STORAGE_CRS)
        notes.append(f"converted from {crs} to {STORAGE_CRS}")
    frame = frame.rename(columns=result.rename)
    frame.insert(0, "source_row", pd.Series(range(1, len(frame) + 1), index=frame.index, dtype="int64"))
    return _finish(frame, result, str(path), name, None, info.get("encoding"), notes, crs)


def _vector_uri(path: Path, layer: str | None) -> tuple[str, list[str]]:
    suffix = path.suffix.lower()
    if suffix != ".zip":
        return vector_uri(path, suffix), []
    shapes = shapefile_members(path)
    chosen = next((s for s in shapes if Path(s).stem == layer), shapes[0])
    notes = [f"{len(shapes)} shapefiles in the zip; read {chosen!r}"] if len(shapes) > 1 else []
    return vector_uri(path, suffix, chosen), notes


_READERS = {
    ".csv": _read_csv,
    ".txt": _read_csv,
    ".xlsx": _read_xlsx,
    ".xlsm": _read_xlsx,
    ".geojson": _read_vector,
    ".json": _read_vector,
    ".gpkg": _read_vector,
    ".zip": _read_vector,
    ".shp.zip": _read_vector,
}
