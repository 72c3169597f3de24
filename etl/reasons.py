"""Reason codes for values the ETL could not accept, with a Vietnamese and English explanation and the fix.

A parser never raises on a bad cell inside a column: it returns the row with a reason code from this
table, so the ingest can quarantine the row and tell the sender what to change.

Examples
--------
>>> REASONS[OUTSIDE_PROVINCE].en
'The point lies outside the province; it was not moved.'
>>> sorted(REASONS)[:2]
['AMBIGUOUS_CRS', 'AMBIGUOUS_DAY_MONTH']
"""

from __future__ import annotations

from typing import NamedTuple


class Reason(NamedTuple):
    """One reason code: what went wrong in Vietnamese (``vi``) and English (``en``), and the ``fix``."""

    vi: str
    en: str
    fix: str


BAD_COORDINATE = "BAD_COORDINATE"
NO_COORDINATE = "NO_COORDINATE"
OUTSIDE_PROVINCE = "OUTSIDE_PROVINCE"
AMBIGUOUS_CRS = "AMBIGUOUS_CRS"
BAD_DATE = "BAD_DATE"
BAD_PERIOD = "BAD_PERIOD"
AMBIGUOUS_DAY_MONTH = "AMBIGUOUS_DAY_MONTH"
BAD_NUMBER = "BAD_NUMBER"
AMBIGUOUS_NUMBER = "AMBIGUOUS_NUMBER"
BAD_MONEY = "BAD_MONEY"
FRACTIONAL_MONEY = "FRACTIONAL_MONEY"
MISSING_FIELD = "MISSING_FIELD"
UNKNOWN_UNIT = "UNKNOWN_UNIT"
AMBIGUOUS_UNIT = "AMBIGUOUS_UNIT"
DUPLICATE = "DUPLICATE"
UNKNOWN_LABEL = "UNKNOWN_LABEL"
NOT_IN_VOCABULARY = "NOT_IN_VOCABULARY"
UNKNOWN_ESTABLISHMENT = "UNKNOWN_ESTABLISHMENT"
AMBIGUOUS_ESTABLISHMENT = "AMBIGUOUS_ESTABLISHMENT"
UNKNOWN_SITE = "UNKNOWN_SITE"
AMBIGUOUS_SITE = "AMBIGUOUS_SITE"

