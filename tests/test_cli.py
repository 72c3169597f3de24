"""The diaban CLI from an empty database, and the API's counts against geo.join."""

import json

import geopandas as gpd
import pandas as pd
import pytest
from sqlalchemy import text

from geo.join import assign_units
from geo.store.units import read_units
from tests.helpers import login, run_cli

pytestmark = pytest.mark.postgis


def test_demo_again_does_not_duplicate(db_url, loaded):
    result = run_cli(db_url, "demo", "--seed", "7", "--json")
    assert json.loads(result.stdout)["status"] == "already loaded"


def test_users_add_reads_the_password_from_stdin_and_refuses_duplicates(db_url, loaded, client):
    assert run_cli(db_url, "users", "add", "viewer-1", "--role", "viewer", "--password-stdin",
                   input="viewer-password\n").exit_code == 0
    assert login(client, "viewer-1", "viewer-password").status_code == 302
    again = run_cli(db_url, "users", "add", "viewer-1", "--role", "viewer", "--password-stdin",
                    input="another-password\n")
    assert again.exit_code == 1 and "exists already" in again.output


def test_users_add_rejects_a_short_password_and_an_unknown_role(db_url, loaded):
    short = run_cli(db_url, "users", "add", "x1", "--role", "viewer", "--password-stdin",
                    input="short\n")
    assert short.exit_code == 1 and "at least 8 characters" in short.output
    role = run_cli(db_url, "users", "add", "x2", "--role", "boss", "--password-stdin",
                   input="long-enough\n")
    assert role.exit_code == 2 and "viewer" in role.output


def test_users_list_never_shows_password_hashes(db_url, loaded):
    out = run_cli(db_url, "users", "list", "--json").stdout
    assert "admin-test" in out and "scrypt" not in out and "pbkdf2" not in out


def test_commands_name_the_database_they_cannot_reach():
    result = run_cli("postgresql+psycopg://nobody@127.0.0.1:1/nowhere", "db", "init")
    assert result.exit_code == 1 and "cannot reach the database" in result.output


def expected_counts(engine, vintage, start, end):
    """Incidents per commune computed in Python with geo.join, the reference code path."""
    incidents = gpd.read_postgis(text(
        "SELECT i.geom, u.code AS ref_code, u.vintage_id AS ref_vintage FROM incident i "
        "LEFT JOIN admin_unit u ON u.id = i.unit_id "
        "WHERE i.event_date >= :s AND i.event_date < :e"), engine, geom_col="geom",
        params={"s": start, "e": end})
    units = read_units(engine, vintage)
    with_point = incidents[incidents.geometry.notna()]
    codes = assign_units(with_point.geometry, units)["commune_code"].dropna().tolist()
    # a record's unit counts only when it has no point (the ingest keeps both for a placed point)
    by_ref = incidents.geometry.isna() & (incidents["ref_vintage"] == vintage)
    codes += incidents.loc[by_ref, "ref_code"].tolist()
    return pd.Series(codes).value_counts().to_dict()


@pytest.mark.parametrize(("vintage", "period", "start", "end", "n"), [
    ("75:2010-02-06", "2018", "2018-01-01", "2019-01-01", 171 + 111),
    ("75:2025-07-01", "2025-H2", "2025-07-01", "2026-01-01", 95),
])
def test_api_counts_equal_the_geo_join_counts(auth_client, engine, vintage, period, start, end, n):
    body = auth_client.get(f"/api/communes?vintage={vintage}&period={period}").get_json()
    assert len(body["features"]) == n
    got = {f["properties"]["commune_code"]: f["properties"]["incidents"]
           for f in body["features"] if f["properties"]["incidents"]}
    assert got == expected_counts(engine, vintage, start, end)
    assert sum(got.values()) > 0
