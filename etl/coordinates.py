r"""Coordinates as they arrive, into WGS 84 longitude/latitude (EPSG:4326) with a reason when they fail.

Forms (``docs/data-realities.md`` §5): decimal degrees, with decimal commas
(``10,9447``), in either order; degrees-minutes-seconds and degrees-decimal-minutes with °, ′, ″,
', ", ’ or the words độ/phút/giây and hemisphere letters before or after; and VN-2000 projected
X/Y in metres, where Vietnamese surveying writes **X = northing, Y = easting**.

The order of a degree pair is fixed by hemisphere letters when present, otherwise by which order
lands inside the province. A projected pair is tried in every candidate CRS, in the
order the province's ``vn2000_crs`` lists them (its provincial TM-3 zones, VN-2000 / UTM 48N, …),
with the datum shift EPSG:6960 "VN-2000 to WGS 84 (2)" pinned (unpinned pyproj applies EPSG:5194
in part of Vietnam, 0.8 m away); the candidate that lands inside the province wins, candidates
landing inside at different places give ``AMBIGUOUS_CRS`` (never a guess). A point outside the
province gets ``OUTSIDE_PROVINCE`` and no coordinates: it is never moved.

Examples
--------
>>> c = parse_coordinate_text('''10°56'41.2"N 106°49'30"E''')
>>> round(c.lon, 6), round(c.lat, 6), c.method, c.reason
(106.825, 10.944778, 'dms', None)
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer
from pyproj.transformer import TransformerGroup

from etl import reasons
from etl.errors import ParserOptionError
from etl.text import is_blank
from geo.settings import STORAGE_CRS

#: The operation pinned for every VN-2000 source CRS (EPSG:6960, parameters of QĐ 05/2007/QĐ-BTNMT).
VN2000_OPERATION = "VN-2000 to WGS 84 (2)"
#: Used when no province is given: Vietnam's extent, so swaps are still detected by range.
VIETNAM_BOX = shapely.box(102.0, 8.0, 110.0, 23.5)
NORTHING_RANGE = (900_000.0, 2_700_000.0)
#: Candidate CRSs landing inside the province closer than this (metres) are one answer, not ambiguous.
SAME_PLACE_M = 1.0
EASTING_RANGE = (100_000.0, 900_000.0)

_SYMBOLS = {
    "º": "°",
    "độ": "°",
    "′": "'",
    "’": "'",
    "‘": "'",
    "`": "'",
    "phút": "'",
    "″": '"',
    "”": '"',
    "“": '"',
    "''": '"',
    "giây": '"',
}
_NUM = r"\d+(?:[.,]\d+)?"
_ANGLE = rf"(?P<d>-?{_NUM})\s*(?:°\s*(?:(?P<m>{_NUM})\s*'\s*(?:(?P<s>{_NUM})\s*\"?)?)?)?"
_HEMI = r"(?<![a-z])[nsew](?![a-z])"
_PREFIXED = re.compile(rf"(?P<h>{_HEMI})\s*{_ANGLE}", re.IGNORECASE)
_SUFFIXED = re.compile(rf"{_ANGLE}\s*(?P<h>{_HEMI})?", re.IGNORECASE)


class Coordinate(NamedTuple):
    """One parsed point: WGS 84 ``lon``/``lat`` (NaN on failure), method, CRS, operation and reason."""

    lon: float
    lat: float
    method: str | None
    crs: str | None
    operation: str | None
    reason: str | None


class _Angles(NamedTuple):
    """Decimal values found in a cell, the hemisphere letter of each ('' when none), and whether DMS."""

    values: list[float]
    hemis: list[str]
    dms: bool


def _normalise(text: str) -> str:
    r"""NFC text with the degree, minute and second marks reduced to °, ' and \"."""
    text = unicodedata.normalize("NFC", text).strip()
    for old, new in _SYMBOLS.items():
        text = text.replace(old, new)
    return text


