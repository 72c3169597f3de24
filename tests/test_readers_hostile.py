"""Hostile source files (issue #12): each is refused before it can read the server's files, reach the
network or fill the memory, with a message naming the file, what its extension needs and the fix.

The attack files are built in ``tmp_path``: a GDAL VRT (XML) that points at a "secret" CSV of the test
or at a loopback HTTP listener, a workbook declaring a cell at XFD1048576, a CSV of 64,000 headers,
zip bombs and zips with members outside themselves.
"""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from openpyxl import Workbook
from shapely.geometry import Point
from sqlalchemy import text

from etl import filetypes
from etl.errors import FileContentError, FileTooLargeError, SourceFileError
from etl.readers import _name_columns, read_table
from tests.helpers import send_upload, wait_for_job

SECRET = "SECRET-7f3a9c-KHOA-BI-MAT"


@pytest.fixture
def secret(tmp_path):
    """A CSV standing for a server file (``instance/secret_key``), shaped like incident records."""
    path = tmp_path / "secret_key.csv"
    path.write_text(f"Hành vi,Xã/phường\n{SECRET},Tân Phong\n{SECRET}-2,Tân Phong\n", encoding="utf-8")
    return path


def vrt(source: str) -> str:
    """A GDAL VRT whose one layer is the first layer of ``source`` (a CSV's layer is its stem)."""
    return (f'<OGRVRTDataSource><OGRVRTLayer name="x"><SrcDataSource>{source}</SrcDataSource>'
            "<SrcLayer>secret_key</SrcLayer></OGRVRTLayer></OGRVRTDataSource>\n")


def write_attack(folder: Path, name: str, xml: str) -> Path:
    """``xml`` saved as ``name``; a .zip gets it as the .shp of an otherwise plausible Shapefile."""
    path = folder / name
    if name.endswith(".zip"):
        with zipfile.ZipFile(path, "w") as archive:
            for part in ("co_so.shp", "co_so.shx", "co_so.dbf"):
                archive.writestr(part, xml)
    else:
        path.write_text(xml, encoding="utf-8")
    return path


@pytest.fixture
def listener():
    """A loopback TCP server recording every connection it gets."""
    server = socket.create_server(("127.0.0.1", 0))
    hits: list[bytes] = []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            hits.append(conn.recv(200))
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], hits
    server.close()


# --- GDAL VRT and /vsi paths -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("co_so.geojson", r"co_so\.geojson: not a readable vector file \(it holds XML, a GDAL VRT .*"
                          r"a \.geojson file must be GeoJSON text starting with '\{' or '\['\); "
                          r"export it again"),
        ("co_so.json", r"co_so\.json: not a readable vector file \(it holds XML, a GDAL VRT"),
        ("co_so.gpkg", r"co_so\.gpkg: not a readable vector file \(it holds XML, a GDAL VRT .*"
                       r"must be a GeoPackage"),
        ("co_so.csv", r"co_so\.csv: not a readable text table \(it holds XML, a GDAL VRT .*"
                      r"save it from Excel"),
        ("co_so.zip", r"co_so\.zip: the zip member 'co_so\.shp' is not a Shapefile \.shp file; "
                      r"export it again"),
    ],
)
def test_a_vrt_under_any_extension_is_refused_and_reads_nothing(tmp_path, secret, name, expected):
    path = write_attack(tmp_path, name, vrt(f"CSV:{secret}"))
    with pytest.raises(FileContentError, match=expected) as info:
        read_table(path, kind="incidents")
    assert info.value.path == str(path) and SECRET not in str(info.value)


def test_gdal_itself_no_longer_opens_a_vrt_or_a_network_path(tmp_path, secret, listener):
    # Defence in depth: even a path that skipped the checks finds no VRT driver and no /vsicurl/.
    port, hits = listener
    filetypes.harden_gdal()
    assert "OGR_VRT" not in pyogrio.list_drivers()
    for uri in (str(write_attack(tmp_path, "a.geojson", vrt(f"CSV:{secret}"))),
                str(write_attack(tmp_path, "b.geojson", vrt(f"/vsicurl/http://127.0.0.1:{port}/a.csv"))),
                f"/vsicurl/http://127.0.0.1:{port}/c.geojson"):
        with pytest.raises(pyogrio.errors.DataSourceError):
            pyogrio.read_dataframe(uri)
    time.sleep(0.2)
    assert hits == []


