"""The ingest pipeline: read a file, parse its values, place every row on a unit, validate, load.

``ingest`` is the one recipe the CLI (``diaban ingest``) and the web upload share. Every row read
ends up in exactly one of three places, so ``read == loaded + rejected + duplicates``:

- loaded into its record table (``establishment`` or ``incident``);
- rejected into ``rejected_row`` with a reason code of ``etl.reasons``, the bad value and the fix;
- counted as a duplicate of an earlier row of the same file (same normalised values), loaded once.

A row is placed by its coordinates (point in polygon on the boundary vintage valid on the record's
date; establishments use the latest vintage), else by an exact GSO commune code, else by its commune
name within its district. Names match only exactly after normalisation (prefixes such as ``P.``,
``Xã``, ``Thị trấn`` removed, old and new tone placement equal, Roman numerals read as digits);
digits must match, and no fuzzy candidate is ever accepted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries import load_province
from etl import reasons
from etl.coordinates import parse_coordinates
from etl.dates import parse_dates
from etl.errors import ParserOptionError
from etl.names import commune_key, district_key, text_key
from etl.numbers import parse_numbers
from etl.readers import read_table
from etl.text import is_blank
from geo.join import assign_units
from geo.settings import STORAGE_CRS
from geo.store.batches import file_sha256
from geo.store.ingest import write_ingest
from geo.store.units import list_vintages, read_units, vintage_for_date

IngestKind = Literal["establishments", "incidents"]
KINDS: tuple[str, ...] = ("establishments", "incidents")

_INCIDENT_KINDS = {
    "mua bán dâm": "mua_ban_dam",
    "chứa mại dâm": "chua_mai_dam",
    "môi giới mại dâm": "moi_gioi_mai_dam",
    "tổ chức hoạt động mại dâm": "to_chuc_hoat_dong_mai_dam",
}
_ESTABLISHMENT_TYPES = {
    "nhà nghỉ": "nha_nghi", "khách sạn": "khach_san", "karaoke": "karaoke", "massage": "massage",
    "massage, xông hơi": "massage", "vũ trường": "vu_truong", "quán bar": "bar", "bar": "bar",
    "nhà hàng": "nha_hang", "cà phê": "ca_phe",
}
_CASE_TYPES = {"hành chính": "hanh_chinh", "hình sự": "hinh_su"}
_YES_NO = {**dict.fromkeys(("có", "x", "đã ký", "yes", "true", "1", "rồi"), True),
           **dict.fromkeys(("không", "chưa", "chưa ký", "no", "false", "0"), False)}
_NOT_IN_RAW = {"source_row", "source_sheet", "case_ref", "record_ref", "geometry"}
"""Columns never copied into a rejected row's ``raw``: bookkeeping, and case or record numbers (which
are only ever kept as keyed hashes)."""


def ingest(engine, kind: IngestKind, path: str | Path, *, mapping: dict[str, str] | str | Path | None = None,
           dry_run: bool = False, actor: str = "cli",
           progress: Callable[[str, int], None] | None = None) -> dict:
    """Load one file of records: what is sound is loaded, every other row is quarantined with a reason.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The database, with boundary vintages loaded.
    kind : {"establishments", "incidents"}
        The record kind of the file.
    path : str or pathlib.Path
        A CSV, XLSX, GeoJSON, GeoPackage or zipped Shapefile (see :func:`etl.readers.read_table`).
    mapping : dict or path, optional
        Header overrides (``--mapping``).
    dry_run : bool, default False
        Do everything, then roll the transaction back.
    actor : str, default "cli"
        Who loads the file (import batch and audit log).
    progress : callable, optional
        Called as ``progress(stage, n_rows)`` after each stage (read, parsed, records, rejected).

    Returns
    -------
    dict
        ``kind, batch_id, read, loaded, rejected, duplicates, dropped_columns, reasons`` (rejections
        per reason code) and ``warnings`` (codes per count, e.g. ``UNKNOWN_LABEL``); ``batch_id`` is
        None for a dry run.

    Raises
    ------
    ParserOptionError
        For a kind this slice does not load.
    etl.errors.SourceFileError
        For a file that cannot be read as a table; nothing is written.

    Examples
    --------
    >>> ingest(None, "sites", "x.csv")
    Traceback (most recent call last):
    ...
    etl.errors.ParserOptionError: kind 'sites' cannot be ingested yet; use one of establishments, incidents
    """
    if kind not in KINDS:
        raise ParserOptionError(f"kind {kind!r} cannot be ingested yet; use one of {', '.join(KINDS)}")
    result = read_table(path, kind=kind, mapping=mapping)
    frame = result.frame.reset_index(drop=True)
    if progress:
        progress("read", len(frame))
    parsed = _parse(engine, kind, frame)
    if progress:
        progress("parsed", len(frame))
    records, rejected, duplicates = _split(frame, parsed, kind, result.sheet)
    summary = {
        "kind": kind, "batch_id": None, "read": len(frame), "loaded": len(records),
        "rejected": len(rejected), "duplicates": duplicates,
        "dropped_columns": [d.column for d in result.dropped_columns],
        "reasons": dict(sorted(Counter(r["reason"] for r in rejected).items())),
        "warnings": dict(sorted(Counter(parsed.loc[parsed["reason"].isna(), "warning"].dropna()).items())),
    }
    summary["batch_id"] = write_ingest(
        engine, kind, records, rejected, source=str(path), source_sha256=file_sha256(path), actor=actor,
        report={k: v for k, v in summary.items() if k != "batch_id"}, dry_run=dry_run, progress=progress)
    return summary


# --- Parsing and placing ---------------------------------------------------------------------------


def _parse(engine, kind: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Per row: the record's values, its unit, and the first reason (with detail) it cannot be loaded."""
    out = pd.DataFrame(index=frame.index)
    out["reason"], out["detail"], out["warning"] = None, None, None
    if kind == "incidents":
        _incident_values(frame, out)
    else:
        _establishment_values(frame, out)
    places = _Places(engine)
    dates = out["event_date"] if kind == "incidents" else pd.Series(None, index=frame.index, dtype=object)
    out["vintage"] = [places.vintage(d) if kind == "incidents" else places.latest for d in dates]
    _coordinates(frame, out, places)
    _place(frame, out, places)
    return out