def _angles(text: str) -> _Angles | None:
    """The angles written in one cell, or None when the cell is not made of angles."""
    text = _normalise(text)
    pattern = _PREFIXED if re.match(_HEMI, text, re.IGNORECASE) else _SUFFIXED
    matches = list(pattern.finditer(text))
    leftover = pattern.sub("", text).replace(";", "").replace(",", "").strip()
    if not matches or leftover:
        return None
    parts = [[float((m[g] or "0").replace(",", ".")) for g in "dms"] for m in matches]
    hemis = [(m["h"] or "").upper() for m in matches]
    dms = any(m["m"] for m in matches)
    if not dms and len(parts) in (4, 6) and not any(hemis):  # "10 56 47.4 106 49 17.4"
        step = len(parts) // 2
        parts = [
            [p[0] for p in parts[:step]] + [0.0] * (3 - step),
            [p[0] for p in parts[step:]] + [0.0] * (3 - step),
        ]
        hemis, dms = ["", ""], True
    if any(m >= 60 or s >= 60 for _, m, s in parts):
        return None
    values = [np.copysign(abs(d) + m / 60 + s / 3600, d if d else 1) for d, m, s in parts]
    return _Angles([-v if h in "SW" and h else v for v, h in zip(values, hemis, strict=True)], hemis, dms)


def _metres(text: object) -> float:
    """A projected coordinate in metres (``1210490.4``, ``1.210.490,4``, ``400 636``), NaN if unreadable."""
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    body = re.sub(r"[\s\u00a0]+", "", str(text))
    if not re.fullmatch(r"\d[\d.,]*", body):
        return float("nan")
    if "." in body and "," in body:
        decimal = "," if body.rfind(",") > body.rfind(".") else "."
    elif body.count(".") + body.count(",") == 1:
        head, _, tail = body.replace(",", ".").partition(".")
        decimal = "thousands" if len(tail) == 3 and len(head) <= 3 else body[len(head)]
    else:
        decimal = None
    body = body.replace("," if decimal == "." else ".", "") if decimal in (",", ".") else body
    body = (
        body.replace(",", ".")
        if decimal == ","
        else body.replace(",", "").replace(".", "")
        if decimal in (None, "thousands")
        else body
    )
    try:
        return float(body)
    except ValueError:
        return float("nan")


@functools.lru_cache(maxsize=32)
def _to_wgs84(crs: str) -> Transformer:
    """The transformer from ``crs`` to EPSG:4326 (x = lon), with EPSG:6960 pinned for VN-2000 sources."""
    source = CRS.from_user_input(crs)
    group = TransformerGroup(source, STORAGE_CRS, always_xy=True)
    if "2000" not in (source.datum.name if source.datum else ""):
        return group.transformers[0]
    pinned = [t for t in group.transformers if VN2000_OPERATION in t.description]
    if not pinned:
        raise ParserOptionError(
            f"no {VN2000_OPERATION!r} (EPSG:6960) operation from {crs}; install the full PROJ database"
        )
    return pinned[0]


def _empty(index: pd.Index) -> pd.DataFrame:
    """The result frame with every row unparsed (``NO_COORDINATE``)."""
    nothing = [None] * len(index)  # pd.Series(None, dtype=object) would hold NaN under pandas 3
    return pd.DataFrame(
        {
            "lon": pd.Series(np.nan, index=index, dtype=float),
            "lat": pd.Series(np.nan, index=index, dtype=float),
            "coord_method": pd.Series(nothing, index=index, dtype=object),
            "crs_source": pd.Series(nothing, index=index, dtype=object),
            "operation": pd.Series(nothing, index=index, dtype=object),
            "reason": pd.Series(reasons.NO_COORDINATE, index=index, dtype=object),
        }
    )




class _Raw(NamedTuple):
    """One row before geometry: ``kind`` geo/proj/bad/none, two numbers, order fixed by letters, method."""

    kind: str
    first: float = np.nan
    second: float = np.nan
    fixed: bool = False
    method: str | None = None


_NONE = _Raw("none")
_PLAIN = re.compile(r"\s*(-?[0-9]+(?:[.,][0-9]+)?)\s*")


def _geo_or_proj(values: list[float], hemis: list[str], dms: bool, lat_first: bool) -> _Raw:
    """Classify two numbers: degrees as (lon, lat) in ``first``/``second``, metres as (X=N, Y=E)."""
    a, b = values
    if max(abs(a), abs(b)) > 1000 and not dms and not any(hemis):
        return _Raw("proj", a, b, method="projected")
    if (hemis[0] in "NS" and hemis[0]) or (hemis[1] in "EW" and hemis[1]):
        return _Raw("geo", b, a, True, "dms" if dms else "decimal")
    if (hemis[0] in "EW" and hemis[0]) or (hemis[1] in "NS" and hemis[1]):
        return _Raw("geo", a, b, True, "dms" if dms else "decimal")
    lon, lat = (b, a) if lat_first else (a, b)
    return _Raw("geo", lon, lat, False, "dms" if dms else "decimal")


