"""Vintages derived from an earlier one and the official change lists, where no layer draws them.

Between Đồng Nai's drawn vintages (171 units valid to 2019-04-09, 95 from 2025-07-01) the
province had 170 units (from 2019-04-10) and 159 (from 2024-11-01), and no published layer
draws them. A derived vintage (``derived_from`` in ``province.toml``) is built from:

- the units of the vintage it derives from (with its former provinces, see
  ``boundaries.units``);
- the GSO code lists in force on its first day (``lists``, one per former province): they
  give every unit's code, name, type and district on that day;
- the change list (``changes``, a CSV quoting the resolutions), of which the rows dated
  after the base vintage's last day and no later than the derived vintage's last day apply.

The rules: a unit whose code is in the list keeps its polygon (a rename or a new type keeps
the polygon); a unit merged away goes whole into its successor (the union of the parts); a
dissolved unit's area goes to its successors: whole to one that received at least
``WHOLE_SHARE`` of it (the areas the resolution gives, ``code:area`` in the row), else, since
no published layer draws the line between them, each successor gets the part nearest to it.
A merge whose successor the row leaves empty goes to the neighbour in the list sharing the
longest boundary. Everything the
polygons cannot show (a dissolved unit's split, an adjusted boundary, an unverified
successor) is written on the unit as its ``history_note``, and counted in the load report.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from boundaries.errors import BoundaryDataError
from boundaries.province import Province, VintageSpec
from boundaries.units import assemble_units, build_units, unit_type_of
from geo.settings import WORK_CRS

CHANGE_COLUMNS = ("date", "province_code", "code", "name", "kind", "successors", "verified", "source", "note")
CHANGE_KINDS = ("merged", "dissolved", "adjusted")
LIST_COLUMNS = ("province_code", "district_code", "district_name", "commune_code", "commune_name")
#: Spacing of the points along the successors' boundaries that split a dissolved unit, in metres.
SPLIT_SPACING_M = 25.0
#: A dissolved unit goes whole to a successor the resolution gives this share of its area.
WHOLE_SHARE = 0.9


def read_changes(path, after: date, until: date | None) -> pd.DataFrame:
    """The rows of the change list dated after ``after`` and no later than ``until`` (None: no end).

    Raises
    ------
    BoundaryDataError
        When a column is missing, or a row has a bad date or kind; the message names the row.
    """
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in CHANGE_COLUMNS if c not in frame]
    if missing:
        raise BoundaryDataError(f"{path} lacks the columns {missing}; it needs {', '.join(CHANGE_COLUMNS)}")
    for row, (day, kind) in enumerate(zip(frame["date"], frame["kind"], strict=True), start=2):
        try:
            date.fromisoformat(day)
        except ValueError as exc:
            raise BoundaryDataError(f"{path}, line {row}: date {day!r} is not YYYY-MM-DD") from exc
        if kind not in CHANGE_KINDS:
            raise BoundaryDataError(f"{path}, line {row}: kind {kind!r} is not one of "
                                    f"{', '.join(CHANGE_KINDS)}")
    days = frame["date"].map(date.fromisoformat)
    keep = (days > after) & (days <= (until or date.max))
    return frame[keep].assign(line=frame.index[keep] + 2)


def read_lists(spec: VintageSpec) -> pd.DataFrame:
    """The GSO code lists of the derived vintage's date: a row per commune, with ``former_province_code``."""
    frames = []
    for code, path in spec.lists.items():
        listed = pd.read_csv(path, dtype=str)
        missing = [c for c in LIST_COLUMNS if c not in listed]
        if missing:
            raise BoundaryDataError(f"{path} lacks the columns {missing}")
        other = sorted(set(listed["province_code"]) - {code})
        if other:
            raise BoundaryDataError(f"{path} is configured as the list of province {code} but holds "
                                    f"province codes {other}; fix `lists` of vintage {spec.id}")
        frames.append(listed.assign(former_province_code=code))
    return pd.concat(frames, ignore_index=True)


