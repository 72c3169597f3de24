"""Read a configured vintage into one frame of units: communes, districts and the province.

The communes are cleaned into a coverage (``boundaries.coverage``); districts and the
province are the unions of their cleaned communes, so nesting holds exactly. A display
geometry is the coverage simplified as a whole (``shapely.coverage_simplify``), which opens
no gaps between neighbours.
"""

from __future__ import annotations

import unicodedata

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

from boundaries.coverage import clean_coverage
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

UNIT_COLUMNS = ["code", "name", "unit_type", "level", "parent_code", "area_km2", "geometry",
                "geom_display"]


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


def build_units(province: Province, spec: VintageSpec) -> tuple[gpd.GeoDataFrame, dict]:
    """Read, clean and assemble every unit of one vintage.

    Returns
    -------
    (GeoDataFrame, dict)
        Units of all levels in EPSG:4326 with ``geom_display``, and the cleaning report.
    """
    communes = read_layer(spec, spec.communes, "commune")
    districts = read_layer(spec, spec.districts, "district") if spec.districts else None
    if spec.expected_units is not None and len(communes) != spec.expected_units:
        raise BoundaryDataError(
            f"{spec.file} (layer {spec.communes.layer}) has {len(communes)} units, the "
            f"configuration expects {spec.expected_units}; check the layer or expected_units"
        )
    if districts is None:
        communes["parent_code"] = province.code
    else:
        _check_parents(communes, districts, spec)
        districts["parent_code"] = province.code
    cleaned, coverage = clean_coverage(communes, districts)
    units = _assemble(cleaned, districts, province, spec)
    report = {"vintage": spec.id, "coverage": coverage.as_dict(),
              "outline_iou": _outline_iou(units, spec)}
    return units, report


def _check_parents(communes, districts, spec) -> None:
    """Every commune must name a district of the district layer."""
    orphans = sorted(set(communes["parent_code"]) - set(districts["code"]))
    if orphans:
        raise BoundaryDataError(
            f"{spec.file} (layer {spec.communes.layer}): parent codes {orphans} are not in the "
            f"district layer {spec.districts.layer}"
        )


def _assemble(communes, districts, province, spec) -> gpd.GeoDataFrame:
    """Add display geometries, districts and the province as unions of the communes."""
    work = pd.DataFrame(communes.drop(columns="geometry"))
    work["geometry"] = communes.geometry.to_crs(WORK_CRS).values.to_numpy()
    work["geom_display"] = shapely.coverage_simplify(work["geometry"].to_numpy(), DISPLAY_TOLERANCE_M)
    parts = [work]
    if districts is not None:
        parts.append(_dissolve(work, "parent_code", districts.set_index("code")))
    top = pd.DataFrame({"code": [province.code], "name": [spec.province_name],
                        "parent_code": [None], "level": ["province"]})
    top["unit_type"] = top["name"].map(unit_type_of)
    parts.append(_dissolve(work.assign(_all=province.code), "_all", top.set_index("code")))
    units = pd.concat(parts, ignore_index=True)
    units["geometry"] = _to_storage(units["geometry"])
    # Display vertices to 1e-5° (about 1 m), far below the simplification tolerance; shared
    # vertices round alike, so the coverage stays gap-free and pages stay light.
    units["geom_display"] = shapely.transform(_to_storage(units["geom_display"]).values,
                                              lambda xy: xy.round(5))
    units = gpd.GeoDataFrame(units, geometry="geometry", crs=STORAGE_CRS)
    units["area_km2"] = units.geometry.to_crs(AREA_CRS).area / 1e6
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


def _dissolve(work, by, attributes) -> gpd.GeoDataFrame:
    """Union communes (and their display geometries) per ``by`` and attach ``attributes``."""
    groups = work.groupby(by)
    geoms = groups.geometry.apply(lambda s: shapely.coverage_union_all(s.values))
    display = groups["geom_display"].apply(lambda s: shapely.coverage_union_all(s.values))
    out = attributes.loc[geoms.index, ["name", "unit_type", "level", "parent_code"]].copy()
    out["geometry"] = geoms.values
    out["geom_display"] = display.values
    return out.reset_index(names="code")


def _outline_iou(units: gpd.GeoDataFrame, spec: VintageSpec) -> float | None:
    """Intersection over union of the province (union of communes) and the outline layer."""
    if spec.outline is None:
        return None
    outline = gpd.read_file(spec.file, layer=spec.outline.layer).to_crs(AREA_CRS).union_all()
    mine = units.loc[units["level"] == "province"].to_crs(AREA_CRS).union_all()
    return round(float(mine.intersection(outline).area / mine.union(outline).area), 4)
