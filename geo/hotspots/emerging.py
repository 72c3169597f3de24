"""Emerging hot spot analysis over a units × time-steps cube (after ArcGIS's EHSA).

1. Space-time Gi* per bin: the neighbours of bin (unit i, step t) are the bins of i and of
   its spatial neighbours at steps t − time_lag … t (ArcGIS's space-time cube neighbourhood,
   default one previous step); the mean and variance are those of the whole cube; two-sided
   p-values, analytic by default (``inference=``, as for `gi_star`); when ``fdr`` is true,
   Benjamini–Hochberg within each time step (each step's map is one family of tests, the
   units, as in sfhotspot; over the whole cube, thousands of bins).
2. Mann–Kendall trend of each unit's Gi* z-series.
3. The categories of docs/methods.md §2.3, evaluated in this order with the first match kept
   (hot before cold at each step), "no pattern detected" last. With n steps, "hot" = a bin
   significant (p, or p_fdr, at most alpha) with z > 0, "cold" the same with z < 0, and a
   significant trend = Mann–Kendall p at most alpha:

   - new: hot at the final step and never significant (hot or cold) before (sfdep's reading:
     otherwise a unit cold earlier and hot at the end would never be "oscillating");
   - consecutive: one uninterrupted run of hot bins ending at the final step, never
     significant (hot or cold) before the run, fewer than 90 % of the steps hot;
   - intensifying: hot in at least 90 % of the steps including the final one, significant
     increasing trend;
   - persistent: hot in at least 90 % of the steps including the final one, no significant
     trend (otherwise "historical", hot in 90 % of the steps but not the last, could never
     occur);
   - diminishing: hot in at least 90 % of the steps including the final one, significant
     decreasing trend;
   - oscillating: hot at the final step, cold at some earlier step, fewer than 90 % hot;
   - historical: not hot at the final step, hot in at least 90 % of the steps;
   - sporadic (``sporadic_rule="pro"``, the default: the current ArcGIS Pro definition): hot
     at the final step, on-again then off-again before it (a hot step before the final run
     of hot steps), fewer than 90 % of the steps hot, never cold; ``sporadic_rule="arcmap"``
     keeps ArcMap 10.x's older definition (and sfdep's): hot at some step, the final one or
     not, fewer than 90 % hot, never cold;
   - the cold versions swap hot and cold (an intensifying cold spot has a significant
     decreasing trend of z, a diminishing one an increasing trend).

Spatial islands get the category "no neighbours".

The refinements above (new and consecutive need no earlier significant bin of either sign,
as sfdep has it; persistent needs the final step hot) keep the categories mutually
exclusive, as ArcGIS's wording intends; read literally, the list order would let "new"
shadow "oscillating" and "persistent" shadow "historical".
"""

from __future__ import annotations

import dataclasses
from typing import Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import HotspotError, check_choice
from geo.hotspots import inference as sig
from geo.hotspots.local import plan_significance, prepare, significance_fields
from geo.hotspots.options import (
    DEFAULT_ALPHA,
    DEFAULT_INFERENCE,
    HotspotParameters,
    Inference,
    Unit,
    attach,
    id_column,
    provenance,
    software_versions,
)
from geo.hotspots.trend import mann_kendall_rows
from geo.hotspots.weights import space_time_graph
from geo.settings import DEFAULT_SEED

#: Which definition of a sporadic hot (or cold) spot: ArcGIS Pro's (final step hot) or ArcMap's.
SporadicRule = Literal["pro", "arcmap"]
_RULES = ("new", "consecutive", "intensifying", "persistent", "diminishing", "oscillating",
          "historical", "sporadic")
NO_PATTERN = "no pattern detected"
#: Every category, in the order the rules are tried.
CATEGORIES = (*(f"{rule} {kind} spot" for rule in _RULES for kind in ("hot", "cold")),
              NO_PATTERN, sig.NO_NEIGHBOURS)


