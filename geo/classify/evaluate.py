"""Classify communes under a rule set: healthy, reduced, not_healthy or not_assessed.

The decision rule (criteria.md §1.3, provisional): ``healthy`` (lành mạnh) when every
knock-out criterion holds and the score reaches the rule set's threshold; ``reduced`` (giảm
cơ bản) when the criteria the rule names (P1 and P3) hold but the commune is not healthy;
``not_healthy`` otherwise. Any missing indicator value or attestation makes the commune
``not_assessed``: missing data never passes silently.
"""

from __future__ import annotations

import math
from typing import Literal

import geopandas as gpd
import pandas as pd

from geo.classify.indicators import compute_indicator
from geo.classify.inputs import ClassificationInputs
from geo.classify.rulesets import Ruleset
from geo.periods import Period
from geo.settings import STORAGE_CRS

Status = Literal["healthy", "reduced", "not_healthy", "not_assessed"]
STATUSES: tuple[Status, ...] = ("healthy", "reduced", "not_healthy", "not_assessed")


def classify_communes(inputs: ClassificationInputs, ruleset: Ruleset, *, period: Period) -> pd.DataFrame:
    """Classify every commune of ``inputs`` for ``period``.

    Parameters
    ----------
    inputs : ClassificationInputs
        Records already placed on the units of the evaluated vintage.
    ruleset : Ruleset
        A validated rule set (:func:`~geo.classify.rulesets.load_ruleset`).
    period : Period
        The evaluated period, with its convention.

    Returns
    -------
    DataFrame
        One row per unit: ``commune_code, name, status, score, missing`` (criterion ids without
        data) and ``criteria``, a list of ``{"id", "kind", "passed", "value", "evidence",
        "detail"}`` in rule-set order (``passed`` and ``value`` are None when missing).

    Examples
    --------
    >>> from geo.classify.rulesets import load_ruleset
    >>> from geo.periods import parse_period
    >>> inputs = empty_inputs(["A"])
    >>> out = classify_communes(inputs, load_ruleset(), period=parse_period("2018"))
    >>> out.loc[0, "status"], sorted(out.loc[0, "missing"])
    ('not_assessed', ['P6', 'P7', 'P8', 'P9'])
    """
    table = _criteria_table(inputs, ruleset, period)
    rows = []
    for code, name in zip(inputs.units["commune_code"].astype(str), inputs.units["name"], strict=True):
        rows.append({"commune_code": code, "name": name, **_decide(table[code], ruleset)})
    return pd.DataFrame(rows, columns=["commune_code", "name", "status", "score", "missing", "criteria"])


def _criteria_table(inputs: ClassificationInputs, ruleset: Ruleset, period: Period) -> dict:
    """Per unit code, the evaluated criteria in rule-set order."""
    table: dict[str, list[dict]] = {str(c): [] for c in inputs.units["commune_code"]}
    for criterion in ruleset.criteria:
        frame = compute_indicator(criterion.indicator, inputs, period=period, criterion=criterion.id)
        for code, row in frame.iterrows():
            missing = row["value"] is None or math.isnan(row["value"])
            table[code].append({
                "id": criterion.id, "kind": criterion.kind,
                "passed": None if missing else criterion.holds(row["value"], period=period),
                "value": None if missing else float(row["value"]),
                "evidence": list(row["evidence"]), "detail": row["detail"],
                "_criterion": criterion,
            })
    return table


def _decide(items: list[dict], ruleset: Ruleset) -> dict:
    """Status and score of one unit from its evaluated criteria."""
    missing = [i["id"] for i in items if i["passed"] is None]
    score = sum(i["_criterion"].weight for i in items if i["passed"])
    knockouts = all(i["passed"] for i in items if i["_criterion"].knockout)
    reduced = all(i["passed"] for i in items if i["id"] in ruleset.reduced_requires)
    if missing:
        status = "not_assessed"
    elif knockouts and score >= ruleset.score_threshold:
        status = "healthy"
    elif reduced:
        status = "reduced"
    else:
        status = "not_healthy"
    criteria = [{k: v for k, v in i.items() if k != "_criterion"} for i in items]
    return {"status": status, "score": float(score), "missing": missing, "criteria": criteria}


def empty_inputs(codes: list[str]) -> ClassificationInputs:
    """Inputs with the given unit codes and no records at all (a starting point for scenarios).

    Examples
    --------
    >>> empty_inputs(["A", "B"]).units["commune_code"].tolist()
    ['A', 'B']
    """
    return ClassificationInputs(
        units=pd.DataFrame({"commune_code": codes, "name": codes}),
        sites=gpd.GeoDataFrame(columns=["site_id", "site_kind", "commune_code"], geometry=[],
                               crs=STORAGE_CRS),
        site_events=pd.DataFrame(columns=["event_id", "site_id", "event_date", "event_type"]),
        establishments=pd.DataFrame(columns=["establishment_id", "commitment_signed", "status",
                                             "commune_code"]),
        inspections=pd.DataFrame(columns=["inspection_id", "inspection_date", "establishment_id",
                                          "outcome", "violation_codes", "commune_code"]),
        reports=pd.DataFrame(columns=["report_id", "commune_code", "period", "indicator_code", "value"]),
        attestations=pd.DataFrame(columns=["assessment_id", "commune_code", "period", "criterion_id",
                                           "holds", "value", "assessed_by", "assessed_at", "note"]),
    )
