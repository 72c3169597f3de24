"""The review queue of the ingest and the unit aliases reviewers teach it.

A row whose commune reference the ingest would not guess is quarantined (``rejected_row``) and gets a
``review_item`` with its candidate units. A reviewer's choice is remembered as a ``unit_alias``
(vintage, district key, commune key → unit), which the ingest then applies by itself.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from geo.errors import ReviewError, UnknownReviewItemError
from geo.store.engine import connection
from geo.store.models import AdminUnit, ImportBatch, RejectedRow, ReviewItem, UnitAlias


def read_aliases(conn: Connection | Engine) -> dict[tuple[str, str, str], int]:
    """Every remembered alias as ``{(vintage_id, district_key, commune_key): unit_id}``."""
    with connection(conn) as c:
        rows = c.execute(select(UnitAlias.vintage_id, UnitAlias.district_key, UnitAlias.commune_key,
                                UnitAlias.unit_id)).all()
    return {(v, d, k): u for v, d, k, u in rows}


_OPEN = text("""
    WITH open AS (
      SELECT r.*, count(*) OVER same AS rows, row_number() OVER (same ORDER BY r.id) AS n
      FROM review_item r WHERE r.status = 'open'
      WINDOW same AS (PARTITION BY r.vintage_id, r.district_key, r.commune_key))
    SELECT r.id, r.import_batch_id AS batch_id, r.kind, r.reason, r.vintage_id, r.commune_text,
           r.district_text, r.candidates, r.rows, r.created_at, q.source_row, q.sheet, q.detail,
           q.raw, b.source
    FROM open r JOIN rejected_row q ON q.id = r.rejected_row_id
    JOIN import_batch b ON b.id = r.import_batch_id
    WHERE r.n = 1 ORDER BY r.id LIMIT :limit""")


def list_items(conn: Connection | Engine, *, limit: int = 200) -> list[dict]:
    """The open review items, one per distinct text (vintage, district and commune keys), oldest first.

    Deciding an item decides every open item with the same text (``rows`` counts them), so the
    queue shows each text once, with its oldest item.

    Keys: ``id, batch_id, kind, reason, vintage_id, commune_text, district_text, candidates, rows,
    created_at, source_row, sheet, detail, raw, source``.
    """
    with connection(conn) as c:
        return [dict(r) for r in c.execute(_OPEN, {"limit": limit}).mappings()]


def get_item(session: Session, item_id: int) -> tuple[ReviewItem, RejectedRow, ImportBatch]:
    """The item, its quarantined row and its batch; raise :class:`ReviewError` if there is none."""
    item = session.get(ReviewItem, item_id)
    if item is None:
        raise UnknownReviewItemError(f"no review item {item_id}; list them with `diaban ingest review`")
    row = session.get(RejectedRow, item.rejected_row_id)
    return item, row, session.get(ImportBatch, item.import_batch_id)


def rejected_rows(session: Session, ids: list[int]) -> dict[int, RejectedRow]:
    """The quarantined rows with these ids, by id."""
    return {r.id: r for r in session.scalars(select(RejectedRow).where(RejectedRow.id.in_(ids)))}


def column_context(session: Session, batch_id: int) -> dict:
    """The column context (date order, decimal mark per column) the ingest kept on a batch's report."""
    report = session.get(ImportBatch, batch_id).report or {}
    return report.get("column_context", {})


def unit_in_vintage(session: Session, vintage_id: str, *, unit_id: int | None = None,
                    code: str | None = None) -> AdminUnit:
    """The commune of ``vintage_id`` with this id or GSO code; raise :class:`ReviewError` if none."""
    query = select(AdminUnit).where(AdminUnit.vintage_id == vintage_id, AdminUnit.level == "commune")
    query = query.where(AdminUnit.id == unit_id if unit_id is not None else AdminUnit.code == code)
    unit = session.scalar(query)
    if unit is None:
        raise ReviewError(f"no commune {unit_id if unit_id is not None else code!r} in vintage {vintage_id}; "
                          "choose one of the item's candidates")
    return unit


def remember_alias(session: Session, item: ReviewItem, unit_id: int, actor: str) -> None:
    """Store (or replace) the alias of the item's commune text: the ingest applies it from now on."""
    values = {"vintage_id": item.vintage_id, "district_key": item.district_key,
              "commune_key": item.commune_key, "unit_id": unit_id, "created_by": actor,
              "import_batch_id": item.import_batch_id}
    statement = insert(UnitAlias).values(**values)
    session.execute(statement.on_conflict_do_update(
        constraint="unit_alias_key", set_={"unit_id": unit_id, "created_by": actor,
                                           "created_at": datetime.now(UTC)}))


def same_text_items(session: Session, item: ReviewItem) -> list[ReviewItem]:
    """The open items with the same vintage, district key and commune key as ``item`` (itself first)."""
    query = select(ReviewItem).where(
        ReviewItem.status == "open", ReviewItem.vintage_id == item.vintage_id,
        ReviewItem.district_key == item.district_key, ReviewItem.commune_key == item.commune_key,
        ReviewItem.id != item.id).order_by(ReviewItem.id)
    return [item, *session.scalars(query)]


def close_item(item: ReviewItem, *, status: str, actor: str, unit_id: int | None = None,
               result: str | None = None) -> None:
    """Mark an item resolved or dismissed (the caller's transaction commits it)."""
    item.status, item.unit_id, item.result = status, unit_id, result
    item.resolved_by, item.resolved_at = actor, datetime.now(UTC)
