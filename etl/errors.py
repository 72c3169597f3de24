"""Errors of the ETL. Each refines a builtin; messages name the bad value and the fix.

Bad cells inside a column are not errors: the parsers return them with a reason code
(``etl.reasons``). These classes are for a bad call (an unknown option, a missing column) and for
the scalar parsers, which raise :class:`ValueParseError` carrying the reason code.
"""

from __future__ import annotations

from geo.errors import DiabanError


class EtlError(DiabanError):
    """Base class of the errors the ETL raises on purpose."""


class ValueParseError(EtlError, ValueError):
    """A single value that cannot be parsed; ``reason`` is its code in ``etl.reasons``."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class ParserOptionError(EtlError, ValueError):
    """A bad option or column name given to a parser."""


class FileDecodingError(EtlError, ValueError):
    """File bytes that decode neither as UTF-8 (with or without BOM) nor as Windows-1258."""


class TextEncodingError(EtlError, ValueError):
    """A text value or option the Vietnamese text repair (``etl.text``) cannot handle."""


class HeaderMappingError(EtlError, ValueError):
    """A bad synonym table, mapping file or mapping entry (``etl.headers``)."""


class SourceFileError(EtlError, ValueError):
    """A source file that cannot be read as a table: unknown format, unreadable, or no header row.

    ``path``, ``sheet`` and ``row`` (1-based, as the spreadsheet shows it) locate the problem where known.
    """

    def __init__(self, message: str, *, path: str, sheet: str | None = None, row: int | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.sheet = sheet
        self.row = row


class UnsupportedFormatError(SourceFileError):
    """A file whose extension no reader handles (``etl.readers``)."""


class FileContentError(SourceFileError):
    """A file whose bytes are not what its extension promises, refused before any parser opens it.

    Such as a GDAL VRT named .geojson, a zip named .gpkg, or a file pointing outside itself (``/vsi``
    paths, archive members with ``..``); see ``etl.filetypes``.
    """


class FileTooLargeError(SourceFileError):
    """A file beyond the reading limits, refused before it is loaded into memory.

    The limits (rows, columns, cells, bytes, unpacked zip size) are the constants of ``etl.filetypes``.
    """
