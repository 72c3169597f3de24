"""``diaban ingest`` on real files written here: counts, quarantine, privacy, dry run, all-or-nothing."""

from __future__ import annotations

import json

import pytest
from openpyxl import Workbook
from pyproj import Transformer
from sqlalchemy import text

from etl.pipeline import ingest
from geo.store.units import list_vintages, read_units
from tests.helpers import run_cli

pytestmark = pytest.mark.postgis

PERSON = "Nguyễn Văn Bí"
PHONE = "0909123456"


def _counts(engine) -> tuple[int, int, int, int]:
    with engine.connect() as c:
        return tuple(c.execute(text(
            "SELECT (SELECT count(*) FROM import_batch), (SELECT count(*) FROM incident), "
            "(SELECT count(*) FROM establishment), (SELECT count(*) FROM rejected_row)")).one())


def _inside(engine, vintage: str, code: str) -> tuple[float, float]:
    units = read_units(engine, vintage)
    point = units.loc[units["commune_code"] == code, "geometry"].iloc[0].representative_point()
    return point.x, point.y


def _comma(value: float) -> str:
    return f"{value:.6f}".replace(".", ",")


@pytest.fixture
def incidents_csv(tmp_path, engine):
    lon, lat = _inside(engine, "75:2010-02-06", "25996")
    rows = [
        "STT;Ngày xảy ra;Hành vi;Vĩ độ;Kinh độ;Xã/phường;Huyện;Họ tên;Số đối tượng",
        f"1;15/06/2018;Mua bán dâm;{_comma(lat)};{_comma(lon)};;;{PERSON};2",           # loaded, by point
        f"2;16/06/2018;Chứa mại dâm;21,028500;105,854200;;;{PERSON} 2;1",              # OUTSIDE_PROVINCE
        f"3;;Mua bán dâm;;;P. Tân Phong;TP Biên Hòa;{PERSON} 3;1",                      # MISSING_FIELD
        f"4;03/04/2018;Môi giới mại dâm;;;P. Tân Phong;TP Biên Hòa;{PERSON} 4;1",       # loaded, 25996
        f"5;20/07/2018;Mua bán dâm;;;Xuân Hòa;;{PERSON} 5;1",                           # AMBIGUOUS_UNIT
        f"6;21/07/2018;Mua bán dâm;;;Phường Không Có;TP Biên Hòa;{PERSON} 6;1",         # UNKNOWN_UNIT
        f"1;15/06/2018;Mua bán dâm;{_comma(lat)};{_comma(lon)};;;{PERSON};2",           # duplicate of 1
        f"8;22/08/2018;Hành vi chưa có tên;;;Hố Nai III;H. Trảng Bom;{PERSON} 8;3",     # loaded, other
    ]
    path = tmp_path / "vu_viec.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


def test_incidents_csv_loads_the_sound_rows_and_explains_the_others(db_url, engine, fresh, incidents_csv):
    result = run_cli(db_url, "ingest", "incidents", str(incidents_csv), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("kind", "read", "loaded", "rejected", "duplicates")} == {
        "kind": "incidents", "read": 8, "loaded": 3, "rejected": 4, "duplicates": 1}
    assert summary["read"] == summary["loaded"] + summary["rejected"] + summary["duplicates"]
    assert summary["reasons"] == {"AMBIGUOUS_UNIT": 1, "MISSING_FIELD": 1, "OUTSIDE_PROVINCE": 1,
                                  "UNKNOWN_UNIT": 1}
    assert summary["dropped_columns"] == ["STT", "Họ tên"]  # only mapped fields are kept
    assert summary["dropped_reasons"] == {"STT": "not_a_field", "Họ tên": "person_name"}
    assert summary["warnings"] == {"UNKNOWN_LABEL": 1}
    with engine.connect() as c:
        loaded = c.execute(text(
            "SELECT i.event_date::text, i.incident_kind, i.kind_label, u.code, u.vintage_id, "
            "i.geom IS NOT NULL, i.persons_total FROM incident i JOIN admin_unit u ON u.id = i.unit_id "
            "WHERE i.import_batch_id = :b ORDER BY i.event_date"), {"b": summary["batch_id"]}).all()
        rejected = c.execute(text(
            "SELECT source_row, reason, detail, raw FROM rejected_row WHERE import_batch_id = :b "
            "ORDER BY source_row"), {"b": summary["batch_id"]}).all()
    assert [tuple(r) for r in loaded] == [
        ("2018-04-03", "moi_gioi_mai_dam", "Môi giới mại dâm", "25996", "75:2010-02-06", False, 1),
        ("2018-06-15", "mua_ban_dam", "Mua bán dâm", "25996", "75:2010-02-06", True, 2),
        ("2018-08-22", "other", "Hành vi chưa có tên", "26272", "75:2010-02-06", False, 3),
    ]
    assert [(r.source_row, r.reason) for r in rejected] == [
        (3, "OUTSIDE_PROVINCE"), (4, "MISSING_FIELD"), (6, "AMBIGUOUS_UNIT"), (7, "UNKNOWN_UNIT")]
    ambiguous = rejected[2]
    assert "26083" in ambiguous.detail and "26443" in ambiguous.detail and "district" in ambiguous.detail
    assert ambiguous.raw["commune"] == "Xuân Hòa" and "Họ tên" not in ambiguous.raw


