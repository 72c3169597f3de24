"""The figures of each dashboard section, as plain dicts ready for ``templates/dashboard.html``.

Each function reads through ``geo.store`` and computes with the same code as the commands
(``diaban targets``, ``diaban classify``, ``diaban reactivation``), so the page and the CLI
agree. Nothing returned for a viewer names a site, an establishment or a person.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from geo.errors import PeriodError
from geo.join import place_records
from geo.periods import parse_period
from geo.reactivation import rank_at_risk, track_reactivations
from geo.store.classification import read_snapshot
from geo.store.crosswalk import read_crosswalk
from geo.store.dashboard import establishments_by_unit, healthy_share_series
from geo.store.models import CLASSIFICATION_STATUSES
from geo.store.recognition import read_decisions
from geo.store.units import read_units
from webapp.map_cache import cached, data_key
from webapp.selection import Selection
from webapp.workflows.defaults import AT_RISK
from webapp.workflows.jsonable import json_ready, json_ready_dict
from webapp.workflows.reactivation import read_inputs
from webapp.workflows.targets import BASIS_NAMES, counted_on, plan_progress, recognition_basis


def _tracked_targets(engine, period, province: str | None = None
                     ) -> tuple[dict, pd.DataFrame, pd.DataFrame] | tuple[()]:
    """The plan, its targets and ``track_targets``' rows up to ``period``, recomputed when the data change.

    An empty tuple when the loaded province configures no plan.

    Reading the measures takes about a second; it is kept in the map cache per period and
    data revision (every load, classification and recognition decision bumps it), so a cached
    answer is never stale and every district and language of the period shares it.
    """
    def compute():
        progress = plan_progress(engine, period=period, province=province)
        return progress[:3] if progress else ()
    return cached(("dashboard.targets", province, period.label, period.convention, *data_key(engine)),
                  compute)


def targets_section(engine, selection: Selection, district: str | None, *, lang: str) -> dict | None:
    """Progress per target and plan year up to the selected period, for the district when the plan counts it.

    A period inside a plan year shows that year to date against pro rata goals (each cell
    names its basis); the years follow the period's convention.

    Returns
    -------
    dict
        ``title, vintage, years, scope`` ("province" or a district code), ``rows`` (one per
        measured target: ``id, text, how`` (how it is measured), ``basis_note`` (the healthy
        share: recognition decisions or the proposal, else None), ``measure, kind, unit, goal,
        note, years`` with per year ``value, cumulative, due, basis, basis_name,
        share_of_target, on_track, note``) and ``unmeasured`` (texts); None when the loaded
        province configures no plan.
    """
    tracked = _tracked_targets(engine, selection.period, selection.vintage.province_code)
    if not tracked:
        return None
    plan, table, rows = tracked
    same_units = selection.vintage.id in set(plan["vintages"].values())
    scope = district if district is not None and same_units and district in set(rows["scope"]) \
        else "province"
    own = rows[rows["scope"] == scope]
    english = lang == "en"
    out = []
    for info in table[table["measure"] != "none"].itertuples():
        cells = own[own["target_id"] == info.target_id]
        years = [json_ready_dict(c) for c in cells[["year", "value", "cumulative", "due", "basis",
                                                     "share_of_target", "on_track", "note"]]
                 .to_dict(orient="records")]
        for cell in years:
            cell["basis_name"] = BASIS_NAMES[cell["basis"]][int(english)]
        how = getattr(info, "how_en" if english else "how", None)
        decided = cells["decided"].dropna() if "decided" in cells else ()
        out.append({
            "basis_note": recognition_basis(int(decided.iloc[-1]), lang) if len(decided) else None,
            "id": info.target_id, "text": info.text_en if english else info.text, "measure": info.measure,
            "kind": info.kind, "unit": info.unit, "note": info.measure_note,
            "how": how if isinstance(how, str) else None,
            "goal": json_ready(cells["target"].iloc[0]) if len(cells) else None, "years": years,
        })
    unmeasured = table.loc[table["measure"] == "none", "text_en" if english else "text"].tolist()
    partial = bool(set(own["basis"]) & {"cumulative_to_date", "pro_rata"})
    return {"title": plan.get("title_en" if english else "title", plan["id"]), "vintage": counted_on(plan),
            "years": sorted({int(y) for y in own["year"]}), "scope": scope, "rows": out,
            "through": selection.period.label if partial else None, "unmeasured": unmeasured}


def healthy_section(engine, selection: Selection, commune_codes: list[str], *, goal: float | None) -> dict:
    """The share of healthy communes in each period's newest snapshot on the selected vintage.

    Returns
    -------
    dict
        ``rows`` (``snapshot_id, period, convention, ruleset_id, communes``, the status
        counts, ``healthy_share``; periods of the selected period's kind and convention only),
        ``chart`` (labels, each status's share in percent, the goal in percent),
        ``current`` (the row of the selected period, or None) and ``command`` (how to take one).
    """
    vintage, period = selection.vintage.id, selection.period
    series = healthy_share_series(engine, vintage, commune_codes=commune_codes)
    # One kind of period and one reporting window per chart: a year's share is not followed by a
    # quarter's, and a 15–14 snapshot never sits among calendar ones.
    alike = [_same_kind(p, c, period) for p, c in zip(series["period"], series["convention"], strict=True)]
    rows = [json_ready_dict(r) for r in series[alike].to_dict(orient="records")]
    for row in rows:
        row["label"] = row["period"] + ("" if row["convention"] == "calendar" else " (15–14)")
    current = [r for r in rows if r["period"] == period.label and r["convention"] == period.convention]
    chart = {"labels": [r["label"] for r in rows],
             "shares": {s: [round(100 * r[s] / r["communes"], 1) if r["communes"] else None for r in rows]
                        for s in CLASSIFICATION_STATUSES},
             "goal": None if goal is None else round(100 * goal, 1)}
    return {"rows": rows, "chart": chart, "current": current[0] if current else None,
            "command": f"diaban classify --period {period.label} --vintage {vintage}"}


def _same_kind(label: str, convention: str, period) -> bool:
    """True when a snapshot's period is of the selected period's kind and reporting convention."""
    try:
        kind = parse_period(label, convention=convention).kind
    except PeriodError:
        return False
    return convention == period.convention and kind == period.kind


def district_section(engine, selection: Selection, scope: pd.DataFrame, snapshot: dict | None,
                     unassigned: dict) -> dict:
    """Counts per district (per commune where the vintage has no districts) for the selected period.

    Parameters
    ----------
    scope : DataFrame
        ``communes_with_counts`` rows of the communes shown (``commune_code, name,
        district_code, district_name, incidents, inspections``).
    snapshot : dict or None
        The selected period's snapshot row from :func:`healthy_section` (statuses from it).
    unassigned : dict
        Records of the period no commune takes, per family.

    Returns
    -------
    dict
        ``level`` ("district" or "commune"), ``rows`` and ``total`` (``code, name, communes,
        incidents, inspections, establishments``, one count per status (the proposal), None
        without a snapshot, and ``recognised``: communes the committee recognised for the
        period's year), ``year``, ``decided`` (communes with a decision that year), ``snapshot``
        and ``unassigned`` (incidents, inspections, establishments).
    """
    counts, est_unassigned = establishments_by_unit(engine, selection.vintage.id)
    frame = scope.assign(establishments=scope["commune_code"].map(counts).fillna(0).astype("int64"))
    if snapshot is not None:
        _, results = read_snapshot(engine, snapshot["snapshot_id"])
        frame["status"] = frame["commune_code"].map(results.set_index("commune_code")["status"])
    year = int(selection.period.label[:4])
    decisions = read_decisions(engine, year=year, vintage=selection.vintage.id,
                               codes=list(frame["commune_code"])).set_index("commune_code")["recognised"]
    frame["recognised"] = frame["commune_code"].map(decisions).eq(True)
    by_district = bool(frame["district_code"].notna().any())
    key, name = ("district_code", "district_name") if by_district else ("commune_code", "name")
    rows = [_count_row(code, label, part, snapshot is not None)
            for (code, label), part in frame.groupby([key, name], dropna=False, sort=True)]
    return {"level": "district" if by_district else "commune", "rows": rows, "year": year,
            "decided": len(decisions),
            "total": _count_row(None, None, frame, snapshot is not None), "snapshot": snapshot,
            "unassigned": {**unassigned, "establishments": est_unassigned}}


def _count_row(code, name, part: pd.DataFrame, with_status: bool) -> dict:
    """One line of the district table: sums over the communes of ``part``."""
    row = {"code": json_ready(code), "name": json_ready(name), "communes": len(part),
           **{f: int(part[f].sum()) for f in ("incidents", "inspections", "establishments", "recognised")}}
    for status in CLASSIFICATION_STATUSES:
        row[status] = int((part["status"] == status).sum()) if with_status else None
    return row


def at_risk_section(engine, selection: Selection, scope: pd.DataFrame, *, detailed: bool) -> dict:
    """Cleared sites ranked by recent activity nearby (``diaban reactivation``'s at-risk list).

    Assessed on the selected period's last day (today if the period has not ended). Only the
    sites placed in a commune of ``scope`` are listed.

    Returns
    -------
    dict
        ``as_of, params, detailed, outside`` (at-risk sites elsewhere) and ``rows``: per site
        (``rank, site_id, site_kind, commune, last_cleared, score, n_events, n_incidents,
        n_inspections, nearest_m, last_event_date``) when ``detailed``, else per commune
        (``commune, sites, events``) — a viewer never gets site-level rows.
    """
    as_of = min(selection.period.end - timedelta(days=1), date.today())
    inputs = read_inputs(engine, as_of)
    result = track_reactivations(inputs["sites"], inputs["events"], inputs["evidence"], as_of=as_of)
    ranked = rank_at_risk(result.sites, inputs["evidence"], as_of=as_of, **AT_RISK)
    vintage = selection.vintage.id
    with engine.connect() as conn:
        units, crosswalk = read_units(conn, vintage), read_crosswalk(conn)
    codes = place_records(inputs["sites"].loc[ranked.index], units, vintage=vintage, crosswalk=crosswalk)
    names = scope.set_index("commune_code")["name"]
    ranked = ranked.assign(commune=codes.map(names))
    inside = ranked[ranked["commune"].notna()]
    if detailed:
        columns = ["rank", "site_id", "site_kind", "commune", "last_cleared", "score", "n_events",
                   "n_incidents", "n_inspections", "nearest_m", "last_event_date"]
        rows = [json_ready_dict(r) for r in inside[columns].to_dict(orient="records")]
    else:
        grouped = inside.groupby("commune").agg(sites=("site_id", "size"), events=("n_events", "sum"))
        grouped = grouped.sort_values(["sites", "events"], ascending=False, kind="stable")
        rows = [{"commune": c, "sites": int(r.sites), "events": int(r.events)} for c, r in grouped.iterrows()]
    return {"as_of": as_of, "params": AT_RISK, "detailed": detailed, "rows": rows,
            "outside": len(ranked) - len(inside)}
