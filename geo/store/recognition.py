"""Recognition decisions in the store: record (superseding, never overwriting), read, and the proposal.

Recognition (công nhận xã, phường, thị trấn lành mạnh không có tệ nạn mại dâm) is the steering
committee's decision per commune and year; the *proposal* (đề xuất) is what the classification
computed: the status of the newest snapshot of that year on the commune's vintage (a snapshot of
the whole year first, then any period of the year). A commune is keyed by GSO code plus vintage.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import Connection, Engine, select, text, update

from geo.classify import SnapshotMeta
from geo.errors import RecognitionError
from geo.store.audit import audit
from geo.store.classification import META_SQL, snapshot_meta
from geo.store.engine import connection, session_scope
from geo.store.models import AdminUnit, ClassificationSnapshot, RecognitionDecision

#: The columns of a decision as read back (:func:`read_decisions`).
DECISION_COLUMNS = ["id", "vintage_id", "commune_code", "year", "recognised", "decision_number",
                    "decision_date", "decided_by", "snapshot_id", "recorded_by", "recorded_at",
                    "superseded_at"]
#: The advisory-lock namespace that serialises decisions on one commune and year.
_LOCK_NAMESPACE = 7_402
_LIMITS = {"decision_number": 60, "decided_by": 120}

_YEAR_SNAPSHOTS = text(f"""
    SELECT {META_SQL}
    FROM classification_snapshot s
    WHERE s.vintage_id = :vintage AND left(s.period, 4) = :year
    ORDER BY (s.period = :year) DESC, (s.convention = 'calendar') DESC, s.created_at DESC, s.id DESC""")


def record_decision(engine: Engine, *, vintage: str, commune_code: str, year: int, recognised: bool,
                    decision_number: str, decision_date: date, decided_by: str, recorded_by: str,
                    snapshot_id: int | None = None) -> dict:
    """Record the decision on a commune for a year, superseding the current one (kept as history).

    The check, the supersession, the new row and its audit-log entry (``recognition.record``)
    are one transaction, serialised per vintage, commune and year.

    Parameters
    ----------
    vintage, commune_code : str
        The commune: its GSO code in that boundary vintage.
    year : int
        The year the decision recognises (or not).
    recognised : bool
        True: recognised as lành mạnh không có tệ nạn mại dâm.
    decision_number, decision_date, decided_by : str, date, str
        The decision's number and date, and the office or role that took it (``UBND tỉnh``),
        never a person's name.
    recorded_by : str
        The staff login entering it.
    snapshot_id : int, optional
        The classification snapshot the decision was based on: one of that year on ``vintage``.

    Returns
    -------
    dict
        The new decision (:data:`DECISION_COLUMNS`) and ``superseded`` (the id it replaced, or None).
    """
    values = _checked_fields(year=year, decision_number=decision_number, decision_date=decision_date,
                             decided_by=decided_by)
    with session_scope(engine) as session:
        _check_commune(session, vintage, commune_code)
        if snapshot_id is not None:
            _check_snapshot(session, snapshot_id, vintage, year)
        session.execute(text("SELECT pg_advisory_xact_lock(:ns, hashtext(:key))"),
                        {"ns": _LOCK_NAMESPACE, "key": f"{vintage}|{commune_code}|{year}"})
        superseded = session.execute(
            update(RecognitionDecision)
            .where(RecognitionDecision.vintage_id == vintage,
                   RecognitionDecision.commune_code == commune_code,
                   RecognitionDecision.year == year, RecognitionDecision.superseded_at.is_(None))
            .values(superseded_at=datetime.now(UTC)).returning(RecognitionDecision.id)).scalar_one_or_none()
        row = RecognitionDecision(vintage_id=vintage, commune_code=commune_code, recognised=bool(recognised),
                                  snapshot_id=snapshot_id, recorded_by=recorded_by, **values)
        session.add(row)
        session.flush()
        session.refresh(row)
        audit(session, recorded_by, "recognition.record", f"{vintage}:{commune_code}:{year}",
              decision=row.id, recognised=row.recognised, number=row.decision_number,
              date=row.decision_date.isoformat(), decided_by=row.decided_by, snapshot=snapshot_id,
              superseded=superseded)
        return {**{c: getattr(row, c) for c in DECISION_COLUMNS}, "superseded": superseded}


def _checked_fields(*, year: int, decision_number: str, decision_date: date, decided_by: str) -> dict:
    """The decision's own fields, trimmed, or :class:`RecognitionError` naming the bad one and the fix."""
    out = {"year": int(year), "decision_date": decision_date,
           "decision_number": (decision_number or "").strip(), "decided_by": (decided_by or "").strip()}
    for field, most in _LIMITS.items():
        if not out[field]:
            raise RecognitionError(f"{field} is empty; give the decision's {field.replace('_', ' ')}")
        if len(out[field]) > most:
            raise RecognitionError(f"{field} {out[field][:20]!r}… has {len(out[field])} characters; "
                                   f"at most {most}")
    if not isinstance(decision_date, date):
        raise RecognitionError(f"decision_date {decision_date!r} is not a date; use YYYY-MM-DD")
    if decision_date.year < out["year"] or decision_date > date.today():
        raise RecognitionError(f"decision_date {decision_date.isoformat()} cannot decide {out['year']}: a "
                               f"recognition for {out['year']} is dated from {out['year']}-01-01 to today")
    return out


