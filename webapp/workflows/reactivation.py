"""Cleared sites that come back: the inputs of the reactivation engine, its report, a place's record.

``diaban reactivation`` and ``diaban history``, the map's site layer, the dashboard's
at-risk list and the briefing read the records here (:func:`read_inputs`) and hand them to
the pure engine ``geo.reactivation`` with the defaults of :mod:`webapp.workflows.defaults`.
Output never carries a person (the store holds none) nor an establishment's name:
establishments appear by id and type.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from geo.join import assign_units, place_records
from geo.reactivation import (
    collect_evidence,
    location_history,
    rank_at_risk,
    survival_summary,
    track_reactivations,
)
from geo.store.records import read_establishments, read_incidents, read_inspections, read_sites
from geo.store.units import list_vintages, read_units
from webapp.workflows.defaults import AT_RISK, AT_RISK_TOP, HISTORY_RADIUS_M
from webapp.workflows.jsonable import json_ready_dict, json_records

#: The columns of a site, a clearing spell and a survival summary in the report.
SITE_COLUMNS = ["site_id", "site_kind", "commune_code", "status", "n_clearings", "n_reactivations",
                "last_cleared", "last_reactivated"]
SPELL_COLUMNS = ["cleared_event_id", "cleared_date", "end_date", "end_reason", "reactivated",
                 "reactivation_date", "trigger", "trigger_id", "days_to_reactivation", "followup_days",
                 "incident_ids", "inspection_ids", "event_ids"]
SUMMARY_COLUMNS = ["group", "spells", "reactivated", "censored", "median_days", "survival_90d",
                   "survival_180d", "survival_365d"]


def read_inputs(engine, as_of: date) -> dict:
    """Sites (with their current commune), site events and evidence dated up to ``as_of``."""
    end = as_of + timedelta(days=1)
    with engine.connect() as conn:
        sites, events = read_sites(conn)
        incidents = read_incidents(conn, end=end)
        inspections = read_inspections(conn, end=end)
        vintages = list_vintages(conn)
        vintage = vintages[-1].id
        units = read_units(conn, vintage)
        # Districts were abolished on 2025-07-01: group by those of the latest vintage having them.
        with_districts = [v.id for v in vintages if v.units.get("district")]
        districts = read_units(conn, with_districts[-1], level="district") if with_districts else None
    sites = sites.assign(commune_code=place_records(sites, units, vintage=vintage))
    district = (assign_units(sites, districts, code_column="district_code")["district_code"]
                if districts is not None else pd.Series(pd.NA, index=sites.index, dtype="string"))
    sites = sites.assign(district_code=district)
    return {"sites": sites, "events": events, "evidence": collect_evidence(incidents, inspections),
            "vintage": vintage, "district_vintage": with_districts[-1] if with_districts else None}


def reactivation_report(inputs: dict, *, as_of: date, radius_m: float, window_days: int | None,
                        top: int = AT_RISK_TOP) -> dict:
    """Detection, survival summaries and the at-risk list as one JSON-ready dict."""
    result = track_reactivations(inputs["sites"], inputs["events"], inputs["evidence"], as_of=as_of,
                                 radius_m=radius_m, window_days=window_days)
    at_risk = rank_at_risk(result.sites, inputs["evidence"], as_of=as_of, top=top, **AT_RISK)
    clearings = result.clearings
    sites = json_records(result.sites, SITE_COLUMNS)
    for site in sites:
        site["clearings"] = json_records(clearings[clearings["site_id"] == site["site_id"]], SPELL_COLUMNS)
    survival = {"overall": json_records(survival_summary(clearings), SUMMARY_COLUMNS),
                "by_site_kind": json_records(survival_summary(clearings, by="site_kind"), SUMMARY_COLUMNS),
                "by_commune": json_records(survival_summary(clearings, by="commune_code"), SUMMARY_COLUMNS),
                "by_district": json_records(survival_summary(clearings, by="district_code"), SUMMARY_COLUMNS),
                "district_vintage": inputs["district_vintage"]}
    status = result.sites["status"].value_counts()
    return {
        "as_of": as_of, "vintage": inputs["vintage"], "params": json_ready_dict(result.params),
        "counts": json_ready_dict(result.counts),
        "status": {s: int(status.get(s, 0)) for s in ("active", "cleared", "reactivated")},
        "sites": sites, "survival": survival,
        "at_risk": {"params": AT_RISK | {"top": top},
                    "sites": json_records(at_risk, list(at_risk.columns))},
    }


def place_history(engine, lon: float, lat: float, *, radius_m: float = HISTORY_RADIUS_M) -> dict:
    """Every violation, site event and incident ever recorded within ``radius_m`` metres of a place.

    Returns
    -------
    dict
        ``lon, lat, radius_m``, ``counts`` per kind of record and the ``records`` (JSON-ready).
    """
    with engine.connect() as conn:
        sites, events = read_sites(conn)
        found = location_history(
            lon, lat, sites=sites, site_events=events, incidents=read_incidents(conn),
            inspections=read_inspections(conn),
            establishments=read_establishments(conn)[["establishment_id", "establishment_type"]],
            radius_m=radius_m)
    counts = found["record"].value_counts()
    return {"lon": lon, "lat": lat, "radius_m": radius_m, "counts": {k: int(v) for k, v in counts.items()},
            "records": json_records(found, list(found.columns))}
