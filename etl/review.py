"""Deciding a review item: the reviewer names the commune, the ingest remembers it and loads the row.

The quarantined row is run through the same pipeline again from its stored raw values (its case or
record numbers come back as the keyed hashes kept on the rejected row), with the chosen unit in
place of its commune name, and loaded into its original batch. The choice is remembered as an alias
(vintage, district, commune text → unit), so the next import places such rows by itself, and every
other open item with the same text is decided with it.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import pandas as pd

from etl.pipeline import parse_rows, record_frame
from geo.store import session_scope
from geo.store.audit import audit
from geo.store.ingest import add_to_batch, insert_records, stored_hashes
from geo.store.review import (
    ReviewError,
    close_item,
    column_context,
    get_item,
    rejected_rows,
    remember_alias,
    same_text_items,
    unit_in_vintage,
)
from geo.store.units import vintage_province

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from geo.store.models import ReviewItem


def resolve_review(engine, item_id: int, *, actor: str, unit_id: int | None = None,
                   commune_code: str | None = None, dismiss: bool = False, remember: bool = True) -> dict:
    """Resolve (or dismiss) one review item, all in one transaction.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    item_id : int
        The open review item.
    actor : str
        Who decides (audit log, alias).
    unit_id, commune_code : int or str, optional
        The commune the row names, by id or by GSO code, in the item's vintage.
    dismiss : bool, default False
        Close the item and leave the row in quarantine.
    remember : bool, default True
        Remember the choice as an alias and decide the other open items with the same text too.

    Returns
    -------
    dict
        ``status`` (resolved or dismissed), ``unit`` (code), ``alias`` (bool), ``results`` (items per
        result) and ``items``: per item decided (the one asked about first), ``item_id`` and ``result``
        (``loaded``, ``duplicate``, or ``rejected`` with ``reason``).

    Raises
    ------
    geo.store.review.ReviewError
        For an unknown or closed item, or a unit not in the item's vintage.
    """
    with session_scope(engine) as session:
        item, _, _ = get_item(session, item_id)
        if item.status != "open":
            raise ReviewError(f"review item {item_id} is {item.status} already (by {item.resolved_by})")
        if dismiss:
            close_item(item, status="dismissed", actor=actor)
            audit(session, actor, "review.dismiss", f"review_item:{item.id}", batch=item.import_batch_id)
            return {"status": "dismissed", "unit": None, "alias": False, "results": {"dismissed": 1},
                    "items": [{"item_id": item.id, "result": "dismissed"}]}
        unit = unit_in_vintage(session, item.vintage_id, unit_id=unit_id, code=commune_code)
        if remember:
            remember_alias(session, item, unit.id, actor)
        items = same_text_items(session, item) if remember else [item]
        decided = [d for kind in dict.fromkeys(i.kind for i in items)
                   for d in _load(engine, session, [i for i in items if i.kind == kind], unit.id, actor)]
        decided.sort(key=lambda d: d["item_id"] != item.id)  # the item asked about first
        counts = dict(Counter(d["result"] for d in decided))
        audit(session, actor, "review.resolve", f"review_item:{item.id}", unit=unit.code,
              vintage=item.vintage_id, alias=remember, results=counts, items=[d["item_id"] for d in decided])
        return {"status": "resolved", "unit": unit.code, "alias": remember, "results": counts,
                "items": decided}


def _parse_by_batch(engine, session: Session, kind: str, frame: pd.DataFrame, items: list[ReviewItem],
                    unit_id: int) -> pd.DataFrame:
    """``parse_rows`` per import batch, each with the column context its file's ingest kept.

    A row alone cannot show its column's day/month order or decimal mark (``06/07/2019`` from a
    month-first column would read as 6 July), so the context stored on the batch is applied.
    """
    batches = pd.Series([item.import_batch_id for item in items], index=frame.index)
    parts = []
    for batch_id, rows in batches.groupby(batches):
        part = frame.loc[rows.index].copy()
        part.attrs["column_context"] = column_context(session, batch_id)
        parts.append(parse_rows(engine, kind, part, forced=dict.fromkeys(part.index, unit_id),
                                province=vintage_province(items[0].vintage_id)))
    return pd.concat(parts).loc[frame.index]


def _load(engine, session: Session, items: list[ReviewItem], unit_id: int, actor: str) -> list[dict]:
    """Run the items' rows (one kind) through the pipeline with ``unit_id``; load each into its batch.

    A row another field still stops (e.g. its establishment) stays quarantined with the new reason; a
    row already stored, or repeated among the items, counts as a duplicate.
    """
    kind = items[0].kind
    found = rejected_rows(session, [i.rejected_row_id for i in items])
    rows = [found[i.rejected_row_id] for i in items]
    frame = pd.DataFrame([{**r.raw, **(r.ref_hmac or {}), "source_row": r.source_row} for r in rows])
    out = _parse_by_batch(engine, session, kind, frame, items, unit_id)
    records = record_frame(out[out["reason"].isna()], kind)
    new = ~records["record_hash"].isin(stored_hashes(session, kind, records["record_hash"])) \
        & ~records["record_hash"].duplicated()
    batches = pd.Series([items[p].import_batch_id for p in records.index], index=records.index, dtype=object)
    for batch_id, part in records[new].groupby(batches[new]):
        insert_records(session, kind, part.reset_index(drop=True), batch_id=batch_id)
    for batch_id, part in records.groupby(batches):
        add_to_batch(session, batch_id, loaded=int(new[part.index].sum()), resolved=len(part))
    decided = []
    for position, (item, row) in enumerate(zip(items, rows, strict=True)):
        if position not in records.index:
            row.reason, row.detail = out.at[position, "reason"], out.at[position, "detail"]
            result = {"item_id": item.id, "result": "rejected", "reason": row.reason}
        else:
            result = {"item_id": item.id, "result": "loaded" if new[position] else "duplicate"}
        close_item(item, status="resolved", actor=actor, unit_id=unit_id, result=result["result"])
        decided.append(result)
    return decided
