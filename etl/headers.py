"""Header matching: source column headers to canonical fields, and the privacy allow-list.

Headers arrive in Vietnamese or English, with or without diacritics, in any case and spacing. They are
compared on a *key* (:func:`header_key`) against the synonym table shipped in ``etl/synonyms.toml``;
a user's mapping (``--mapping FILE``, TOML or CSV) takes precedence over the table.

Privacy is an allow-list (DOMAIN.md, data-realities.md §8). A column is kept only when its header maps
to a canonical field of the record kind, through the synonym table or the user's mapping; *every*
other column is dropped before its values are read and listed with its reason (:data:`DROP_REASONS`):

- a header matching a forbidden pattern of ``[[forbidden]]`` (a person's name, nickname or role such
  as suspect, victim, owner, manager, contact; birth date, age or sex; ID numbers; phones and
  social-media handles; home addresses; ethnicity, religion, nationality; free-text notes; criminal
  and health records) is dropped with that reason ("identifies a person");
- any other header that names no field of the kind is dropped as ``not_a_field``, and a second
  header for a field already taken as ``duplicate_field``.

The deny patterns thus no longer decide what is kept; they name the reason, count as header cells
when the header row is searched for, and bar a user mapping: a forbidden header can never be mapped
into the result. A header that is a synonym of the kind's field wins over the patterns ("Số người
bán dâm" is a count, not a person). Without a kind (``read_table`` for a quick look) nothing is
renamed and only headers that are a field of some kind, or a key of the mapping, are kept.

Which canonical fields may carry text, and why none of them identifies a person:

- ``name`` of an establishment, ``establishment_name`` (sites, incidents, inspections) and the site
  ``name`` / ``site_name``: business names and place descriptors, business data (DOMAIN.md: visible to
  ``analyst`` and above). "Tên hộ kinh doanh" may repeat the household owner's name as the business's
  registered name; it is still the business's name, and a column naming the owner ("Chủ cơ sở",
  "Chủ hộ", "Chủ quán") is always dropped.
- ``address``: the premises of an establishment or the place of a site, site event or inspected
  establishment. For incidents only the place of the event ("Nơi xảy ra", "Địa điểm xảy ra") maps to
  it: a bare "Địa chỉ" column in a case list is the residence of a person, so it is not a synonym of
  incidents and is dropped there.
- ``commune``, ``district``, ``province``, coordinates: places.
- ``agency``, ``identified_by``, ``detecting_agency``, ``team_type``, ``team_level``: organisations,
  never people (a team member or leader, "Trưởng đoàn", "Cán bộ", is a forbidden header).
- Coded fields (``incident_kind``, ``outcome``, ``violation``, ``event_type``, ``site_type``,
  ``establishment_type``, ``case_type``, ``status``) keep the label as written next to its code.
- Case, record, registration, licence and site numbers are replaced by keyed hashes at once
  (``etl.pseudonyms``) and never stored or shown in clear.
- No field is a free-text note ("Ghi chú", "Mô tả", "Nội dung", "Kết quả kiểm tra" are forbidden).
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, get_args

from etl.errors import HeaderMappingError

Kind = Literal["establishments", "sites", "site-events", "incidents", "inspections", "tips", "activities",
               "commune-reports", "attestations"]
KINDS: tuple[str, ...] = get_args(Kind)
"""The record kinds the ingest knows, as written on the command line."""

SYNONYMS_PATH = Path(__file__).with_name("synonyms.toml")
"""The synonym table shipped with the package."""

_COUNT_PREFIXES = (("so",), ("tong", "so"), ("so", "luong"), ("tong",))

NOT_A_FIELD = "not_a_field"
"""The reason of a dropped column whose header names no field of the kind (and no person)."""
DUPLICATE_FIELD = "duplicate_field"
"""The reason of a dropped column whose field an earlier column of the file already gives."""
DROP_REASONS: dict[str, tuple[str, str]] = {
    "person_name": ("định danh một người", "identifies a person"),
    "birth_or_age": ("định danh một người (ngày sinh, tuổi, giới tính)",
                     "identifies a person (birth date, age, sex)"),
    "id_number": ("định danh một người (số giấy tờ)", "identifies a person (ID number)"),
    "phone_or_handle": ("định danh một người (điện thoại, tài khoản)",
                        "identifies a person (phone or handle)"),
    "home_address": ("định danh một người (nơi ở)", "identifies a person (home address)"),
    "personal_trait": ("định danh một người (dân tộc, tôn giáo, quốc tịch)",
                       "identifies a person (ethnicity, religion, nationality)"),
    "free_text": ("ghi chú tự do, có thể chứa thông tin cá nhân", "free text, may name people"),
    "sensitive_record": ("định danh một người (tiền án, sức khỏe, phương tiện)",
                         "identifies a person (criminal, health or vehicle record)"),
    NOT_A_FIELD: ("không phải trường dữ liệu của loại này", "not a field of this kind"),
    DUPLICATE_FIELD: ("trường này đã có ở cột trước", "the same field as an earlier column"),
}
"""Why a column was dropped, per reason code: (Vietnamese, English)."""


@dataclass(frozen=True)
class DroppedColumn:
    """A column dropped at read time: its header, the reason code and the pattern (or field) that decided.

    Examples
    --------
    >>> DroppedColumn("Cột X", "not_a_field", "").explanation
    'not a field of this kind'
    """

    column: str
    reason: str
    pattern: str

    @property
    def explanation(self) -> str:
        """The reason in English words (:data:`DROP_REASONS`)."""
        return DROP_REASONS.get(self.reason, (self.reason, self.reason))[1]

    @property
    def private(self) -> bool:
        """True when the header matched a forbidden pattern (it names personal data)."""
        return self.reason not in (NOT_A_FIELD, DUPLICATE_FIELD)


@dataclass(frozen=True)
class HeaderMapping:
    """The outcome of :func:`map_headers`.

    ``rename`` maps each kept source header to its canonical field (empty without a kind), ``dropped``
    lists every other column with its reason. ``unmatched`` names the dropped columns that name no
    person, only no field (``not_a_field`` and ``duplicate_field``).
    """

    rename: dict[str, str]
    dropped: list[DroppedColumn] = field(default_factory=list)

    @property
    def unmatched(self) -> list[str]:
        """The dropped headers that matched no forbidden pattern."""
        return [d.column for d in self.dropped if not d.private]


@dataclass(frozen=True)
class _Rule:
    reason: str
    words: tuple[str, ...]
    pattern: str
    exact: bool
    count_prefix_ok: bool


@dataclass(frozen=True)
class Synonyms:
    """A loaded synonym table: header key to field per kind (``"common"`` included), and forbidden rules."""

    fields: dict[str, dict[str, str]]
    rules: tuple[_Rule, ...]

    def field_names(self, kind: str | None) -> set[str]:
        """The canonical fields of ``kind`` (all kinds when None), common place fields included."""
        kinds = [kind] if kind else list(self.fields)
        return {name for k in ["common", *kinds] for name in self.fields.get(k, {}).values()}


def header_words(text: Any) -> tuple[str, ...]:
    """The words of a header, lower-case ASCII without diacritics (đ becomes d).

    Examples
    --------
    >>> header_words("Họ tên người VI PHẠM")
    ('ho', 'ten', 'nguoi', 'vi', 'pham')
    >>> header_words("Đ/c thường-trú (HKTT)")
    ('d', 'c', 'thuong', 'tru', 'hktt')
    """
    if text is None:
        return ()
    folded = unicodedata.normalize("NFD", str(text).replace("đ", "d").replace("Đ", "D"))
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch)).lower()
    return tuple(re.findall(r"[a-z0-9]+", folded))


def header_key(text: Any) -> str:
    """The matching key of a header: its words joined, so case, diacritics, punctuation and spacing vanish.

    Examples
    --------
    >>> header_key("Tên cơ sở") == header_key("TEN CO-SO") == header_key("Tencoso")
    True
    >>> header_key("Tọa độ X"), header_key("Toạ  độ x")
    ('toadox', 'toadox')
    """
    return "".join(header_words(text))


def load_synonyms(path: str | Path | None = None) -> Synonyms:
    """Load a synonym table (TOML); None loads the one shipped with the package.

    Parameters
    ----------
    path : str or pathlib.Path, optional
        A TOML file with ``[fields.<kind>]`` tables (field = list of headers) and ``[[forbidden]]``
        entries (``reason``, ``patterns``, optional ``exact`` and ``count_prefix_ok``).

    Returns
    -------
    Synonyms

    Raises
    ------
    HeaderMappingError
        If the file cannot be read, or two fields of one kind share a header key.

    Examples
    --------
    >>> table = load_synonyms()
    >>> table.fields["inspections"][header_key("Ngay KT")]
    'inspection_date'
    >>> sorted({rule.reason for rule in table.rules})[:3]
    ['birth_or_age', 'free_text', 'home_address']
    """
    if path is None:
        return _shipped()
    return _parse_synonyms(_read_text(Path(path)), str(path))


@cache
def _shipped() -> Synonyms:
    return _parse_synonyms(SYNONYMS_PATH.read_text(encoding="utf-8"), str(SYNONYMS_PATH))


def field_headers(kind: Kind) -> dict[str, tuple[str, ...]]:
    """The headers the shipped table lists for each field of ``kind``, as written (common place fields too).

    The first header of a field is its Vietnamese name; a form labels the field with it and writes it as
    the column header of the row it sends through the ingest (it maps back to the field).

    Examples
    --------
    >>> field_headers("tips")["received_date"][:2], field_headers("tips")["commune"][0]
    (('Ngày tiếp nhận', 'Ngày nhận tin'), 'Xã/phường')
    """
    if kind not in KINDS:
        raise HeaderMappingError(f"kind={kind!r} is not one of {', '.join(KINDS)}.")
    tables = _shipped_headers()
    return {name: tuple(headers) for part in ("common", kind)
            for name, headers in tables.get(part, {}).items()}


@cache
def _shipped_headers() -> dict[str, dict[str, list[str]]]:
    return tomllib.loads(SYNONYMS_PATH.read_text(encoding="utf-8")).get("fields", {})


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise HeaderMappingError(f"{path}: cannot read the file ({exc.strerror}); check the path.") from exc
    except UnicodeDecodeError as exc:
        raise HeaderMappingError(f"{path}: not UTF-8 text; save it as UTF-8.") from exc


def _parse_synonyms(text: str, source: str) -> Synonyms:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise HeaderMappingError(f"{source}: not valid TOML ({exc}); fix the syntax.") from exc
    fields: dict[str, dict[str, str]] = {}
    for kind, table in data.get("fields", {}).items():
        if kind != "common" and kind not in KINDS:
            raise HeaderMappingError(f"{source}: [fields.{kind}] is not one of common, {', '.join(KINDS)}.")
        keys: dict[str, str] = {}
        for name, headers in table.items():
            for header in headers:
                key = header_key(header)
                if keys.get(key, name) != name:
                    raise HeaderMappingError(
                        f"{source}: header {header!r} of [fields.{kind}] names both {keys[key]!r} "
                        f"and {name!r}; keep it under one field."
                    )
                keys[key] = name
        fields[kind] = keys
    return Synonyms(fields, tuple(_rules(data.get("forbidden", []))))


def _rules(entries: list[dict[str, Any]]) -> Iterable[_Rule]:
    for entry in entries:
        prefix_ok = bool(entry.get("count_prefix_ok", False))
        for exact, key in ((False, "patterns"), (True, "exact")):
            for pattern in entry.get(key, []):
                yield _Rule(entry["reason"], header_words(pattern), pattern, exact, prefix_ok)


def load_mapping(path: str | Path) -> dict[str, str]:
    r"""Read a user mapping file (``--mapping``): source header to canonical field.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.toml`` file (top-level ``"header" = "field"`` pairs, or the same under ``[mapping]``) or a
        ``.csv`` file with two columns, source header and field (a first row ``source,field`` is skipped).

    Returns
    -------
    dict of str to str

    Raises
    ------
    HeaderMappingError
        For another extension, an unreadable file or a malformed line.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     file = pathlib.Path(tmp, "map.csv")
    ...     _ = file.write_text("source,field\nCột 7,fine\n", encoding="utf-8")
    ...     load_mapping(file)
    {'Cột 7': 'fine'}
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".toml", ".csv"):
        raise HeaderMappingError(
            f"{path}: a mapping file must be .toml or .csv, not {suffix or 'no extension'!r}."
        )
    text = _read_text(path)
    if suffix == ".toml":
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise HeaderMappingError(
                f'{path}: not valid TOML ({exc}); write lines like "Cột 7" = "fine".'
            ) from exc
        data = data.get("mapping", data)
        bad = [key for key, value in data.items() if not isinstance(value, str)]
        if bad:
            raise HeaderMappingError(
                f'{path}: {bad[0]!r} must map to a field name string, like "Cột 7" = "fine".'
            )
        return dict(data)
    return _csv_mapping(text, path)


