"""Vietnamese text repair: file decoding, NFC, legacy TCVN3 and VNI columns, and mojibake.

Legacy text reaches Python as Latin-1 (or Windows-1252) characters standing for bytes of an old
Vietnamese code page: TCVN3/ABC (the ``.VnTime`` fonts) or VNI-Windows, or as UTF-8 bytes that were
decoded as Windows-1252 (mojibake). Which one a column holds is decided once for the whole column
(see data-realities.md §3.2), never cell by cell:

1. A cell with a character that no legacy reading can produce (``ư``, ``ộ``, ``đ`` …, or any
   character outside Latin-1 and Windows-1252) is Unicode and is never converted.
2. The other non-ASCII cells are *candidates*. Each reading (unchanged, TCVN3, VNI, mojibake) is
   applied to all of them, and the share of their words that are valid Vietnamese syllables is
   counted over the whole column.
3. A reading is accepted only if that share is at least ``MIN_SHARE``, and beats the unchanged text
   and every other reading by ``MARGIN``. Otherwise nothing is converted: ``"unicode"`` when the
   text reads well as it is and no reading reads better, ``"undecided"`` (for a human to look at)
   when it does not, or when a reading reads better without a clear lead.

Every value that comes back is NFC-normalised; ASCII cells and non-string cells come back as given.

A CSV that is not UTF-8 is decoded as Windows-1258, which maps some bytes outside Latin-1 (``Ư`` for
0xDD, combining tone marks for 0xCC, 0xD2, 0xDE, 0xEC, 0xF2, …). Its text is therefore kept
un-normalised (``decode_bytes(..., raw_cp1258=True)``) and repaired with ``source_codec="cp1258"``:
each cell's own bytes are recovered with the codec, the legacy readings are scored on those bytes and
the unchanged reading on the NFC text, so raw TCVN3/VNI bytes repair exactly and genuine Windows-1258
Vietnamese comes back as NFC Unicode.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd

from etl.errors import FileDecodingError, TextEncodingError

Encoding = Literal["unicode", "tcvn3", "vni", "mojibake_latin1", "undecided"]
LegacyEncoding = Literal["tcvn3", "vni"]
FileEncoding = Literal["utf-8", "utf-8-sig", "cp1258"]
SourceCodec = Literal["cp1258"]

MIN_SHARE = 0.8
"""Least share of valid syllables a conversion must reach to be accepted."""
MARGIN = 0.3
"""Lead a conversion must have over the unchanged text and over every other reading."""

_READINGS: tuple[str, ...] = ("tcvn3", "vni", "mojibake_latin1")
_TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng

# TCVN3 (TCVN 5712:1993, VN3 as drawn by the .VnTime fonts): bytes 0xA1..0xFF, generated once with
# glibc ``iconv -f TCVN5712-1``; 0xB0..0xB4 are the combining tone marks. Checked in the tests.
_TCVN3_HIGH = (
    "\u0102\xc2\xca\xd4\u01a0\u01af\u0110\u0103\xe2\xea\xf4\u01a1\u01b0\u0111\u1eb0\u0300\u0309\u0303"
    "\u0301\u0323\xe0\u1ea3\xe3\xe1\u1ea1\u1eb2\u1eb1\u1eb3\u1eb5\u1eaf\u1eb4\u1eae\u1ea6\u1ea8\u1eaa"
    "\u1ea4\u1ec0\u1eb7\u1ea7\u1ea9\u1eab\u1ea5\u1ead\xe8\u1ec2\u1ebb\u1ebd\xe9\u1eb9\u1ec1\u1ec3\u1ec5"
    "\u1ebf\u1ec7\xec\u1ec9\u1ec4\u1ebe\u1ed2\u0129\xed\u1ecb\xf2\u1ed4\u1ecf\xf5\xf3\u1ecd\u1ed3\u1ed5"
    "\u1ed7\u1ed1\u1ed9\u1edd\u1edf\u1ee1\u1edb\u1ee3\xf9\u1ed6\u1ee7\u0169\xfa\u1ee5\u1eeb\u1eed\u1eef"
    "\u1ee9\u1ef1\u1ef3\u1ef7\u1ef9\xfd\u1ef5\u1ed0"
)
_TCVN3_DECODE: dict[int, str] = {0xA1 + i: ch for i, ch in enumerate(_TCVN3_HIGH)}
_TCVN3_ENCODE: dict[str, int] = {ch: byte for byte, ch in _TCVN3_DECODE.items()}

# Windows-1252 characters of bytes 0x80..0x9F: a legacy string may have been read through cp1252.
_CP1252_BYTES: dict[str, int] = {
    bytes([byte]).decode("cp1252", errors="replace"): byte for byte in range(0x80, 0xA0)
}
_CP1252_BYTES.pop("\ufffd")  # the five bytes cp1252 leaves undefined


def _vni_table() -> dict[str, str]:
    """Unicode letter -> its VNI-Windows spelling (base letter plus mark characters)."""
    table = {"đ": "ñ", "Đ": "Ñ", "ơ": "ô", "Ơ": "Ô", "ư": "ö", "Ư": "Ö", "ă": "aê", "Ă": "AÊ"}
    table |= {"â": "aâ", "Â": "AÂ", "ê": "eâ", "Ê": "EÂ", "ô": "oâ", "Ô": "OÂ"}
    table |= dict(zip("íìỉĩịỵÍÌỈĨỊỴ", "íìæóòîÍÌÆÓÒÎ", strict=True))
    marks = {  # tone mark -> (after a plain or horn vowel, after â ê ô, after ă), lower case
        "\u0301": "ùáé", "\u0300": "øàè", "\u0309": "ûåú", "\u0303": "õãü", "\u0323": "ïäë",
    }
    for tone, (plain, circ, breve) in marks.items():
        for base in "aeouyAEOUY":
            table.setdefault(_compose(base + tone), base + (plain if base.islower() else plain.upper()))
        for horn, spelled in (("ơ", "ô"), ("ư", "ö"), ("Ơ", "Ô"), ("Ư", "Ö")):
            table[_compose(horn + tone)] = spelled + (plain if horn.islower() else plain.upper())
        for base, lead in (("â", "a"), ("ê", "e"), ("ô", "o"), ("Â", "A"), ("Ê", "E"), ("Ô", "O")):
            table[_compose(base + tone)] = lead + (circ if base.islower() else circ.upper())
        table[_compose("ă" + tone)] = "a" + breve
        table[_compose("Ă" + tone)] = "A" + breve.upper()
    return table


def _compose(text: str) -> str:
    return unicodedata.normalize("NFC", text)


_VNI_ENCODE = _vni_table()
_VNI_DECODE = {spelled: letter for letter, spelled in _VNI_ENCODE.items()}
_VNI_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(_VNI_DECODE, key=len, reverse=True)))
# Vowel groups of Vietnamese spelling: with no final consonant, with one required, or either way.
_OPEN = "ai ao au ay âu ây eo êu iu oi ôi ơi ui ưi ưu ia ưa ua iêu yêu oai oay oao oeo uây uôi ươi ươu uya"
_OPEN += " uyu"
_CLOSED = "ă â iê yê uô ươ oă uâ uyê"
_EITHER = "a e ê i o ô ơ u ư y oa oe uê uy uơ oo"


def _alternatives(groups: str) -> str:
    return "|".join(sorted(groups.split(), key=len, reverse=True))


# A final k only ends minority-language place names of the province (Đắk Ơ, Đak Lua), never a Kinh word.
_SYLLABLE = re.compile(
    r"(?P<onset>ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
    rf"(?:(?:{_alternatives(_OPEN)})|(?:{_alternatives(_CLOSED)})(?P<coda>ng|nh|ch|[cmnptk])"
    rf"|(?:{_alternatives(_EITHER)})(?P<coda2>ng|nh|ch|[cmnptk])?)"
)
_WORDS = re.compile(r"[^\s!-@\[-`{-~]+")  # runs without whitespace, ASCII digits or punctuation


@dataclass(frozen=True)
class ColumnEvidence:
    """What the detection saw in one column, and what it decided.

    Attributes
    ----------
    encoding : str
        The decision: ``"unicode"``, ``"tcvn3"``, ``"vni"``, ``"mojibake_latin1"`` or ``"undecided"``.
    n_cells : int
        Non-empty string cells.
    n_unicode : int
        Cells with a character no legacy reading produces: certainly Unicode, never converted.
    n_candidates : int
        Non-ASCII cells made only of Latin-1/Windows-1252 characters (or, with ``source_codec``, of
        characters of that code page): the ones that were scored.
    n_words : int
        Non-ASCII words in the candidate cells, as given.
    shares : dict of str to float
        Per reading (``"unchanged"`` and each conversion), the share of valid Vietnamese syllables.
    n_changed : int
        Cells whose value changed (conversion or NFC); filled by :func:`repair_column`.
    """

    encoding: Encoding
    n_cells: int
    n_unicode: int
    n_candidates: int
    n_words: int
    shares: dict[str, float] = field(default_factory=dict)
    n_changed: int = 0


def is_blank(value: object) -> bool:
    """True for an empty cell: None, NaN, NaT, NA and text of only spaces.

    Examples
    --------
    >>> [is_blank(v) for v in (None, float("nan"), pd.NA, pd.NaT, "  ", "0", 0)]
    [True, True, True, True, True, False, False]
    """
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
        or (isinstance(value, str) and not value.strip())
    )


def distinct_cells(values: Iterable[Any]) -> tuple[np.ndarray, list[Any]]:
    """The distinct non-blank cells of a column, and each cell's position among them (-1 when blank).

    A column parser runs once per distinct cell and spreads the answers with the positions: a date
    column of 100,000 rows holds a few thousand distinct days. Cells are distinct by type and value
    (``1``, ``1.0`` and ``"1"`` are three cells); an unhashable cell is its own.

    Examples
    --------
    >>> codes, distinct = distinct_cells(["a", None, "a", 1, 1.0, " "])
    >>> codes.tolist(), distinct
    ([0, -1, 0, 1, 2, -1], ['a', 1, 1.0])
    >>> codes, distinct = distinct_cells([" ", "b", None, "a", "b", ""])
    >>> codes.tolist(), distinct
    ([-1, 0, -1, 1, 0, -1], ['b', 'a'])
    """
    cells = _as_cells(values)
    if _only_text(cells):  # text cells: a hash table in C
        return _distinct_texts(cells)
    codes: list[int] = []
    strings: dict[str, int] = {}  # the common case, looked up without building a key
    others: dict[tuple[type, Any], int] = {}
    distinct: list[Any] = []
    for value in cells:
        if type(value) is str:
            code = strings.get(value)
            if code is None:
                code = strings[value] = -1 if not value.strip() else len(distinct)
                if code >= 0:
                    distinct.append(value)
        elif is_blank(value):
            code = -1
        else:
            try:
                code = others.setdefault((type(value), value), len(distinct))
            except TypeError:  # unhashable
                code = len(distinct)
            if code == len(distinct):
                distinct.append(value)
        codes.append(code)
    return np.array(codes, dtype=np.intp), distinct


def _distinct_texts(cells: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """:func:`distinct_cells` of a column holding only text and missing cells, by ``pandas.factorize``."""
    codes, uniques = pd.factorize(cells)
    if not len(uniques):
        return np.full(len(cells), -1, dtype=np.intp), []
    uniques = np.asarray(uniques, dtype=object)
    kept = np.fromiter((bool(u.strip()) for u in uniques), dtype=bool, count=len(uniques))
    renumbered = np.where(kept, np.cumsum(kept) - 1, -1)
    codes = np.where(codes >= 0, renumbered[np.maximum(codes, 0)], -1).astype(np.intp)
    return codes, uniques[kept].tolist()


def to_nfc(text: str) -> str:
    r"""The text in Unicode normal form C (precomposed letters, one code point per letter).

    Parameters
    ----------
    text : str
        Any text, for example with combining tone marks (NFD, "Unicode tổ hợp", or Windows-1258).

    Returns
    -------
    str
        The NFC form.

    Examples
    --------
    >>> nfd = "Bie\u0302n Ho\u0300a"
    >>> len(nfd), to_nfc(nfd), len(to_nfc(nfd))
    (10, 'Biên Hòa', 8)
    """
    if not isinstance(text, str):
        raise TextEncodingError(f"to_nfc takes a str, got {type(text).__name__} {text!r}; pass str(value).")
    return unicodedata.normalize("NFC", text)


def decode_bytes(
    data: bytes, *, source: str = "<bytes>", raw_cp1258: bool = False
) -> tuple[str, FileEncoding]:
    r"""Decode file bytes as UTF-8 (with or without BOM) or else Windows-1258, NFC-normalised.

    Parameters
    ----------
    data : bytes
        The raw file content.
    source : str, optional
        A name for the data (usually the file name), used in error messages.
    raw_cp1258 : bool, optional
        Leave Windows-1258 text un-normalised, so that every character still stands for one byte
        (``text.encode("cp1258")`` gives the bytes back) and legacy TCVN3/VNI cells can be repaired
        with ``repair_frame(..., source_codec="cp1258")``, which NFC-normalises what it returns.
        UTF-8 text is NFC-normalised either way.

    Returns
    -------
    tuple of (str, str)
        The text without BOM (NFC unless ``raw_cp1258`` and Windows-1258), and the encoding used:
        ``"utf-8"``, ``"utf-8-sig"`` or ``"cp1258"``.

    Raises
    ------
    FileDecodingError
        If the bytes are neither valid UTF-8 nor valid Windows-1258.

    Examples
    --------
    >>> decode_bytes("Biên Hòa".encode("utf-8-sig"))
    ('Biên Hòa', 'utf-8-sig')
    >>> decode_bytes(b"Ho\xcca")  # cp1258 stores the tone as a combining mark
    ('Hòa', 'cp1258')
    >>> text, _ = decode_bytes(b"Ho\xcca", raw_cp1258=True)
    >>> text == "Ho\u0300a", text.encode("cp1258")
    (True, b'Ho\xcca')
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        kind = type(data).__name__
        raise FileDecodingError(f"{source}: expected bytes, got {kind}; open the file in 'rb'.")
    raw = bytes(data)
    if raw.startswith(b"\xef\xbb\xbf"):
        return to_nfc(_strict_decode(raw, "utf-8-sig", source)), "utf-8-sig"
    try:
        return to_nfc(raw.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        text = _strict_decode(raw, "cp1258", source)
        return (text if raw_cp1258 else to_nfc(text)), "cp1258"


def _strict_decode(raw: bytes, codec: str, source: str) -> str:
    try:
        return raw.decode(codec)
    except UnicodeDecodeError as exc:
        found = raw[exc.start : exc.start + 1]
        raise FileDecodingError(
            f"{source}: byte {found!r} at offset {exc.start} is valid neither in UTF-8 nor in "
            f"{'Windows-1258' if codec == 'cp1258' else 'UTF-8 after its BOM'}; "
            "re-save the file as 'CSV UTF-8' or as 'CSV (Comma delimited)' on Vietnamese Windows."
        ) from exc


def encode_legacy(text: str, encoding: LegacyEncoding) -> bytes:
    """Encode Unicode text in a legacy Vietnamese code page: the inverse of the column repair.

    Parameters
    ----------
    text : str
        Unicode text; NFD input is accepted.
    encoding : {"tcvn3", "vni"}
        TCVN3/ABC (``.VnTime``) or VNI-Windows. In TCVN3 an upper-case toned letter without its own
        byte is written as base letter plus combining tone mark (bytes 0xB0..0xB4).

    Returns
    -------
    bytes
        The bytes a legacy-font document holds; ``.decode("latin-1")`` gives what Excel shows.

    Raises
    ------
    TextEncodingError
        For an unknown ``encoding`` or a character the code page cannot write.

    Examples
    --------
    >>> encode_legacy("Tân Biên", "tcvn3").decode("latin-1")
    'T©n Biªn'
    >>> encode_legacy("Đồng Nai", "vni").decode("latin-1")
    'Ñoàng Nai'
    """
    if encoding not in ("tcvn3", "vni"):
        raise TextEncodingError(f"encoding={encoding!r} is not one of 'tcvn3', 'vni'.")
    encode_char = _tcvn3_char if encoding == "tcvn3" else _vni_char
    return b"".join(encode_char(ch, text) for ch in to_nfc(text))


def _tcvn3_char(ch: str, text: str) -> bytes:
    if ord(ch) < 0x80:
        return ch.encode("ascii")
    if ch in _TCVN3_ENCODE:
        return bytes([_TCVN3_ENCODE[ch]])
    decomposed = unicodedata.normalize("NFD", ch)
    tones = [mark for mark in decomposed if mark in _TONE_MARKS]
    base = _compose("".join(mark for mark in decomposed if mark not in _TONE_MARKS))
    if len(tones) == 1 and (base.isascii() or base in _TCVN3_ENCODE):
        return _tcvn3_char(base, text) + bytes([_TCVN3_ENCODE[tones[0]]])
    raise TextEncodingError(f"{ch!r} in {text!r} has no TCVN3 byte; only Vietnamese letters and ASCII do.")


def _vni_char(ch: str, text: str) -> bytes:
    if ord(ch) < 0x80:
        return ch.encode("ascii")
    if ch in _VNI_ENCODE:
        return _VNI_ENCODE[ch].encode("latin-1")
    raise TextEncodingError(f"{ch!r} in {text!r} has no VNI spelling; only Vietnamese letters and ASCII do.")


def _legacy_bytes(text: str, source_codec: SourceCodec | None = None) -> bytes | None:
    """The bytes a legacy string stands for, or None if it cannot be one.

    The string was read as Latin-1 or cp1252, or decoded with ``source_codec`` and not normalised.
    """
    if source_codec is not None:
        try:
            return text.encode(source_codec)
        except UnicodeEncodeError:
            return None
    out = bytearray()
    for ch in text:
        if ord(ch) < 0x100:
            out.append(ord(ch))
        elif ch in _CP1252_BYTES:
            out.append(_CP1252_BYTES[ch])
        else:
            return None
    return bytes(out)


def _convert(raw: bytes, reading: str) -> str | None:
    """One reading of legacy bytes as Unicode (NFC), or None where the bytes do not fit it."""
    if reading == "tcvn3":
        return _compose("".join(_TCVN3_DECODE.get(b, chr(b)) for b in raw))
    if reading == "vni":
        return _compose(_VNI_PATTERN.sub(lambda m: _VNI_DECODE[m.group()], raw.decode("latin-1")))
    try:
        return _compose(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None


def _words(text: str) -> list[str]:
    """The non-ASCII words of a text, trimmed of punctuation and symbols at their edges."""
    trimmed = (_trim(w) for w in _WORDS.findall(text))
    return [w for w in trimmed if w and not w.isascii()]


def _trim(word: str) -> str:
    start, end = 0, len(word)
    while start < end and unicodedata.category(word[start])[0] in "PSZ":
        start += 1
    while end > start and unicodedata.category(word[end - 1])[0] in "PSZ":
        end -= 1
    return word[start:end]


def _is_syllable(word: str) -> bool:
    """A plausible Vietnamese syllable: onset, one to three vowels, coda, at most one tone mark."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = [ch for ch in decomposed if ch in _TONE_MARKS]
    base = _compose("".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    match = _SYLLABLE.fullmatch(base)
    if base == "đ":  # a lone "đ" is the đồng sign
        return True
    if match is None or len(tones) > 1:
        return False
    stop = (match["coda"] or match["coda2"] or "") in ("c", "ch", "p", "t", "k")
    return not (stop and tones and tones[0] not in "\u0301\u0323")  # -c -ch -p -t take sắc or nặng only


def _share(texts: list[str | None], originals: list[str], weights: list[int]) -> tuple[float, int]:
    """Share of valid syllables over all words of a reading; a failed cell counts its words invalid.

    ``weights`` counts the cells holding each original text.
    """
    valid = total = 0
    for text, original, weight in zip(texts, originals, weights, strict=True):
        words = _words(original if text is None else text)
        total += weight * len(words)
        valid += 0 if text is None else weight * sum(map(_is_syllable, words))
    return (valid / total if total else 1.0), total


Candidate = tuple[str, bytes]  # a candidate cell's text (NFC) and the legacy bytes it stands for


class _Texts(NamedTuple):
    """A column's cells, the positions of its text cells, and those cells as distinct texts."""

    cells: np.ndarray  # every cell of the column, as given
    where: np.ndarray  # positions of the non-empty string cells
    codes: np.ndarray  # each such cell's position in ``distinct``
    distinct: np.ndarray  # the distinct texts (object array)
    counts: np.ndarray  # cells holding each distinct text


def _texts(values: Iterable[Any]) -> _Texts:
    """The distinct non-empty texts of a column (found by a hash table, not a Python loop per cell)."""
    cells = _as_cells(values)
    if _only_text(cells):
        present = np.flatnonzero(~pd.isna(cells))
        where = present[cells[present] != ""]
    else:
        where = np.flatnonzero(np.fromiter((isinstance(v, str) and v != "" for v in cells), dtype=bool,
                                           count=len(cells)))
    codes, distinct = pd.factorize(cells[where])
    return _Texts(cells, where, codes, np.asarray(distinct, dtype=object),
                  np.bincount(codes, minlength=len(distinct)))


def _as_cells(values: Iterable[Any]) -> np.ndarray:
    """The cells of a column as a one-dimensional object array (a cell holding a list stays one cell)."""
    if isinstance(values, pd.Series | pd.Index):
        return values.to_numpy(dtype=object)
    listed = values if isinstance(values, list) else list(values)
    return np.fromiter(listed, dtype=object, count=len(listed))


def _only_text(cells: np.ndarray) -> bool:
    """True when every cell is a string or missing (None, NaN, NA)."""
    return pd.api.types.infer_dtype(cells, skipna=True) in ("string", "empty")


def _cells(
    texts: _Texts, source_codec: SourceCodec | None = None
) -> tuple[dict[Candidate, list[int]], int]:
    """The candidates, each with the distinct texts it stands for, and the count of Unicode cells.

    Without ``source_codec`` the bytes are read from the NFC text (Latin-1/cp1252); with it, from the
    cell as decoded (not normalised), so a combining mark or a letter of the code page keeps its byte.
    """
    candidates: dict[Candidate, list[int]] = {}
    n_unicode = 0
    for j, value in enumerate(texts.distinct):
        if value.isascii():  # NFC leaves ASCII as it is, and no reading changes it
            continue
        text = to_nfc(value)
        raw = _legacy_bytes(value if source_codec else text, source_codec)
        if raw is None:  # certainly Unicode
            n_unicode += int(texts.counts[j])
        else:
            candidates.setdefault((text, raw), []).append(j)
    return candidates, n_unicode


def _decide(
    candidates: dict[Candidate, list[int]], weights: list[int]
) -> tuple[Encoding, dict[str, float], int, dict[int, str]]:
    """Score every reading over all candidate cells (``weights``: cells per candidate) and pick one."""
    originals = [text for text, _ in candidates]
    shares: dict[str, float] = {}
    shares["unchanged"], n_words = _share(originals, originals, weights)
    converted: dict[str, list[str | None]] = {}
    for reading in _READINGS:
        converted[reading] = [_convert(raw, reading) for _, raw in candidates]
        shares[reading] = round(_share(converted[reading], originals, weights)[0], 4)
    shares["unchanged"] = round(shares["unchanged"], 4)
    if not n_words:
        return "unicode", shares, 0, {}
    best = max(_READINGS, key=shares.__getitem__)
    rivals = [shares[r] for r in ("unchanged", *_READINGS) if r != best]
    if shares[best] >= MIN_SHARE and all(shares[best] - rival >= MARGIN for rival in rivals):
        fixed = {j: new for distinct, new in zip(candidates.values(), converted[best], strict=True)
                 if new is not None for j in distinct}
        return best, shares, n_words, fixed  # type: ignore[return-value]
    # The text reads well as it is, and no reading reads better: Unicode. A reading that reads better
    # without a clear lead (TCVN3 "Hè Tóc" is valid Vietnamese too) leaves the column undecided.
    unicode = shares["unchanged"] >= MIN_SHARE and shares["unchanged"] >= shares[best]
    return ("unicode" if unicode else "undecided"), shares, n_words, {}


def _examine(
    values: Iterable[Any], source_codec: SourceCodec | None = None
) -> tuple[_Texts, ColumnEvidence, dict[int, str]]:
    """The column's texts, the evidence and decision, and the repaired text of each distinct text changed."""
    if source_codec not in (None, "cp1258"):
        raise TextEncodingError(f"source_codec={source_codec!r} is not one of None, 'cp1258'.")
    texts = _texts(values)
    candidates, n_unicode = _cells(texts, source_codec)
    weights = [int(texts.counts[distinct].sum()) for distinct in candidates.values()]
    encoding, shares, n_words, fixed = _decide(candidates, weights)
    evidence = ColumnEvidence(encoding, len(texts.where), n_unicode, sum(weights), n_words, shares)
    return texts, evidence, fixed


def detect_column_encoding(values: Iterable[Any], *, source_codec: SourceCodec | None = None) -> Encoding:
    """Decide, from all cells of a column together, which encoding its text is in.

    Parameters
    ----------
    values : iterable
        The cells of one column; non-string cells (None, NaN, numbers) are ignored.
    source_codec : {None, "cp1258"}, optional
        The code page the cells were decoded from without NFC (``decode_bytes(..., raw_cp1258=True)``):
        each cell's bytes are recovered with it, so raw TCVN3/VNI bytes repair exactly.

    Returns
    -------
    str
        ``"unicode"``, ``"tcvn3"``, ``"vni"``, ``"mojibake_latin1"`` (UTF-8 read as Latin-1 or
        Windows-1252) or ``"undecided"`` (legacy-looking text no reading explains clearly).

    Examples
    --------
    >>> detect_column_encoding(["Tªn c¬ së", "§Þa chØ", "KP 5"])
    'tcvn3'
    >>> detect_column_encoding(["Xaõ Xuaân Höng", "huyeän Xuaân Loäc"])
    'vni'
    >>> detect_column_encoding(["BiÃªn HÃ²a"])
    'mojibake_latin1'
    >>> detect_column_encoding(["Biên Hòa", "Hố Nai 3", None, ""])
    'unicode'
    """
    return _examine(values, source_codec)[1].encoding


def repair_column(
    values: Iterable[Any], *, source_codec: SourceCodec | None = None
) -> tuple[list[Any] | pd.Series, Encoding, ColumnEvidence]:
    r"""Convert a column to NFC Unicode, decoding legacy TCVN3/VNI text or mojibake if detected.

    Parameters
    ----------
    values : iterable or pandas.Series
        The cells of one column. Non-string cells are returned as given; so are ASCII cells and
        cells that are already Unicode, apart from NFC normalisation.
    source_codec : {None, "cp1258"}, optional
        The code page the cells were decoded from without NFC (``decode_bytes(..., raw_cp1258=True)``):
        each cell's bytes are recovered with it, so raw TCVN3/VNI bytes repair exactly.

    Returns
    -------
    values : list or pandas.Series
        The repaired cells; a Series keeps its index, name and dtype.
    encoding : str
        The decision of :func:`detect_column_encoding`.
    evidence : ColumnEvidence
        Counts and per-reading syllable shares behind the decision, and the number of changed cells.

    Examples
    --------
    >>> fixed, encoding, evidence = repair_column(["KP 5, P. T©n Biªn, TP Biªn Hoµ", "Karaoke", None])
    >>> fixed, encoding, evidence.n_changed
    (['KP 5, P. Tân Biên, TP Biên Hoà', 'Karaoke', None], 'tcvn3', 1)
    >>> raw = "Khiªu d©m, kÝch dôc".encode("latin-1").decode("cp1258")  # 0xDD is "Ư" in cp1258
    >>> repair_column([raw, "Chøa m¹i d©m"], source_codec="cp1258")[0]
    ['Khiêu dâm, kích dục', 'Chứa mại dâm']
    """
    texts, evidence, fixed = _examine(values, source_codec)
    repaired = [fixed.get(j, v if v.isascii() else to_nfc(v)) for j, v in enumerate(texts.distinct)]
    changed = np.fromiter((old != new for old, new in zip(texts.distinct, repaired, strict=True)),
                          dtype=bool, count=len(repaired))
    cells = texts.cells.copy()
    if changed.any():  # each distinct text repaired once, spread to its cells
        cells[texts.where] = np.fromiter(repaired, dtype=object, count=len(repaired))[texts.codes]
    out = cells.tolist()
    evidence = replace(evidence, n_changed=int(texts.counts[changed].sum()))
    if isinstance(values, pd.Series):
        out = pd.Series(out, index=values.index, name=values.name, dtype=values.dtype)
    return out, evidence.encoding, evidence


def repair_frame(
    frame: pd.DataFrame, *, source_codec: SourceCodec | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Repair every text column of a frame with :func:`repair_column`; the input is not modified.

    Parameters
    ----------
    frame : pandas.DataFrame
        Any frame; columns of object or string dtype are examined, the others are copied as they are.
    source_codec : {None, "cp1258"}, optional
        The code page the cells were decoded from without NFC (``decode_bytes(..., raw_cp1258=True)``):
        each cell's bytes are recovered with it, so raw TCVN3/VNI bytes repair exactly.

    Returns
    -------
    frame : pandas.DataFrame
        A new frame with the same index and columns.
    report : pandas.DataFrame
        One row per examined column (indexed by column name) with ``encoding``, ``n_cells``,
        ``n_unicode``, ``n_candidates``, ``n_words``, ``n_changed`` and ``share_<reading>`` columns.

    Examples
    --------
    >>> raw = pd.DataFrame({"ten": ["Tªn c¬ së", "Karaoke"], "so": [1, 2]})
    >>> fixed, report = repair_frame(raw)
    >>> fixed["ten"].tolist(), report.loc["ten", "encoding"], list(report.index)
    (['Tên cơ sở', 'Karaoke'], 'tcvn3', ['ten'])
    """
    if not isinstance(frame, pd.DataFrame):
        raise TextEncodingError(f"repair_frame takes a pandas DataFrame, got {type(frame).__name__}.")
    out = frame.copy()
    rows = {}
    for name in frame.columns:
        column = frame[name]
        if not (pd.api.types.is_object_dtype(column.dtype) or isinstance(column.dtype, pd.StringDtype)):
            continue
        out[name], _, evidence = repair_column(column, source_codec=source_codec)
        rows[name] = _report_row(evidence)
    return out, pd.DataFrame.from_dict(rows, orient="index", columns=_REPORT_COLUMNS)


_REPORT_COLUMNS = [
    "encoding", "n_cells", "n_unicode", "n_candidates", "n_words", "n_changed",
    "share_unchanged", *(f"share_{r}" for r in _READINGS),
]


def _report_row(evidence: ColumnEvidence) -> list[Any]:
    shares = [evidence.shares.get(key, float("nan")) for key in ("unchanged", *_READINGS)]
    counts = [evidence.n_cells, evidence.n_unicode, evidence.n_candidates, evidence.n_words]
    return [evidence.encoding, *counts, evidence.n_changed, *shares]
