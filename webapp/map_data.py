"""What the map shows per commune: counts over the slider's periods, status, and one commune's file.

The map draws the communes' geometry once; these payloads carry only attributes, for every
period of the time slider at once, so moving the slider needs no request. Class breaks of
the counts are computed over all those periods together: a colour means the same count in
every period.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.classify import SnapshotMeta
from geo.store.classification import newest_snapshot, newest_snapshots
from geo.store.map_layers import (
    commune_index,
    commune_result,
    count_series,
    data_version,
    evidence_records,
    record_options,
    snapshot_statuses,
)
from webapp.map_cache import cached
from webapp.maps import count_breaks
from webapp.period_status import with_provisional
from webapp.selection import MapFilters, Selection, current_filters, selection_metadata, slider_periods
from webapp.workflows.jsonable import json_ready

#: The kind of record behind each indicator's evidence ids (``geo.classify.indicators``).
EVIDENCE_KINDS = {
    "active_public_sites": "site", "new_sites": "site", "reactivated_sites": "site",
    "new_or_reactivated_sites": "site", "sanctioned_establishments": "inspection",
    "commitment_share": "establishment", "inspected_share": "establishment",
    "awareness_activities": "report", "tips_handled_share": "report", "attestation": "assessment",
}
#: The most evidence records listed per criterion (the count is always complete).
MAX_EVIDENCE = 50


@dataclass(frozen=True)
class MapRequest:
    """Everything a map request selects: period and vintage, filters, and what they draw on.

    It also carries the ``engine`` the request reads, so the payload builders below and in
    ``map_points`` and ``map_hotspots`` need no Flask application context.
    """

    engine: object
    selection: Selection
    filters: MapFilters
    options: dict
    communes: pd.DataFrame

    @property
    def vintage(self) -> str:
        """The id of the vintage the communes are drawn in."""
        return self.selection.vintage.id

    @property
    def districts(self) -> dict[str, str]:
        """``{code: name}`` of the vintage's districts."""
        return districts_of(self.communes)

    def visible_codes(self) -> list[str]:
        """The communes the filters keep (all of them, or those of the chosen district)."""
        frame = self.communes
        if self.filters.district:
            frame = frame[frame["district_code"] == self.filters.district]
        return frame["commune_code"].tolist()


def districts_of(communes: pd.DataFrame) -> dict[str, str]:
    """``{code: name}`` of the districts of ``communes`` (``geo.store.map_layers.commune_index``)."""
    known = communes.dropna(subset=["district_code"])
    return dict(zip(known["district_code"], known["district_name"], strict=True))


def map_request(engine, selection: Selection) -> MapRequest:
    """Read and check the filters of this request against the store (400 on a bad one)."""
    options = record_options(engine)
    communes = commune_index(engine, selection.vintage.id)
    filters = current_filters(districts_of(communes),
                              [k["code"] for k in options["incident_kinds"]],
                              options["establishment_types"], vintage=selection.vintage.id)
    return MapRequest(engine=engine, selection=selection, filters=filters, options=options,
                      communes=communes)


def series_payload(req: MapRequest) -> dict:
    """Counts per commune for every slider period, their class breaks, and statuses per period.

    Returns
    -------
    dict
        ``periods`` (labels), ``bounds`` (``[start, end)`` per period), ``current``,
        ``incidents`` and ``inspections`` (``{commune_code: [count per period]}``),
        ``incident_breaks`` (upper bounds over every period of the visible communes),
        ``status`` (``{period: {"snapshot": …, "codes": {code: status}}}`` for the periods
        with a classification snapshot; the selected period without one gets a provisional,
        unstored status: ``"snapshot": None, "provisional": {…}``), ``unassigned`` (per family, per period),
        ``visible`` (the codes the district filter keeps), ``filters`` and ``metadata``.
    """
    engine = req.engine
    periods = slider_periods(req.selection.period, req.options["first_day"], req.options["last_day"])
    filters = req.filters
    labels = [p.label for p in periods]
    key = ("series", req.vintage, req.selection.vintage.import_batch_id, tuple(labels),
           filters.incident_kinds, filters.establishment_types, data_version(engine))
    frames, unassigned = cached(key, lambda: count_series(
        engine, req.vintage, periods,
        incident_kinds=list(filters.incident_kinds) if filters.incident_kinds else None,
        establishment_types=list(filters.establishment_types) if filters.establishment_types else None))
    codes = req.communes["commune_code"].tolist()
    tables = {family: frame.reindex(index=codes, columns=labels).fillna(0).astype("int64")
              for family, frame in frames.items()}
    visible = req.visible_codes()
    current = labels.index(req.selection.period.label)
    return {
        "periods": labels,
        "bounds": [[p.start.isoformat(), p.end.isoformat()] for p in periods],
        "current": req.selection.period.label,
        **{family: {code: row.tolist() for code, row in zip(codes, table.to_numpy(), strict=True)}
           for family, table in tables.items()},
        "incident_breaks": count_breaks(tables["incidents"].loc[visible].to_numpy().ravel()),
        "status": with_provisional(engine, statuses(engine, req.vintage, labels), req.vintage,
                                   req.selection.period),
        "unassigned": unassigned,
        "visible": visible,
        "filters": filters.as_query(),
        "metadata": selection_metadata(req.selection, {f: u[current] for f, u in unassigned.items()},
                                       geometry="none"),
    }


