"""The Mann–Kendall trend test (Mann 1945, Kendall 1975), with the correction for ties.

For a series x_1 … x_n: S = Σ_{i<j} sign(x_j − x_i);
Var(S) = [n(n−1)(2n+5) − Σ_g t_g(t_g−1)(2t_g+5)] / 18 over groups of t_g tied values;
Z = (S − 1)/√Var(S) when S > 0, (S + 1)/√Var(S) when S < 0, 0 otherwise (continuity
correction); two-sided p = 2(1 − Φ(|Z|)); Kendall's tau = S / (n(n−1)/2).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from geo.errors import HotspotError


class MannKendall(NamedTuple):
    """The result of `mann_kendall`."""

    s: int
    var_s: float
    z: float
    p_value: float
    tau: float
    trend: str  # "increasing", "decreasing" or "no trend" at the alpha asked for


def mann_kendall(values, *, alpha: float = 0.05) -> MannKendall:
    """Mann–Kendall test for a monotonic trend in a series (ties corrected, two-sided).

    Parameters
    ----------
    values : sequence of float
        The series in time order, at least 3 values, no NaN.
    alpha : float, default 0.05
        Level at which ``trend`` calls the trend significant.

    Examples
    --------
    >>> r = mann_kendall([1, 2, 3, 4, 5])
    >>> r.s, round(r.var_s, 3), round(r.z, 4), round(r.p_value, 4), r.trend
    (10, 16.667, 2.2045, 0.0275, 'increasing')
    >>> mann_kendall([3, 1, 3, 2, 3]).s
    1
    """
    x = np.asarray(values, dtype=float)[None, :]
    s, var_s, z, p = mann_kendall_rows(x)
    n = x.shape[1]
    trend = ("no trend" if not p[0] <= alpha
             else "increasing" if s[0] > 0 else "decreasing")
    return MannKendall(int(s[0]), float(var_s[0]), float(z[0]), float(p[0]),
                       float(s[0]) / (n * (n - 1) / 2), trend)


def mann_kendall_rows(matrix: np.ndarray) -> tuple[np.ndarray, ...]:
    """Mann–Kendall S, Var(S), Z and two-sided p for every row of ``matrix`` (time along columns).

    A row with NaN gets NaN throughout; a constant row gets S = 0, Z = 0 and p = 1.
    """
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2 or x.shape[1] < 3:
        raise HotspotError(f"a Mann-Kendall test needs at least 3 time steps; got shape {x.shape}")
    n = x.shape[1]
    i, j = np.triu_indices(n, k=1)
    s = np.sign(x[:, j] - x[:, i]).sum(axis=1)
    var_s = (n * (n - 1) * (2 * n + 5) - np.array([_tie_term(row) for row in x])) / 18.0
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(s > 0, (s - 1) / np.sqrt(var_s), np.where(s < 0, (s + 1) / np.sqrt(var_s), 0.0))
    z = np.where(var_s > 0, z, 0.0)
    p = np.vectorize(math.erfc, otypes=[float])(np.abs(z) / math.sqrt(2.0))  # 2(1 − Φ(|z|))
    bad = np.isnan(x).any(axis=1)
    s, var_s, z, p = (np.where(bad, np.nan, a) for a in (s, var_s, z, p))
    return s, var_s, z, p


def _tie_term(row: np.ndarray) -> float:
    """Σ t(t−1)(2t+5) over the groups of tied values of one series."""
    _, t = np.unique(row[~np.isnan(row)], return_counts=True)
    return float((t * (t - 1) * (2 * t + 5)).sum())
