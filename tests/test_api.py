"""The map's API through Flask's test client: numbers checked against SQL written here, roles, 400s."""

from __future__ import annotations

import gzip
import re
import time
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import text

from geo.periods import parse_period
from tests.helpers import VIEWER, form_token, newest_snapshot, run_cli, user_client

pytestmark = pytest.mark.postgis

OLD, NEW = "75:2010-02-06", "75:2025-07-01"
SIGNIFICANT = {"hot 99", "hot 95", "hot 90", "cold 90", "cold 95", "cold 99"}


def record_span(conn) -> tuple[date, date]:
    return conn.execute(text("""
        SELECT least((SELECT min(event_date) FROM incident), (SELECT min(inspection_date) FROM inspection)),
               greatest((SELECT max(event_date) FROM incident), (SELECT max(inspection_date) FROM inspection))
        """)).one()


def incident_counts_sql(conn, vintage: str, start: date, end: date, kind: str | None = None) -> Counter:
    """Incidents per commune, written here: the commune whose polygon covers the point (lowest code),
    else the commune the record names when it belongs to ``vintage``."""
    rows = conn.execute(text("""
        SELECT coalesce(
                 (SELECT u.code FROM admin_unit u WHERE u.vintage_id = :v AND u.level = 'commune'
                  AND i.geom IS NOT NULL AND ST_Covers(u.geom, i.geom) ORDER BY u.code LIMIT 1),
                 (SELECT r.code FROM admin_unit r
                  WHERE i.geom IS NULL AND r.id = i.unit_id AND r.vintage_id = :v))
        FROM incident i WHERE i.event_date >= :s AND i.event_date < :e
          AND (CAST(:k AS text) IS NULL OR i.incident_kind = :k)"""),
        {"v": vintage, "s": start, "e": end, "k": kind}).scalars()
    return Counter(code for code in rows if code is not None)


def test_the_series_has_every_period_of_the_records_and_counts_as_sql(analyst, conn):
    body = analyst.get(f"/api/series?period=2018&vintage={OLD}").get_json()
    first, last = record_span(conn)
    assert body["periods"] == [str(y) for y in range(first.year, last.year + 1)]
    assert body["current"] == "2018" and body["metadata"]["vintage"] == OLD
    communes = conn.execute(text("SELECT count(*) FROM admin_unit WHERE vintage_id = :v "
                                 "AND level = 'commune'"), {"v": OLD}).scalar_one()
    assert len(body["incidents"]) == len(body["inspections"]) == communes
    for label in ("2017", "2018"):
        p = parse_period(label)
        expected = incident_counts_sql(conn, OLD, p.start, p.end)
        i = body["periods"].index(label)
        got = {code: row[i] for code, row in body["incidents"].items() if row[i]}
        assert got == dict(expected)
    inspections_2018 = conn.execute(text("SELECT count(*) FROM inspection WHERE inspection_date >= "
                                         "'2018-01-01' AND inspection_date < '2019-01-01'")).scalar_one()
    i = body["periods"].index("2018")
    placed = sum(row[i] for row in body["inspections"].values())
    assert placed + body["unassigned"]["inspections"][i] == inspections_2018


def test_class_breaks_are_shared_by_every_period_of_the_slider(analyst):
    a = analyst.get(f"/api/series?period=2017&vintage={OLD}").get_json()
    b = analyst.get(f"/api/series?period=2021&vintage={OLD}").get_json()
    assert a["periods"] == b["periods"] and a["incident_breaks"] == b["incident_breaks"]
    peak = max(max(row) for row in a["incidents"].values())
    assert a["incident_breaks"][-1] == peak  # the top class reaches the busiest period, whichever it is
    per_period = [max(row[i] for row in a["incidents"].values()) for i in range(len(a["periods"]))]
    assert len(set(per_period)) > 1  # periods differ, so per-period breaks would differ


