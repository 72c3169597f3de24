"""Vocabularies: the Vietnamese (or English) labels of a coded field, and the code each loads as.

The tables live in ``etl/vocabulary.toml`` (incident kinds, violation types, establishment types, case
types, outcomes, team levels, site kinds, site events, yes/no). Labels match on :func:`label_key`:
case, spacing, punctuation and tone placement ignored, diacritics kept. An *open* table (one with an
``unknown`` code) loads a label it does not list as that code, and the caller warns ``UNKNOWN_LABEL``;
a closed table has no such code and the caller rejects the row.

A table's ``properties`` say what its codes mean to the analyses (which incident kinds are
prostitution, which outcomes are sanctions): :meth:`Vocabulary.having` reads one, and
:func:`act_codes` bundles those the classification and the plan targets use.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from etl.errors import EtlError
from etl.names import text_key
from geo.classify import ActCodes

VOCABULARY_PATH = Path(__file__).with_name("vocabulary.toml")
"""The vocabulary file shipped with the package."""

_PUNCTUATION = re.compile(r"[^\w]+")


class VocabularyError(EtlError, ValueError):
    """A malformed vocabulary file, or a table it does not have."""


@dataclass(frozen=True)
class Vocabulary:
    """One table: label key to code, and the code of unknown labels (None for a closed table)."""

    name: str
    codes: dict[str, str]
    unknown: str | None
    properties: dict[str, frozenset[str]] = field(default_factory=dict)
    shown: dict[str, str] = field(default_factory=dict)
    """The first label listed for each code, as written (what a form offers)."""

    def code(self, label: str | None) -> str | None:
        """The code of ``label``; the ``unknown`` code for a label not listed; None for a blank one.

        Examples
        --------
        >>> kinds = vocabulary("incident_kinds")
        >>> kinds.code("MUA, BÁN DÂM"), kinds.code("Hành vi lạ"), kinds.code("  ")
        ('mua_ban_dam', 'other', None)
        >>> vocabulary("team_levels").code("Cấp huyện"), vocabulary("team_levels").code("Bộ")
        ('huyen', None)
        """
        key = label_key(label) if label is not None else ""
        if not key:
            return None
        return self.codes.get(key, self.unknown)

    def having(self, prop: str) -> frozenset[str]:
        """The codes with property ``prop`` (the table's ``properties``).

        Raises
        ------
        VocabularyError
            When the table has no such property; the message lists the ones it has.

        Examples
        --------
        >>> "vi_pham_dieu_kien_kinh_doanh" in vocabulary("violation_types").having("prostitution_related")
        False
        >>> sorted(vocabulary("inspection_outcomes").having("sanction"))
        ['tam_dinh_chi', 'tuoc_giay_phep', 'xu_phat']
        """
        if prop not in self.properties:
            raise VocabularyError(f"[{self.name}] has no property {prop!r}; it has "
                                  f"{', '.join(sorted(self.properties)) or 'none'}")
        return self.properties[prop]

    def choices(self) -> dict[str, str]:
        """Each listed code with its first label as written, in the file's order: a form's choice list.

        Every label maps back to its code, so a form may send the label through the ingest.

        Examples
        --------
        >>> offices = vocabulary("offices").choices()
        >>> offices["ubnd_xa"], vocabulary("offices").code(offices["cong_an_xa"])
        ('UBND xã', 'cong_an_xa')
        """
        return dict(self.shown)

    def knows(self, label: str) -> bool:
        """True when ``label`` is listed (not merely loaded as the ``unknown`` code)."""
        return label_key(label) in self.codes

    def labels(self, limit: int = 6) -> str:
        """A few listed codes, for messages."""
        codes = sorted(set(self.codes.values()))
        return ", ".join(codes[:limit]) + (", ..." if len(codes) > limit else "")


def label_key(label: str) -> str:
    """The matching key of a label: :func:`etl.names.text_key` with punctuation read as spaces.

    Examples
    --------
    >>> label_key("Mua, bán  dâm.") == label_key("mua bán dâm")
    True
    >>> label_key("Khiêu dâm") == label_key("Khieu dam")
    False
    """
    return text_key(_PUNCTUATION.sub(" ", str(label)))


def vocabulary(name: str, path: str | Path | None = None) -> Vocabulary:
    """Load one table of a vocabulary file (the shipped one by default).

    Parameters
    ----------
    name : str
        The table, e.g. ``"incident_kinds"``, ``"violation_types"``, ``"yes_no"``.
    path : str or pathlib.Path, optional
        Another vocabulary file with the same layout.

    Returns
    -------
    Vocabulary

    Raises
    ------
    VocabularyError
        For an unknown table, an unreadable file, or one label listed under two codes.

    Examples
    --------
    >>> vocabulary("establishment_types").code("Massage, xông hơi")
    'massage'
    >>> vocabulary("nothing")
    Traceback (most recent call last):
    ...
    etl.vocabulary.VocabularyError: no vocabulary 'nothing'; the tables are activity_forms, case_types, \
establishment_types, holds, incident_kinds, incident_outcomes, inspection_outcomes, offices, site_events, \
site_kinds, team_levels, tip_categories, tip_channels, tip_results, violation_types, yes_no
    """
    tables = _load(str(Path(path) if path else VOCABULARY_PATH))
    if name not in tables:
        raise VocabularyError(f"no vocabulary {name!r}; the tables are {', '.join(sorted(tables))}")
    return tables[name]


@cache
def _load(path: str) -> dict[str, Vocabulary]:
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise VocabularyError(f"{path}: cannot read the vocabulary ({exc}); fix the file.") from exc
    tables = {}
    for name, table in data.items():
        codes: dict[str, str] = {}
        shown = {code: labels[0] for code, labels in table.get("labels", {}).items() if labels}
        for code, labels in table.get("labels", {}).items():
            for label in labels:
                key = label_key(label)
                if codes.get(key, code) != code:
                    raise VocabularyError(f"{path}: label {label!r} of [{name}] is listed under both "
                                          f"{codes[key]!r} and {code!r}; keep it under one code.")
                codes[key] = code
        tables[name] = Vocabulary(name, codes, table.get("unknown"),
                                  _properties(path, name, table, set(codes.values())), shown)
    return tables


def _properties(path: str, name: str, table: dict, codes: set[str]) -> dict[str, frozenset[str]]:
    """The ``properties`` of one table; each must list codes the table has."""
    out = {}
    for prop, listed in table.get("properties", {}).items():
        unknown = sorted(set(listed) - codes)
        if unknown:
            raise VocabularyError(f"{path}: property {prop!r} of [{name}] lists {', '.join(unknown)}, which "
                                  f"[{name}] has no labels for; use its codes ({', '.join(sorted(codes))}).")
        out[prop] = frozenset(listed)
    return out


def act_codes(path: str | Path | None = None) -> ActCodes:
    """The codes the classification and the plan targets read, from the vocabulary's properties.

    Examples
    --------
    >>> codes = act_codes()
    >>> "other" in codes.prostitution_kinds, "xu_phat" in codes.sanction_outcomes
    (False, True)
    """
    return ActCodes(
        prostitution_kinds=vocabulary("incident_kinds", path).having("prostitution_related"),
        case_kinds=vocabulary("incident_kinds", path).having("buying_selling_case"),
        prostitution_violations=vocabulary("violation_types", path).having("prostitution_related"),
        busted_outcomes=vocabulary("incident_outcomes", path).having("busted"),
        sanction_outcomes=vocabulary("inspection_outcomes", path).having("sanction"),
    )