def statuses(engine, vintage: str, labels: list[str]) -> dict:
    """``{period: {"snapshot": metadata, "codes": {code: status}}}`` from each newest snapshot."""
    snapshots = {meta.period: meta
                 for meta in newest_snapshots(engine, vintage=vintage, periods=labels, convention="calendar")}
    rows = snapshot_statuses(engine, [m.id for m in snapshots.values()])
    out = {}
    for label, meta in snapshots.items():
        mine = rows[rows["snapshot_id"] == meta.id]
        out[label] = {"snapshot": meta.summary(),
                      "codes": dict(zip(mine["commune_code"], mine["status"], strict=True))}
    return out


def commune_payload(req: MapRequest, code: str, *, analyst: bool, lang: str) -> dict | None:
    """One commune's file for the side panel: status, every criterion, its evidence.

    A viewer gets each criterion's value, pass/fail and the number of evidence records; an
    analyst (and above) also gets the records themselves (establishment names included).
    Returns None when ``code`` is not a commune of the vintage.
    """
    rows = req.communes[req.communes["commune_code"] == code]
    if rows.empty:
        return None
    engine = req.engine
    label = req.selection.period.label
    snapshot = newest_snapshot(engine, period=label, vintage=req.vintage, convention="calendar")
    result = commune_result(engine, snapshot.id, code) if snapshot else None
    unit = {k: json_ready(v) for k, v in rows.iloc[0].items()}
    return {
        **unit, "period": label, "vintage": req.vintage,
        "classification": None if result is None else {
            **snapshot.summary(), "status": result["status"], "score": result["score"],
            "criteria": criteria_rows(engine, snapshot, result["criteria"], analyst=analyst, lang=lang)},
    }


def criteria_rows(engine, snapshot: SnapshotMeta, criteria: list[dict], *, analyst: bool,
                  lang: str) -> list[dict]:
    """Each stored criterion with its rule's text and threshold and the evidence behind it.

    The rule text comes from the shipped rule set when its SHA-256 is the snapshot's (a
    changed file is not the rule the snapshot applied: then only ids are shown).
    """
    ruleset = snapshot.shipped_ruleset()
    rules = {c.id: c for c in ruleset.criteria} if ruleset else {}
    english = lang == "en"
    out = []
    for item in criteria:
        rule = rules.get(item["id"])
        kind = EVIDENCE_KINDS.get(rule.indicator) if rule else None
        ids = list(item.get("evidence") or [])
        evidence = {"kind": kind, "count": len(ids)}
        if analyst:
            records = evidence_records(engine, kind, ids[:MAX_EVIDENCE], names=True) if kind else []
            evidence |= {"ids": ids, "records": [{k: json_ready(v) for k, v in r.items()} for r in records]}
        out.append({
            "id": item["id"], "passed": item["passed"], "value": json_ready(item["value"]),
            "text": (rule.text_en if english else rule.text_vi) if rule else None,
            "rule_kind": rule.kind if rule else None, "comparison": rule.comparison if rule else None,
            "threshold": rule.threshold if rule else None, "weight": rule.weight if rule else None,
            "evidence": evidence, "detail": item.get("detail") if analyst else None,
        })
    return out
