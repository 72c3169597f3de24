"""The JSON API: communes and their attributes per period, hot spot layers, point layers.

Every endpoint takes ``period`` and ``vintage`` (defaults as on the map) and the map's
filters ``district``, ``kind`` (incident kinds) and ``etype`` (establishment types), comma-
separated; a bad value gets a 400 naming the accepted ones. Point layers (sites,
establishments) are for analysts and above: a viewer gets 403; tip-offs come to a viewer as
counts per commune only (below 3 suppressed).
"""

from __future__ import annotations

import json
from datetime import date, datetime

from flask import Blueprint, Response, abort, current_app, g, jsonify, request

from boundaries.units import simplify_coverage
from geo.periods import last_closed_half
from geo.store.counts import communes_with_counts
from geo.store.map_layers import data_version
from geo.store.units import list_vintages, read_units
from webapp.accounts import has_role
from webapp.auth import audit_request, role_required
from webapp.errors import FilterError
from webapp.i18n import current_language
from webapp.map_cache import cached, make_body, send
from webapp.map_data import commune_payload, criteria_rows, map_request, series_payload
from webapp.map_hotspots import density_payload, hotspot_payload
from webapp.map_points import commune_sites, establishments_payload, sites_payload, tips_payload
from webapp.maps import feature_collection
from webapp.period_status import commune_missing, provisional_result
from webapp.province import current_province_code
from webapp.recognition import recognition_payload
from webapp.selection import current_selection, selection_metadata

bp = Blueprint("api", __name__, url_prefix="/api")

#: The tolerance, in metres, of the communes' detail level (the embedded display level is 50 m).
DETAIL_TOLERANCE_M = 10.0
#: The zoom from which the map shows the detail level.
DETAIL_ZOOM = 12


_BOOLEANS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def json_response(payload, mimetype: str = "application/json") -> Response:
    """``payload`` as JSON (dates in ISO 8601, Vietnamese unescaped)."""
    def default(value):
        if isinstance(value, date | datetime):
            return value.isoformat()
        raise TypeError(f"{type(value).__name__} is not JSON serialisable")
    return Response(json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=default),
                    mimetype=mimetype)


