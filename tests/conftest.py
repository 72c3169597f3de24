"""Fixtures: a real PostGIS database per test run, the app, a live server, Chromium.

The test database is created on the server of ``DATABASE_URL`` (default: the local
PostgreSQL over its unix socket), filled through the ``diaban`` CLI exactly as a user would
(``db init``, ``boundaries load``, ``demo``), and dropped at the end. Under ``CI=true`` a
missing PostGIS server or browser is a failure, and any skipped test fails the run.
"""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from sqlalchemy import make_url, text

from geo.settings import database_url
from geo.store import make_engine
from tests.helpers import (
    ADMIN,
    ANALYST,
    EDITOR,
    IN_CI,
    OLD_VINTAGE,
    VIEWER,
    login,
    new_database,
    newest_snapshot,
    run_cli,
    unavailable,
    user_client,
)

_SKIPPED: list[str] = []


def pytest_runtest_logreport(report):
    if IN_CI and report.skipped:
        _SKIPPED.append(report.nodeid)


def pytest_sessionfinish(session, exitstatus):
    if IN_CI and _SKIPPED:
        print(f"\nCI=true: {len(_SKIPPED)} skipped tests count as failures: {_SKIPPED}")
        session.exitstatus = 1


@pytest.fixture(scope="session")
def server_url():
    """The URL of the PostgreSQL server to create the test database on."""
    url = make_url(os.environ.get("TEST_DATABASE_URL") or database_url())
    engine = make_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            available = conn.execute(text(
                "SELECT count(*) FROM pg_available_extensions WHERE name = 'postgis'")).scalar()
    except Exception as exc:
        unavailable(f"PostgreSQL at {url.render_as_string(hide_password=True)} ({exc})")
    if not available:
        unavailable("the postgis extension")
    yield url
    engine.dispose()


@pytest.fixture(scope="session")
def db_url(server_url):
    """A fresh, empty database for this test run, dropped afterwards."""
    with new_database(server_url) as url:
        yield url


@pytest.fixture(scope="session")
def loaded(db_url):
    """The test database after `db init`, `boundaries load` and `demo --seed 7` via the CLI."""
    outputs = {}
    for args in (("db", "init"), ("boundaries", "load", "--json"), ("demo", "--seed", "7", "--json"),
                 ("users", "add", ADMIN[0], "--role", "admin", "--password-stdin")):
        result = run_cli(db_url, *args, input=ADMIN[1] + "\n")
        assert result.exit_code == 0, result.output
        outputs[args[0]] = result.stdout
    return outputs


@pytest.fixture(scope="session")
def engine(db_url, loaded):
    """An engine on the loaded test database."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def conn(engine):
    """A connection inside a transaction that is rolled back after the test."""
    with engine.connect() as connection:
        transaction = connection.begin()
        yield connection
        transaction.rollback()


@pytest.fixture(scope="session")
def app(engine, db_url):
    from webapp import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": db_url,
                       "ENGINE": engine})


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def watched_page(page, live_server):
    """A page that records failed requests, page errors and requests leaving the app."""
    page.failures, page.errors, page.foreign = [], [], []
    page.on("requestfailed", lambda r: page.failures.append(f"{r.url} {r.failure}"))
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(live_server) else page.foreign.append(r.url))
    return page


@pytest.fixture
def fresh(engine):
    """Delete the import batches a test creates, newest first (their rows go with them, by cascade).

    Yields the last batch id before the test.
    """
    with engine.connect() as c:
        before = c.execute(text("SELECT coalesce(max(id), 0) FROM import_batch")).scalar()
    yield before
    with engine.begin() as c:
        for batch in c.execute(text("SELECT id FROM import_batch WHERE id > :b ORDER BY id DESC"),
                               {"b": before}).scalars().all():
            c.execute(text("DELETE FROM import_batch WHERE id = :b"), {"b": batch})


#: The tables whose ``<table>_frozen`` triggers keep classification snapshots immutable (migration 0002).
_FROZEN = ("classification_snapshot", "classification_result")


@pytest.fixture(scope="module", autouse=True)
def own_snapshots(request):
    """Delete the classification snapshots a module stores once it ends (and decisions citing them).

    Applies to every module with a test on the loaded database. Snapshots are immutable in the
    application, so the triggers that refuse the delete are lifted inside this one transaction only
    (DDL is transactional: no other session sees them lifted); the ``data_revision`` triggers still
    fire, so cached answers are dropped. No module sees another's snapshots, so none has to avoid
    the periods another counts on, whatever the order. Yields the last snapshot id before the module.
    """
    items = [i for i in request.session.items if getattr(i, "module", None) is request.module]
    if not any("loaded" in getattr(i, "fixturenames", ()) for i in items):
        yield None
        return
    engine = request.getfixturevalue("engine")
    with engine.connect() as c:
        before = c.execute(text("SELECT coalesce(max(id), 0) FROM classification_snapshot")).scalar()
    yield before
    with engine.begin() as c:
        c.execute(text("SET LOCAL lock_timeout = '30s'"))
        for table in _FROZEN:
            c.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {table}_frozen"))
        c.execute(text("DELETE FROM recognition_decision WHERE snapshot_id > :b"), {"b": before})
        c.execute(text("DELETE FROM classification_result WHERE snapshot_id > :b"), {"b": before})
        c.execute(text("DELETE FROM classification_snapshot WHERE id > :b"), {"b": before})
        for table in _FROZEN:
            c.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER {table}_frozen"))


@pytest.fixture(scope="module")
def classified(db_url, engine, own_snapshots) -> int:
    """A classification snapshot of 2018 on the old vintage, deleted after the module; its id."""
    result = run_cli(db_url, "classify", "--period", "2018", "--vintage", OLD_VINTAGE)
    assert result.exit_code == 0, result.output
    with engine.connect() as c:
        return newest_snapshot(c, "2018", OLD_VINTAGE)


@pytest.fixture
def decisions_cleared(engine):
    """Remove every recognition decision a test records (other tests measure the proposal alone)."""
    yield
    with engine.begin() as c:
        c.execute(text("DELETE FROM recognition_decision"))


@pytest.fixture(scope="module")
def viewer(app, db_url, loaded):
    """A client logged in as :data:`VIEWER` (commune aggregates only)."""
    return user_client(app, db_url, VIEWER, "viewer")


@pytest.fixture(scope="module")
def analyst(app, db_url, loaded):
    """A client logged in as :data:`ANALYST`."""
    return user_client(app, db_url, ANALYST, "analyst")


@pytest.fixture(scope="module")
def editor(app, db_url, loaded):
    """A client logged in as :data:`EDITOR` (uploads, review queue)."""
    return user_client(app, db_url, EDITOR, "editor")


@pytest.fixture
def auth_client(client):
    assert login(client).status_code == 302
    return client


@pytest.fixture(scope="session")
def live_server(app):
    """The app served over HTTP on a free loopback port, in a thread."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def chromium_path():
    path = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not os.path.exists(path):
        unavailable("Chromium (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, chromium_path):
    """Launch Debian's Chromium: `playwright install` cannot download browsers here."""
    return {
        **browser_type_launch_args,
        "executable_path": chromium_path,
        "headless": True,
        "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"],
    }


@pytest.fixture(scope="session")
def ogrinfo():
    """Path of system GDAL's ogrinfo (Debian gdal-bin); exports are read back with it."""
    path = shutil.which("ogrinfo")
    if path is None:
        unavailable("GDAL's ogrinfo (apt-get install gdal-bin)")
    return path
