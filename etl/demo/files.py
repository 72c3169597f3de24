"""The demo records written as the files a data officer receives: CSV and XLSX with Vietnamese headers.

Every ingest kind gets at least one file (:func:`write_demo_files`), with headers from
``etl/synonyms.toml`` as the senders write them: some files are XLSX with a title row above the
header, some CSV in UTF-8 with a BOM; places come as latitude/longitude, as a "Tọa độ GPS" text, as
VN-2000 X/Y (TM-3 107°45′, X = northing), as commune and district names, or as GSO codes. A row
number column ("STT") is there as in real reports; the ingest drops it (not a field).

Case, record, registration and site numbers are written in clear (``DEMO-…``), as senders do; the
ingest keeps only their keyed hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
from openpyxl import Workbook
from pyproj.enums import TransformDirection

from etl.coordinates import _to_wgs84
from etl.demo.dataset import DemoData
from etl.demo.generate import END
from etl.names import commune_key, district_key
from etl.text import is_blank

VN2000_CRS = "EPSG:5899"
"""The VN-2000 grid the demo's X/Y columns use (Đồng Nai's TM-3 107°45′); the ingest infers it."""

TITLE = "DỮ LIỆU MÔ PHỎNG (SYNTHETIC DEMO DATA) — {what}"
INSPECTION_OUTCOMES = {
    "khong_vi_pham": "Không vi phạm",
    "nhac_nho": "Nhắc nhở",
    "xu_phat": "Xử phạt vi phạm hành chính",
    "tam_dinh_chi": "Tạm đình chỉ hoạt động",
    "tuoc_giay_phep": "Tước giấy phép",
}
VIOLATIONS = {
    "chua_mai_dam": "Chứa mại dâm",
    "loi_dung_kddv": "Lợi dụng kinh doanh dịch vụ để hoạt động mại dâm",
    "khieu_dam_kich_duc": "Khiêu dâm, kích dục",
    "vi_pham_dieu_kien_kinh_doanh": "Không có sổ đăng ký lưu trú",
}
TEAM_LEVELS = {"tinh": "Cấp tỉnh", "huyen": "Cấp huyện", "xa": "Cấp xã"}
EVENTS = {"cleared": "Triệt xóa", "reactivated": "Tái hoạt động", "recleared": "Triệt xóa lại"}
REPORT_HEADERS = {
    "awareness_activities": "Số buổi tuyên truyền",
    "tips_received": "Số tin báo tiếp nhận",
    "tips_handled": "Số tin báo đã xử lý",
    "people_reached": "Số người được tuyên truyền, giáo dục",
    "vocational_support": "Số người được hỗ trợ dạy nghề",
    "reintegrated": "Số người hoàn lương",
}


@dataclass(frozen=True)
class DemoFile:
    """One written file: the ingest kind it is loaded as, and its path."""

    kind: str
    path: Path


def write_demo_files(data: DemoData, folder: str | Path, *, names: dict[str, pd.DataFrame]) -> list[DemoFile]:
    """Write the demo records into ``folder`` as CSV and XLSX files, in the order they must be loaded.

    Parameters
    ----------
    data : DemoData
        The generated records (:func:`etl.demo.generate_demo`).
    folder : str or Path
        Created if missing; files of the same name are overwritten.
    names : dict
        Per vintage id, a frame indexed by ``commune_code`` with the commune's ``name`` and its
        ``district`` name (None where the vintage has no districts).

    Returns
    -------
    list of DemoFile
        Establishments and sites first, then what links to them (site events, inspections, tips).
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    places = _Places(names)
    files = [
        *_establishments(data, folder),
        _sites(data, folder),
        _site_events(data, folder),
        *_incidents(data, folder, places),
        _inspections(data, folder),
        _tips(data, folder),
        _activities(data, folder),
        _reports(data, folder, places),
        _attestations(data, folder),
    ]
    return files


class _Places:
    """How a row without a point names its commune: names within the district when unique, else the code."""

    def __init__(self, names: dict[str, pd.DataFrame]) -> None:
        self.names = names
        self.unique = {}
        for vintage, frame in names.items():
            keys = [
                (district_key(d) if d else "", commune_key(n))
                for n, d in zip(frame["name"], frame["district"], strict=True)
            ]
            self.unique[vintage] = (
                pd.Series(keys, index=frame.index).duplicated(keep=False).map(lambda d: not d)
            )

    def columns(self, vintages, codes) -> pd.DataFrame:
        """The columns "Mã xã", "Huyện/thành phố", "Xã/phường" of each row; blank without a reference."""
        rows = []
        for v, c in zip(vintages, codes, strict=True):
            if v is None or is_blank(c):
                rows.append((None, None, None))
            elif self.names[v].at[c, "district"] is not None and self.unique[v][c]:
                rows.append((None, self.names[v].at[c, "district"], self.names[v].at[c, "name"]))
            else:
                rows.append((c, None, None))
        return pd.DataFrame(rows, columns=["Mã xã", "Huyện/thành phố", "Xã/phường"])


