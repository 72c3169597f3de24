"""Write the pathology files of this folder that cannot be typed by hand (run once; the output is committed).

Run from the checkout: ``.venv/bin/python -m tests.data.pathologies.make_files``. The CSV files
without a legacy encoding (dates.csv, commune_names.csv, ...) are typed by hand and not written here.

Every point is fixed here, never looked up in the database: the representative points of four
communes of the 2010-02-06 vintage (boundaries/provinces/dong_nai/dong_nai_boundaries.gpkg, layer
communes_2016_2019_vietgis), rounded to 6 decimals, and one point in Hà Nội, outside the province.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from etl.text import encode_legacy
from tests.helpers import cp1258  # Windows-1258 as Vietnamese Windows writes it

HERE = Path(__file__).resolve().parent

# (lat, lon) inside a commune of the 2010-02-06 vintage, by GSO code.
TAN_PHONG = (10.975919, 106.826155)   # 25996 Phường Tân Phong, TP Biên Hòa
TAM_HIEP = (10.948811, 106.856316)    # 26017 Phường Tam Hiệp, TP Biên Hòa
LONG_BINH = (10.932332, 106.902797)   # 26020 Phường Long Bình, TP Biên Hòa
HO_NAI_3 = (10.964251, 106.930363)    # 26272 Xã Hố Nai 3, H. Trảng Bom
TRANG_BOM = (10.961491, 106.997043)   # 26248 Thị trấn Trảng Bom
TAN_HOA = (10.972738, 106.910105)     # 26005 Phường Tân Hòa, TP Biên Hòa
QUYET_THANG = (10.946461, 106.82245)  # 26041 Phường Quyết Thắng, TP Biên Hòa
LONG_THANH = (10.77839, 106.941478)   # 26368 Thị trấn Long Thành
HA_NOI = (21.0285, 105.8542)          # outside the province

HEADER = "Ngày xảy ra;Hành vi;Xã/phường;Huyện;Số đối tượng"


def write_csv(name: str, lines: list[str], encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(("\n".join(lines) + "\n").encode(encoding))


def legacy(text: str, encoding: str) -> str:
    """What Excel shows of a .VnTime (TCVN3) or VNI-Windows cell: its bytes read as Latin-1."""
    return encode_legacy(text, encoding).decode("latin-1")


def mojibake(text: str) -> str:
    """UTF-8 bytes read as Windows-1252 (the text must avoid the 5 bytes cp1252 leaves undefined)."""
    return text.encode("utf-8").decode("cp1252")


def text_files() -> None:
    write_csv("bom_utf8.csv", [
        HEADER,
        "05/03/2018;Mua bán dâm;Phường Tân Phong;TP Biên Hòa;2",
        "06/03/2018;Chứa mại dâm;Phường Tam Hiệp;TP Biên Hòa;1",
        "07/03/2018;Môi giới mại dâm;Phường Long Bình;TP Biên Hòa;1",
    ], "utf-8-sig")
    lines = [
        HEADER,
        "10/04/2019;Mua bán dâm;Phường Tân Hòa;TP Biên Hòa;2",
        "11/04/2019;Chứa mại dâm;Xã Hố Nai 3;Huyện Trảng Bom;1",
        "12/04/2019;Thoát y;Phường Quyết Thắng;TP Biên Hòa;1",
    ]
    (HERE / "windows_1258.csv").write_bytes(b"".join(cp1258(line) + b"\n" for line in lines))
    acts = ["Mua bán dâm", "Chứa mại dâm", "Môi giới mại dâm", "Khiêu dâm, kích dục"]
    places = ["Phường Tân Phong", "Phường Tam Hiệp", "Phường Long Bình", "Phường Tân Hòa"]
    write_csv("tcvn3_act.csv", [HEADER] + [
        f"0{day}/05/2020;{legacy(act, 'tcvn3')};{place};TP Biên Hòa;1"
        for day, act, place in zip(range(1, 5), acts, places, strict=True)])
    # The same cells as raw TCVN3 bytes, as a .VnTime sheet saved as plain "CSV (Comma delimited)"
    # gives them: not UTF-8, so the file is read as Windows-1258.
    raw = [b"Ngay xay ra;Hanh vi;Ma xa;So doi tuong"]
    raw += [f"0{day}/05/2020;".encode() + encode_legacy(act, "tcvn3") + f";{code};1".encode()
            for day, act, code in zip(range(1, 5), acts, ["25996", "26017", "26020", "26005"], strict=True)]
    (HERE / "tcvn3_raw_bytes.csv").write_bytes(b"\n".join(raw) + b"\n")
    communes = [("Phường Tân Phong", "TP Biên Hòa"), ("Phường Tam Hiệp", "TP Biên Hòa"),
                ("Xã Hố Nai 3", "Huyện Trảng Bom"), ("Phường Quyết Thắng", "TP Biên Hòa")]
    write_csv("vni_commune.csv", [HEADER] + [
        f"0{day}/06/2021;Mua bán dâm;{legacy(commune, 'vni')};{district};1"
        for day, (commune, district) in enumerate(communes, start=1)])
    acts = ["Mua bán dâm", "Chứa mại dâm", "Thoát y", "Môi giới mại dâm"]
    write_csv("mojibake_act.csv", [HEADER] + [
        f"0{day}/07/2022;{mojibake(act)};{place};TP Biên Hòa;1"
        for day, act, place in zip(range(1, 5), acts, places, strict=True)])


def vn2000(lat_lon: tuple[float, float]) -> tuple[float, float]:
    """(X northing, Y easting) in VN-2000 TM-3 107°45′ (EPSG:5899), metres to the centimetre."""
    from pyproj import Transformer

    east, north = Transformer.from_crs("EPSG:4326", "EPSG:5899", always_xy=True).transform(
        lat_lon[1], lat_lon[0])
    return round(north, 2), round(east, 2)


def vn2000_file() -> None:
    rows = [("01/04/2021", "Mua bán dâm", vn2000(TAM_HIEP)),
            ("02/04/2021", "Chứa mại dâm", vn2000(TRANG_BOM)),
            ("03/04/2021", "Mua bán dâm", vn2000(HA_NOI)),
            ("04/04/2021", "Mua bán dâm", vn2000(HO_NAI_3)[::-1])]  # Y written under X and X under Y
    write_csv("vn2000_xy.csv", ["Ngày xảy ra;Hành vi;Tọa độ X (VN-2000);Tọa độ Y (VN-2000)"] + [
        f"{day};{act};{x:.2f};{y:.2f}" for day, act, (x, y) in rows])


def workbook() -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Vụ việc 2018"
    sheet["A1"] = "UBND TỈNH ĐỒNG NAI"
    sheet.merge_cells("A1:G1")
    sheet["A2"] = "BÁO CÁO KẾT QUẢ ĐẤU TRANH PHÒNG, CHỐNG TỆ NẠN MẠI DÂM THÁNG 8/2018"
    sheet.merge_cells("A2:G2")
    for column, label in enumerate(["STT", "Ngày xảy ra", "Hành vi", "Xã/phường", "Huyện"], start=1):
        sheet.cell(row=4, column=column, value=label)
        sheet.merge_cells(start_row=4, start_column=column, end_row=5, end_column=column)
    sheet["F4"] = "Tọa độ"
    sheet.merge_cells("F4:G4")
    sheet["F5"], sheet["G5"] = "X", "Y"
    x, y = vn2000(HO_NAI_3)
    rows = [
        [1, dt.datetime(2018, 8, 1), "Mua bán dâm", "Phường Tân Phong", "TP Biên Hòa"],
        [2, "02/08/2018", "Chứa mại dâm", "Phường Tam Hiệp", "TP Biên Hòa"],
        [3, 43315, "Môi giới mại dâm", "Phường Long Bình", "TP Biên Hòa"],
        None,  # a blank row inside the data
        [4, dt.datetime(2018, 8, 4), "Mua bán dâm", None, None, x, y],
    ]
    for offset, row in enumerate(rows):
        for column, value in enumerate(row or [], start=1):
            sheet.cell(row=6 + offset, column=column, value=value)
    book.save(HERE / "title_rows_merged_header.xlsx")


def vector_files() -> None:
    import geopandas as gpd
    from shapely.geometry import Point

    def points(records, columns, crs="EPSG:4326"):
        frame = gpd.GeoDataFrame(
            [dict(zip(columns, values, strict=True)) for values, _ in records],
            geometry=[Point(lon, lat) for _, (lat, lon) in records], crs="EPSG:4326")
        return frame.to_crs(crs)

    points([(("2018-09-01", "Mua bán dâm"), TAN_PHONG), (("2018-09-02", "Chứa mại dâm"), TAM_HIEP),
            (("2018-09-03", "Mua bán dâm"), HA_NOI)], ["Ngày xảy ra", "Hành vi"]).to_file(
        HERE / "points.geojson", driver="GeoJSON")
    gpkg = HERE / "points_utm48n.gpkg"
    gpkg.unlink(missing_ok=True)
    points([(("15/10/2019", "Mua dâm"), LONG_BINH), (("16/10/2019", "Bán dâm"), HO_NAI_3),
            (("17/10/2019", "Mua bán dâm"), LONG_THANH)], ["Ngày xảy ra", "Hành vi"],
           "EPSG:32648").to_file(gpkg, layer="vu_viec", driver="GPKG", engine="pyogrio")
    folder = HERE / "shp"
    folder.mkdir(exist_ok=True)
    points([(("2020-01-10", "Mua bán dâm", 2), TAN_PHONG), (("2020-01-11", "Chứa mại dâm", 1), TAN_HOA),
            (("2020-01-12", "Selling sex", 1), QUYET_THANG)], ["Date", "Offence", "Persons"]).to_file(
        folder / "vu_viec.shp", encoding="utf-8", engine="pyogrio")
    with zipfile.ZipFile(HERE / "points_shapefile.zip", "w") as archive:
        for part in sorted(folder.iterdir()):
            archive.write(part, part.name)
            part.unlink()
    folder.rmdir()


if __name__ == "__main__":
    text_files()
    vn2000_file()
    workbook()
    vector_files()