def test_a_vsicurl_vrt_sends_no_request(tmp_path, listener):
    port, hits = listener
    path = write_attack(tmp_path, "diem.geojson", vrt(f"/vsicurl/http://127.0.0.1:{port}/x.csv"))
    with pytest.raises(FileContentError, match="a GDAL VRT"):
        read_table(path)
    time.sleep(0.2)
    assert hits == []


@pytest.mark.parametrize(("name", "sheet"), [("/vsicurl/http://127.0.0.1:9/a.geojson", None),
                                             ("co_so.gpkg", "/vsicurl/http://127.0.0.1:9/a")])
def test_vsi_paths_and_layer_names_from_the_user_are_refused(tmp_path, name, sheet):
    path = name if name.startswith("/vsi") else tmp_path / name
    with pytest.raises(FileContentError, match=r"GDAL virtual file system \('/vsi\.\.\.'\) is refused"):
        read_table(path, sheet=sheet)


def test_an_sqlite_database_that_is_not_a_geopackage_is_refused(tmp_path):
    import sqlite3

    path = tmp_path / "khac.gpkg"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE t (a)")
    with pytest.raises(FileContentError, match=r"an SQLite database but not a GeoPackage"):
        read_table(path)


def test_real_vector_files_still_read_with_their_explicit_driver(tmp_path):
    frame = gpd.GeoDataFrame({"Ten co so": ["Karaoke Hoa Sen"]}, geometry=[Point(106.85, 10.96)],
                             crs="EPSG:4326")
    for name, driver in (("a.geojson", "GeoJSON"), ("a.json", "GeoJSON"), ("a.gpkg", "GPKG")):
        frame.to_file(tmp_path / name, driver=driver)
        result = read_table(tmp_path / name, kind="establishments")
        assert result.frame["name"].tolist() == ["Karaoke Hoa Sen"], name


@pytest.mark.postgis
@pytest.mark.parametrize("name", ["vu_viec.geojson", "vu_viec.csv", "vu_viec.gpkg", "vu_viec.zip"])
def test_ingesting_a_vrt_writes_no_secret_to_the_database(engine, fresh, tmp_path, secret, name):
    from etl.pipeline import ingest

    path = write_attack(tmp_path, name, vrt(f"CSV:{secret}"))
    with pytest.raises(SourceFileError, match="vu_viec"):
        ingest(engine, "incidents", path, hmac_key=b"k" * 32)
    with engine.connect() as c:
        stored = c.execute(text(
            "SELECT coalesce((SELECT string_agg(r::text, ' ') FROM rejected_row r), '') || "
            "coalesce((SELECT string_agg(b::text, ' ') FROM import_batch b WHERE id > :b), '')"),
            {"b": fresh}).scalar()
    assert SECRET not in stored


@pytest.mark.postgis
def test_a_vrt_uploaded_as_geojson_leaks_nothing_through_the_web(editor, engine, fresh, tmp_path, secret):
    response = send_upload(editor, vrt(f"CSV:{secret}").encode(), "diem_nong.geojson")
    assert response.status_code == 202, response.text
    status = wait_for_job(editor, response.get_json()["status_url"])
    assert status["state"] == "failed" and status["report"] is None, status
    assert status["error"].startswith(
        "diem_nong.geojson: not a readable vector file (it holds XML, a GDAL VRT")
    assert SECRET not in str(status)
    with engine.connect() as c:
        stored = c.execute(text(
            "SELECT coalesce((SELECT string_agg(r::text, ' ') FROM rejected_row r), '') || "
            "coalesce((SELECT string_agg(a::text, ' ') FROM audit_log a), '')")).scalar()
    assert SECRET not in stored


# --- sizes -------------------------------------------------------------------------------------------

MEASURE = """
import resource, sys, time
from etl.errors import FileTooLargeError
from etl.readers import read_table
with open("/proc/self/status") as f:
    size = next(int(line.split()[1]) for line in f if line.startswith("VmSize")) * 1024
resource.setrlimit(resource.RLIMIT_AS, (size + 1024**3, size + 1024**3))  # old code: MemoryError
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
start = time.monotonic()
try:
    read_table(sys.argv[1])
    outcome = "read"
except FileTooLargeError as exc:
    outcome = str(exc)
except MemoryError:
    outcome = "MemoryError"
grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) // 1024
print(f"{grown} {time.monotonic() - start:.1f} {outcome}")
"""


