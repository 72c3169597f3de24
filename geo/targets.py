"""Progress against a plan's targets, per year and cumulative, for the province and each district.

Pure: frames in, a tidy frame out. The caller reads the yearly measured values per commune
(``geo.store.targets.read_target_measures``) and the targets (``boundaries.targets``).

A *measured* frame holds, per measure, year and commune, a ``numerator`` and (for shares) a
``denominator``; a row with no ``unit_code`` is a record that no commune took (it counts for
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
    "inspections": ("count", True),
    "report:people_reached": ("count", False),
    "report:vocational_support": ("count", False),
    "report:reintegrated": ("count", False),
    "healthy_share": ("share", False),
    "awareness_share": ("share", False),
    "inspected_share": ("share", False),
}
KINDS = ("cumulative", "share")
COLUMNS = ["scope", "target_id", "year", "value", "cumulative", "target", "share_of_target",
           "on_track", "note"]
_EPS = 1e-9


def track_targets(targets: pd.DataFrame, measured: pd.DataFrame, communes: pd.DataFrame, *,
                  years, gaps: pd.DataFrame | None = None) -> pd.DataFrame:
    """Compute yearly and cumulative progress of each target for the province and each district.

    Parameters
    ----------
    targets : DataFrame
        ``target_id, kind`` ("cumulative" or "share"), ``measure`` (a key of ``MEASURES``),
        ``target`` (a count, or a share in 0–1) and optionally ``district_target``.
        Targets whose measure is not in ``MEASURES`` (e.g. ``"none"``) are left out.
    measured : DataFrame
        ``measure, year, unit_code, numerator, denominator`` (denominator NaN for counts).
    communes : DataFrame
        ``unit_code, district_code`` of the vintage measured on.
    years : sequence of int
        The plan years, first to last; a cumulative target is on track in year ``y`` when the
        running total reaches ``target × (y − first + 1) / len(years)``.
    gaps : DataFrame, optional
        ``measure, year, note``: no data at all; the value is NaN with the note.

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
    ...                          "unit_code": ["A1", "A1"], "numerator": [15.0, 30.0],
    ...                          "denominator": np.nan})
    >>> communes = pd.DataFrame({"unit_code": ["A1"], "district_code": ["D1"]})
    >>> out = track_targets(targets, measured, communes, years=[2016, 2017, 2018, 2019, 2020])
    >>> out.loc[out.scope == "province", ["year", "cumulative", "on_track"]].head(2)
       year  cumulative on_track
    0  2016        15.0    False
    1  2017        45.0     True
    """
    wanted = targets[targets["measure"].isin(list(MEASURES))].reset_index(drop=True)
    years = [int(y) for y in years]
    scopes = ["province", *sorted(communes["district_code"].dropna().unique())]
    values = _values(wanted, measured, communes, scopes, years, gaps)
    values = _cumulate(values, wanted)
    return _judge(values, wanted, years)[COLUMNS]


def _aggregate(measured: pd.DataFrame, communes: pd.DataFrame) -> pd.DataFrame:
    """Sum numerators and denominators per scope, measure and year."""
    rows = measured.merge(communes[["unit_code", "district_code"]], on="unit_code", how="left")
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


def _judge(values: pd.DataFrame, targets: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Attach the target of each scope, the share reached and whether it is on track."""
    meta = targets.set_index("target_id")
    district_target = meta["district_target"] if "district_target" in meta else pd.Series(
        np.nan, index=meta.index)
    out = values.copy()
    is_province = out["scope"] == "province"
    out["target"] = np.where(is_province, out["target_id"].map(meta["target"]),
                             out["target_id"].map(district_target)).astype(float)
    cumulative = out["target_id"].map(meta["kind"]) == "cumulative"
    reached = out["cumulative"].where(cumulative, out["value"])
    out["share_of_target"] = reached / out["target"].where(out["target"] > 0)
    elapsed = (out["year"] - years[0] + 1) / len(years)
    due = out["target"] * elapsed.where(cumulative, 1.0)
    known = reached.notna() & out["target"].notna()
    out["on_track"] = (reached + _EPS >= due).astype(object).where(known, None)
    out["scope_order"] = np.where(is_province, 0, 1)
    order = {t: i for i, t in enumerate(targets["target_id"])}
    out["target_order"] = out["target_id"].map(order)
    out = out.sort_values(["scope_order", "scope", "target_order", "year"], kind="stable")
    return out.reset_index(drop=True)