def _reject(out: pd.DataFrame, mask, code: str, details) -> None:
    """Set ``code`` on the rows of ``mask`` that have no reason yet, with their detail texts."""
    mask = pd.Series(mask, index=out.index) & out["reason"].isna()
    details = pd.Series(details, index=out.index) if not isinstance(details, str) else details
    out.loc[mask, "reason"] = code
    out.loc[mask, "detail"] = details[mask] if not isinstance(details, str) else details


def _text(frame: pd.DataFrame, column: str) -> pd.Series:
    """A column as stripped text (None when blank or absent)."""
    values = frame[column] if column in frame else [None] * len(frame)
    return pd.Series([None if is_blank(v) else str(v).strip() for v in values], index=frame.index,
                     dtype=object)




def _detail(field: str, value: Any, code: str) -> str:
    reason = reasons.explain(code)
    return f"{field}: {'' if is_blank(value) else value!s} — {reason.en} Fix: {reason.fix}"


def _incident_values(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    raw_date = _text(frame, "event_date")
    dates = parse_dates(frame["event_date"]) if "event_date" in frame else None
    _reject(out, raw_date.isna(), reasons.MISSING_FIELD, _detail("event_date", None, reasons.MISSING_FIELD))
    if dates is not None:
        shown = [_detail("event_date", v, c) if c else None
                 for v, c in zip(raw_date, dates["reason"], strict=True)]
        for code in dates["reason"].dropna().unique():
            _reject(out, dates["reason"] == code, code, shown)
        out["event_date"] = [d.date() if not pd.isna(d) else None for d in dates["date"]]
    else:
        out["event_date"] = None
    label = _text(frame, "incident_kind")
    _reject(out, label.isna(), reasons.MISSING_FIELD,
            _detail("incident_kind", None, reasons.MISSING_FIELD))
    codes = label.map(lambda v: None if v is None else _INCIDENT_KINDS.get(text_key(v)))
    out["incident_kind"] = codes.where(codes.notna() | label.isna(), "other")
    out["kind_label"] = label
    out.loc[label.notna() & codes.isna(), "warning"] = reasons.UNKNOWN_LABEL
    out["case_type"] = _text(frame, "case_type").map(lambda v: _CASE_TYPES.get(text_key(v)) if v else None)
    for column in ("persons_total", "persons_under_18"):
        _count(frame, out, column)


def _count(frame: pd.DataFrame, out: pd.DataFrame, column: str) -> None:
    """A count of people: a whole non-negative number, or the row is rejected with BAD_NUMBER."""
    if column not in frame:
        out[column] = None
        return
    numbers = parse_numbers(frame[column])["value"]
    bad = _text(frame, column).notna() & ~(numbers.notna() & (numbers >= 0) & (numbers % 1 == 0))
    _reject(out, bad, reasons.BAD_NUMBER,
            [_detail(column, v, reasons.BAD_NUMBER) for v in frame[column]])
    out[column] = [None if bad[i] or pd.isna(v) else int(v) for i, v in numbers.items()]


def _establishment_values(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    label, name = _text(frame, "establishment_type"), _text(frame, "name")
    _reject(out, label.isna() & name.isna(), reasons.MISSING_FIELD,
            _detail("establishment_type or name", None, reasons.MISSING_FIELD))
    codes = label.map(lambda v: None if v is None else _ESTABLISHMENT_TYPES.get(text_key(v)))
    out["establishment_type"] = codes.fillna("other")
    out.loc[label.notna() & codes.isna(), "warning"] = reasons.UNKNOWN_LABEL
    out["name"], out["address"] = name, _text(frame, "address")
    out["commitment_signed"] = _text(frame, "commitment_signed").map(
        lambda v: None if v is None else _YES_NO.get(text_key(v)))
    out["status"] = "active"


class _Places:
    """The boundary vintages of the database, read once per vintage."""

    def __init__(self, engine) -> None:
        self.engine = engine
        vintages = list_vintages(engine)
        if not vintages:
            raise ParserOptionError("no boundary vintage is loaded; run `diaban boundaries load` first")
        self.latest = vintages[-1]["id"]
        self._units: dict[str, gpd.GeoDataFrame] = {}
        self._districts: dict[str, pd.DataFrame] = {}
        self._by_date: dict[date, str] = {}
        province = load_province()
        self.crs_candidates = tuple(province.vn2000_crs)
        self.outline = shapely.union_all(self.units(self.latest).geometry.values)

    def vintage(self, day: date | None) -> str:
        if day is None:
            return self.latest
        if day not in self._by_date:
            self._by_date[day] = vintage_for_date(self.engine, day)
        return self._by_date[day]

    def units(self, vintage: str) -> gpd.GeoDataFrame:
        if vintage not in self._units:
            units = read_units(self.engine, vintage)
            self._units[vintage] = units.assign(key=units["name"].map(commune_key))
        return self._units[vintage]

    def districts(self, vintage: str) -> pd.DataFrame:
        if vintage not in self._districts:
            districts = read_units(self.engine, vintage, level="district")
            self._districts[vintage] = districts.assign(key=districts["name"].map(district_key))
        return self._districts[vintage]


def _coordinates(frame: pd.DataFrame, out: pd.DataFrame, places: _Places) -> None:
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
    shown = [", ".join("" if is_blank(v) else str(v) for v in row)
             for row in frame[list(columns.values())].itertuples(index=False)]
    for code in (reasons.BAD_COORDINATE, reasons.OUTSIDE_PROVINCE, reasons.AMBIGUOUS_CRS):
        _reject(out, parsed["reason"] == code, code,
                [_detail("/".join(columns.values()), v, code) for v in shown])


def _coordinate_columns(frame: pd.DataFrame) -> dict[str, str]:
    if {"lon", "lat"} <= set(frame.columns):
        return {"lon": "lon", "lat": "lat"}
    if {"x", "y"} <= set(frame.columns):
        return {"x": "x", "y": "y"}
    return {"text": "coordinates"} if "coordinates" in frame else {}


def _place(frame: pd.DataFrame, out: pd.DataFrame, places: _Places) -> None:
    """``unit_id`` and ``geom`` of every row: by point, else by GSO code, else by name and district."""
    out["unit_id"], out["geom"] = None, None
    has_point = out["lon"].notna()
    for vintage, rows in out[has_point].groupby("vintage"):
        units = places.units(vintage)
        points = gpd.GeoSeries(shapely.points(rows["lon"], rows["lat"]), index=rows.index, crs=STORAGE_CRS)
        codes = assign_units(points, units[["unit_code", "geometry"]])["unit_code"]
        ids = dict(zip(units["unit_code"], units["unit_id"], strict=True))
        out.loc[rows.index, "geom"] = pd.Series(list(points.values), index=rows.index, dtype=object)
        out.loc[rows.index, "unit_id"] = [None if pd.isna(c) else ids[c] for c in codes]
        _reject(out, out.index.isin(rows.index) & out["unit_id"].isna(), reasons.UNKNOWN_UNIT,
                _detail(f"point (vintage {vintage})", None, reasons.UNKNOWN_UNIT))
    code, commune, district = _text(frame, "commune_code"), _text(frame, "commune"), _text(frame, "district")
    for i in out.index[~has_point & out["reason"].isna()]:
        unit, why, shown = _by_reference(places, out.at[i, "vintage"], code[i], commune[i], district[i])
        if why:
            _reject(out, out.index == i, why, _detail("commune", shown, why))
        out.at[i, "unit_id"] = unit


def _by_reference(places: _Places, vintage: str, code: str | None, commune: str | None,
                  district: str | None) -> tuple[int | None, str | None, str | None]:
    """The unit id named by a GSO code or by commune and district names, or the reason why none."""
    units = places.units(vintage)
    code, commune, district = (None if is_blank(v) else v for v in (code, commune, district))
    if code is not None:
        code = code.zfill(5) if code.isdigit() else code
        found = units.loc[units["unit_code"] == code, "unit_id"]
        return (int(found.iloc[0]), None, None) if len(found) else (None, reasons.UNKNOWN_UNIT, code)
    if commune is None:
        return None, reasons.MISSING_FIELD, "no coordinate, commune code or commune name"
    shown = f"{commune} ({district})" if district else commune
    found = units[units["key"] == commune_key(commune)]
    districts = places.districts(vintage)
    if district is not None and len(districts):
        parents = districts.loc[districts["key"] == district_key(district), "unit_code"]
        found = found[found["parent_code"].isin(parents)]
    if len(found) != 1:
        listed = ", ".join(found["name"] + " " + found["unit_code"])
        detail = f"{shown}: {listed}" if listed else shown
        return None, reasons.UNKNOWN_UNIT if len(found) == 0 else reasons.AMBIGUOUS_UNIT, detail
    return int(found["unit_id"].iloc[0]), None, None


# --- Splitting into loaded, rejected and duplicate rows --------------------------------------------

_COLUMNS = {
    "incidents": ["event_date", "incident_kind", "kind_label", "case_type", "persons_total",
                  "persons_under_18", "unit_id", "geom"],
    "establishments": ["establishment_type", "name", "address", "commitment_signed", "status", "unit_id",
                       "geom"],
}


def _split(frame: pd.DataFrame, parsed: pd.DataFrame, kind: str,
           sheet: str | None) -> tuple[pd.DataFrame, list[dict], int]:
    """The records to load, the rejected rows (JSON-safe) and the number of duplicates dropped."""
    good = parsed[parsed["reason"].isna()]
    records = good[_COLUMNS[kind]].copy()
    key = records.drop(columns="geom").astype(str).assign(
        geom=[None if g is None else shapely.to_wkt(g, rounding_precision=7) for g in records["geom"]])
    duplicated = key.duplicated().to_numpy()
    records = records[~duplicated].reset_index(drop=True)
    records["unit_id"] = records["unit_id"].astype(object)
    bad = parsed[parsed["reason"].notna()]
    rejected = [
        {"source_row": int(frame.at[i, "source_row"]),
         "sheet": frame.at[i, "source_sheet"] if "source_sheet" in frame else sheet,
         "reason": bad.at[i, "reason"], "detail": bad.at[i, "detail"], "raw": _raw(frame.loc[i])}
        for i in bad.index
    ]
    return records, rejected, int(duplicated.sum())


def _raw(row: pd.Series) -> dict:
    """The row's allowed values as the file gave them, JSON-safe (forbidden columns never reach it)."""
    return {str(k): _json_value(v) for k, v in row.items() if k not in _NOT_IN_RAW}


def _json_value(value: Any) -> Any:
    if is_blank(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, int | float | bool | str) else str(value)


# The vocabularies, keyed as labels are looked up (tone placement, case and spacing ignored).
_INCIDENT_KINDS, _ESTABLISHMENT_TYPES, _CASE_TYPES, _YES_NO = (
    {text_key(k): v for k, v in table.items()}
    for table in (_INCIDENT_KINDS, _ESTABLISHMENT_TYPES, _CASE_TYPES, _YES_NO)
)
