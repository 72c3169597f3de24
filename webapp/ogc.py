"""OGC API – Features Part 1 (Core + GeoJSON) at /ogc, so QGIS, ArcGIS and GDAL connect directly.

The layers come from :mod:`geo.store.features` (filtering and paging run in SQL). Access is
role-checked here: a ``viewer`` sees the commune layers only (commune-level data); the point
layers are listed and served to ``analyst`` and above. A login limited to one province (or a
request naming ``?province=``) sees that province's commune layers and the points inside it
only. Clients log in or send
``Authorization: Bearer TOKEN`` (:mod:`webapp.auth`).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

from flask import Blueprint, Response, abort, current_app, g, request, url_for

from geo.store.features import layer_extent, list_layers, read_feature, read_feature_page
from webapp.accounts import has_role
from webapp.auth import audit_request
from webapp.errors import OgcRequestError
from webapp.province import service_province_code

bp = Blueprint("ogc", __name__, url_prefix="/ogc")

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
]
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
DEFAULT_LIMIT, MAX_LIMIT = 10, 10_000
#: The largest ``offset`` accepted (far beyond any layer; larger would overflow the database's integer).
MAX_OFFSET = 1_000_000_000
JSON, GEOJSON = "application/json", "application/geo+json"


@bp.route("/")
def landing():
    """The landing page: links to itself, the conformance classes and the collections."""
    _check_format()
    return _json({
        "title": "diaban – OGC API – Features",
        "description": "Communes of each boundary vintage and, for analysts, the point layers.",
        "links": [_link("ogc.landing", "self", JSON, "This document"),
                  _link("ogc.conformance", "conformance", JSON, "Conformance classes"),
                  _link("ogc.collections", "data", JSON, "Collections")],
    })


@bp.route("/conformance")
def conformance():
    """The conformance classes implemented: Core and GeoJSON."""
    _check_format()
    return _json({"conformsTo": CONFORMANCE})


@bp.route("/collections")
def collections():
    """Every collection the user may read, with its extent and links."""
    _check_format()
    engine = current_app.extensions["diaban.engine"]
    return _json({
        "links": [_link("ogc.collections", "self", JSON, "Collections")],
        "collections": [_describe(engine, layer) for layer in _visible_layers(engine)],
    })


@bp.route("/collections/<collection_id>")
def collection(collection_id: str):
    """One collection: title, extent (CRS84 bbox, date interval) and the items link."""
    _check_format()
    engine = current_app.extensions["diaban.engine"]
    return _json(_describe(engine, _layer(engine, collection_id)))


@bp.route("/collections/<collection_id>/items")
def items(collection_id: str):
    """A page of features: ``limit``, ``offset``, ``bbox`` (CRS84), ``datetime``; GeoJSON."""
    _check_format()
    engine = current_app.extensions["diaban.engine"]
    layer = _layer(engine, collection_id)
    limit, offset = _paging(request.args)
    start, end = _interval(request.args.get("datetime"))
    matched, features = read_feature_page(engine, layer["id"], bbox=_bbox(request.args),
                                          start=start, end=end, limit=limit, offset=offset,
                                          province=service_province_code())
    _audit_points(layer, returned=len(features))
    links = [_page_link("self", offset, limit), _link("ogc.collection", "collection", JSON,
                                                      "The collection", collection_id=layer["id"])]
    if offset + len(features) < matched:
        links.append(_page_link("next", offset + limit, limit))
    if offset > 0:
        links.append(_page_link("prev", max(offset - limit, 0), limit))
    return _json({"type": "FeatureCollection", "features": features, "numberMatched": matched,
                  "numberReturned": len(features), "links": links,
                  "timeStamp": datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")},
                 GEOJSON)


@bp.route("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str):
    """One feature by id (a commune code, or a record id); 404 when absent."""
    _check_format()
    engine = current_app.extensions["diaban.engine"]
    layer = _layer(engine, collection_id)
    feature = read_feature(engine, layer["id"], feature_id, province=service_province_code())
    if feature is None:
        abort(404, f"no feature {feature_id!r} in collection {layer['id']!r}")
    _audit_points(layer, returned=1)
    feature["links"] = [
        _link("ogc.item", "self", GEOJSON, "This feature", collection_id=layer["id"], feature_id=feature_id),
        _link("ogc.collection", "collection", JSON, "The collection", collection_id=layer["id"])]
    return _json(feature, GEOJSON)


def _audit_points(layer: dict, *, returned: int) -> None:
    """Audit a read of a point layer (records, not commune aggregates) as ``read.ogc``."""
    if layer["kind"] != "communes":
        audit_request("read.ogc", collection=layer["id"], returned=returned)


def _visible_layers(engine) -> list[dict]:
    """The layers the current user may read: communes for everyone, points for analyst+."""
    return [layer for layer in list_layers(engine, province=service_province_code())
            if layer["kind"] == "communes" or has_role(g.user, "analyst")]


def _layer(engine, collection_id: str) -> dict:
    """The layer of ``collection_id``: 404 when unknown, 403 when the role may not read it."""
    layers = {layer["id"]: layer for layer in list_layers(engine, province=service_province_code())}
    if collection_id not in layers:
        abort(404, f"no collection {collection_id!r}")
    layer = layers[collection_id]
    if layer["kind"] != "communes" and not has_role(g.user, "analyst"):
        abort(403, f"collection {collection_id!r} needs the analyst role")
    return layer


def _describe(engine, layer: dict) -> dict:
    """The collection document of ``layer``."""
    extent = layer_extent(engine, layer["id"], province=service_province_code())
    described = {"id": layer["id"], "title": layer["title"], "itemType": "feature",
                 "crs": [CRS84], "extent": {"spatial": {"bbox": [extent["bbox"] or [-180, -90, 180, 90]],
                                                        "crs": CRS84}}}
    if extent["interval"] is not None:
        described["extent"]["temporal"] = {
            "interval": [[d.isoformat() if d else None for d in extent["interval"]]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"}
    if layer["kind"] == "communes":
        described["description"] = f"Communes of boundary vintage {layer['vintage']} (GSO codes)."
    described["links"] = [
        _link("ogc.collection", "self", JSON, "This collection", collection_id=layer["id"]),
        _link("ogc.items", "items", GEOJSON, "Features", collection_id=layer["id"])]
    return described


def _check_format() -> None:
    """Accept ``f=json`` (or no ``f``): only JSON encodings are served."""
    if request.args.get("f", "json") not in {"json", "geojson"}:
        raise OgcRequestError(f"format f={request.args['f']!r} is not served; use f=json")


def _paging(args) -> tuple[int, int]:
    """``limit`` (default 10, 1 or more, capped at 10000) and ``offset`` (default 0) from the query."""
    accepted = (f"limit is a whole number from 1 to {MAX_LIMIT} (larger ones are served as {MAX_LIMIT}) "
                f"and offset one from 0 to {MAX_OFFSET}, e.g. limit=100&offset=200")
    try:
        limit = int(args.get("limit", DEFAULT_LIMIT))
        offset = int(args.get("offset", 0))
    except ValueError as exc:
        raise OgcRequestError(f"{accepted} (got limit={args.get('limit')!r}, "
                              f"offset={args.get('offset')!r})") from exc
    if limit < 1 or not 0 <= offset <= MAX_OFFSET:
        raise OgcRequestError(f"{accepted} (got limit={limit}, offset={offset})")
    return min(limit, MAX_LIMIT), offset


def _bbox(args) -> tuple[float, float, float, float] | None:
    """``bbox=minx,miny,maxx,maxy`` in CRS84 (longitude first), or None."""
    raw = args.get("bbox")
    if raw is None:
        return None
    crs = args.get("bbox-crs", CRS84)
    if crs != CRS84:
        raise OgcRequestError(f"bbox-crs {crs!r} is not supported; give the bbox in {CRS84}")
    try:
        values = [float(v) for v in raw.split(",")]
    except ValueError as exc:
        raise OgcRequestError(f"bbox {raw!r} is not four numbers minx,miny,maxx,maxy") from exc
    if len(values) == 6:  # 3D box: the layers are 2D, drop the heights
        values = [values[0], values[1], values[3], values[4]]
    if len(values) != 4 or values[0] > values[2] or values[1] > values[3]:
        raise OgcRequestError(f"bbox {raw!r} must be minx,miny,maxx,maxy with min <= max")
    return values[0], values[1], values[2], values[3]


def _interval(raw: str | None) -> tuple[date | None, date | None]:
    """``datetime``: an instant or an interval ``a/b`` with open ends ``..``; dates, inclusive."""
    if raw is None:
        return None, None
    parts = raw.split("/")
    if len(parts) > 2:
        raise OgcRequestError(f"datetime {raw!r} must be an instant or an interval a/b")
    bounds = [_day(p, raw) for p in parts]
    start, end = (bounds[0], bounds[0]) if len(bounds) == 1 else bounds
    if start and end and start > end:
        raise OgcRequestError(f"datetime {raw!r} ends before it starts")
    return start, end


def _day(text: str, raw: str) -> date | None:
    """The date of an RFC 3339 date or date-time, None for an open end."""
    if text in {"", ".."}:
        return None
    try:
        return date.fromisoformat(text[:10]) if len(text) == 10 else \
            datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError as exc:
        raise OgcRequestError(f"datetime {raw!r}: {text!r} is not an RFC 3339 date or date-time, "
                              "e.g. 2024-01-01/2024-06-30 or 2024-01-01T00:00:00Z/..") from exc


def _link(endpoint: str, rel: str, media: str, title: str, **values) -> dict:
    """A link object to ``endpoint`` (absolute URL)."""
    return {"href": url_for(endpoint, _external=True, **values), "rel": rel, "type": media,
            "title": title}


def _page_link(rel: str, offset: int, limit: int) -> dict:
    """A link to another page of the current items request (same filters)."""
    args = {k: v for k, v in request.args.items() if k not in {"offset", "limit"}}
    href = url_for(request.endpoint, _external=True, **request.view_args, **args,
                   limit=limit, offset=offset)
    return {"href": href, "rel": rel, "type": GEOJSON, "title": f"{rel} page"}


def _json(body: dict, media: str = JSON) -> Response:
    """``body`` as UTF-8 JSON (Vietnamese kept as is) with ``media`` as content type."""
    return Response(json.dumps(body, ensure_ascii=False), mimetype=media)

