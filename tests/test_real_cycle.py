"""Issue #11: a database filled ONLY through ``diaban ingest`` classifies the communes its files cover.

Its own fresh database (not the demo one): ``db init``, ``boundaries load``, then one hand-made file
of each kind for three Biên Hòa wards of the 2010-02-06 vintage (the one valid in 2018), then
``diaban classify --period 2018``. Expected, read off the files below:

- Tân Phong (25996): its site was cleared in 2017, its karaoke signed and was inspected without
  violation, two activities held, two tip-offs both handled, P8 and P9 attested: **healthy** (100).
- Tam Hiệp (26017): its guesthouse was fined (P2 fails), no activity or tip record but the commune
  report says 3 activities and 0 tips (the reported fallback), P9 not met: **reduced** (P1, P3 hold).
- Long Bình (26020): a public site identified in 2018 (P1 and P3 fail), its massage parlour neither
  signed nor inspected, one tip still pending: **not_healthy**.

Every other commune has no activity, tip, report or attestation: it stays **not_assessed**.
"""

from __future__ import annotations

import json
import secrets

import pytest
from sqlalchemy import text

from geo.store import make_engine
from tests.helpers import run_cli

pytestmark = pytest.mark.postgis

KEY = "real-cycle-test-key-0123456789"
BH = "Biên Hòa"
FILES = {
    # without a date an establishment is placed on today's vintage: by its point it is found on 2018's
    "establishments": ("Tên cơ sở;Loại hình;Vĩ độ;Kinh độ;Ký cam kết;Số GCN ĐKKD\n"
                       "Karaoke RC-Sao Mai;Karaoke;10.9759;106.8262;Có;RC-001\n"
                       "Nhà nghỉ RC-Bình An;Nhà nghỉ;10.9488;106.8563;Có;RC-002\n"
                       "Massage RC-Thư Giãn;Massage;10.9323;106.9028;Không;RC-003\n"),
    "sites": ("Mã tụ điểm;Tên tụ điểm;Loại tụ điểm;Ngày phát hiện;Vĩ độ;Kinh độ\n"
              "TD-RC-01;Đoạn đường RC gần chợ;Công cộng;10/03/2018;10.9323;106.9028\n"
              "TD-RC-02;Công viên RC;Công cộng;01/05/2016;10.9759;106.8262\n"),
    "site-events": "Mã tụ điểm;Ngày;Sự kiện\nTD-RC-02;01/02/2017;Triệt xóa\n",
    "incidents": ("Ngày xảy ra;Hành vi;Xã/phường;Huyện;Số đối tượng\n"
                  f"02/04/2018;Mua bán dâm;Phường Long Bình;{BH};2\n"),
    "inspections": ("Ngày KT;Mã cơ sở;Cấp đoàn;Vi phạm;Kết quả xử lý;Số tiền phạt\n"
                    "15/06/2018;RC-001;Cấp huyện;;Không vi phạm;\n"
                    "16/06/2018;RC-002;Cấp tỉnh;Chứa mại dâm;Xử phạt;15 triệu\n"),
    "tips": ("Ngày tiếp nhận;Hình thức tiếp nhận;Loại tin báo;Xã/phường;Huyện;Vĩ độ;Kinh độ;Mã cơ sở;"
             "Mã tụ điểm;Ngày xác minh;Kết quả xác minh;Ngày xử lý;Người báo tin;Số điện thoại\n"
             f"05/03/2018;Đường dây nóng;Cơ sở có dấu hiệu;Phường Tân Phong;{BH};;;RC-001;;08/03/2018;"
             "Không đúng sự thật;10/03/2018;Nguyễn Văn Báo Tin;0909123456\n"
             "12/07/2018;Hòm thư;Mua bán dâm;;;10.9759;106.8262;;;20/07/2018;Đúng sự thật;25/07/2018;;\n"
             f"01/11/2018;Trực tiếp;Tụ điểm mại dâm;Phường Long Bình;{BH};;;;TD-RC-01;;Đang xác minh;;"
             "Trần Thị Tố Giác;0912000111\n"),
    "activities": ("Ngày;Hình thức;Số người tham dự;Xã/phường;Huyện\n"
                   f"10/04/2018;Họp dân;120;Phường Tân Phong;{BH}\n"
                   f"15/09/2018;Loa phát thanh;;Phường Tân Phong;{BH}\n"
                   f"20/05/2018;Tờ rơi;300;Phường Long Bình;{BH}\n"),
    "commune-reports": ("Xã/phường;Huyện;Kỳ báo cáo;Số buổi tuyên truyền;Số tin báo tiếp nhận;"
                        "Số tin báo đã xử lý;Số người được tiếp cận;Số người được hỗ trợ dạy nghề;"
                        "Số người hoàn lương\n"
                        f"Phường Tam Hiệp;{BH};Năm 2018;3;0;0;45;2;1\n"
                        f"Phường Tân Phong;{BH};Năm 2018;1;5;5;30;1;0\n"),
    "attestations": ("Xã/phường;Huyện;Kỳ đánh giá;Tiêu chí;Kết quả;Đơn vị xác nhận;Ngày xác nhận;Ghi chú\n"
                     f"Phường Tân Phong;{BH};2018;P8;Đạt;UBND phường;20/12/2018;Không có cán bộ vi phạm\n"
                     f"Phường Tân Phong;{BH};2018;P9;Đạt;UBND phường;20/12/2018;\n"
                     f"Phường Tam Hiệp;{BH};2018;P8;Đạt;Công an phường;20/12/2018;\n"
                     f"Phường Tam Hiệp;{BH};2018;P9;Không đạt;UBND phường;20/12/2018;Chưa có kế hoạch\n"
                     f"Phường Long Bình;{BH};2018;P8;Có;UBND phường;21/12/2018;\n"
                     f"Phường Long Bình;{BH};2018;P9;Có;UBND phường;21/12/2018;\n"),
}
#: kind: (read, loaded, dropped columns); every file loads whole (a wide report: one row per cell).
LOADS = {"establishments": (3, 3, []), "sites": (2, 2, []), "site-events": (1, 1, []),
         "incidents": (1, 1, []), "inspections": (2, 2, []),
         "tips": (3, 3, ["Người báo tin", "Số điện thoại"]), "activities": (3, 3, []),
         "commune-reports": (12, 12, []), "attestations": (6, 6, ["Ghi chú"])}
