"""Static maps of the briefing, drawn with matplotlib from the web map's layers.

Same geometry as the web map (the display coverage ``geom_display``), same classes, colours
and names (:mod:`webapp.maps` for incident counts, :mod:`webapp.map_labels` for commune
status, Gi* classes and reactivated sites: ColorBrewer schemes that stay distinct for
colour-blind readers), drawn in the metric working CRS (true shapes, a scale bar in km).
"Not assessed" is also hatched so that a greyscale copy tells it apart. Each map is a PNG at
print resolution, written without a timestamp so the same data give the same bytes.
"""

from __future__ import annotations

import io

import geopandas as gpd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke
from PIL import Image

from geo.classify import STATUSES
from geo.hotspots import class_order
from geo.settings import WORK_CRS
from webapp.briefing.text import class_name, tr
from webapp.map_labels import GI_COLOURS, SITE_STYLES, STATUS_COLOURS
from webapp.maps import ZERO_COLOUR, colour_for, count_breaks

#: Reactivated sites as the web map draws them (colour, and its shape in matplotlib's letters).
SITE_COLOUR = SITE_STYLES["reactivated"][0]
SITE_MARKER = {"triangle": "^", "circle": "o", "diamond": "D"}[SITE_STYLES["reactivated"][1]]
DPI = 200
SIZE_IN = (6.7, 7.2)
EDGE = {"edgecolor": "#555555", "linewidth": 0.25}


def status_map(communes: gpd.GeoDataFrame, outlines: gpd.GeoDataFrame, *, lang: str,
               synthetic: bool) -> bytes:
    """Commune status of the classification snapshot (``status`` column) as a PNG."""
    status = communes["status"].fillna("not_assessed")
    colours = status.map(STATUS_COLOURS)
    fig, ax = _figure(communes, outlines, colours, synthetic=synthetic, lang=lang,
                      hatched=status == "not_assessed")
    counts = status.value_counts()
    handles = [Patch(facecolor=STATUS_COLOURS[s], hatch="////" if s == "not_assessed" else None,
                     label=f"{class_name('status', s, lang)} ({int(counts.get(s, 0))})", **EDGE)
               for s in STATUSES]
    return _finish(fig, ax, handles, tr("brief_legend_status", lang))


def incident_map(communes: gpd.GeoDataFrame, outlines: gpd.GeoDataFrame, *, lang: str,
                 synthetic: bool) -> bytes:
    """Incidents per commune with the web map's classes and colours (``incidents`` column) as a PNG."""
    breaks = count_breaks(communes["incidents"])
    colours = communes["incidents"].map(lambda v: colour_for(v, breaks))
    fig, ax = _figure(communes, outlines, colours, synthetic=synthetic, lang=lang)
    handles = [Patch(facecolor=ZERO_COLOUR, label=f"0 ({tr('no_incident', lang)})", **EDGE)]
    lower = 1
    for upper in breaks:
        handles.append(Patch(facecolor=colour_for(upper, breaks), **EDGE,
                             label=f"{lower}" if lower == upper else f"{lower}–{upper}"))
        lower = upper + 1
    return _finish(fig, ax, handles, tr("legend_title", lang))


def hotspot_map(communes: gpd.GeoDataFrame, outlines: gpd.GeoDataFrame, *, alpha: float, lang: str,
                synthetic: bool) -> bytes:
    """Gi* classes per commune (``hotspot_class`` column) as a PNG; every class in the legend."""
    classes = communes["hotspot_class"].fillna("no neighbours")
    fig, ax = _figure(communes, outlines, classes.map(GI_COLOURS), synthetic=synthetic, lang=lang)
    counts = classes.value_counts()
    order = [c for c in class_order(alpha) if c != "no denominator"]
    handles = [Patch(facecolor=GI_COLOURS[c], **EDGE,
                     label=f"{class_name('gi', c, lang)} ({int(counts.get(c, 0))})") for c in order]
    return _finish(fig, ax, handles, tr("brief_legend_hotspot", lang))


