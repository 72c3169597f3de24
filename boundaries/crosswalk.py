"""The crosswalk between boundary vintages: which new units each old unit went into.

The 2025 reorganisation is published as free text per new unit ("trước sáp nhập": the
predecessors, e.g. "Phường Tân Phong, Xã Tân Bình, Xã Bình Lợi, Xã Thạnh Phú"). The names are
those of the list in force just before (2024-11), sometimes with a district qualifier
("Xã Thanh Bình (huyện Trảng Bom)"), and a unit split between successors is named by each
of them, one with "(phần còn lại …)". This module turns the text into a table keyed by codes:

- a name counts only where the old unit's polygon really overlaps the successor's;
- an old unit named by exactly one successor went there ``whole``;
- an old unit named by several successors was ``split``: its name-only records are flagged,
  never guessed;
- an old unit the text does not name (dissolved or merged away in an intermediate
  reorganisation, or spelled differently) is placed by area shares alone (``method`` =
  ``geometry``): ``whole`` when one new unit holds 90 % of it, otherwise ``split``.

Records with coordinates never need this: they are re-assigned exactly to any vintage.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from boundaries.errors import BoundaryDataError
from boundaries.province import Province
from boundaries.units import TYPE_PREFIXES
from geo.settings import AREA_CRS

#: Old-style tone placement (hoà, thuỷ) → the new style (hòa, thủy), for comparing names.
_TONE = {"oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
         "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
         "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy"}
#: Least share of an old unit's area in a named successor for the name match to stand; the
#: 2016–2019 layer is generalised (±150 m); a wrong name match (a namesake elsewhere)
#: shares nothing, while the smaller part of a real split can be a few per cent.
MIN_SHARE = 0.01
#: Without a name in the text, an old unit went ``whole`` to a new one holding this much of it.
WHOLE_SHARE = 0.9
_QUALIFIED = re.compile(r"^(?P<name>[^(]+?)\s*\((?P<note>[^)]*)\)\s*$")


@dataclass(frozen=True)
class CrosswalkSpec:
    """A configured crosswalk: successors' text, and the lists whose names the text uses.

    One list per former province of a province made of several.
    """

    from_vintage: str
    to_vintage: str
    successors: Path
    predecessor_lists: tuple[Path, ...]


def name_key(name: str) -> str:
    """Normalise a unit name for comparison: NFC, lower case, one tone-placement style.

    Examples
    --------
    >>> name_key("Xã Xuân Hoà") == name_key("xã  Xuân Hòa")
    True
    """
    text = " ".join(unicodedata.normalize("NFC", name).lower().split())
    for old, new in _TONE.items():
        text = text.replace(old, new)
    return text


def split_predecessors(text: str) -> list[tuple[str, str | None]]:
    """Split a predecessors text into (name, parenthesised note) pairs.

    Examples
    --------
    >>> split_predecessors("Phường An Lộc, Xã Thanh Bình (huyện Hớn Quản)")
    [('Phường An Lộc', None), ('Xã Thanh Bình', 'huyện Hớn Quản')]
    """
    parts, depth, current = [], 0, ""
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    out = []
    for part in (p.strip() for p in parts if p.strip()):
        match = _QUALIFIED.match(part)
        out.append((match["name"].strip(), match["note"].strip()) if match else (part, None))
    return out


def build_crosswalk(spec: CrosswalkSpec, old_units: gpd.GeoDataFrame,
                    new_units: gpd.GeoDataFrame, *, min_share: float = MIN_SHARE) -> pd.DataFrame:
    """Read the successors' text, resolve it to codes and check it against the geometry.

    Parameters
    ----------
    old_units, new_units : GeoDataFrame
        The communes of the two vintages (``commune_code``, polygons). A named predecessor is
        accepted only when its polygon shares at least ``min_share`` of its area with the
        successor: names repeat across provinces (a merged-in province's "Xã Phước Tân" is
        not Đồng Nai's), and the text is free-hand.

    Returns
    -------
    DataFrame
        ``from_vintage, from_code, to_vintage, to_code, kind, share`` (``kind`` is ``whole``
        or ``split``; ``share`` the part of the old unit's area in the successor), one row
        per (old unit, successor). ``attrs["unresolved"]`` lists the names matching no unit
        of the list and ``attrs["rejected"]`` the name matches the geometry refused.
    """
    successors = pd.read_csv(spec.successors, dtype=str)
    if "predecessors_text" not in successors:
        raise BoundaryDataError(f"{spec.successors} has no column 'predecessors_text'")
    lists = [pd.read_csv(path, dtype=str) for path in spec.predecessor_lists]
    for frame, path in zip(lists, spec.predecessor_lists, strict=True):
        if "commune_name" not in frame:
            raise BoundaryDataError(f"{path} has no column 'commune_name'")
    listed = pd.concat(lists, ignore_index=True)
    listed["core"] = listed["commune_name"].map(core_key)
    pairs, unresolved = [], []
    for to_code, own_name, text in zip(successors["ward_code"], successors["ward_full_name"],
                                       successors["predecessors_text"], strict=True):
        for name, note in split_predecessors(text or ""):
            name = own_name if name_key(name) == "giữ nguyên" else name  # "unchanged"
            codes = _candidates(listed, name, note)
            if not codes:
                unresolved.append(f"{name} ({note})" if note else name)
            pairs += [(code, to_code) for code in codes]
    table = pd.DataFrame(sorted(set(pairs)), columns=["from_code", "to_code"])
    table["share"] = _area_shares(table, old_units, new_units)
    rejected = table[~(table["share"] >= min_share)]
    table = table[table["share"] >= min_share].reset_index(drop=True)
    successors_per_unit = table.groupby("from_code")["to_code"].transform("size")
    table["kind"] = successors_per_unit.map(lambda n: "whole" if n == 1 else "split")
    table["method"] = "text"
    table = pd.concat([table, _by_geometry(old_units, new_units, set(table["from_code"]))],
                      ignore_index=True)
    table.insert(0, "from_vintage", spec.from_vintage)
    table.insert(2, "to_vintage", spec.to_vintage)
    table = table[["from_vintage", "from_code", "to_vintage", "to_code", "kind", "share", "method"]]
    table.attrs["unresolved"] = unresolved
    table.attrs["rejected"] = list(zip(rejected["from_code"], rejected["to_code"], strict=True))
    return table


def _by_geometry(old_units, new_units, done: set[str]) -> pd.DataFrame:
    """Successors of the old units the text does not name, from area shares alone.

    Those units were merged away or dissolved in an intermediate reorganisation, or are
    spelled otherwise. ``whole`` when one new unit holds at least ``WHOLE_SHARE`` of the
    area, else ``split``.
    """
    rows = []
    old = old_units[~old_units["commune_code"].isin(done)]
    for code in old["commune_code"]:
        frame = pd.DataFrame({"from_code": code, "to_code": new_units["commune_code"]})
        frame["share"] = _area_shares(frame, old_units, new_units)
        frame = frame[frame["share"] >= MIN_SHARE]
        whole = frame["share"].max() >= WHOLE_SHARE
        frame = frame[frame["share"] == frame["share"].max()] if whole else frame
        rows.append(frame.assign(kind="whole" if whole else "split", method="geometry"))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(
        columns=["from_code", "to_code", "share", "kind", "method"])


def _area_shares(pairs: pd.DataFrame, old_units, new_units) -> list[float]:
    """Share of each old unit's area that lies in its named successor (equal-area CRS)."""
    old = old_units.set_index("commune_code").geometry.to_crs(AREA_CRS)
    new = new_units.set_index("commune_code").geometry.to_crs(AREA_CRS)
    shares = []
    for from_code, to_code in zip(pairs["from_code"], pairs["to_code"], strict=True):
        if from_code not in old.index or to_code not in new.index:
            shares.append(float("nan"))
            continue
        piece = shapely.intersection(old[from_code], new[to_code])
        shares.append(float(shapely.area(piece) / shapely.area(old[from_code])))
    return shares


def _candidates(listed: pd.DataFrame, name: str, note: str | None) -> list[str]:
    """Codes of the list whose name matches ``name`` without its type prefix.

    The text writes "Xã Xuân An" for what became Phường Xuân An; a district note narrows
    namesakes, and the geometry check refuses those left in other districts.
    """
    candidates = listed[listed["core"] == core_key(name)]
    if len(candidates) > 1 and note:
        district = name_key(re.sub(r"^(huyện|thành phố|thị xã)\s+", "", note, flags=re.IGNORECASE))
        narrowed = candidates[candidates["district_name"].map(name_key).str.endswith(district)]
        candidates = narrowed if len(narrowed) else candidates
    return candidates["commune_code"].tolist()


def core_key(name: str) -> str:
    """``name_key`` without the unit-type prefix.

    Examples
    --------
    >>> core_key("Phường Xuân Hoà") == core_key("Xã Xuân Hòa")
    True
    """
    key = name_key(name)
    for prefix, _ in TYPE_PREFIXES:
        prefix = name_key(prefix) + " "
        if key.startswith(prefix):
            return key[len(prefix):]
    return key


def crosswalk_specs(province: Province) -> list[CrosswalkSpec]:
    """The crosswalks a province configures under ``[[crosswalks]]``.

    ``predecessor_list`` is one list or several (a province made of former provinces).
    """
    def paths(value) -> tuple[Path, ...]:
        return tuple(province.folder / v for v in ([value] if isinstance(value, str) else value))

    return [
        CrosswalkSpec(from_vintage=c["from_vintage"], to_vintage=c["to_vintage"],
                      successors=province.folder / c["successors"],
                      predecessor_lists=paths(c["predecessor_list"]))
        for c in province.crosswalks
    ]
