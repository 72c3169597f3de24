"""Data completeness: which criteria of a commune lack data for a period, and what to load to fill them.

A criterion is ``missing`` for a commune exactly when the classification would find no value
for it (its indicator gives NaN), which makes the commune ``not_assessed``. Each missing
criterion comes with the reason and the action that fills it (the ``diaban ingest`` kind, the
commune report's indicator codes, the attestation page), in Vietnamese and English, so a
``not_assessed`` status is always explained and actionable. Pure: the same
:class:`~geo.classify.inputs.ClassificationInputs` the classification reads, frames out.
"""

from __future__ import annotations

import pandas as pd

from geo.classify.indicators import _reports_within, compute_indicator
from geo.classify.inputs import ClassificationInputs
from geo.classify.rulesets import Ruleset
from geo.periods import Period

COLUMNS = ["commune_code", "criterion_id", "indicator", "missing", "reason", "what_to_load",
           "what_to_load_vi"]

#: The commune-report indicator codes each report-backed indicator reads.
REPORT_CODES = {"awareness_activities": ("awareness_activities",),
                "tips_handled_share": ("tips_received", "tips_handled")}

#: Per indicator and reason: the action, (Vietnamese, English), with ``{criterion}``,
#: ``{period}`` and ``{codes}`` (report codes still absent) filled in.
ACTIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("awareness_activities", "no_data"): (
        "{criterion}: không có hoạt động tuyên truyền hay báo cáo của xã kỳ {period} → nạp "
        "`diaban ingest activities TỆP` hoặc báo cáo của xã có awareness_activities "
        "(`diaban ingest commune-reports TỆP`)",
        "{criterion}: no awareness activity or commune report for {period} → load "
        "`diaban ingest activities FILE` or a commune report with awareness_activities "
        "(`diaban ingest commune-reports FILE`)"),
    ("tips_handled_share", "no_data"): (
        "{criterion}: không có tin báo, tố giác hay báo cáo của xã kỳ {period} → nạp "
        "`diaban ingest tips TỆP` hoặc báo cáo của xã có tips_received và tips_handled "
        "(`diaban ingest commune-reports TỆP`)",
        "{criterion}: no tip-offs or commune report for {period} → load `diaban ingest tips FILE` "
        "or a commune report with tips_received and tips_handled (`diaban ingest commune-reports FILE`)"),
    ("tips_handled_share", "incomplete_report"): (
        "{criterion}: báo cáo của xã kỳ {period} thiếu {codes} → nạp lại báo cáo có đủ "
        "tips_received và tips_handled (`diaban ingest commune-reports TỆP`) hoặc nạp "
        "`diaban ingest tips TỆP`",
        "{criterion}: the commune report for {period} lacks {codes} → load a report with both "
        "tips_received and tips_handled (`diaban ingest commune-reports FILE`) or "
        "`diaban ingest tips FILE`"),
    ("attestation", "no_data"): (
        "{criterion}: chưa có xác nhận của cán bộ cho kỳ {period} → ghi nhận tại /attest hoặc "
        "`diaban ingest attestations TỆP`",
        "{criterion}: not attested for {period} → record on /attest or "
        "`diaban ingest attestations FILE`"),
}
#: Any other indicator without a value (a rule set's own indicator).
FALLBACK = ("{criterion}: chỉ số {indicator} không có giá trị kỳ {period} → nạp dữ liệu mà chỉ số này đọc",
            "{criterion}: indicator {indicator} has no value for {period} → load the data it reads")


