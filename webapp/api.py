"""The JSON API: communes with their counts as GeoJSON, and the loaded vintages."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, jsonify, request

from geo.store.counts import communes_with_counts, data_as_of
from geo.store.units import list_vintages
from webapp.selection import Selection, current_selection

bp = Blueprint("api", __name__, url_prefix="/api")

METHOD = "count per commune: point in polygon (boundary included, lowest code on a shared edge); " \
         "records with only a commune reference counted in that commune when it is of this vintage"


def selection_metadata(selection: Selection, unassigned: dict, *, geometry: str) -> dict:
    """What a map or an export must state: period, vintage, data as-of, method, gaps."""
    status = data_as_of(current_app.extensions["diaban.engine"])
    return {
        "period": selection.period.label,
        "period_start": selection.period.start.isoformat(),
        "period_end_exclusive": selection.period.end.isoformat(),
        "vintage": selection.vintage["id"],
        "vintage_label": selection.vintage["label"],
        "data_as_of": status["as_of"].isoformat() if status["as_of"] else None,
        "synthetic": status["synthetic"],
        "method": METHOD,
        "unassigned": unassigned,
        "geometry": geometry,
        "crs": "EPSG:4326",
    }


@bp.route("/communes")
def communes():
    """GeoJSON FeatureCollection: one feature per commune of the vintage, with its counts.

    Query: ``period`` (default: the last closed half-year), ``vintage`` (default: the one
    valid at the period's start), ``detail=full`` for exact geometry instead of the display
    geometry simplified for maps.
    """
    selection = current_selection()
    full = request.args.get("detail") == "full"
    frame, unassigned = communes_with_counts(current_app.extensions["diaban.engine"],
                                             selection.vintage["id"], selection.period,
                                             display=not full)
    collection = json.loads(frame.to_json(na="null", drop_id=True, to_wgs84=False))
    for feature, code in zip(collection["features"], frame["commune_code"], strict=True):
        feature["id"] = code
    collection["metadata"] = selection_metadata(selection, unassigned,
                                                geometry="full" if full else "display")
    return Response(json.dumps(collection, ensure_ascii=False), mimetype="application/geo+json")


@bp.route("/vintages")
def vintages():
    """The loaded boundary vintages with their unit counts."""
    rows = list_vintages(current_app.extensions["diaban.engine"])
    for row in rows:
        row["valid_from"] = row["valid_from"].isoformat()
        row["valid_to"] = row["valid_to"].isoformat() if row["valid_to"] else None
    return jsonify(rows)
