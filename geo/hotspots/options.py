"""Options shared by every hotspot method, and the parameters record each result carries.

Every analysis function takes its data positionally and these options by keyword, with the
same names and defaults everywhere: ``unit="commune"``, ``inference="analytic"``,
``permutations=None``, ``seed=DEFAULT_SEED`` (``geo.settings``), ``alpha=0.05``, ``fdr=True``,
and the provenance ``period=``, ``vintage=``, ``as_of=`` that are only recorded. The record is a frozen
`HotspotParameters`, attached to each result as ``result.attrs["parameters"]``.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

import pandas as pd

from geo.errors import HotspotError, check_choice

Unit = Literal["commune", "grid"]
#: How p-values are obtained: the normal approximation of the statistic's z-score (ArcGIS's Hot
#: Spot Analysis and Optimized Hot Spot Analysis), or conditional permutations (esda, GeoDa).
Inference = Literal["analytic", "permutation"]

#: The identifier column of each kind of unit.
ID_COLUMNS: dict[str, str] = {"commune": "commune_code", "grid": "cell_id"}

DEFAULT_INFERENCE = "analytic"
#: The fewest permutations a permutation test runs (when more are not needed for the FDR).
DEFAULT_PERMUTATIONS = 999
MIN_PERMUTATIONS = 99
DEFAULT_ALPHA = 0.05


def check_inference(inference: str, permutations: int | None, alpha: float) -> None:
    """Validate the inference, the permutation count and the significance level.

    ``permutations`` applies to ``inference="permutation"`` only (None: chosen for the number
    of tests, see ``geo.hotspots.inference.permutations_for``).

    Examples
    --------
    >>> check_inference("permutation", 999, 0.05)
    >>> check_inference("analytic", None, 0.05)
    >>> check_inference("permutation", 10, 0.05)
    Traceback (most recent call last):
    ...
    geo.errors.HotspotError: permutations=10 is too few: the smallest two-sided pseudo p-value \
is 2/(permutations + 1); use at least 99, or leave permutations unset
    >>> check_inference("analytic", 999, 0.05)
    Traceback (most recent call last):
    ...
    geo.errors.HotspotError: permutations=999 applies to inference='permutation' only; \