def _lat_lon(geometry) -> tuple[list, list]:
    """Latitude and longitude (6 decimals, about 0.1 m) of each point, None for no point."""
    lat = [None if g is None else round(g.y, 6) for g in geometry]
    lon = [None if g is None else round(g.x, 6) for g in geometry]
    return lat, lon


def _vn2000(geometry) -> tuple[list, list]:
    """VN-2000 X (northing) and Y (easting) in metres, 2 decimals, None for no point."""
    has = np.array([g is not None for g in geometry], dtype=bool)
    lon = np.array([g.x if g is not None else np.nan for g in geometry])
    lat = np.array([g.y if g is not None else np.nan for g in geometry])
    east, north = _to_wgs84(VN2000_CRS).transform(lon, lat, direction=TransformDirection.INVERSE)
    return (
        [round(float(v), 2) if h else None for v, h in zip(north, has, strict=True)],
        [round(float(v), 2) if h else None for v, h in zip(east, has, strict=True)],
    )


def _dmy(days) -> list:
    """Dates as "dd/mm/yyyy" text, as CSV reports write them."""
    return [None if is_blank(d) else d.strftime("%d/%m/%Y") for d in days]


def _with_stt(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([pd.DataFrame({"STT": range(1, len(frame) + 1)}), frame.reset_index(drop=True)], axis=1)


def _csv(folder: Path, name: str, kind: str, frame: pd.DataFrame) -> DemoFile:
    """Write a CSV in UTF-8 with a byte order mark (as Excel saves it)."""
    path = folder / name
    _with_stt(frame).to_csv(path, index=False, encoding="utf-8-sig")
    return DemoFile(kind, path)


def _xlsx(folder: Path, name: str, kind: str, frame: pd.DataFrame, what: str) -> DemoFile:
    """Write an XLSX whose header sits under a title row and a blank row."""
    path = folder / name
    book = Workbook(write_only=True)
    book.properties.creator = "diaban demo"
    sheet = book.create_sheet("Báo cáo")
    sheet.append([TITLE.format(what=what)])
    sheet.append([])
    frame = _with_stt(frame)
    sheet.append(list(frame.columns))
    for row in frame.itertuples(index=False, name=None):
        sheet.append([_cell(v) for v in row])
    book.save(path)
    return DemoFile(kind, path)


def _cell(value):
    if is_blank(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def _establishments(data: DemoData, folder: Path) -> list[DemoFile]:
    """Two lists: latitude/longitude in a CSV, VN-2000 X/Y in an XLSX with a title row."""
    est = data.establishments
    frame = pd.DataFrame(
        {
            "Tên cơ sở": est["name"],
            "Loại hình kinh doanh": est["type_label"],
            "Số GCN ĐKKD": est["registration_no"],
            "Địa chỉ": est["address"],
            "Ký cam kết": np.where(est["commitment_signed"], "Có", "Chưa"),
        }
    )
    cut = round(len(est) * 0.6)
    lat, lon = _lat_lon(est.geometry.values[:cut])
    north, east = _vn2000(est.geometry.values[cut:])
    first = frame.iloc[:cut].assign(**{"Vĩ độ": lat, "Kinh độ": lon})
    second = frame.iloc[cut:].assign(**{"Tọa độ X (VN-2000)": north, "Tọa độ Y (VN-2000)": east})
    return [
        _csv(folder, "01_co_so_kinh_doanh.csv", "establishments", first),
        _xlsx(
            folder,
            "02_co_so_kinh_doanh_vn2000.xlsx",
            "establishments",
            second,
            "DANH SÁCH CƠ SỞ KINH DOANH DỊCH VỤ DỄ BỊ LỢI DỤNG",
        ),
    ]


def _sites(data: DemoData, folder: Path) -> DemoFile:
    """The sites with the day each was identified and one "Tọa độ GPS" text column."""
    sites, est = data.sites, data.establishments
    first = (
        data.site_events[data.site_events["event_type"] == "identified"]
        .groupby("site_key")["event_date"]
        .min()
    )
    lat, lon = _lat_lon(sites.geometry.values)
    inside = sites["site_kind"] == "in_establishment"
    frame = pd.DataFrame(
        {
            "Mã tụ điểm": sites["site_ref"],
            "Tên tụ điểm": sites["descriptor"],
            "Loại tụ điểm": np.where(inside, "Trong cơ sở kinh doanh", "Tụ điểm công cộng"),
            "Tên cơ sở": [
                est.at[k, "name"] if i else None
                for k, i in zip(sites["establishment_key"], inside, strict=True)
            ],
            "Ngày phát hiện": [first.get(k) for k in range(len(sites))],
            "Tọa độ GPS": [f"{a}, {o}" for a, o in zip(lat, lon, strict=True)],
        }
    )
    return _xlsx(folder, "03_tu_diem.xlsx", "sites", frame, "DANH SÁCH TỤ ĐIỂM MẠI DÂM")


def _site_events(data: DemoData, folder: Path) -> DemoFile:
    """Every step after the identification (which the site list gives), by site number."""
    events = data.site_events[data.site_events["event_type"] != "identified"]
    sites = data.sites
    frame = pd.DataFrame(
        {
            "Mã tụ điểm": sites["site_ref"].to_numpy()[events["site_key"].to_numpy(int)],
            "Tên tụ điểm": sites["descriptor"].to_numpy()[events["site_key"].to_numpy(int)],
            "Ngày": _dmy(events["event_date"]),
            "Sự kiện": events["event_type"].map(EVENTS).to_numpy(),
        }
    )
    return _csv(folder, "04_dien_bien_tu_diem.csv", "site-events", frame)


def _incidents(data: DemoData, folder: Path, places: _Places) -> list[DemoFile]:
    """2016–2020 in an XLSX (latitude/longitude, names), 2021 on in a CSV (VN-2000 X/Y, GSO codes)."""
    inc = data.incidents
    refs = places.columns(inc["ref_vintage"], inc["ref_code"])
    frame = pd.DataFrame(
        {
            "Số vụ việc": [f"DEMO-VV-{i:05d}" for i in range(1, len(inc) + 1)],
            "Ngày xảy ra": inc["event_date"],
            "Hành vi vi phạm": inc["kind_label"],
            "Loại vụ": inc["case_type"].map({"hanh_chinh": "Hành chính", "hinh_su": "Hình sự"}),
            "Kết quả xử lý": inc["outcome"],
            "Số đối tượng": inc["persons_total"],
            "Dưới 18 tuổi": inc["persons_under_18"],
        }
    )
    early = (inc["event_date"] < date(2021, 1, 1)).to_numpy()
    lat, lon = _lat_lon(inc.geometry.values[early])
    north, east = _vn2000(inc.geometry.values[~early])
    first = pd.concat(
        [
            frame[early].reset_index(drop=True),
            refs[early][["Huyện/thành phố", "Xã/phường", "Mã xã"]].reset_index(drop=True),
        ],
        axis=1,
    )
    later = (
        frame[~early].assign(**{"Ngày xảy ra": _dmy(frame.loc[~early, "Ngày xảy ra"])}).reset_index(drop=True)
    )
    # this file names a commune by its code, never by its name
    later = later.assign(**{"Mã xã": inc["ref_code"][~early].to_numpy()})
    return [
        _xlsx(
            folder,
            "05_vu_viec_2016-2020.xlsx",
            "incidents",
            first.assign(**{"Vĩ độ": lat, "Kinh độ": lon}),
            "TỔNG HỢP VỤ VIỆC MẠI DÂM 2016–2020",
        ),
        _csv(
            folder,
            "06_vu_viec_2021-2026.csv",
            "incidents",
            later.assign(**{"Tọa độ X (VN-2000)": north, "Tọa độ Y (VN-2000)": east}),
        ),
    ]


def _inspections(data: DemoData, folder: Path) -> DemoFile:
    """The 178 teams' inspections, each naming its establishment by registration number."""
    insp, est = data.inspections, data.establishments
    keys = insp["establishment_key"].to_numpy(int)
    sanctioned = insp["fine_vnd"].to_numpy() > 0
    frame = pd.DataFrame(
        {
            "Ngày kiểm tra": _dmy(insp["inspection_date"]),
            "Số biên bản": [f"DEMO-BB-{i:05d}" for i in range(1, len(insp) + 1)],
            "Tên cơ sở": est["name"].to_numpy()[keys],
            "Số GCN ĐKKD": est["registration_no"].to_numpy()[keys],
            "Cấp đoàn": insp["team_level"].map(TEAM_LEVELS).to_numpy(),
            "Kết quả xử lý": insp["outcome"].map(INSPECTION_OUTCOMES).to_numpy(),
            "Hành vi vi phạm": [
                "; ".join(VIOLATIONS[c] for c in codes) or None for codes in insp["violation_codes"]
            ],
            "Số tiền phạt": np.where(sanctioned, insp["fine_vnd"], None),
        }
    )
    return _csv(folder, "07_kiem_tra_178.csv", "inspections", frame)


def _tips(data: DemoData, folder: Path) -> DemoFile:
    """Tip-offs: where (latitude/longitude), about which establishment or site (by number), how handled."""
    tips, est, sites = data.tips, data.establishments, data.sites
    lat, lon = _lat_lon(tips.geometry.values)
    frame = pd.DataFrame(
        {
            "Số tin báo": [f"DEMO-TB-{i:04d}" for i in range(1, len(tips) + 1)],
            "Ngày tiếp nhận": tips["received_date"],
            "Hình thức tiếp nhận": tips["channel"],
            "Phân loại tin báo": tips["category"],
            "Số GCN ĐKKD": [
                None if k is None else est.at[k, "registration_no"] for k in tips["establishment_key"]
            ],
            "Mã tụ điểm": [None if k is None else sites.at[k, "site_ref"] for k in tips["site_key"]],
            "Vĩ độ": lat,
            "Kinh độ": lon,
            "Ngày xác minh": tips["verified_date"],
            "Kết quả xác minh": tips["result"],
            "Ngày xử lý": tips["handled_date"],
        }
    )
    return _xlsx(folder, "08_tin_bao.xlsx", "tips", frame, "SỔ TIẾP NHẬN TIN BÁO, TỐ GIÁC")


def _activities(data: DemoData, folder: Path) -> DemoFile:
    """Awareness activities per commune, by GSO code."""
    act = data.activities
    frame = pd.DataFrame(
        {
            "Mã xã": act["commune_code"],
            "Ngày tổ chức": _dmy(act["activity_date"]),
            "Hình thức tuyên truyền": act["form"],
            "Số người tham dự": act["participants"],
        }
    )
    return _csv(folder, "09_hoat_dong_tuyen_truyen.csv", "activities", frame)


def _reports(data: DemoData, folder: Path, places: _Places) -> DemoFile:
    """The periodic commune reports, wide, one row per commune and period: by name where unique, else code."""
    rep = data.reports
    wide = rep.pivot_table(
        index=["vintage", "commune_code", "period"],
        columns="indicator_code",
        values="value",
        aggfunc="first",
        sort=False,
    ).reset_index()
    wide = wide[["vintage", "commune_code", "period", *[c for c in REPORT_HEADERS if c in wide]]]
    counts = wide.drop(columns=["vintage", "commune_code", "period"]).rename(columns=REPORT_HEADERS)
    frame = pd.concat(
        [
            places.columns(wide["vintage"], wide["commune_code"]),
            pd.DataFrame({"Kỳ báo cáo": wide["period"].map(_period_words)}),
            counts.astype(object).where(counts.notna(), None),
        ],
        axis=1,
    )
    frame["Đơn vị báo cáo"] = "UBND xã"
    return _xlsx(
        folder,
        "10_bao_cao_xa.xlsx",
        "commune-reports",
        frame,
        "BÁO CÁO KẾT QUẢ CÔNG TÁC PHÒNG, CHỐNG MẠI DÂM CỦA CÁC XÃ, PHƯỜNG, THỊ TRẤN",
    )


def _period_words(label: str) -> str:
    """A period as reports write it: "Năm 2018", "6 tháng đầu năm 2025", "6 tháng cuối năm 2025"."""
    year, _, half = label.partition("-H")
    return f"Năm {year}" if not half else f"6 tháng {'đầu' if half == '1' else 'cuối'} năm {year}"


def _attestations(data: DemoData, folder: Path) -> DemoFile:
    """The communes' attestations of P8 and P9, by GSO code, dated near the end of the year (or the data)."""
    att = data.attestations
    frame = pd.DataFrame(
        {
            "Mã xã": att["commune_code"],
            "Kỳ đánh giá": att["period"].map(_period_words),
            "Tiêu chí": att["criterion_id"],
            "Kết quả": np.where(att["holds"], "Đạt", "Không đạt"),
            "Đơn vị xác nhận": "UBND xã",
            "Ngày xác nhận": _dmy([min(date(int(p[:4]), 12, 20), END) for p in att["period"]]),
        }
    )
    return _csv(folder, "11_xac_nhan_tieu_chi.csv", "attestations", frame)
