"""Feature layers as OGC API – Features serves them: filtered and paged in SQL, GeoJSON out.

A layer is ``communes-<vintage>`` (the communes of one loaded boundary vintage) or one of the
point layers ``incidents``, ``inspections`` (at the establishment's point) and ``sites``.
Point layers hold only records with a point; no column identifies a person, and the
descriptor of a site and the name of an establishment are not served. Geometries are in
EPSG:4326 with longitude first (OGC CRS84).

Every function takes ``province`` (a code, or None for all): the commune layers are then that
province's vintages only, and a point layer holds only the points inside one of the province's
outlines (any of its vintages), so a login limited to one province reads nothing of another.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import Connection, Engine, text

from geo.errors import UnknownLayerError
from geo.store.engine import connection
from geo.store.units import list_vintages

COMMUNES_PREFIX = "communes-"


@dataclass(frozen=True)
class _Layer:
    """The SQL fragments of one layer (static text; values are always bound parameters)."""

    source: str
    fid: str
    geom: str
    props: str
    where: str
    date: str | None = None


_POINT_LAYERS = {
    "incidents": _Layer(
        source="incident t", fid="t.id", geom="t.geom", date="t.event_date", where="t.geom IS NOT NULL",
        props="t.id AS incident_id, t.event_date, t.incident_kind, t.case_type, t.outcome"),
    "inspections": _Layer(
        source="inspection t JOIN establishment e ON e.id = t.establishment_id", fid="t.id",
        geom="e.geom", date="t.inspection_date", where="e.geom IS NOT NULL",
        props="t.id AS inspection_id, t.inspection_date, e.establishment_type, t.outcome, t.fine_vnd"),
    "sites": _Layer(source="site t", fid="t.id", geom="t.geom", where="t.geom IS NOT NULL",
                    props="t.id AS site_id, t.site_kind"),
}
_COMMUNES = _Layer(
    source="admin_unit t LEFT JOIN admin_unit d ON d.vintage_id = t.vintage_id "
           "AND d.level = 'district' AND d.code = t.parent_code",
    fid="t.code", geom="t.geom", where="t.vintage_id = :vintage AND t.level = 'commune'",
    props="t.code AS commune_code, t.name, t.unit_type, d.code AS district_code")

#: Point layers in the order they are listed.
POINT_LAYERS = tuple(_POINT_LAYERS)


#: The point-layer clause keeping points inside an outline of province ``:province``.
_IN_PROVINCE = ("EXISTS (SELECT 1 FROM admin_unit p JOIN vintage pv ON pv.id = p.vintage_id "
                "WHERE p.level = 'province' AND pv.province_code = :province "
                "AND ST_Intersects(p.geom, {geom}))")


def list_layers(conn: Connection | Engine, *, province: str | None = None) -> list[dict]:
    """Every served layer: ``id, title, kind ("communes" or "points"), temporal, vintage``.

    Communes come first, one layer per loaded vintage (oldest first; of ``province`` only when
    given), then the point layers.
    """
    layers = [{"id": f"{COMMUNES_PREFIX}{v.id}", "title": f"Communes ({v.label})",
               "kind": "communes", "temporal": False, "vintage": v.id}
              for v in list_vintages(conn, province) if v.units.get("commune")]
    titles = {"incidents": "Incidents (points)", "inspections": "Inspections (establishment points)",
              "sites": "Sites (points)"}
    return layers + [{"id": name, "title": titles[name], "kind": "points",
                      "temporal": _POINT_LAYERS[name].date is not None, "vintage": None}
                     for name in POINT_LAYERS]


def layer_extent(conn: Connection | Engine, layer_id: str, *, province: str | None = None) -> dict:
    """The layer's bounding box ``[minx, miny, maxx, maxy]`` (CRS84) and date range.

    Returns ``{"bbox": list | None, "interval": [date | None, date | None] | None}``;
    ``interval`` is None for layers without a date.
    """
    layer, params = _resolve(conn, layer_id, province)
    dates = f"min({layer.date}) AS lo, max({layer.date}) AS hi" if layer.date else "NULL AS lo, NULL AS hi"
    sql = f"SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), lo, hi FROM (SELECT " \
          f"ST_Extent({layer.geom}) AS e, {dates} FROM {layer.source} WHERE {layer.where}) x"
    with connection(conn) as c:
        row = c.execute(text(sql), params).one()
    bbox = None if row[0] is None else [float(v) for v in row[:4]]
    return {"bbox": bbox, "interval": [row[4], row[5]] if layer.date else None}


def read_feature_page(conn: Connection | Engine, layer_id: str, *,
                      bbox: tuple[float, float, float, float] | None = None,
                      start: date | None = None, end: date | None = None,
                      limit: int = 10, offset: int = 0,
                      province: str | None = None) -> tuple[int, list[dict]]:
    """One page of a layer's features, filtered and paged in SQL.

    Parameters
    ----------
    bbox
        ``(minx, miny, maxx, maxy)`` in degrees (CRS84); features intersecting it are kept.
    start, end
        Inclusive date bounds on the layer's date (either optional); ignored by layers
        without a date (communes, sites).
    limit, offset
        Page size and start, in the layer's order (by id; communes by code).

    Returns
    -------
    (int, list of dict)
        The number of features matching the filters, and the page as GeoJSON features.
    """
    layer, params = _resolve(conn, layer_id, province)
    where, filters = _filters(layer, bbox, start, end)
    params |= filters
    with connection(conn) as c:
        matched = c.execute(text(f"SELECT count(*) FROM {layer.source} WHERE {where}"), params).scalar_one()
        rows = c.execute(text(
            f"SELECT {layer.fid} AS fid, {layer.props}, ST_AsGeoJSON({layer.geom}) AS geometry "
            f"FROM {layer.source} WHERE {where} ORDER BY {layer.fid} LIMIT :limit OFFSET :offset"),
            params | {"limit": limit, "offset": offset}).mappings().all()
    return matched, [_feature(row) for row in rows]


def read_feature(conn: Connection | Engine, layer_id: str, fid: str, *,
                 province: str | None = None) -> dict | None:
    """One feature of a layer by its id (a commune code, or a record id), or None."""
    layer, params = _resolve(conn, layer_id, province)
    if layer.fid == "t.id":
        if not fid.isdigit() or len(fid) > 18:
            return None
        params["fid"] = int(fid)
    else:
        params["fid"] = fid
    with connection(conn) as c:
        row = c.execute(text(
            f"SELECT {layer.fid} AS fid, {layer.props}, ST_AsGeoJSON({layer.geom}) AS geometry "
            f"FROM {layer.source} WHERE {layer.where} AND {layer.fid} = :fid"), params).mappings().first()
    return None if row is None else _feature(row)


def _resolve(conn: Connection | Engine, layer_id: str, province: str | None) -> tuple[_Layer, dict]:
    """The layer's SQL fragments and base parameters, or :class:`UnknownLayerError`.

    With ``province``, a point layer keeps only the points inside that province's outlines
    and a commune layer of another province's vintage is unknown.
    """
    if layer_id in _POINT_LAYERS:
        layer = _POINT_LAYERS[layer_id]
        if province is None:
            return layer, {}
        where = f"{layer.where} AND {_IN_PROVINCE.format(geom=layer.geom)}"
        return replace(layer, where=where), {"province": province}
    known = {layer["id"]: layer for layer in list_layers(conn, province=province)}
    if layer_id not in known:
        raise UnknownLayerError(f"layer {layer_id!r} is not served; known: {', '.join(known)}")
    return _COMMUNES, {"vintage": known[layer_id]["vintage"]}


def _filters(layer: _Layer, bbox, start: date | None, end: date | None) -> tuple[str, dict]:
    """The WHERE clause of a layer with the optional bbox and date filters, and their values."""
    clauses, params = [layer.where], {}
    if bbox is not None:
        clauses.append(f"ST_Intersects({layer.geom}, ST_MakeEnvelope(:minx, :miny, :maxx, :maxy, 4326))")
        params |= dict(zip(("minx", "miny", "maxx", "maxy"), map(float, bbox), strict=True))
    if layer.date and start is not None:
        clauses.append(f"{layer.date} >= :start")
        params["start"] = start
    if layer.date and end is not None:
        clauses.append(f"{layer.date} <= :end")
        params["end"] = end
    return " AND ".join(f"({c})" for c in clauses), params


def _feature(row) -> dict:
    """A GeoJSON feature from a row with ``fid``, ``geometry`` and property columns."""
    properties = {k: (v.isoformat() if isinstance(v, date) else v)
                  for k, v in row.items() if k not in {"fid", "geometry"}}
    return {"type": "Feature", "id": row["fid"], "geometry": json.loads(row["geometry"]),
            "properties": properties}
