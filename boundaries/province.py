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

from boundaries.errors import ProvinceConfigError

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
class VintageSpec:
    """One boundary vintage of a province, as configured."""

    id: str
    label: str
    valid_from: date
    valid_to: date | None
    legal_basis: str | None
    province_name: str
    file: Path
    communes: LayerSpec
    districts: LayerSpec | None = None
    outline: LayerSpec | None = None
    expected_units: int | None = None


@dataclass(frozen=True)
class Province:
    """A province configuration, read from ``province.toml``."""

    code: str
    name: str
    folder: Path
    vintages: tuple[VintageSpec, ...]
    vn2000_crs: tuple[str, ...] = ()
    plan: dict = field(default_factory=dict)
    gazetteer: dict = field(default_factory=dict)
    crosswalks: tuple[dict, ...] = ()

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
    ('75', ['2010-02-06', '2025-07-01'])
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
        return Province(
            code=str(raw["code"]),
            name=raw["name"],
            folder=path.parent,
            vintages=vintages,
            vn2000_crs=tuple(raw.get("vn2000_crs", ())),
            plan=dict(raw.get("plan", {})),
            gazetteer=dict(raw.get("gazetteer", {})),
            crosswalks=tuple(raw.get("crosswalks", ())),
        )
    except KeyError as exc:
        raise ProvinceConfigError(f"{path}: missing key {exc.args[0]!r}") from exc
    except TypeError as exc:
        raise ProvinceConfigError(f"{path}: {exc}") from exc


def _vintage(raw: dict, folder: Path) -> VintageSpec:
    """Build one VintageSpec from its TOML table."""
    def layer(key):
        return LayerSpec(**raw[key]) if key in raw else None

    return VintageSpec(
        id=str(raw["id"]),
        label=raw["label"],
        valid_from=raw["valid_from"],
        valid_to=raw.get("valid_to"),
        legal_basis=raw.get("legal_basis"),
        province_name=raw["province_name"],
        file=folder / raw["file"],
        communes=LayerSpec(**raw["communes"]),
        districts=layer("districts"),
        outline=layer("outline"),
        expected_units=raw.get("expected_units"),
    )