def data_completeness(inputs: ClassificationInputs, ruleset: Ruleset, *, period: Period) -> pd.DataFrame:
    """Which criteria each commune lacks data for over ``period``, and what to load to fill them.

    Parameters
    ----------
    inputs : ClassificationInputs
        The records the classification reads, placed (:func:`geo.classify.period_inputs`).
    ruleset : Ruleset
        The rule set whose criteria are checked.
    period : Period
        The evaluated period (its label and convention appear in the actions).

    Returns
    -------
    DataFrame
        One row per commune and criterion, communes in the inputs' order and criteria in the
        rule set's: ``commune_code, criterion_id, indicator, missing`` (bool: the
        classification finds no value), ``reason`` (``no_data`` or ``incomplete_report``;
        None when not missing) and ``what_to_load`` / ``what_to_load_vi`` (the action in English
        and Vietnamese; None when not missing).

    Examples
    --------
    >>> from geo.classify.evaluate import empty_inputs
    >>> from geo.classify.rulesets import load_ruleset
    >>> from geo.periods import parse_period
    >>> out = data_completeness(empty_inputs(["A"]), load_ruleset(), period=parse_period("2018"))
    >>> out.loc[out["missing"], "criterion_id"].tolist()
    ['P6', 'P7', 'P8', 'P9']
    >>> print(out.loc[out["criterion_id"] == "P8", "what_to_load"].item())
    P8: not attested for 2018 → record on /attest or `diaban ingest attestations FILE`
    """
    codes = inputs.units["commune_code"].astype(str).tolist()
    parts = []
    for criterion in ruleset.criteria:
        values = compute_indicator(criterion.indicator, inputs, period=period,
                                   criterion=criterion.id)["value"]
        missing = values.reindex(codes).isna().to_numpy()
        present = _reported_codes(inputs, period, criterion.indicator)
        rows = [_row(code, criterion.id, criterion.indicator, gap, present.get(code, set()), period)
                for code, gap in zip(codes, missing, strict=True)]
        parts.append(pd.DataFrame(rows, columns=COLUMNS))
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    order = {code: i for i, code in enumerate(codes)}
    frame = pd.concat(parts, ignore_index=True)
    frame["_order"] = frame["commune_code"].map(order)
    return frame.sort_values("_order", kind="stable").drop(columns="_order").reset_index(drop=True)


def _reported_codes(inputs: ClassificationInputs, period: Period, indicator: str) -> dict[str, set]:
    """Per commune, which of the indicator's report codes it sent for the period."""
    wanted = REPORT_CODES.get(indicator)
    if not wanted:
        return {}
    rep = _reports_within(inputs, period, list(wanted))
    rep = rep[rep["commune_code"].notna()]
    return {str(code): set(group) for code, group in rep.groupby("commune_code")["indicator_code"]}


def _row(code: str, criterion: str, indicator: str, missing: bool, reported: set, period: Period) -> list:
    """One commune and criterion: the reason it lacks data and the action, or Nones."""
    if not missing:
        return [code, criterion, indicator, False, None, None, None]
    absent = sorted(set(REPORT_CODES.get(indicator, ())) - reported)
    reason = "incomplete_report" if reported and absent else "no_data"
    vi, en = ACTIONS.get((indicator, reason), FALLBACK)
    label = period.label if period.convention == "calendar" else f"{period.label} ({period.convention})"
    values = {"criterion": criterion, "period": label, "codes": ", ".join(absent), "indicator": indicator}
    return [code, criterion, indicator, True, reason, en.format(**values), vi.format(**values)]


def summarize_missing(completeness: pd.DataFrame) -> pd.DataFrame:
    """Per criterion, reason and action, how many communes lack data, and their codes.

    Parameters
    ----------
    completeness : DataFrame
        The frame of :func:`data_completeness` (or a subset of its communes).

    Returns
    -------
    DataFrame
        ``criterion_id, reason, communes`` (count), ``commune_codes`` (list), ``what_to_load``
        and ``what_to_load_vi``, criteria in the order they come.

    Examples
    --------
    >>> from geo.classify.evaluate import empty_inputs
    >>> from geo.classify.rulesets import load_ruleset
    >>> from geo.periods import parse_period
    >>> frame = data_completeness(empty_inputs(["A", "B"]), load_ruleset(), period=parse_period("2018"))
    >>> summarize_missing(frame)[["criterion_id", "communes"]].values.tolist()
    [['P6', 2], ['P7', 2], ['P8', 2], ['P9', 2]]
    """
    gaps = completeness[completeness["missing"].astype(bool)]
    columns = ["criterion_id", "reason", "communes", "commune_codes", "what_to_load", "what_to_load_vi"]
    if gaps.empty:
        return pd.DataFrame(columns=columns)
    grouped = gaps.groupby(["criterion_id", "reason", "what_to_load", "what_to_load_vi"], sort=False)
    out = grouped.agg(communes=("commune_code", "size"), commune_codes=("commune_code", list))
    return out.reset_index()[columns]
