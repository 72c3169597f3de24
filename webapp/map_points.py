"""Point layers of the map, for analysts and above only: sites, establishments, tip-offs.

Tip-offs are the one layer a viewer also gets, as counts per commune with counts below
:data:`SUPPRESS_BELOW` written ``"<3"`` (DOMAIN.md: wider distribution suppresses small counts);
analysts get the points.

Sites carry their state and history, establishments their last inspection outcome.
A site's state at the end of the selected period comes from the reactivation engine with
the defaults of ``diaban reactivation`` (100 m, 365 days): ``active`` (never cleared),
``cleared`` or ``reactivated``; a site first recorded after that day is not shown. Sites
never carry their descriptor, incidents never a person.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from geo.join import place_records
from geo.reactivation import track_reactivations
from geo.store.counts import count_tips
from geo.store.map_layers import data_version, establishments_with_outcome
from geo.store.records import read_establishments, read_tips
from geo.store.units import read_units
from webapp.map_cache import cached
from webapp.map_data import MapRequest
from webapp.maps import feature_collection
from webapp.workflows.defaults import REACTIVATION_RADIUS_M, REACTIVATION_WINDOW_DAYS
from webapp.workflows.reactivation import read_inputs

#: The reactivation engine's defaults, as ``diaban reactivation`` uses them.
REACTIVATION = {"radius_m": REACTIVATION_RADIUS_M, "window_days": REACTIVATION_WINDOW_DAYS}
#: Counts of tip-offs below this are shown to viewers as "<3", never exactly.
SUPPRESS_BELOW = 3
#: What a tip point carries: when, what about, how it was handled; never who told or a reference.
TIP_PROPERTIES = ["tip_id", "received_date", "category", "channel", "result", "verified_date",
                  "handled_date", "commune_code"]


def as_of_day(req: MapRequest, today: date | None = None) -> date:
    """The day point layers describe: the selected period's last day, or today if earlier."""
    return min(req.selection.period.end - timedelta(days=1), today or date.today())


def _placed(req: MapRequest, frame, *, keep_all: bool = False):
    """``frame`` with ``commune_code`` on the request's vintage, kept to its communes and the filters.

    Points outside every commune of the vintage (e.g. former Bình Phước on the 2010 map) are
    not drawn: the map shows that vintage's province. ``keep_all`` keeps every row.
    """
    communes = read_units(req.engine, req.vintage)
    frame = frame.assign(commune_code=place_records(frame, communes, vintage=req.vintage))
    return frame if keep_all else frame[frame["commune_code"].isin(req.visible_codes())]


def site_states(req: MapRequest):
    """Sites recorded by the as-of day with their state, and every site's timeline.

    Returns
    -------
    (GeoDataFrame, DataFrame, dict)
        Sites (``site_id, site_kind, status, n_clearings, n_reactivations, last_cleared,
        last_reactivated, commune_code``, points in EPSG:4326), the timeline (``site_id, date,
        event, origin``) up to that day, and the engine's parameters.
    """
    engine = req.engine
    day = as_of_day(req)

    def compute():
        inputs = read_inputs(engine, day)
        result = track_reactivations(inputs["sites"], inputs["events"], inputs["evidence"], as_of=day,
                                     **REACTIVATION)
        events = inputs["events"]
        seen = events.loc[pd.to_datetime(events["event_date"]) <= pd.Timestamp(day), "site_id"]
        sites = result.sites[result.sites["site_id"].isin(set(seen))]
        sites = _placed(req, sites.drop(columns=["commune_code"]))
        timeline = result.timeline[pd.to_datetime(result.timeline["date"]) <= pd.Timestamp(day)]
        return sites, timeline[["site_id", "date", "event", "origin"]], {**result.params, "as_of": day}

    key = ("sites", day, req.vintage, req.selection.vintage.import_batch_id, req.filters.district,
           data_version(engine))
    return cached(key, compute)


def sites_payload(req: MapRequest) -> dict:
    """GeoJSON of the sites (state, kind, commune, history) with the engine's parameters."""
    sites, timeline, params = site_states(req)
    collection = feature_collection(sites, ["site_id", "site_kind", "status", "n_clearings",
                                            "n_reactivations", "last_cleared", "last_reactivated",
                                            "commune_code"])
    histories = history_by_site(timeline)
    for feature in collection["features"]:
        feature["properties"]["history"] = histories.get(feature["properties"]["site_id"], [])
    counts = sites["status"].value_counts()
    collection["metadata"] = {"as_of": params["as_of"].isoformat(), "radius_m": params["radius_m"],
                              "window_days": params["window_days"],
                              "counts": {k: int(v) for k, v in counts.items()}}
    return collection


