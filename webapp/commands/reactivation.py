"""``diaban reactivation`` and ``diaban history``: cleared sites that come back, and a place's record.

Both read the records through ``geo.store`` and hand them to the pure engine
``geo.reactivation``. Output never carries a person (the store holds none) nor an
establishment's name: establishments appear by id and type.
"""

from __future__ import annotations

from datetime import date, timedelta

import click
import pandas as pd

from geo.join import assign_units, place_records
from geo.reactivation import (
    DEFAULT_RADIUS_M,
    DEFAULT_WINDOW_DAYS,
    collect_evidence,
    location_history,
    rank_at_risk,
    survival_summary,
    track_reactivations,
)
from geo.store.records import read_establishments, read_incidents, read_inspections, read_sites
from geo.store.units import list_vintages, read_units
from webapp.commands import engine_for, json_ready, json_ready_dict, print_json

AT_RISK = {"radius_m": 500.0, "lookback_days": 90, "half_life_days": 30.0}
TRIGGERS = {"incident": "incident", "inspection": "inspection", "recorded": "officer's record, event",
            "recleared": "re-clearing, event"}


def records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows of ``frame`` as JSON-ready dicts with the given columns."""
    return [{c: json_ready(row[c]) for c in columns} for _, row in frame.iterrows()]


def read_inputs(engine, as_of: date) -> dict:
    """Sites (with their current commune), site events and evidence dated up to ``as_of``."""
    end = as_of + timedelta(days=1)
    with engine.connect() as conn:
        sites, events = read_sites(conn)
        incidents = read_incidents(conn, end=end)
        inspections = read_inspections(conn, end=end)
        vintages = list_vintages(conn)
        vintage = vintages[-1]["id"]
        units = read_units(conn, vintage)
        # Districts were abolished on 2025-07-01: group by those of the latest vintage having them.
        with_districts = [v["id"] for v in vintages if v["units"].get("district")]
        districts = read_units(conn, with_districts[-1], level="district") if with_districts else None
    sites = sites.assign(commune_code=place_records(sites, units, vintage=vintage))
    district = (assign_units(sites, districts)["unit_code"] if districts is not None
                else pd.Series(pd.NA, index=sites.index, dtype="string"))
    sites = sites.assign(district_code=district)
    return {"sites": sites, "events": events, "evidence": collect_evidence(incidents, inspections),
            "vintage": vintage, "district_vintage": with_districts[-1] if with_districts else None}


def reactivation_report(inputs: dict, *, as_of: date, radius: float, window: int | None, top: int) -> dict:
    """Detection, survival summaries and the at-risk list as one JSON-ready dict."""
    result = track_reactivations(inputs["sites"], inputs["events"], inputs["evidence"], as_of=as_of,
                                 radius_m=radius, window_days=window)
    at_risk = rank_at_risk(result.sites, inputs["evidence"], as_of=as_of, top=top, **AT_RISK)
    clearings = result.clearings
    site_cols = ["site_id", "site_kind", "commune_code", "status", "n_clearings", "n_reactivations",
                 "last_cleared", "last_reactivated"]
    spell_cols = ["cleared_event_id", "cleared_date", "end_date", "end_reason", "reactivated",
                  "reactivation_date", "trigger", "trigger_id", "days_to_reactivation", "followup_days",
                  "incident_ids", "inspection_ids", "event_ids"]
    sites = records(result.sites, site_cols)
    for site in sites:
        site["clearings"] = records(clearings[clearings["site_id"] == site["site_id"]], spell_cols)
    survival = {"overall": records(survival_summary(clearings), _summary_cols()),
                "by_site_kind": records(survival_summary(clearings, by="site_kind"), _summary_cols()),
                "by_commune": records(survival_summary(clearings, by="commune_code"), _summary_cols()),
                "by_district": records(survival_summary(clearings, by="district_code"), _summary_cols()),
                "district_vintage": inputs["district_vintage"]}
    status = result.sites["status"].value_counts()
    return {
        "as_of": as_of, "vintage": inputs["vintage"], "params": json_ready_dict(result.params),
        "counts": json_ready_dict(result.counts),
        "status": {s: int(status.get(s, 0)) for s in ("active", "cleared", "reactivated")},
        "sites": sites, "survival": survival,
        "at_risk": {"params": AT_RISK | {"top": top},
                    "sites": records(at_risk, list(at_risk.columns))},
    }


def _spell_text(c: dict) -> str:
    """One clearing spell in words: its reactivation and evidence, or how long it held."""
    if not c["reactivated"]:
        return f"not reactivated to {c['end_date']}"
    return (f"reactivated {c['reactivation_date']} ({TRIGGERS[c['trigger']]} #{c['trigger_id']}); "
            f"evidence incidents {c['incident_ids']}, inspections {c['inspection_ids']}, "
            f"events {c['event_ids']}")


def _fmt(value, digits: int = 2) -> str:
    """A number for the text report ('–' when missing)."""
    return "–" if value is None else f"{value:.{digits}f}"


def _summary_cols() -> list[str]:
    return ["group", "spells", "reactivated", "censored", "median_days", "survival_90d",
            "survival_180d", "survival_365d"]


@click.command("reactivation")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Assessment day YYYY-MM-DD (default: today); later records are ignored.")
@click.option("--radius", type=click.FloatRange(min=0, min_open=True), default=DEFAULT_RADIUS_M,
              show_default=True,
              help="Metres within which an incident or violation reactivates a cleared site.")
@click.option("--window", type=click.IntRange(min=0), default=DEFAULT_WINDOW_DAYS, show_default=True,
              help="Days after each clearing in which evidence counts; 0 for no limit.")
@click.option("--top", type=click.IntRange(min=1), default=10, show_default=True,
              help="Length of the at-risk list.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def reactivation(ctx, as_of, radius, window, top, as_json):
    """Cleared sites (triệt xóa) that came back (tái hoạt động), time to reactivation, at-risk list."""
    day = as_of.date() if as_of else date.today()
    inputs = read_inputs(engine_for(ctx), day)
    report = reactivation_report(inputs, as_of=day, radius=radius, window=window or None, top=top)
    if as_json:
        print_json(report)
    else:
        _echo_report(report)


def _echo_report(report: dict) -> None:
    """The report as text: sites with reactivations, survival summary, at-risk list."""
    p, s = report["params"], report["status"]
    window = f"{p['window_days']} days" if p["window_days"] else "no limit"
    click.echo(f"Tái hoạt động / reactivation as of {report['as_of']} (radius {p['radius_m']:g} m, "
               f"window {window}; communes of vintage {report['vintage']})")
    click.echo(f"{sum(s.values())} sites: {s['reactivated']} reactivated, {s['cleared']} cleared, "
               f"{s['active']} never cleared; {report['counts']['clearings']} clearings, "
               f"{report['counts']['reactivations']} reactivations")
    for site in report["sites"]:
        click.echo(f"site {site['site_id']} ({site['site_kind']}, commune {site['commune_code']}): "
                   f"{site['status']}")
        for c in site["clearings"]:
            click.echo(f"  cleared {c['cleared_date']}: {_spell_text(c)}")
    click.echo("Thời gian đến tái hoạt động / time to reactivation (Kaplan–Meier, days):")
    for row in report["survival"]["overall"] + report["survival"]["by_site_kind"]:
        share = "/".join(_fmt(row[f"survival_{h}d"]) for h in (90, 180, 365))
        click.echo(f"  {row['group']}: {row['spells']} clearings, {row['reactivated']} reactivated, "
                   f"median {_fmt(row['median_days'], 0)} days, still cleared after 90/180/365 days: {share}")
    risk = report["at_risk"]["params"]
    click.echo(f"Nguy cơ / at risk (cleared sites, activity within {risk['radius_m']:g} m in the last "
               f"{risk['lookback_days']} days):")
    for row in report["at_risk"]["sites"]:
        click.echo(f"  {row['rank']}. site {row['site_id']} ({row['site_kind']}) score {row['score']:.2f}: "
                   f"{row['n_events']} events, nearest {row['nearest_m']} m, last {row['last_event_date']}")
    if not report["at_risk"]["sites"]:
        click.echo("  none")


@click.command("history")
@click.option("--lon", type=click.FloatRange(-180, 180), required=True, help="Longitude (EPSG:4326).")
@click.option("--lat", type=click.FloatRange(-90, 90), required=True, help="Latitude (EPSG:4326).")
@click.option("--radius", type=click.FloatRange(min=0, min_open=True), default=100.0, show_default=True,
              help="Search radius in metres.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def history(ctx, lon, lat, radius, as_json):
    """Every violation, site event and incident ever recorded within a radius of a place."""
    with engine_for(ctx).connect() as conn:
        sites, events = read_sites(conn)
        found = location_history(
            lon, lat, sites=sites, site_events=events, incidents=read_incidents(conn),
            inspections=read_inspections(conn),
            establishments=read_establishments(conn)[["establishment_id", "establishment_type"]],
            radius_m=radius)
    rows = records(found, list(found.columns))
    counts = found["record"].value_counts()
    report = {"lon": lon, "lat": lat, "radius_m": radius, "counts": {k: int(v) for k, v in counts.items()},
              "records": rows}
    if as_json:
        print_json(report)
        return
    click.echo(f"Lịch sử địa điểm / history within {radius:g} m of ({lon}, {lat}): {len(rows)} records")
    for r in rows:
        place = f"site {r['site_id']}" if r["site_id"] is not None else ""
        if r["establishment_id"] is not None:
            place += f" establishment {r['establishment_id']} ({r['establishment_type']})"
        click.echo(f"  {r['date'] or 'undated'}  {r['record']} {r['record_id']}: {r['kind']}  "
                   f"{place.strip()}  {r['distance_m']} m")
