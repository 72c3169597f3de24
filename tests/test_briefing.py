"""`diaban report`: the briefing PDF read back with poppler (pdftotext, pdffonts, pdfimages, pdftoppm).

The figures in the text are checked against counts computed here with SQL from the store;
the first page is rendered to PNG (its path is printed) and its synthetic band checked.
"""

import json
import re
import unicodedata

import pyogrio
import pytest
from sqlalchemy import text

from tests.helpers import IN_PLAN_PROVINCE, artefact_path, run_cli, run_tool

pytestmark = [pytest.mark.postgis, pytest.mark.slow]

PERIOD, VINTAGE, START, END = "2018", "75:2010-02-06", "2018-01-01", "2019-01-01"
HEADINGS_VI = ["1. Tình trạng các xã, phường, thị trấn", "2. Điểm nóng (Getis-Ord Gi*)",
               "3. Tiến độ thực hiện chỉ tiêu kế hoạch", "4. Số liệu theo huyện",
               "5. Thay đổi so với kỳ trước", "6. Tụ điểm tái hoạt động sau triệt xóa",
               "7. Phương pháp và tham số", "Bản đồ tình trạng xã, phường, thị trấn"]
HEADINGS_EN = ["1. Status of the communes", "3. Progress against the plan's targets",
               "6. Cleared sites that reactivated", "7. Methods and parameters"]
SYNTHETIC_VI = "DỮ LIỆU MÔ PHỎNG"
DISTRICT = ("742", "Huyện Nhơn Trạch")


def report(db_url, out, *extra):
    result = run_cli(db_url, "report", "--period", PERIOD, "--vintage", VINTAGE, "--out", str(out), *extra)
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def pdfs(db_url, loaded, tmp_path_factory):
    """The internal Vietnamese pack twice (determinism) and the public English one."""
    folder = tmp_path_factory.mktemp("briefing")
    return {"vi": report(db_url, folder / "vi.pdf"), "vi_again": report(db_url, folder / "vi-again.pdf"),
            "public": report(db_url, folder / "public-en.pdf", "--public", "--lang", "en")}


@pytest.fixture(scope="module")
def texts(pdfs):
    return {key: run_tool("pdftotext", "-layout", str(path), "-") for key, path in pdfs.items()}


def sql(engine, query: str, **params):
    with engine.connect() as c:
        return c.execute(text(query), {"v": VINTAGE, "s": START, "e": END, **params}).one()


def newest_snapshot(engine, period: str) -> int:
    return sql(engine, "SELECT id FROM classification_snapshot WHERE period = :p AND vintage_id = :v "
                       "ORDER BY created_at DESC, id DESC LIMIT 1", p=period)[0]


def section(page_text: str, start: str, end: str) -> str:
    return page_text.split(start, 2)[-1].split(end)[0]


def target_row(part: str, clause: str, next_clause: str) -> str:
    """The text of one row of the targets table (it may wrap over several lines)."""
    return part.split(clause, 1)[1].split(next_clause, 1)[0]


def dotted(n: int) -> str:
    """A count as the Vietnamese pack prints it (1.600)."""
    return f"{n:,}".replace(",", ".")


def test_vietnamese_headings_keep_their_diacritics(texts):
    body = texts["vi"]
    assert body == unicodedata.normalize("NFC", body)
    for heading in HEADINGS_VI:
        assert heading in body, heading
    assert "Báo cáo tóm tắt công tác phòng, chống" in body


def test_english_edition(texts):
    for heading in HEADINGS_EN:
        assert heading in texts["public"], heading
    assert "Tiến độ thực hiện" not in texts["public"]


def test_every_page_says_the_data_are_synthetic(texts, engine):
    assert sql(engine, "SELECT bool_or(synthetic) FROM import_batch WHERE kind <> 'boundaries'")[0]
    pages = [p for p in texts["vi"].split("\f") if p.strip()]
    assert len(pages) >= 10
    assert all(SYNTHETIC_VI in page for page in pages)
    assert all("SYNTHETIC DEMO DATA" in page for page in texts["public"].split("\f") if page.strip())


def test_only_dejavu_is_used_and_embedded(pdfs):
    fonts = run_tool("pdffonts", str(pdfs["vi"])).splitlines()[2:]
    assert fonts and all("DejaVuSans" in line for line in fonts), fonts
    assert all(re.search(r"\byes\s+yes\s+yes\b", line) for line in fonts), fonts  # emb sub uni


def test_cover_names_the_snapshot_rule_set_and_period(texts, engine):
    snapshot = newest_snapshot(engine, PERIOD)
    ruleset, version = sql(engine, "SELECT ruleset_id, ruleset_version FROM classification_snapshot "
                                   "WHERE id = :i", i=snapshot)
    cover = texts["vi"].split("\f")[0]
    assert f"lần phân loại số {snapshot}," in cover
    assert f"{ruleset} {version}" in cover
    assert "Năm 2018" in cover and "2018-01-01 → 2019-01-01" in cover and VINTAGE in cover


