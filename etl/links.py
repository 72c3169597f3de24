"""Linking ingested rows to records already loaded: inspections to establishments, site events to sites.

A row names its establishment or site by a code (a registration number or a site code, compared as
keyed hashes, ``etl.pseudonyms``), else by its name (exactly, after ``etl.names.text_key``) in the
same commune, else (site events with coordinates) by being within :data:`SITE_RADIUS_M` of one site.
"Same commune" holds across boundary vintages: a record with a point is placed on the row's vintage,
one known only by its commune follows the crosswalk. Nothing is guessed: no match rejects the row
with ``UNKNOWN_ESTABLISHMENT`` / ``UNKNOWN_SITE``, several with ``AMBIGUOUS_*``.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import shapely

from etl import reasons
from etl.fields import detail, reject, text, warn
from etl.names import text_key
from etl.places import Places
from geo.join import place_records
from geo.settings import STORAGE_CRS, WORK_CRS
from geo.store.ingest import read_link_targets

SITE_RADIUS_M = 100.0
"""A site event with coordinates belongs to the one site within this distance (metres)."""


_KINDS = {
    "establishment": ("name", "registration_hmac", reasons.UNKNOWN_ESTABLISHMENT,
                      reasons.AMBIGUOUS_ESTABLISHMENT),
    "site": ("descriptor", "site_ref_hmac", reasons.UNKNOWN_SITE, reasons.AMBIGUOUS_SITE),
}


class Target:
    """The records rows link to: establishments or sites, with their name key, read once."""

    def __init__(self, engine, kind: str) -> None:
        name, self.ref, unknown, ambiguous = _KINDS[kind]
        frame = read_link_targets(engine, kind)
        self.kind, self.id, self.codes = kind, f"{kind}_id", (unknown, ambiguous)
        self.frame = frame.assign(key=frame[name].map(lambda v: None if v is None else text_key(v)))


def link_by_code(out: pd.DataFrame, target: Target, hmac_column: str, *, soft: bool = False) -> pd.Series:
    """``out[target.id]`` for rows whose code names exactly one record; return the rows still unlinked.

    A code several records share rejects the row, or with ``soft`` leaves it unlinked with a warning.
    """
    out[target.id] = None
    by_code = target.frame.dropna(subset=[target.ref]).groupby(target.ref)[target.id].agg(list)
    hashes = out[hmac_column] if hmac_column in out else pd.Series(None, index=out.index, dtype=object)
    for i, h in hashes.dropna().items():
        found = by_code.get(h, [])
        if len(found) == 1:
            out.at[i, target.id] = int(found[0])
        elif len(found) > 1 and soft:
            warn(out, out.index == i, target.codes[1])
        elif len(found) > 1:
            reject(out, out.index == i, target.codes[1], f"code: {len(found)} records share this code")
    return out[target.id].isna() & out["reason"].isna()


def link_mentions(frame: pd.DataFrame, out: pd.DataFrame, places: Places, engine) -> None:
    """A tip-off's establishment and site, where the row names one: by code, else by name in its commune.

    Never rejects: a tip about a place not (or not uniquely) on record loads unlinked, with the
    ``UNKNOWN_*`` / ``AMBIGUOUS_*`` code as a warning.
    """
    for kind, code, name in (("establishment", "establishment_ref_hmac", "establishment_name"),
                             ("site", "site_ref_hmac", "site_name")):
        target = Target(engine, kind)
        unlinked = link_by_code(out, target, code, soft=True)
        link_by_place(frame, out, places, target, name, unlinked & text(frame, name).notna(), soft=True)


def link_by_place(frame: pd.DataFrame, out: pd.DataFrame, places: Places, target: Target, name_column: str,
                  rows: pd.Series, *, soft: bool = False) -> None:
    """Link the ``rows`` (placed, not linked by code) by name in the same commune, or (sites) by nearness.

    With ``soft``, a row that links to nothing (or to several) is loaded without the link, with the
    reason code as a warning, instead of being rejected.
    """
    if target.id not in out:
        out[target.id] = None
    names = text(frame, name_column)
    for i in out.index[rows & out["reason"].isna()]:
        by_point = target.kind == "site" and names[i] is None and pd.notna(out.at[i, "lon"])
        found = (_by_point(target, out.at[i, "lon"], out.at[i, "lat"]) if by_point
                 else _by_name(places, target, out.loc[i], names[i]))
        shown = names[i] or (f"{out.at[i, 'lat']}, {out.at[i, 'lon']}" if pd.notna(out.at[i, "lon"])
                             else "no code, name or point")
        if len(found) == 1:
            out.at[i, target.id] = int(found[0])
        else:
            code = target.codes[0] if not found else target.codes[1]
            listed = f" (ids {', '.join(map(str, found[:5]))})" if found else ""
            if soft:
                warn(out, out.index == i, code)
            else:
                reject(out, out.index == i, code, detail(name_column, shown, code) + listed)


def _by_name(places: Places, target: Target, row: pd.Series, name: str | None) -> list[int]:
    if name is None or row["unit_id"] is None:
        return []
    candidates = target.frame[target.frame["key"] == text_key(name)]
    if candidates.empty:
        return []
    units = places.units(row["vintage"])
    code = units.loc[units["unit_id"] == row["unit_id"], "commune_code"].iloc[0]
    same = same_commune(candidates, places, row["vintage"], code)
    return [int(v) for v in candidates.loc[same, target.id]]


def _by_point(target: Target, lon: float, lat: float) -> list[int]:
    located = target.frame[target.frame.geometry.notna()]
    if located.empty:
        return []
    point = gpd.GeoSeries([shapely.Point(lon, lat)], crs=STORAGE_CRS).to_crs(WORK_CRS).iloc[0]
    near = located.to_crs(WORK_CRS).distance(point) <= SITE_RADIUS_M
    return [int(v) for v in located.loc[near, target.id]]


def same_commune(records: gpd.GeoDataFrame, places: Places, vintage: str, code: str) -> pd.Series:
    """True for the records in commune ``code`` of ``vintage``: by point, by reference or by crosswalk.

    A record with a point is placed on ``vintage``; one referenced to a unit of another vintage
    matches when the crosswalk links that unit and ``code`` in either direction.
    """
    placed = place_records(records, places.units(vintage)[["commune_code", "geometry"]], vintage=vintage,
                           crosswalk=places.crosswalk)
    linked = _crosswalked(places.crosswalk, vintage, code)
    no_point = records.geometry.isna() | records.geometry.is_empty
    by_ref = [(v, c) in linked
              for v, c in zip(records["ref_vintage"], records["ref_commune_code"], strict=True)]
    return placed.eq(code).fillna(False).astype(bool) | (no_point & pd.Series(by_ref, index=records.index))


def _crosswalked(crosswalk: pd.DataFrame, vintage: str, code: str) -> set[tuple[str, str]]:
    """The (vintage, code) of every unit the crosswalk links to unit ``code`` of ``vintage``, either way."""
    forward = crosswalk[(crosswalk["from_vintage"] == vintage) & (crosswalk["from_code"] == code)]
    backward = crosswalk[(crosswalk["to_vintage"] == vintage) & (crosswalk["to_code"] == code)]
    return (set(zip(forward["to_vintage"], forward["to_code"], strict=True))
            | set(zip(backward["from_vintage"], backward["from_code"], strict=True)))
