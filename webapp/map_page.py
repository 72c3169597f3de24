"""GET /: the commune map of a vintage coloured by incident count for a period."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template

from geo.store.counts import communes_with_counts
from geo.store.units import read_units
from webapp.api import selection_metadata
from webapp.i18n import STRINGS, current_language, t
from webapp.maps import commune_map
from webapp.selection import current_selection

bp = Blueprint("map", __name__)


@bp.route("/")
def index():
    """Render the map page for the selected period and vintage."""
    engine = current_app.extensions["diaban.engine"]
    selection = current_selection()
    vintage_id = selection.vintage["id"]
    communes, unassigned = communes_with_counts(engine, vintage_id, selection.period)
    labels = {key: t(key) for key in STRINGS}
    outlines = read_units(engine, vintage_id, level="district", display=True)
    if outlines.empty:  # no district level (e.g. from 2025-07-01): draw the province
        outlines = read_units(engine, vintage_id, level="province", display=True)
        labels["districts"] = t("province_outline")
    meta = selection_metadata(selection, unassigned, geometry="display")
    context = {"t": t, "sel": selection, "meta": meta, "lang": current_language()}
    return commune_map(
        communes, outlines, labels=labels,
        header_html=render_template("map_header.html", **context),
        footer_html=render_template("map_footer.html", **context),
    )
