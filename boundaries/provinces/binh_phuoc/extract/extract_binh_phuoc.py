"""One-off extraction of former Bình Phước's (GSO 70) pre-2025 boundaries and GSO code lists.

Kept for provenance: it rebuilds ``../binh_phuoc_boundaries.gpkg`` and ``../gazetteer/*.csv``
from three public GitHub repositories, each read at a pinned commit from a bare git mirror
(``git show COMMIT:PATH``), and prints the validation figures quoted in
``../BOUNDARIES-SOURCES.md`` (also written to ``validation.json`` beside this file).

Run from the repository root::

    PYTHONPATH=/tmp/rdata_pkg .venv/bin/python \
        boundaries/provinces/binh_phuoc/extract/extract_binh_phuoc.py \
        --census /path/LucieContamin+censusVN2009/repo \
        --dvhcvn /path/daohoangson+dvhcvn/repo \
        --historical /path/daohoangson+dvhcvn-historical-data/repo

It needs the PyPI package ``rdata`` (and ``xarray``), installed outside the project (e.g.
``pip install --no-deps --target /tmp/rdata_pkg rdata xarray``); neither is a requirement of
diaban, which only reads the GeoPackage this script writes.
"""

from __future__ import annotations

import argparse
import codecs
import json
import shutil
import subprocess
import tempfile
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

HERE = Path(__file__).resolve().parent
PROVINCE_DIR = HERE.parent
GAZETTEER = PROVINCE_DIR / "gazetteer"
GPKG = PROVINCE_DIR / "binh_phuoc_boundaries.gpkg"
DONG_NAI_GPKG = PROVINCE_DIR.parent / "dong_nai" / "dong_nai_boundaries.gpkg"
SNAPSHOT_INDEX = PROVINCE_DIR.parent / "dong_nai" / "gazetteer" / "gso_snapshot_index.csv"

GSO_CODE = "70"
CENSUS_PROVINCE_ID = 707  # the censusVN2009 package's own province id for Bình Phước
CENSUS = ("LucieContamin/censusVN2009", "d9a36767d5bdeb53d76d4497805cc07a4dbbe50c", "data/communes.rda")
GIS = ("daohoangson/dvhcvn", "4f987025d79fa13b882a2a611515dde306daa25e", "data/gis/70.json")
HISTORICAL = "daohoangson/dvhcvn-historical-data"
DVHCVN = "daohoangson/dvhcvn"
#: name → (repository, commit, path, effective date of the snapshot)
LISTS = {
    "2010": (HISTORICAL, "a8c1afc76c875ab8aa252a3617c4a1e5bb169f55", "data.json", "2010-02-06"),
    "2016-2019": (HISTORICAL, "157cc62529dcab7ed939965ba64da2ff6ce46b8c", "data.json", "2019-03-13"),
    "2019-2024": (DVHCVN, "f3d30bdd6f7eb69ad35d3ab4e6f138bd0a6cb8ef", "data/dvhcvn.json", "2024-09-01"),
    "2024-11": (DVHCVN, "eaddcea82fc336d59e908989f04178c336a9db10", "data/dvhcvn.json", "2025-03-01"),
}
LIST_COLUMNS = ["province_code", "province_name", "district_code", "district_name", "district_type",
                "commune_code", "commune_name", "commune_type", "commune_name_core",
                "source_repo", "source_path", "source_commit"]
_TONE = {"oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa", "uỳ": "ùy", "uý": "úy",
         "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy"}
_PREFIXES = ("Thị trấn ", "Phường ", "Xã ")


def git_show(repo: Path, commit: str, path: str) -> bytes:
    """Return the bytes of ``path`` at ``commit`` in the git directory ``repo``."""
    return subprocess.run(["git", "-C", str(repo), "show", f"{commit}:{path}"], check=True,
                          capture_output=True).stdout


def nfc(text: str) -> str:
    """Return ``text`` in Unicode NFC without surrounding blanks."""
    return unicodedata.normalize("NFC", text).strip()


