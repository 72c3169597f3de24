"""The quarantine of a batch as a file people open in Excel: the rows it could not load, and why.

UTF-8 with a byte-order mark (Excel then shows Vietnamese), one line per rejected row: its place in
the source file, the reason code, the detail (value and fix), the review state, then the row's own
values of the kind's canonical fields as the file gave them (no other column was ever kept: the
ingest keeps mapped fields only; case numbers only as keyed hashes, which are not written here). A
cell or header Excel would run as a formula gets a leading apostrophe (``geo.spreadsheets``).
"""

from __future__ import annotations

import csv
import io

from sqlalchemy import Connection, Engine, text

from geo.errors import UnknownBatchError
from geo.spreadsheets import safe_row
from geo.store.engine import connection

FIXED = ["source_row", "sheet", "reason", "explanation", "detail", "review"]
"""The first columns of the file; the row's own columns follow in the order they first appear."""

_ROWS = text("""
    SELECT q.source_row, q.sheet, q.reason, q.detail, q.raw,
           coalesce(r.status || coalesce(' ' || r.result, ''), '') AS review
    FROM rejected_row q LEFT JOIN review_item r ON r.rejected_row_id = q.id
    WHERE q.import_batch_id = :batch ORDER BY q.sheet NULLS FIRST, q.source_row, q.id""")


def quarantine_rows(conn: Connection | Engine, batch_id: int) -> list[dict]:
    """The rejected rows of a batch: ``source_row, sheet, reason, detail, raw, review``.

    Raises
    ------
    UnknownBatchError
        When there is no batch ``batch_id``.
    """
    with connection(conn) as c:
        if not c.execute(text("SELECT EXISTS (SELECT 1 FROM import_batch WHERE id = :b)"),
                         {"b": batch_id}).scalar_one():
            raise UnknownBatchError(
                f"no import batch {batch_id}; `diaban ingest` prints the batch of each load")
        return [dict(r) for r in c.execute(_ROWS, {"batch": batch_id}).mappings()]


def quarantine_csv(conn: Connection | Engine, batch_id: int, *, explain: dict[str, str] | None = None) -> str:
    """The rejected rows of a batch as CSV text starting with a BOM (write it as UTF-8).

    Parameters
    ----------
    explain : dict, optional
        Reason code to a human explanation (``etl.reasons``), written in the ``explanation`` column.
    """
    rows = quarantine_rows(conn, batch_id)
    own = list(dict.fromkeys(k for r in rows for k in r["raw"]))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(safe_row(FIXED + [k for k in own if k not in FIXED]))
    for r in rows:
        fixed = [r["source_row"], r["sheet"], r["reason"], (explain or {}).get(r["reason"], ""), r["detail"],
                 r["review"]]
        writer.writerow(safe_row(_text(v) for v in fixed + [r["raw"].get(k) for k in own if k not in FIXED]))
    return "\ufeff" + buffer.getvalue()


def _text(value):
    """A raw value as the cell shows it: numbers and None as they are, anything else as text."""
    return value if value is None or isinstance(value, int | float | str) else str(value)
