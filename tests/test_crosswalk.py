"""The crosswalk between vintages: text resolved to codes, checked against geometry."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely import box
from sqlalchemy import text

from boundaries import load_province
from boundaries.crosswalk import CrosswalkSpec, build_crosswalk, split_predecessors
from geo.store.crosswalk import read_crosswalk

GAZETTEER = load_province().folder / "gazetteer"


def units(codes_and_boxes):
    return gpd.GeoDataFrame({"commune_code": [c for c, _ in codes_and_boxes]},
                            geometry=[b for _, b in codes_and_boxes], crs=4326)


def test_text_geometry_and_split_rules_on_a_hand_made_case(tmp_path):
    # Old units: A and B in district 1, a namesake "B" (code 9) in district 2 far away,
    # C split between the two new units, D not named by the text at all.
    old = units([("1", box(0, 0, 1, 1)), ("2", box(1, 0, 2, 1)), ("9", box(10, 10, 11, 11)),
                 ("3", box(0, 1, 2, 2)), ("4", box(2, 0, 3, 2))])
    new = units([("N1", box(0, 0, 1, 2)), ("N2", box(1, 0, 3, 2))])
    pd.DataFrame({"commune_code": ["1", "2", "9", "3", "4"],
                  "commune_name": ["Xã A", "Phường B", "Xã B", "Xã C", "Xã D"],
                  "district_name": ["Huyện Một", "Huyện Một", "Huyện Hai", "Huyện Một", "Huyện Một"]}
                 ).to_csv(tmp_path / "list.csv", index=False)
    pd.DataFrame({"ward_code": ["N1", "N2"], "ward_full_name": ["Xã N1", "Xã N2"],
                  "predecessors_text": ["Xã A, Xã C", "Xã B, Xã C (phần còn lại sau khi sáp nhập)"]}
                 ).to_csv(tmp_path / "succ.csv", index=False)
    spec = CrosswalkSpec("old", "new", tmp_path / "succ.csv", (tmp_path / "list.csv",))
    table = build_crosswalk(spec, old, new).set_index(["from_code", "to_code"])
    assert table.loc[("1", "N1"), "kind"] == "whole"
    # "Xã B" matches Phường B (type prefixes differ) and the far namesake; geometry keeps one
    assert table.loc[("2", "N2"), "kind"] == "whole"
    assert ("9", "N2") not in table.index
    assert table.loc[("3", "N1"), "kind"] == table.loc[("3", "N2"), "kind"] == "split"
    assert table.loc[("3", "N1"), "share"] == pytest.approx(0.5)
    assert table.loc[("4", "N2"), ["kind", "method"]].tolist() == ["whole", "geometry"]


def test_commas_inside_parentheses_do_not_split_names():
    assert split_predecessors("Xã X (phần còn lại, sau khi nhập), Xã Y") == [
        ("Xã X", "phần còn lại, sau khi nhập"), ("Xã Y", None)]


@pytest.mark.postgis
def test_dong_nai_crosswalk_follows_the_published_text(engine):
    table = read_crosswalk(engine).query("from_vintage == '75:2010-02-06'")
    table = table.set_index(["from_code", "to_code"])
    # Xã Xuân Tâm was split between Xuân Đông (26359) and Xuân Hòa (26446): flagged, both
    assert table.loc[("26449", "26359"), "kind"] == table.loc[("26449", "26446"), "kind"] == "split"
    # Phường Tân Phong went whole into Phường Tân Triều (text and geometry agree)
    assert table.loc[("25996", "26188"), ["kind", "method"]].tolist() == ["whole", "text"]
    # every 2016–2019 commune of old Đồng Nai and former Bình Phước has a successor row
    old = pd.concat([pd.read_csv(GAZETTEER / "dong_nai_gso_units_2016-2019.csv", dtype=str),
                     pd.read_csv(GAZETTEER.parent.parent / "binh_phuoc" / "gazetteer"
                                 / "binh_phuoc_gso_units_2016-2019.csv", dtype=str)])
    assert set(old["commune_code"]) == set(table.index.get_level_values("from_code"))


@pytest.mark.postgis
def test_name_only_records_follow_whole_successions_onto_todays_units(auth_client, conn):
    body = auth_client.get("/api/communes?period=2018&vintage=2025-07-01").get_json()
    split = set(read_crosswalk(conn).query("kind == 'split'")["from_code"])
    ref_codes = [row[0] for row in conn.execute(text(
        "SELECT u.code FROM incident i JOIN admin_unit u ON u.id = i.unit_id "
        "WHERE i.geom IS NULL AND i.event_date >= '2018-01-01' AND i.event_date < '2019-01-01'"))]
    assert ref_codes, "the demo has name-only incidents in 2018"
    assert body["metadata"]["unassigned"]["incidents"] == sum(c in split for c in ref_codes)
    total = conn.execute(text("SELECT count(*) FROM incident WHERE event_date >= '2018-01-01' "
                              "AND event_date < '2019-01-01'")).scalar_one()
    counted = sum(f["properties"]["incidents"] for f in body["features"])
    # points outside the 2025 province would show up here too; the demo has none
    assert counted + body["metadata"]["unassigned"]["incidents"] == total


def test_classification_follows_whole_successions_and_flags_split_units():
    from geo.classify.inputs import place_records

    new_units = units([("N1", box(0, 0, 1, 1)), ("N2", box(1, 0, 2, 1))])
    crosswalk = pd.DataFrame({
        "from_vintage": ["old", "old", "old"], "from_code": ["A", "S", "S"],
        "to_vintage": ["new"] * 3, "to_code": ["N1", "N1", "N2"],
        "kind": ["whole", "split", "split"]})
    sites = gpd.GeoDataFrame({"ref_commune_code": ["A", "S", "N2"],
                              "ref_vintage": ["old", "old", "new"]},
                             geometry=[None, None, None], crs=4326)
    placed = place_records(sites, new_units, vintage="new", crosswalk=crosswalk)
    # whole succession followed, split unit flagged (never guessed), same vintage kept
    assert placed.tolist() == ["N1", pd.NA, "N2"]
