"""What a source file must hold for its extension, checked before any parser opens it, and the limits.

Files come from outside (the web upload, a sender's e-mail), so the extension only says which reader
to use: the bytes must agree with it. GDAL would otherwise pick its driver from the content, and a
GDAL VRT (XML) named ``.geojson`` makes GDAL read any file of the server (``/etc/passwd``, the
session key) or send HTTP requests (``/vsicurl/``). So each extension has one check of its bytes
(:func:`check_content`), vector files are opened with an explicit driver (:func:`vector_uri`), and
:func:`harden_gdal` disables, in this process, the GDAL drivers and virtual file systems that follow
a file to another file or to the network.

The limits are far above real reports (a monthly report has hundreds of rows and 10 to 60 columns; a
decade of a province's incidents, tens of thousands of rows), and low enough that a hostile file is
refused before it fills the memory of the server.
"""

from __future__ import annotations

import ctypes
import functools
import zipfile
from pathlib import Path, PurePosixPath

import pyogrio

from etl.errors import EtlError, FileContentError, FileTooLargeError

MAX_ROWS = 1_000_000
"""Most rows a sheet or CSV may have (Excel's own limit is 1,048,576)."""
MAX_COLUMNS = 500
"""Most used columns a sheet or CSV row may have (report templates have 10 to 60)."""
MAX_CELLS = 20_000_000
"""Most cells (rows x widest row) of one file: 1,000,000 rows of 20 columns; about 1 GB in memory."""
MAX_MERGED_CELLS = 1_000_000
"""Most cells covered by the merged ranges of one sheet (title rows, header blocks, merged data)."""
MAX_TEXT_BYTES = 256 * 2**20
"""Largest CSV or TXT file (the web upload allows 50 MB; the CLI may load a decade at once)."""
MAX_UNPACKED_BYTES = 2**30
"""Largest total unpacked size of a zip (workbook or Shapefile): a full 1,000,000-row sheet of
20 columns is about 600 MB of XML; a zip bomb unpacks to many GB."""
MAX_ZIP_MEMBERS = 10_000
"""Most members of a zip (a workbook has tens, a Shapefile zip a handful per layer)."""
HEAD_BYTES = 64 * 1024
"""How many leading bytes are looked at to tell what a file holds."""

_SQLITE = b"SQLite format 3\x00"
_GPKG_IDS = (b"GPKG", b"GP10", b"GP11")  # application_id at byte 68 (GeoPackage 1.2+, 1.0, 1.1)
_ZIP = b"PK\x03\x04"
_SHAPE = b"\x00\x00\x27\x0a"  # file code 9994, big-endian, of .shp and .shx
_DBASE = frozenset(b"\x02\x03\x04\x05\x30\x31\x32\x43\x63\x83\x8b\xcb\xe5\xf5\xfb")
_ARCHIVES = (".zip", ".gz", ".tgz", ".tar", ".7z", ".rar", ".bz2", ".xz", ".kmz", ".gpkg", ".xlsx")
_UNSAFE_DRIVERS = ("OGR_VRT", "VRT", "WFS", "OAPIF", "CSW", "GPSBabel")
"""Drivers that follow a file to other files, URLs or programs: vector and raster VRT, OGC web services,
GPSBabel (runs a program)."""
_NETWORK_FILESYSTEMS = (
    *(f"/vsi{base}{tail}/" for base in ("curl", "s3", "gs", "az", "oss", "swift")
    for tail in ("", "_streaming")),
    "/vsiadls/",
    "/vsiwebhdfs/",
    "/vsihdfs/",
)
_WORKBOOK = (
    "an Excel workbook (a zip holding xl/workbook.xml)",
    "not a readable .xlsx workbook ({found}); open it in Excel or LibreOffice and save it again as .xlsx.",
)
_TEXT = (
    "text (CSV)",
    "not a readable text table ({found}); save it from Excel or LibreOffice as CSV (UTF-8).",
)
_VECTOR_FIX = (
    "export it again as GeoJSON, GeoPackage or a zipped Shapefile (.shp with its .shx, .dbf and .prj)."
)
_GEOJSON = ("GeoJSON text starting with '{' or '['", f"not a readable vector file ({{found}}); {_VECTOR_FIX}")
_GEOPACKAGE = ("a GeoPackage (an SQLite database)", f"not a readable vector file ({{found}}); {_VECTOR_FIX}")


