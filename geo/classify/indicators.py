"""Indicators per commune and period, each one small function registered by name.

An indicator reads :class:`~geo.classify.inputs.ClassificationInputs` and a
:class:`~geo.periods.Period` and returns a frame indexed by ``commune_code`` (every unit of the
vintage) with ``value`` (float; NaN when the data is missing, which the classification turns
into ``not_assessed``), ``evidence`` (ids of the records behind the value) and ``detail``
(a dict or None). Adding an indicator is one function decorated with :func:`indicator`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import numpy as np
import pandas as pd

from geo.classify.inputs import ClassificationInputs, prostitution_violation
from geo.periods import Period, parse_period
from geo.reactivation import track_reactivations

IndicatorFunction = Callable[..., pd.DataFrame]
INDICATORS: dict[str, IndicatorFunction] = {}


def indicator(name: str) -> Callable[[IndicatorFunction], IndicatorFunction]:
    """Register an indicator function under ``name``.

    Examples
    --------
    >>> @indicator("demo_zero")
    ... def _zero(inputs, *, period, criterion):
    ...     return frame_for(inputs, {})
    >>> "demo_zero" in INDICATORS
    True
    >>> _ = INDICATORS.pop("demo_zero")
    """
    def register(function: IndicatorFunction) -> IndicatorFunction:
        INDICATORS[name] = function
        return function
    return register


def compute_indicator(name: str, inputs: ClassificationInputs, *, period: Period,
                      criterion: str = "") -> pd.DataFrame:
    """Compute indicator ``name`` for every unit of ``inputs`` over ``period``.

    Raises
    ------
    KeyError
        When no indicator has that name; the message lists the registered ones.
    """
    if name not in INDICATORS:
        raise KeyError(f"indicator {name!r} is not registered; known: {', '.join(sorted(INDICATORS))}")
    return INDICATORS[name](inputs, period=period, criterion=criterion)


def frame_for(inputs: ClassificationInputs, evidence: dict[str, list[int]], *,
              values: pd.Series | None = None, default: float = 0.0) -> pd.DataFrame:
    """Build an indicator frame: ``value`` defaults to the evidence count per unit."""
    codes = inputs.units["commune_code"].astype(str)
    ev = [sorted(int(i) for i in evidence.get(c, [])) for c in codes]
    if values is None:
        value = np.array([float(len(e)) for e in ev])
    else:
        value = values.reindex(codes.to_numpy()).fillna(default).to_numpy(dtype=float)
    return pd.DataFrame({"value": value, "evidence": ev, "detail": None}, index=pd.Index(codes,
                        name="commune_code"))


def _in_period(days: pd.Series, period: Period) -> pd.Series:
    stamps = pd.to_datetime(days)
    return (stamps >= pd.Timestamp(period.start)) & (stamps < pd.Timestamp(period.end))


def _ids_by_unit(frame: pd.DataFrame, id_col: str) -> dict[str, list[int]]:
    placed = frame[frame["commune_code"].notna()]
    return {str(k): sorted(set(v)) for k, v in placed.groupby("commune_code")[id_col]}


def _sites_with(inputs: ClassificationInputs, ids) -> pd.DataFrame:
    return inputs.sites[inputs.sites["site_id"].isin(set(ids))]


@indicator("active_public_sites")
def active_public_sites(inputs: ClassificationInputs, *, period: Period, criterion: str = ""):
    """Public sites identified or reactivated, and not cleared again, by the period end."""
    events = inputs.site_events
    before = events[pd.to_datetime(events["event_date"]) < pd.Timestamp(period.end)]
    last = before.sort_values(["event_date", "event_id"]).groupby("site_id")["event_type"].last()
    active = last[last.isin(["identified", "reactivated"])].index
    sites = _sites_with(inputs, active)
    return frame_for(inputs, _ids_by_unit(sites[sites["site_kind"] == "public"], "site_id"))


def _sites_with_event(inputs: ClassificationInputs, period: Period, types) -> pd.DataFrame:
    events = inputs.site_events
    hit = events[events["event_type"].isin(types) & _in_period(events["event_date"], period)]
    return _sites_with(inputs, hit["site_id"])


@indicator("new_sites")
def new_sites(inputs: ClassificationInputs, *, period: Period, criterion: str = ""):
    """Sites (public or in an establishment) identified in the period."""
    return frame_for(inputs, _ids_by_unit(_sites_with_event(inputs, period, ["identified"]), "site_id"))


@indicator("reactivated_sites")
def reactivated_sites(inputs: ClassificationInputs, *, period: Period, criterion: str = ""):
    """Cleared sites an officer recorded as reactivated in the period."""
    return frame_for(inputs, _ids_by_unit(_sites_with_event(inputs, period, ["reactivated"]), "site_id"))


@indicator("new_or_reactivated_sites")
def new_or_reactivated_sites(inputs: ClassificationInputs, *, period: Period, criterion: str = ""):
    """Distinct sites new or reactivated in the period (criterion P3, criteria.md §4.3).

    A site counts once when an officer recorded it ``identified`` or ``reactivated`` in the
    period, or when :func:`detected_reactivations` dates a reactivation of it in the period.
    Evidence: the site ids; ``detail`` (units with a detected reactivation) lists those
    reactivations, their incident and inspection ids, and the radius and window used.
    """
    recorded = _sites_with_event(inputs, period, ["identified", "reactivated"])
    spells, params = detected_reactivations(inputs, period=period)
    both = pd.concat([recorded[["site_id", "commune_code"]], spells[["site_id", "commune_code"]]])
    out = frame_for(inputs, _ids_by_unit(both, "site_id"))
    details = {str(code): _reactivation_detail(group, params)
               for code, group in spells[spells["commune_code"].notna()].groupby("commune_code")}
    out["detail"] = [details.get(code) for code in out.index]
    return out


def detected_reactivations(inputs: ClassificationInputs, *, period: Period) -> tuple[pd.DataFrame, dict]:
    """The reactivations :func:`geo.reactivation.track_reactivations` dates in ``period``.

    Detection runs with the engine's default radius and window (those of ``diaban
    reactivation``) as of the period's last day, so records dated later never count. A
    reactivation is dated by the first trigger after its clearing: one whose first trigger
    falls before the period is not new in it, whatever else the same spell shows later.

    Returns
    -------
    (DataFrame, dict)
        The clearing spells reactivated in the period (``Reactivations.clearings`` rows,
        with the site's ``commune_code``) and the detection's parameters.

    Examples
    --------
    >>> from geo.classify.evaluate import empty_inputs
    >>> spells, params = detected_reactivations(empty_inputs(["A"]), period=parse_period("2018"))
    >>> len(spells), str(params["as_of"])
    (0, '2018-12-31')
    """
    found = track_reactivations(inputs.sites, inputs.site_events, inputs.evidence,
                                as_of=period.end - timedelta(days=1))
    spells = found.reactivations
    return spells[_in_period(spells["reactivation_date"], period)], found.params


def _reactivation_detail(spells: pd.DataFrame, params: dict) -> dict:
    """One unit's detected reactivations as JSON-ready values (stored with the snapshot)."""
    return {
        "reactivations": [{"site_id": int(r.site_id), "cleared_date": str(r.cleared_date.date()),
                           "reactivation_date": str(r.reactivation_date.date()), "trigger": r.trigger,
                           "trigger_id": int(r.trigger_id)} for r in spells.itertuples()],
        "incident_ids": sorted({int(i) for ids in spells["incident_ids"] for i in ids}),
        "inspection_ids": sorted({int(i) for ids in spells["inspection_ids"] for i in ids}),
        "radius_m": float(params["radius_m"]), "window_days": params["window_days"],
    }


@indicator("sanctioned_establishments")
def sanctioned_establishments(inputs: ClassificationInputs, *, period: Period, criterion: str = ""):
    """Distinct establishments found and sanctioned for prostitution-related acts in the period (P2).

    An establishment counts when an inspection of the period sanctioned it (an outcome of
    ``codes.sanction_outcomes``) for a prostitution-related violation (a code of
    ``codes.prostitution_violations``; a licence breach alone does not count), or when a
    police incident of the period at it is of a prostitution-related kind and was dealt with
    (``codes.busted_outcomes``). Evidence: the sanctioning inspections; ``detail`` lists the
    establishments, inspections and incidents.
    """
    codes = inputs.codes
    insp = inputs.inspections
    insp = insp[insp["outcome"].isin(codes.sanction_outcomes) & prostitution_violation(insp, codes)
                & _in_period(insp["inspection_date"], period) & insp["commune_code"].notna()]
    inc = _establishment_incidents(inputs, period)
    hits = pd.concat([insp[["commune_code", "establishment_id"]].assign(inspection_id=insp["inspection_id"]),
                      inc[["commune_code", "establishment_id"]].assign(incident_id=inc["incident_id"])],
                     ignore_index=True)
    counts = hits.groupby("commune_code")["establishment_id"].nunique().astype(float)
    counts.index = counts.index.astype(str)
    out = frame_for(inputs, _ids_by_unit(insp, "inspection_id"), values=counts)
    out["detail"] = [_p2_detail(hits[hits["commune_code"] == code]) for code in out.index]
    return out


def _establishment_incidents(inputs: ClassificationInputs, period: Period) -> pd.DataFrame:
    """The period's prostitution incidents dealt with at an establishment, with its unit."""
    codes, inc = inputs.codes, inputs.incidents
    inc = inc[inc["incident_kind"].isin(codes.prostitution_kinds) & inc["outcome"].isin(codes.busted_outcomes)
              & inc["establishment_id"].notna() & _in_period(inc["event_date"], period)]
    units = inputs.establishments.set_index("establishment_id")["commune_code"]
    inc = inc.assign(commune_code=inc["establishment_id"].map(units))
    return inc[inc["commune_code"].notna()]


def _p2_detail(hits: pd.DataFrame) -> dict | None:
    """The establishments of one unit behind P2, and the records that found them."""
    if hits.empty:
        return None
    def ids(column):
        return sorted(int(i) for i in hits[column].dropna()) if column in hits else []
    return {"establishment_ids": ids("establishment_id"), "inspection_ids": ids("inspection_id"),
            "incident_ids": ids("incident_id")}


def _share(inputs: ClassificationInputs, flagged: pd.Series) -> pd.DataFrame:
    """Share of each unit's active establishments where ``flagged``; 1.0 with none (vacuous)."""
    est = inputs.establishments
    mask = est["commune_code"].notna() & est["status"].eq("active")
    frame = est[mask].assign(flag=flagged[mask].fillna(False).astype(bool))
    share = frame.groupby("commune_code")["flag"].mean()
    share.index = share.index.astype(str)
    return frame_for(inputs, _ids_by_unit(frame[frame["flag"]], "establishment_id"),
                     values=share, default=1.0)


@indicator("commitment_share")
def commitment_share(inputs: ClassificationInputs, *, period: Period, criterion: str = ""):
    """Share of active at-risk establishments with a signed commitment (unknown counts as not)."""
    return _share(inputs, inputs.establishments["commitment_signed"].astype("boolean"))


@indicator("inspected_share")
def inspected_share(inputs: ClassificationInputs, *, period: Period, criterion: str = ""):
    """Share of active establishments inspected at least once in the period."""
    insp = inputs.inspections
    seen = set(insp.loc[_in_period(insp["inspection_date"], period), "establishment_id"])
    return _share(inputs, inputs.establishments["establishment_id"].isin(seen))


def _reports_within(inputs: ClassificationInputs, period: Period, codes) -> pd.DataFrame:
    """Report rows of ``codes`` whose period lies inside the evaluated one."""
    rep = inputs.reports[inputs.reports["indicator_code"].isin(codes)]
    inside = {label: _within(label, period) for label in rep["period"].unique()}
    return rep[rep["period"].map(inside).astype(bool)]


def _within(label: str, period: Period) -> bool:
    window = parse_period(label, convention=period.convention)
    return period.start <= window.start and window.end <= period.end


def _records_else_reports(inputs: ClassificationInputs, records: tuple[pd.Series, dict],
                          reports: tuple[pd.Series, dict], source: str) -> pd.DataFrame:
    """Per unit the value from its records of the period, else the value it reported, else NaN.

    criteria.md §3 measures P6 and P7 from records (``activity``, ``tip``); data-realities.md §7.3
    keeps a commune's reported aggregate next to what records derive, so a commune that sent only its
    report (``commune_report``) is still assessed from it. ``detail["source"]`` says which one counted;
    the evidence are the ids of that source's rows.
    """
    (by_records, record_ids), (by_reports, report_ids) = records, reports
    by_records.index, by_reports.index = by_records.index.astype(str), by_reports.index.astype(str)
    values = by_records.combine_first(by_reports)
    evidence = {c: record_ids.get(c, []) if c in by_records.index else report_ids.get(c, [])
                for c in values.index}
    out = frame_for(inputs, evidence, values=values, default=np.nan)
    out["detail"] = [{"source": source} if c in by_records.index else
                     {"source": "commune_report"} if c in by_reports.index else None for c in out.index]
    return out


def _placed_in(frame: pd.DataFrame, day_column: str, period: Period) -> pd.DataFrame:
    return frame[frame["commune_code"].notna() & _in_period(frame[day_column], period)]


@indicator("awareness_activities")
def awareness_activities(inputs: ClassificationInputs, *, period: Period, criterion: str = ""):
    """Awareness activities held in the commune in the period (P6).

    From ``activity`` records; a commune without any in the period counts the activities it
    reported (``commune_report`` awareness_activities); NaN when neither.
    """
    held = _placed_in(inputs.activities, "activity_date", period)
    rep = _reports_within(inputs, period, ["awareness_activities"])
    counted = held.groupby("commune_code")["activity_id"].count().astype(float)
    reported = rep.groupby("commune_code")["value"].sum().astype(float)
    return _records_else_reports(inputs, (counted, _ids_by_unit(held, "activity_id")),
                                 (reported, _ids_by_unit(rep, "report_id")), "activity")


@indicator("tips_handled_share")
def tips_handled_share(inputs: ClassificationInputs, *, period: Period, criterion: str = ""):
    """Tip-offs received in the period and handled by its end, over those received (P7).

    From ``tip`` records (handled: a handled date before the period ends); a commune without any
    tip received in the period takes its reported ``tips_handled / tips_received`` (1.0 when it
    reported none received); NaN when neither.
    """
    tips = _placed_in(inputs.tips, "received_date", period)
    handled = pd.to_datetime(tips["handled_date"]) < pd.Timestamp(period.end)
    shares = handled.groupby(tips["commune_code"]).mean().astype(float)
    rep = _reports_within(inputs, period, ["tips_received", "tips_handled"])
    sums = rep.pivot_table(index="commune_code", columns="indicator_code", values="value",
                           aggfunc="sum").reindex(columns=["tips_received", "tips_handled"])
    received, done = sums["tips_received"], sums["tips_handled"]
    reported = (done / received).where(received > 0, 1.0).where(received.notna() & done.notna()).dropna()
    return _records_else_reports(inputs, (shares, _ids_by_unit(tips, "tip_id")),
                                 (reported, _ids_by_unit(rep, "report_id")), "tip")


@indicator("attestation")
def attestation(inputs: ClassificationInputs, *, period: Period, criterion: str = ""):
    """The officer attestation of ``criterion``: 1.0 holds, 0.0 fails, NaN not attested.

    An attestation applies when its period covers the evaluated one; the latest one wins.
    ``detail`` names who attested, when, and the note.
    """
    att = inputs.attestations
    att = att[(att["criterion_id"] == criterion) & att["commune_code"].notna()]
    covers = {label: _within(period.label, parse_period(label, convention=period.convention))
              for label in att["period"].unique()}
    att = att[att["period"].map(covers).astype(bool)].sort_values(["assessed_at", "assessment_id"])
    latest = att.groupby("commune_code").last()
    latest.index = latest.index.astype(str)
    holds = latest["holds"].map({True: 1.0, False: 0.0})
    out = frame_for(inputs, {c: [r] for c, r in latest["assessment_id"].items()},
                    values=holds, default=np.nan)
    out["detail"] = [_who(latest, c) for c in out.index]
    return out


def _who(latest: pd.DataFrame, code: str) -> dict | None:
    if code not in latest.index:
        return None
    row = latest.loc[code]
    when = row["assessed_at"]
    # an attestation without a note (every ingested one) reads as NaN next to noted ones: JSON has no NaN
    note = None if pd.isna(row["note"]) else row["note"]
    return {"assessed_by": row["assessed_by"], "note": note,
            "assessed_at": when.isoformat() if hasattr(when, "isoformat") else str(when)}