def history_by_site(timeline: pd.DataFrame) -> dict[int, list[dict]]:
    """``{site_id: [{"date", "event", "origin"}, …]}`` in date order."""
    out: dict[int, list[dict]] = {}
    for row in timeline.itertuples(index=False):
        out.setdefault(int(row.site_id), []).append(
            {"date": pd.Timestamp(row.date).date().isoformat(), "event": row.event, "origin": row.origin})
    return out


def commune_sites(req: MapRequest, code: str) -> list[dict]:
    """The sites of one commune with their state and history, for the side panel."""
    sites, timeline, _ = site_states(req)
    histories = history_by_site(timeline)
    mine = sites[sites["commune_code"] == code]
    return [{"site_id": int(r.site_id), "site_kind": r.site_kind, "status": r.status,
             "history": histories.get(int(r.site_id), [])} for r in mine.itertuples()]


def establishments_payload(req: MapRequest) -> dict:
    """GeoJSON of the establishments (filtered by type and district) with their last outcome.

    Properties, short as there are thousands: ``id``, ``type``, ``name``, ``signed`` (the
    commitment), ``outcome`` and ``inspected`` (date) of the last inspection by the as-of day.
    """
    engine = req.engine
    day = as_of_day(req)
    types = req.filters.establishment_types
    frame = establishments_with_outcome(engine, before=day + timedelta(days=1),
                                        types=list(types) if types else None, names=True)
    key = ("establishment-communes", req.vintage, req.selection.vintage.import_batch_id,
           data_version(engine))
    codes = cached(key, lambda: _placed(req, read_establishments(engine), keep_all=True)
                   .set_index("establishment_id")["commune_code"])  # placed once per vintage and data
    frame = frame.assign(commune_code=frame["establishment_id"].map(codes))
    frame = frame[frame["commune_code"].isin(req.visible_codes())]
    frame = frame.rename(columns={"establishment_id": "id", "establishment_type": "type",
                                  "commitment_signed": "signed", "last_outcome": "outcome",
                                  "last_inspection": "inspected"})
    collection = feature_collection(frame, ["id", "type", "name", "signed", "outcome", "inspected"])
    counts = frame["outcome"].fillna("none").value_counts()
    collection["metadata"] = {"as_of": day.isoformat(), "counts": {k: int(v) for k, v in counts.items()}}
    return collection


def suppressed(count: int) -> int | str:
    """A count as a viewer may see it: ``"<3"`` for 1 and 2, else the count.

    Examples
    --------
    >>> [suppressed(n) for n in (0, 1, 2, 3, 17)]
    [0, '<3', '<3', 3, 17]
    """
    return "<3" if 0 < count < SUPPRESS_BELOW else int(count)


def tips_payload(req: MapRequest, *, points: bool) -> dict:
    """Tip-offs received in the selected period: counts per commune, and the points for analysts.

    Returns
    -------
    dict
        ``counts`` (``{commune_code: n}`` of the visible communes with tips; with ``points``
        False, 1 and 2 are ``"<3"``), ``metadata`` (period, vintage, total, unassigned,
        ``suppressed_below``), and with ``points`` a GeoJSON ``type``/``features`` of
        :data:`TIP_PROPERTIES` (points only: tips placed by commune alone have no geometry).
    """
    engine = req.engine
    period = req.selection.period
    counts, unassigned = count_tips(engine, req.vintage, period=period)
    counts = counts[counts.index.isin(req.visible_codes())]
    payload = {"counts": {code: int(n) if points else suppressed(int(n)) for code, n in counts.items()},
               "metadata": {"period": period.label, "vintage": req.vintage,
                            "total": int(counts.sum()) if points else suppressed(int(counts.sum())),
                            "unassigned": unassigned if points else suppressed(unassigned),
                            "suppressed_below": None if points else SUPPRESS_BELOW}}
    if points:
        tips = _placed(req, read_tips(engine, start=period.start, end=period.end))
        tips = tips[tips.geometry.notna()]
        payload |= feature_collection(tips, TIP_PROPERTIES)
    return payload