def test_the_incident_kind_filter_counts_only_that_kind(analyst, conn):
    body = analyst.get(f"/api/series?period=2018&vintage={OLD}&kind=chua_mai_dam").get_json()
    i = body["periods"].index("2018")
    expected = incident_counts_sql(conn, OLD, date(2018, 1, 1), date(2019, 1, 1), "chua_mai_dam")
    assert {c: row[i] for c, row in body["incidents"].items() if row[i]} == dict(expected)
    assert body["filters"] == {"kind": "chua_mai_dam"}


def test_the_establishment_type_filter_narrows_inspections(analyst, conn):
    body = analyst.get(f"/api/series?period=2018&vintage={OLD}&etype=karaoke").get_json()
    i = body["periods"].index("2018")
    expected = conn.execute(text("""
        SELECT count(*) FROM inspection r JOIN establishment e ON e.id = r.establishment_id
        WHERE e.establishment_type = 'karaoke' AND r.inspection_date >= '2018-01-01'
          AND r.inspection_date < '2019-01-01'""")).scalar_one()
    placed = sum(row[i] for row in body["inspections"].values())
    assert placed + body["unassigned"]["inspections"][i] == expected


def test_the_district_filter_keeps_its_communes(analyst, conn):
    body = analyst.get(f"/api/series?period=2018&vintage={OLD}&district=731").get_json()
    codes = conn.execute(text("SELECT code FROM admin_unit WHERE vintage_id = :v AND level = 'commune' "
                              "AND parent_code = '731' ORDER BY code"), {"v": OLD}).scalars().all()
    assert sorted(body["visible"]) == codes and len(codes) > 5
    values = [v for c in codes for v in body["incidents"][c]]
    assert body["incident_breaks"][-1] == max(values)


def test_status_per_period_is_the_newest_snapshot(analyst, conn, classified):
    body = analyst.get(f"/api/series?period=2018&vintage={OLD}").get_json()
    snapshot = newest_snapshot(conn, "2018", OLD)
    stored = dict(conn.execute(text("SELECT commune_code, status FROM classification_result "
                                    "WHERE snapshot_id = :s"), {"s": snapshot}).all())
    assert body["status"]["2018"]["snapshot"]["id"] == snapshot
    assert body["status"]["2018"]["codes"] == stored
    assert set(stored.values()) <= {"healthy", "reduced", "not_healthy", "not_assessed"}


@pytest.mark.parametrize(("path", "message"), [
    ("/api/series?period=2018&kind=nope", "kind 'nope' is not known; use one or more (comma-separated) of: "
                                          "chua_mai_dam"),
    ("/api/series?period=2018&etype=spa", "etype 'spa' is not known"),
    ("/api/series?period=2018&vintage=2010-02-06&district=999",
     "district '999' is not a district of vintage 75:2010-02-06; use one of: 688 (Thị xã Phước Long)"),
    ("/api/series?period=2025-H2&vintage=2025-07-01&district=731", "none: leave it empty"),
    ("/api/series?period=2018-13", "period '2018-13' is not understood"),
    ("/api/hotspots?period=2018&method=lisa",
     "method 'lisa' is not available on the map; use one of: gi, emerging"),
    ("/api/hotspots?period=2018&unit=hex", "unit 'hex' is not known; use one of: commune, grid"),
    ("/api/hotspots?period=2018&method=emerging&unit=grid", "emerging hot spots are drawn on communes only"),
    ("/api/hotspots?period=2018&fdr=maybe", "fdr='maybe' is not a yes/no value; use true or false"),
    ("/api/communes/25993?period=2018&kind=x", "kind 'x' is not known"),
])
def test_bad_parameters_get_a_400_naming_the_fix(analyst, path, message):
    response = analyst.get(path)
    assert response.status_code == 400, response.text
    assert message in response.get_json()["error"]


