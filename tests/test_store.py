"""The schema on a real PostGIS server: SRIDs, GiST indexes, constraints, migrations."""

from datetime import date

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from geo.store import current_revision, init_db
from geo.store.models import Base

pytestmark = pytest.mark.postgis


def test_every_geometry_column_is_4326_with_a_gist_index(conn):
    columns = conn.execute(text(
        "SELECT f_table_name, f_geometry_column, srid FROM geometry_columns "
        "WHERE f_table_schema = 'public'")).all()
    assert {(t, c) for t, c, _ in columns} >= {("admin_unit", "geom"), ("establishment", "geom"),
                                              ("site", "geom"), ("incident", "geom")}
    assert {srid for _, _, srid in columns} == {4326}
    indexed = {(row.tablename, row.indexdef.split("(")[-1].rstrip(")")) for row in conn.execute(text(
        "SELECT tablename, indexdef FROM pg_indexes WHERE indexdef ILIKE '%USING gist%'"))}
    for table, column, _ in columns:
        if column != "geom_display":
            assert (table, column) in indexed


def test_every_fact_table_carries_its_import_batch():
    # classification_snapshot/result are derived by `diaban classify`, never imported;
    # data_revision is the one-row change counter the triggers keep; an upload job points at the
    # batch its ingest made, if any; province is configuration; recognition decisions are entered
    # one by one by staff (recorded_by), never imported.
    exempt = {"import_batch", "app_user", "api_token", "login_session", "upload_job", "audit_log",
              "classification_snapshot", "classification_result", "data_revision", "province",
              "recognition_decision"}
    for table in Base.metadata.sorted_tables:
        if table.name not in exempt:
            assert "import_batch_id" in table.c, table.name
            assert not table.c.import_batch_id.nullable, table.name


def test_every_change_to_the_data_bumps_the_revision_in_its_own_transaction(engine):
    from geo.store.map_layers import data_version

    before = data_version(engine)
    with engine.begin() as conn:
        conn.execute(text("UPDATE incident SET persons_total = persons_total WHERE id = "
                          "(SELECT min(id) FROM incident)"))
        assert data_version(conn) > before  # the writer sees its own change ...
        assert data_version(engine) == before  # ... others only once it commits
    after = data_version(engine)
    assert after > before
    with engine.begin() as conn:
        conn.execute(text("SELECT count(*) FROM incident"))
    assert data_version(engine) == after  # reading changes nothing


def test_db_init_is_idempotent(engine):
    """One chain of migrations (a single head), and a second init leaves the database at it."""
    from pathlib import Path

    from alembic.script import ScriptDirectory

    import geo.store

    scripts = ScriptDirectory(str(Path(geo.store.__file__).with_name("migrations")))
    heads = scripts.get_heads()
    assert len(heads) == 1, f"migrations fork into several heads: {heads}"
    assert init_db(engine) == current_revision(engine) == heads[0]


def batch_id(conn):
    return conn.execute(text("SELECT min(id) FROM import_batch")).scalar_one()


def test_a_record_must_have_a_point_or_a_unit(conn):
    with pytest.raises(IntegrityError, match="incident_located"):
        conn.execute(text("INSERT INTO incident (event_date, incident_kind, import_batch_id) "
                          "VALUES (:d, 'mua_ban_dam', :b)"), {"d": date(2020, 1, 1), "b": batch_id(conn)})


def test_fines_are_non_negative_integers(conn):
    est = conn.execute(text("SELECT min(id) FROM establishment")).scalar_one()
    with pytest.raises(IntegrityError, match="fine_nonneg"):
        conn.execute(text(
            "INSERT INTO inspection (inspection_date, establishment_id, team_level, outcome, "
            "violation_codes, fine_vnd, import_batch_id) VALUES "
            "('2020-01-01', :e, 'xa', 'xu_phat', '{}', -1, :b)"), {"e": est, "b": batch_id(conn)})


def test_site_events_are_limited_to_the_lifecycle(conn):
    site = conn.execute(text("SELECT min(id) FROM site")).scalar_one()
    with pytest.raises(IntegrityError, match="event_type_allowed"):
        conn.execute(text("INSERT INTO site_event (site_id, event_date, event_type, import_batch_id)"
                          " VALUES (:s, '2020-01-01', 'vanished', :b)"), {"s": site, "b": batch_id(conn)})