def check_content(path: Path, suffix: str) -> None:
    """Refuse a file whose bytes do not match its extension, or that is beyond the limits.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    suffix : {".csv", ".txt", ".xlsx", ".xlsm", ".geojson", ".json", ".gpkg", ".zip", ".shp.zip"}
        The extension that chose its reader.

    Raises
    ------
    etl.errors.FileContentError
        For bytes of another kind (XML such as a GDAL VRT, a zip, binary data), an archive member
        with an absolute or ``..`` path, or a zip without a complete Shapefile.
    etl.errors.FileTooLargeError
        For a text file over :data:`MAX_TEXT_BYTES` or a zip unpacking to over :data:`MAX_UNPACKED_BYTES`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = pathlib.Path(tmp, "points.geojson")
    ...     _ = file.write_text("<OGRVRTDataSource/>")
    ...     check_content(file, ".geojson")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    etl.errors.FileContentError: ...points.geojson: not a readable vector file (it holds XML, a GDAL VRT...
    """
    with path.open("rb") as handle:
        head = handle.read(HEAD_BYTES)
    if suffix in (".csv", ".txt"):
        _check_text(path, head)
    elif suffix in (".geojson", ".json"):
        _check_json(path, head)
    elif suffix == ".gpkg":
        if head[:16] != _SQLITE or head[68:72] not in _GPKG_IDS:
            what = "an SQLite database but not a GeoPackage" if head[:16] == _SQLITE else _describe(head)
            raise _refusal(path, _GEOPACKAGE, what)
    elif suffix in (".xlsx", ".xlsm"):
        with open_zip(path, _WORKBOOK, head) as archive:
            if "xl/workbook.xml" not in archive.namelist():
                raise _refusal(path, _WORKBOOK, "a zip without xl/workbook.xml")
    else:
        shapefile_members(path)


def _check_text(path: Path, head: bytes) -> None:
    size = path.stat().st_size
    if size > MAX_TEXT_BYTES:
        raise FileTooLargeError(
            f"{path}: {size / 2**20:.0f} MB, more than the {MAX_TEXT_BYTES // 2**20} MB a text table may "
            "have; split it into several files (one per year or per district).",
            path=str(path),
        )
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if b"\x00" in head or start.startswith((b"<", _ZIP)):
        raise _refusal(path, _TEXT, _describe(head))


def _check_json(path: Path, head: bytes) -> None:
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if b"\x00" in head or not start.startswith((b"{", b"[")):
        raise _refusal(path, _GEOJSON, _describe(head))


def _describe(head: bytes) -> str:
    """What the leading bytes of a file look like, without quoting them (they may name people)."""
    start = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    lowered = head.lower()
    if b"<ogrvrtdatasource" in lowered or b"<vrtdataset" in lowered:
        return "it holds XML, a GDAL VRT that points at other files; such files are refused"
    if start.startswith(b"<"):
        return "it holds XML or HTML"
    if head.startswith(_ZIP):
        return "it is a zip archive (an .xlsx workbook or a zipped Shapefile?)"
    if head.startswith(_SQLITE):
        return "it is an SQLite database (a GeoPackage?)"
    if b"\x00" in head:
        return "it holds binary data"
    return "it holds other text" if start else "it is empty"


def _refusal(path: Path, kind: tuple[str, str], found: str) -> FileContentError:
    expected, template = kind
    return FileContentError(
        f"{path}: " + template.format(found=f"{found}; a {path.suffix.lower()} file must be {expected}"),
        path=str(path),
    )


