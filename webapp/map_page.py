"""GET /: the map page — thematic commune layers, hot spots, points, a time slider, a table, a panel.

The page is a folium shell (``webapp.maps.map_shell``) in ``templates/map.html`` with the
communes' display geometry embedded once and the attributes of every slider period
(``webapp.map_data.series_payload``); ``static/app/map.js`` draws and restyles the layers
and asks the API for the rest (a commune's file, hot spots, density, points). A viewer's page
carries no point and no link to the point endpoints.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, g, render_template, request, url_for

from geo.hotspots.options import DEFAULT_ALPHA
from geo.periods import last_closed_half
from geo.store.map_layers import data_version
from geo.store.units import read_units
from webapp.accounts import has_role
from webapp.api import DETAIL_ZOOM
from webapp.assets import localise
from webapp.errors import FilterError
from webapp.i18n import current_language, register, t
from webapp.layout import cached_page, nav_links
from webapp.map_cache import cached
from webapp.map_data import map_request, series_payload
from webapp.map_labels import (
    DENSITY_COLOURS,
    EMERGING_COLOURS,
    FAMILIES,
    GI_COLOURS,
    OUTCOME_COLOURS,
    SITE_STYLES,
    STATUS_COLOURS,
    label,
    labels_for,
    legend_order,
)
from webapp.maps import PALETTE, ZERO_COLOUR, feature_collection, map_shell, script_json
from webapp.selection import current_selection

bp = Blueprint("map", __name__)

#: The thematic layers that colour the communes (one at a time), in the layer control's order.
MODES = ("status", "counts", "gi", "emerging")

STRINGS = {
    "map_title": ("Bản đồ", "Map"),
    "map_all_districts": ("Toàn tỉnh", "Whole province"),
    "map_no_districts": ("(ranh giới này không có cấp huyện)", "(no districts in these boundaries)"),
    "map_kind": ("Loại vụ việc", "Incident kind"), "map_all_kinds": ("Tất cả", "All"),
    "map_etype": ("Loại cơ sở", "Establishment type"), "map_all_etypes": ("Tất cả", "All"),
    "map_layer_status": ("Trạng thái xã (lành mạnh)", "Commune status (healthy)"),
    "map_layer_counts": ("Số vụ việc", "Incident count"),
    "map_layer_gi": ("Điểm nóng Gi* (xã)", "Gi* hot spots (communes)"),
    "map_layer_emerging": ("Điểm nóng mới nổi", "Emerging hot spots"),
    "map_layer_grid": ("Điểm nóng Gi* (lưới ô)", "Gi* hot spots (grid cells)"),
    "map_layer_density": ("Mật độ vụ việc (KDE)", "Incident density (KDE)"),
    "map_layer_sites": ("Tụ điểm", "Sites"),
    "map_layer_establishments": ("Cơ sở (kết quả kiểm tra gần nhất)", "Establishments (last inspection)"),
    "map_layer_tips": ("Tin báo, tố giác", "Tip-offs"),
    "map_tips_counts": ("số tin báo theo xã, dưới 3 ghi \"<3\"",
                        "tip-offs per commune, below 3 shown as \"<3\""),
    "map_basemap": ("Bản đồ nền", "Basemap"),
    "map_slider": ("Kỳ", "Period"), "map_prev": ("Kỳ trước", "Previous period"),
    "map_next": ("Kỳ sau", "Next period"),
    "map_breaks_note": ("Ngưỡng phân lớp chung cho cả {n} kỳ ({first}–{last})",
                        "Class breaks shared by all {n} periods ({first}–{last})"),
    "map_no_snapshot": ("Chưa có kết quả phân loại kỳ {period}: chọn kỳ này để xem trạng thái tạm tính, "
                        "hoặc phân loại tại trang Phân loại (/classify)",
                        "No classification for {period}: select this period for a provisional status, "
                        "or classify it on the Classify page (/classify)"),
    "map_provisional": ("Tạm tính — chưa lưu", "Provisional — not stored"),
    "map_provisional_note": ("Tính ngay từ dữ liệu hiện có: {ruleset} {version}, dữ liệu đến {as_of}. "
                             "Lưu kết quả tại trang Phân loại (/classify).",
                             "Computed now from the data at hand: {ruleset} {version}, data as of {as_of}. "
                             "Store it on the Classify page (/classify)."),
    "map_missing_title": ("Thiếu dữ liệu — cần nạp", "Data missing — what to load"),
    "map_missing_rerun": ("Dữ liệu nay đã đủ: phân loại lại kỳ này tại /classify.",
                          "The data are now complete: classify this period again on /classify."),
    "map_snapshot": ("Phân loại #{id}: {ruleset} {version}, quy ước {convention}, dữ liệu đến {as_of}",
                     "Classification #{id}: {ruleset} {version}, {convention} periods, data as of {as_of}"),
    "map_table_title": ("Các xã, phường, thị trấn", "Communes"),
    "map_status": ("Trạng thái", "Status"), "map_score": ("Điểm", "Score"),
    "map_class": ("Lớp điểm nóng", "Hot spot class"),
    "map_criterion": ("Tiêu chí", "Criterion"), "map_value": ("Giá trị", "Value"),
    "map_threshold": ("Ngưỡng", "Threshold"), "map_result": ("Kết quả", "Result"),
    "map_pass": ("Đạt", "Pass"), "map_fail": ("Không đạt", "Fail"),
    "map_missing": ("Thiếu dữ liệu", "Missing"),
    "map_evidence": ("Căn cứ", "Evidence"),
    "map_evidence_site": ("tụ điểm", "sites"), "map_evidence_inspection": ("lượt kiểm tra", "inspections"),
    "map_evidence_establishment": ("cơ sở", "establishments"), "map_evidence_report": ("báo cáo", "reports"),
    "map_evidence_assessment": ("xác nhận của cán bộ", "officer attestations"),
    "map_evidence_none": ("bản ghi", "records"),
    "map_attest": ("Ghi xác nhận", "Attest"),
    "map_more": ("… và {n} bản ghi khác", "… and {n} more"),
    "map_sites_here": ("Tụ điểm trên địa bàn", "Sites in this commune"),
    "map_no_sites": ("Không có tụ điểm nào được ghi nhận.", "No site recorded."),
    "map_counts_over_time": ("Theo kỳ", "Per period"),
    "map_totals": ("Tổng số theo kỳ", "Totals per period"),
    "map_status_counts": ("Số xã theo trạng thái", "Communes by status"),
    "map_close": ("Đóng", "Close"), "map_loading": ("Đang tải…", "Loading…"),
    "map_error": ("Lỗi", "Error"),
    "map_fdr": ("Hiệu chỉnh FDR", "FDR correction"),
    "map_params": ("Tham số", "Parameters"),
    "map_p_cell": ("ô lưới", "cells of"), "map_p_permutations": ("hoán vị", "permutations"),
    "map_p_steps": ("bước thời gian", "time steps"), "map_p_lag": ("độ trễ thời gian", "time lag"),
    "map_p_bandwidth": ("bán kính", "bandwidth"),
    "map_cells_note": ("chỉ vẽ các ô có ý nghĩa thống kê", "only significant cells are drawn"),
    "map_density_levels": ("Mật độ (vụ/km²), mức cố định cho mọi kỳ",
                           "Density (incidents/km²), levels fixed for every period"),
    "map_name": ("Tên", "Name"), "map_type": ("Loại", "Type"),
    "map_commitment": ("Đã ký cam kết", "Commitment signed"),
    "map_last_inspection": ("Lần kiểm tra gần nhất", "Last inspection"),
    "map_yes": ("Có", "Yes"), "map_no": ("Không", "No"),
    "map_as_of": ("tính đến", "as of"), "map_end_exclusive": ("không gồm ngày cuối", "end exclusive"),
    "map_method_status": ("Trạng thái theo bộ tiêu chí, kết quả phân loại mới nhất của kỳ",
                          "Status under the rule set, newest classification of the period"),
    "map_click_hint": ("Bấm vào một xã để xem chi tiết.", "Click a commune for its details."),
}
register(STRINGS)
#: Strings of ``webapp.i18n`` the page's script uses too.
SHARED_STRINGS = ("incidents", "inspections", "commune", "code", "district", "period", "vintage",
                  "data_as_of", "method", "unassigned", "no_incident", "no_data")


@bp.route("/")
def index():
    """The map page for the selected period, vintage, filters and layer (``layer=``).

    The page is cached (`page_key`), encoded and compressed once; only the user name and the
    session's form token are filled in per request (``webapp.layout.cached_page``).
    """
    layer = request.args.get("layer") or ""
    if layer and layer not in MODES:
        raise FilterError(f"layer {layer!r} is not a map layer; use one of: {', '.join(MODES)}")
    return cached_page(page_key(), lambda **marks: _render(layer, **marks))


def page_key() -> tuple:
    """Everything the page depends on but the user's name and form token.

    The query (period, vintage, filters, layer, language) with today's default period, the
    user's role and language, the app's basemap and mount point, the database and its data
    revision (which also stands for the loaded vintages and every count on the page).
    """
    engine = current_app.extensions["diaban.engine"]
    config = current_app.config
    return ("map.page", tuple(sorted(request.args.items(multi=True))), last_closed_half(date.today()).label,
            g.user["role"], current_language(), request.script_root, config.get("BASEMAP_URL"),
            config.get("BASEMAP_ATTRIBUTION"), str(engine.url), data_version(engine))


def _render(layer: str, **marks) -> str:
    """The page's HTML, with ``marks`` (``username``, ``csrf_token``) standing for the user's values."""
    req = map_request(current_app.extensions["diaban.engine"], current_selection())
    geometry_json, bounds, outline_label = page_geometry(req)
    series = series_payload(req)
    shell = map_shell(bounds)
    config = page_config(req, series, shell["name"], layer, outline_label)
    other = "en" if current_language() == "vi" else "vi"
    html = render_template(
        "map.html", t=t, req=req, sel=req.selection, meta=series["metadata"], lang=current_language(),
        shell=shell, config=config, config_json=script_json(config), geometry_json=geometry_json,
        nav=nav_links(), kinds=_kind_options(req), etypes=_etype_options(req), **marks,
        lang_url=url_for("map.index", **{**request.args.to_dict(), "lang": other}))
    return localise(html)


def page_geometry(req) -> tuple[str, tuple, str]:
    """The communes' display geometry (code, name, district) and the outlines, drawn once.

    Returns the two GeoJSON collections as the page's script block text, the communes' bounds
    and the outlines' layer name: the districts, or the province for a vintage without districts
    (from 2025-07-01). The text is kept in the map cache per vintage and data revision.
    """
    engine = current_app.extensions["diaban.engine"]
    text, bounds, key = cached(("map.page_geometry", req.vintage, data_version(engine)),
                               lambda: _page_geometry(engine, req))
    return text, bounds, t(key)


def _page_geometry(engine, req) -> tuple[str, tuple, str]:
    communes = read_units(engine, req.vintage, display=True)
    index = req.communes.set_index("commune_code")
    for column in ("district_code", "district_name"):
        communes[column] = communes["commune_code"].map(index[column])
    outlines, key = read_units(engine, req.vintage, level="district", display=True), "districts"
    if outlines.empty:
        outlines, key = read_units(engine, req.vintage, level="province", display=True), "province_outline"
    geometry = {"communes": feature_collection(communes, ["commune_code", "name", "district_code",
                                                          "district_name"]),
                "outlines": feature_collection(outlines, ["name"])}
    return script_json(geometry), tuple(communes.total_bounds), key


def page_config(req, series: dict, map_name: str, layer: str, outline_label: str) -> dict:
    """What the page's script needs: data, colours, names, URLs (point URLs for analysts only)."""
    points = has_role(g.user, "analyst")
    api = {name: url_for(f"api.{name}") for name in ("series", "hotspots", "density", "geometry", "tips")}
    api["commune"] = url_for("api.commune", code="CODE")
    if points:
        api |= {name: url_for(f"api.{name}") for name in ("sites", "establishments")}
    if has_role(g.user, "editor") and "attest.commune" in current_app.view_functions:
        api["attest"] = url_for("attest.commune", code="CODE")
    basemap = current_app.config.get("BASEMAP_URL") or None
    return {
        "map": map_name, "lang": current_language(), "points": points, "layer": layer,
        "vintage": req.vintage, "api": api, "series": series, "detail_zoom": DETAIL_ZOOM,
        "basemap": {"url": basemap, "attribution": current_app.config.get("BASEMAP_ATTRIBUTION") or ""}
        if basemap else None,
        "colours": {"counts": PALETTE, "zero": ZERO_COLOUR, "status": STATUS_COLOURS, "gi": GI_COLOURS,
                    "emerging": EMERGING_COLOURS, "outcome": OUTCOME_COLOURS, "site": SITE_STYLES,
                    "density": DENSITY_COLOURS},
        "labels": {family: labels_for(family, codes) for family, codes in FAMILIES.items()},
        "order": legend_order(DEFAULT_ALPHA),
        "text": {key: t(key) for key in (*STRINGS, *SHARED_STRINGS)} | {"outlines": outline_label},
    }


def _kind_options(req) -> list[tuple[str, str]]:
    """``(code, name)`` of the incident kinds in the store, named in the interface language."""
    return [(k["code"], label("kind", k["code"], k["label"])) for k in req.options["incident_kinds"]]


def _etype_options(req) -> list[tuple[str, str]]:
    """``(code, name)`` of the establishment types in the store."""
    return [(code, label("etype", code)) for code in req.options["establishment_types"]]
