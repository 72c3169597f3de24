"""Keyed hashes of case, record, registration and site numbers: pseudonymised at the door.

A case or decision number, an inspection-record number or a household business's registration number
can lead back to a person, so none is ever stored: the ingest replaces each such column by the
HMAC-SHA256 of its normalised value under a key held outside the database (``DIABAN_HMAC_KEY``, or a
key file in the instance folder; the CLI and the web app read it and pass it down). The same number
under the same key gives the same hash, so re-imports still deduplicate and records still link.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from collections.abc import Callable

import pandas as pd

from etl.errors import ParserOptionError
from etl.text import is_blank

REF_FIELDS: dict[str, str] = {
    "case_ref": "case_ref_hmac",
    "record_ref": "record_ref_hmac",
    "site_ref": "site_ref_hmac",
    "establishment_ref": "establishment_ref_hmac",
    "registration_no": "registration_hmac",
    "licence_no": "licence_hmac",
    "antt_certificate": "antt_certificate_hmac",
    "tip_ref": "tip_ref_hmac",
}
"""Source fields holding a number to pseudonymise, and the column of its keyed hash."""

MIN_KEY_BYTES = 16
_SEPARATORS = re.compile(r"[\s.\u00a0]+")
_DASHES = re.compile(r"[\u2010-\u2015\u2212_]")


def normalise_ref(value: object) -> str:
    """The canonical form of a number before hashing: NFC, upper case, no spaces or dots, one dash.

    Examples
    --------
    >>> normalise_ref(" 12/qđ-xp ") == normalise_ref("12/QĐ–XP") == "12/QĐ-XP"
    True
    >>> normalise_ref(3600123456.0)
    '3600123456'
    """
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = unicodedata.normalize("NFC", str(value)).upper()
    return _SEPARATORS.sub("", _DASHES.sub("-", text))


def keyed_hash(value: object, key: bytes) -> str:
    """HMAC-SHA256 (hex) of :func:`normalise_ref` of ``value`` under ``key``.

    Examples
    --------
    >>> keyed_hash("12/QĐ-XP", b"k" * 16) == keyed_hash(" 12/qđ-xp", b"k" * 16)
    True
    >>> len(keyed_hash("12/QĐ-XP", b"k" * 16)), keyed_hash("1", b"k" * 16) == keyed_hash("1", b"j" * 16)
    (64, False)
    """
    return hmac.new(key, normalise_ref(value).encode("utf-8"), hashlib.sha256).hexdigest()


def check_key(key: bytes | None) -> bytes:
    """Return ``key`` if it is long enough to pseudonymise with, else raise.

    Examples
    --------
    >>> check_key(b"short")
    Traceback (most recent call last):
    ...
    etl.errors.ParserOptionError: the pseudonymisation key has 5 bytes; give at least 16 \
(DIABAN_HMAC_KEY, or the key file in the instance folder)
    """
    if key is None:
        raise ParserOptionError(
            "the file holds case, record or registration numbers and no pseudonymisation key was given; "
            "pass hmac_key= (the CLI and the web app read DIABAN_HMAC_KEY or the instance key file)")
    if len(key) < MIN_KEY_BYTES:
        raise ParserOptionError(f"the pseudonymisation key has {len(key)} bytes; give at least "
                                f"{MIN_KEY_BYTES} (DIABAN_HMAC_KEY, or the key file in the instance folder)")
    return key


def pseudonymise(frame: pd.DataFrame, key: bytes | Callable[[], bytes] | None) -> pd.DataFrame:
    """Replace every :data:`REF_FIELDS` column of ``frame`` by its keyed hash column.

    A frame without such columns needs no key: a callable ``key`` is only called when one is there
    (the CLI then reads or creates the key file only for files that need it). Blank cells give None.

    Examples
    --------
    >>> out = pseudonymise(pd.DataFrame({"case_ref": ["12/QĐ", None], "x": [1, 2]}), b"k" * 16)
    >>> list(out.columns), out["case_ref_hmac"].isna().tolist()
    (['x', 'case_ref_hmac'], [False, True])
    """
    present = [c for c in REF_FIELDS if c in frame.columns]
    if not present:
        return frame
    key = check_key(key() if callable(key) else key)
    out = frame.drop(columns=present)
    for column in present:
        out[REF_FIELDS[column]] = [None if is_blank(v) else keyed_hash(v, key) for v in frame[column]]
    return out