def _raw_text(text: object) -> _Raw:
    """One cell holding both values, latitude first unless hemisphere letters say otherwise."""
    if is_blank(text):
        return _Raw("none")
    found = _angles(str(text))
    if found is None or len(found.values) != 2:
        return _Raw("bad")
    return _geo_or_proj(found.values, found.hemis, found.dms, lat_first=True)


def _raw_pair(lon: object, lat: object) -> _Raw:
    """Two cells stated as longitude and latitude (possibly swapped, possibly metres, ``lat`` as X)."""
    a = _PLAIN.fullmatch(lon) if isinstance(lon, str) else None
    b = _PLAIN.fullmatch(lat) if a and isinstance(lat, str) else None
    if a and b:  # the common case, two plain decimals, without the general angle grammar (same values)
        lon_value, lat_value = float(a[1].replace(",", ".")) + 0.0, float(b[1].replace(",", ".")) + 0.0
        if max(abs(lon_value), abs(lat_value)) > 1000:
            return _Raw("proj", lat_value, lon_value, method="projected")
        return _Raw("geo", lon_value, lat_value, False, "decimal")
    if is_blank(lon) and is_blank(lat):
        return _Raw("none")
    if is_blank(lon) or is_blank(lat):
        return _Raw("bad")
    a, b = _angles(str(lon)), _angles(str(lat))
    if a is None or b is None or len(a.values) != 1 or len(b.values) != 1:
        x, y = _metres(lat), _metres(lon)
        return _Raw("bad") if np.isnan(x) or np.isnan(y) else _Raw("proj", x, y, method="projected")
    raw = _geo_or_proj(a.values + b.values, a.hemis + b.hemis, a.dms or b.dms, lat_first=False)
    return raw._replace(first=raw.second, second=raw.first) if raw.kind == "proj" else raw


def _raw_xy(x: object, y: object) -> _Raw:
    """Two cells of projected metres, X = northing and Y = easting (Vietnamese surveying)."""
    if is_blank(x) and is_blank(y):
        return _Raw("none")
    north, east = _metres(x), _metres(y)
    return _Raw("bad") if np.isnan(north) or np.isnan(east) else _Raw("proj", north, east, method="projected")


def _resolve_geo(raw: pd.DataFrame, province: shapely.Geometry, out: pd.DataFrame) -> None:
    """Place degree pairs: keep the stated order if inside, else the swapped one, else reject."""
    lon, lat, fixed = raw["first"].to_numpy(float), raw["second"].to_numpy(float), raw["fixed"].to_numpy(bool)
    stated = shapely.contains_xy(province, lon, lat)
    swapped = ~stated & ~fixed & shapely.contains_xy(province, lat, lon)
    plausible = (np.abs(lat) <= 90) & (np.abs(lon) <= 180) | (np.abs(lon) <= 90) & (np.abs(lat) <= 180)
    out.loc[raw.index, "lon"] = np.where(stated, lon, np.where(swapped, lat, np.nan))
    out.loc[raw.index, "lat"] = np.where(stated, lat, np.where(swapped, lon, np.nan))
    out.loc[raw.index, "coord_method"] = raw["method"] + np.where(swapped, "+swapped", "")
    out.loc[raw.index, "crs_source"] = np.where(stated | swapped, STORAGE_CRS, None)
    out.loc[raw.index, "reason"] = np.where(
        stated | swapped, None, np.where(plausible, reasons.OUTSIDE_PROVINCE, reasons.BAD_COORDINATE)
    )


def _in_range(values: np.ndarray, bounds: tuple[float, float]) -> np.ndarray:
    """Elementwise ``bounds[0] <= values <= bounds[1]``."""
    return (values >= bounds[0]) & (values <= bounds[1])


