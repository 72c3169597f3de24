"""Classify the communes of a period under a rule set, and store the run as a snapshot.

:func:`classify_period` is the one workflow behind every classification: ``diaban
classify``, the ``/classify`` page (which stores it as the analyst), the map's provisional
status (which does not store it) and the briefing (which stores it when a period has no
snapshot yet) all call it; :func:`store_run` stores a run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from etl.vocabulary import act_codes
from geo.classify import (
    ActCodes,
    ClassificationInputs,
    Ruleset,
    classify_communes,
    data_completeness,
    period_inputs,
)
from geo.periods import Period
from geo.store.classification import read_classification_records, read_time, write_snapshot
from geo.store.units import choose_vintage


@dataclass(frozen=True)
class ClassificationRun:
    """One classification of a period, not yet stored: what it read and what it decided."""

    period: Period
    vintage: str
    ruleset: Ruleset
    inputs: ClassificationInputs
    results: pd.DataFrame
    as_of: datetime

    def completeness(self) -> pd.DataFrame:
        """:func:`geo.classify.data_completeness` of the same inputs (why a commune is not assessed)."""
        return data_completeness(self.inputs, self.ruleset, period=self.period)


def read_inputs_for(conn, *, period: Period, vintage: str | None = None,
                    province: str | None = None) -> tuple[str, ClassificationInputs]:
    """The vintage (``vintage``, else the one valid on the period's last day) and the inputs read on it.

    ``province`` is the province's code (default: the only loaded one).
    """
    chosen = choose_vintage(conn, period, vintage, province=province).id
    return chosen, read_inputs(conn, period=period, vintage=chosen)


def read_inputs(conn, *, period: Period, vintage: str, codes: ActCodes | None = None) -> ClassificationInputs:
    """Read the records of ``period`` on ``vintage`` and place them (``codes``: default the vocabulary's)."""
    records = read_classification_records(conn, period=period, vintage=vintage)
    return period_inputs(records, period=period, vintage=vintage, codes=codes or act_codes())


def classify_period(conn, *, period: Period, ruleset: Ruleset,
                    vintage: str | None = None, province: str | None = None) -> ClassificationRun:
    """Read the inputs of ``period`` and classify every commune of ``province`` (nothing is stored).

    :func:`store_run` stores the run; the map shows an unstored run as provisional.
    """
    as_of = read_time(conn)
    chosen, inputs = read_inputs_for(conn, period=period, vintage=vintage, province=province)
    return ClassificationRun(period=period, vintage=chosen, ruleset=ruleset, inputs=inputs,
                             results=classify_communes(inputs, ruleset, period=period), as_of=as_of)


def store_run(conn, run: ClassificationRun, *, created_by: str) -> int:
    """Store ``run`` as an immutable snapshot made by ``created_by``; return the snapshot id."""
    return write_snapshot(conn, run.results, ruleset=run.ruleset, period=run.period, vintage=run.vintage,
                          as_of=run.as_of, created_by=created_by)


def result_records(results) -> list[dict]:
    """The JSON shape of a classification: one dict per commune."""
    return [
        {"commune_code": r.commune_code, "name": r.name, "status": r.status, "score": float(r.score),
         "criteria": [{"id": c["id"], "passed": c["passed"], "value": c["value"],
                       "evidence": c["evidence"], "detail": c.get("detail")} for c in r.criteria]}
        for r in results.itertuples()
    ]


def missing_records(completeness: pd.DataFrame, names: pd.DataFrame) -> list[dict]:
    """The JSON shape of ``--missing``: one dict per commune and criterion that lacks data."""
    named = dict(zip(names["commune_code"].astype(str), names["name"], strict=True))
    gaps = completeness[completeness["missing"].astype(bool)]
    return [{"commune_code": r.commune_code, "name": named.get(r.commune_code),
             "criterion_id": r.criterion_id, "reason": r.reason, "what_to_load": r.what_to_load,
             "what_to_load_vi": r.what_to_load_vi}
            for r in gaps.itertuples()]