def test_healthy_communes_match_the_snapshot_table(texts, engine):
    healthy, total = sql(engine, "SELECT count(*) FILTER (WHERE status = 'healthy'), count(*) "
                                 "FROM classification_result WHERE snapshot_id = :i",
                         i=newest_snapshot(engine, PERIOD))
    assert total == 171 + 111  # old Đồng Nai and former Bình Phước
    assert f"{healthy} trên {total} đơn vị" in " ".join(texts["vi"].split())


def test_a_district_row_matches_sql_counts(texts, engine):
    code, name = DISTRICT
    incidents, inspections = sql(engine, """
        SELECT (SELECT count(*) FROM incident i WHERE i.event_date >= :s AND i.event_date < :e
                  AND (ST_Covers(d.geom, i.geom) OR i.geom IS NULL AND EXISTS (
                       SELECT 1 FROM admin_unit r WHERE r.id = i.unit_id AND r.vintage_id = :v
                       AND r.parent_code = d.code))),
               (SELECT count(*) FROM inspection n JOIN establishment x ON x.id = n.establishment_id
                 WHERE n.inspection_date >= :s AND n.inspection_date < :e AND ST_Covers(d.geom, x.geom))
        FROM admin_unit d WHERE d.vintage_id = :v AND d.level = 'district' AND d.code = :c""", c=code)
    part = section(texts["vi"], "4. Số liệu theo huyện", "5. Thay đổi so với kỳ trước")
    rows = [line.split(name, 1)[1].split() for line in part.splitlines() if line.strip().startswith(name)]
    assert len(rows) == 2  # the status table, then the activity table
    assert rows[1][0] == dotted(incidents) and rows[1][2] == dotted(inspections)


def test_province_inspections_so_far_match_the_plan_table(texts, engine):
    done = sql(engine, "SELECT count(*) FROM inspection JOIN establishment e ON e.id = establishment_id "
                       "WHERE inspection_date >= '2016-01-01' AND inspection_date < :e "
                       f"AND {IN_PLAN_PROVINCE}")[0]
    part = section(texts["vi"], "3. Tiến độ thực hiện chỉ tiêu kế hoạch", "4. Số liệu theo huyện")
    assert dotted(done) in target_row(part, "II.2.đ", "II.2.e").split()


def test_status_changes_match_the_two_snapshots(texts, engine):
    moved = sql(engine, """
        SELECT count(*) FROM classification_result a JOIN classification_result b USING (commune_code)
        WHERE a.snapshot_id = :before AND b.snapshot_id = :after AND a.status <> b.status""",
                before=newest_snapshot(engine, "2017"), after=newest_snapshot(engine, PERIOD))[0]
    summary = " ".join(section(texts["vi"], "5. Thay đổi so với kỳ trước", "Đơn vị").split())
    gained, lost, other = (int(n) for n in re.search(
        r"(\d+) đơn vị được nâng hạng, (\d+) đơn vị bị hạ hạng, (\d+) đơn vị chuyển", summary).groups())
    assert moved > 0 and gained + lost + other == moved


def test_hot_spots_are_those_of_diaban_hotspots_with_its_defaults(db_url, texts, tmp_path):
    out = tmp_path / "hotspots.gpkg"
    result = run_cli(db_url, "hotspots", "--period", PERIOD, "--vintage", VINTAGE, "--out", str(out),
                     "--json")
    assert result.exit_code == 0, result.output
    parameters = json.loads(result.stdout)["parameters"]
    layer = pyogrio.read_dataframe(out)
    significant = int(layer["hotspot_class"].str.startswith(("hot", "cold")).sum())
    body = " ".join(texts["vi"].split())
    assert f"{significant} xã có ý nghĩa thống kê" in body
    assert f"p nhỏ nhất {layer['p_value'].min():.3f}".replace(".", ",") in body
    methods = section(texts["vi"], "7. Phương pháp và tham số", "Tái hoạt động (như lệnh")
    for key in ("inference", "weights", "p_value"):
        assert re.search(rf"^\s*{key}\s+{re.escape(str(parameters[key]))}\s*$", methods, flags=re.M), key


def counts_in_reactivation_table(page_text: str, start: str, end: str) -> list[str]:
    """The count cells of the per-commune reactivation table (the last three tokens of each row)."""
    part = section(page_text, start, end)
    return [token for line in part.splitlines() if re.search(r"\(\d{5}\)", line)
            for token in line.split()[-3:]]


def small_or_hidden(cells: list[str]) -> set[str]:
    """The cells that print a count of 1 or 2."""
    return {cell for cell in cells if cell in ("1", "2")}