def derive_units(province: Province, spec: VintageSpec, *,
                 built: dict | None = None) -> tuple[gpd.GeoDataFrame, dict]:
    """Build the units of a derived vintage (see the module's rules) and its report.

    ``built`` is passed on to ``build_units`` for the base vintage (see there).

    Returns
    -------
    (GeoDataFrame, dict)
        The units of all levels, as ``boundaries.units.build_units`` returns them, and the
        report: ``derived_from``, per former province the units ``kept``, ``merged`` and
        ``dissolved``, and the ``notes`` (unit code → note) of everything undrawn.
    """
    base_spec = province.vintage(spec.derived_from)
    base, _ = build_units(province, base_spec, built=built)
    communes = base[base["level"] == "commune"].to_crs(WORK_CRS).set_index("code")
    changes = read_changes(spec.changes, base_spec.valid_to or base_spec.valid_from, spec.valid_to)
    listed = read_lists(spec).set_index("commune_code")
    where = f"{spec.changes} (vintage {spec.id})"
    targets, shares = _targets(communes, listed, changes, where)
    pieces: dict[str, list] = defaultdict(list)
    notes: dict[str, list[str]] = defaultdict(list)
    for code, successors in targets.items():
        inherited = communes.at[code, "history_note"]
        geom = communes.geometry[code]
        if len(successors) == 1:
            pieces[successors[0]].append(geom)
            if isinstance(inherited, str) and inherited:
                notes[successors[0]].append(inherited)
            continue
        main = _whole_successor(shares[code])
        if main is not None:  # the rest is too small to draw a line for
            pieces[main].append(geom)
            continue
        split = _split_nearest(geom, {s: communes.geometry[s] for s in successors})
        for successor, piece in split.items():
            pieces[successor].append(piece)
    for row in changes.itertuples():
        for code, note in _notes(row, targets, shares):
            notes[code].append(note)
    orphans = sorted(set(listed.index) - set(pieces))
    if orphans:
        raise BoundaryDataError(f"{where}: units {orphans} of the lists of {spec.valid_from} receive no "
                                "unit of the vintage they derive from; a new unit needs a change row "
                                "naming what it was made from, or a drawn vintage")
    frame = gpd.GeoDataFrame(
        {"code": list(pieces), "level": "commune",
         "name": [listed.at[c, "commune_name"] for c in pieces],
         "parent_code": [listed.at[c, "district_code"] for c in pieces],
         "former_province_code": [listed.at[c, "former_province_code"] for c in pieces],
         "history_note": ["; ".join(dict.fromkeys(notes[c])) or None for c in pieces]},
        geometry=[shapely.union_all(pieces[c]) for c in pieces], crs=WORK_CRS)
    frame["unit_type"] = frame["name"].map(unit_type_of)
    districts = (listed.drop_duplicates("district_code")
                 .rename(columns={"district_code": "code", "district_name": "name"})
                 [["code", "name", "former_province_code"]]
                 .assign(level="district", parent_code=province.code))
    districts["unit_type"] = districts["name"].map(unit_type_of)
    districts["history_note"] = None
    units = assemble_units(frame, districts, province, spec)
    report = {"vintage": spec.id, "derived_from": spec.derived_from, "notes": {
        c: n for c, n in zip(frame["code"], frame["history_note"], strict=True) if isinstance(n, str)}}
    for part, group in changes.groupby("province_code"):
        report.setdefault("changes", {})[part] = group["kind"].value_counts().to_dict()
    return units, report


def _targets(communes: pd.DataFrame, listed: pd.DataFrame, changes: pd.DataFrame,
             where: str) -> tuple[dict, dict]:
    """Each base unit's successor codes in the lists, and each shared unit's shares.

    A unit in the lists is its own successor; another has its change row's. For a unit shared
    between several successors, the share of its area each received: a successor is written
    ``code`` or ``code:area`` (the area the resolution gives it, any unit); without areas the
    shares are equal.
    """
    gone = changes[changes["kind"] != "adjusted"].set_index("code")
    repeated = sorted(set(gone.index[gone.index.duplicated()]))
    if repeated:
        raise BoundaryDataError(f"{where}: units {repeated} have several merge or dissolution rows; "
                                "keep one each")
    targets, shares = {}, {}
    for code in communes.index:
        if code in listed.index:
            targets[code] = [code]
            continue
        if code not in gone.index:
            raise BoundaryDataError(
                f"{where}: unit {code} ({communes.at[code, 'name']}) is not in the lists of the "
                "vintage's date and no row says where it went; add a row of kind merged or dissolved "
                "with its successors' codes")
        row = gone.loc[code]
        named = [item.partition(":") for item in row["successors"].split()]
        successors = [s for s, _, _ in named] or [_longest_border(code, communes, listed)]
        try:
            areas = [float(a) if a else 1.0 for _, _, a in named] or [1.0]
        except ValueError as exc:
            raise BoundaryDataError(f"{where}, line {row['line']}: successors {row['successors']!r}: "
                                    "write each as code or code:area") from exc
        shares[code] = {s: a / sum(areas) for s, a in zip(successors, areas, strict=True)}
        unknown = [s for s in successors if s not in listed.index]
        if unknown:
            raise BoundaryDataError(f"{where}, line {row['line']}: successors {unknown} of unit {code} "
                                    "are not in the lists of the vintage's date; name units that are")
        if row["kind"] == "merged" and len(successors) != 1:
            raise BoundaryDataError(f"{where}, line {row['line']}: a merged unit has one successor; "
                                    "a unit shared between several is kind dissolved")
        targets[code] = successors
    return targets, shares


