"""Folium maps of the platform, rendered to self-contained pages with vendored assets."""

from __future__ import annotations

import folium
import geopandas as gpd
import numpy as np
from markupsafe import escape

from webapp.assets import localise

#: ColorBrewer YlOrRd, 5 classes: sequential and colour-blind safe.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
ZERO_COLOUR = "#f0f0f0"


def count_breaks(values, k: int = 5) -> list[int]:
    """Upper bounds of up to ``k`` classes for the non-zero counts (quantiles, whole numbers).

    Zero is a class of its own on the map, so it is left out here.

    Examples
    --------
    >>> count_breaks([0, 0, 1, 1, 2, 3, 5, 8, 13, 40])
    [1, 3, 5, 13, 40]
    >>> count_breaks([0, 0])
    []
    """
    nonzero = np.asarray([v for v in values if v > 0], dtype=float)
    if not len(nonzero):
        return []
    qs = np.quantile(nonzero, np.linspace(0, 1, k + 1)[1:], method="inverted_cdf")
    return sorted({int(np.ceil(q)) for q in qs})


def colour_for(value: int, breaks: list[int]) -> str:
    """The fill colour of a count under ``breaks``.

    Examples
    --------
    >>> colour_for(0, [1, 5]), colour_for(3, [1, 5]) == PALETTE[-1]
    ('#f0f0f0', True)
    """
    if value <= 0:
        return ZERO_COLOUR
    index = int(np.searchsorted(breaks, value))
    return PALETTE[len(PALETTE) - len(breaks) + min(index, len(breaks) - 1)]


def commune_map(communes: gpd.GeoDataFrame, outlines: gpd.GeoDataFrame | None, *,
                labels: dict[str, str], header_html: str, footer_html: str) -> str:
    """Render the commune choropleth of incident counts as a full HTML page.

    Parameters
    ----------
    communes : GeoDataFrame
        From ``geo.store.counts.communes_with_counts`` (EPSG:4326).
    outlines : GeoDataFrame or None
        District (or province) outlines drawn on top without fill.
    labels : dict
        Interface strings: ``communes``, ``districts``, ``commune``, ``code``, ``district``,
        ``incidents``, ``inspections``, ``legend_title``, ``no_incident``.
    """
    breaks = count_breaks(communes["incidents"])
    minx, miny, maxx, maxy = communes.total_bounds
    fmap = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], tiles=None,
                      zoom_start=9, control_scale=True, prefer_canvas=False)
    fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    data = communes.assign(fill=[colour_for(v, breaks) for v in communes["incidents"]])
    data["district_name"] = data["district_name"].fillna("—")
    folium.GeoJson(
        data.to_json(na="null", drop_id=True),
        name=labels["communes"],
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "fillOpacity": 0.85,
                                  "color": "#555555", "weight": 0.6},
        highlight_function=lambda f: {"weight": 2.5, "color": "#000000"},
        popup=folium.GeoJsonPopup(
            fields=["name", "commune_code", "district_name", "incidents", "inspections"],
            aliases=[labels[k] for k in ("commune", "code", "district", "incidents",
                                         "inspections")]),
        tooltip=folium.GeoJsonTooltip(fields=["name", "incidents"],
                                      aliases=[labels["commune"], labels["incidents"]]),
    ).add_to(fmap)
    if outlines is not None and len(outlines):
        folium.GeoJson(
            outlines[["name", "geometry"]].to_json(drop_id=True), name=labels["districts"],
            style_function=lambda f: {"fill": False, "color": "#222222", "weight": 2.2},
            interactive=False,
        ).add_to(fmap)
    folium.LayerControl(collapsed=False).add_to(fmap)
    root = fmap.get_root()
    root.header.add_child(folium.Element(_PAGE_CSS))
    root.html.add_child(folium.Element(header_html))
    root.html.add_child(folium.Element(_legend(breaks, labels)))
    root.html.add_child(folium.Element(footer_html))
    return localise(root.render())


def _legend(breaks: list[int], labels: dict[str, str]) -> str:
    """The HTML legend of the class breaks (zero first)."""
    rows = [(ZERO_COLOUR, f"0 ({labels['no_incident']})")]
    lower = 1
    for upper in breaks:
        rows.append((colour_for(upper, breaks), f"{lower}" if lower == upper else f"{lower}–{upper}"))
        lower = upper + 1
    items = "".join(
        f'<div><span class="swatch" style="background:{c}"></span>{escape(text)}</div>'
        for c, text in rows)
    return f'<div id="legend" class="map-legend"><b>{escape(labels["legend_title"])}</b>{items}</div>'


_PAGE_CSS = """<style>
  .folium-map { position: absolute !important; top: 3rem !important;
                height: calc(100% - 3rem - 1.6rem) !important; }
  .topbar { position: absolute; top: 0; left: 0; right: 0; height: 3rem; z-index: 1000;
            display: flex; align-items: center; gap: .75rem; padding: 0 .75rem;
            background: #1f2d3d; color: #fff; font: 13px system-ui, sans-serif;
            white-space: nowrap; overflow: hidden; }
  .topbar form { display: flex; gap: .4rem; align-items: center; margin: 0; }
  .topbar select { max-width: 22rem; }
  .topbar a, .topbar button.link { color: #cfe3ff; background: none; border: 0; }
  .synthetic { background: #ffd24d; color: #000; padding: .1rem .5rem; font-weight: 600;
               overflow: hidden; text-overflow: ellipsis; }
  .map-legend { position: absolute; bottom: 2.4rem; right: .6rem; z-index: 1000;
                background: #fff; padding: .5rem .7rem; border: 1px solid #999;
                font: 13px system-ui, sans-serif; line-height: 1.5; }
  .map-legend .swatch { display: inline-block; width: 1.1rem; height: .8rem;
                        margin-right: .4rem; border: 1px solid #777; vertical-align: middle; }
  .map-meta { position: absolute; bottom: 0; left: 0; right: 0; height: 1.6rem; z-index: 1000;
              background: #f4f4f4; border-top: 1px solid #ccc; font: 12px system-ui, sans-serif;
              padding: .25rem .6rem; white-space: nowrap; overflow: hidden;
              text-overflow: ellipsis; }
</style>"""