def test_an_unknown_vintage_is_a_404_naming_the_loaded_ones(analyst):
    # A LookupError of the domain (geo.errors.UnknownVintageError) is "not found", not "bad request".
    response = analyst.get("/api/series?period=2018&vintage=1999")
    assert response.status_code == 404, response.text
    loaded = "2010-02-06, 2019-04-10, 2024-11-01, 2025-07-01"
    assert f"vintage '1999' is not loaded; use one of: {loaded}" in response.get_json()["error"]


def test_an_unknown_commune_is_a_404(analyst):
    response = analyst.get(f"/api/communes/99999?period=2018&vintage={OLD}")
    assert response.status_code == 404 and "no commune '99999'" in response.get_json()["error"]


def _stored_result(conn, snapshot: int, code: str) -> dict:
    sql = text("SELECT status, score, criteria FROM classification_result "
               "WHERE snapshot_id = :s AND commune_code = :c")
    return conn.execute(sql, {"s": snapshot, "c": code}).mappings().one()


def test_a_commune_file_shows_every_criterion_with_its_evidence(analyst, conn, classified):
    snapshot = newest_snapshot(conn, "2018", OLD)
    code = conn.execute(text("""SELECT commune_code
        FROM classification_result, jsonb_array_elements(criteria) c
        WHERE snapshot_id = :s AND c->>'id' = 'P2' AND jsonb_array_length(c->'evidence') > 0
        ORDER BY commune_code LIMIT 1"""), {"s": snapshot}).scalar_one()
    stored = _stored_result(conn, snapshot, code)
    body = analyst.get(f"/api/communes/{code}?period=2018&vintage={OLD}").get_json()
    c = body["classification"]
    assert c["id"] == snapshot and c["status"] == stored["status"] and c["score"] == stored["score"]
    assert [k["id"] for k in c["criteria"]] == [k["id"] for k in stored["criteria"]]
    for got, want in zip(c["criteria"], stored["criteria"], strict=True):
        assert got["passed"] == want["passed"] and got["evidence"]["ids"] == want["evidence"]
        assert got["evidence"]["count"] == len(want["evidence"]) and got["text"]
    p2 = next(k for k in c["criteria"] if k["id"] == "P2")
    assert p2["evidence"]["kind"] == "inspection" and p2["comparison"] == "=="
    records = p2["evidence"]["records"]
    ids = [r["id"] for r in records]
    assert sorted(ids) == sorted(p2["evidence"]["ids"][:50])
    outcomes = dict(conn.execute(text("SELECT id, outcome FROM inspection WHERE id = ANY(:i)"),
                                 {"i": ids}).all())
    assert {r["id"]: r["outcome"] for r in records} == outcomes
    assert all(r["inspection_date"].startswith("2018") for r in records)
    assert all("DEMO-" in r["establishment_name"] for r in records)
    sites = conn.execute(text("SELECT count(*) FROM site")).scalar_one()
    assert isinstance(body["sites"], list) and len(body["sites"]) <= sites


def test_a_viewer_sees_a_commune_file_without_records_names_or_sites(viewer, analyst, conn, classified):
    snapshot = newest_snapshot(conn, "2018", OLD)
    code = conn.execute(text("SELECT commune_code FROM classification_result WHERE snapshot_id = :s "
                             "AND status <> 'not_assessed' ORDER BY commune_code LIMIT 1"),
                        {"s": snapshot}).scalar_one()
    seen = viewer.get(f"/api/communes/{code}?period=2018&vintage={OLD}")
    body = seen.get_json()
    assert seen.status_code == 200 and "sites" not in body and "DEMO-" not in seen.text
    for criterion in body["classification"]["criteria"]:
        assert set(criterion["evidence"]) == {"kind", "count"} and criterion["detail"] is None
    full = analyst.get(f"/api/communes/{code}?period=2018&vintage={OLD}").get_json()
    assert [k["evidence"]["count"] for k in body["classification"]["criteria"]] == \
        [k["evidence"]["count"] for k in full["classification"]["criteria"]]