def _matches(rule: str, hot: np.ndarray, cold: np.ndarray, trend: int,
             sporadic_rule: str = "pro") -> bool:
    """Whether a series of ``hot`` bins (``cold`` = the opposite sign) fits ``rule``.

    ``trend`` is +1 for a significant trend in the hot direction, -1 against it, 0 none.
    """
    n, count, final = len(hot), int(hot.sum()), bool(hot[-1])
    mostly = 10 * count >= 9 * n  # at least 90 % of the steps, in integers
    run = n - np.flatnonzero(~hot)[-1] - 1 if (~hot).any() else n  # the final run of hot steps
    if rule == "new":
        return final and not hot[:-1].any() and not cold[:-1].any()
    if rule == "consecutive":
        return final and not hot[:n - run].any() and not cold[:n - run].any() and not mostly
    if rule == "intensifying":
        return mostly and final and trend > 0
    if rule == "persistent":
        return mostly and final and trend == 0
    if rule == "diminishing":
        return mostly and final and trend < 0
    if rule == "oscillating":
        return final and bool(cold[:-1].any()) and not mostly
    if rule == "historical":
        return not final and mostly
    if sporadic_rule == "arcmap":
        return count > 0 and not mostly and not cold.any()
    return final and bool(hot[:n - run].any()) and not mostly and not cold.any()  # sporadic


def classify_trajectory(z_scores, p_values, *, alpha: float = DEFAULT_ALPHA,
                        sporadic_rule: SporadicRule = "pro") -> str:
    """The emerging hot spot category of one unit from its Gi* z and p series over time.

    Parameters
    ----------
    z_scores, p_values : sequence of float
        One value per time step, oldest first (p already FDR-adjusted if wanted).
    alpha : float, default 0.05
        Significance level of the bins and of the Mann–Kendall trend of ``z_scores``.
    sporadic_rule : {"pro", "arcmap"}, default "pro"
        The definition of "sporadic" (module docstring).

    Examples
    --------
    >>> classify_trajectory([0.1, 0.3, -0.2, 0.5, 3.2], [0.6, 0.5, 0.7, 0.4, 0.002])
    'new hot spot'
    >>> classify_trajectory([2.5] * 10, [0.01] * 10)
    'persistent hot spot'
    >>> classify_trajectory([-3.0, 0.2, -2.8, 0.1, -2.9], [0.001, 0.6, 0.004, 0.7, 0.003])
    'sporadic cold spot'
    >>> classify_trajectory([-3.0, 0.2, -2.8, 0.1, 0.3], [0.001, 0.6, 0.004, 0.7, 0.5])
    'no pattern detected'
    >>> classify_trajectory([-3.0, 0.2, -2.8, 0.1, 0.3], [0.001, 0.6, 0.004, 0.7, 0.5],
    ...                     sporadic_rule="arcmap")
    'sporadic cold spot'
    """
    check_choice("sporadic_rule", sporadic_rule, SporadicRule, error=HotspotError)
    z = np.asarray(z_scores, dtype=float)
    if np.isnan(z).any():
        return sig.NO_NEIGHBOURS
    significant = np.asarray(p_values, dtype=float) <= alpha
    hot, cold = significant & (z > 0), significant & (z < 0)
    s, _, _, p = mann_kendall_rows(z[None, :])
    direction = int(np.sign(s[0])) if p[0] <= alpha else 0
    for rule in _RULES:
        if _matches(rule, hot, cold, direction, sporadic_rule):
            return f"{rule} hot spot"
        if _matches(rule, cold, hot, -direction, sporadic_rule):
            return f"{rule} cold spot"
    return NO_PATTERN


def _check_cube(units: gpd.GeoDataFrame, cube: pd.DataFrame) -> None:
    if not cube.index.equals(units.index):
        raise HotspotError("the cube must be indexed like the units (count_cube returns it so)")
    if cube.shape[1] < 3:
        raise HotspotError(f"{cube.shape[1]} time steps are too few for a trend; use at least 3 "
                           "(ArcGIS recommends 10)")
    if cube.isna().any().any():
        raise HotspotError("the cube has missing counts; fill them with 0")