def open_zip(path: Path, kind: tuple[str, str] = _WORKBOOK, head: bytes | None = None) -> zipfile.ZipFile:
    """Open a zip whose member paths stay inside it and whose unpacked size is within the limits.

    Parameters
    ----------
    path : pathlib.Path
        The archive (an .xlsx workbook or a zipped Shapefile).
    kind : tuple of str, optional
        What the file should be and the message template of a refusal (module constants).
    head : bytes, optional
        The leading bytes, when already read.

    Returns
    -------
    zipfile.ZipFile
        Open; the caller closes it.

    Raises
    ------
    etl.errors.FileContentError
        For a file that is not a zip, or a member with an absolute or ``..`` path or ``/vsi`` in it.
    etl.errors.FileTooLargeError
        For more than :data:`MAX_ZIP_MEMBERS` members or an unpacked size over :data:`MAX_UNPACKED_BYTES`.
    """
    if head is None:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        found = "not a zip archive" if head.startswith(_ZIP) else _describe(head)
        raise _refusal(path, kind, found) from exc
    try:
        _check_members(path, archive.infolist())
    except Exception:
        archive.close()
        raise
    return archive


def _check_members(path: Path, members: list[zipfile.ZipInfo]) -> None:
    unpacked = sum(member.file_size for member in members)
    if len(members) > MAX_ZIP_MEMBERS or unpacked > MAX_UNPACKED_BYTES:
        raise FileTooLargeError(
            f"{path}: the zip holds {len(members):,} files unpacking to {unpacked / 2**20:,.0f} MB, more "
            f"than the limits ({MAX_ZIP_MEMBERS:,} files, {MAX_UNPACKED_BYTES // 2**20:,} MB); it looks "
            "like a zip bomb: send the data itself, or split it into smaller files.",
            path=str(path),
        )
    for member in members:
        name = member.filename.replace("\\", "/")
        parts = PurePosixPath(name).parts
        if name.startswith("/") or (parts and parts[0].endswith(":")) or ".." in parts or "/vsi" in name:
            raise FileContentError(
                f"{path}: the zip member {member.filename!r} points outside the zip (an absolute path, "
                "'..' or '/vsi'); zip the files again from their own folder.",
                path=str(path),
            )


def shapefile_members(path: Path) -> list[str]:
    """The .shp members of a zipped Shapefile, each checked to come with its .shx and .dbf.

    Parameters
    ----------
    path : pathlib.Path
        The zip.

    Returns
    -------
    list of str
        The member names of the complete Shapefiles, in archive order.

    Raises
    ------
    etl.errors.FileContentError
        For a file that is not a zip, unsafe member paths, a nested archive, no complete Shapefile, or
        a .shp, .shx or .dbf member whose bytes are not of that format.
    etl.errors.FileTooLargeError
        For a zip over the limits of :func:`open_zip`.
    """
    kind = ("a zipped Shapefile", f"not a readable zip archive ({{found}}); {_VECTOR_FIX}")
    with open_zip(path, kind) as archive:
        names = archive.namelist()
        nested = [n for n in names if n.lower().endswith(_ARCHIVES)]
        if nested:
            raise FileContentError(
                f"{path}: the zip holds another archive ({nested[0]!r}); zip the Shapefile's .shp, .shx, "
                ".dbf and .prj files themselves, not an archive of them.",
                path=str(path),
            )
        by_lower = {n.lower(): n for n in names}
        shapes = [n for n in names if n.lower().endswith(".shp")]
        complete = [s for s in shapes if all(s[:-4].lower() + e in by_lower for e in (".shx", ".dbf"))]
        if not complete:
            what = "no .shp file" if not shapes else f"{shapes[0]!r} without its .shx and .dbf"
            raise FileContentError(
                f"{path}: the zip holds {what}; zip the Shapefile's .shp, .shx, .dbf and .prj together.",
                path=str(path),
            )
        for shape in complete:
            _check_shapefile_parts(path, archive, shape, by_lower)
    return complete