def test_a_commune_without_a_snapshot_says_so(analyst):
    body = analyst.get(f"/api/communes/25993?period=2016-03&vintage={OLD}").get_json()
    assert body["classification"] is None and body["name"] and body["period"] == "2016-03"


@pytest.mark.parametrize("path", ["/api/sites?period=2018", "/api/establishments?period=2018"])
def test_point_layers_are_refused_to_a_viewer(viewer, analyst, path):
    assert viewer.get(path).status_code == 403
    assert analyst.get(path).status_code == 200


INSIDE = """EXISTS (SELECT 1 FROM admin_unit u WHERE u.vintage_id = :v AND u.level = 'commune'
                    AND ST_Covers(u.geom, {table}.geom))"""


def test_establishments_carry_their_last_inspection_by_the_period_end(analyst, conn):
    body = analyst.get(f"/api/establishments?period=2018&vintage={OLD}").get_json()
    assert body["metadata"]["as_of"] == "2018-12-31"
    inside = set(conn.execute(text("SELECT id FROM establishment e WHERE " + INSIDE.format(table="e")),
                              {"v": OLD}).scalars())
    total = conn.execute(text("SELECT count(*) FROM establishment WHERE geom IS NOT NULL")).scalar_one()
    assert {f["properties"]["id"] for f in body["features"]} == inside and 0 < len(inside) < total
    last = dict(conn.execute(text("""
        SELECT DISTINCT ON (establishment_id) establishment_id, outcome FROM inspection
        WHERE inspection_date <= '2018-12-31'
        ORDER BY establishment_id, inspection_date DESC, id DESC""")).all())
    got = {f["properties"]["id"]: f["properties"]["outcome"] for f in body["features"]}
    assert {k: v for k, v in got.items() if v} == {k: v for k, v in last.items() if k in inside}
    assert sum(body["metadata"]["counts"].values()) == len(inside)


def test_establishment_type_and_district_filters_narrow_the_points(analyst, conn):
    body = analyst.get(f"/api/establishments?period=2018&vintage={OLD}&etype=massage&district=731").get_json()
    expected = conn.execute(text("""
        SELECT count(*) FROM establishment e WHERE e.establishment_type = 'massage'
        AND (SELECT u.parent_code FROM admin_unit u WHERE u.vintage_id = :v AND u.level = 'commune'
             AND ST_Covers(u.geom, e.geom) ORDER BY u.code LIMIT 1) = '731'"""), {"v": OLD}).scalar_one()
    assert len(body["features"]) == expected > 0
    assert {f["properties"]["type"] for f in body["features"]} == {"massage"}


def test_sites_have_a_state_and_a_history_up_to_the_period_end(analyst, conn):
    body = analyst.get(f"/api/sites?period=2018&vintage={OLD}").get_json()
    known = conn.execute(text("SELECT count(*) FROM site s WHERE " + INSIDE.format(table="s") + """
        AND EXISTS (SELECT 1 FROM site_event e WHERE e.site_id = s.id AND e.event_date <= '2018-12-31')"""),
        {"v": OLD}).scalar_one()
    assert len(body["features"]) == known > 0
    states = Counter(f["properties"]["status"] for f in body["features"])
    assert set(states) <= {"active", "cleared", "reactivated"} and dict(states) == body["metadata"]["counts"]
    for feature in body["features"]:
        history = feature["properties"]["history"]
        assert history and all(h["date"] <= "2018-12-31" for h in history)
        assert history == sorted(history, key=lambda h: h["date"])
        assert "descriptor" not in feature["properties"]
    cleared_now = conn.execute(text("""SELECT count(*) FROM (SELECT DISTINCT ON (site_id) event_type
        FROM site_event WHERE event_date <= '2018-12-31' ORDER BY site_id, event_date DESC, id DESC) s
        WHERE event_type IN ('cleared', 'recleared')""")).scalar_one()
    assert states["cleared"] <= cleared_now  # a cleared site may be found reactivated, never the reverse


