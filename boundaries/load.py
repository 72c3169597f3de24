"""Load a province's boundary vintages into the store, cleaned, with a report."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from boundaries.crosswalk import build_crosswalk, crosswalk_specs
from boundaries.errors import ProvinceConfigError
from boundaries.province import Province, VintageSpec, province_record
from boundaries.units import build_units
from geo.store import session_scope
from geo.store.audit import audit
from geo.store.batches import file_sha256, finish_batch, start_batch
from geo.store.crosswalk import has_crosswalk, write_crosswalk
from geo.store.province import loaded_province_codes, write_province
from geo.store.units import delete_vintage, has_vintage, list_vintages, read_units, write_vintage

if TYPE_CHECKING:
    from sqlalchemy import Engine


def load_boundaries(
    engine: Engine,
    province: Province,
    *,
    vintages: list[str] | None = None,
    replace: bool = False,
    actor: str = "cli",
    progress: Callable[[str], None] | None = None,
) -> list[dict]:
    """Load every configured vintage (or those named) that is not in the store yet.

    Each vintage is read, cleaned into a coverage and written in one transaction with its
    own import batch, so a failure leaves nothing half-loaded. ``progress`` is called with
    each vintage's id once it is done.

    Returns
    -------
    list of dict
        One result per vintage: ``vintage``, ``status`` (``loaded`` or ``already loaded``),
        ``units``, the cleaning report and ``seconds``.
    """
    specs = [province.vintage(v) for v in vintages] if vintages else list(province.vintages)
    _record_province(engine, province, actor)
    results = []
    for spec in specs:
        results.append(_load_vintage(engine, province, spec, replace=replace, actor=actor))
        if progress:
            progress(spec.id)
    return results


def _record_province(engine: Engine, province: Province, actor: str) -> None:
    """Store the province's configuration, refusing a database that holds another province."""
    with session_scope(engine) as session:
        others = [c for c in loaded_province_codes(session.connection()) if c != province.code]
        if others:
            raise ProvinceConfigError(
                f"the database holds the boundaries of province {', '.join(others)}; one database "
                f"serves one province: load {province.name} ({province.code}) into a new database")
        write_province(session, province_record(province))
        audit(session, actor, "province.record", province.code, source=str(province.folder))


def _load_vintage(engine: Engine, province: Province, spec: VintageSpec, *, replace: bool,
                  actor: str) -> dict:
    """Load one vintage in its own transaction and return its result."""
    started = time.perf_counter()
    with session_scope(engine) as session:
        exists = has_vintage(session, spec.id)
        if exists and not replace:
            return {"vintage": spec.id, "status": "already loaded"}
        if exists:
            delete_vintage(session, spec.id)
        units, report = build_units(province, spec)
        batch = start_batch(session, kind="boundaries", created_by=actor,
                            source=f"{spec.file.name}:{spec.communes.layer}",
                            source_sha256=file_sha256(spec.file))
        vintage = {"id": spec.id, "province_code": province.code, "label": spec.label,
                   "valid_from": spec.valid_from, "valid_to": spec.valid_to,
                   "legal_basis": spec.legal_basis}
        written = write_vintage(session, vintage, units, batch)
        finish_batch(batch, rows_loaded=written, report=report)
        audit(session, actor, "boundaries.load", spec.id, units=written,
              batch=batch.id, replaced=bool(exists))
    return {"vintage": spec.id, "status": "loaded", "units": written, "batch": batch.id,
            **report, "seconds": round(time.perf_counter() - started, 1)}


def load_crosswalks(engine: Engine, province: Province, *, actor: str = "cli") -> list[dict]:
    """Build and store each configured crosswalk whose two vintages are loaded (once).

    Returns
    -------
    list of dict
        Per crosswalk: ``from_vintage``, ``to_vintage``, ``status`` (``loaded``, ``already
        loaded`` or ``waiting for vintages``) and, when loaded, row counts by kind and method,
        the old units left without a successor and the text names matching no unit.
    """
    results = []
    for spec in crosswalk_specs(province):
        result = {"from_vintage": spec.from_vintage, "to_vintage": spec.to_vintage}
        with session_scope(engine) as session:
            loaded = {v["id"] for v in list_vintages(session.connection())}
            if not {spec.from_vintage, spec.to_vintage} <= loaded:
                results.append(result | {"status": "waiting for vintages"})
                continue
            if has_crosswalk(session.connection(), spec.from_vintage, spec.to_vintage):
                results.append(result | {"status": "already loaded"})
                continue
            old = read_units(session.connection(), spec.from_vintage)
            table = build_crosswalk(spec, old, read_units(session.connection(), spec.to_vintage))
            batch = start_batch(session, kind="crosswalk", created_by=actor,
                                source=f"{spec.successors.name} + {spec.predecessor_list.name}",
                                source_sha256=file_sha256(spec.successors))
            counts = table.groupby(["method", "kind"]).size()
            report = {
                "rows": write_crosswalk(session, table, batch),
                "by_method_and_kind": {f"{m}/{k}": int(n) for (m, k), n in counts.items()},
                "old_units_without_successor": sorted(set(old["unit_code"]) - set(table["from_code"])),
                "unresolved_names": table.attrs["unresolved"],
            }
            finish_batch(batch, rows_loaded=report["rows"], report=report)
            audit(session, actor, "crosswalk.load", f"{spec.from_vintage}->{spec.to_vintage}",
                  rows=report["rows"], batch=batch.id)
        results.append(result | {"status": "loaded", **report})
    return results
