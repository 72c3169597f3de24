"""Names and colours of everything the map classifies, in Vietnamese and English.

Colours are ColorBrewer schemes, readable by the colour-blind: YlOrRd for counts and
density, RdYlBu for commune status and inspection outcomes, RdBu for Gi* classes, Reds and
Blues for emerging hot and cold spots. Site states differ by shape as well as colour.
"""

from __future__ import annotations

from geo.classify import STATUSES
from geo.hotspots import CATEGORIES
from geo.hotspots.inference import class_order
from webapp.i18n import STRINGS, current_language, register

#: ColorBrewer RdYlBu: healthy blue, reduced orange, not healthy red; grey when not assessed.
STATUS_COLOURS = {"healthy": "#2c7bb6", "reduced": "#fdae61", "not_healthy": "#d7191c",
                  "not_assessed": "#d9d9d9"}
#: ColorBrewer RdBu (7 classes) for Gi* bins; grey for units without a statistic.
GI_COLOURS = {"hot 99": "#b2182b", "hot 95": "#ef8a62", "hot 90": "#fddbc7",
              "not significant": "#f7f7f7", "cold 90": "#d1e5f0", "cold 95": "#67a9cf",
              "cold 99": "#2166ac", "no neighbours": "#bdbdbd", "no denominator": "#bdbdbd"}
_REDS = ("#67000d", "#a50f15", "#cb181d", "#ef3b2c", "#fb6a4a", "#fc9272", "#fcbba1", "#fee0d2")
_BLUES = ("#08306b", "#08519c", "#2171b5", "#4292c6", "#6baed6", "#9ecae1", "#c6dbef", "#deebf7")
#: Emerging categories: hot ones in ColorBrewer Reds, cold ones in Blues, in the rules' order.
EMERGING_COLOURS = {
    **{c: _REDS[i] for i, c in enumerate(c for c in CATEGORIES if c.endswith("hot spot"))},
    **{c: _BLUES[i] for i, c in enumerate(c for c in CATEGORIES if c.endswith("cold spot"))},
    "no pattern detected": "#f7f7f7", "no neighbours": "#bdbdbd"}
#: Last inspection outcome of an establishment (ColorBrewer RdYlBu); grey: never inspected.
OUTCOME_COLOURS = {"khong_vi_pham": "#4575b4", "nhac_nho": "#fee090", "xu_phat": "#fc8d59",
                   "tam_dinh_chi": "#d73027", "tuoc_giay_phep": "#a50026", "none": "#bdbdbd",
                   "other": "#969696"}
#: Site states: colour and shape (ColorBrewer RdYlBu).
SITE_STYLES = {"active": ("#d73027", "triangle"), "cleared": ("#4575b4", "circle"),
               "reactivated": ("#f46d43", "diamond")}
#: Kernel density contour levels (20/40/60/80 %), ColorBrewer YlOrRd.
DENSITY_COLOURS = ("#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")

_STATUS = {"healthy": ("Lành mạnh", "Healthy"), "reduced": ("Giảm cơ bản", "Substantially reduced"),
           "not_healthy": ("Chưa lành mạnh", "Not healthy"),
           "not_assessed": ("Chưa đánh giá", "Not assessed")}
_RULES = {"new": ("mới", "New"), "consecutive": ("liên tiếp", "Consecutive"),
          "intensifying": ("gia tăng", "Intensifying"), "persistent": ("dai dẳng", "Persistent"),
          "diminishing": ("suy giảm", "Diminishing"), "oscillating": ("dao động", "Oscillating"),
          "historical": ("trong quá khứ", "Historical"), "sporadic": ("rải rác", "Sporadic")}
_SPOT = {"hot": ("Điểm nóng", "hot spot"), "cold": ("Điểm lạnh", "cold spot")}
_OTHER_CLASSES = {"not significant": ("Không có ý nghĩa thống kê", "Not significant"),
                  "no neighbours": ("Không có đơn vị lân cận", "No neighbours"),
                  "no denominator": ("Không có mẫu số", "No denominator"),
                  "no pattern detected": ("Không phát hiện xu hướng", "No pattern detected")}
_OUTCOMES = {"khong_vi_pham": ("Không vi phạm", "No violation"), "nhac_nho": ("Nhắc nhở", "Warning"),
             "xu_phat": ("Xử phạt", "Fined"), "tam_dinh_chi": ("Tạm đình chỉ", "Suspended"),
             "tuoc_giay_phep": ("Tước giấy phép", "Licence revoked"),
             "none": ("Chưa kiểm tra", "Not inspected"), "other": ("Khác", "Other")}
