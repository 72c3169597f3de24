"""Write export layers to files: GeoPackage, zipped Shapefile, GeoJSON, KML, CSV, FlatGeobuf.

Pure: frames in, files out, no database. Input layers are in EPSG:4326 (storage).

Public mode (``public=True``, for wider distribution)
    * refuses the point layers of ``sites``, ``establishments`` and ``inspections`` (an
      inspection sits at its establishment's point) with `ExportError`;
    * refuses an ``name`` column on any point layer (establishment names are analyst+);
    * in the count columns `COUNT_COLUMNS` (``incidents``, ``inspections`` per commune),
      replaces 1 and 2 by the text ``"<3"``; those columns are then written as text
      (``"0"``, ``"<3"``, ``"3"``, …) in every format so a reader never sees a mix of types.

Shapefile
    Written to a temporary folder, field names mapped to 10 characters by `SHAPEFILE_FIELDS`
    (any other name longer than 10 is truncated, with a numeric suffix if that collides), a
    ``.cpg`` saying ``UTF-8`` added, and everything zipped together with ``fields.csv``
    (``field,column``: the mapping actually applied) and ``metadata.csv``.

Dates are written as ISO text (``YYYY-MM-DD``) in every format; a FlatGeobuf layer with
records that have no point (placed by unit reference only) is written without spatial index.

CRS
    ``crs`` is any EPSG code; VN-2000 targets (EPSG:5899 TM-3 107°45′, EPSG:3405 UTM 48N, …)
    are reached with the EPSG:6960 operation "VN-2000 to WGS 84 (2)" pinned (pyproj would
    otherwise pick EPSG:5194 in part of the province). GeoJSON (RFC 7946) and KML are
    EPSG:4326 only and refuse other CRS. CSV carries geometry as a ``WKT`` column; for a CRS
    other than EPSG:4326 a ``.prj`` is written next to it.

CSV cells
    Every CSV written here (the ``csv`` format, and ``fields.csv`` / ``metadata.csv`` in a
    shapefile zip) passes its text cells and its header through `geo.spreadsheets.safe_cell`: a
    value a spreadsheet would run as a formula (``=HYPERLINK(...)``, a leading ``+ - @``, tab or
    carriage return) is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import tempfile
import zipfile
from pathlib import Path
from typing import Literal, get_args

import geopandas as gpd
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.transformer import Transformer, TransformerGroup

from geo.errors import ExportError
from geo.spreadsheets import safe_cell, safe_row

Format = Literal["gpkg", "shp", "geojson", "kml", "csv", "fgb"]
FORMATS: tuple[str, ...] = get_args(Format)

#: Point layers that never leave in public mode: a point at a known venue or home can
#: re-identify the people of a case (DOMAIN.md); public outputs are commune aggregates.
PRIVATE_LAYERS = ("sites", "establishments", "inspections", "incidents")
#: Count columns suppressed below 3 in public mode (written as text there).
COUNT_COLUMNS = ("incidents", "inspections")
#: The documented shapefile field names (DBF names have at most 10 characters).
SHAPEFILE_FIELDS = {
    "commune_code": "comm_code", "district_code": "dist_code", "district_name": "dist_name",
    "incidents": "n_incid", "inspections": "n_insp", "snapshot_id": "snapshot",
    "establishment_id": "estab_id", "establishment_type": "estab_type",
    "commitment_signed": "commitment", "incident_id": "incid_id", "incident_kind": "incid_kind",
    "inspection_id": "insp_id", "inspection_date": "insp_date",
    "decision_no": "decis_no", "decision_date": "decis_date",
}
#: The operation pinned for VN-2000 targets (EPSG:6960).
VN2000_OPERATION = "VN-2000 to WGS 84 (2)"

_DRIVERS = {"gpkg": "GPKG", "shp": "ESRI Shapefile", "geojson": "GeoJSON", "kml": "LIBKML",
            "csv": "CSV", "fgb": "FlatGeobuf"}


def transformer_to(crs: str) -> Transformer:
    """The transformer from EPSG:4326 (x = lon) to ``crs``, with EPSG:6960 pinned for VN-2000.

    Examples
    --------
    >>> "VN-2000 to WGS 84 (2)" in transformer_to("EPSG:5899").description
    True
    """
    target = CRS.from_user_input(crs)
    group = TransformerGroup(CRS(4326), target, always_xy=True)
    if "2000" not in (target.datum.name if target.datum else ""):
        return group.transformers[0]
    pinned = [t for t in group.transformers if VN2000_OPERATION in t.description]
    if not pinned:
        raise ExportError(f"no {VN2000_OPERATION!r} (EPSG:6960) operation to {crs}; "
                          "install the full PROJ database")
    return pinned[0]


def reproject(frame: gpd.GeoDataFrame, crs: str) -> gpd.GeoDataFrame:
    """A copy of ``frame`` (EPSG:4326) in ``crs``, VN-2000 through the pinned EPSG:6960."""
    if frame.crs is None or not frame.crs.equals(CRS(4326), ignore_axis_order=True):
        raise ExportError(f"export layers must be in EPSG:4326, got {frame.crs}")
    target = CRS.from_user_input(crs)
    if target.equals(CRS(4326), ignore_axis_order=True):
        return frame.copy()
    t = transformer_to(crs)
    geoms = shapely.transform(frame.geometry.values, lambda xy: _apply(t, xy))
    return gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), crs=target,
                            geometry=gpd.GeoSeries(geoms, index=frame.index, crs=target))


def _apply(t: Transformer, xy):
    """Apply ``t`` to an (n, 2) coordinate array."""
    import numpy as np

    x, y = t.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def suppress_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with 1 and 2 in `COUNT_COLUMNS` replaced by ``"<3"`` (those columns become text).

    Examples
    --------
    >>> suppress_counts(pd.DataFrame({"incidents": [0, 1, 2, 5]}))["incidents"].tolist()
    ['0', '<3', '<3', '5']
    """
    out = frame.copy()
    for column in COUNT_COLUMNS:
        if column in out:
            values = out[column]
            text = values.astype("Int64").astype("string")
            out[column] = text.mask(values.isin([1, 2]), "<3")
    return out


