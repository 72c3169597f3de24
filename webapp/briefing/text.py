"""The words of the briefing pack, Vietnamese first and English second.

The strings join the interface table of :mod:`webapp.i18n` (keys prefixed ``brief_``), so one
table holds every wording of the platform; the PDF is built outside a request, so
:func:`tr` takes the language as an argument instead of reading it from the session.
"""

from __future__ import annotations

import webapp.map_labels  # noqa: F401  (registers the web map's class names: map_status_…, map_gi_…)
from geo.periods import Period
from webapp.i18n import LANGUAGES, register
from webapp.i18n import STRINGS as INTERFACE

STRINGS = {
    "brief_title": ("Báo cáo tóm tắt công tác phòng, chống mại dâm",
                    "Briefing on the prevention of prostitution"),
    "brief_for": ("Tài liệu phục vụ họp Ban Chỉ đạo tỉnh", "For the provincial steering committee"),
    "brief_province": ("Tỉnh {name}", "{name} province"),
    "brief_period": ("Kỳ báo cáo", "Reporting period"),
    "brief_window": ("Khoảng thời gian", "Dates"),
    "brief_end_exclusive": ("không gồm ngày cuối", "end exclusive"),
    "brief_hotspot_smallest": ("p nhỏ nhất {p}; sau hiệu chỉnh FDR {q}. Lệnh `diaban hotspots --no-fdr` cho "
                               "các lớp thăm dò khi không hiệu chỉnh.",
                               "Smallest p {p}; after the FDR correction {q}. `diaban hotspots --no-fdr` "
                               "shows exploratory classes without the correction."),
    "brief_vintage": ("Ranh giới hành chính", "Administrative boundaries"),
    "brief_as_of": ("Dữ liệu cập nhật đến", "Data as of"),
    "brief_ruleset": ("Bộ tiêu chí phân loại", "Classification rule set"),
    "brief_provisional": ("BẢN TẠM: trọng số và ngưỡng chưa theo phụ lục chính thức của NQLT 01/2008",
                          "PROVISIONAL: weights and threshold are not yet those of the official "
                          "NQLT 01/2008 annex"),
    "brief_snapshot": ("Kết quả phân loại", "Classification snapshot"),
    "brief_snapshot_existing": ("lần phân loại số {id}, lập lúc {at} bởi {by}",
                                "snapshot {id}, taken {at} by {by}"),
    "brief_edition_public": ("Bản phát hành rộng: số đếm 1 và 2 ghi là \"<3\"; không có bản đồ điểm",
                             "Edition for wider distribution: counts of 1 and 2 shown as \"<3\"; "
                             "no point maps"),
    "brief_edition_internal": ("Bản nội bộ: chỉ dùng trong cơ quan chức năng",
                               "Internal edition: for the competent agencies only"),
    "brief_contents": ("Nội dung", "Contents"),
    "brief_page": ("Trang", "Page"),
    "brief_summary": ("1. Tình trạng các xã, phường, thị trấn", "1. Status of the communes"),
    "brief_summary_text": ("Theo kết quả phân loại, {healthy} trên {total} đơn vị ({share}) đạt "
                           "lành mạnh không có tệ nạn mại dâm; chỉ tiêu của kế hoạch là {target}.",
                           "Under the classification, {healthy} of {total} units ({share}) are "
                           "healthy (free of prostitution); the plan's target is {target}."),
    "brief_recognition_text": (
        "Công nhận năm {year} (quyết định của cấp có thẩm quyền, khác với đề xuất của phân loại): "
        "{recognised} xã được công nhận lành mạnh, {decided} xã đã có quyết định; đề xuất lành mạnh: "
        "{healthy} xã.",
        "Recognition for {year} (the competent body's decision, distinct from the computed proposal): "
        "{recognised} communes recognised as healthy, {decided} with a decision; proposed healthy: "
        "{healthy}."),
    "brief_recognised": ("Được công nhận", "Recognised"),
    "brief_status_map": ("Bản đồ tình trạng xã, phường, thị trấn", "Map of commune status"),
    "brief_incident_map": ("Số vụ việc theo xã trong kỳ (cùng thang màu với bản đồ web)",
                           "Incidents per commune in the period (the web map's classes)"),
    "brief_hotspots": ("2. Điểm nóng (Getis-Ord Gi*)", "2. Hot spots (Getis-Ord Gi*)"),
    "brief_hotspot_map": ("Bản đồ điểm nóng vụ việc theo xã", "Map of incident hot spots by commune"),
    "brief_hotspot_text": ("Gi* trên số vụ việc của từng xã, lân cận kiểu Queen, {inference}, "
                           "mức ý nghĩa {alpha}, hiệu chỉnh FDR: {fdr}. "
                           "{significant} xã có ý nghĩa thống kê.",
                           "Gi* on each commune's incident count, Queen contiguity, {inference}, "
                           "alpha {alpha}, FDR correction: {fdr}. "
                           "{significant} communes are significant."),
    "brief_inference_analytic": ("giá trị p theo phân phối chuẩn của z (như ArcGIS)",
                                 "p-values from the normal distribution of z (as ArcGIS)"),
    "brief_inference_permutation": ("{permutations} hoán vị (seed {seed})",
                                    "{permutations} permutations (seed {seed})"),
    "brief_targets": ("3. Tiến độ thực hiện chỉ tiêu kế hoạch", "3. Progress against the plan's targets"),
    "brief_no_plan": ("{province} chưa cấu hình kế hoạch, chỉ tiêu: tài liệu này không đánh giá tiến độ.",
                      "{province} has no plan configured: this briefing judges no targets."),
    "brief_targets_text": ("Kế hoạch: {plan}. Số liệu toàn tỉnh năm {year}; lũy kế từ {start}. "
                           "Chỉ tiêu tổng được coi là đúng tiến độ khi lũy kế đạt chỉ tiêu × số năm "
                           "đã qua / {years}.",
                           "Plan: {plan}. Province figures for {year}; cumulative from {start}. A "
                           "total is on track when the running sum reaches target × elapsed years "
                           "/ {years}."),
    "brief_targets_outside": ("Kỳ báo cáo nằm ngoài giai đoạn kế hoạch {start}–{end}; bảng dưới "
                              "đây là năm cuối của kế hoạch.",
                              "The period lies outside the plan years {start}–{end}; the table "
                              "shows the plan's last year."),
    "brief_targets_to_date": ("Kỳ {period}: năm của kỳ tính từ đầu năm đến hết kỳ (trước {end}); chỉ "
                              "tiêu đến kỳ tính theo tỷ lệ thời gian, không so với chỉ tiêu cả năm.",
                              "Period {period}: its year counts from the year's start to the period's "
                              "end (before {end}); the goal due is pro rata, never a whole year's quota."),
    "brief_due": ("Chỉ tiêu đến kỳ", "Goal due"),
    "brief_how": ("Cách tính", "How each target is measured"),
    "brief_target": ("Chỉ tiêu", "Target"),
    "brief_goal": ("Mục tiêu", "Goal"),
    "brief_value": ("Trong năm (đến hết kỳ)", "In the year (to the period's end)"),
    "brief_cumulative": ("Lũy kế", "Cumulative"),
    "brief_share": ("% mục tiêu", "% of goal"),
    "brief_on_track": ("Tiến độ", "On track"),
    "brief_yes": ("Đạt", "Yes"),
    "brief_no": ("Chưa đạt", "No"),
    "brief_unknown": ("Chưa rõ", "Unknown"),
    "brief_not_measured": ("Không đo được trong diaban: {targets}.", "Not measured by diaban: {targets}."),
    "brief_districts": ("4. Số liệu theo huyện", "4. Figures per district"),
    "brief_districts_none": ("Ranh giới {vintage} không có cấp huyện (bỏ từ 01/7/2025): bảng theo "
                             "huyện không áp dụng.",
                             "Vintage {vintage} has no district level (abolished on 2025-07-01): "
                             "no table per district."),
    "brief_district": ("Huyện", "District"),
    "brief_districts_status": ("Tình trạng các xã theo huyện", "Commune status per district"),
    "brief_districts_activity": ("Vụ việc, kiểm tra và tụ điểm tái hoạt động theo huyện",
                                 "Incidents, inspections and reactivated sites per district"),
    "brief_healthy_share": ("Tỷ lệ lành mạnh", "Share healthy"),
    "brief_communes_n": ("Số xã", "Communes"),
    "brief_incidents": ("Vụ việc", "Incidents"),
    "brief_incidents_prev": ("Vụ việc kỳ trước", "Incidents, previous period"),
    "brief_inspections": ("Lượt kiểm tra", "Inspections"),
    "brief_reactivated": ("Tụ điểm tái hoạt động", "Sites reactivated"),
    "brief_total": ("Toàn tỉnh", "Province"),
    "brief_changes": ("5. Thay đổi so với kỳ trước", "5. Changes since the previous period"),
    "brief_changes_text": ("So sánh lần phân loại số {after} ({period}) với lần số {before} "
                           "({previous}), cùng ranh giới {vintage}: {gained} đơn vị được nâng hạng, "
                           "{lost} đơn vị bị hạ hạng, {other} đơn vị chuyển từ hoặc sang \"chưa đánh "
                           "giá\"; {criteria_only} đơn vị giữ nguyên tình trạng nhưng có tiêu chí thay đổi "
                           "(không liệt kê).",
                           "Snapshot {after} ({period}) compared with snapshot {before} ({previous}), "
                           "both on vintage {vintage}: {gained} units gained status, {lost} lost status, "
                           "{other} moved from or to \"not assessed\"; {criteria_only} units kept their "
                           "status while some criterion changed (not listed)."),
    "brief_changes_none": ("Không có đơn vị nào thay đổi tình trạng.", "No unit changed status."),
    "brief_changes_rules": ("Lưu ý: hai lần phân loại dùng bộ tiêu chí khác nhau ({before} và {after}).",
                            "Note: the two snapshots use different rule sets ({before} and {after})."),
    "brief_unit": ("Đơn vị", "Unit"),
    "brief_before": ("Kỳ trước", "Before"),
    "brief_after": ("Kỳ này", "Now"),
    "brief_why": ("Tiêu chí thay đổi", "Criteria that changed"),
    "brief_direction": ("Chiều", "Change"),
    "brief_gained": ("Nâng hạng", "Gained"),
    "brief_lost": ("Hạ hạng", "Lost"),
    "brief_changed": ("Thay đổi", "Changed"),
    "brief_met": ("nay đạt", "now met"),
    "brief_failed": ("nay không đạt", "now failed"),
    "brief_missing": ("nay thiếu số liệu", "now missing"),
    "brief_criterion": ("Tiêu chí", "Criterion"),
    "brief_true": ("có", "yes"),
    "brief_false": ("không", "no"),
    "brief_reactivation": ("6. Tụ điểm tái hoạt động sau triệt xóa", "6. Cleared sites that reactivated"),
    "brief_reactivation_text": ("Tụ điểm đã triệt xóa có dấu hiệu hoạt động trở lại trong kỳ (vụ việc "
                                "hoặc vi phạm trong bán kính {radius} m, trong {window} ngày sau triệt "
                                "xóa, hoặc ghi nhận của cán bộ), tổng hợp theo xã. {sites} tụ điểm, "
                                "{spells} lần tái hoạt động.",
                                "Cleared sites with activity again in the period (an incident or "
                                "violation within {radius} m and {window} days of the clearing, or an "
                                "officer's record), per commune. {sites} sites, {spells} reactivations."),
    "brief_reactivation_p3": ("Tái hoạt động ở đây được phát hiện từ chứng cứ (vụ việc, vi phạm gần tụ "
                              "điểm); tiêu chí P3 của bộ tiêu chí phân loại hiện chỉ tính sự kiện do cán "
                              "bộ ghi nhận (phát hiện, tái hoạt động), nên hai con số có thể khác nhau.",
                              "Reactivation here is detected from evidence (incidents, violations near the "
                              "site); criterion P3 of the rule set counts only events officers recorded "
                              "(identified, reactivated), so the two can differ."),
    "brief_reactivation_none": ("Không có tụ điểm nào tái hoạt động trong kỳ.",
                                "No site reactivated in the period."),
    "brief_reactivated_sites": ("Tụ điểm tái hoạt động", "Sites reactivated"),
    "brief_reactivations": ("Lần tái hoạt động", "Reactivations"),
    "brief_still_active": ("Còn hoạt động cuối kỳ", "Still active at period end"),
    "brief_site_map": ("Vị trí tụ điểm tái hoạt động trong kỳ (bản nội bộ)",
                       "Sites reactivated in the period (internal edition)"),
    "brief_site_map_public": ("Bản phát hành rộng không có bản đồ vị trí tụ điểm.",
                              "The edition for wider distribution has no map of site locations."),
    "brief_methods": ("7. Phương pháp và tham số", "7. Methods and parameters"),
    "brief_parameter": ("Tham số", "Parameter"),
    "brief_setting": ("Giá trị", "Value"),
    "brief_unassigned": ("Bản ghi không gán được xã (thuộc ranh giới khác hoặc đơn vị bị chia tách)",
                         "Records no commune took (another vintage, or a split unit)"),
    "brief_m_general": ("Chung", "General"),
    "brief_m_classification": ("Phân loại xã", "Commune classification"),
    "brief_m_criteria": ("Tiêu chí của bộ tiêu chí", "Criteria of the rule set"),
    "brief_m_hotspots": ("Điểm nóng (như lệnh diaban hotspots)", "Hot spots (as diaban hotspots)"),
    "brief_m_reactivation": ("Tái hoạt động (như lệnh diaban reactivation)",
                             "Reactivation (as diaban reactivation)"),
    "brief_m_targets": ("Chỉ tiêu kế hoạch (như lệnh diaban targets)", "Plan targets (as diaban targets)"),
    "brief_m_edition": ("Phiên bản phát hành", "Edition"),
    "brief_m_maps": ("Hình dạng hiển thị của bản đồ web (đơn giản hóa cả lớp, 50 m), vẽ theo WGS 84 / UTM "
                     "48N (EPSG:32648); lớp vụ việc: phân vị của các số khác 0 (5 lớp), cùng màu bản đồ web",
                     "The web map's display geometry (whole coverage simplified, 50 m), drawn in WGS 84 / "
                     "UTM 48N (EPSG:32648); incident classes: quantiles of the non-zero counts (5 "
                     "classes), the web map's colours"),
    "brief_m_reactivation_rule": ("Mỗi lần triệt xóa mở một giai đoạn; tụ điểm tái hoạt động khi có vụ việc "
                                  "hoặc vi phạm trong bán kính và thời hạn trên, ghi nhận tái hoạt động "
                                  "hoặc phát hiện lại của cán bộ; tính đến ngày cuối kỳ",
                                  "Each clearing opens a spell; the site reactivates on an incident or "
                                  "violation within the radius and window above, or an officer's "
                                  "reactivated or identified record; assessed on the period's last day"),
    "brief_m_suppression": ("Bản phát hành rộng: số vụ việc, lượt kiểm tra, tụ điểm và số người bằng 1 "
                            "hoặc 2 ghi \"<3\" (quy tắc của lệnh diaban export --public); số xã theo "
                            "tình trạng không ẩn (thông tin hành chính); không có bản đồ điểm",
                            "Wider distribution: counts of incidents, inspections, sites and people of 1 "
                            "or 2 shown as \"<3\" (the rule of diaban export --public); numbers of "
                            "communes per status are not suppressed (administrative facts); no point maps"),
    "brief_legend_status": ("Tình trạng", "Status"),
    "brief_legend_hotspot": ("Loại điểm nóng", "Hot spot class"),
    "brief_legend_sites": ("Tụ điểm", "Sites"),
    "brief_scale": ("km", "km"),
    "brief_not_classified": ("Chưa phân loại", "Not classified"),
    "brief_none": ("Không có", "None"),
    "brief_suppressed_note": ("Số đếm 1 và 2 được ghi \"<3\" (quy tắc bảo vệ thông tin cá nhân).",
                              "Counts of 1 and 2 are shown as \"<3\" (privacy rule)."),
}
register(STRINGS)