_SITE_STATUS = {"active": ("Đang hoạt động", "Active"), "cleared": ("Đã triệt xóa", "Cleared"),
                "reactivated": ("Tái hoạt động", "Reactivated")}
_SITE_KINDS = {"public": ("Công cộng", "Public"), "in_establishment": ("Trong cơ sở", "In an establishment")}
_SITE_EVENTS = {"identified": ("Phát hiện", "Identified"), "cleared": ("Triệt xóa", "Cleared"),
                "reactivated": ("Tái hoạt động", "Reactivated"), "recleared": ("Triệt xóa lại", "Re-cleared"),
                "detected": ("Phát hiện tái hoạt động (suy ra)", "Reactivation detected")}
_ESTABLISHMENT_TYPES = {
    "nha_nghi": ("Nhà nghỉ", "Guesthouse"), "khach_san": ("Khách sạn", "Hotel"),
    "karaoke": ("Karaoke", "Karaoke"), "massage": ("Massage, xông hơi", "Massage, sauna"),
    "vu_truong": ("Vũ trường", "Dance hall"), "bar": ("Quán bar", "Bar"),
    "nha_hang": ("Nhà hàng", "Restaurant"), "ca_phe": ("Cà phê", "Café")}
_INCIDENT_KINDS = {
    "mua_ban_dam": ("Mua bán dâm", "Buying or selling sex"),
    "chua_mai_dam": ("Chứa mại dâm", "Harbouring prostitution"),
    "moi_gioi_mai_dam": ("Môi giới mại dâm", "Brokering prostitution"),
    "to_chuc_hoat_dong_mai_dam": ("Tổ chức hoạt động mại dâm", "Organising prostitution"),
    "khieu_dam_kich_duc": ("Hoạt động khiêu dâm, kích dục", "Erotic or sexually stimulating services"),
    "thoat_y": ("Biểu diễn thoát y", "Striptease")}



def _gi_label(code: str) -> tuple[str, str]:
    """A Gi* class in both languages: ``hot 95`` → Điểm nóng (95%) / Hot spot (95%)."""
    if code in _OTHER_CLASSES:
        return _OTHER_CLASSES[code]
    side, level = code.split()
    return f"{_SPOT[side][0]} ({level}%)", f"{_SPOT[side][1].capitalize()} ({level}%)"


def _emerging_label(code: str) -> tuple[str, str]:
    """An emerging category in both languages: ``new hot spot`` → Điểm nóng mới / New hot spot."""
    if code in _OTHER_CLASSES:
        return _OTHER_CLASSES[code]
    rule, side = code.split()[:2]
    return f"{_SPOT[side][0]} {_RULES[rule][0]}", f"{_RULES[rule][1]} {_SPOT[side][1]}"


#: The families of labels: ``{family: {code: (vi, en)}}``; string keys are ``map_<family>_<code>``.
FAMILIES = {
    "status": _STATUS, "gi": {c: _gi_label(c) for c in GI_COLOURS},
    "emerging": {c: _emerging_label(c) for c in EMERGING_COLOURS},
    "outcome": _OUTCOMES, "site_status": _SITE_STATUS, "site_kind": _SITE_KINDS,
    "site_event": _SITE_EVENTS, "etype": _ESTABLISHMENT_TYPES, "kind": _INCIDENT_KINDS,
}
register({f"map_{family}_{code}": pair for family, codes in FAMILIES.items() for code, pair in codes.items()})


def label(family: str, code: str | None, fallback: str | None = None) -> str:
    """The name of ``code`` in ``family`` in the current language; ``fallback`` or the code if unknown.

    Examples
    --------
    >>> from flask import Flask
    >>> app = Flask(__name__)
    >>> app.secret_key = "doctest"
    >>> with app.test_request_context("/?lang=en"):
    ...     label("gi", "hot 95"), label("etype", "spa", "Spa DEMO")
    ('Hot spot (95%)', 'Spa DEMO')
    """
    key = f"map_{family}_{code}"
    if key not in STRINGS:
        return fallback or str(code)
    vi, en = STRINGS[key]
    return en if current_language() == "en" else vi


def legend_order(alpha: float) -> dict[str, list[str]]:
    """The classes of each thematic layer in legend order (Gi* depends on ``alpha``).

    Examples
    --------
    >>> legend_order(0.05)["gi"][:3]
    ['hot 99', 'hot 95', 'not significant']
    """
    return {"status": list(STATUSES), "gi": class_order(alpha), "emerging": list(EMERGING_COLOURS),
            "outcome": list(OUTCOME_COLOURS), "site_status": list(SITE_STYLES)}


def labels_for(family: str, codes) -> dict[str, str]:
    """``{code: name}`` of ``codes`` in the current language (for the page's script)."""
    return {code: label(family, code) for code in codes}
