"""``diaban reactivation`` and ``diaban history``: cleared sites that come back, and a place's record.

Click shells over :mod:`webapp.workflows.reactivation`, which reads the records through
``geo.store`` and hands them to the pure engine ``geo.reactivation``. Output never carries
a person (the store holds none) nor an establishment's name: establishments appear by id
and type.
"""

from __future__ import annotations

from datetime import date

import click

from webapp.commands import engine_for, print_json
from webapp.workflows.defaults import (
    AT_RISK_TOP,
    HISTORY_RADIUS_M,
    REACTIVATION_RADIUS_M,
    REACTIVATION_WINDOW_DAYS,
)
from webapp.workflows.reactivation import place_history, reactivation_report, read_inputs

TRIGGERS = {"incident": "incident", "inspection": "inspection", "recorded": "officer's record, event",
            "recleared": "re-clearing, event"}


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


@click.command("reactivation")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Assessment day YYYY-MM-DD (default: today); later records are ignored.")
@click.option("--radius-m", type=click.FloatRange(min=0, min_open=True), default=REACTIVATION_RADIUS_M,
              show_default=True,
              help="Metres within which an incident or violation reactivates a cleared site.")
@click.option("--window-days", type=click.IntRange(min=0), default=REACTIVATION_WINDOW_DAYS,
              show_default=True,
              help="Days after each clearing in which evidence counts; 0 for no limit.")
@click.option("--top", type=click.IntRange(min=1), default=AT_RISK_TOP, show_default=True,
              help="Length of the at-risk list.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def reactivation(ctx, as_of, radius_m, window_days, top, as_json):
    """Cleared sites (triệt xóa) that came back (tái hoạt động), time to reactivation, at-risk list."""
    day = as_of.date() if as_of else date.today()
    inputs = read_inputs(engine_for(ctx), day)
    report = reactivation_report(inputs, as_of=day, radius_m=radius_m, window_days=window_days or None,
                                 top=top)
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
@click.option("--radius-m", type=click.FloatRange(min=0, min_open=True), default=HISTORY_RADIUS_M,
              show_default=True, help="Search radius in metres.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.pass_context
def history(ctx, lon, lat, radius_m, as_json):
    """Every violation, site event and incident ever recorded within a radius of a place."""
    report = place_history(engine_for(ctx), lon, lat, radius_m=radius_m)
    rows = report["records"]
    if as_json:
        print_json(report)
        return
    click.echo(f"Lịch sử địa điểm / history within {radius_m:g} m of ({lon}, {lat}): {len(rows)} records")
    for r in rows:
        place = f"site {r['site_id']}" if r["site_id"] is not None else ""
        if r["establishment_id"] is not None:
            place += f" establishment {r['establishment_id']} ({r['establishment_type']})"
        click.echo(f"  {r['date'] or 'undated'}  {r['record']} {r['record_id']}: {r['kind']}  "
                   f"{place.strip()}  {r['distance_m']} m")