def _csv_mapping(text: str, path: Path) -> dict[str, str]:
    out: dict[str, str] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or (number == 1 and [header_key(c) for c in cells[:2]] == ["source", "field"]):
            continue
        if len(cells) != 2 or not all(cells):
            raise HeaderMappingError(
                f"{path}, line {number}: expected two cells 'source header,field', got {row!r}."
            )
        out[cells[0]] = cells[1]
    return out


def forbidden_reason(
    header: Any, *, kind: Kind | None = None, synonyms: Synonyms | None = None
) -> DroppedColumn | None:
    """Whether a header must be dropped for privacy, and why.

    Parameters
    ----------
    header : str
        The source header.
    kind : str, optional
        The record kind; a synonym of one of its fields (or of a common place field) is never forbidden.
    synonyms : Synonyms, optional
        The table; the shipped one by default.

    Returns
    -------
    DroppedColumn or None
        None when the column may be read.

    Examples
    --------
    >>> forbidden_reason("Chủ cơ sở").reason, forbidden_reason("SĐT").reason
    ('person_name', 'phone_or_handle')
    >>> forbidden_reason("Tên cơ sở") is None, forbidden_reason("Số người vi phạm") is None
    (True, True)
    >>> forbidden_reason("Ghi chú").reason
    'free_text'
    """
    table = synonyms or _shipped()
    words = header_words(header)
    key = "".join(words)
    if not key or any(key in table.fields.get(k, {}) for k in ("common", kind) if k):
        return None
    for rule in table.rules:
        if rule.count_prefix_ok and any(words[: len(p)] == p for p in _COUNT_PREFIXES):
            continue
        target = "".join(rule.words)
        if (key == target) if rule.exact else _has_run(words, target):
            return DroppedColumn(str(header), rule.reason, rule.pattern)
    return None


