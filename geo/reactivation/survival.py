"""Time to reactivation: Kaplan–Meier survival of cleared sites, with Greenwood intervals.

"Survival" is a clearing spell staying free of reactivation. A spell's time runs in whole
days from its clearing to its reactivation (an event), or to its end without one (censored):
the next clearing of the site or the ``as_of`` date (see :mod:`geo.reactivation.detection`).
Evidence reactivates a site only inside the detection window, officers' records at any
time, so beyond ``window_days`` the curve falls only through officers' records.

The estimator, at each distinct event time *t* with *n* spells at risk (time ≥ *t*) and *d*
events: ``S(t) = Π (1 − d/n)``; Greenwood's variance ``Var S = S² Σ d / (n (n − d))``;
intervals on the log–log scale by default (Kalbfleisch–Prentice; what Stata and lifelines
report), or ``log`` (R's ``survfit`` default) or ``plain``.
"""

from __future__ import annotations

from statistics import NormalDist
from typing import Literal

import numpy as np
import pandas as pd

from geo.errors import ReactivationError, check_choice
from geo.reactivation.frames import require_columns

CIType = Literal["log-log", "log", "plain"]
CI_TYPES = ("log-log", "log", "plain")
KM_COLUMNS = ["time", "at_risk", "events", "censored", "survival", "std_err", "ci_lower", "ci_upper"]


def kaplan_meier(durations, observed, *, alpha: float = 0.05, ci: CIType = "log-log") -> pd.DataFrame:
    """The Kaplan–Meier estimate, one row per distinct event time.

    Parameters
    ----------
    durations : array-like of float
        Follow-up times (days here), ≥ 0.
    observed : array-like of bool
        True where the time ends in the event, False where it is censored.
    alpha : float, default 0.05
        1 − confidence level of the pointwise intervals.
    ci : {"log-log", "log", "plain"}, default "log-log"
        Scale of the Greenwood interval.

    Returns
    -------
    DataFrame
        ``time, at_risk, events, censored, survival, std_err, ci_lower, ci_upper``; at risk
        = times ≥ ``time``; ``censored`` = censored times in ``[time, next time)``, so
        that ``at_risk`` of the next row is ``at_risk − events − censored``; ``std_err`` is
        Greenwood's standard error of the survival. Intervals are NaN once survival is 0.

    Examples
    --------
    Four spells: events at 2 and 5, censored at 3 and 8.

    >>> km = kaplan_meier([2, 3, 5, 8], [True, False, True, False])
    >>> km[["time", "at_risk", "events", "censored", "survival"]].values.tolist()
    [[2.0, 4.0, 1.0, 1.0, 0.75], [5.0, 2.0, 1.0, 1.0, 0.375]]
    """
    check_choice("ci", ci, CI_TYPES, error=ReactivationError)
    if not 0 < alpha < 1:
        raise ReactivationError(f"alpha must lie between 0 and 1, got {alpha!r}")
    t, d = _as_arrays(durations, observed)
    times = np.unique(t[d])
    table = _counts(t, d, times)
    survival = np.cumprod(1.0 - table["events"] / table["at_risk"])
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = table["events"] / (table["at_risk"] * (table["at_risk"] - table["events"]))
        greenwood = np.cumsum(terms)
        std_err = np.where(survival > 0, survival * np.sqrt(greenwood), np.nan)
        lower, upper = _interval(survival, greenwood, NormalDist().inv_cdf(1 - alpha / 2), ci)
    return pd.DataFrame({**table, "survival": survival, "std_err": std_err,
                         "ci_lower": lower, "ci_upper": upper}, columns=KM_COLUMNS)


def _as_arrays(durations, observed) -> tuple[np.ndarray, np.ndarray]:
    """Durations and event flags as arrays of equal length; negative or NaN times raise."""
    t = np.asarray(durations, dtype=float)
    d = np.asarray(observed, dtype=bool)
    if t.shape != d.shape or t.ndim != 1:
        raise ReactivationError(f"durations and observed must be 1-D of one length, got {t.shape}, {d.shape}")
    if np.isnan(t).any() or (t < 0).any():
        raise ReactivationError("durations must be ≥ 0 and not missing; drop or fix those spells first")
    return t, d


def _counts(t: np.ndarray, d: np.ndarray, times: np.ndarray) -> dict[str, np.ndarray]:
    """At risk, events and censored per event time."""
    order = np.sort(t)
    at_risk = len(t) - np.searchsorted(order, times, side="left")
    events = np.array([(d & (t == x)).sum() for x in times], dtype=float)
    censored_times = np.sort(t[~d])
    nxt = np.r_[times[1:], np.inf]
    censored = (np.searchsorted(censored_times, nxt, side="left")
                - np.searchsorted(censored_times, times, side="left"))
    return {"time": times.astype(float), "at_risk": at_risk.astype(float), "events": events,
            "censored": censored.astype(float)}