def _resolve_proj(
    raw: pd.DataFrame, province: shapely.Geometry, crs_candidates: Sequence[str], out: pd.DataFrame
) -> None:
    """Place metre pairs: fix X/Y order by range, try each candidate CRS in order, keep the one inside.

    Candidates landing inside the province within :data:`SAME_PLACE_M` of the first one that
    does are one answer (the first, in the configured order); landing at different places is
    ``AMBIGUOUS_CRS``, and ``crs_source`` then lists the zones that landed inside.
    """
    x, y = raw["first"].to_numpy(float), raw["second"].to_numpy(float)
    stated = _in_range(x, NORTHING_RANGE) & _in_range(y, EASTING_RANGE)
    swapped = ~stated & _in_range(y, NORTHING_RANGE) & _in_range(x, EASTING_RANGE)
    north, east = np.where(swapped, y, x), np.where(swapped, x, y)
    n = len(crs_candidates)
    lons, lats = np.full((n, len(raw)), np.nan), np.full((n, len(raw)), np.nan)
    for i, crs in enumerate(crs_candidates):
        lons[i], lats[i] = _to_wgs84(crs).transform(east, north)
    hits = (stated | swapped) & shapely.contains_xy(province, lons, lats)  # candidates × rows
    pick = hits.argmax(axis=0) if n else np.zeros(len(raw), dtype=int)
    cols = np.arange(len(raw))
    lon, lat = (lons[pick, cols], lats[pick, cols]) if n else (np.full(len(raw), np.nan),) * 2
    apart = hits & (_metres_apart(lons, lats, lon, lat) > SAME_PLACE_M)
    ok, ambiguous = hits.any(axis=0) & ~apart.any(axis=0), apart.any(axis=0)
    out.loc[raw.index, "lon"] = np.where(ok, lon, np.nan)
    out.loc[raw.index, "lat"] = np.where(ok, lat, np.nan)
    out.loc[raw.index, "crs_source"] = [
        crs_candidates[p] if o else " / ".join(np.asarray(crs_candidates)[hits[:, k]]) if a else None
        for k, (p, o, a) in enumerate(zip(pick, ok, ambiguous, strict=True))
    ]
    out.loc[raw.index, "operation"] = [
        _to_wgs84(crs_candidates[p]).description if o else None for p, o in zip(pick, ok, strict=True)
    ]
    out.loc[raw.index, "coord_method"] = np.where(swapped, "projected+xy_swapped", "projected")
    out.loc[raw.index, "reason"] = np.where(
        ok,
        None,
        np.where(
            ~(stated | swapped),
            reasons.BAD_COORDINATE,
            np.where(ambiguous, reasons.AMBIGUOUS_CRS, reasons.OUTSIDE_PROVINCE),
        ),
    )