REASONS: dict[str, Reason] = {
    BAD_COORDINATE: Reason(
        "Không đọc được tọa độ.",
        "The coordinate cannot be read.",
        "Write decimal degrees (10.9447, 106.8427), degrees-minutes-seconds (10°56'41\"N 106°50'34\"E) "
        "or VN-2000 X (northing) and Y (easting) in metres.",
    ),
    NO_COORDINATE: Reason(
        "Không có tọa độ.",
        "The row has no coordinate.",
        "Nothing to fix if the address is given: the unit is then resolved from the address.",
    ),
    OUTSIDE_PROVINCE: Reason(
        "Điểm nằm ngoài địa bàn tỉnh; không tự dời điểm.",
        "The point lies outside the province; it was not moved.",
        "Check the coordinate, its lat/lon order and, for X/Y, the VN-2000 zone (kinh tuyến trục).",
    ),
    AMBIGUOUS_CRS: Reason(
        "X/Y rơi vào tỉnh theo nhiều hệ tọa độ; không biết chọn hệ nào.",
        "The X/Y pair lands inside the province under more than one coordinate system.",
        "State the file's VN-2000 zone (kinh tuyến trục) and convert it, or list only the zones "
        "in use under vn2000_crs in the province's province.toml.",
    ),
    BAD_DATE: Reason(
        "Không đọc được ngày.",
        "The date cannot be read, or does not exist.",
        "Write dd/mm/yyyy (15/06/2019), ISO (2019-06-15) or 'ngày 15 tháng 6 năm 2019'.",
    ),
    BAD_PERIOD: Reason(
        "Không đọc được kỳ báo cáo.",
        "The reporting period cannot be read.",
        "Write the period as 2018, Quý II/2018 (2018-Q2), 6 tháng 2018 (2018-H1), 9 tháng 2018 (2018-9M) or "
        "Tháng 6/2018 (2018-06), or give it for the whole file (--period).",
    ),
    AMBIGUOUS_DAY_MONTH: Reason(
        "Cột có cả ngày kiểu dd/mm và mm/dd; ngày này không phân biệt được.",
        "The column mixes day-first and month-first dates, and this one could be either.",
        "Write the column in one order, preferably dd/mm/yyyy, or use ISO dates.",
    ),
    BAD_NUMBER: Reason(
        "Không đọc được số.",
        "The number cannot be read.",
        "Write digits with '.' between thousands and ',' before decimals (1.234.567,5).",
    ),
    AMBIGUOUS_NUMBER: Reason(
        "Không rõ dấu ',' là phần nghìn hay phần thập phân.",
        "It is unclear whether ',' separates thousands or decimals.",
        "Write the whole column in one convention (1.234,5 or 1,234.5), or add a decimal part.",
    ),
    BAD_MONEY: Reason(
        "Không đọc được số tiền.",
        "The amount of money cannot be read.",
        "Write the amount in đồng (15.000.000đ) or with a unit word (15 triệu, 1,5 tỷ, 500 nghìn).",
    ),
    FRACTIONAL_MONEY: Reason(
        "Số tiền lẻ dưới 1 đồng.",
        "The amount has a fraction of a đồng.",
        "Amounts are whole đồng: check the decimal separator and the unit word.",
    ),
    MISSING_FIELD: Reason(
        "Thiếu thông tin bắt buộc.",
        "A required field is empty.",
        "Fill in the field named in the detail (e.g. the date and the act of an incident, and its place).",
    ),
    UNKNOWN_UNIT: Reason(
        "Không tìm thấy xã/phường này trong danh mục đơn vị hành chính của thời điểm đó.",
        "No commune or ward of that name (or code) exists in the boundary vintage of the record's date.",
        "Write the commune's official name with its district (Phường Tân Phong, TP Biên Hòa), its GSO "
        "code, or the coordinates.",
    ),
    AMBIGUOUS_UNIT: Reason(
        "Tên xã/phường khớp với nhiều đơn vị, hoặc chỉ gần giống; không tự chọn, chờ người xem xét.",
        "The commune name matches more than one unit, or only resembles one; none was chosen, the row "
        "waits in the review queue.",
        "Choose the unit in the review queue (/review), or add the district (huyện/thành phố), the GSO code "
        "of the commune or the coordinates and load the row again.",
    ),
    DUPLICATE: Reason(
        "Dòng trùng với một dòng khác trong tệp hoặc đã được nạp trước đó; chỉ nạp một lần.",
        "The row repeats another row of the file, or a record loaded before; it is kept once.",
        "Nothing to fix unless the two rows are two real events: then tell them apart (time, place).",
    ),
    UNKNOWN_LABEL: Reason(
        "Nhãn chưa có trong danh mục; nạp với mã 'other' và giữ nguyên nhãn gốc.",
        "The label is not in the vocabulary; loaded as 'other' with the original label kept.",
        "Use one of the labels of etl/vocabulary.toml (mua bán dâm, chứa mại dâm, môi giới mại dâm, ...) "
        "or ask for the label to be added to it.",
    ),
    NOT_IN_VOCABULARY: Reason(
        "Giá trị không thuộc danh mục cho phép của trường này.",
        "The value is not one of the values this field allows.",
        "Use one of the labels listed in etl/vocabulary.toml for the field (e.g. cấp tỉnh/huyện/xã, "
        "phát hiện/triệt xóa/tái hoạt động).",
    ),
    UNKNOWN_ESTABLISHMENT: Reason(
        "Không tìm thấy cơ sở kinh doanh này (theo mã, hoặc theo tên trong xã/phường đó).",
        "No establishment is loaded with this code, or with this name in this commune.",
        "Load the establishment first (diaban ingest establishments), or give its registration number, "
        "or its name exactly as loaded with its commune.",
    ),
    AMBIGUOUS_ESTABLISHMENT: Reason(
        "Có nhiều cơ sở trùng tên trong xã/phường này; không tự chọn.",
        "Several establishments of this name are loaded in this commune; none was chosen.",
        "Give the establishment's registration number (Số GCN ĐKKD).",
    ),
    UNKNOWN_SITE: Reason(
        "Không tìm thấy tụ điểm này (theo mã tụ điểm, hoặc theo vị trí).",
        "No site is loaded with this site code, or at this place.",
        "Load the site first (diaban ingest sites), or give its site code, or its coordinates or its "
        "name with its commune.",
    ),
    AMBIGUOUS_SITE: Reason(
        "Có nhiều tụ điểm ở vị trí này; không tự chọn.",
        "Several sites match this place; none was chosen.",
        "Give the site code (Mã tụ điểm), or the site's name as loaded.",
    ),
}


def explain(code: str) -> Reason:
    """The explanation and fix of a reason code.

    Parameters
    ----------
    code : str
        One of the module constants, e.g. ``"BAD_DATE"``.

    Returns
    -------
    Reason

    Raises
    ------
    KeyError
        When the code is unknown; the message lists the known codes.

    Examples
    --------
    >>> explain(BAD_MONEY).fix
    'Write the amount in đồng (15.000.000đ) or with a unit word (15 triệu, 1,5 tỷ, 500 nghìn).'
    """
    if code not in REASONS:
        raise KeyError(f"reason code {code!r} is not known; use one of " + ", ".join(sorted(REASONS)))
    return REASONS[code]
