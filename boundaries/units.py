"""Read a configured vintage into one frame of units: communes, districts and the province.

The communes are cleaned into a coverage (``boundaries.coverage``); districts and the
province are the unions of their cleaned communes, so nesting holds exactly. A display
geometry is the coverage simplified as a whole (``shapely.coverage_simplify``), which opens
no gaps between neighbours.
"""

from __future__ import annotations

import unicodedata

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from boundaries.coverage import clean_coverage, in_crs_units, polygonal
from boundaries.errors import BoundaryDataError
from boundaries.province import LayerSpec, Province, VintageSpec
from geo.settings import AREA_CRS, STORAGE_CRS, WORK_CRS

#: Official type prefixes of unit names, longest first so "Thị xã" wins over "Xã".
TYPE_PREFIXES = (
    ("Thành phố", "thanh_pho"),
    ("Thị trấn", "thi_tran"),
    ("Thị xã", "thi_xa"),
    ("Phường", "phuong"),
    ("Huyện", "huyen"),
    ("Quận", "quan"),
    ("Tỉnh", "tinh"),
    ("Xã", "xa"),
)

#: Tolerance of the display geometry, in metres of ``WORK_CRS``.
DISPLAY_TOLERANCE_M = 50.0
#: Gaps enclosed along the border between a province's parts narrower than this (metres)
#: go to a neighbouring commune.
BORDER_GAP_M = 100.0

#: Unit columns only some vintages fill (a province made of former provinces, a derived vintage).
OPTIONAL_COLUMNS = ("former_province_code", "history_note")
UNIT_COLUMNS = ["code", "name", "unit_type", "level", "parent_code", "area_km2", "geometry",
                "geom_display", *OPTIONAL_COLUMNS]


def unit_type_of(full_name: str) -> str:
    """Return the unit type code from an official full name.

    Examples
    --------
    >>> unit_type_of("Thị trấn Trảng Bom"), unit_type_of("Xã An Hoà")
    ('thi_tran', 'xa')
    """
    name = unicodedata.normalize("NFC", full_name).strip()
    for prefix, code in TYPE_PREFIXES:
        if name.startswith(prefix + " "):
            return code
    known = ", ".join(p for p, _ in TYPE_PREFIXES)
    raise BoundaryDataError(f"unit name {full_name!r} starts with no known type ({known})")


def read_layer(spec: VintageSpec, layer: LayerSpec, level: str) -> gpd.GeoDataFrame:
    """Read one configured layer as code, name, unit_type, level and parent_code columns."""
    where = f"{spec.file} (layer {layer.layer})"
    try:
        raw = gpd.read_file(spec.file, layer=layer.layer)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise BoundaryDataError(f"cannot read {where}: {exc}") from exc
    for column in (layer.code, layer.full_name, layer.parent):
        if column is not None and column not in raw.columns:
            raise BoundaryDataError(f"{where} has no column {column!r}; it has {list(raw.columns)}")
    if raw.crs is None:
        raise BoundaryDataError(f"{where} declares no CRS; set one (e.g. EPSG:4326) in the file")
    frame = gpd.GeoDataFrame(
        {
            "code": raw[layer.code].astype(str).str.strip(),
            "name": raw[layer.full_name].map(lambda s: unicodedata.normalize("NFC", s).strip()),
            "level": level,
            "parent_code": raw[layer.parent].astype(str) if layer.parent else None,
        },
        geometry=raw.geometry.values,
        crs=raw.crs,
    ).to_crs(STORAGE_CRS)
    _check_rows(frame, where)
    frame["unit_type"] = frame["name"].map(unit_type_of)
    return frame


def _check_rows(frame: gpd.GeoDataFrame, where: str) -> None:
    """Raise naming the row when a code is missing or repeated, or a geometry is bad."""
    for row, (code, geom) in enumerate(zip(frame["code"], frame.geometry, strict=True), start=1):
        if not code or code.lower() in {"nan", "none"}:
            raise BoundaryDataError(f"{where}, feature {row}: no unit code; every unit needs its GSO code")
        if geom is None or geom.is_empty or shapely.get_type_id(geom) not in (3, 6):
            raise BoundaryDataError(f"{where}, feature {row} (code {code}): not a polygon")
    repeated = frame["code"][frame["code"].duplicated()].tolist()
    if repeated:
        raise BoundaryDataError(f"{where}: codes repeated: {repeated}; a code names one unit per vintage")


