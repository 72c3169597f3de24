"""The demo set: deterministic per seed, plausible, marked synthetic, every status possible."""

import json
from datetime import date

import pandas as pd
import pytest
from sqlalchemy import text

from etl.demo import Vintage, generate_demo
from geo.store.units import list_vintages, read_units

pytestmark = pytest.mark.postgis


@pytest.fixture(scope="module")
def vintages(engine):
    return [Vintage(v["id"], v["valid_from"], v["valid_to"],
                    read_units(engine, v["id"])[["unit_code", "unit_type", "geometry"]])
            for v in list_vintages(engine)]


def test_same_seed_same_data_other_seed_other_data(vintages):
    a = generate_demo(vintages, seed=3, establishments=300, sites=8, incidents=300)
    b = generate_demo(vintages, seed=3, establishments=300, sites=8, incidents=300)
    c = generate_demo(vintages, seed=4, establishments=300, sites=8, incidents=300)
    assert a.incidents.equals(b.incidents) and a.inspections.equals(b.inspections)
    assert a.establishments.geometry.geom_equals(b.establishments.geometry).all()
    assert not a.establishments.geometry.geom_equals(c.establishments.geometry).all()


def test_loaded_counts_are_those_the_issue_asks_for(loaded, conn):
    result = json.loads(loaded["demo"])
    assert result["status"] == "loaded" and result["seed"] == 7
    assert 2000 <= result["establishments"] <= 5000
    assert 2000 <= result["incidents"] <= 5000
    assert 10 <= result["sites"] <= 99
    plan_period = conn.execute(text("SELECT count(*) FROM inspection WHERE inspection_date "
                                    "BETWEEN '2016-01-01' AND '2020-12-31'")).scalar_one()
    assert 7000 <= plan_period <= 9000
    span = conn.execute(text("SELECT min(event_date), max(event_date) FROM incident")).one()
    assert span[0] >= date(2016, 1, 1) and span[1] <= date(2026, 6, 30)
    assert span[0] < date(2016, 2, 1) and span[1] > date(2026, 5, 1)


def test_demo_is_marked_synthetic_everywhere(conn):
    batch = conn.execute(text("SELECT synthetic FROM import_batch WHERE kind = 'demo'")).scalar_one()
    assert batch is True
    names = conn.execute(text("SELECT count(*) FROM establishment WHERE name NOT LIKE '%DEMO-%'"))
    assert names.scalar_one() == 0


def test_incidents_concentrate_in_urban_wards(conn):
    # Incidents per km² in phường against xã, on the units valid in 2018.
    rows = conn.execute(text("""
        SELECT u.unit_type, count(i.id) / sum(DISTINCT u.area_km2) AS density
        FROM admin_unit u LEFT JOIN incident i
          ON ST_Covers(u.geom, i.geom) AND i.event_date BETWEEN '2016-01-01' AND '2018-12-31'
        WHERE u.vintage_id = '2010-02-06' AND u.level = 'commune'
        GROUP BY u.unit_type""")).all()
    density = dict(rows)
    assert density["phuong"] > 3 * density["xa"]


def test_each_classification_status_has_candidates_in_2018(conn):
    units = pd.read_sql(text("SELECT id, code FROM admin_unit WHERE vintage_id = '2010-02-06' "
                             "AND level = 'commune'"), conn)
    with_incidents = set(pd.read_sql(text("""
        SELECT DISTINCT u.code FROM incident i JOIN admin_unit u
          ON (ST_Covers(u.geom, i.geom) OR u.id = i.unit_id) AND u.vintage_id = '2010-02-06'
        WHERE i.event_date BETWEEN '2018-01-01' AND '2018-12-31'"""), conn)["code"])
    with_active_site = set(pd.read_sql(text("""
        SELECT DISTINCT u.code FROM site s JOIN admin_unit u
          ON ST_Covers(u.geom, s.geom) AND u.vintage_id = '2010-02-06'
        WHERE EXISTS (SELECT 1 FROM site_event e WHERE e.site_id = s.id
                      AND e.event_type = 'identified' AND e.event_date <= '2018-12-31')
          AND NOT EXISTS (SELECT 1 FROM site_event e WHERE e.site_id = s.id
                      AND e.event_type IN ('cleared', 'recleared') AND e.event_date <= '2018-12-31')
        """), conn)["code"])
    attested = set(pd.read_sql(text("""
        SELECT DISTINCT u.code FROM criterion_assessment a JOIN admin_unit u ON u.id = a.unit_id
        WHERE a.period = '2018'"""), conn)["code"])
    everyone = set(units["code"])
    assert everyone - with_incidents - with_active_site  # candidates for healthy
    assert with_active_site  # not healthy (P1 fails)
    assert with_incidents - with_active_site  # reduced or not healthy
    assert everyone - attested  # not assessed: attestations missing
    reactivated = conn.execute(text("SELECT count(*) FROM site_event "
                                    "WHERE event_type = 'reactivated'")).scalar_one()
    assert reactivated > 0
