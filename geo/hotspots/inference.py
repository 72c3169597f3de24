"""Inference shared by the local statistics: p-values, FDR, confidence bins, esda calls.

Two inferences, one contract: ``z_score`` and ``p_value`` are always a consistent pair,
``p = 2 (1 - Φ(|z|))``, so the class decided on p (or its FDR adjustment) never contradicts
the sign or size of z.

Analytic (the default, as ArcGIS's Hot Spot Analysis and Optimized Hot Spot Analysis): z is the
statistic standardised by its expectation and variance under randomisation (Gi*: Getis & Ord
1992, as esda's ``Zs``; Local Moran's I: Anselin 1995, Sokal et al. 1998), p its two-sided
normal p-value.

Conditional permutation inference: each unit's value is held fixed while its neighbours'
values are drawn at random from the other units (esda's lookup-table scheme, one seeded
table of draws reused for every unit). The two-sided pseudo p-value is computed here from
the simulated statistics, ``min(1, 2 (min(#sim >= obs, #sim <= obs) + 1) / (R + 1))``,
because esda 2.9 defaults to a "directed" p-value that counts ties on the wrong side: a
zero-count unit among zero-count neighbours gets p = 1/(R + 1) there, here p = 1. The
reported z is then the normal equivalent of that p, ``Φ⁻¹(1 - p/2)``, signed by the tail the
observed statistic lies in (positive above the simulations: a hot spot, or for Local Moran's I
a cluster; negative below them). The smallest pseudo p is 2/(R + 1), so R is chosen for the
number of tests (`permutations_for`): under the Benjamini–Hochberg correction over m tests
the smallest p must be able to reach alpha/m.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy.special import ndtri

from geo.errors import HotspotError
from geo.hotspots.options import DEFAULT_PERMUTATIONS

#: ArcGIS's Gi_Bin confidence levels: (p threshold, label suffix), strongest first.
CONFIDENCE_BINS = ((0.01, "99"), (0.05, "95"), (0.10, "90"))
NOT_SIGNIFICANT = "not significant"
NO_NEIGHBOURS = "no neighbours"
NO_DENOMINATOR = "no denominator"
#: The most simulated statistics one test may keep in memory (units × permutations), about
#: 400 MB of float64: esda keeps every simulation to let the p-value be computed two-sided.
MAX_SIMULATIONS = 50_000_000
#: esda's Moran_Local quadrant codes: 1 HH, 2 LH, 3 LL, 4 HL.
QUADRANTS = {1: "HH", 2: "LH", 3: "LL", 4: "HL"}


def two_sided_p(observed: np.ndarray, simulated: np.ndarray) -> np.ndarray:
    """Two-sided pseudo p-values of observed statistics against their simulations.

    Parameters
    ----------
    observed : array of shape (n,)
    simulated : array of shape (n, R)
        R simulated statistics per unit.

    Returns
    -------
    ndarray of shape (n,)
        ``min(1, 2 (min(greater, lesser) + 1) / (R + 1))`` where ``greater`` counts the
        simulations at or above the observed value and ``lesser`` those at or below it.

    Examples
    --------
    >>> two_sided_p(np.array([10.0, 0.0]), np.array([[1, 2, 3, 4], [0, 0, 1, 2]]))
    array([0.4, 1. ])
    """
    simulated = np.asarray(simulated, dtype=float)
    observed = np.asarray(observed, dtype=float)[:, None]
    greater = (simulated >= observed).sum(axis=1)
    lesser = (simulated <= observed).sum(axis=1)
    p = 2.0 * (np.minimum(greater, lesser) + 1.0) / (simulated.shape[1] + 1.0)
    return np.minimum(p, 1.0)


def normal_p(z: np.ndarray) -> np.ndarray:
    """Two-sided p-values of standard normal z-scores, ``2 (1 - Φ(|z|))``; NaN stays NaN.

    Examples
    --------
    >>> normal_p(np.array([0.0, 1.959964, -2.575829, np.nan])).round(4).tolist()
    [1.0, 0.05, 0.01, nan]
    """
    from scipy.special import erfc

    return erfc(np.abs(np.asarray(z, dtype=float)) / math.sqrt(2.0))


def equivalent_z(p: np.ndarray, sign: np.ndarray) -> np.ndarray:
    """The z-score whose two-sided normal p-value is ``p``, with the sign ``sign``.

    Examples
    --------
    >>> equivalent_z(np.array([0.05, 0.01, 1.0]), np.array([1, -1, 1])).round(3).tolist()
    [1.96, -2.576, 0.0]
    """
    return np.sign(sign) * np.abs(ndtri(np.asarray(p, dtype=float) / 2.0))


def permutations_for(n_tests: int, *, alpha: float, fdr: bool, permutations: int | None) -> int:
    """The permutation count of a test over ``n_tests`` units: checked, or chosen when None.

    With ``fdr`` the smallest two-sided pseudo p, 2/(R + 1), must be able to pass the
    Benjamini–Hochberg step at rank 1, ``alpha / n_tests``: R >= 2·n_tests/alpha - 1. When
    None, R is the larger of 999 and that bound rounded up to the next thousand minus one;
    a given R below the bound is refused (it could never find a hot spot).

    Examples
    --------
    >>> permutations_for(25, alpha=0.05, fdr=True, permutations=None)
    999
    >>> permutations_for(171, alpha=0.05, fdr=True, permutations=None)
    6999
    >>> permutations_for(1296, alpha=0.05, fdr=False, permutations=None)
    999
    >>> permutations_for(171, alpha=0.05, fdr=True, permutations=999)
    Traceback (most recent call last):
    ...
    geo.errors.HotspotError: permutations=999 cannot find any hot or cold spot among 171 tests \