def measure(path: Path) -> tuple[int, float, str]:
    """Peak RSS growth (MB), seconds and outcome of reading ``path`` in a fresh process."""
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(MEASURE), str(path)], capture_output=True,
                          text=True, timeout=300, cwd=Path(__file__).parent.parent)
    assert done.returncode == 0, done.stderr[-2000:]
    grown, seconds, outcome = done.stdout.strip().split(" ", 2)
    return int(grown), float(seconds), outcome


def far_cell_workbook(path: Path, dimension: str | None) -> Path:
    """A 5 KB workbook whose one cell sits at XFD1048576; ``dimension`` replaces the declared one."""
    book = Workbook()
    book.active["XFD1048576"] = "x"
    book.save(path)
    if dimension is not None:
        with zipfile.ZipFile(path) as archive:
            parts = {n: archive.read(n) for n in archive.namelist()}
        sheet = parts["xl/worksheets/sheet1.xml"]
        parts["xl/worksheets/sheet1.xml"] = re.sub(rb"<dimension [^>]*>", dimension.encode(), sheet)
        assert parts["xl/worksheets/sheet1.xml"] != sheet
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in parts.items():
                archive.writestr(name, data)
    assert path.stat().st_size < 10_000
    return path


@pytest.mark.parametrize(("dimension", "verb"), [(None, "declares cells up to"),
                                                 ('<dimension ref="A1"/>', "holds a value at"),
                                                 ("", "holds a value at")])
def test_a_cell_at_xfd1048576_is_refused_quickly_in_bounded_memory(tmp_path, dimension, verb):
    path = far_cell_workbook(tmp_path / "bao_cao.xlsx", dimension)
    grown, seconds, outcome = measure(path)
    assert outcome.startswith(f"{path}, sheet 'Sheet': the sheet {verb} XFD1048576 (16,384 columns, "
                              "1,048,576 rows), beyond the limits of 500 columns"), outcome
    assert "delete the unused rows and columns" in outcome
    assert grown < 200 and seconds < 60, (grown, seconds)


def test_a_csv_with_64000_repeated_headers_is_refused_at_once(tmp_path):
    path = tmp_path / "rong.csv"
    path.write_text(";".join(["Ten co so"] * 64_000) + "\n" + ";".join(["x"] * 64_000) + "\n")
    start = time.monotonic()
    with pytest.raises(FileTooLargeError, match=r"rong\.csv, row 1: 64,000 fields; a CSV may have up to "
                                                r"1,000,000 rows, 500 columns"):
        read_table(path, kind="establishments")
    assert time.monotonic() - start < 10


def test_naming_many_repeated_columns_is_linear():
    start = time.monotonic()
    names = _name_columns(["Tên"] * 30_000 + [None] * 10, 30_010, False, None)
    assert time.monotonic() - start < 10  # the quadratic version takes minutes
    assert names[:3] == ["Tên", "Tên.2", "Tên.3"] and names[-1] == "column_30010"
    assert len(set(names)) == len(names)


def test_csv_beyond_the_row_or_byte_limit_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "dai.csv"
    path.write_text("Ten co so;Loai hinh\n" + "Karaoke;karaoke\n" * 50)
    monkeypatch.setattr("etl.readers.MAX_ROWS", 20)
    with pytest.raises(FileTooLargeError, match=r"dai\.csv, row 21: .*up to 20 rows"):
        read_table(path)
    monkeypatch.setattr(filetypes, "MAX_TEXT_BYTES", 100)
    with pytest.raises(FileTooLargeError, match=r"dai\.csv: 0 MB, more than the 0 MB a text table"):
        read_table(path)


def test_binary_data_named_csv_is_refused(tmp_path):
    path = tmp_path / "nhi_phan.csv"
    path.write_bytes(b"Ten co so;SDT\n\x00\x01\x02")
    with pytest.raises(FileContentError, match=r"nhi_phan\.csv: not a readable text table \(it holds binary"):
        read_table(path)


# --- zips --------------------------------------------------------------------------------------------


