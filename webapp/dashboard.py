"""GET /dashboard: the planners' overview — plan targets, healthy communes over time, districts, risk.

Any logged-in role sees the aggregates (targets, the share of healthy communes, the table per
district). The at-risk list names cleared sites, so only analysts and above get it; a viewer
gets the same ranking counted per commune. The figures are built in
:mod:`webapp.dashboard_sections`; this module holds the route, the filters and the wording.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, g, render_template, request

from geo.store.counts import communes_with_counts
from webapp.accounts import has_role
from webapp.dashboard_sections import at_risk_section, district_section, healthy_section, targets_section
from webapp.i18n import current_language, register
from webapp.layout import cached_page
from webapp.map_cache import data_key
from webapp.period_status import missing_section
from webapp.province import current_province_code
from webapp.selection import current_filters, current_selection, selection_metadata
from webapp.workflows.targets import NO_PLAN

bp = Blueprint("dashboard", __name__)

STRINGS = {
    "dash_title": ("Tổng quan", "Dashboard"),
    "dash_district_all": ("Toàn tỉnh", "Whole province"),
    "dash_scope": ("Phạm vi", "Scope"),
    "dash_end_exclusive": ("không gồm ngày cuối", "end exclusive"),
    "dash_targets": ("Chỉ tiêu kế hoạch và tiến độ", "Plan targets and progress"),
    "dash_targets_note": (
        "Chỉ tiêu tổng: đạt tiến độ khi lũy kế ≥ chỉ tiêu × thời gian đã qua / thời gian kế hoạch; "
        "chỉ tiêu tỷ lệ: đạt khi từng năm đạt. Kỳ quý, 6 tháng, 9 tháng: năm của kỳ tính từ đầu năm "
        "đến hết kỳ, so với chỉ tiêu theo tỷ lệ thời gian, không bao giờ so với chỉ tiêu cả năm. "
        "Tính trên ranh giới {vintage}.",
        "Totals are on track when the running sum reaches target × elapsed time / plan time; shares "
        "when each year meets them. A quarter, half-year or nine months counts its year to the "
        "period's end against a pro rata goal, never a whole year's quota. Counted on the {vintage} "
        "boundaries."),
    "dash_no_plan": NO_PLAN,
    "dash_how": ("Cách tính", "How measured"),
    "dash_due": ("chỉ tiêu đến kỳ", "goal to date"),
    "dash_through": ("đến hết", "to the end of"),
    "dash_target": ("Chỉ tiêu", "Target"),
    "dash_goal": ("Mục tiêu", "Goal"),
    "dash_on_track": ("đạt", "on track"),
    "dash_behind": ("chưa đạt", "behind"),
    "dash_unknown": ("chưa rõ", "unknown"),
    "dash_cumulative": ("lũy kế", "cumulative"),
    "dash_district_target_none": ("Huyện không có chỉ tiêu riêng; giá trị để so sánh.",
                                  "Districts have no target of their own; values for comparison."),
    "dash_not_measured": ("Không đo được trong diaban", "Not measured by diaban"),
    "dash_healthy": ("Tỷ lệ xã, phường, thị trấn lành mạnh theo thời gian",
                     "Share of healthy communes over time"),
    "dash_healthy_share": ("Tỷ lệ lành mạnh", "Healthy share"),
    "dash_healthy_goal": ("Mục tiêu kế hoạch", "Plan goal"),
    "dash_snapshot": ("Lần phân loại", "Snapshot"),
    "dash_ruleset": ("Bộ tiêu chí", "Rule set"),
    "dash_no_snapshot": ("Chưa có lần phân loại nào trên ranh giới này. Chạy: {command}",
                         "No classification snapshot on these boundaries yet. Run: {command}"),
    "dash_districts": ("Theo huyện", "By district"),
    "dash_by_commune": ("Theo xã (ranh giới này không có cấp huyện)",
                        "By commune (these boundaries have no districts)"),
    "dash_unit": ("Đơn vị", "Unit"),
    "dash_communes_n": ("Số xã", "Communes"),
    "dash_establishments": ("Cơ sở kinh doanh", "Establishments"),
    "status_healthy": ("Lành mạnh", "Healthy"),
    "status_reduced": ("Giảm cơ bản", "Reduced"),
    "status_not_healthy": ("Chưa lành mạnh", "Not healthy"),
    "status_not_assessed": ("Chưa đánh giá", "Not assessed"),
    "dash_total": ("Tổng", "Total"),
    "dash_recognised": ("Được công nhận", "Recognised"),
    "dash_recognition_source": (
        "Cột trạng thái là đề xuất (phân loại tự động); cột «Được công nhận» là quyết định công nhận năm "
        "{year}: {recognised} xã được công nhận, {decided} xã đã có quyết định.",
        "The status columns are the proposal (computed); «Recognised» counts the recognition decisions of "
        "{year}: {recognised} communes recognised, {decided} with a decision."),
    "dash_period_unclassified": (
        "Kỳ {period} chưa được phân loại trên ranh giới này. Chạy: {command}",
        "Period {period} has not been classified on these boundaries. Run: {command}"),
    "dash_period_snapshot": ("Tình trạng theo lần phân loại #{id} ({ruleset}, dữ liệu đến {as_of}).",
                             "Status from snapshot #{id} ({ruleset}, data as of {as_of})."),
    "dash_unassigned": ("Không gán được xã của ranh giới này", "Not placed in a commune of these boundaries"),
    "dash_at_risk": ("Tụ điểm đã triệt xóa có nguy cơ tái hoạt động",
                     "Cleared sites at risk of reactivation"),
    "dash_at_risk_params": (
        "Đến ngày {as_of}: vụ việc và vi phạm trong bán kính {radius} m, {days} ngày gần nhất, "
        "trọng số giảm một nửa sau {half_life} ngày.",
        "As of {as_of}: incidents and violations within {radius} m in the last {days} days, weight halved "
        "every {half_life} days."),
    "dash_at_risk_none": ("Không có tụ điểm nào trong danh sách nguy cơ.", "No site is on the at-risk list."),
    "dash_at_risk_outside": ("{n} tụ điểm nguy cơ nằm ngoài phạm vi đang xem.",
                             "{n} at-risk sites lie outside the scope shown."),
    "dash_at_risk_viewer": ("Số tụ điểm nguy cơ theo xã (chi tiết tụ điểm dành cho vai trò phân tích).",
                            "At-risk sites per commune (site details are for analysts)."),
    "dash_rank": ("Hạng", "Rank"),
    "dash_site": ("Tụ điểm", "Site"),
    "dash_site_kind": ("Loại", "Kind"),
    "dash_last_cleared": ("Triệt xóa lần cuối", "Last cleared"),
    "dash_score": ("Điểm nguy cơ", "Risk score"),
    "dash_events": ("Sự kiện gần", "Events nearby"),
    "dash_nearest": ("Gần nhất (m)", "Nearest (m)"),
    "dash_last_event": ("Sự kiện gần nhất", "Latest event"),
    "dash_sites_n": ("Số tụ điểm", "Sites"),
    "site_public": ("Công cộng", "Public"),
    "site_in_establishment": ("Trong cơ sở", "In an establishment"),
}
register(STRINGS)


@bp.route("/dashboard")
def index():
    """Render the dashboard for the selected period, vintage and (optionally) district.

    The page is rendered once per `page_key` and kept in the map cache, encoded and compressed;
    only the user's name and form token are filled in per request (``webapp.layout.cached_page``).
    """
    detailed = has_role(g.user, "analyst")
    return cached_page(page_key(), lambda **marks: render_template(
        "dashboard.html", num=format_number, **_figures(detailed), **marks))


def page_key() -> tuple:
    """Everything the dashboard depends on but the user's name and form token.

    The province (asked for, remembered in the session or the user's own), the query, today
    (the default period and the at-risk list's date), the user's role (the navigation, and
    whether sites are listed: analysts and above), the language, the mount point, the database
    and its data revision.
    """
    engine = current_app.extensions["diaban.engine"]
    return ("dashboard", current_province_code(), tuple(sorted(request.args.items(multi=True))),
            date.today(), g.user["role"], current_language(), request.script_root, *data_key(engine))


def _figures(detailed: bool) -> dict:
    """The template's values but the number format: selection, filters and every section."""
    engine = current_app.extensions["diaban.engine"]
    selection = current_selection()
    communes, unassigned = communes_with_counts(engine, selection.vintage.id, period=selection.period)
    communes = communes.drop(columns="geometry")
    districts = (communes.dropna(subset=["district_code"]).drop_duplicates("district_code")
                 .set_index("district_code")["district_name"].sort_index().to_dict())
    district = current_filters(districts, (), (), vintage=selection.vintage.id).district
    scope = communes if district is None else communes[communes["district_code"] == district]
    lang = current_language()
    targets = targets_section(engine, selection, district, lang=lang)
    rows = targets["rows"] if targets else ()
    goal = next((r["goal"] for r in rows if r["measure"] == "healthy_share"), None)
    healthy = healthy_section(engine, selection, list(scope["commune_code"]), goal=goal)
    return dict(
        sel=selection, meta=selection_metadata(selection, unassigned, geometry="none"),
        districts=districts, district=district, lang=lang, targets=targets,
        healthy=healthy, table=district_section(engine, selection, scope, healthy["current"], unassigned),
        at_risk=at_risk_section(engine, selection, scope, detailed=detailed),
        completeness=missing_section(engine, selection.vintage.id, selection.period,
                                     list(scope["commune_code"]), lang=lang))


def format_number(value, digits: int = 0, *, percent: bool = False, lang: str = "vi") -> str:
    """A number for the page: Vietnamese separators (1.234,5) or English ones (1,234.5); '–' if missing.

    Examples
    --------
    >>> format_number(1234.5, 1), format_number(1234.5, 1, lang="en")
    ('1.234,5', '1,234.5')
    >>> format_number(0.8, 1, percent=True), format_number(None)
    ('80,0 %', '–')
    """
    if value is None or value != value:  # None or NaN
        return "–"
    text = f"{(100 * value if percent else value):,.{digits}f}"
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return f"{text} %" if percent else text