def _metres_apart(lons: np.ndarray, lats: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Approximate distance in metres (equirectangular) of each candidate's point from the chosen one.

    A projection that failed gives inf or NaN; such a pair is infinitely far apart, never a warning.
    """
    with np.errstate(invalid="ignore", over="ignore"):
        dy = (lats - lat) * 111_320.0
        dx = (lons - lon) * 111_320.0 * np.cos(np.radians(lat))
        distance = np.hypot(dx, dy)
    return np.where(np.isnan(distance), np.inf, distance)


def _plain_pairs(lon: pd.Series, lat: pd.Series) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows whose two cells are plain decimals (``10.9447``, ``10,9447``), and their values (NaN elsewhere).

    The vectorised form of the first branch of :func:`_raw_pair`, with the same values.
    """
    values = [
        np.array([float(m[1].replace(",", ".")) if isinstance(v, str) and (m := _PLAIN.fullmatch(v))
                  else np.nan for v in cells], dtype=float) + 0.0
        for cells in (lon, lat)
    ]
    return ~np.isnan(values[0]) & ~np.isnan(values[1]), values[0], values[1]


def _raw_rows(
    frame: pd.DataFrame, lon: str | None, lat: str | None, x: str | None, y: str | None, text: str | None
) -> pd.DataFrame:
    """One ``_Raw`` per row, taking the first non-blank source: lon/lat, then text, then x/y."""
    n = len(frame)
    kind, method = np.full(n, "none", dtype=object), np.full(n, None, dtype=object)
    first, second, fixed = np.full(n, np.nan), np.full(n, np.nan), np.zeros(n, dtype=bool)
    fast = np.zeros(n, dtype=bool)
    if lon and lat:
        fast, lon_value, lat_value = _plain_pairs(frame[lon], frame[lat])
        proj = np.maximum(np.abs(lon_value), np.abs(lat_value)) > 1000
        kind[fast] = np.where(proj, "proj", "geo")[fast]
        method[fast] = np.where(proj, "projected", "decimal")[fast]
        first[fast] = np.where(proj, lat_value, lon_value)[fast]
        second[fast] = np.where(proj, lon_value, lat_value)[fast]
    cells = [frame[c].to_numpy(dtype=object) if c else np.full(n, None, dtype=object)
             for c in (lon, lat, text, x, y)]
    for i in np.flatnonzero(~fast):
        raw = _raw_pair(cells[0][i], cells[1][i]) if lon and lat else _NONE
        if raw.kind == "none" and text:
            raw = _raw_text(cells[2][i])
        if raw.kind == "none" and x and y:
            raw = _raw_xy(cells[3][i], cells[4][i])
        kind[i], first[i], second[i], fixed[i], method[i] = raw
    return pd.DataFrame({"kind": kind, "first": first, "second": second, "fixed": fixed, "method": method},
                        index=frame.index)


def parse_coordinates(
    frame: pd.DataFrame,
    *,
    lon: str | None = None,
    lat: str | None = None,
    x: str | None = None,
    y: str | None = None,
    text: str | None = None,
    province: shapely.Geometry,
    crs_candidates: Sequence[str] = (),
) -> pd.DataFrame:
    """Parse the coordinate columns of a frame into WGS 84 points inside the province.

    Parameters
    ----------
    frame : DataFrame
        The records; left untouched.
    lon, lat : str, optional
        Columns stated as longitude and latitude (degrees in any written form; swapped values
        are detected; metres are treated as a projected pair with ``lat`` as X = northing).
    x, y : str, optional
        VN-2000 projected columns in metres, X = northing and Y = easting (swapped are detected).
    text : str, optional
        One column holding both values, latitude first (``10.9465, 106.8215``).
    province : shapely geometry
        The province polygon in EPSG:4326 (e.g. the union of the loaded vintage's communes).
    crs_candidates : sequence of str
        Projected CRSs to try in this order: the loaded province's ``vn2000_crs``
        (``boundaries.loaded_province``). VN-2000 ones use EPSG:6960 pinned.

    Returns
    -------
    DataFrame
        With the input index: ``lon``, ``lat`` (EPSG:4326, NaN unless accepted),
        ``coord_method`` (decimal, dms, projected, with ``+swapped``/``+xy_swapped``),
        ``crs_source`` (for ``AMBIGUOUS_CRS`` the candidates that landed inside, joined by
        `` / ``), ``operation`` (the pyproj operation used) and ``reason``
        (None, ``NO_COORDINATE``, ``BAD_COORDINATE``, ``OUTSIDE_PROVINCE``, ``AMBIGUOUS_CRS``).

    Raises
    ------
    ParserOptionError
        When no column pair is given or a named column is missing.

    Examples
    --------
    >>> box = shapely.box(106.3, 10.5, 107.6, 12.3)
    >>> rows = pd.DataFrame({"lat": ["10,9447", "106.8427", "1.0"], "lon": ["106,8427", "10.9447", "2.0"]})
    >>> out = parse_coordinates(rows, lon="lon", lat="lat", province=box)
    >>> out[["lon", "lat"]].round(4).values.tolist(), out["reason"].tolist()
    ([[106.8427, 10.9447], [106.8427, 10.9447], [nan, nan]], [None, None, 'OUTSIDE_PROVINCE'])
    >>> out["coord_method"].tolist()
    ['decimal', 'decimal+swapped', 'decimal']
    """
    _check_columns(frame, lon=lon, lat=lat, x=x, y=y, text=text)
    shapely.prepare(province)  # many points against one polygon
    raw = _raw_rows(frame, lon, lat, x, y, text)
    out = _empty(frame.index)
    out.loc[raw.index[raw["kind"] == "bad"], "reason"] = reasons.BAD_COORDINATE
    if (raw["kind"] == "geo").any():
        _resolve_geo(raw[raw["kind"] == "geo"], province, out)
    if (raw["kind"] == "proj").any():
        _resolve_proj(raw[raw["kind"] == "proj"], province, tuple(crs_candidates), out)
    return out


def _check_columns(frame: pd.DataFrame, **columns: str | None) -> None:
    """Raise unless a usable column pair is named and every named column exists."""
    missing = [f"{k}={v!r}" for k, v in columns.items() if v is not None and v not in frame.columns]
    if missing:
        raise ParserOptionError(
            f"columns {', '.join(missing)} are not in the frame; it has " + ", ".join(map(str, frame.columns))
        )
    if not ((columns["lon"] and columns["lat"]) or (columns["x"] and columns["y"]) or columns["text"]):
        raise ParserOptionError("name the coordinate columns: lon= and lat=, x= and y=, or text=")


def _one(
    frame: pd.DataFrame, province: shapely.Geometry | None, crs_candidates: Sequence[str], **columns: str
) -> Coordinate:
    """Run :func:`parse_coordinates` on a one-row frame and return its row."""
    out = parse_coordinates(
        frame,
        province=VIETNAM_BOX if province is None else province,
        crs_candidates=crs_candidates,
        **columns,
    ).iloc[0]
    return Coordinate(
        float(out["lon"]),
        float(out["lat"]),
        out["coord_method"],
        out["crs_source"],
        out["operation"],
        out["reason"],
    )


def parse_coordinate_text(
    text: str, *, province: shapely.Geometry | None = None, crs_candidates: Sequence[str] = ()
) -> Coordinate:
    """Parse one cell holding a whole point (latitude first unless hemisphere letters say otherwise).

    Parameters
    ----------
    text : str
        ``10.9465, 106.8215``, ``10,9465; 106,8215``, ``10°56'47.4"N 106°49'17.4"E``,
        ``N10°56.790' E106°49.290'``, ``10 56 47.4 106 49 17.4`` or ``1210490.4 400636.0`` (X Y).
    province : shapely geometry, optional
        The province polygon in EPSG:4326; without it, Vietnam's extent (``VIETNAM_BOX``).
    crs_candidates : sequence of str, default ()
        Projected CRSs to try for metre pairs.

    Returns
    -------
    Coordinate

    Examples
    --------
    >>> parse_coordinate_text("10,9465; 106,8215")[:3]
    (106.8215, 10.9465, 'decimal')
    >>> parse_coordinate_text("N10°56.790' E106°49.290'")[:2]
    (106.8215, 10.9465)
    >>> parse_coordinate_text("somewhere").reason
    'BAD_COORDINATE'
    """
    return _one(pd.DataFrame({"text": [text]}, dtype=object), province, crs_candidates, text="text")


def parse_coordinate_pair(
    first: object,
    second: object,
    *,
    order: str = "lat_lon",
    province: shapely.Geometry | None = None,
    crs_candidates: Sequence[str] = (),
) -> Coordinate:
    """Parse a point given as two cells.

    Parameters
    ----------
    first, second : object
        The two cells.
    order : {"lat_lon", "lon_lat", "x_y"}, default "lat_lon"
        What the cells are stated to be; ``x_y`` means VN-2000 X (northing) then Y (easting).
        Swapped degrees and swapped metres are detected whatever is stated.
    province, crs_candidates
        As in :func:`parse_coordinates`; ``province=None`` uses ``VIETNAM_BOX``.

    Returns
    -------
    Coordinate

    Examples
    --------
    >>> c = parse_coordinate_pair("1210490.4", "400636.0", order="x_y", crs_candidates=["EPSG:5899"])
    >>> round(c.lon, 4), round(c.lat, 4), c.crs
    (106.8427, 10.9447, 'EPSG:5899')
    """
    if order not in ("lat_lon", "lon_lat", "x_y"):
        raise ParserOptionError(f"order {order!r} is not known; use 'lat_lon', 'lon_lat' or 'x_y'")
    if order == "x_y":
        frame = pd.DataFrame({"x": [first], "y": [second]}, dtype=object)
        return _one(frame, province, crs_candidates, x="x", y="y")
    lat, lon = (first, second) if order == "lat_lon" else (second, first)
    return _one(
        pd.DataFrame({"lon": [lon], "lat": [lat]}, dtype=object),
        province,
        crs_candidates,
        lon="lon",
        lat="lat",
    )