with the FDR correction: the smallest pseudo p-value, 2/(permutations + 1), must be at most \
alpha/171; use at least 6839, leave permutations unset (6999), or use inference='analytic'
    """
    needed = math.ceil(2 * n_tests / alpha - 1e-9) - 1 if fdr else 0
    chosen = max(DEFAULT_PERMUTATIONS, math.ceil((needed + 1) / 1000) * 1000 - 1)
    if permutations is None:
        return chosen
    if permutations < needed:
        raise HotspotError(
            f"permutations={permutations} cannot find any hot or cold spot among {n_tests} tests with "
            "the FDR correction: the smallest pseudo p-value, 2/(permutations + 1), must be at most "
            f"alpha/{n_tests}; use at least {needed}, leave permutations unset ({chosen}), or use "
            "inference='analytic'")
    return int(permutations)


def benjamini_hochberg(p_values) -> np.ndarray:
    """Benjamini–Hochberg adjusted p-values (q-values); NaN stays NaN and is not counted.

    A unit is significant at false discovery rate ``q`` when its adjusted p-value is at most
    ``q`` — the same decision as the BH step-up rule at level ``q``.

    Examples
    --------
    >>> benjamini_hochberg([0.01, 0.04, 0.03, 0.20, np.nan]).round(4).tolist()
    [0.04, 0.0533, 0.0533, 0.2, nan]
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    if tested.size == 0:
        return adjusted
    order = tested[np.argsort(p[tested], kind="stable")]
    m = order.size
    scaled = p[order] * m / np.arange(1, m + 1)
    adjusted[order] = np.minimum(np.minimum.accumulate(scaled[::-1])[::-1], 1.0)
    return adjusted


def gi_classes(z: np.ndarray, p: np.ndarray, *, alpha: float) -> np.ndarray:
    """ArcGIS confidence bins ("hot 99" … "cold 90", "not significant") from z and p.

    A unit gets the strongest bin whose p threshold (0.01, 0.05, 0.10) its p-value meets,
    hot when z > 0 and cold when z < 0; bins above ``alpha`` are not used, so the default
    ``alpha=0.05`` gives five classes and ``alpha=0.10`` ArcGIS's seven. NaN gives NaN.

    Examples
    --------
    >>> gi_classes(np.array([3.1, -2.2, 1.7, 0.4]), np.array([0.002, 0.03, 0.08, 0.6]),
    ...            alpha=0.10).tolist()
    ['hot 99', 'cold 95', 'hot 90', 'not significant']
    """
    labels = np.full(len(z), NOT_SIGNIFICANT, dtype=object)
    for threshold, suffix in reversed(CONFIDENCE_BINS):
        if threshold > alpha + 1e-12:
            continue
        hit = p <= threshold
        labels[hit & (z > 0)] = f"hot {suffix}"
        labels[hit & (z < 0)] = f"cold {suffix}"
    labels[np.isnan(z) | np.isnan(p)] = np.nan
    return labels