def _interval(survival, greenwood, z: float, ci: str) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise Greenwood interval on the chosen scale (NaN where survival is 0)."""
    se_log = np.sqrt(greenwood)
    if ci == "plain":
        half = z * survival * se_log
        lower, upper = np.clip(survival - half, 0, 1), np.clip(survival + half, 0, 1)
    elif ci == "log":
        lower, upper = survival * np.exp(-z * se_log), np.minimum(survival * np.exp(z * se_log), 1.0)
    else:
        theta_se = se_log / np.abs(np.log(survival))
        lower, upper = survival ** np.exp(z * theta_se), survival ** np.exp(-z * theta_se)
    dead = ~(survival > 0)
    return np.where(dead, np.nan, lower), np.where(dead, np.nan, upper)


def reactivation_survival(clearings: pd.DataFrame, *, by: str | None = None, alpha: float = 0.05,
                          ci: CIType = "log-log") -> pd.DataFrame:
    """Kaplan–Meier curves of time to reactivation, overall or per group.

    Parameters
    ----------
    clearings : DataFrame
        ``Reactivations.clearings``: ``followup_days``, ``reactivated`` and the grouping column.
    by : str, optional
        A column to group by (``site_kind``, ``commune_code`` …); missing values form the
        group ``"(unknown)"``. Overall when omitted (group ``"all"``).
    alpha, ci
        As in :func:`kaplan_meier`.

    Returns
    -------
    DataFrame
        ``group`` then the columns of :func:`kaplan_meier`, one block per group in group order.

    Examples
    --------
    >>> spells = pd.DataFrame({"followup_days": [30, 60, 90, 400],
    ...                        "reactivated": [True, False, True, False],
    ...                        "site_kind": ["public", "public", "in_establishment", "public"]})
    >>> km = reactivation_survival(spells, by="site_kind")
    >>> km[["group", "time", "at_risk", "survival"]].values.tolist()
    [['in_establishment', 90.0, 1.0, 0.0], ['public', 30.0, 3.0, 0.6666666666666667]]
    """
    parts = [kaplan_meier(g["followup_days"], g["reactivated"], alpha=alpha, ci=ci).assign(group=name)
             for name, g in _groups(clearings, by)]
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*KM_COLUMNS, "group"])
    return frame[["group", *KM_COLUMNS]]


def survival_summary(clearings: pd.DataFrame, *, by: str | None = None,
                     horizons: tuple[int, ...] = (90, 180, 365)) -> pd.DataFrame:
    """Per group: spells, reactivations, censored, median days to reactivation, survival at horizons.

    ``median_days`` is the first event time where survival ≤ 0.5 (NaN if it never gets
    there); ``survival_<h>d`` is the estimate at day *h* (NaN beyond the longest follow-up,
    unless survival has reached 0).

    Examples
    --------
    >>> spells = pd.DataFrame({"followup_days": [30, 60, 90, 400],
    ...                        "reactivated": [True, False, True, False]})
    >>> survival_summary(spells, horizons=(45, 365)).iloc[0].to_dict()
    {'group': 'all', 'spells': 4, 'reactivated': 2, 'censored': 2, 'median_days': 90.0, \
'survival_45d': 0.75, 'survival_365d': 0.375}
    """
    rows = []
    for name, g in _groups(clearings, by):
        km = kaplan_meier(g["followup_days"], g["reactivated"])
        below = km.loc[km["survival"] <= 0.5, "time"]
        row = {"group": name, "spells": len(g), "reactivated": int(g["reactivated"].sum()),
               "censored": int((~g["reactivated"].astype(bool)).sum()),
               "median_days": float(below.iloc[0]) if len(below) else np.nan}
        for h in horizons:
            row[f"survival_{h}d"] = _survival_at(km, float(g["followup_days"].max()), h)
        rows.append(row)
    return pd.DataFrame(rows)


def _survival_at(km: pd.DataFrame, longest: float, day: float) -> float:
    """The step function at ``day``, NaN past the longest follow-up unless survival is 0.

    Survival is 1 before the first event; once it reaches 0 it stays 0.
    """
    known = km.loc[km["time"] <= day, "survival"]
    value = float(known.iloc[-1]) if len(known) else 1.0
    return np.nan if day > longest and value > 0 else value


def _groups(clearings: pd.DataFrame, by: str | None):
    """(name, frame) per group; one group ``all`` when ``by`` is None."""
    require_columns(clearings, ["followup_days", "reactivated"] + ([by] if by else []), "clearings")
    if by is None:
        return [("all", clearings)] if len(clearings) else []
    keys = clearings[by].astype("string").fillna("(unknown)")
    return [(str(k), g) for k, g in clearings.groupby(keys, sort=True)]