def build_units(province: Province, spec: VintageSpec, *,
                built: dict | None = None) -> tuple[gpd.GeoDataFrame, dict]:
    """Read, clean and assemble every unit of one vintage.

    ``built`` (config id → result of this function) holds the vintages of the province built
    already in this run: the result is taken from it or added to it, so a derived vintage does
    not build its base again (2024-11-01 derives from 2019-04-10, which derives from 2010).

    A vintage with ``parts`` also holds each predecessor province's units of its dates (read
    from that province's folder and cleaned on their own), every commune and district marked
    with its ``former_province_code``; a derived vintage is built by ``boundaries.history``.

    Returns
    -------
    (GeoDataFrame, dict)
        Units of all levels in EPSG:4326 with ``geom_display``, and the cleaning report
        (``coverage`` and ``outline_iou`` of the province's own layers, and with parts the
        same per former province under ``parts``).
    """
    if built is not None and spec.id in built:
        return built[spec.id]
    if spec.derived_from:
        from boundaries.history import derive_units  # history builds on this module

        result = derive_units(province, spec, built=built)
    else:
        result = _build_drawn(province, spec)
    if built is not None:
        built[spec.id] = result
    return result


def _build_drawn(province: Province, spec: VintageSpec) -> tuple[gpd.GeoDataFrame, dict]:
    """The units and cleaning report of a vintage drawn from layers (its own and its parts')."""
    communes, districts, reports = [], [], {}
    for part_province, part_spec in _parts(province, spec):
        cleaned, part_districts, coverage = _clean_part(part_province, part_spec, province.code)
        if spec.parts:
            cleaned["former_province_code"] = part_province.code
            if part_districts is not None:
                part_districts["former_province_code"] = part_province.code
        communes.append(cleaned)
        if part_districts is not None:
            districts.append(part_districts)
        reports[part_province.code] = {"coverage": coverage.as_dict(),
                                       "outline_iou": _outline_iou(cleaned, part_spec)}
    joined, border = _join_parts(communes)
    units = assemble_units(joined, pd.concat(districts, ignore_index=True) if districts else None,
                           province, spec)
    report = {"vintage": spec.id, **reports[province.code]}
    if spec.parts:
        report["parts"] = reports
        report["border"] = border
    return units, report


def _parts(province: Province, spec: VintageSpec) -> list[tuple[Province, VintageSpec]]:
    """The province's own layers of ``spec``, then each configured part's province and vintage."""
    from boundaries.province import load_province  # the loader of whole province folders

    out = [(province, spec)]
    for part in spec.parts:
        other = load_province(part.province)
        other_spec = other.vintage(part.vintage)
        if other_spec.parts or other_spec.derived_from:
            raise BoundaryDataError(f"{part.province}: vintage {part.vintage} is itself made of parts "
                                    "or derived; a part must be drawn from layers")
        ends_early = other_spec.valid_to is not None and (spec.valid_to is None
                                                           or other_spec.valid_to < spec.valid_to)
        if other_spec.valid_from > spec.valid_from or ends_early:
            raise BoundaryDataError(
                f"{part.province}: vintage {part.vintage} is valid {other_spec.valid_from} → "
                f"{other_spec.valid_to or 'now'}, which does not cover vintage {spec.id} of "
                f"{province.name} ({spec.valid_from} → {spec.valid_to or 'now'}); name a part valid "
                "on every day of the vintage")
        out.append((other, other_spec))
    return out