def test_dropped_columns_never_reach_the_database(db_url, engine, fresh, incidents_csv):
    summary = json.loads(run_cli(db_url, "ingest", "incidents", str(incidents_csv), "--json").stdout)
    assert summary["rejected"] == 4
    with engine.connect() as c:
        def hits(table: str, needle: str) -> int:
            return c.execute(text(f"SELECT count(*) FROM {table} t WHERE t::text LIKE :n"),
                             {"n": f"%{needle}%"}).scalar()
        assert hits("rejected_row", "Xuân Hòa") == 1  # the check can see stored values
        for table in ("incident", "rejected_row", "import_batch", "audit_log"):
            assert hits(table, PERSON) == 0, table


def test_dry_run_writes_nothing(db_url, engine, fresh, incidents_csv):
    before = _counts(engine)
    result = run_cli(db_url, "ingest", "incidents", str(incidents_csv), "--dry-run", "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["batch_id"], summary["loaded"], summary["rejected"]) == (None, 3, 4)
    assert _counts(engine) == before


def test_a_file_that_fails_leaves_nothing_half_loaded(db_url, engine, fresh, incidents_csv, tmp_path):
    before = _counts(engine)
    unreadable = tmp_path / "khong_tieu_de.csv"
    unreadable.write_text("abc;def\n1;2\n", encoding="utf-8")
    result = run_cli(db_url, "ingest", "incidents", str(unreadable))
    assert result.exit_code != 0 and "khong_tieu_de.csv" in result.output and "header" in result.output

    def die(stage, rows):
        if stage == "records":  # the records are written, the quarantine is not yet
            raise ConnectionError("the process died mid-file")

    with pytest.raises(ConnectionError):
        ingest(engine, "incidents", incidents_csv, progress=die)
    assert _counts(engine) == before
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM import_batch WHERE status = 'running'")).scalar() == 0


def test_establishments_xlsx_with_vn2000_xy(db_url, engine, fresh, tmp_path):
    latest = list_vintages(engine)[-1].id
    code = read_units(engine, latest)["commune_code"].iloc[10]
    to_vn2000 = Transformer.from_crs("EPSG:4326", "EPSG:5899", always_xy=True)
    east, north = to_vn2000.transform(*_inside(engine, latest, code))
    far_east, far_north = to_vn2000.transform(105.8542, 21.0285)
    book = Workbook()
    sheet = book.active
    sheet.append(["DANH SÁCH CƠ SỞ KINH DOANH CÓ ĐIỀU KIỆN"])
    sheet.append([])
    sheet.append(["Tên cơ sở", "Loại hình", "Tọa độ X", "Tọa độ Y", "Số điện thoại"])
    sheet.append(["Karaoke Hoa Sen", "Karaoke", round(north, 2), round(east, 2), PHONE])
    sheet.append(["Nhà nghỉ Xa", "Nhà nghỉ", round(far_north, 2), round(far_east, 2), PHONE])
    sheet.append([None, None, round(north, 2), round(east, 2), PHONE])
    sheet.append(["Spa Lạ", "Spa dưỡng sinh", round(north, 2), round(east, 2) + 1, PHONE])
    path = tmp_path / "co_so.xlsx"
    book.save(path)
    result = run_cli(db_url, "ingest", "establishments", str(path), "--json")
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("read", "loaded", "rejected", "duplicates", "reasons")} == {
        "read": 4, "loaded": 2, "rejected": 2, "duplicates": 0,
        "reasons": {"MISSING_FIELD": 1, "OUTSIDE_PROVINCE": 1}}
    assert summary["dropped_columns"] == ["Số điện thoại"]
    with engine.connect() as c:
        rows = c.execute(text(
            "SELECT e.name, e.establishment_type, u.code, u.vintage_id FROM establishment e "
            "JOIN admin_unit u ON u.id = e.unit_id WHERE e.import_batch_id = :b ORDER BY e.id"),
            {"b": summary["batch_id"]}).all()
        sources = c.execute(text("SELECT source_row FROM rejected_row WHERE import_batch_id = :b "
                                 "ORDER BY source_row"), {"b": summary["batch_id"]}).scalars().all()
        phones = c.execute(text("SELECT count(*) FROM rejected_row t WHERE t::text LIKE :n"),
                           {"n": f"%{PHONE}%"}).scalar()
    assert [tuple(r) for r in rows] == [("Karaoke Hoa Sen", "karaoke", code, latest),
                                        ("Spa Lạ", "other", code, latest)]
    assert sources == [5, 6] and phones == 0


def test_human_summary(db_url, fresh, incidents_csv):
    result = run_cli(db_url, "ingest", "incidents", str(incidents_csv), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "8 rows read, 3 loaded, 4 rejected, 1 duplicates (dry run, nothing written)" in result.output
    assert "AMBIGUOUS_UNIT × 1" in result.output and "Họ tên" in result.output


def test_geojson_points_and_an_empty_file(db_url, engine, fresh, tmp_path):
    lon, lat = _inside(engine, "75:2010-02-06", "25996")
    features = [{"type": "Feature", "properties": {"Tên cơ sở": name, "Loại hình": "Khách sạn"},
                 "geometry": {"type": "Point", "coordinates": point}}
                for name, point in (("KS Trong", [lon, lat]), ("KS Ngoài", [105.8542, 21.0285]))]
    path = tmp_path / "co_so.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    summary = ingest(engine, "establishments", path)
    assert (summary["loaded"], summary["reasons"]) == (1, {"OUTSIDE_PROVINCE": 1})
    empty = tmp_path / "rong.csv"
    empty.write_text("Ngày xảy ra;Hành vi;Xã/phường\n", encoding="utf-8")
    summary = ingest(engine, "incidents", empty)
    assert (summary["read"], summary["loaded"], summary["rejected"]) == (0, 0, 0)
    assert summary["batch_id"] is not None
