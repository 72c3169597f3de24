"""Keys for matching Vietnamese names: commune and district names, and vocabulary labels.

Two spellings of one name get one key: case, spacing and NFC/NFD forms ignored, old and new tone
placement (Hoà/Hòa) equal, commune and district prefixes (P., X., TT., T.T., Xã, Huyện, TP., ...)
removed whatever their case and tone placement, a trailing Roman numeral read as a digit (Hố Nai III =
Hố Nai 3, Phường I = Phường 1). Digits are kept as they are, so Bàu Hàm and Bàu Hàm 2 never match.
Only exact key equality is a match; nothing here is fuzzy.
"""

from __future__ import annotations

import functools
import re
import unicodedata

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_ROMAN = {"i": "1", "ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}


def text_key(text: str) -> str:
    """Lower case NFC text with one space between words and tone marks in one place (oà = òa).

    Examples
    --------
    >>> text_key("  Mua  bán DÂM ") == text_key("mua bán dâm")
    True
    >>> text_key("Hoà") == text_key("Hòa")
    True
    """
    return _text_key(text if isinstance(text, str) else str(text))


@functools.lru_cache(maxsize=1 << 16)
def _text_key(text: str) -> str:
    """:func:`text_key` of a str, remembered: a column repeats a few labels and names many times."""
    words = unicodedata.normalize("NFC", text).lower().split()
    return " ".join(_tone_word(w) for w in words)


def _tone_word(word: str) -> str:
    marks = unicodedata.normalize("NFD", word)
    tones = "".join(c for c in marks if c in _TONES)
    base = "".join(c for c in marks if c not in _TONES)
    if not tones:
        return unicodedata.normalize("NFC", word)
    return unicodedata.normalize("NFC", base + "#" + tones)


def _prefix_pattern(words: tuple[str, ...], abbreviations: str) -> re.Pattern:
    """A leading prefix of a keyed name: one of ``words``, or an abbreviation with a dot or a space after it.

    The words are matched as :func:`text_key` spells them, so their tone may sit on any vowel
    ("Phừơng" is "Phường").
    """
    keyed = "|".join(re.escape(" ".join(_tone_word(w) for w in word.split())) for word in words)
    return re.compile(rf"^(?:{keyed}|(?:{abbreviations})\.|(?:{abbreviations})(?=\s))\s*")


_COMMUNE_PREFIX = _prefix_pattern(("thị trấn", "phường", "xã"), r"t\.t|tt|p|x")
_DISTRICT_PREFIX = _prefix_pattern(("thành phố", "thị xã", "huyện", "quận"), r"t\.p|t\.x|tp|tx|h|q")


def commune_key(name: str) -> str:
    """A commune name without its prefix (P., Xã, TT., ...), one tone placement, a last Roman numeral a digit.

    Examples
    --------
    >>> commune_key("P. Tân Phong") == commune_key("Phường Tân Phong")
    True
    >>> commune_key("Xã Hố Nai III") == commune_key("Hố Nai 3")
    True
    >>> commune_key("Xuân Hoà") == commune_key("Xuân Hòa")
    True
    >>> commune_key("Bàu Hàm") == commune_key("Bàu Hàm 2")
    False
    >>> commune_key("Phường I") == commune_key("P.1")
    True
    >>> commune_key("T.T. Trảng Bom") == commune_key("Phừơng Trảng Bom") == commune_key("Trảng Bom")
    True
    """
    return _commune_key(name if isinstance(name, str) else str(name))


@functools.lru_cache(maxsize=1 << 16)
def _commune_key(name: str) -> str:
    words = _COMMUNE_PREFIX.sub("", _text_key(name)).split()
    if words and words[-1] in _ROMAN:  # a trailing Roman numeral: Hố Nai III, Phường I
        words[-1] = _ROMAN[words[-1]]
    return " ".join(words)


def district_key(name: str) -> str:
    """A district name without its prefix (TP, Huyện, TX., ...), tones placed one way.

    Examples
    --------
    >>> district_key("TP. Biên Hòa") == district_key("Thành phố Biên Hoà") == district_key("T.P Biên Hòa")
    True
    """
    return _DISTRICT_PREFIX.sub("", text_key(name))