def flag(name: str, default: bool) -> bool:
    """A boolean query parameter (true/false, 1/0, yes/no); 400 for anything else."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() not in _BOOLEANS:
        raise FilterError(f"{name}={raw!r} is not a yes/no value; use true or false")
    return _BOOLEANS[raw.lower()]


@bp.route("/communes")
def communes():
    """GeoJSON FeatureCollection: one feature per commune of the vintage, with its counts.

    Query: ``period`` (default: the last closed half-year), ``vintage`` (default: the one
    valid at the period's start), ``detail=full`` for exact geometry instead of the display
    geometry simplified for maps.
    """
    full = request.args.get("detail") == "full"
    engine = current_app.extensions["diaban.engine"]
    # The key holds what the selection is made of (the query, today's default period, and the
    # vintages through the data revision), so a cached answer costs no reading of the vintages.
    key = ("api.communes", request.args.get("period") or last_closed_half(date.today()).label,
           request.args.get("vintage"), full, current_language(), data_version(engine))
    return cached_response(key, lambda: _communes_body(engine, current_selection(), full),
                           "application/geo+json")


def cached_response(key: tuple, compute, mimetype: str) -> Response:
    """A JSON text from the map cache, encoded and gzip-compressed once, when cached.

    ``key`` must hold everything the text depends on, data version included (see
    ``webapp.map_cache``). The answer has an ETag; a client sending it back gets a 304.
    """
    return send(cached(key, lambda: make_body(compute())), mimetype)


def _communes_body(engine, selection, full: bool) -> str:
    """The /api/communes answer as JSON text (kept in the map cache: its inputs are in the key)."""
    frame, unassigned = communes_with_counts(engine, selection.vintage.id, period=selection.period,
                                             display=not full)
    collection = json.loads(frame.to_json(na="null", drop_id=True, to_wgs84=False))
    for feature, code in zip(collection["features"], frame["commune_code"], strict=True):
        feature["id"] = code
    collection["metadata"] = selection_metadata(selection, unassigned,
                                                geometry="full" if full else "display")
    return json_response(collection).get_data(as_text=True)


@bp.route("/geometry")
def geometry():
    """The communes of the vintage at the map's detail level: the coverage simplified at 10 m.

    The page embeds the 50 m display coverage; when a planner zooms in past
    ``DETAIL_ZOOM`` the script swaps in this one. Both are simplified as a whole coverage, so
    no gap opens between neighbours at any zoom. Geometry only (``id`` = commune code).
    """
    selection = current_selection()
    engine = current_app.extensions["diaban.engine"]
    vintage = selection.vintage.id
    key = ("api.geometry", vintage, DETAIL_TOLERANCE_M, data_version(engine))
    return cached_response(key, lambda: _detail_body(engine, vintage), "application/geo+json")


def _detail_body(engine, vintage: str) -> str:
    units = read_units(engine, vintage)
    units = units.set_geometry(simplify_coverage(units.geometry, DETAIL_TOLERANCE_M))
    collection = feature_collection(units, ["commune_code"])
    for feature in collection["features"]:
        feature["id"] = feature["properties"]["commune_code"]
    return json_response(collection).get_data(as_text=True)


@bp.route("/series")
def series():
    """Incidents and inspections per commune for every period of the map's time slider.

    Also the class breaks of the incident counts (computed over all those periods), each
    period's classification status (newest snapshot), and what no commune took. No geometry:
    the map has it already.
    """
    return json_response(series_payload(_map_request()))


def _map_request():
    """The map selection and filters of the current request, on the app's engine."""
    return map_request(current_app.extensions["diaban.engine"], current_selection())


@bp.route("/communes/<code>")
def commune(code: str):
    """One commune for the map's side panel: its status and every criterion of the snapshot.

    ``recognition`` holds the proposal (đề xuất) and the committee's decision (công nhận) of the
    period's year (``webapp.recognition.recognition_payload``).

    Analysts and above also get the evidence records and the commune's sites with their
    histories; a viewer gets values, pass/fail and evidence counts only. ``missing`` lists the
    criteria the commune lacks data for now, with what to load; without a snapshot,
    ``provisional`` is the status computed now and not stored.
    """
    req, lang = _map_request(), current_language()
    engine = req.engine
    analyst = has_role(g.user, "analyst")
    payload = commune_payload(req, code, analyst=analyst, lang=lang)
    if payload is None:
        abort(404, f"no commune {code!r} in vintage {req.vintage}; /api/communes lists them")
    payload["missing"] = commune_missing(engine, req.vintage, req.selection.period, code, lang=lang)
    payload["provisional"] = None if payload["classification"] else _provisional(req, code, analyst, lang)
    if analyst:
        payload["sites"] = commune_sites(req, code)
    payload["recognition"] = recognition_payload(engine, req.vintage, code, period=req.selection.period.label)
    return json_response(payload)


def _provisional(req, code: str, analyst: bool, lang: str) -> dict | None:
    """The commune's unstored status and criteria, shaped as a snapshot's (``"stored": False``)."""
    found = provisional_result(req.engine, req.vintage, req.selection.period, code)
    if found is None:
        return None
    meta, result = found
    return {**meta.summary(), "status": result["status"], "score": result["score"],
            "criteria": criteria_rows(req.engine, meta, result["criteria"], analyst=analyst, lang=lang)}


@bp.route("/hotspots")
def hotspots():
    """Gi* classes (``method=gi``, ``unit=commune|grid``) or emerging categories (``method=emerging``).

    ``fdr=true|false`` (default true) applies the Benjamini-Hochberg correction. The grid
    answer lists only cells in a significant class, as GeoJSON.
    """
    req = _map_request()
    return json_response(hotspot_payload(req, method=request.args.get("method", "gi"),
                                         unit=request.args.get("unit", "commune"),
                                         fdr=flag("fdr", True)))


@bp.route("/density")
def density():
    """Kernel density contours of the period's incidents, levels fixed across the slider's periods."""
    return json_response(density_payload(_map_request()))


@bp.route("/sites")
@role_required("analyst")
def sites():
    """Sites with their state at the period's end and their history (analysts and above)."""
    payload = sites_payload(_map_request())
    audit_request("read.sites", returned=len(payload["features"]))
    return json_response(payload, "application/geo+json")


@bp.route("/establishments")
@role_required("analyst")
def establishments():
    """Establishments with their last inspection outcome by the period's end (analysts and above)."""
    payload = establishments_payload(_map_request())
    audit_request("read.establishments", returned=len(payload["features"]))
    return json_response(payload, "application/geo+json")


@bp.route("/tips")
def tips():
    """Tip-offs received in the period: points for analysts and above, counts per commune for viewers.

    A viewer gets ``counts`` only, 1 and 2 written ``"<3"``, and never a point.
    """
    analyst = has_role(g.user, "analyst")
    payload = tips_payload(_map_request(), points=analyst)
    if analyst:
        audit_request("read.tips", returned=len(payload["features"]))
    return json_response(payload, "application/geo+json" if analyst else "application/json")


@bp.route("/vintages")
def vintages():
    """The loaded boundary vintages with their unit counts."""
    rows = list_vintages(current_app.extensions["diaban.engine"], current_province_code())
    return jsonify([row.as_dict() for row in rows])
