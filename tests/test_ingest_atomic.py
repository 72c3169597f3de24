"""All or nothing: a database connection killed in the middle of a file leaves nothing of it behind.

A generated incidents CSV of a few thousand rows (some of them bad, so the quarantine is written
too) is ingested through ``etl.ingest``. When the records are written, inside the transaction, the
progress callback has a second connection terminate the ingest's server process with
``pg_terminate_backend``. The ingest must fail, and no import batch, incident, rejected row or
audit entry of it may remain. Ingesting the same file again must then load every row: had any
record of the first attempt survived, it would now count as a duplicate.
"""

from __future__ import annotations

import secrets
from datetime import date, timedelta

import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

import etl
from geo.store import make_engine
from geo.store.units import list_vintages, read_units

pytestmark = pytest.mark.postgis

VINTAGE = "75:2010-02-06"  # the boundaries in force in 2018, the year of the generated incidents
KINDS = ["Mua bán dâm", "Chứa mại dâm", "Môi giới mại dâm", "Tổ chức hoạt động mại dâm"]
N_ROWS = 3000
TABLES = ("import_batch", "incident", "rejected_row", "audit_log")


def _comma(value: float) -> str:
    return f"{value:.6f}".replace(".", ",")


def _points_inside(engine) -> list[tuple[float, float]]:
    """One point per 2018 commune that also lies inside the province of the latest vintage."""
    units = read_units(engine, VINTAGE)
    latest = read_units(engine, list_vintages(engine)[-1].id)
    outline = shapely.union_all(latest.geometry.values)
    points = [g.representative_point() for g in units.geometry]
    return [(p.x, p.y) for p in points if outline.contains(p)]


@pytest.fixture
def incidents_file(tmp_path, engine):
    """A CSV of ``N_ROWS`` distinct incidents; every 40th has a point in Hà Nội, every 50th 31 February."""
    points = _points_inside(engine)
    assert len(points) > 100
    lines = ["STT;Ngày xảy ra;Hành vi;Vĩ độ;Kinh độ;Số đối tượng"]
    bad = 0
    for k in range(N_ROWS):
        lon, lat = points[k % len(points)]
        day = date(2018, 1, 1) + timedelta(days=k // len(points))  # (commune, day) is unique per row
        when = day.strftime("%d/%m/%Y")
        if k % 40 == 7:
            lon, lat = 105.8542, 21.0285
        elif k % 50 == 9:
            when = "31/02/2018"
        bad += k % 40 == 7 or k % 50 == 9
        lines.append(f"{k + 1};{when};{KINDS[k % 4]};{_comma(lat)};{_comma(lon)};{1 + k % 3}")
    path = tmp_path / f"vu_viec_{secrets.token_hex(3)}.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    yield path, N_ROWS - bad, bad
    with engine.begin() as c:  # the batch's incidents and rejected rows go with it, by cascade
        c.execute(text("DELETE FROM import_batch WHERE source = :s"), {"s": str(path)})


@pytest.fixture
def named_engine(db_url):
    """An engine whose connections carry an application_name of their own, and a killer beside it."""
    name = f"diaban-atomic-{secrets.token_hex(4)}"
    ingest_engine = make_engine(db_url, connect_args={"application_name": name})
    killer = make_engine(db_url, isolation_level="AUTOCOMMIT")
    yield ingest_engine, killer, name
    ingest_engine.dispose()
    killer.dispose()


def _counts(engine) -> dict[str, int]:
    with engine.connect() as c:
        return {t: c.execute(text(f"SELECT count(*) FROM {t}")).scalar() for t in TABLES}


def test_a_connection_killed_mid_file_leaves_nothing_and_a_rerun_completes(named_engine, incidents_file):
    ingest_engine, killer, name = named_engine
    path, n_good, n_bad = incidents_file
    before = _counts(killer)
    seen: list[tuple[str, int]] = []
    killed: list[dict] = []

    def kill_when_records_are_written(stage: str, rows: int) -> None:
        seen.append((stage, rows))
        if stage != "records":
            return
        with killer.connect() as c:
            # the ingest's transaction: it has written (it holds a transaction id) and is not committed
            writer = c.execute(text(
                "SELECT pid, state, backend_xid IS NOT NULL AS wrote FROM pg_stat_activity "
                "WHERE application_name = :n AND backend_xid IS NOT NULL"), {"n": name}).mappings().all()
            killed.extend(dict(w) for w in writer)
            for w in writer:  # wait (up to 10 s) until the backend is gone
                assert c.execute(text("SELECT pg_terminate_backend(:p, 10000)"), {"p": w["pid"]}).scalar()

    with pytest.raises(DBAPIError) as caught:
        etl.ingest(ingest_engine, "incidents", path, progress=kill_when_records_are_written)
    stages = [s for s, _ in seen]
    assert stages[-1] == "records" and "rejected" not in stages  # killed before the quarantine was written
    assert seen[-1][1] == n_good  # every good record had been written inside the transaction
    assert len(killed) == 1 and killed[0]["state"] == "idle in transaction", killed
    assert "terminat" in str(caught.value).lower() or "closed" in str(caught.value).lower()

    assert _counts(killer) == before  # no batch, incident, rejected row or audit entry of the attempt
    with killer.connect() as c:
        assert c.execute(text("SELECT count(*) FROM import_batch WHERE source = :s"),
                         {"s": str(path)}).scalar() == 0
        assert c.execute(text("SELECT count(*) FROM import_batch WHERE status = 'running'")).scalar() == 0

    summary = etl.ingest(ingest_engine, "incidents", path)  # the same engine: its dead connection is gone
    assert {k: summary[k] for k in ("read", "loaded", "rejected", "duplicates")} == {
        "read": N_ROWS, "loaded": n_good, "rejected": n_bad, "duplicates": 0}
    assert summary["reasons"] == {"BAD_DATE": N_ROWS // 50, "OUTSIDE_PROVINCE": n_bad - N_ROWS // 50}
    after = _counts(killer)
    assert after["import_batch"] == before["import_batch"] + 1
    assert after["incident"] == before["incident"] + n_good
    assert after["rejected_row"] == before["rejected_row"] + n_bad
    with killer.connect() as c:
        batch = c.execute(text("SELECT status, rows_loaded FROM import_batch WHERE id = :b"),
                          {"b": summary["batch_id"]}).one()
        stored = c.execute(text("SELECT count(*) FROM incident WHERE import_batch_id = :b"),
                           {"b": summary["batch_id"]}).scalar()
    assert (batch.rows_loaded, stored) == (n_good, n_good) and batch.status != "running"