the default inference='analytic' uses the normal approximation and draws nothing
    """
    check_choice("inference", inference, Inference, error=HotspotError)
    if permutations is not None and inference != "permutation":
        raise HotspotError(f"permutations={permutations} applies to inference='permutation' only; "
                           "the default inference='analytic' uses the normal approximation and "
                           "draws nothing")
    if permutations is not None and (int(permutations) != permutations
                                     or permutations < MIN_PERMUTATIONS):
        raise HotspotError(
            f"permutations={permutations} is too few: the smallest two-sided pseudo p-value is "
            f"2/(permutations + 1); use at least {MIN_PERMUTATIONS}, or leave permutations unset")
    if not 0 < alpha < 0.5:
        raise HotspotError(f"alpha={alpha} must lie between 0 and 0.5 (0.05 is the default)")


def id_column(unit: Unit) -> str:
    """The identifier column of ``unit``: ``commune_code`` or ``cell_id``.

    Examples
    --------
    >>> id_column("grid")
    'cell_id'
    """
    check_choice("unit", unit, Unit, error=HotspotError)
    return ID_COLUMNS[unit]


@dataclass(frozen=True)
class HotspotParameters:
    """What produced a result: method, neighbourhood, inference and data provenance.

    Distances are in metres (``WORK_CRS``). Fields that do not apply to a method are None.

    Examples
    --------
    >>> p = HotspotParameters(method="gi_star", unit="commune", value="count",
    ...                       weights="queen contiguity, binary", n_units=3)
    >>> p.to_dict()["weights"], p.alpha, p.fdr
    ('queen contiguity, binary', 0.05, True)
    """

    method: str
    unit: str
    value: str
    weights: str | None = None
    distance_band_m: float | None = None
    distance_rule: str | None = None
    cell_size_m: float | None = None
    cell_shape: str | None = None
    min_inside: float | None = None
    inference: str | None = None
    permutations: int | None = None
    seed: int | None = None
    p_value: str | None = None
    alpha: float | None = DEFAULT_ALPHA
    fdr: bool | None = True
    time_lag: int | None = None
    sporadic_rule: str | None = None
    steps: tuple[str, ...] | None = None
    kernel: str | None = None
    bandwidth_m: float | None = None
    bandwidth_rule: str | None = None
    period: str | None = None
    vintage: str | None = None
    as_of: str | None = None
    synthetic: bool | None = None
    n_units: int = 0
    no_neighbours: tuple[str, ...] = ()
    software: str = ""

    def to_dict(self) -> dict:
        """The parameters as plain JSON-ready values (tuples become lists)."""
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(self).items()}

    def to_metadata(self) -> dict[str, str]:
        """The parameters that apply (not None) as strings, e.g. for GeoPackage layer metadata.

        Examples
        --------
        >>> HotspotParameters(method="kde", unit="grid", value="density").to_metadata()["fdr"]
        'true'
        """
        return {k: json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else v
                for k, v in self.to_dict().items() if v is not None}


def provenance(*, period=None, vintage=None, as_of=None) -> dict:
    """The provenance fields of `HotspotParameters` as strings (dates in ISO 8601).

    ``period`` may be a label or a ``geo.periods.Period``; ``as_of`` a datetime, a date,
    a string, or the dict ``geo.store.counts.data_as_of`` returns.

    Examples
    --------
    >>> provenance(period="2018", vintage="2010-02-06", as_of={"as_of": date(2026, 1, 2), "synthetic": True})
    {'period': '2018', 'vintage': '2010-02-06', 'as_of': '2026-01-02', 'synthetic': True}
    """
    synthetic = None
    if isinstance(as_of, dict):
        synthetic = as_of.get("synthetic")
        as_of = as_of.get("as_of")
    if isinstance(as_of, date | datetime):
        as_of = as_of.isoformat()
    label = getattr(period, "label", period)
    return {"period": None if label is None else str(label), "vintage": vintage,
            "as_of": None if as_of is None else str(as_of), "synthetic": synthetic}


def software_versions() -> str:
    """The versions of the statistics libraries, for the record.

    Examples
    --------
    >>> software_versions().startswith("esda ")
    True
    """
    from importlib.metadata import version

    return ", ".join(f"{name} {version(name)}" for name in ("esda", "libpysal", "numpy", "scipy"))


def attach(result: pd.DataFrame, parameters: HotspotParameters) -> pd.DataFrame:
    """Attach ``parameters`` to ``result.attrs["parameters"]`` and return ``result``.

    Examples
    --------
    >>> p = HotspotParameters(method="gi_star", unit="grid", value="count")
    >>> attach(pd.DataFrame(), p).attrs["parameters"] is p
    True
    """
    result.attrs["parameters"] = parameters
    return result


def summarize(result: pd.DataFrame) -> dict:
    """Counts per class (or category) and the parameters of a result, ready for JSON.

    Examples
    --------
    >>> frame = pd.DataFrame({"hotspot_class": ["hot 99", "not significant", "hot 99"]})
    >>> summarize(attach(frame, HotspotParameters(method="gi_star", unit="commune",
    ...                                           value="count")))["classes"]
    {'hot 99': 2, 'not significant': 1}
    """
    column = next((c for c in ("hotspot_class", "category") if c in result), None)
    classes = {} if column is None else {
        str(k): int(v) for k, v in result[column].value_counts(sort=False).sort_index().items()}
    parameters = result.attrs.get("parameters")
    return {"n_units": len(result), "classes": classes,
            "parameters": parameters.to_dict() if parameters is not None else None}