def _longest_border(code: str, communes: pd.DataFrame, listed: pd.DataFrame) -> str:
    """The listed unit of the same district sharing the longest boundary with ``code``."""
    geom = communes.geometry[code]
    district = communes.at[code, "parent_code"]
    candidates = [c for c in communes.index
                  if c != code and c in listed.index and communes.at[c, "parent_code"] == district]
    lengths = [shapely.length(shapely.intersection(geom.boundary, communes.geometry[c].boundary))
               for c in candidates]
    if not candidates or max(lengths) == 0:
        raise BoundaryDataError(f"unit {code} shares no boundary with a unit of its district in the "
                                "lists; name its successor in the change list")
    return candidates[int(np.argmax(lengths))]


def _split_nearest(area, successors: dict) -> dict:
    """Split ``area`` between ``successors`` (code → polygon): each gets the part nearest to it.

    The line the resolution draws is not published; nearest-successor cells (Voronoi cells
    of points every ``SPLIT_SPACING_M`` along each successor's boundary) are the honest
    stand-in, and the unit's note says so.
    """
    near = area.buffer(SPLIT_SPACING_M * 40)
    points, owners = [], []
    for code, geom in successors.items():
        ring = shapely.segmentize(shapely.intersection(geom.boundary, near), SPLIT_SPACING_M)
        coords = shapely.get_coordinates(ring)
        points.append(coords)
        owners += [code] * len(coords)
    coords = np.vstack(points)
    coords, first = np.unique(coords, axis=0, return_index=True)
    owners = np.asarray(owners)[first]
    cells = shapely.voronoi_polygons(shapely.multipoints(coords), extend_to=near, ordered=True)
    cells = np.asarray(shapely.get_parts(cells))
    out = {}
    for code in successors:
        piece = shapely.intersection(area, shapely.union_all(cells[owners == code]))
        if not piece.is_empty:
            out[code] = piece
    return out


def _whole_successor(weights: dict[str, float]) -> str | None:
    """The successor a shared unit goes to whole (given at least ``WHOLE_SHARE`` of it), else None."""
    main = max(weights, key=weights.get) if weights else None
    return main if main is not None and weights[main] >= WHOLE_SHARE else None


def _notes(row, targets: dict, shares: dict) -> list[tuple[str, str]]:
    """The notes a change row writes: on a merged or dissolved unit's successors, or on an adjusted one."""
    source = f"{row.date}, {row.source}"
    if row.kind == "adjusted":
        return [(row.code, f"boundary adjusted {source} ({row.note}); the polygon drawn is the one before")]
    successors = targets.get(row.code, [])
    if row.kind == "merged":
        check = ("" if row.verified == "yes" else
                 f"; successor not verified against the resolution ({row.note})")
        return [(s, f"includes {row.name} ({row.code}), merged {source}{check}") for s in successors]
    weights = shares.get(row.code, {})
    main = _whole_successor(weights)
    if main is not None:
        rest = ", ".join(f"{s} ({weights[s]:.0%})" for s in successors if s != main)
        return [(main, f"includes {row.name} ({row.code}), dissolved {source}, drawn whole here "
                       f"({weights[main]:.0%} of it; the rest, to {rest}, is not drawn)"),
                *((s, f"received part of {row.name} ({row.code}), dissolved {source}; that part is "
                      f"not drawn here ({weights[s]:.0%} of it went to this unit)")
                  for s in successors if s != main)]
    return [(s, f"includes part of {row.name} ({row.code}), dissolved {source}; no published layer "
                "draws the line between its successors, so the part nearest this unit is drawn here")
            for s in successors]