def test_public_edition_hides_counts_below_three_and_point_maps(texts, pdfs):
    internal = counts_in_reactivation_table(texts["vi"], "6. Tụ điểm tái hoạt động sau triệt xóa",
                                            "7. Phương pháp và tham số")
    public = counts_in_reactivation_table(texts["public"], "6. Cleared sites that reactivated",
                                          "7. Methods and parameters")
    assert internal and len(public) == len(internal)
    assert small_or_hidden(internal)  # the internal edition has small counts to hide
    assert "<3" in public and not small_or_hidden(public)
    assert all(cell == "<3" or int(cell.replace(",", "")) == 0 or int(cell.replace(",", "")) >= 3
               for cell in public)
    part = section(texts["public"], "Incidents, inspections and reactivated sites per district", "5. Changes")
    rows = [line.split()[-4:] for line in part.splitlines()
            if len(line.split()) > 4 and all(re.fullmatch(r"<3|[\d,]+", t) for t in line.split()[-4:])]
    assert len(rows) == 23  # 11 districts of old Đồng Nai, 11 of former Bình Phước, the province
    cells = [cell for row in rows for cell in row]
    assert "<3" in cells and not small_or_hidden(cells)


def test_point_maps_only_in_the_internal_edition(texts, pdfs):
    images = {key: sum(" image " in line
                       for line in run_tool("pdfimages", "-list", str(pdfs[key])).splitlines())
              for key in ("vi", "public")}
    assert images == {"vi": 4, "public": 3}  # status, incidents, hot spots (+ site points internally)
    assert "Vị trí tụ điểm tái hoạt động" in texts["vi"]
    assert "Sites reactivated in the period" not in texts["public"]


def test_same_inputs_give_the_same_pdf(texts, pdfs):
    assert texts["vi"] == texts["vi_again"]
    assert pdfs["vi"].read_bytes() == pdfs["vi_again"].read_bytes()
    info = run_tool("pdfinfo", str(pdfs["vi"]))
    assert "CreationDate" in info and "2000" not in info.split("CreationDate:")[1].splitlines()[0]


def test_first_page_renders_with_the_synthetic_band(pdfs):
    from PIL import Image

    png = artefact_path("briefing-page1.png")
    run_tool("pdftoppm", "-r", "60", "-f", "1", "-l", "1", "-png", "-singlefile", str(pdfs["vi"]),
        str(png.with_suffix("")))
    print(f"\nfirst page of the briefing: {png}")
    with Image.open(png) as image:
        assert image.width > 400 and image.height > 600
        red, green, blue = image.convert("RGB").getpixel((image.width // 2, 4))
    assert (red, green, blue) == pytest.approx((0xFF, 0xD2, 0x4D), abs=6)  # the yellow band


def test_report_is_audited(engine, pdfs):
    public, total = sql(engine, "SELECT count(*) FILTER (WHERE detail ->> 'public' = 'true'), count(*) "
                                "FROM audit_log WHERE action = 'report' AND target = :p "
                                "AND detail ->> 'via' = 'cli'", p=PERIOD)
    assert public >= 1 and total >= 3


def test_a_bad_period_names_the_accepted_forms(db_url, loaded, tmp_path):
    result = run_cli(db_url, "report", "--period", "2018-13", "--out", str(tmp_path / "x.pdf"))
    assert result.exit_code != 0
    assert "2019-Q2" in result.output and not (tmp_path / "x.pdf").exists()


def test_a_quarter_pack_shows_targets_to_date_and_how_each_is_measured(db_url, loaded, engine, tmp_path):
    result = run_cli(db_url, "report", "--period", "2018-Q1", "--vintage", VINTAGE,
                     "--out", str(tmp_path / "q1.pdf"))
    assert result.exit_code == 0, result.output
    page = run_tool("pdftotext", "-layout", str(tmp_path / "q1.pdf"), "-")
    part = section(page, "3. Tiến độ thực hiện chỉ tiêu kế hoạch", "4. Số liệu theo huyện")
    assert "Kỳ 2018-Q1" in part and "không so với chỉ tiêu cả năm" in part
    to_date = sql(engine, "SELECT count(*) FROM inspection JOIN establishment e ON e.id = establishment_id "
                          "WHERE inspection_date >= '2016-01-01' AND inspection_date < '2018-04-01' "
                          f"AND {IN_PLAN_PROVINCE}")[0]
    row = target_row(part, "II.2.đ", "II.2.e").split()
    assert dotted(to_date) in row  # cumulative to the quarter's end, not to the year's
    assert dotted(round(8000 * (2 + 90 / 365) / 5)) in row  # the goal due, pro rata
    assert "Cách tính" in part and "mỗi số hồ sơ vụ việc tính một lần" in " ".join(part.split())
