"""The ingest at scale: a file longer than PostgreSQL's 65,535 parameters per statement, the natural
key's exact form, and the bulk write (``COPY``) keeping ids, defaults, JSON and geometry right.

Before the lookup of stored natural keys became one array parameter, any file of more than 65,535
sound records failed with ``number of parameters must be between 0 and 65535``.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta

import pandas as pd
import pytest
import shapely
from sqlalchemy import text
from sqlalchemy.orm import Session

from etl.pipeline import ingest
from geo.store.batches import start_batch
from geo.store.ingest import record_hash, record_hashes, stored_hashes
from geo.store.models import Establishment, Incident, Inspection, RejectedRow
from geo.store.records import insert_frame

pytestmark = pytest.mark.postgis

N_ROWS = 70_000  # more records than a statement may have parameters
KINDS = ["Mua bán dâm", "Chứa mại dâm", "Môi giới mại dâm", "Tổ chức hoạt động mại dâm"]
CODE = "25996"  # Phường Tân Phong, Biên Hòa, in the 2010 vintage that 2018-2019 dates select


@pytest.fixture
def long_file(tmp_path, engine):
    """``N_ROWS`` distinct incidents placed by commune code: (day, act, persons) differs on every row."""
    lines = ["Ngày xảy ra;Hành vi;Mã xã;Số đối tượng"]
    for k in range(N_ROWS):
        day = date(2018, 1, 1) + timedelta(days=k // 100)
        lines.append(f"{day:%d/%m/%Y};{KINDS[k % 4]};{CODE};{k % 100 // 4 + 1}")
    path = tmp_path / "vu_viec_dai.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    yield path
    with engine.begin() as c:  # the batch's incidents go with it, by cascade
        c.execute(text("DELETE FROM import_batch WHERE source = :s"), {"s": str(path)})


def test_a_file_longer_than_the_parameter_limit_loads_then_counts_as_duplicates(engine, long_file):
    summary = ingest(engine, "incidents", long_file)
    assert {k: summary[k] for k in ("read", "loaded", "rejected", "duplicates")} == {
        "read": N_ROWS, "loaded": N_ROWS, "rejected": 0, "duplicates": 0}
    with engine.connect() as c:
        stored = c.execute(text(
            "SELECT count(*), count(DISTINCT record_hash), min(event_date)::text, max(event_date)::text, "
            "sum(persons_total), count(DISTINCT u.code), min(u.vintage_id) "
            "FROM incident i JOIN admin_unit u ON u.id = i.unit_id WHERE i.import_batch_id = :b"),
            {"b": summary["batch_id"]}).one()
        backwards = c.execute(text(  # ids follow the file's order, whose dates never go back
            "SELECT count(*) FROM (SELECT event_date < lag(event_date) OVER (ORDER BY id) AS back "
            "FROM incident WHERE import_batch_id = :b) s WHERE back"), {"b": summary["batch_id"]}).scalar()
    last = date(2018, 1, 1) + timedelta(days=(N_ROWS - 1) // 100)
    assert tuple(stored) == (N_ROWS, N_ROWS, "2018-01-01", last.isoformat(),
                             N_ROWS // 100 * sum(range(1, 26)) * 4, 1, "75:2010-02-06")
    assert backwards == 0

    again = ingest(engine, "incidents", long_file, dry_run=True)  # every key is now stored
    assert (again["read"], again["loaded"], again["duplicates"]) == (N_ROWS, 0, N_ROWS)


def test_stored_hashes_takes_more_keys_than_parameters(engine):
    absent = [hashlib.sha256(str(n).encode()).hexdigest() for n in range(N_ROWS)]
    known = [hashlib.sha256(f"stored {n}".encode()).hexdigest() for n in range(3)]
    with Session(engine) as session:  # three stored incidents, rolled back at the end
        batch = start_batch(session, kind="test", source="test_ingest_scale", created_by="test")
        unit = session.execute(text("SELECT min(id) FROM admin_unit WHERE level = 'commune'")).scalar()
        insert_frame(session, Incident, pd.DataFrame({
            "event_date": [date(2018, 1, 1)] * 3, "incident_kind": ["mua_ban_dam"] * 3, "unit_id": [unit] * 3,
            "record_hash": known}), batch_id=batch.id)
        found = stored_hashes(session, "incidents", [*absent, *known, None])
        session.rollback()
    assert found == set(known)


def _oracle(kind: str, values: dict) -> str:
    """The natural key as documented: SHA-256 of compact JSON ``[kind, {sorted keys: values}]``."""
    return hashlib.sha256(json.dumps([kind, dict(sorted(values.items()))], ensure_ascii=False,
                                     separators=(",", ":")).encode("utf-8")).hexdigest()


def test_record_hashes_match_the_documented_form():
    point = shapely.Point(106.812345678912, 10.9512345678)
    frame = pd.DataFrame({
        "event_date": [date(2019, 6, 15), None, date(2025, 7, 1)],
        "kind_label": ["Mua bán dâm", "100% \"lạ\"", None],
        "persons_total": [2, 0, 11],
        "fine_vnd": [1.5e6, float("nan"), -0.0],
        "violation_codes": [["mua_dam", "other"], [], ["x"]],
        "geom": [point, None, point],
        "commitment_signed": [True, False, None],
    })
    expected = [
        {"commitment_signed": True, "event_date": "2019-06-15", "fine_vnd": 1500000.0,
         "geom": "POINT (106.8123457 10.9512346)", "kind_label": "Mua bán dâm", "persons_total": 2,
         "violation_codes": ["mua_dam", "other"]},
        {"commitment_signed": False, "event_date": None, "fine_vnd": None, "geom": None,
         "kind_label": "100% \"lạ\"", "persons_total": 0, "violation_codes": []},
        {"commitment_signed": None, "event_date": "2025-07-01", "fine_vnd": -0.0,
         "geom": "POINT (106.8123457 10.9512346)", "kind_label": None, "persons_total": 11,
         "violation_codes": ["x"]},
    ]
    assert record_hashes("incidents", frame) == [_oracle("incidents", v) for v in expected]
    assert record_hash("incidents", frame.iloc[1].to_dict()) == _oracle("incidents", expected[1])


def test_insert_frame_fills_defaults_json_and_points_and_returns_ids_in_order(engine):
    with Session(engine) as session:
        batch = start_batch(session, kind="test", source="test_ingest_scale", created_by="test")
        unit = session.execute(text("SELECT min(id) FROM admin_unit WHERE level = 'commune'")).scalar()
        est = insert_frame(session, Establishment, pd.DataFrame({
            "establishment_type": ["karaoke", "hotel"], "name": ["A", None],
            "geom": [shapely.Point(106.8, 10.95), None], "unit_id": [None, unit]}), batch_id=batch.id)
        insert_frame(session, Inspection, pd.DataFrame({
            "inspection_date": [date(2019, 1, 2)], "establishment_id": [est[1]], "team_level": ["xa"],
            "outcome": ["unknown"], "fine_vnd": [1.5e6]}), batch_id=batch.id)
        rejected = insert_frame(session, RejectedRow, pd.DataFrame({
            "source_row": [7], "reason": ["BAD_DATE"], "detail": ["d"], "raw": [{"ngày": "32/01", "n": 1}],
            "ref_hmac": [None]}, dtype=object), batch_id=batch.id)
        rows = session.execute(text(
            "SELECT e.id, e.name, e.status, ST_AsText(e.geom), ST_SRID(e.geom), e.unit_id, "
            "i.violation_codes, i.fine_vnd "
            "FROM establishment e LEFT JOIN inspection i ON i.establishment_id = e.id "
            "WHERE e.import_batch_id = :b ORDER BY e.id"), {"b": batch.id}).all()
        raw = session.execute(text("SELECT raw, ref_hmac FROM rejected_row WHERE id = :i"),
                              {"i": rejected[0]}).one()
        session.rollback()
    assert est[0] < est[1]
    assert [tuple(r) for r in rows] == [
        (est[0], "A", "active", "POINT(106.8 10.95)", 4326, None, None, None),
        (est[1], None, "active", None, None, unit, [], 1_500_000)]
    assert (raw.raw, raw.ref_hmac) == ({"ngày": "32/01", "n": 1}, None)