def class_order(alpha: float) -> list[str]:
    """Every Gi* class label in map-legend order for ``alpha``.

    Examples
    --------
    >>> class_order(0.05)
    ['hot 99', 'hot 95', 'not significant', 'cold 95', 'cold 99', 'no neighbours', 'no denominator']
    """
    used = [suffix for threshold, suffix in CONFIDENCE_BINS if threshold <= alpha + 1e-12]
    return ([f"hot {s}" for s in used] + [NOT_SIGNIFICANT]
            + [f"cold {s}" for s in reversed(used)] + [NO_NEIGHBOURS, NO_DENOMINATOR])


def check_budget(n: int, permutations: int) -> None:
    """Refuse a permutation test whose simulations would not fit `MAX_SIMULATIONS`.

    Examples
    --------
    >>> check_budget(61_200, 999)
    Traceback (most recent call last):
    ...
    geo.errors.HotspotError: 61200 units (or space-time bins) × 999 permutations is more than \
the engine keeps in memory (50000000 simulations); use larger grid cells, fewer time steps, \
fewer permutations or inference='analytic'
    """
    if n * permutations > MAX_SIMULATIONS:
        raise HotspotError(
            f"{n} units (or space-time bins) × {permutations} permutations is more than the engine "
            f"keeps in memory ({MAX_SIMULATIONS} simulations); use larger grid cells, fewer time "
            "steps, fewer permutations or inference='analytic'")


class _SeededNumpy:
    """Restore numpy's global random state after esda seeds it (esda calls np.random.seed)."""

    def __enter__(self):
        self.state = np.random.get_state()

    def __exit__(self, *exc):
        np.random.set_state(self.state)