def test_gi_star_on_communes_matches_the_cli(analyst, db_url):
    import json

    body = analyst.get(f"/api/hotspots?period=2018&vintage={OLD}&fdr=false").get_json()
    assert len(body["classes"]) == 171 + 111  # old Đồng Nai and former Bình Phước
    p = body["parameters"]
    assert (p["method"], p["inference"], p["permutations"], p["alpha"], p["fdr"]) == \
        ("gi_star", "analytic", None, 0.05, False)
    cli = run_cli(db_url, "hotspots", "--period", "2018", "--vintage", OLD, "--method", "gi", "--no-fdr",
                  "--json")
    assert cli.exit_code == 0, cli.output
    summary = json.loads(cli.stdout[cli.stdout.index("{"):])
    assert {k: v for k, v in body["counts"].items() if v} == \
        {k: v for k, v in summary["classes"].items() if v}
    assert Counter(body["classes"].values()) == Counter(body["counts"])


def test_the_grid_layer_sends_significant_cells_only(analyst):
    body = analyst.get(f"/api/hotspots?period=2018&vintage={OLD}&unit=grid&fdr=false").get_json()
    classes = [f["properties"]["hotspot_class"] for f in body["cells"]["features"]]
    assert classes and set(classes) <= SIGNIFICANT
    assert sum(body["counts"].values()) == body["parameters"]["n_units"] > len(classes)
    assert all(f["geometry"]["type"] == "Polygon" for f in body["cells"]["features"])


def test_a_repeated_hotspot_request_is_answered_from_the_cache(analyst):
    from webapp.map_cache import cache_size

    path = f"/api/hotspots?period=2019&vintage={OLD}&method=emerging"
    started = time.perf_counter()
    first = analyst.get(path).get_json()
    cold = time.perf_counter() - started
    size = cache_size()
    started = time.perf_counter()
    again = analyst.get(path).get_json()
    warm = time.perf_counter() - started
    assert again == first and cache_size() == size
    assert first["window"] == "2016/2019"
    assert len(first["parameters"]["steps"]) == 16  # the quarters 2016-Q1 to 2019-Q4
    print(f"emerging hot spots 2016-2019: {cold:.2f} s computed, {warm:.2f} s from the cache")


def test_density_levels_are_fixed_across_the_slider(analyst):
    a = analyst.get(f"/api/density?period=2017&vintage={OLD}").get_json()
    b = analyst.get(f"/api/density?period=2021&vintage={OLD}").get_json()
    assert a["levels"] == b["levels"] and a["levels"] == sorted(a["levels"]) and a["levels"][0] > 0
    assert a["parameters"]["bandwidth_m"] == b["parameters"]["bandwidth_m"]
    assert a["points"] > b["points"]  # 2021 is the quiet year of the demo data
    assert [f["properties"]["level"] for f in a["contours"]["features"]] == \
        a["levels"][:len(a["contours"]["features"])]


def test_json_answers_are_compact_and_utf8(analyst):
    response = analyst.get(f"/api/series?period=2018&vintage={OLD}")
    assert response.mimetype == "application/json" and ", " not in response.text[:200]
    assert re.search(r'"vintage_label":"[^"]*xã', response.text)


def test_the_detail_level_is_a_gapless_coverage_between_display_and_full(viewer, engine):
    import shapely
    from shapely.geometry import shape

    from geo.store.units import read_units

    answer = viewer.get(f"/api/geometry?vintage={OLD}", headers={"Accept-Encoding": "gzip"})
    assert answer.status_code == 200 and answer.headers["Content-Encoding"] == "gzip"
    features = viewer.get(f"/api/geometry?vintage={OLD}").get_json()["features"]
    detail = {f["id"]: shape(f["geometry"]) for f in features}
    full = read_units(engine, OLD).set_index("commune_code").geometry
    display = read_units(engine, OLD, display=True).set_index("commune_code").geometry
    assert set(detail) == set(full.index)
    counts = {name: sum(shapely.get_num_coordinates(g) for g in geoms)
              for name, geoms in (("display", display.values), ("detail", detail.values()),
                                  ("full", full.values))}
    assert counts["display"] < counts["detail"] < counts["full"], counts
    union = shapely.union_all(list(detail.values()))
    total = sum(g.area for g in detail.values())
    assert total == pytest.approx(union.area, rel=1e-6)  # no overlap
    assert union.area == pytest.approx(shapely.union_all(full.values).area, rel=1e-3)  # no gap


