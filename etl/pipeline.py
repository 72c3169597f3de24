"""The ingest pipeline: read a file, pseudonymise, parse, place, link, deduplicate, load.

``ingest`` is the one recipe the CLI (``diaban ingest``) and the web upload share. Every row read
ends up in exactly one of three places, so ``read == loaded + rejected + duplicates``:

- loaded into its record table (``establishment``, ``site``, ``site_event``, ``incident``,
  ``inspection``, ``tip``, ``activity``, ``commune_report``, ``criterion_assessment``; a wide commune
  report is first made long, one row per commune and indicator cell, see ``etl.records.prepare_rows``);
- rejected into ``rejected_row`` with a reason code of ``etl.reasons``, the bad value and the fix (a
  commune name the ingest will not guess also opens a review item with its candidate units);
- counted as a duplicate: its natural key (``record_hash``: the normalised values and the keyed hash
  of its case or record number) repeats an earlier row of the file or a record already stored.

Case, record, registration and site numbers are replaced by keyed hashes before anything else
(``etl.pseudonyms``). A row is placed by its coordinates on the boundary vintage valid on its date,
else by GSO code, else by its commune name within its district (exact after normalisation), else by
an alias a reviewer taught (``etl.places``). Inspections and site events are linked to their
establishment or site by code, else by name in the same commune (``etl.links``); a tip-off to the
establishment or site it names, when it names one (never rejected for it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from etl.errors import ParserOptionError
from etl.fields import new_rows, text
from etl.headers import KINDS, load_synonyms
from etl.links import Target, link_by_code, link_by_place, link_mentions
from etl.places import Places, add_vintages, coordinates, place
from etl.pseudonyms import REF_FIELDS, pseudonymise
from etl.readers import read_table
from etl.records import COLUMNS, DATE_FIELD, DERIVED_FIELDS, HASHED, VALUES, prepare_rows
from etl.text import is_blank
from geo.store.batches import file_sha256
from geo.store.ingest import record_hashes, write_ingest

IngestKind = Literal["establishments", "sites", "site-events", "incidents", "inspections", "tips",
                     "activities", "commune-reports", "attestations"]
HMAC_COLUMNS = tuple(REF_FIELDS.values())
_NOT_IN_RAW = {"source_row", "source_sheet", "geometry", *REF_FIELDS, *HMAC_COLUMNS}
"""Columns never copied into a rejected row's ``raw``: bookkeeping, and case or record numbers (only
ever kept as keyed hashes, in ``ref_hmac``)."""


def ingest(engine, kind: IngestKind, path: str | Path, *, mapping: dict[str, str] | str | Path | None = None,
           dry_run: bool = False, actor: str = "cli", progress: Callable[[str, int], None] | None = None,
           hmac_key: bytes | Callable[[], bytes] | None = None, source_name: str | None = None,
           period: str | None = None, synthetic: bool = False, province: str | None = None) -> dict:
    """Load one file of records: what is sound is loaded, every other row is quarantined with a reason.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        The database, with boundary vintages loaded.
    kind : {"establishments", "sites", "site-events", "incidents", "inspections", "tips", "activities", \
"commune-reports", "attestations"}
        The record kind of the file.
    path : str or pathlib.Path
        A CSV, XLSX, GeoJSON, GeoPackage or zipped Shapefile (see :func:`etl.readers.read_table`).
    mapping : dict or path, optional
        Header overrides (``--mapping``).
    dry_run : bool, default False
        Do everything, then roll the transaction back.
    actor : str, default "cli"
        Who loads the file (import batch and audit log).
    progress : callable, optional
        Called as ``progress(stage, n_rows)`` after each stage: read, parsed (values, places, natural
        keys and rejected rows computed), records and rejected (written, not yet committed).
    hmac_key : bytes or callable, optional
        The pseudonymisation key (at least 16 bytes), or a function returning it (called only when
        needed); needed when the file has case, record, registration or site numbers. The CLI and
        the web app read it (``webapp.keys``).
    source_name : str, optional
        The file's name as its sender knows it, kept as the import batch's source and in the audit
        log (default: ``path``); the web upload gives the uploaded file's name, not its temporary path.
    period : str, optional
        The reporting period of the whole file (``--period``: ``2018``, ``Quý II/2018``, ``6 tháng
        2018``, ...) for commune reports and attestations; it fills the rows whose period cell is blank.
    synthetic : bool, default False
        Flag the import batch as synthetic: every page then carries the "DỮ LIỆU MÔ PHỎNG" banner and
        the API says ``"synthetic": true``. Only ``diaban demo`` (``etl.demo``) sets it; never for real data.
    province : str, optional
        The code of the province the file's records belong to (``--province``): they are placed on its
        units of their date and its VN-2000 zones are tried. Default: the only loaded province.

    Returns
    -------
    dict
        ``kind, batch_id, read, loaded, rejected, duplicates, dropped_columns`` (every column not
        kept: only mapped fields of the kind are), ``dropped_reasons`` (column to reason code of
        ``etl.headers.DROP_REASONS``), ``reasons`` (rejections per reason code), ``warnings``
        (codes per count, e.g. ``UNKNOWN_LABEL``) and ``review`` (rows waiting in the review queue);
        ``batch_id`` is None for a dry run.

    Raises
    ------
    ParserOptionError
        For an unknown kind, or numbers to pseudonymise without a key.
    etl.errors.SourceFileError
        For a file that cannot be read as a table; nothing is written.

    Examples
    --------
    >>> ingest(None, "venues", "x.csv")
    Traceback (most recent call last):
    ...
    etl.errors.ParserOptionError: kind 'venues' cannot be ingested; use one of establishments, sites, \