def _permutation_z_p(observed: np.ndarray, simulated: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two-sided pseudo p and its signed normal equivalent z (module docstring)."""
    simulated = np.asarray(simulated, dtype=float)
    column = np.asarray(observed, dtype=float)[:, None]
    tail = (simulated <= column).sum(axis=1) - (simulated >= column).sum(axis=1)
    p = two_sided_p(observed, simulated)
    return equivalent_z(p, tail), p


def run_g_local(y: np.ndarray, graph, *, permutations: int = 0,
                seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Gi* z-scores and two-sided p-values: analytic (``permutations=0``) or by permutation.

    ``graph`` is a binary libpysal ``Graph`` without self-loops; Gi* adds the self weight.
    numpy's global random state is left as it was (esda seeds it).

    Examples
    --------
    >>> from geo.hotspots.weights import distance_band_graph
    >>> graph = distance_band_graph(np.c_[np.arange(6.0), np.zeros(6)], 1)
    >>> z, p = run_g_local(np.array([5.0, 6, 5, 0, 1, 0]), graph)
    >>> bool(z[0] > 0 > z[4]), bool(np.allclose(p, normal_p(z)))
    (True, True)
    >>> z, p = run_g_local(np.array([5.0, 6, 5, 0, 1, 0]), graph, permutations=99, seed=1)
    >>> bool(z[0] > 0 > z[4]), bool((p >= 0.02).all()), bool(np.allclose(p, normal_p(z)))
    (True, True, True)
    """
    import esda

    check_budget(len(y), permutations)
    with _SeededNumpy(), warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # esda 2.9 warns that its default alternative will change; the alternative it uses
        # does not matter here, the p-value is recomputed two-sided from the simulations.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="esda")
        # errstate: a unit without neighbours has a constant null distribution, so esda's
        # simulated z divides by zero; such units get no result (the caller blanks them).
        stat = esda.G_Local(y, graph, transform="B", star=True, permutations=permutations,
                            keep_simulations=True, n_jobs=1, seed=seed)
    if not permutations:
        z = np.asarray(stat.Zs, dtype=float)
        return z, normal_p(z)
    return _permutation_z_p(stat.Gs, stat.rGs)


def run_moran_local(y: np.ndarray, graph, *, permutations: int = 0,
                    seed: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Local Moran's I (row-standardised weights): I, z, two-sided p, quadrant.

    Analytic (``permutations=0``): z from the expectation and variance of I under
    randomisation (`moran_local_moments`); else the permutation z and p.

    Examples
    --------
    >>> from geo.hotspots.weights import distance_band_graph
    >>> graph = distance_band_graph(np.c_[np.arange(6.0), np.zeros(6)], 1)
    >>> i, z, p, q = run_moran_local(np.array([5.0, 6, 5, 0, 1, 0]), graph, permutations=99, seed=1)
    >>> [QUADRANTS[k] for k in q]
    ['HH', 'HH', 'HH', 'LH', 'LL', 'LL']
    """
    import esda

    check_budget(len(y), permutations)
    with _SeededNumpy(), warnings.catch_warnings(), np.errstate(divide="ignore", invalid="ignore"):
        # As in run_g_local: the directed default is replaced by a two-sided p below, and a
        # unit without neighbours (zero row in the row-standardised weights) divides by zero.
        warnings.filterwarnings("ignore", category=DeprecationWarning, module="esda")
        stat = esda.Moran_Local(y, graph, transformation="r", permutations=permutations,
                                keep_simulations=True, n_jobs=1, seed=seed)
        if permutations:
            z, p = _permutation_z_p(stat.Is, stat.rlisas)
        else:
            expected, variance = moran_local_moments(y, graph)
            z = (np.asarray(stat.Is, dtype=float) - expected) / np.sqrt(variance)
            p = normal_p(z)
    return np.asarray(stat.Is, dtype=float), z, p, np.asarray(stat.q)


def moran_local_moments(y: np.ndarray, graph) -> tuple[np.ndarray, np.ndarray]:
    """Expectation and variance of esda's local Moran's I under randomisation.

    Row-standardised weights w_ij; with b2 = n Σz⁴ / (Σz²)², w_i = Σ_j w_ij, w_i2 = Σ_j w_ij²,
    Anselin's (1995) I_i = n z_i Σ_j w_ij z_j / Σz² has E = -w_i/(n-1) and
    Var = w_i2 (n - b2)/(n-1) + (w_i² - w_i2)(2 b2 - n)/((n-1)(n-2)) - E² (Sokal, Oden &
    Thomson 1998); esda's I is (n-1)/n times Anselin's, and so are the moments returned.

    Examples
    --------
    >>> from geo.hotspots.weights import distance_band_graph
    >>> graph = distance_band_graph(np.c_[np.arange(5.0), np.zeros(5)], 1)
    >>> e, v = moran_local_moments(np.array([1.0, 2, 3, 4, 5]), graph)
    >>> e.round(3).tolist()
    [-0.2, -0.2, -0.2, -0.2, -0.2]
    """
    n = len(y)
    z = np.asarray(y, dtype=float) - np.mean(y)
    b2 = n * (z ** 4).sum() / (z ** 2).sum() ** 2
    matrix = graph.sparse.tocsr().astype(float)
    sums = np.asarray(matrix.sum(axis=1)).ravel()
    rows = np.divide(1.0, sums, out=np.zeros(n), where=sums > 0)
    w_i = (sums > 0).astype(float)  # row-standardised: 1, or 0 for an island
    w_i2 = np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel() * rows ** 2
    expected = -w_i / (n - 1)
    variance = (w_i2 * (n - b2) / (n - 1)
                + (w_i ** 2 - w_i2) * (2 * b2 - n) / ((n - 1) * (n - 2)) - expected ** 2)
    scale = (n - 1) / n
    return expected * scale, variance * scale ** 2