EXPECTED = {"25996": "healthy", "26017": "reduced", "26020": "not_healthy"}


@pytest.fixture(scope="module")
def cycle_db(server_url):
    """A database of its own, dropped afterwards: nothing of the demo in it."""
    name = f"diaban_cycle_{secrets.token_hex(4)}"
    admin = make_engine(server_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server_url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


@pytest.fixture(scope="module")
def cycle(cycle_db, tmp_path_factory):
    """``db init``, ``boundaries load``, one ``diaban ingest`` per kind, ``classify --period 2018``."""
    folder = tmp_path_factory.mktemp("real_cycle")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIABAN_HMAC_KEY", KEY)
        for args in (("db", "init"), ("boundaries", "load", "--json")):
            assert run_cli(cycle_db, *args).exit_code == 0
        loads = {}
        for kind, content in FILES.items():
            path = folder / f"{kind}.csv"
            path.write_text(content, encoding="utf-8")
            result = run_cli(cycle_db, "ingest", kind, str(path), "--json")
            assert result.exit_code == 0, result.output
            loads[kind] = json.loads(result.stdout)
        result = run_cli(cycle_db, "classify", "--period", "2018", "--json")
    assert result.exit_code == 0, result.output
    return loads, {r["commune_code"]: r for r in json.loads(result.stdout)}


def test_every_file_loads_whole_and_person_columns_are_dropped(cycle):
    loads, _ = cycle
    got = {k: (s["read"], s["loaded"], s["dropped_columns"]) for k, s in loads.items()}
    assert got == LOADS
    assert all(s["rejected"] == 0 and s["duplicates"] == 0 for s in loads.values())


def test_covered_communes_get_a_status_and_the_others_stay_not_assessed(cycle):
    _, results = cycle
    assert {code: results[code]["status"] for code in EXPECTED} == EXPECTED
    others = {r["status"] for code, r in results.items() if code not in EXPECTED}
    assert others == {"not_assessed"} and len(results) > 100
    assert results["25996"]["score"] == 100.0
    for code in EXPECTED:  # every criterion decided, none missing
        assert [c["id"] for c in results[code]["criteria"]] == [f"P{n}" for n in range(1, 10)]
        assert all(c["passed"] is not None for c in results[code]["criteria"]), code


def _criteria(results, code):
    return {c["id"]: c for c in results[code]["criteria"]}


def test_every_criterion_shows_its_evidence(cycle, cycle_db):
    _, results = cycle
    engine = make_engine(cycle_db)
    with engine.connect() as c:
        ids = {table: dict(c.execute(text(sql)).all()) for table, sql in {
            "activity": "SELECT a.id, u.code FROM activity a JOIN admin_unit u ON u.id = a.unit_id",
            "report": "SELECT r.id, u.code || ':' || r.indicator_code FROM commune_report r "
                      "JOIN admin_unit u ON u.id = r.unit_id",
            "assessment": "SELECT a.id, u.code || ':' || a.criterion_id FROM criterion_assessment a "
                          "JOIN admin_unit u ON u.id = a.unit_id",
            "inspection": "SELECT i.id, i.outcome FROM inspection i",
            "site": "SELECT s.id, s.descriptor FROM site s"}.items()}
        assessed_by = c.execute(text("SELECT DISTINCT assessed_by FROM criterion_assessment "
                                     "ORDER BY 1")).all()
        notes = c.execute(text("SELECT count(*) FROM criterion_assessment WHERE note IS NOT NULL")).scalar()
    engine.dispose()
    phong, hiep, binh = (_criteria(results, code) for code in EXPECTED)
    # P6 and P7 from the records where a commune has them, from its report otherwise
    assert sorted(ids["activity"][i] for i in phong["P6"]["evidence"]) == ["25996", "25996"]
    assert (phong["P6"]["value"], phong["P6"]["detail"]) == (2.0, {"source": "activity"})
    assert (phong["P7"]["value"], len(phong["P7"]["evidence"]), phong["P7"]["detail"]) == (
        1.0, 2, {"source": "tip"})
    assert (hiep["P6"]["value"], hiep["P6"]["detail"]) == (3.0, {"source": "commune_report"})
    assert [ids["report"][i] for i in hiep["P6"]["evidence"]] == ["26017:awareness_activities"]
    assert (hiep["P7"]["value"], hiep["P7"]["passed"]) == (1.0, True)
    assert (binh["P7"]["value"], binh["P7"]["passed"], len(binh["P7"]["evidence"])) == (0.0, False, 1)
    # P8 and P9: the attestation behind each, by an office, never with the note
    assert [ids["assessment"][i] for i in hiep["P9"]["evidence"]] == ["26017:P9"]
    assert hiep["P9"]["passed"] is False and phong["P8"]["detail"]["assessed_by"] == "ubnd_xa"
    assert assessed_by == [("cong_an_xa",), ("ubnd_xa",)] and notes == 0
    # the automatic criteria: the fine at Tam Hiệp, the new site at Long Bình
    assert [ids["inspection"][i] for i in hiep["P2"]["evidence"]] == ["xu_phat"]
    assert [ids["site"][i] for i in binh["P1"]["evidence"]] == ["Đoạn đường RC gần chợ"]
    assert binh["P3"]["passed"] is False and phong["P3"]["passed"] is True


def test_no_informant_reaches_the_database(cycle, cycle_db):
    engine = make_engine(cycle_db)
    with engine.connect() as c:
        dumped = c.execute(text("SELECT string_agg(t::text, ' ') FROM (SELECT * FROM tip) t")).scalar()
        rejected = c.execute(text("SELECT count(*) FROM rejected_row")).scalar()
    engine.dispose()
    assert "Báo Tin" not in dumped and "0909123456" not in dumped and "Tố Giác" not in dumped
    assert rejected == 0