def name_key(name: str) -> str:
    """Return a name for comparison: NFC, lower case, new tone placement."""
    key = nfc(name).lower()
    for old, new in _TONE.items():
        key = key.replace(old, new)
    return key


def core_key(full_name: str) -> str:
    """Return the comparison key of a name without its type prefix, Đắk/Đăk spelled Đak."""
    key = name_key(core_name(nfc(full_name)))
    for variant in ("đắk", "đăk"):
        key = key.replace(variant, "đak")
    return key


def core_name(full_name: str) -> str:
    """Return a commune name without its Phường/Xã/Thị trấn prefix."""
    for prefix in _PREFIXES:
        if full_name.startswith(prefix):
            return full_name[len(prefix):]
    return full_name


def gso_rows(raw: bytes, source: tuple[str, str, str]) -> pd.DataFrame:
    """Return the communes of province 70 in one GSO JSON snapshot, in the list layout."""
    data = json.loads(raw)
    data = data["data"] if isinstance(data, dict) else data
    province = next(p for p in data if p["level1_id"] == GSO_CODE)
    rows = [
        {"province_code": GSO_CODE, "province_name": nfc(province["name"]),
         "district_code": l2["level2_id"], "district_name": nfc(l2["name"]), "district_type": nfc(l2["type"]),
         "commune_code": l3["level3_id"], "commune_name": nfc(l3["name"]), "commune_type": nfc(l3["type"]),
         "commune_name_core": core_name(nfc(l3["name"])), "source_repo": source[0],
         "source_path": source[2], "source_commit": source[1]}
        for l2 in province["level2s"] for l3 in l2.get("level3s", [])
    ]
    return pd.DataFrame(rows, columns=LIST_COLUMNS).sort_values("commune_code", ignore_index=True)