_KINDS = {
    "year": ("Năm {y}", "Year {y}"),
    "half": ("6 tháng {part} năm {y}", "{part} half of {y}"),
    "nine_months": ("9 tháng đầu năm {y}", "First nine months of {y}"),
    "quarter": ("Quý {part}/{y}", "Q{part} {y}"),
    "month": ("Tháng {part}/{y}", "{part}/{y}"),
}
_HALVES = {"1": ("đầu", "First"), "2": ("cuối", "Second")}


def tr(key: str, lang: str, **values) -> str:
    """The string ``key`` in ``lang`` (``vi`` or ``en``), with ``values`` filled in.

    Examples
    --------
    >>> tr("brief_yes", "vi"), tr("brief_yes", "en")
    ('Đạt', 'Yes')
    >>> tr("synthetic", "en")
    'SYNTHETIC DEMO DATA — not real figures'
    """
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    text = INTERFACE[key][LANGUAGES.index(lang)]
    return text.format(**values) if values else text


def province_title(province, lang: str) -> str:
    """The province as the pack's cover and page header name it ("" when none is loaded).

    Parameters
    ----------
    province : boundaries.Province or None
        The loaded province (``boundaries.loaded_province``).
    lang : {"vi", "en"}

    Examples
    --------
    >>> from boundaries import load_province
    >>> province_title(load_province("binh_phuoc"), "vi"), province_title(None, "en")
    ('Tỉnh Bình Phước', '')
    """
    return tr("brief_province", lang, name=province.display_name(lang)) if province else ""


def period_name(period: Period, lang: str) -> str:
    """The period in words, as the committee's reports name it.

    Examples
    --------
    >>> from geo.periods import parse_period
    >>> period_name(parse_period("2018-H1"), "vi"), period_name(parse_period("2018-Q3"), "en")
    ('6 tháng đầu năm 2018', 'Q3 2018')
    >>> period_name(parse_period("2018-9M"), "vi")
    '9 tháng đầu năm 2018'
    """
    year, _, part = period.label.partition("-")
    part = part.lstrip("QH").replace("9M", "")
    if period.kind == "half":
        part = _HALVES[part][LANGUAGES.index(lang)]
    template = _KINDS[period.kind][LANGUAGES.index(lang)]
    return template.format(y=year, part=part.lstrip("0") if period.kind == "month" else part)


def class_name(family: str, code: str, lang: str) -> str:
    """The web map's name of a class: ``family`` ``status`` (commune status) or ``gi`` (Gi* class).

    Examples
    --------
    >>> class_name("status", "not_healthy", "vi"), class_name("gi", "hot 95", "en")
    ('Chưa lành mạnh', 'Hot spot (95%)')
    """
    return tr(f"map_{family}_{code}", lang)