def _join_parts(parts: list[gpd.GeoDataFrame]) -> tuple[gpd.GeoDataFrame, dict | None]:
    """The parts' communes as one coverage: a later part gives up what an earlier one covers.

    Predecessor provinces' layers come from different publishers and overlap along the old
    border by slivers (91 m² between Đồng Nai and Bình Phước); the province's own
    layer (the first part) keeps them, and slivers of gap enclosed along that border
    (narrower than ``BORDER_GAP_M``) go to a neighbour. A last ``coverage_clean`` matches the
    vertices of the edges the parts now share.

    Returns the communes and what joining moved along the border (``overlap_removed_km2``,
    ``gaps_filled_km2``; None for a single part).
    """
    if len(parts) == 1:
        return parts[0], None
    taken = shapely.union_all(parts[0].geometry.values)
    trimmed = [parts[0]]
    for part in parts[1:]:
        geoms = np.array([polygonal(g) for g in shapely.difference(part.geometry.values, taken)])
        trimmed.append(part.set_geometry(gpd.GeoSeries(geoms, index=part.index, crs=part.crs)))
        taken = shapely.union(taken, shapely.union_all(geoms))
    joined = pd.concat(trimmed, ignore_index=True)
    cleaned = joined.set_geometry(gpd.GeoSeries(
        [polygonal(g) for g in shapely.coverage_clean(joined.geometry.values,
                                                      gap_width=in_crs_units(BORDER_GAP_M, joined.crs))],
        index=joined.index, crs=joined.crs))

    def km2(frames) -> float:
        return float(sum(f.geometry.to_crs(AREA_CRS).area.sum() for f in frames) / 1e6)

    border = {"overlap_removed_km2": round(km2(parts) - km2(trimmed), 6),
              "gaps_filled_km2": round(km2([cleaned]) - km2(trimmed), 6)}
    return cleaned, border


def _clean_part(province: Province, spec: VintageSpec, top_code: str):
    """One province's communes of ``spec`` cleaned into a coverage, its districts, the cleaning report.

    ``top_code`` is the code of the province the vintage is stored under (the parent of the
    districts, or of the communes when there are no districts).
    """
    communes = read_layer(spec, spec.communes, "commune")
    districts = read_layer(spec, spec.districts, "district") if spec.districts else None
    if spec.expected_units is not None and len(communes) != spec.expected_units:
        raise BoundaryDataError(
            f"{spec.file} (layer {spec.communes.layer}) has {len(communes)} units, the "
            f"configuration expects {spec.expected_units}; check the layer or expected_units"
        )
    if districts is None:
        communes["parent_code"] = top_code
    else:
        _check_parents(communes, districts, spec)
        districts["parent_code"] = top_code
    cleaned, coverage = clean_coverage(communes, districts)
    return cleaned, districts, coverage


def _check_parents(communes, districts, spec) -> None:
    """Every commune must name a district of the district layer."""
    orphans = sorted(set(communes["parent_code"]) - set(districts["code"]))
    if orphans:
        raise BoundaryDataError(
            f"{spec.file} (layer {spec.communes.layer}): parent codes {orphans} are not in the "
            f"district layer {spec.districts.layer}"
        )