def _check_shapefile_parts(path: Path, archive: zipfile.ZipFile, shape: str, by_lower: dict) -> None:
    for extension, fits in ((".shp", _is_shape), (".shx", _is_shape), (".dbf", _is_dbase)):
        member = by_lower[shape[:-4].lower() + extension]
        with archive.open(member) as handle:
            if not fits(handle.read(4)):
                raise FileContentError(
                    f"{path}: the zip member {member!r} is not a Shapefile {extension} file; "
                    f"{_VECTOR_FIX}",
                    path=str(path),
                )


def _is_shape(head: bytes) -> bool:
    return head == _SHAPE


def _is_dbase(head: bytes) -> bool:
    return bool(head) and head[0] in _DBASE


def vector_uri(path: Path, suffix: str, member: str | None = None) -> str:
    """The GDAL path that opens a checked vector file with the driver its extension names.

    Parameters
    ----------
    path : pathlib.Path
        A file that passed :func:`check_content`.
    suffix : {".geojson", ".json", ".gpkg", ".zip", ".shp.zip"}
        Its extension.
    member : str, optional
        The .shp member of a zip (from :func:`shapefile_members`).

    Returns
    -------
    str
        ``GeoJSON:<path>``, ``GPKG:<path>`` (GDAL tries no other driver), or the ``/vsizip/`` path of
        the Shapefile, whose .shp, .shx and .dbf bytes were checked.

    Examples
    --------
    >>> from pathlib import Path
    >>> vector_uri(Path("/data/co_so.geojson"), ".geojson")
    'GeoJSON:/data/co_so.geojson'
    """
    harden_gdal()
    if suffix in (".geojson", ".json"):
        return f"GeoJSON:{path.resolve()}"
    if suffix == ".gpkg":
        return f"GPKG:{path.resolve()}"
    return f"/vsizip/{path.resolve()}/{member}"


@functools.cache
def harden_gdal() -> None:
    """Disable in this process the GDAL drivers and file systems that reach other files or the network.

    ``GDAL_SKIP`` is read only when GDAL registers its drivers (when pyogrio is imported), so setting
    it later does nothing; the drivers are deregistered instead, in the GDAL library pyogrio loaded,
    and the network file systems (``/vsicurl/``, ``/vsis3/`` ...) are removed.

    Raises
    ------
    etl.errors.EtlError
        When the VRT driver is still there afterwards (vector files must then not be read).

    Examples
    --------
    >>> import pyogrio
    >>> harden_gdal()
    >>> "OGR_VRT" in pyogrio.list_drivers()
    False
    """
    from pyogrio import _ogr  # the extension module, linked to the GDAL pyogrio uses

    gdal = ctypes.CDLL(_ogr.__file__)  # dlsym on it also searches the libraries it links
    gdal.GDALGetDriverByName.restype = ctypes.c_void_p
    gdal.GDALGetDriverByName.argtypes = [ctypes.c_char_p]
    gdal.GDALDeregisterDriver.argtypes = [ctypes.c_void_p]
    gdal.VSIRemovePluginHandler.argtypes = [ctypes.c_char_p]
    for name in _UNSAFE_DRIVERS:
        driver = gdal.GDALGetDriverByName(name.encode())
        if driver:
            gdal.GDALDeregisterDriver(driver)
    for prefix in _NETWORK_FILESYSTEMS:
        gdal.VSIRemovePluginHandler(prefix.encode())
    pyogrio.set_gdal_config_options({"OGR_SQLITE_LIST_VIRTUAL_OGR": "NO"})  # read when opened
    if "OGR_VRT" in pyogrio.list_drivers():
        raise EtlError("GDAL's VRT driver could not be disabled, so vector files cannot be read safely; "
                       "reinstall pyogrio from its wheel (which bundles GDAL).")