def code_lists(mirrors: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """Write the per-vintage GSO lists and return them by name."""
    out = {}
    for name, (repo, commit, path, _) in LISTS.items():
        frame = gso_rows(git_show(mirrors[repo], commit, path), (repo, commit, path))
        frame.to_csv(GAZETTEER / f"binh_phuoc_gso_units_{name}.csv", index=False)
        out[name] = frame
    return out


def history(mirrors: dict[str, Path]) -> pd.DataFrame:
    """Write one row per distinct (code, name, type, district) over the shared snapshot index."""
    index = pd.read_csv(SNAPSHOT_INDEX, dtype=str)
    shutil.copyfile(SNAPSHOT_INDEX, GAZETTEER / SNAPSHOT_INDEX.name)
    seen: dict[tuple, list[str]] = {}
    for day, repo, commit in index[["effective_date", "source", "commit"]].itertuples(index=False):
        path = "data.json" if repo == HISTORICAL else "data/dvhcvn.json"
        frame = gso_rows(git_show(mirrors[repo], commit, path), (repo, commit, path))
        for row in frame[["commune_code", "commune_name", "commune_type", "commune_name_core",
                          "district_code", "district_name"]].itertuples(index=False):
            span = seen.setdefault(tuple(row), [day, day])
            span[0], span[1] = min(span[0], day), max(span[1], day)
    table = pd.DataFrame([(*k, *v) for k, v in seen.items()],
                         columns=["commune_code", "commune_name", "commune_type", "commune_name_core",
                                  "district_code", "district_name", "first_snapshot", "last_snapshot"])
    table = table.sort_values(["commune_code", "first_snapshot"], ignore_index=True)
    table.to_csv(GAZETTEER / "binh_phuoc_gso_units_history_2009-2025.csv", index=False)
    return table


def _rda_text(value: bytes | None) -> str | None:
    r"""Decode an R string (the package stores escapes such as ``\u00e0``)."""
    if value is None:
        return None
    text = codecs.decode(value, "unicode_escape") if b"\\u" in value else value.decode("utf-8")
    return nfc(text)


def _slots(obj) -> dict:
    """Return the tagged pairlist ``obj`` (an S4 object's slots, a list's attributes) as a dict."""
    from rdata.parser import RObjectType

    out = {}
    while obj is not None and obj.info.type == RObjectType.LIST:
        tag = obj.tag
        while tag.referenced_object is not None:
            tag = tag.referenced_object
        out[tag.value.value.decode()] = obj.value[0]
        obj = obj.value[1]
    return out


def _feature_geometry(feature) -> shapely.Geometry:
    """Build a (Multi)Polygon from one ``sp::Polygons`` object, vertex for vertex."""
    shells, holes = [], []
    for ring in _slots(feature.attributes)["Polygons"].value:
        slots = _slots(ring.attributes)
        xy = np.asarray(slots["coords"].value, dtype=float)
        xy = xy.reshape(2, -1).T  # an R n×2 matrix is stored column by column
        (holes if bool(np.asarray(slots["hole"].value)[0]) else shells).append(shapely.LinearRing(xy))
    polygons = []
    for shell in shells:
        inner = [h for h in holes if shapely.Polygon(shell).contains(shapely.Point(h.coords[0]))]
        polygons.append(shapely.Polygon(shell, inner))
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def census_communes(repo: Path) -> gpd.GeoDataFrame:
    """Read the Bình Phước rows of the censusVN2009 commune layer with their polygons."""
    import rdata
    from rdata.parser import RObjectType

    with tempfile.NamedTemporaryFile(suffix=".rda") as handle:
        handle.write(git_show(repo, CENSUS[1], CENSUS[2]))
        handle.flush()
        spdf = rdata.parser.parse_file(handle.name).object.value[0]
    slots = _slots(spdf.attributes)
    data = slots["data"]
    names = [n.value.decode() for n in _slots(data.attributes)["names"].value]
    columns = {name: ([_rda_text(c.value) for c in col.value] if col.info.type == RObjectType.STR
                      else np.asarray(col.value)) for name, col in zip(names, data.value, strict=True)}
    frame = pd.DataFrame(columns)
    keep = np.flatnonzero(frame["province_id"].to_numpy() == CENSUS_PROVINCE_ID)
    geoms = [_feature_geometry(slots["polygons"].value[i]) for i in keep]
    return gpd.GeoDataFrame(frame.iloc[keep].reset_index(drop=True), geometry=geoms, crs="EPSG:4326")


def match_to_gso(census: gpd.GeoDataFrame, lists: dict[str, pd.DataFrame]) -> gpd.GeoDataFrame:
    """Give every census commune its GSO code by name within its 2010 district.

    First the exact full name (tone placement normalised); else the name without its type
    prefix, with Đắk/Đăk read as Đak (the source types two xã as thị trấn and spells Đắk).
    """
    old = lists["2010"].assign(_d=lambda f: f["district_name"].map(name_key))
    full = {(d, name_key(c)): code for d, c, code in old[["_d", "commune_name", "commune_code"]].values}
    core = {(d, core_key(c)): code for d, c, code in old[["_d", "commune_name", "commune_code"]].values}
    codes, how = [], []
    for district, commune in census[["district_vn", "commune_vn"]].itertuples(index=False):
        exact = full.get((name_key(district), name_key(commune)))
        code = exact or core.get((name_key(district), core_key(commune)))
        codes.append(code)
        how.append("exact_name_in_district" if exact else "core_name_in_district" if code else "unmatched")
    if None in codes:
        missing = census.loc[[c is None for c in codes], ["district_vn", "commune_vn"]]
        raise SystemExit(f"census communes without a GSO match:\n{missing}")
    new = lists["2016-2019"].set_index("commune_code")
    old = old.set_index("commune_code")
    out = gpd.GeoDataFrame({
        "gso_commune_code": codes,
        "gso_commune_name": new.loc[codes, "commune_name"].to_numpy(),
        "gso_commune_type": new.loc[codes, "commune_type"].to_numpy(),
        "gso_district_code": new.loc[codes, "district_code"].to_numpy(),
        "gso_district_name": new.loc[codes, "district_name"].to_numpy(),
        "gso_district_code_2010": old.loc[codes, "district_code"].to_numpy(),
        "gso_commune_name_2010": old.loc[codes, "commune_name"].to_numpy(),
        "gso_match": how,
        "commune_name": census["commune_vn"], "district_name": census["district_vn"],
        "province_name": census["province_vn"],
        "commune_en": census["commune"], "district_en": census["district"], "province_en": census["province"],
        "src_commune_id": census["commune_id"].astype(int).astype(str),
        "src_district_id": census["district_id"].astype(int).astype(str),
        "src_province_id": census["province_id"].astype(int).astype(str),
        "population_census2009": census["population"].astype(int),
        "area_ha_census2009": census["area"],
        "src_shape_length_deg": census["shape_length"], "src_shape_area_deg2": census["shape_area"],
        "source": f"{CENSUS[0]} {CENSUS[2]}@{CENSUS[1]} (VIETGIS 250K admin DB; generalised)",
    }, geometry=census.geometry.values, crs="EPSG:4326")
    for name, column in (("2019-2024", "gso_name_2019_2024"), ("2024-11", "gso_name_2024_11")):
        later = lists[name].set_index("commune_code")["commune_name"]
        out[column] = [later.get(c, "(code not in list)") for c in codes]
    return out.sort_values("gso_commune_code", ignore_index=True)


def gis_layers(repo: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Return the dvhcvn (gis.chinhphu.vn) district and province polygons of province 70."""
    raw = json.loads(git_show(repo, GIS[1], GIS[2]))
    source = f"{GIS[0]} {GIS[2]}@{GIS[1]} (gis.chinhphu.vn)"

    def multi(coords):
        return shapely.geometry.shape({"type": "MultiPolygon", "coordinates": coords})

    province_name = nfc(raw["name"])
    districts = gpd.GeoDataFrame({
        "district_code": [d["level2_id"] for d in raw["level2s"]],
        "district_name": [nfc(d["name"]) for d in raw["level2s"]],
        "district_type": [next(p for p in ("Thành phố", "Thị xã", "Huyện") if nfc(d["name"]).startswith(p))
                          for d in raw["level2s"]],
        "province_code": GSO_CODE, "province_name": province_name, "source": source,
    }, geometry=[multi(d["coordinates"]) for d in raw["level2s"]], crs="EPSG:4326")
    province = gpd.GeoDataFrame({"province_code": [GSO_CODE], "province_name": [province_name],
                                 "source": [source]},
                                geometry=[multi(raw["coordinates"])], crs="EPSG:4326")
    return districts, province


def main() -> None:
    """Extract, write the GeoPackage and the lists, and print the validation figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag in ("census", "dvhcvn", "historical"):
        parser.add_argument(f"--{flag}", type=Path, required=True, help="bare git mirror of the repository")
    args = parser.parse_args()
    mirrors = {CENSUS[0]: args.census, DVHCVN: args.dvhcvn, HISTORICAL: args.historical}
    GAZETTEER.mkdir(exist_ok=True)
    lists = code_lists(mirrors)
    history(mirrors)
    communes = match_to_gso(census_communes(args.census), lists)
    districts, province = gis_layers(args.dvhcvn)
    GPKG.unlink(missing_ok=True)
    communes.to_file(GPKG, layer="communes_2016_2019_vietgis", driver="GPKG")
    districts.to_file(GPKG, layer="districts_2019_gischinhphu", driver="GPKG")
    province.to_file(GPKG, layer="province_2019_gischinhphu", driver="GPKG")
    from validate_binh_phuoc import validate  # beside this file

    figures = validate(communes, districts, province, lists, gpd.read_file(
        DONG_NAI_GPKG, layer="province_2019_gischinhphu"))
    (HERE / "validation.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(figures, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