def assemble_units(communes, districts, province, spec) -> gpd.GeoDataFrame:
    """Add display geometries, districts and the province as unions of the communes.

    ``communes`` is a clean coverage with ``code, name, unit_type, level, parent_code`` (and
    optionally ``former_province_code``, ``history_note``); ``districts`` (or None) the
    districts' attributes, whose polygons are the unions of their communes.
    """
    work = pd.DataFrame(communes.drop(columns="geometry"))
    work["geometry"] = communes.geometry.to_crs(WORK_CRS).values.to_numpy()
    work["geom_display"] = shapely.coverage_simplify(work["geometry"].to_numpy(), DISPLAY_TOLERANCE_M)
    parts = [work]
    if districts is not None:
        parts.append(_dissolve(work, "parent_code", districts.set_index("code")))
    top = pd.DataFrame({"code": [province.code], "name": [spec.province_name],
                        "parent_code": [None], "level": ["province"]})
    top["unit_type"] = top["name"].map(unit_type_of)
    # Parts of a province (former provinces) are cleaned apart and may touch along slivers:
    # their union is the general one, not a coverage union.
    union = shapely.union_all if spec.parts or spec.derived_from else shapely.coverage_union_all
    parts.append(_dissolve(work.assign(_all=province.code), "_all", top.set_index("code"), union=union))
    units = pd.concat(parts, ignore_index=True)
    units["geometry"] = _to_storage(units["geometry"])
    # Display vertices on a 1e-5° grid (about 1 m), far below the simplification tolerance;
    # shared vertices snap alike, so the coverage stays gap-free and pages stay light.
    # Snap rounding, not plain rounding: rounding can fold a narrow spike into a self-
    # intersection (a Bình Phước commune did).
    units["geom_display"] = shapely.set_precision(_to_storage(units["geom_display"]).values, 1e-5)
    units = gpd.GeoDataFrame(units, geometry="geometry", crs=STORAGE_CRS)
    units["area_km2"] = units.geometry.to_crs(AREA_CRS).area / 1e6
    for column in OPTIONAL_COLUMNS:  # None where a vintage has no value, never NaN
        if column not in units:
            units[column] = None
        units[column] = units[column].astype(object).where(units[column].notna(), None)
    return units[UNIT_COLUMNS]


def simplify_coverage(units: gpd.GeoSeries, tolerance_m: float) -> gpd.GeoSeries:
    """Simplify a coverage of units as a whole, so no gap or overlap opens between neighbours.

    The display rule of the stored ``geom_display`` at another tolerance: simplified in
    ``WORK_CRS`` metres with ``shapely.coverage_simplify``, returned as MultiPolygons in the
    storage CRS with vertices rounded to 1e-5° (about 1 m; shared vertices round alike).

    Examples
    --------
    >>> from shapely import box
    >>> left, right = box(106.8, 10.9, 106.85, 10.95), box(106.85, 10.9, 106.9, 10.95)
    >>> out = simplify_coverage(gpd.GeoSeries([left, right], crs=STORAGE_CRS), 10.0)
    >>> bool(out.iloc[0].touches(out.iloc[1])), round(out.union_all().area / (left.area + right.area), 6)
    (True, 1.0)
    """
    work = units.to_crs(WORK_CRS)
    simplified = pd.Series(shapely.coverage_simplify(work.values.to_numpy(), tolerance_m), index=units.index)
    return gpd.GeoSeries(shapely.transform(_to_storage(simplified).values, lambda xy: xy.round(5)),
                         index=units.index, crs=STORAGE_CRS)


def _to_storage(geoms: pd.Series) -> gpd.GeoSeries:
    """Return WORK_CRS geometries as MultiPolygons in the storage CRS."""
    multi = [g if shapely.get_type_id(g) == 6 else shapely.MultiPolygon([g]) for g in geoms]
    return gpd.GeoSeries(multi, index=geoms.index, crs=WORK_CRS).to_crs(STORAGE_CRS)


def _dissolve(work, by, attributes, union=shapely.coverage_union_all) -> gpd.GeoDataFrame:
    """Union communes (and their display geometries) per ``by`` and attach ``attributes``."""
    groups = work.groupby(by)
    geoms = groups.geometry.apply(lambda s: union(s.values))
    display = groups["geom_display"].apply(lambda s: union(s.values))
    columns = ["name", "unit_type", "level", "parent_code"]
    columns += [c for c in OPTIONAL_COLUMNS if c in attributes]
    out = attributes.loc[geoms.index, columns].copy()
    out["geometry"] = geoms.values
    out["geom_display"] = display.values
    return out.reset_index(names="code")


def _outline_iou(communes: gpd.GeoDataFrame, spec: VintageSpec) -> float | None:
    """Intersection over union of the province (union of its cleaned communes) and the outline layer."""
    if spec.outline is None:
        return None
    outline = gpd.read_file(spec.file, layer=spec.outline.layer).to_crs(AREA_CRS).union_all()
    mine = communes.to_crs(AREA_CRS).union_all()
    return round(float(mine.intersection(outline).area / mine.union(outline).area), 4)