site-events, incidents, inspections, tips, activities, commune-reports, attestations
    """
    if kind not in KINDS:
        raise ParserOptionError(f"kind {kind!r} cannot be ingested; use one of {', '.join(KINDS)}")
    result = read_table(path, kind=kind, mapping=mapping)
    frame = prepare_rows(kind, pseudonymise(result.frame.reset_index(drop=True), hmac_key), period=period)
    if progress:
        progress("read", len(frame))
    out = parse_rows(engine, kind, frame, province=province)
    records, rejected, duplicates = split_rows(frame, out, kind, result.sheet)
    if progress:
        progress("parsed", len(frame))
    summary = {
        "kind": kind, "batch_id": None, "read": len(frame), "loaded": len(records),
        "rejected": len(rejected), "duplicates": duplicates,
        "dropped_columns": [d.column for d in result.dropped_columns],
        "dropped_reasons": {d.column: d.reason for d in result.dropped_columns},
        "reasons": dict(sorted(Counter(r["reason"] for r in rejected).items())),
        "warnings": dict(sorted(Counter(out.loc[out["reason"].isna(), "warning"].dropna()).items())),
        "review": sum(1 for r in rejected if r.get("review")),
        # what each column decided (day/month order, decimal mark), kept on the batch so that a
        # reviewed row re-run alone is read as its whole column was
        "column_context": out.attrs.get("column_context", {}),
    }
    summary["batch_id"], report = write_ingest(
        engine, kind, records, rejected, source=str(path) if source_name is None else source_name,
        source_sha256=file_sha256(path), actor=actor, report=summary, dry_run=dry_run, progress=progress,
        synthetic=synthetic)
    return {**summary, "loaded": report["loaded"], "duplicates": report["duplicates"]}


def parse_rows(engine, kind: str, frame: pd.DataFrame, *, forced: dict | None = None,
               province: str | None = None) -> pd.DataFrame:
    """Per row: the record's values, its unit and links, and the first reason (with detail) it cannot load.

    Parameters
    ----------
    frame : DataFrame
        Rows as read and pseudonymised (canonical field names, ``*_hmac`` columns).
    forced : dict, optional
        ``{row index: unit id}``: the unit a reviewer chose, used instead of the row's commune name.
    province : str, optional
        The province code (default: the only loaded province), see :class:`etl.places.Places`.
    """
    out = new_rows(frame.index)
    VALUES[kind](frame, out)
    for column in HMAC_COLUMNS:
        out[column] = frame.get(column)
    places = Places(engine, province)
    add_vintages(out, places, out[DATE_FIELD[kind]] if DATE_FIELD[kind] else None)
    coordinates(frame, out, places)
    target, name = {"inspections": ("establishment", "establishment_name"),
                    "site-events": ("site", "site_name")}.get(kind, (None, None))
    needs_place = pd.Series(True, index=out.index)
    if target:
        target = Target(engine, target)
        needs_place = link_by_code(out, target, "establishment_ref_hmac" if kind == "inspections"
                                   else "site_ref_hmac")
    place(frame, out, places, rows=needs_place, forced=forced)
    if target:
        link_by_place(frame, out, places, target, name, needs_place)
    elif kind == "sites":
        named = text(frame, "establishment_name").notna()
        link_by_place(frame, out, places, Target(engine, "establishment"), "establishment_name", named,
                      soft=True)
    elif kind == "tips":
        link_mentions(frame, out, places, engine)
    return out


def split_rows(frame: pd.DataFrame, out: pd.DataFrame, kind: str,
               sheet: str | None) -> tuple[pd.DataFrame, list[dict], int]:
    """The records to load (with ``record_hash``), the rejected rows (JSON-safe), the in-file duplicates."""
    records = record_frame(out[out["reason"].isna()], kind)
    duplicated = records["record_hash"].duplicated().to_numpy()
    records = records[~duplicated].reset_index(drop=True)
    bad = out[out["reason"].notna()]
    rejected = _rejected_rows(frame.loc[bad.index], bad, sheet, kind)
    return records, rejected, int(duplicated.sum())


def record_frame(good: pd.DataFrame, kind: str) -> pd.DataFrame:
    """The table columns of sound parsed rows, with their natural key ``record_hash`` (index kept)."""
    records = good[COLUMNS[kind] + (["first_identified"] if kind == "sites" else [])].copy()
    records["record_hash"] = record_hashes(kind, good[HASHED[kind]])
    for column in ("unit_id", "establishment_id", "site_id"):
        if column in records:
            records[column] = records[column].astype(object)
    return records


def _rejected_rows(rows: pd.DataFrame, bad: pd.DataFrame, sheet: str | None, kind: str) -> list[dict]:
    """The rejected rows as ``write_rejected`` takes them: where, why, the allowed values, the keyed hashes.

    ``raw`` keeps the row's values of the kind's canonical fields only, as the file gave them and
    JSON-safe: the reader kept no other column, and a column that is no field of the kind is left out
    here too (an allow-list, whatever the frame holds), except the canonical columns the kind derives
    from its fields (:data:`etl.records.DERIVED_FIELDS`). Case and record numbers are only ever kept
    as keyed hashes, in ``ref_hmac``.
    """
    allowed = load_synonyms().field_names(kind) | DERIVED_FIELDS.get(kind, frozenset())
    shown = [c for c in rows.columns if c in allowed and c not in _NOT_IN_RAW]
    hashed = [c for c in HMAC_COLUMNS if c in rows]
    names = [str(c) for c in shown]
    sheets = rows["source_sheet"].tolist() if "source_sheet" in rows else [sheet] * len(rows)
    reviews = bad["review"].tolist() if "review" in bad else [None] * len(rows)
    return [
        {"source_row": int(number), "sheet": where, "reason": reason, "detail": explained,
         "raw": {k: _json_value(v) for k, v in zip(names, values, strict=True)},
         "ref_hmac": {c: h for c, h in zip(hashed, hashes, strict=True) if not is_blank(h)} or None,
         "review": review}
        for number, where, reason, explained, values, hashes, review in zip(
            rows["source_row"].tolist(), sheets, bad["reason"].tolist(), bad["detail"].tolist(),
            rows[shown].itertuples(index=False, name=None), rows[hashed].itertuples(index=False, name=None),
            reviews, strict=True)
    ]


def _json_value(value: Any) -> Any:
    if value.__class__ is str:  # the common case first
        return value if value.strip() else None
    if is_blank(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value if isinstance(value, int | float | bool | str) else str(value)
