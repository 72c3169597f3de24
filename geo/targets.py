"""Progress against a plan's targets, per year and cumulative, for the province and each district.

Pure: frames in, a tidy frame out. The caller reads the yearly measured values per commune
(``geo.store.targets.read_target_measures``) and the targets (``boundaries.targets``).

A quarter, half-year or nine months is never judged against a year's quota: the caller
measures the last year only up to the period's end and passes the share of that year
elapsed; each row then says on which ``basis`` it is judged (:data:`BASES`): a total to date
against the pro rata goal, a yearly duty pro rata, a share held at every period, or a
reduction from the baseline year.

A *measured* frame holds, per measure, year and commune, a ``numerator`` and (for shares) a
``denominator``; a row with no ``commune_code`` is a record that no commune took (it counts for
the province, in no district). A *gaps* frame names the (measure, year) pairs with no data
at all: their value is missing (NaN) with the note, never a silent zero.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Each measure: how scopes aggregate it ("count": sum; "share": sum of numerators over sum
#: of denominators) and whether a scope without rows counts zero (records: yes, an absent
#: record is a zero; officer reports and snapshots: no, absence is missing data).
MEASURES: dict[str, tuple[str, bool]] = {
    "incidents": ("count", True),
    "busted_cases": ("count", True),
    "disguised_establishments": ("count", True),
    "inspections": ("count", True),
    "report:people_reached": ("count", False),
    "report:vocational_support": ("count", False),
    "report:reintegrated": ("count", False),
    "healthy_share": ("share", False),
    "awareness_share": ("share", False),
    "inspected_share": ("share", False),
}
KINDS = ("cumulative", "share", "reduction")
#: How a share target treats part of a year: "held" (the share must hold at any time, e.g.
#: healthy communes) or "pro_rata" (a yearly duty: by the end of a quarter a quarter of it).
PERIOD_RULES = ("held", "pro_rata")
#: The basis each row is judged on: a plan total over whole years or to date (pro rata), a
#: yearly share over the whole year or to date (pro rata), a share held, a reduction.
BASES = ("cumulative", "cumulative_to_date", "year", "pro_rata", "held", "reduction")
COLUMNS = ["scope", "target_id", "year", "value", "cumulative", "target", "due", "basis",
           "share_of_target", "on_track", "note"]
_EPS = 1e-9


def track_targets(targets: pd.DataFrame, measured: pd.DataFrame, communes: pd.DataFrame, *,
                  years, gaps: pd.DataFrame | None = None, through: int | None = None,
                  elapsed: float = 1.0) -> pd.DataFrame:
    """Compute yearly and cumulative progress of each target for the province and each district.

    Parameters
    ----------
    targets : DataFrame
        ``target_id, kind`` ("cumulative", "share" or "reduction"), ``measure`` (a key of
        ``MEASURES``), ``target`` (a count, or a share in 0–1) and optionally
        ``district_target``, ``period_rule`` (``PERIOD_RULES``, shares; default "held") and
        ``baseline`` (the baseline year of a reduction; default the first plan year).
        Targets whose measure is not in ``MEASURES`` (e.g. ``"none"``) are left out.
    measured : DataFrame
        ``measure, year, commune_code, numerator, denominator`` (denominator NaN for counts).
    communes : DataFrame
        ``commune_code, district_code`` of the vintage measured on.
    years : sequence of int
        The plan years, first to last; a cumulative target is on track in year ``y`` when the
        running total reaches ``target × (y − first + 1) / len(years)``.
    gaps : DataFrame, optional
        ``measure, year, note``: no data at all; the value is NaN with the note.
    through : int, optional
        The last year shown (default the last plan year); later years are left out.
    elapsed : float, default 1.0
        The share of year ``through`` the measured values cover (0.25 for a first quarter):
        its goals are pro rata, never a whole year's quota.

    Returns
    -------
    DataFrame
        One row per scope (``"province"`` then each district code), target and year:
        ``scope, target_id, year, value, cumulative`` (cumulative targets only; NaN once a
        year is missing), ``target`` (NaN for districts unless ``district_target`` is given),
        ``share_of_target, on_track`` (True/False, or None when unknown) and ``note``.
        Shares are fractions (0.8 = 80 %).

    Examples
    --------
    >>> targets = pd.DataFrame({"target_id": ["insp"], "kind": ["cumulative"],
    ...                         "measure": ["inspections"], "target": [100.0]})
    >>> measured = pd.DataFrame({"measure": "inspections", "year": [2016, 2017],
    ...                          "commune_code": ["A1", "A1"], "numerator": [15.0, 30.0],
    ...                          "denominator": np.nan})
    >>> communes = pd.DataFrame({"commune_code": ["A1"], "district_code": ["D1"]})
    >>> out = track_targets(targets, measured, communes, years=[2016, 2017, 2018, 2019, 2020])
    >>> out.loc[out.scope == "province", ["year", "cumulative", "on_track"]].head(2)
       year  cumulative on_track
    0  2016        15.0    False
    1  2017        45.0     True
    """
    wanted = _with_defaults(targets[targets["measure"].isin(list(MEASURES))].reset_index(drop=True), years)
    plan = [int(y) for y in years]
    shown = [y for y in plan if through is None or y <= through]
    scopes = ["province", *sorted(communes["district_code"].dropna().unique())]
    values = _values(wanted, measured, communes, scopes, shown, gaps)
    values = _reduce(_cumulate(values, wanted), wanted, shown[-1], elapsed)
    return _judge(values, wanted, plan, shown[-1], elapsed)[COLUMNS]


def _with_defaults(targets: pd.DataFrame, years) -> pd.DataFrame:
    """Targets with ``period_rule`` and ``baseline`` filled in."""
    out = targets.copy()
    rule = out["period_rule"] if "period_rule" in out else pd.Series(None, index=out.index, dtype=object)
    out["period_rule"] = rule.where(rule.notna(), "held")
    base = out["baseline"] if "baseline" in out else pd.Series(np.nan, index=out.index)
    out["baseline"] = base.fillna(int(next(iter(years)))).astype(int)
    return out


def _reduce(values: pd.DataFrame, targets: pd.DataFrame, last: int, elapsed: float) -> pd.DataFrame:
    """Turn the counts of reduction targets into the reduction from their baseline year.

    A part-year count is annualised (divided by ``elapsed``) before it is compared.
    """
    out = values.copy()
    meta = targets.set_index("target_id")
    for target_id in targets.loc[targets["kind"] == "reduction", "target_id"]:
        own = out["target_id"] == target_id
        base_year = int(meta.at[target_id, "baseline"])
        for scope in out.loc[own, "scope"].unique():
            rows = own & (out["scope"] == scope)
            base = out.loc[rows & (out["year"] == base_year), "value"]
            base = float(base.iloc[0]) if len(base) else np.nan
            counts = out.loc[rows, "value"] / np.where(out.loc[rows, "year"] == last, elapsed, 1.0)
            out.loc[rows, "value"] = 1 - counts / base if base > 0 else np.nan
            if not base > 0:
                out.loc[rows, "note"] = f"no baseline count in {base_year}"
    return out


def _aggregate(measured: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """Sum numerators and denominators per scope, measure and year."""
    rows = measured.merge(communes[["commune_code", "district_code"]], on="commune_code", how="left")
    rows["year"] = rows["year"].astype(int)
    sums = {"numerator": ("numerator", "sum"),
            "denominator": ("denominator", lambda s: s.sum(min_count=1))}
    province = rows.groupby(["measure", "year"]).agg(**sums).reset_index().assign(scope="province")
    districts = (rows.dropna(subset=["district_code"])
                 .groupby(["district_code", "measure", "year"]).agg(**sums).reset_index()
                 .rename(columns={"district_code": "scope"}))
    return pd.concat([province, districts], ignore_index=True)


def _values(targets, measured, communes, scopes, years, gaps) -> pd.DataFrame:
    """The value of every scope, target and year, with a note where it is missing."""
    grid = pd.MultiIndex.from_product([scopes, targets["target_id"], years],
                                      names=["scope", "target_id", "year"]).to_frame(index=False)
    grid = grid.merge(targets[["target_id", "measure"]], on="target_id")
    grid = grid.merge(_aggregate(measured, communes), on=["scope", "measure", "year"], how="left")
    kind = grid["measure"].map(lambda m: MEASURES[m][0])
    zero = grid["measure"].map(lambda m: MEASURES[m][1]) & grid["numerator"].isna()
    grid["numerator"] = grid["numerator"].where(~zero, 0.0)
    share = grid["numerator"] / grid["denominator"].where(grid["denominator"] > 0)
    grid["value"] = grid["numerator"].where(kind == "count", share).astype(float)
    grid["note"] = np.where(grid["value"].isna(), "no data for this scope and year", None)
    if gaps is not None and len(gaps):
        notes = gaps.assign(year=gaps["year"].astype(int)).set_index(["measure", "year"])["note"]
        keys = pd.MultiIndex.from_frame(grid[["measure", "year"]])
        gap_note = pd.Series(notes.reindex(keys).to_numpy(), index=grid.index)
        grid.loc[gap_note.notna(), "value"] = np.nan
        grid["note"] = gap_note.where(gap_note.notna(), grid["note"])
    return grid


def _cumulate(values: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Running totals per scope and cumulative target; missing from the first missing year on."""
    out = values.sort_values(["scope", "target_id", "year"], kind="stable").copy()
    cumulative = out["target_id"].isin(targets.loc[targets["kind"] == "cumulative", "target_id"])
    groups = out.groupby(["scope", "target_id"], sort=False)["value"]
    broken = out["value"].isna().groupby([out["scope"], out["target_id"]]).cummax()
    running = groups.cumsum().where(~broken)
    out["cumulative"] = running.where(cumulative)
    return out


