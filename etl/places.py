"""Placing ingested rows on administrative units: by point, by GSO code, by name, by a remembered alias.

A row with coordinates goes to the unit containing its point on the boundary vintage valid on the
record's date. A row without goes to the unit its GSO code names, else to the commune whose name
matches *exactly* after normalisation (``etl.names.commune_key``) within its district, else to the unit
a reviewer chose for that same text before (``unit_alias``). Nothing is guessed: a name matching
several units, or only resembling some (``difflib`` similarity of the names without diacritics, digits
equal), is rejected with ``AMBIGUOUS_UNIT`` and its candidates go to the review queue.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries import loaded_province
from etl import reasons
from etl.coordinates import parse_coordinates
from etl.errors import ParserOptionError
from etl.fields import detail, reject, text
from etl.headers import header_words
from etl.names import commune_key, district_key
from etl.text import is_blank
from geo.join import assign_units_xy
from geo.settings import STORAGE_CRS
from geo.store.crosswalk import read_crosswalk
from geo.store.review import read_aliases
from geo.store.units import list_vintages, pick_vintage, read_units

SIMILARITY = 0.8
"""Least ``difflib`` ratio of two names (without diacritics) for a unit to be proposed to a reviewer."""
MAX_CANDIDATES = 5


class Places:
    """The boundary vintages, crosswalk and remembered aliases of one province, each read once.

    ``province`` is its code (default: the only loaded one): records go onto its units of their
    date, and its VN-2000 zones (its configuration's ``vn2000_crs``) are tried.
    """

    def __init__(self, engine, province: str | None = None) -> None:
        self.engine = engine
        self.province = loaded_province(engine, province)
        self.vintages = list_vintages(engine, self.province.code) if self.province else []
        if not self.vintages:
            raise ParserOptionError("no boundary vintage is loaded; run `diaban boundaries load` first")
        self.latest = self.vintages[-1].id
        self._units: dict[str, gpd.GeoDataFrame] = {}
        self._districts: dict[str, pd.DataFrame] = {}
        self._by_date: dict[date, str] = {}
        self._aliases: dict[tuple[str, str, str], int] | None = None
        self._crosswalk: pd.DataFrame | None = None
        self._outline: shapely.Geometry | None = None
        self.crs_candidates = tuple(self.province.vn2000_crs)

    @property
    def outline(self) -> shapely.Geometry:
        """The province: the union of the latest vintage's communes (a clean coverage), EPSG:4326."""
        if self._outline is None:
            self._outline = shapely.coverage_union_all(self.units(self.latest).geometry.values)
        return self._outline

    def vintage(self, day: date | None) -> str:
        """The vintage valid on ``day`` (the latest for no date), by :func:`geo.store.units.pick_vintage`."""
        if day is None or pd.isna(day):
            return self.latest
        if day not in self._by_date:
            self._by_date[day] = pick_vintage(self.vintages, day)
        return self._by_date[day]

    def units(self, vintage: str) -> gpd.GeoDataFrame:
        """The communes of ``vintage`` with their name ``key``."""
        if vintage not in self._units:
            units = read_units(self.engine, vintage)
            self._units[vintage] = units.assign(key=units["name"].map(commune_key))
        return self._units[vintage]

    def districts(self, vintage: str) -> pd.DataFrame:
        """The districts of ``vintage`` with their name ``key`` (empty from 2025-07-01: no district level)."""
        if vintage not in self._districts:
            districts = read_units(self.engine, vintage, level="district")
            self._districts[vintage] = districts.assign(key=districts["name"].map(district_key))
        return self._districts[vintage]

    def alias(self, vintage: str, district: str, commune: str) -> int | None:
        """The unit id a reviewer chose for these keys, if any."""
        if self._aliases is None:
            self._aliases = read_aliases(self.engine)
        return self._aliases.get((vintage, district, commune))

    @property
    def crosswalk(self) -> pd.DataFrame:
        """The unit crosswalk between vintages (``geo.store.crosswalk.COLUMNS``)."""
        if self._crosswalk is None:
            self._crosswalk = read_crosswalk(self.engine)
        return self._crosswalk


def add_vintages(out: pd.DataFrame, places: Places, dates: pd.Series | None) -> None:
    """``out["vintage"]``: the vintage valid on each row's date (the latest without one)."""
    if dates is None:
        out["vintage"] = places.latest
        return
    days = list(dates)
    chosen = {d: places.vintage(d) for d in set(days)}  # a few thousand distinct dates at most
    out["vintage"] = [chosen[d] for d in days]


def coordinates(frame: pd.DataFrame, out: pd.DataFrame, places: Places) -> None:
    """``lon``, ``lat`` (EPSG:4326) of rows with a usable point; a bad or outside point is rejected."""
    columns = _coordinate_columns(frame)
    if not columns and "geometry" in frame:  # a vector file: its points, already in EPSG:4326
        geoms = np.asarray(frame["geometry"].values, dtype=object)
        points = shapely.get_type_id(geoms) == 0
        frame = frame.assign(lon=np.where(points, shapely.get_x(geoms), np.nan).astype(object),
                             lat=np.where(points, shapely.get_y(geoms), np.nan).astype(object))
        columns = {"lon": "lon", "lat": "lat"}
    if not columns:
        out["lon"], out["lat"] = np.nan, np.nan
        return
    parsed = parse_coordinates(frame, province=places.outline, crs_candidates=places.crs_candidates,
                               **columns)
    out["lon"], out["lat"] = parsed["lon"], parsed["lat"]
    zones = parsed["crs_source"].where(parsed["reason"] == reasons.AMBIGUOUS_CRS)
    for code in (reasons.BAD_COORDINATE, reasons.OUTSIDE_PROVINCE, reasons.AMBIGUOUS_CRS):
        cells = frame[list(columns.values())]
        reject(out, parsed["reason"] == code, code, _point_details(cells, code, zones))


def _point_details(cells: pd.DataFrame, code: str, zones: pd.Series) -> Callable[[np.ndarray], list[str]]:
    """The details of rejected points (for :func:`etl.fields.reject`): their cells as the file gave them.

    An ``AMBIGUOUS_CRS`` detail also names the zones (``zones``) under which the point lands
    inside the province at different places.
    """
    def build(rows: np.ndarray) -> list[str]:
        texts = [detail("/".join(cells.columns), ", ".join("" if is_blank(v) else str(v) for v in row), code)
                 for row in cells.to_numpy(dtype=object)[rows]]
        return [t if not isinstance(z, str) else f"{t} (inside the province under {z})"
                for t, z in zip(texts, zones.to_numpy(dtype=object)[rows], strict=True)]
    return build


def _coordinate_columns(frame: pd.DataFrame) -> dict[str, str]:
    if {"lon", "lat"} <= set(frame.columns):
        return {"lon": "lon", "lat": "lat"}
    if {"x", "y"} <= set(frame.columns):
        return {"x": "x", "y": "y"}
    return {"text": "coordinates"} if "coordinates" in frame else {}


def place(frame: pd.DataFrame, out: pd.DataFrame, places: Places, *, rows: pd.Series | None = None,
          forced: dict | None = None) -> None:
    """``unit_id``, ``geom`` and, for rows a reviewer must place, ``review`` of every row in ``rows``.

    Parameters
    ----------
    rows : boolean Series, optional
        The rows to place (all by default); the others get no unit and are not rejected here.
    forced : dict, optional
        ``{row index: unit id}`` chosen by a reviewer, used for those rows instead of their names.
    """
    out["unit_id"], out["geom"], out["review"] = None, None, None
    rows = pd.Series(True, index=out.index) if rows is None else rows
    has_point = out["lon"].notna() & rows
    for vintage, group in out[has_point & out["reason"].isna()].groupby("vintage"):
        units = places.units(vintage)
        lon, lat = group["lon"].to_numpy(dtype=float), group["lat"].to_numpy(dtype=float)
        geoms = shapely.points(lon, lat)
        codes = assign_units_xy(lon, lat, units[["commune_code", "geometry"]],
                                crs=STORAGE_CRS)["commune_code"]
        ids = dict(zip(units["commune_code"], units["unit_id"], strict=True))
        out.loc[group.index, "geom"] = pd.Series(geoms, index=group.index, dtype=object)
        placed = codes.notna().to_numpy()
        unit = np.full(len(codes), None, dtype=object)  # None where no unit covers the point
        unit[placed] = codes[placed].map(ids).to_numpy(dtype="int64").astype(object)
        out.loc[group.index, "unit_id"] = unit
        reject(out, out.index.isin(group.index) & out["unit_id"].isna(), reasons.UNKNOWN_UNIT,
               detail(f"point (vintage {vintage})", None, reasons.UNKNOWN_UNIT))
    pending = out.index[rows & ~has_point & out["reason"].isna()]
    if forced:
        chosen = pending.isin(list(forced))
        out.loc[pending[chosen], "unit_id"] = pd.Series([forced[i] for i in pending[chosen]],
                                                        index=pending[chosen], dtype=object)
        pending = pending[~chosen]
    _place_by_reference(frame, out, places, pending)


def _place_by_reference(frame: pd.DataFrame, out: pd.DataFrame, places: Places, pending: pd.Index) -> None:
    """``unit_id`` of the ``pending`` rows by code, name or alias; the rows it cannot place are rejected."""
    asked = pd.Series(list(zip(out.loc[pending, "vintage"], text(frame, "commune_code")[pending],
                               text(frame, "commune")[pending], text(frame, "district")[pending],
                               strict=True)), index=pending, dtype=object)
    known = {a: _by_reference(places, *a) for a in dict.fromkeys(asked)}  # each place named is resolved once
    answers = pd.DataFrame([known[a] for a in asked], index=pending, dtype=object,
                           columns=["unit", "why", "shown", "review"])
    out.loc[pending, "unit_id"] = answers["unit"]
    for why, found in answers[answers["why"].notna()].groupby("why"):
        details = pd.Series([detail("commune", shown, why) for shown in found["shown"]], index=found.index)
        reject(out, out.index.isin(found.index), why, lambda picked, d=details: d[out.index[picked]].tolist())
        out.loc[found.index, "review"] = found["review"]


def _by_reference(places: Places, vintage: str, code: str | None, commune: str | None,
                  district: str | None) -> tuple[int | None, str | None, str | None, dict | None]:
    """The unit id named by a GSO code, a name (within its district) or an alias; else why not."""
    units = places.units(vintage)
    if code is not None:
        code = code.zfill(5) if code.isdigit() else code
        found = units.loc[units["commune_code"] == code, "unit_id"]
        if found.empty:
            return None, reasons.UNKNOWN_UNIT, code, None
        return int(found.iloc[0]), None, None, None
    if commune is None:
        return None, reasons.MISSING_FIELD, "no coordinate, commune code or commune name", None
    shown = f"{commune} ({district})" if district else commune
    ckey, dkey = commune_key(commune), district_key(district) if district else ""
    scope = _district_scope(places, vintage, dkey)
    exact = (units if scope is None else scope)
    exact = exact[exact["key"] == ckey]
    if len(exact) == 1:
        return int(exact["unit_id"].iloc[0]), None, None, None
    remembered = places.alias(vintage, dkey, ckey)
    if remembered is not None:
        return remembered, None, None, None
    found = exact if len(exact) else _similar(units if scope is None or scope.empty else scope, ckey)
    if found.empty:
        return None, reasons.UNKNOWN_UNIT, shown, None
    listed = ", ".join(found["name"] + " " + found["commune_code"])
    review = {"vintage_id": vintage, "commune_text": commune, "district_text": district,
              "commune_key": ckey, "district_key": dkey, "candidates": _candidates(places, vintage, found)}
    return None, reasons.AMBIGUOUS_UNIT, f"{shown}: {listed}", review


def _district_scope(places: Places, vintage: str, dkey: str) -> pd.DataFrame | None:
    """The communes of the named district (empty if it names none); None when no district applies."""
    districts = places.districts(vintage)
    if not dkey or districts.empty:
        return None
    units = places.units(vintage)
    return units[units["parent_code"].isin(districts.loc[districts["key"] == dkey, "district_code"])]


def _folded(key: str) -> str:
    return " ".join(header_words(key))


def _similar(units: pd.DataFrame, ckey: str) -> pd.DataFrame:
    """Units whose name resembles ``ckey`` (same digits, similarity >= :data:`SIMILARITY`), best first."""
    target, digits = _folded(ckey), re.findall(r"\d+", ckey)
    scores = pd.Series([difflib.SequenceMatcher(None, target, _folded(k)).ratio()
                        if re.findall(r"\d+", k) == digits else 0.0 for k in units["key"]], index=units.index)
    best = scores[scores >= SIMILARITY].sort_values(ascending=False, kind="stable").head(MAX_CANDIDATES)
    return units.loc[best.index].assign(score=best.round(3))


def _candidates(places: Places, vintage: str, found: pd.DataFrame) -> list[dict]:
    """The review candidates: unit id, code, name, district name and similarity (1.0 for exact names)."""
    districts = places.districts(vintage)
    parents = dict(zip(districts["district_code"], districts["name"], strict=True))
    return [{"unit_id": int(r.unit_id), "code": r.commune_code, "name": r.name,
             "district": parents.get(r.parent_code), "score": float(getattr(r, "score", 1.0))}
            for r in found.itertuples()]