def _has_run(words: tuple[str, ...], target: str) -> bool:
    """True when ``target`` equals the concatenation of consecutive ``words``."""
    for start in range(len(words)):
        joined = ""
        for word in words[start:]:
            joined += word
            if joined == target:
                return True
            if not target.startswith(joined):
                break
    return False


def map_headers(
    headers: Iterable[Any],
    kind: Kind | None = None,
    *,
    mapping: Mapping[str, str] | str | Path | None = None,
    synonyms: Synonyms | None = None,
) -> HeaderMapping:
    """Map source headers to canonical fields of a kind; every other header is dropped, with its reason.

    Parameters
    ----------
    headers : iterable of str
        The source headers, in order.
    kind : {"establishments", "sites", "site-events", "incidents", "inspections"}, optional
        The record kind. Without it no header is renamed, and only headers naming a field of some kind
        (or a key of ``mapping``) are kept.
    mapping : dict or path, optional
        User overrides, source header to field (a file is read with :func:`load_mapping`). Keys match
        on :func:`header_key`; they win over the synonym table but never over the privacy rules.
    synonyms : Synonyms, optional
        The table; the shipped one by default.

    Returns
    -------
    HeaderMapping
        When two headers name the same field, the first keeps it and the next is dropped
        (``duplicate_field``).

    Raises
    ------
    HeaderMappingError
        For an unknown kind, or a mapping to a field the kind does not have.

    Examples
    --------
    >>> result = map_headers(["TT", "Ten co so", "Ngày KT", "Tiền phạt", "Chủ cơ sở"], "inspections")
    >>> result.rename
    {'Ten co so': 'establishment_name', 'Ngày KT': 'inspection_date', 'Tiền phạt': 'fine'}
    >>> [(d.column, d.reason) for d in result.dropped]
    [('TT', 'not_a_field'), ('Chủ cơ sở', 'person_name')]
    >>> map_headers(["Cột 7"], "inspections", mapping={"cot 7": "fine"}).rename
    {'Cột 7': 'fine'}
    """
    table = synonyms or _shipped()
    if kind is not None and kind not in KINDS:
        raise HeaderMappingError(f"kind={kind!r} is not one of {', '.join(KINDS)}.")
    overrides = _overrides(mapping, kind, table)
    kinds = ["common", kind] if kind else list(table.fields)
    known = {key: name for k in kinds for key, name in table.fields.get(k, {}).items()}
    rename: dict[str, str] = {}
    dropped: list[DroppedColumn] = []
    for header in headers:
        key = header_key(header)
        target = overrides.get(key) or known.get(key)
        reason = forbidden_reason(header, kind=kind, synonyms=table)
        if reason is None and target is None:
            reason = DroppedColumn(str(header), NOT_A_FIELD, "")
        elif reason is None and kind is not None and target in rename.values():
            reason = DroppedColumn(str(header), DUPLICATE_FIELD, target)
        if reason is not None:
            dropped.append(reason)
        elif kind is not None:
            rename[header] = target
    return HeaderMapping(rename, dropped)


