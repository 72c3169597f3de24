"""A province is a configuration: its boundary layers and vintages, code lists, CRSs, targets.

Each province lives in a folder with a ``province.toml``; Đồng Nai ships in
``boundaries/provinces/dong_nai`` and is the default. Another province's planners point
``diaban boundaries load --province PATH`` at their own folder.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from pyproj import CRS
from pyproj.exceptions import CRSError

from boundaries.errors import ProvinceConfigError
from geo.settings import STORAGE_CRS
from geo.store.province import (
    loaded_province_codes,
    read_province,
    read_provinces,
    resolve_province_code,
)

PROVINCES = Path(__file__).with_name("provinces")
DEFAULT_PROVINCE = "dong_nai"


@dataclass(frozen=True)
class LayerSpec:
    """Where a layer is and which of its columns hold the code, the full name and the parent."""

    layer: str
    code: str | None = None
    full_name: str | None = None
    parent: str | None = None


@dataclass(frozen=True)
class PartSpec:
    """A predecessor province's vintage that is part of a vintage (``[[vintages.parts]]``).

    Đồng Nai from 2025-07-01 is old Đồng Nai plus former Bình Phước: its vintages before that
    date hold both provinces' units of the date, each unit marked with its former province.
    """

    province: Path
    vintage: str


@dataclass(frozen=True)
class VintageSpec:
    """One boundary vintage of a province, as configured.

    A vintage is drawn from layers (``file``, ``communes`` …), or derived from an earlier one
    (``derived_from``) with the official change list ``changes`` and the GSO code lists of its
    date (``lists``, one per former province code), see ``boundaries.history``.
    """

    id: str
    label: str
    valid_from: date
    valid_to: date | None
    legal_basis: str | None
    province_name: str
    file: Path | None = None
    communes: LayerSpec | None = None
    districts: LayerSpec | None = None
    outline: LayerSpec | None = None
    expected_units: int | None = None
    parts: tuple[PartSpec, ...] = ()
    derived_from: str | None = None
    changes: Path | None = None
    lists: dict = field(default_factory=dict)

    @property
    def source(self) -> str:
        """Where the vintage comes from, for its import batch: a layer, or what it derives from."""
        if self.derived_from:
            return f"{self.derived_from} + {self.changes.name}"
        parts = "".join(f" + {part.province.name}/{part.vintage}" for part in self.parts)
        return f"{self.file.name}:{self.communes.layer}{parts}"

    @property
    def source_file(self) -> Path:
        """The file whose checksum the import batch records."""
        return self.changes if self.derived_from else self.file


@dataclass(frozen=True)
class Province:
    """A province configuration, read from ``province.toml``."""

    code: str
    name: str
    folder: Path
    vintages: tuple[VintageSpec, ...]
    name_en: str = ""
    vn2000_crs: tuple[str, ...] = ()
    export_crs: tuple[str, ...] = (STORAGE_CRS,)
    plan: dict = field(default_factory=dict)
    targets: dict | None = None
    gazetteer: dict = field(default_factory=dict)
    crosswalks: tuple[dict, ...] = ()

    def display_name(self, lang: str = "vi") -> str:
        """The province's name in ``lang`` (``vi`` or ``en``; English falls back to Vietnamese)."""
        return self.name_en or self.name if lang == "en" else self.name

    def vintage(self, vintage_id: str) -> VintageSpec:
        """Return the vintage called ``vintage_id`` or raise naming the known ones."""
        for spec in self.vintages:
            if spec.id == vintage_id:
                return spec
        known = ", ".join(v.id for v in self.vintages)
        raise ProvinceConfigError(f"province {self.name} has no vintage {vintage_id!r}; known: {known}")


def load_province(where: str | Path = DEFAULT_PROVINCE) -> Province:
    """Read a province configuration.

    Parameters
    ----------
    where : str or Path
        A bundled province name (``dong_nai``), a folder with a ``province.toml``, or the
        file itself.

    Examples
    --------
    >>> p = load_province()
    >>> p.code, [v.id for v in p.vintages]
    ('75', ['2010-02-06', '2019-04-10', '2024-11-01', '2025-07-01'])
    """
    path = Path(where)
    if not path.exists() and (PROVINCES / str(where)).exists():
        path = PROVINCES / str(where)
    if path.is_dir():
        path = path / "province.toml"
    if not path.is_file():
        raise ProvinceConfigError(
            f"no province configuration at {where!s}; give a folder holding province.toml "
            f"or one of the bundled provinces: {', '.join(p.name for p in PROVINCES.iterdir())}"
        )
    with path.open("rb") as handle:
        raw = tomllib.load(handle)
    return _province(raw, path)


def _province(raw: dict, path: Path) -> Province:
    """Build a Province from parsed TOML, naming the file and key of any error."""
    try:
        vintages = tuple(_vintage(v, path.parent) for v in raw["vintages"])
        vn2000 = _crs_list(raw.get("vn2000_crs", ()), path, "vn2000_crs")
        return Province(
            code=str(raw["code"]),
            name=raw["name"],
            name_en=raw.get("name_en", ""),
            folder=path.parent,
            vintages=vintages,
            vn2000_crs=vn2000,
            export_crs=_crs_list(raw.get("export_crs", (STORAGE_CRS, *vn2000)), path, "export_crs"),
            plan=dict(raw.get("plan", {})),
            targets=_targets_document(raw.get("plan", {}), path),
            gazetteer=dict(raw.get("gazetteer", {})),
            crosswalks=tuple(raw.get("crosswalks", ())),
        )
    except KeyError as exc:
        raise ProvinceConfigError(f"{path}: missing key {exc.args[0]!r}") from exc
    except TypeError as exc:
        raise ProvinceConfigError(f"{path}: {exc}") from exc