def _judge(values: pd.DataFrame, targets: pd.DataFrame, years: list[int], last: int,
           elapsed: float) -> pd.DataFrame:
    """Attach the target of each scope, the goal due, its basis, the share reached and whether on track."""
    meta = targets.set_index("target_id")
    district_target = meta["district_target"] if "district_target" in meta else pd.Series(
        np.nan, index=meta.index)
    out = values.copy()
    is_province = out["scope"] == "province"
    out["target"] = np.where(is_province, out["target_id"].map(meta["target"]),
                             out["target_id"].map(district_target)).astype(float)
    kind = out["target_id"].map(meta["kind"])
    cumulative = kind == "cumulative"
    reached = out["cumulative"].where(cumulative, out["value"])
    out["share_of_target"] = reached / out["target"].where(out["target"] > 0)
    fraction, out["basis"] = _basis(out, meta, years, last, elapsed)
    out["due"] = out["target"] * fraction
    known = reached.notna() & out["target"].notna()
    out["on_track"] = (reached + _EPS >= out["due"]).astype(object).where(known, None)
    out["scope_order"] = np.where(is_province, 0, 1)
    order = {t: i for i, t in enumerate(targets["target_id"])}
    out["target_order"] = out["target_id"].map(order)
    out = out.sort_values(["scope_order", "scope", "target_order", "year"], kind="stable")
    return out.reset_index(drop=True)


def _basis(out: pd.DataFrame, meta: pd.DataFrame, years: list[int], last: int,
           elapsed: float) -> tuple[pd.Series, pd.Series]:
    """Per row: the fraction of the target due, and the basis it is judged on (``BASES``)."""
    part = pd.Series(np.where(out["year"] == last, elapsed, 1.0), index=out.index)
    partial = part < 1.0
    kind = out["target_id"].map(meta["kind"])
    rule = out["target_id"].map(meta["period_rule"])
    base = out["target_id"].map(meta["baseline"])
    cumulative = (out["year"] - years[0] + part) / len(years)
    reduction = ((out["year"] - base - 1 + part) / (years[-1] - base).clip(lower=1)).clip(0, 1)
    pro_rata = (kind == "share") & (rule == "pro_rata")
    fraction = np.select([kind == "cumulative", kind == "reduction", pro_rata],
                         [cumulative, reduction, part], 1.0)
    basis = np.select([kind == "cumulative", kind == "reduction", pro_rata, kind == "share"],
                      [np.where(partial, "cumulative_to_date", "cumulative"), "reduction",
                       np.where(partial, "pro_rata", "year"), "held"], "held")
    return pd.Series(fraction, index=out.index), pd.Series(basis, index=out.index)