def shapefile_zip(path: Path, extra: dict[str, bytes] | None = None, rename=lambda n: n) -> Path:
    folder = path.parent / "shp"
    folder.mkdir(exist_ok=True)
    gpd.GeoDataFrame({"Ten co so": ["Karaoke Hoa Sen"]}, geometry=[Point(106.85, 10.96)],
                     crs="EPSG:4326").to_file(folder / "co_so.shp")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in folder.iterdir():
            archive.write(part, rename(part.name))
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def test_a_workbook_zip_bomb_is_refused_before_it_unpacks(tmp_path, monkeypatch):
    path = tmp_path / "bom.xlsx"
    book = Workbook()
    book.active.append(["Tên cơ sở", "Loại hình"])
    book.save(path)
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/media/padding.bin", bytes(24 * 2**20))  # 24 MB of zeros, 24 KB packed
    assert path.stat().st_size < 100_000
    monkeypatch.setattr(filetypes, "MAX_UNPACKED_BYTES", 16 * 2**20)
    with pytest.raises(FileTooLargeError, match=r"bom\.xlsx: the zip holds .* unpacking to 24 MB, more "
                                                r"than the limits \(10,000 files, 16 MB\); it looks like a "
                                                r"zip bomb"):
        read_table(path)


def test_a_shapefile_zip_bomb_is_refused(tmp_path, monkeypatch):
    path = shapefile_zip(tmp_path / "bom.zip", {"co_so.shp.xml": bytes(24 * 2**20)})
    monkeypatch.setattr(filetypes, "MAX_UNPACKED_BYTES", 16 * 2**20)
    with pytest.raises(FileTooLargeError, match=r"bom\.zip: .*it looks like a zip bomb"):
        read_table(path)


@pytest.mark.parametrize(
    ("extra", "rename", "expected"),
    [
        ({"../../etc/cron.d/x.prj": b"x"}, None,
         r"the zip member '\.\./\.\./etc/cron\.d/x\.prj' points outside"),
        ({"/etc/x.prj": b"x"}, None, r"the zip member '/etc/x\.prj' points outside"),
        ({"inner.zip": b"PK\x03\x04"}, None, r"the zip holds another archive \('inner\.zip'\)"),
        (None, lambda n: n.replace(".shx", ".bak"),
         r"the zip holds 'co_so\.shp' without its \.shx and \.dbf"),
    ],
)
def test_a_shapefile_zip_with_members_outside_itself_or_incomplete_is_refused(tmp_path, extra, rename,
                                                                              expected):
    path = shapefile_zip(tmp_path / "co_so.zip", extra, rename or (lambda n: n))
    with pytest.raises(FileContentError, match=rf"co_so\.zip: {expected}"):
        read_table(path)


def test_a_plain_shapefile_zip_still_reads(tmp_path):
    result = read_table(shapefile_zip(tmp_path / "co_so.zip"), kind="establishments")
    assert result.frame["name"].tolist() == ["Karaoke Hoa Sen"]


# --- workbooks that must still read --------------------------------------------------------------------


def test_a_merged_two_row_header_still_reads_in_streaming_mode(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["BÁO CÁO"])
    sheet.merge_cells("A1:D1")
    sheet.append(["Tên cơ sở", "Tọa độ", None, "Ngày KT"])
    sheet.append([None, "X", "Y", None])
    for column in ("A", "D"):
        sheet.merge_cells(f"{column}2:{column}3")
    sheet.merge_cells("B2:C2")
    sheet.append(["Karaoke Hoa Sen", 1218000.5, 412345.2, "15/06/2019"])
    sheet.append(["Nhà nghỉ Thủy Tiên", 1219000, 413000, "16/06/2019"])
    sheet.merge_cells("D4:D5")  # one date for both rows
    path = tmp_path / "hop_nhat.xlsx"
    book.save(path)
    result = read_table(path, sheet="Sheet", kind="inspections")
    assert result.header_row == 3
    assert result.frame.to_dict("records") == [
        {"source_row": 4, "establishment_name": "Karaoke Hoa Sen", "x": 1218000.5, "y": 412345.2,
         "inspection_date": "15/06/2019"},
        {"source_row": 5, "establishment_name": "Nhà nghỉ Thủy Tiên", "x": 1219000, "y": 413000,
         "inspection_date": "15/06/2019"},
    ]


def test_merged_ranges_beyond_the_limit_are_refused(tmp_path, monkeypatch):
    book = Workbook()
    sheet = book.active
    sheet.append(["Tên cơ sở", "Loại hình"])
    for row in range(2, 40):
        sheet.merge_cells(f"A{row}:B{row}")
    path = tmp_path / "gop.xlsx"
    book.save(path)
    monkeypatch.setattr("etl.workbooks.MAX_MERGES", 30)
    with pytest.raises(FileTooLargeError, match=r"gop\.xlsx, sheet 'Sheet': more than 30 merged ranges"):
        read_table(path)
