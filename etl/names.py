"""Keys for matching Vietnamese names: commune and district names, and vocabulary labels.

Two spellings of one name get one key: case, spacing and NFC/NFD forms ignored, old and new tone
placement (Hoà/Hòa) equal, commune and district prefixes (P., X., TT., Xã, Huyện, TP., ...) removed,
Roman numerals read as digits (Hố Nai III = Hố Nai 3). Digits are kept as they are, so Bàu Hàm and
Bàu Hàm 2 never match. Only exact key equality is a match; nothing here is fuzzy.
"""

from __future__ import annotations

import re
import unicodedata

_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_ROMAN = {"ii": "2", "iii": "3", "iv": "4", "v": "5", "vi": "6", "vii": "7", "viii": "8", "ix": "9"}
_COMMUNE_PREFIX = re.compile(r"^(?:thị trấn|phường|xã|tt\.|p\.|x\.|tt(?=\s)|p(?=\s)|x(?=\s))\s*")
_DISTRICT_PREFIX = re.compile(
    r"^(?:thành phố|thị xã|huyện|quận|tp\.|tx\.|h\.|q\.|tp(?=\s)|tx(?=\s)|h(?=\s)|q(?=\s))\s*")


def text_key(text: str) -> str:
    """Lower case NFC text with one space between words and tone marks in one place (oà = òa).

    Examples
    --------
    >>> text_key("  Mua  bán DÂM ") == text_key("mua bán dâm")
    True
    >>> text_key("Hoà") == text_key("Hòa")
    True
    """
    words = unicodedata.normalize("NFC", str(text)).lower().split()
    return " ".join(_tone_word(w) for w in words)


def _tone_word(word: str) -> str:
    marks = unicodedata.normalize("NFD", word)
    tones = "".join(c for c in marks if c in _TONES)
    base = "".join(c for c in marks if c not in _TONES)
    if not tones:
        return unicodedata.normalize("NFC", word)
    return unicodedata.normalize("NFC", base + "#" + tones)


def commune_key(name: str) -> str:
    """A commune name without its prefix (P., Xã, TT., ...), tones placed one way, Roman numerals as digits.

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
    """
    text = _COMMUNE_PREFIX.sub("", unicodedata.normalize("NFC", str(name)).lower().strip())
    words = text_key(text).split()
    return " ".join(_ROMAN.get(w, "1" if w == "i" and n else w) for n, w in enumerate(words))


def district_key(name: str) -> str:
    """A district name without its prefix (TP, Huyện, TX., ...), tones placed one way.

    Examples
    --------
    >>> district_key("TP. Biên Hòa") == district_key("Thành phố Biên Hoà")
    True
    """
    return text_key(_DISTRICT_PREFIX.sub("", unicodedata.normalize("NFC", str(name)).lower().strip()))