def space_time_gi_star(
    units: gpd.GeoDataFrame,
    cube: pd.DataFrame,
    *,
    unit: Unit = "commune",
    time_lag: int = 1,
    distance_band_m: float | None = None,
    inference: Inference = DEFAULT_INFERENCE,
    permutations: int | None = None,
    seed: int = DEFAULT_SEED,
    alpha: float = DEFAULT_ALPHA,
    fdr: bool = True,
    period=None,
    vintage: str | None = None,
    as_of=None,
) -> pd.DataFrame:
    """Gi* of every bin of a units × steps cube with space-time neighbours (step 1 above).

    Parameters
    ----------
    units : GeoDataFrame
        As for `gi_star`.
    cube : DataFrame
        Counts indexed like ``units``, one column per time step in time order (`count_cube`).
    time_lag : int, default 1
        How many previous steps a bin's neighbourhood reaches back.
    distance_band_m, inference, permutations, seed, alpha, fdr, period, vintage, as_of
        As for `gi_star`; on a grid the default band is chosen from the total counts. The
        FDR family is one time step, so the default permutation count is set by the units.

    Returns
    -------
    DataFrame
        One row per bin, indexed by (units' index, ``step``): the id column, ``value``,
        ``z_score``, ``p_value``, ``p_fdr`` and ``hotspot_class``; ``attrs["parameters"]``.

    Examples
    --------
    >>> from shapely import box
    >>> cells = [box(i, j, i + 1, j + 1) for j in range(4) for i in range(4)]
    >>> units = gpd.GeoDataFrame({"commune_code": [f"{k:02d}" for k in range(16)]}, geometry=cells)
    >>> cube = pd.DataFrame({s: [(k * 7 + i * 3) % 5 for k in range(16)] for i, s in
    ...                      enumerate(["2018-Q1", "2018-Q2", "2018-Q3"])})
    >>> bins = space_time_gi_star(units, cube)
    >>> bins.shape, list(bins.index.names)
    ((48, 6), [None, 'step'])
    """
    _check_cube(units, cube)
    if int(time_lag) != time_lag or time_lag < 0:
        raise HotspotError(f"time_lag={time_lag} must be a whole number of steps >= 0 (default 1)")
    totals = units.assign(_total=cube.sum(axis=1).to_numpy())
    hood = prepare(totals, unit=unit, value_column="_total", denominator_column=None,
                   distance_band_m=distance_band_m, require_variation=False)
    n, steps = len(units), list(map(str, cube.columns))
    y = cube.to_numpy(dtype=float).T.ravel()
    if np.var(y) <= 1e-12:
        raise HotspotError("every bin of the cube has the same count: nothing to analyse")
    graph = space_time_graph(hood.graph, len(steps), int(time_lag))
    test = plan_significance(inference, permutations, seed, alpha, fdr, int((~hood.islands).sum()))
    z, p = sig.run_g_local(y, graph, permutations=test.permutations, seed=test.seed)
    blank = np.tile(hood.islands, len(steps))
    z[blank], p[blank] = np.nan, np.nan
    p_fdr = np.concatenate([sig.benjamini_hochberg(step) for step in p.reshape(len(steps), n)])
    labels = sig.gi_classes(z, p_fdr if fdr else p, alpha=alpha)
    labels[blank] = sig.NO_NEIGHBOURS
    index = pd.MultiIndex.from_arrays([np.tile(units.index.to_numpy(), len(steps)),
                                       np.repeat(steps, n)], names=[units.index.name, "step"])
    frame = pd.DataFrame({id_column(unit): np.tile(units[id_column(unit)].to_numpy(), len(steps)),
                          "value": y, "z_score": z, "p_value": p, "p_fdr": p_fdr,
                          "hotspot_class": labels}, index=index)
    weights = f"space-time: {hood.weights}, with the same units at the {time_lag} previous step(s)"
    parameters = HotspotParameters(
        method="space_time_gi_star", unit=unit, value="count per unit and step", weights=weights,
        distance_band_m=hood.distance_band_m, distance_rule=hood.distance_rule,
        cell_size_m=units.attrs.get("cell_size"), cell_shape=units.attrs.get("cell_shape"),
        **{**significance_fields(test), "p_value": f"{significance_fields(test)['p_value']}; "
           "Benjamini-Hochberg within each time step"},
        time_lag=int(time_lag), steps=tuple(steps), n_units=n,
        no_neighbours=tuple(str(c) for c in units[id_column(unit)].to_numpy()[hood.islands]),
        software=software_versions(), **provenance(period=period, vintage=vintage, as_of=as_of))
    return attach(frame, parameters)