def site_map(communes: gpd.GeoDataFrame, outlines: gpd.GeoDataFrame, sites: gpd.GeoDataFrame, *,
             lang: str, synthetic: bool) -> bytes:
    """The points of the reactivated sites over the communes (internal edition only) as a PNG."""
    fig, ax = _figure(communes, outlines, ["#f4f4f4"] * len(communes), synthetic=synthetic, lang=lang)
    points = sites.to_crs(WORK_CRS)
    if len(points):
        ax.scatter(points.geometry.x, points.geometry.y, s=24, marker=SITE_MARKER, color=SITE_COLOUR,
                   edgecolor="black", linewidth=0.5, zorder=5)
    handles = [Line2D([], [], marker=SITE_MARKER, linestyle="none", color=SITE_COLOUR,
                      markeredgecolor="black",
                      label=f"{tr('brief_reactivated_sites', lang)} ({len(points)})")]
    return _finish(fig, ax, handles, tr("brief_legend_sites", lang))


def _figure(communes, outlines, colours, *, synthetic: bool, lang: str, hatched=None):
    """A figure with the communes filled with ``colours`` and the outlines with their names."""
    fig = Figure(figsize=SIZE_IN, dpi=DPI)
    ax = fig.add_axes((0.01, 0.01, 0.98, 0.98))
    ax.set_axis_off()
    ax.set_aspect("equal")
    shapes = communes.to_crs(WORK_CRS)
    shapes.plot(ax=ax, color=list(colours), **EDGE)
    if hatched is not None and hatched.any():
        shapes[hatched.to_numpy()].plot(ax=ax, facecolor="none", hatch="////", edgecolor="#8c8c8c",
                                        linewidth=0)
    lines = outlines.to_crs(WORK_CRS)
    lines.boundary.plot(ax=ax, color="#222222", linewidth=1.1)
    if len(lines) > 1:
        halo = [withStroke(linewidth=2.2, foreground="white")]
        for name, point in zip(lines["name"], lines.geometry.representative_point(), strict=True):
            ax.annotate(_short(name), (point.x, point.y), ha="center", va="center", fontsize=6.5,
                        color="#111111", path_effects=halo, zorder=6)
    _scale_bar(ax, shapes.total_bounds, lang)
    if synthetic:
        fig.text(0.02, 0.985, tr("synthetic", lang), ha="left", va="top", fontsize=7.5, fontweight="bold",
                 bbox={"facecolor": "#ffd24d", "edgecolor": "none", "pad": 2.5})
    return fig, ax


def _short(name: str) -> str:
    """A district name without its type word, for labels ('Huyện Tân Phú' → 'Tân Phú').

    Examples
    --------
    >>> _short("Thành phố Biên Hòa"), _short("Huyện Tân Phú"), _short("Đồng Nai")
    ('Biên Hòa', 'Tân Phú', 'Đồng Nai')
    """
    for prefix in ("Thành phố ", "Thị xã ", "Huyện ", "Tỉnh "):
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def _scale_bar(ax, bounds, lang: str) -> None:
    """A 20 km bar (10 km on small extents) at the lower right, in the metric working CRS."""
    minx, miny, maxx, maxy = bounds
    length = 20_000 if maxx - minx > 60_000 else 10_000
    x1 = maxx - 0.03 * (maxx - minx)
    y = miny + 0.03 * (maxy - miny)
    ax.plot([x1 - length, x1], [y, y], color="black", linewidth=2.5, solid_capstyle="butt")
    ax.text(x1 - length / 2, y + 0.012 * (maxy - miny), f"{length // 1000} {tr('brief_scale', lang)}",
            ha="center", va="bottom", fontsize=7)


def _finish(fig: Figure, ax, handles: list, title: str) -> bytes:
    """Add the legend and return the figure as PNG bytes (no timestamp, no software tag)."""
    ax.legend(handles=handles, title=title, loc="upper left", bbox_to_anchor=(0.0, 0.955), fontsize=7,
              title_fontsize=7.5, alignment="left",
              frameon=True, framealpha=0.92, edgecolor="#999999")
    rgba = io.BytesIO()
    fig.savefig(rgba, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    rgb = io.BytesIO()
    with Image.open(rgba) as image:  # an opaque map: no soft mask in the PDF
        image.convert("RGB").save(rgb, format="PNG", optimize=False)
    return rgb.getvalue()