def _check_commune(session, vintage: str, code: str) -> None:
    """Raise :class:`RecognitionError` unless ``code`` is a commune of ``vintage``."""
    found = session.scalar(select(AdminUnit.id).where(AdminUnit.vintage_id == vintage, AdminUnit.code == code,
                                                      AdminUnit.level == "commune"))
    if found is None:
        raise RecognitionError(f"no commune {code!r} in vintage {vintage!r}; give a commune's GSO code "
                               "of that vintage (the map lists them)")


def _check_snapshot(session, snapshot_id: int, vintage: str, year: int) -> None:
    """Raise :class:`RecognitionError` unless the snapshot classified a period of ``year`` on ``vintage``."""
    snap = session.get(ClassificationSnapshot, snapshot_id)
    if snap is None or snap.vintage_id != vintage or not snap.period.startswith(str(year)):
        shown = "not in the store" if snap is None else f"of {snap.period} on vintage {snap.vintage_id}"
        raise RecognitionError(f"snapshot {snapshot_id} is {shown}; choose a snapshot of {year} on vintage "
                               f"{vintage} (`diaban recognition list --year {year}` names the proposal's)")


def read_decisions(conn: Connection | Engine, *, year: int | None = None, vintage: str | None = None,
                   codes: list[str] | None = None, years: list[int] | None = None,
                   history: bool = False) -> pd.DataFrame:
    """The current decisions (with ``history=True`` the superseded ones too), newest first per commune.

    Parameters
    ----------
    year, years : int, list of int, optional
        Keep one year, or these years.
    vintage : str, optional
        Keep the decisions on this boundary vintage.
    codes : list of str, optional
        Keep these communes (GSO codes).
    history : bool, default False
        Include superseded decisions.

    Returns
    -------
    DataFrame
        :data:`DECISION_COLUMNS`, ordered by year, commune code, then newest first.
    """
    wanted = years if year is None else [int(year)]
    sql = text("""
        SELECT * FROM recognition_decision
        WHERE (CAST(:years AS int[]) IS NULL OR year = ANY(:years))
          AND (CAST(:vintage AS text) IS NULL OR vintage_id = :vintage)
          AND (CAST(:codes AS text[]) IS NULL OR commune_code = ANY(:codes))
          AND (:history OR superseded_at IS NULL)
        ORDER BY year, vintage_id, commune_code, recorded_at DESC, id DESC""")
    with connection(conn) as c:
        frame = pd.read_sql(sql, c, params={"years": None if wanted is None else [int(y) for y in wanted],
                                            "vintage": vintage, "codes": codes, "history": history})
    return frame[DECISION_COLUMNS]


def year_snapshots(conn: Connection | Engine, year: int, *, vintage: str) -> list[SnapshotMeta]:
    """The classification snapshots of a period of ``year`` on ``vintage``, the proposal's first.

    The proposal's snapshot is the newest of the whole year (calendar convention first), else
    the newest of any period of the year.
    """
    with connection(conn) as c:
        rows = c.execute(_YEAR_SNAPSHOTS, {"vintage": vintage, "year": str(year)}).mappings().all()
    return [snapshot_meta(r) for r in rows]


def read_proposals(conn: Connection | Engine, year: int, *,
                   vintage: str) -> tuple[SnapshotMeta | None, pd.DataFrame]:
    """The proposal of ``year``: its snapshot (or None) and per commune ``commune_code, status, score``."""
    with connection(conn) as c:
        snapshots = year_snapshots(c, year, vintage=vintage)
        chosen = snapshots[0] if snapshots else None
        results = pd.read_sql(text("SELECT commune_code, status, score FROM classification_result "
                                   "WHERE snapshot_id = :s ORDER BY commune_code"), c,
                              params={"s": chosen.id if chosen else -1})
    return chosen, results


def commune_recognition(conn: Connection | Engine, year: int, code: str, *, vintage: str) -> dict:
    """One commune's proposal and decision for ``year`` (the map panel's ``recognition``).

    Returns
    -------
    dict
        ``year``, ``proposal`` (``snapshot_id, period, status, score``, or None without a
        snapshot of the year) and ``decision`` (the current decision's fields and ``superseded``,
        the number of earlier decisions, or None).
    """
    with connection(conn) as c:
        snapshot, results = read_proposals(c, year, vintage=vintage)
        decisions = read_decisions(c, year=year, vintage=vintage, codes=[code], history=True)
    mine = results[results["commune_code"] == code]
    proposal = None if snapshot is None or mine.empty else {
        "snapshot_id": snapshot.id, "period": snapshot.period,
        "status": mine["status"].iloc[0], "score": float(mine["score"].iloc[0])}
    current = decisions[decisions["superseded_at"].isna()]
    decision = None
    if len(current):
        row = current.iloc[0]
        decision = {"recognised": bool(row["recognised"]), "decision_number": row["decision_number"],
                    "decision_date": pd.Timestamp(row["decision_date"]).date().isoformat(),
                    "decided_by": row["decided_by"],
                    "snapshot_id": None if pd.isna(row["snapshot_id"]) else int(row["snapshot_id"]),
                    "recorded_at": pd.Timestamp(row["recorded_at"]).isoformat(),
                    "superseded": len(decisions) - 1}
    return {"year": int(year), "proposal": proposal, "decision": decision}