def _crs_list(codes, path: Path, key: str) -> tuple[str, ...]:
    """The CRS codes of ``key``, each checked with pyproj, or an error naming the bad one."""
    for code in codes:
        try:
            CRS.from_user_input(code)
        except CRSError as exc:
            raise ProvinceConfigError(f"{path}: {key} names {code!r}, which is no known coordinate "
                                      "system; write EPSG codes such as \"EPSG:5899\"") from exc
    return tuple(codes)


def _targets_document(plan: dict, path: Path) -> dict | None:
    """The parsed targets file that ``[plan] targets`` names, or None without a plan."""
    name = plan.get("targets")
    if not name:
        return None
    target = path.parent / name
    if not target.is_file():
        raise ProvinceConfigError(f"{path}: [plan] targets names {target}, which does not exist")
    with target.open("rb") as handle:
        return tomllib.load(handle)


def _vintage(raw: dict, folder: Path) -> VintageSpec:
    """Build one VintageSpec from its TOML table: drawn from layers, or derived from another vintage."""
    def layer(key):
        return LayerSpec(**raw[key]) if key in raw else None

    common = {"id": str(raw["id"]), "label": raw["label"], "valid_from": raw["valid_from"],
              "valid_to": raw.get("valid_to"), "legal_basis": raw.get("legal_basis"),
              "province_name": raw["province_name"]}
    if "derived_from" in raw:
        return VintageSpec(**common, derived_from=str(raw["derived_from"]), changes=folder / raw["changes"],
                           lists={str(code): folder / path for code, path in raw["lists"].items()})
    return VintageSpec(
        **common,
        file=folder / raw["file"],
        communes=LayerSpec(**raw["communes"]),
        districts=layer("districts"),
        outline=layer("outline"),
        expected_units=raw.get("expected_units"),
        parts=tuple(PartSpec(province=folder / part["province"], vintage=str(part["vintage"]))
                    for part in raw.get("parts", ())),
    )


def province_record(province: Province) -> dict:
    """The row ``boundaries load`` stores for ``province`` (``geo.store.province.COLUMNS``).

    Everything the web app and the ingest need goes into ``settings``, so they work without
    the province's folder: the VN-2000 zones, the export CRSs, ``[plan]`` and the targets.
    """
    settings = {"vn2000_crs": list(province.vn2000_crs), "export_crs": list(province.export_crs),
                "plan": province.plan, "targets": province.targets}
    return {"code": province.code, "label": province.name, "label_en": province.name_en,
            "source": str(province.folder / "province.toml"), "settings": _json_ready(settings)}


def loaded_province(conn, code: str | None = None) -> Province | None:
    """The configuration of the loaded province ``code`` (by default the only one loaded).

    Read from the row ``boundaries load`` recorded; a database loaded before that row existed
    gets the bundled province of its vintages' code. None when no vintage is loaded.

    Parameters
    ----------
    conn : Connection or Engine
        The database.
    code : str, optional
        The province's code; required when several provinces are loaded.

    Raises
    ------
    ProvinceConfigError
        When the vintages' province was never recorded and no bundled province has its code.
    UnknownProvinceError
        When ``code`` is not loaded.
    ProvinceNotNamedError
        When none is named and several provinces are loaded.
    """
    row = read_province(conn, code)
    if row is not None:
        return province_from_record(row)
    codes = loaded_province_codes(conn)
    if not codes:
        return None
    code = resolve_province_code(conn, code)
    bundled = {p.code: p for p in map(load_province, sorted(PROVINCES.iterdir()))}
    if code not in bundled:
        raise ProvinceConfigError(f"the loaded boundaries belong to province {code}, whose "
                                  "configuration was not recorded; run `diaban boundaries load "
                                  "--province PATH` with its folder (loaded vintages stay)")
    return bundled[code]


def province_from_record(row: dict) -> Province:
    """The province a stored row describes (:func:`geo.store.province.read_province`), without vintages."""
    settings = row["settings"]
    return Province(code=row["code"], name=row["label"], name_en=row["label_en"],
                    folder=Path(row["source"]).parent, vintages=(),
                    vn2000_crs=tuple(settings["vn2000_crs"]), export_crs=tuple(settings["export_crs"]),
                    plan=settings["plan"], targets=settings["targets"])


def loaded_provinces(conn) -> list[Province]:
    """Every loaded province whose configuration is recorded, by code."""
    return [province_from_record(row) for row in read_provinces(conn)]


def _json_ready(value):
    """``value`` with every date as an ISO string (TOML dates do not go into JSON)."""
    if isinstance(value, dict):
        return {key: _json_ready(v) for key, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    return value.isoformat() if isinstance(value, date) else value