def _overrides(
    mapping: Mapping[str, str] | str | Path | None, kind: Kind | None, table: Synonyms
) -> dict[str, str]:
    if mapping is None:
        return {}
    pairs = load_mapping(mapping) if isinstance(mapping, str | Path) else dict(mapping)
    allowed = table.field_names(kind)
    for source, target in pairs.items():
        if target not in allowed:
            raise HeaderMappingError(
                f"mapping {source!r} -> {target!r}: {target!r} is not a field of {kind or 'any kind'}; "
                f"use one of {', '.join(sorted(allowed))}."
            )
    return {header_key(source): target for source, target in pairs.items()}


def header_score(cells: Iterable[Any], kind: Kind | None = None, *, synonyms: Synonyms | None = None) -> int:
    """How many cells of a row read as known headers (a field of the kind, or a forbidden header).

    Used to find the real header row below the title rows of a report template.

    Examples
    --------
    >>> header_score(["UBND TỈNH ĐỒNG NAI", None, None])
    0
    >>> header_score(["STT", "Tên cơ sở", "Ngày KT", "Ghi chú"], "inspections")
    3
    """
    table = synonyms or _shipped()
    kinds = ["common", kind] if kind else list(table.fields)
    keys = set().union(*(table.fields.get(k, {}) for k in kinds))
    score = 0
    for cell in cells:
        key = header_key(cell)
        if key and (key in keys or forbidden_reason(cell, kind=kind, synonyms=table) is not None):
            score += 1
    return score
