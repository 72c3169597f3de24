"""A period's status when no snapshot is stored, and what data each commune still lacks.

The map colours a period by its newest classification snapshot. When there is none, it shows
a provisional status instead: the classification ``diaban classify`` would store, computed
with the same workflow (:func:`webapp.workflows.classification.classify_period`, the shipped
default rule set, calendar periods) but **not stored**, and marked so on the map ("Tạm tính —
chưa lưu"). The same computation gives the data completeness (which criteria each commune
lacks data for, and what to load) for the side panel and the dashboard. Both are kept in the
map cache keyed by the data revision, so they are recomputed exactly when data change.
Each helper takes the engine (and the language of its texts): none needs a Flask app or
request, so a script or a test calls them as the views do.

Measured on the demo data (2 cores shared): reading and classifying a year of the 2010 layer
(171 communes) takes 0.3–0.6 s, completeness adds about 0.2 s; cached answers cost nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.classify import SnapshotMeta, load_ruleset, summarize_missing
from geo.periods import Period
from geo.store.map_layers import data_version
from webapp.i18n import register
from webapp.map_cache import cached
from webapp.workflows.classification import classify_period

STRINGS = {
    "completeness_title": ("Dữ liệu còn thiếu để phân loại kỳ {period}", "Data missing to classify {period}"),
    "completeness_note": ("{n} xã thiếu dữ liệu cho ít nhất một tiêu chí (do đó \"chưa đánh giá\"). "
                          "Danh sách từng xã: {command}",
                          "{n} communes lack data for at least one criterion (hence \"not assessed\"). "
                          "Every commune: {command}"),
    "completeness_criterion": ("Tiêu chí", "Criterion"),
    "completeness_communes": ("Số xã thiếu", "Communes lacking it"),
    "completeness_action": ("Cần nạp", "What to load"),
    "completeness_none": ("Đủ dữ liệu: mọi xã đều đánh giá được mọi tiêu chí.",
                          "Complete: every commune can be assessed on every criterion."),
}
register(STRINGS)


@dataclass(frozen=True)
class PeriodState:
    """A period classified now on one vintage (not stored), and its data completeness."""

    meta: SnapshotMeta
    results: pd.DataFrame
    completeness: pd.DataFrame


def period_state(engine, vintage: str, period: Period) -> PeriodState:
    """The unstored classification of ``period`` on ``vintage`` under the default rule set (cached)."""
    ruleset = load_ruleset()
    key = ("period_state", vintage, period.label, period.convention, ruleset.sha256, data_version(engine))

    def compute() -> PeriodState:
        with engine.connect() as conn:
            run = classify_period(conn, period=period, ruleset=ruleset, vintage=vintage)
        meta = SnapshotMeta.unstored(ruleset, period=period.label, convention=period.convention,
                                     vintage_id=vintage, data_as_of=run.as_of)
        return PeriodState(meta=meta, results=run.results, completeness=run.completeness())

    return cached(key, compute)


def with_provisional(engine, status: dict, vintage: str, period: Period) -> dict:
    """``status`` (``{label: {"snapshot", "codes"}}`` from snapshots) with ``period`` filled if absent.

    The added entry has ``"snapshot": None`` and ``"provisional"`` (the unstored
    :meth:`SnapshotMeta.summary`: rule set, data as-of, ``"stored": False``) next to the codes,
    so the map can say it is not stored.
    """
    if period.label in status:
        return status
    state = period_state(engine, vintage, period)
    codes = dict(zip(state.results["commune_code"], state.results["status"], strict=True))
    return {**status, period.label: {"snapshot": None, "provisional": state.meta.summary(), "codes": codes}}


def provisional_result(engine, vintage: str, period: Period, code: str) -> tuple[SnapshotMeta, dict] | None:
    """One commune's unstored result: ``(meta, {"status", "score", "criteria"})``; None if unknown."""
    state = period_state(engine, vintage, period)
    rows = state.results[state.results["commune_code"] == code]
    if rows.empty:
        return None
    row = rows.iloc[0]
    return state.meta, {"status": row["status"], "score": float(row["score"]), "criteria": row["criteria"]}


def _localised(frame: pd.DataFrame, lang: str) -> pd.Series:
    """The action column in ``lang`` ("vi" or "en")."""
    return frame["what_to_load" if lang == "en" else "what_to_load_vi"]


def commune_missing(engine, vintage: str, period: Period, code: str, *, lang: str) -> list[dict]:
    """The criteria ``code`` lacks data for now: ``criterion_id, reason, what_to_load`` (in ``lang``)."""
    frame = period_state(engine, vintage, period).completeness
    mine = frame[(frame["commune_code"] == code) & frame["missing"].astype(bool)]
    return [{"criterion_id": c, "reason": r, "what_to_load": w}
            for c, r, w in zip(mine["criterion_id"], mine["reason"], _localised(mine, lang), strict=True)]


def missing_section(engine, vintage: str, period: Period, codes: list[str], *, lang: str) -> dict:
    """The dashboard's completeness section for the communes ``codes``, its texts in ``lang``.

    Returns
    -------
    dict
        ``period, communes`` (how many of ``codes`` lack any data), ``rows`` (per criterion,
        reason and action: ``criterion_id, reason, communes, what_to_load``, localised) and
        ``command`` (the CLI listing every commune).
    """
    frame = period_state(engine, vintage, period).completeness
    frame = frame[frame["commune_code"].isin(set(codes))]
    summary = summarize_missing(frame)
    rows = [{"criterion_id": r.criterion_id, "reason": r.reason, "communes": int(r.communes),
             "what_to_load": w} for r, w in zip(summary.itertuples(), _localised(summary, lang), strict=True)]
    lacking = frame.loc[frame["missing"].astype(bool), "commune_code"].nunique()
    return {"period": period.label, "communes": int(lacking), "rows": rows,
            "command": f"diaban classify --period {period.label} --vintage {vintage} --missing"}