def _check(layers: dict, fmt: str, crs: str, public: bool) -> None:
    """Raise `ExportError` for a request that cannot be honoured."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    if not layers:
        raise ExportError("nothing to export: give at least one layer")
    if len(layers) > 1 and fmt != "gpkg":
        raise ExportError(f"{fmt} holds one layer; export {', '.join(layers)} one by one "
                          "or use --format gpkg")
    is_wgs84 = CRS.from_user_input(crs).equals(CRS(4326), ignore_axis_order=True)
    if fmt in ("geojson", "kml") and not is_wgs84:
        raise ExportError(f"{fmt} is EPSG:4326 only (RFC 7946 / OGC KML), not {crs}; "
                          "use --crs EPSG:4326, or --format gpkg for a VN-2000 CRS")
    if public:
        refused = [name for name in layers if name in PRIVATE_LAYERS]
        if refused:
            raise ExportError(f"--public outputs hold no point layer of {', '.join(refused)}; "
                              "export communes or districts, or drop --public (analyst+)")
        named = [name for name, frame in layers.items() if "name" in frame
                 and frame.geometry.geom_type.isin(["Point", "MultiPoint"]).any()]
        if named:
            raise ExportError(f"--public outputs carry no establishment names ({', '.join(named)})")


def _prepare(frame: gpd.GeoDataFrame, crs: str, public: bool) -> gpd.GeoDataFrame:
    """Reproject, suppress small counts in public mode, and write dates as ISO text (YYYY-MM-DD)."""
    out = reproject(frame, crs)
    if public:
        out = suppress_counts(out)
    for column in out.columns.drop(out.geometry.name):
        values = out[column].dropna()
        if len(values) and values.map(lambda v: hasattr(v, "isoformat")).all():
            out[column] = out[column].map(lambda v: v.isoformat(), na_action="ignore").astype("string")
    return out


def shapefile_names(columns) -> dict[str, str]:
    """Map column names to unique DBF field names of at most 10 characters.

    Examples
    --------
    >>> shapefile_names(["commune_code", "name", "a_very_long_name", "a_very_long_other"])
    {'commune_code': 'comm_code', 'name': 'name', 'a_very_long_name': 'a_very_lon', \
'a_very_long_other': 'a_very_l_1'}
    """
    mapping, used = {}, set()
    for column in columns:
        field = SHAPEFILE_FIELDS.get(column, column[:10])
        n = 1
        while field in used:
            field = f"{column[:10 - len(str(n)) - 1]}_{n}"
            n += 1
        mapping[column] = field
        used.add(field)
    return mapping


def _write_shapefile(name: str, frame: gpd.GeoDataFrame, path: Path, metadata: dict) -> None:
    """Write one layer as a zipped shapefile with ``.cpg``, ``fields.csv`` and ``metadata.csv``."""
    import pyogrio

    mapping = shapefile_names(frame.columns.drop(frame.geometry.name))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        pyogrio.write_dataframe(frame.rename(columns=mapping), folder / f"{name}.shp",
                                driver="ESRI Shapefile", encoding="UTF-8")
        (folder / f"{name}.cpg").write_text("UTF-8", encoding="ascii")
        with open(folder / "fields.csv", "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["field", "column"])
            writer.writerows(safe_row((field, column)) for column, field in mapping.items())
        with open(folder / "metadata.csv", "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle).writerows(safe_row(row) for row in [["key", "value"], *metadata.items()])
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for file in sorted(folder.iterdir()):
                archive.write(file, arcname=file.name)


def _spreadsheet_safe(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """A copy whose text cells and column names went through `geo.spreadsheets.safe_cell`."""
    out = frame.copy()
    geometry = out.geometry.name
    for column in out.columns.drop(geometry):
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(safe_cell, na_action="ignore")
    return out.rename(columns={c: safe_cell(c) for c in out.columns if c != geometry})


def _write_one(name: str, frame: gpd.GeoDataFrame, path: Path, fmt: str, metadata: dict) -> None:
    """Write one prepared layer in ``fmt`` (GeoPackage layers are added to the file)."""
    import pyogrio

    if fmt == "shp":
        _write_shapefile(name, frame, path, metadata)
        return
    options: dict = {}
    if fmt == "gpkg":
        options = {"layer_metadata": metadata, "dataset_metadata": {"generator": "diaban export"}}
    elif fmt == "csv":
        options = {"layer_options": {"GEOMETRY": "AS_WKT"}}
        frame = _spreadsheet_safe(frame)
    elif fmt == "fgb" and frame.geometry.isna().any():
        options = {"layer_options": {"SPATIAL_INDEX": "NO"}}  # records placed by unit only
    pyogrio.write_dataframe(frame, path, layer=name, driver=_DRIVERS[fmt], **options)
    if fmt == "csv" and not frame.crs.equals(CRS(4326), ignore_axis_order=True):
        path.with_suffix(".prj").write_text(frame.crs.to_wkt(), encoding="utf-8")


def write_layers(layers: dict[str, gpd.GeoDataFrame], path, *, fmt: Format, crs: str = "EPSG:4326",
                 public: bool = False, metadata: dict | None = None) -> Path:
    """Write ``layers`` (name → GeoDataFrame in EPSG:4326) to ``path`` in ``fmt`` and ``crs``.

    Parameters
    ----------
    layers : dict of str to GeoDataFrame
        The layers, EPSG:4326; several only for ``fmt="gpkg"``.
    path : str or Path
        The file to write; replaced if it exists (a shapefile becomes one ``.zip``).
    fmt : {"gpkg", "shp", "geojson", "kml", "csv", "fgb"}
    crs : str, default "EPSG:4326"
        Target CRS; VN-2000 ones use EPSG:6960 pinned. GeoJSON and KML: EPSG:4326 only.
    public : bool, default False
        For wider distribution: refuses `PRIVATE_LAYERS`, suppresses counts below 3.
    metadata : dict, optional
        Text key/values stored as GeoPackage layer metadata or ``metadata.csv`` in a zip.

    Returns
    -------
    Path
        The written file.

    Examples
    --------
    >>> import tempfile, pyogrio
    >>> from shapely import Point
    >>> g = gpd.GeoDataFrame({"incidents": [1, 4]}, geometry=[Point(106.8, 10.9)] * 2, crs=4326)
    >>> out = write_layers({"communes": g}, Path(tempfile.mkdtemp()) / "c.fgb", fmt="fgb", public=True)
    >>> pyogrio.read_dataframe(out)["incidents"].tolist()
    ['<3', '4']
    """
    _check(layers, fmt, crs, public)
    path = Path(path)
    if path.exists():
        path.unlink()
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    meta.update({"crs": str(crs), "public": str(bool(public)).lower()})
    for name, frame in layers.items():
        _write_one(name, _prepare(frame, crs, public), path, fmt, meta)
    return path