# --- cached answers: compressed once, ETag and 304, the page's per-user slots ---------------

def test_the_communes_answer_is_gzip_of_the_same_bytes_with_an_etag_and_a_304(viewer):
    path = f"/api/communes?period=2018&vintage={OLD}"
    plain = viewer.get(path)
    packed = viewer.get(path, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip" and gzip.decompress(packed.data) == plain.data
    assert "Accept-Encoding" in packed.headers["Vary"] and "no-cache" in packed.headers["Cache-Control"]
    tags = {plain.headers["ETag"], packed.headers["ETag"]}
    assert len(tags) == 2  # one tag per representation
    again = viewer.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == packed.headers["ETag"]
    other = viewer.get(f"/api/communes?period=2019&vintage={OLD}",
                       headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert other.status_code == 200 and other.headers["ETag"] not in tags


def test_requests_arriving_while_an_entry_is_computed_wait_for_it_instead_of_computing_it_again():
    import threading

    from webapp.map_cache import cached

    calls, values, started, key = [], [], threading.Barrier(8), ("single-flight", time.time_ns())

    def compute():
        calls.append(1)
        time.sleep(0.3)  # long enough for every other thread to arrive meanwhile
        return "page"

    def ask():
        started.wait()
        values.append(cached(key, compute))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert values == ["page"] * 8 and len(calls) == 1


def test_a_failed_computation_leaves_no_entry_and_the_next_request_computes_again():
    from webapp.map_cache import cached

    def fail():
        raise RuntimeError("database went away")

    key = ("failing", time.time_ns())
    with pytest.raises(RuntimeError):
        cached(key, fail)
    assert cached(key, lambda: "recovered") == "recovered"


@pytest.mark.parametrize(("page", "role"), [("/", "(viewer)"), ("/dashboard", "(Vai trò: viewer)")])
def test_a_cached_page_carries_each_users_own_name_and_form_token(app, db_url, viewer, page, role):
    from webapp.map_cache import cache_size

    path = f"{page}?period=2018&vintage={OLD}"
    second = user_client(app, db_url, VIEWER, "viewer")  # another session of the same user
    third = user_client(app, db_url, ("viewer-two", "viewer-two-password"), "viewer")
    first = viewer.get(path, headers={"Accept-Encoding": "gzip"})
    size = cache_size()
    answers = [first] + [c.get(path, headers={"Accept-Encoding": "gzip"}) for c in (second, third)]
    assert cache_size() == size  # the other two were answered from the first one's entry
    pages = [gzip.decompress(a.data).decode() for a in answers]
    tokens = [form_token(page) for page in pages]
    for client, token in zip((viewer, second, third), tokens, strict=True):
        with client.session_transaction() as session:
            assert session["csrf_token"] == token  # each page carries its own session's token
    assert len(set(tokens)) == 3
    assert f'id="current-user">{VIEWER[0]} {role}' in pages[0]
    assert f'id="current-user">viewer-two {role}' in pages[2]
    assert pages[0].replace(tokens[0], "T") == pages[1].replace(tokens[1], "T")
    assert viewer.get(path).text == pages[0]  # without gzip: the same page
    tag = first.headers["ETag"]
    assert viewer.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": tag}).status_code == 304
    assert second.get(path, headers={"Accept-Encoding": "gzip", "If-None-Match": tag}).status_code == 200
    assert third.post("/logout", data={"csrf_token": tokens[2]}).status_code == 302  # the token works
