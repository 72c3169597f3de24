"""Local statistics on communes or grid cells: Getis-Ord Gi* hot spots and Local Moran's I.

Neighbourhoods: communes use Queen contiguity; grid cells a binary distance band, by default
the one Optimized Hot Spot Analysis would choose (``geo.hotspots.weights``). A unit with no
neighbour (an island) gets no z-score, no p-value and the class ``"no neighbours"``, never a
silent hot or cold: its value still counts in the global mean, variance and permutation pool.
With a denominator, the value is the rate ``value / denominator``; units whose denominator is
zero or missing have no rate, are left out (as Optimized Hot Spot Analysis drops zero
normalisation values) and get the class ``"no denominator"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import HotspotError
from geo.hotspots import inference as sig
from geo.hotspots.grid import cell_centres, check_work_crs
from geo.hotspots.options import (
    DEFAULT_ALPHA,
    DEFAULT_INFERENCE,
    HotspotParameters,
    Inference,
    Unit,
    attach,
    check_inference,
    id_column,
    provenance,
    software_versions,
)
from geo.hotspots.weights import contiguity_graph, distance_band_graph, select_distance_band
from geo.settings import DEFAULT_SEED

MIN_UNITS = 5
#: What ``p_value`` is, per inference (``z_score`` is always the z of that p, module docstring
#: of ``geo.hotspots.inference``).
P_VALUE_TEXT = {"analytic": "two-sided normal p-value of the analytic z-score",
                "permutation": "two-sided pseudo p-value, conditional permutation; z_score is its "
                               "normal equivalent"}


@dataclass(frozen=True)
class Neighbourhood:
    """The analysed units and their weights, as `prepare` builds them."""

    y: np.ndarray            # values of the analysed units
    analysed: np.ndarray     # bool per input row: has a value (a rate needs a denominator > 0)
    graph: object            # libpysal Graph on the analysed units
    islands: np.ndarray      # bool per analysed unit: no neighbour
    weights: str
    distance_band_m: float | None
    distance_rule: str | None


def prepare(units: gpd.GeoDataFrame, *, unit: Unit, value_column: str,
            denominator_column: str | None, distance_band_m: float | None,
            require_variation: bool = True) -> Neighbourhood:
    """Validate the input and build values and weights (shared by every local statistic).

    Examples
    --------
    >>> from shapely import box
    >>> units = gpd.GeoDataFrame({"commune_code": list("abcdef"), "value": [1, 2, 3, 4, 5, 0]},
    ...     geometry=[box(i, 0, i + 1, 1) for i in range(5)] + [box(9, 9, 10, 10)])
    >>> hood = prepare(units, unit="commune", value_column="value", denominator_column=None,
    ...                distance_band_m=None)
    >>> hood.islands.tolist(), hood.weights
    ([False, False, False, False, False, True], 'queen contiguity, binary')
    """
    column = id_column(unit)
    for name in (column, value_column, denominator_column):
        if name is not None and name not in units:
            have = ", ".join(map(str, units.columns))
            raise HotspotError(f"units have no {name!r} column; they have: {have}")
    values = pd.to_numeric(units[value_column], errors="coerce").to_numpy(dtype=float)
    if np.isnan(values).any():
        raise HotspotError(f"{int(np.isnan(values).sum())} units have no {value_column!r} value; "
                           "fill counts with 0 before the analysis")
    analysed = np.ones(len(units), dtype=bool)
    if denominator_column is not None:
        denominator = pd.to_numeric(units[denominator_column], errors="coerce").to_numpy(dtype=float)
        analysed = np.nan_to_num(denominator) > 0
        values = np.divide(values, denominator, out=np.full(len(values), np.nan), where=analysed)
    y = values[analysed]
    _check_values(y, require_variation)
    geoms = units.geometry.values[analysed]
    if unit == "commune":
        graph, weights = contiguity_graph(geoms)
        band, rule = None, None
    else:
        check_work_crs(units, "grid cells")
        xy = cell_centres(geoms, units.attrs.get("cell_size"), units.attrs.get("cell_shape"))
        band, rule = ((float(distance_band_m), "given") if distance_band_m is not None
                      else select_distance_band(xy, y))
        graph = distance_band_graph(xy, band)
        weights = f"distance band {band:.0f} m between cell centres, binary"
    islands = graph.cardinalities.to_numpy() == 0
    if (~islands).sum() < MIN_UNITS - 1:
        raise HotspotError(f"only {(~islands).sum()} units have neighbours; the statistic needs "
                           f"at least {MIN_UNITS - 1}")
    return Neighbourhood(y, analysed, graph, islands, weights, band, rule)


def _check_values(y: np.ndarray, require_variation: bool) -> None:
    if len(y) < MIN_UNITS:
        raise HotspotError(f"{len(y)} units with a value are too few; use at least {MIN_UNITS} "
                           "(ArcGIS asks for 30)")
    if require_variation and np.var(y) <= 1e-12:
        raise HotspotError(f"every unit has the same value ({y[0]:g}): there is no variation "
                           "to find hot or cold spots in")


def _spread(hood: Neighbourhood, analysed_values: np.ndarray, fill=np.nan) -> np.ndarray:
    """Per-analysed-unit values spread back to all input rows (islands blanked)."""
    out = np.full(len(hood.analysed), fill, dtype=object if isinstance(fill, str) else float)
    out[hood.analysed] = analysed_values
    return out


def _result(units, hood, unit, columns: dict, parameters: HotspotParameters) -> gpd.GeoDataFrame:
    """Assemble the output frame: id, value, neighbours, statistics, class, geometry."""
    cardinality = _spread(hood, hood.graph.cardinalities.to_numpy(dtype=float), fill=0.0)
    frame = pd.DataFrame({
        id_column(unit): units[id_column(unit)].to_numpy(),
        "value": _spread(hood, hood.y),
        "neighbours": cardinality.astype("int64"),
        **columns,
    }, index=units.index)
    result = gpd.GeoDataFrame(frame, geometry=units.geometry.values, crs=units.crs)
    return attach(result, parameters)


def _labels(hood: Neighbourhood, labels: np.ndarray) -> pd.Series:
    """Class labels for every input row, with the no-neighbour and no-denominator classes."""
    labels = np.asarray(labels, dtype=object)
    labels[hood.islands] = sig.NO_NEIGHBOURS
    return pd.Series(_spread(hood, labels, fill=sig.NO_DENOMINATOR), dtype="string")


@dataclass(frozen=True)
class Significance:
    """How a local statistic is tested: inference, permutations (0: analytic), seed, alpha, FDR."""

    inference: str
    permutations: int
    seed: int | None
    alpha: float
    fdr: bool


def plan_significance(inference: str, permutations: int | None, seed: int, alpha: float, fdr: bool,
              n_tests: int) -> Significance:
    """Validate the inference options and fix the permutation count for ``n_tests`` tests.

    Examples
    --------
    >>> plan_significance("analytic", None, 2016, 0.05, True, 171)
    Significance(inference='analytic', permutations=0, seed=None, alpha=0.05, fdr=True)
    >>> plan_significance("permutation", None, 2016, 0.05, True, 171).permutations
    6999
    """
    check_inference(inference, permutations, alpha)
    if inference == "analytic":
        return Significance("analytic", 0, None, float(alpha), bool(fdr))
    count = sig.permutations_for(n_tests, alpha=alpha, fdr=fdr, permutations=permutations)
    return Significance("permutation", count, int(seed), float(alpha), bool(fdr))


def significance_fields(test: Significance) -> dict:
    """The `HotspotParameters` fields of ``test``."""
    return {"inference": test.inference, "permutations": test.permutations or None,
            "seed": test.seed, "p_value": P_VALUE_TEXT[test.inference], "alpha": test.alpha,
            "fdr": test.fdr}


def _parameters(method: str, unit: Unit, hood: Neighbourhood, units, value_column, denominator_column,
                test: Significance, period, vintage, as_of) -> HotspotParameters:
    column = id_column(unit)
    islands = units[column].to_numpy()[hood.analysed][hood.islands]
    return HotspotParameters(
        method=method, unit=unit,
        value=value_column if denominator_column is None else f"{value_column} per {denominator_column}",
        weights=hood.weights, distance_band_m=hood.distance_band_m, distance_rule=hood.distance_rule,
        cell_size_m=units.attrs.get("cell_size"), cell_shape=units.attrs.get("cell_shape"),
        min_inside=units.attrs.get("min_inside"), **significance_fields(test),
        n_units=len(units), no_neighbours=tuple(str(c) for c in islands),
        software=software_versions(), **provenance(period=period, vintage=vintage, as_of=as_of))


def gi_star(
    units: gpd.GeoDataFrame,
    *,
    unit: Unit = "commune",
    value_column: str = "value",
    denominator_column: str | None = None,
    distance_band_m: float | None = None,
    inference: Inference = DEFAULT_INFERENCE,
    permutations: int | None = None,
    seed: int = DEFAULT_SEED,
    alpha: float = DEFAULT_ALPHA,
    fdr: bool = True,
    period=None,
    vintage: str | None = None,
    as_of=None,
) -> gpd.GeoDataFrame:
    """Getis-Ord Gi* hot and cold spots (ArcGIS's Hot Spot Analysis) on communes or cells.

    Parameters
    ----------
    units : GeoDataFrame
        Communes with ``commune_code`` (any CRS) or grid cells with ``cell_id`` (``WORK_CRS``,
        as `make_grid` returns them), and the value to analyse.
    unit : {"commune", "grid"}, default "commune"
        Communes use Queen contiguity; cells a binary distance band.
    value_column : str, default "value"
        Counts (or any non-negative measure) per unit.
    denominator_column : str, optional
        When given, the rate ``value / denominator`` (e.g. incidents per establishment).
    distance_band_m : float, optional
        Grid only, metres; by default chosen as Optimized Hot Spot Analysis does.
    inference : {"analytic", "permutation"}, default "analytic"
        Analytic: the Gi* z-score and its normal p-value, as ArcGIS's Hot Spot Analysis and
        Optimized Hot Spot Analysis. Permutation: conditional permutations (two-sided pseudo
        p-values; ``z_score`` is then the normal equivalent of the pseudo p).
    permutations : int, optional
        Permutation inference only: how many. By default enough for the FDR correction
        (``geo.hotspots.inference.permutations_for``); fewer than that are refused.
    seed : int, default DEFAULT_SEED
        Seed of the permutations (reproducible); not used by the analytic inference.
    alpha : float, default 0.05
        The weakest confidence bin reported: 0.05 gives "hot 99"/"hot 95"/"cold 95"/
        "cold 99"; 0.10 adds ArcGIS's 90 % bins.
    fdr : bool, default True
        Decide the classes on Benjamini–Hochberg adjusted p-values (``p_fdr``).
    period, vintage, as_of
        Recorded in the parameters only.

    Returns
    -------
    GeoDataFrame
        Indexed like ``units``: the id column, ``value``, ``neighbours``, ``z_score``,
        ``p_value`` (two-sided, ``2 (1 - Φ(|z|))``), ``p_fdr``, ``hotspot_class`` and the
        geometry; ``attrs["parameters"]`` is a `HotspotParameters`. As in ArcGIS, z and p
        never reflect the FDR correction; the class does when ``fdr`` is true, and is always
        the sign of ``z_score`` with the strongest bin its p (or ``p_fdr``) meets.

    Examples
    --------
    >>> from shapely import box
    >>> cells = [box(i, j, i + 1, j + 1) for j in range(5) for i in range(5)]
    >>> high = [6, 7, 8, 11, 12, 13, 16, 17, 18]
    >>> units = gpd.GeoDataFrame({"commune_code": [f"{k:02d}" for k in range(25)],
    ...     "value": [10 if k in high else 1 for k in range(25)]}, geometry=cells)
    >>> result = gi_star(units)
    >>> result.loc[12, "hotspot_class"], round(float(result.loc[12, "z_score"]), 2)
    ('hot 99', 4.9)
    >>> result.loc[0, "hotspot_class"]
    'not significant'
    """
    hood = prepare(units, unit=unit, value_column=value_column,
                   denominator_column=denominator_column, distance_band_m=distance_band_m)
    test = plan_significance(inference, permutations, seed, alpha, fdr, int((~hood.islands).sum()))
    z, p = sig.run_g_local(hood.y, hood.graph, permutations=test.permutations, seed=test.seed)
    z[hood.islands], p[hood.islands] = np.nan, np.nan
    p_fdr = sig.benjamini_hochberg(p)
    labels = sig.gi_classes(z, p_fdr if fdr else p, alpha=alpha)
    columns = {"z_score": _spread(hood, z), "p_value": _spread(hood, p),
               "p_fdr": _spread(hood, p_fdr), "hotspot_class": _labels(hood, labels).to_numpy()}
    parameters = _parameters("gi_star", unit, hood, units, value_column, denominator_column, test,
                             period, vintage, as_of)
    return _result(units, hood, unit, columns, parameters)


def local_moran(
    units: gpd.GeoDataFrame,
    *,
    unit: Unit = "commune",
    value_column: str = "value",
    denominator_column: str | None = None,
    distance_band_m: float | None = None,
    inference: Inference = DEFAULT_INFERENCE,
    permutations: int | None = None,
    seed: int = DEFAULT_SEED,
    alpha: float = DEFAULT_ALPHA,
    fdr: bool = True,
    period=None,
    vintage: str | None = None,
    as_of=None,
) -> gpd.GeoDataFrame:
    """Local Moran's I clusters and outliers (Anselin 1995) on communes or grid cells.

    Same inputs and options as `gi_star`; weights are row-standardised.

    Returns
    -------
    GeoDataFrame
        Indexed like ``units``: the id column, ``value``, ``neighbours``, ``local_i``,
        ``z_score`` (analytic: I standardised by its expectation and variance under
        randomisation, as ArcGIS's Cluster and Outlier Analysis; permutation: the normal
        equivalent of the pseudo p), ``p_value`` (two-sided, of that z), ``p_fdr`` and
        ``hotspot_class``: "HH" (high among high), "LL", "HL" (high outlier among low), "LH",
        or "not significant" when the p-value (``p_fdr`` if ``fdr``) exceeds ``alpha``; plus
        "no neighbours" / "no denominator".

    Examples
    --------
    >>> from shapely import box
    >>> cells = [box(i, j, i + 1, j + 1) for j in range(5) for i in range(5)]
    >>> units = gpd.GeoDataFrame({"commune_code": [f"{k:02d}" for k in range(25)],
    ...     "value": [9 if k % 5 < 2 else 0 for k in range(25)]}, geometry=cells)
    >>> local_moran(units, fdr=False).loc[[10, 13], "hotspot_class"].tolist()
    ['HH', 'LL']
    """
    hood = prepare(units, unit=unit, value_column=value_column,
                   denominator_column=denominator_column, distance_band_m=distance_band_m)
    test = plan_significance(inference, permutations, seed, alpha, fdr, int((~hood.islands).sum()))
    local_i, z, p, quadrant = sig.run_moran_local(hood.y, hood.graph,
                                                  permutations=test.permutations, seed=test.seed)
    local_i[hood.islands], z[hood.islands], p[hood.islands] = np.nan, np.nan, np.nan
    p_fdr = sig.benjamini_hochberg(p)
    decide = p_fdr if fdr else p
    labels = np.where(decide <= alpha, pd.Series(quadrant).map(sig.QUADRANTS).to_numpy(),
                      sig.NOT_SIGNIFICANT)
    columns = {"local_i": _spread(hood, local_i), "z_score": _spread(hood, z),
               "p_value": _spread(hood, p), "p_fdr": _spread(hood, p_fdr),
               "hotspot_class": _labels(hood, labels).to_numpy()}
    parameters = _parameters("local_moran", unit, hood, units, value_column, denominator_column, test,
                             period, vintage, as_of)
    return _result(units, hood, unit, columns, parameters)