def emerging_hotspots(
    units: gpd.GeoDataFrame,
    cube: pd.DataFrame,
    *,
    unit: Unit = "commune",
    time_lag: int = 1,
    distance_band_m: float | None = None,
    inference: Inference = DEFAULT_INFERENCE,
    permutations: int | None = None,
    seed: int = DEFAULT_SEED,
    alpha: float = DEFAULT_ALPHA,
    fdr: bool = True,
    sporadic_rule: SporadicRule = "pro",
    period=None,
    vintage: str | None = None,
    as_of=None,
) -> gpd.GeoDataFrame:
    """Emerging hot spot categories per unit (new, consecutive, intensifying, …).

    Same inputs and options as `space_time_gi_star` (module docstring for the rules).

    Returns
    -------
    GeoDataFrame
        Indexed like ``units``: the id column, ``value`` (total count), ``z_score`` and
        ``p_value`` (Mann–Kendall trend of the unit's Gi* z-series), ``p_fdr`` (that trend p
        BH-adjusted across units, for information: the categories use the raw trend p, as
        ArcGIS and sfdep do), ``hot_steps``, ``cold_steps``, ``category`` and the geometry;
        ``attrs["parameters"]``. For the bins themselves, call `space_time_gi_star` and
        then `categorize_bins`, which together make this function.

    Examples
    --------
    >>> from shapely import box
    >>> cells = [box(i, j, i + 1, j + 1) for j in range(5) for i in range(5)]
    >>> units = gpd.GeoDataFrame({"commune_code": [f"{k:02d}" for k in range(25)]}, geometry=cells)
    >>> block = {6, 7, 8, 11, 12, 13, 16, 17, 18}
    >>> cube = pd.DataFrame({f"s{t}": [(12 if k in block and t == 5 else 1 + (k + t) % 2)
    ...                      for k in range(25)] for t in range(6)})
    >>> emerging_hotspots(units, cube).loc[12, "category"]
    'new hot spot'
    """
    bins = space_time_gi_star(units, cube, unit=unit, time_lag=time_lag, distance_band_m=distance_band_m,
                              inference=inference, permutations=permutations, seed=seed, alpha=alpha,
                              fdr=fdr, period=period, vintage=vintage, as_of=as_of)
    return categorize_bins(units, bins, sporadic_rule=sporadic_rule)


def categorize_bins(units: gpd.GeoDataFrame, bins: pd.DataFrame, *,
                    sporadic_rule: SporadicRule = "pro") -> gpd.GeoDataFrame:
    """Steps 2 and 3 of the module docstring on the output of `space_time_gi_star`.

    Returns the frame `emerging_hotspots` describes; alpha and fdr come from the bins' parameters,
    ``sporadic_rule`` ("pro" by default, or "arcmap") chooses the definition of "sporadic".
    """
    check_choice("sporadic_rule", sporadic_rule, SporadicRule, error=HotspotError)
    base = bins.attrs["parameters"]
    steps, column = list(base.steps), id_column(base.unit)
    if len(bins) != len(units) * len(steps):
        raise HotspotError("bins and units do not match: pass the units the bins were computed on")
    z = bins["z_score"].to_numpy(dtype=float).reshape(len(steps), -1).T
    p = bins["p_fdr" if base.fdr else "p_value"].to_numpy(dtype=float).reshape(len(steps), -1).T
    _, _, trend_z, trend_p = mann_kendall_rows(z)
    significant = p <= base.alpha
    frame = pd.DataFrame({
        column: units[column].to_numpy(),
        "value": bins["value"].to_numpy(dtype=float).reshape(len(steps), -1).sum(axis=0),
        "z_score": trend_z, "p_value": trend_p, "p_fdr": sig.benjamini_hochberg(trend_p),
        "hot_steps": (significant & (z > 0)).sum(axis=1),
        "cold_steps": (significant & (z < 0)).sum(axis=1),
        "category": [classify_trajectory(z[k], p[k], alpha=base.alpha, sporadic_rule=sporadic_rule)
                     for k in range(len(units))],
    }, index=units.index)
    result = gpd.GeoDataFrame(frame, geometry=units.geometry.values, crs=units.crs)
    return attach(result, dataclasses.replace(base, method="emerging_hotspots",
                                              sporadic_rule=sporadic_rule))
