"""Load a province's boundary vintages into the store, cleaned, with a report."""

from __future__ import annotations

import dataclasses
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
from geo.store.province import read_provinces, write_province
from geo.store.units import (
    delete_vintage,
    has_vintage,
    list_vintages,
    overlapping_vintages,
    read_units,
    vintage_key,
    write_vintage,
)

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

    Vintages belong to the province: each is stored as ``<code>:<config id>``
    (``geo.store.units.vintage_key``), so several provinces share one database. A conflicting
    load is refused before anything is written (:func:`refuse_conflicts`, then the territory of
    every vintage to load against the other provinces'). Each vintage is read, cleaned into a
    coverage and written in one transaction with its own import batch. ``progress`` is called
    with each vintage's id once it is done.

    Returns
    -------
    list of dict
        One result per vintage: ``vintage``, ``status`` (``loaded`` or ``already loaded``),
        ``units``, the cleaning report and ``seconds``.
    """
    specs = [province.vintage(v) for v in vintages] if vintages else list(province.vintages)
    refuse_conflicts(engine, province, replacing={s.id for s in specs} if replace else set())
    loaded = {v.id for v in list_vintages(engine, province.code)}
    cache: dict = {}  # a derived vintage reuses its base's units, built once
    built = {spec.id: build_units(province, spec, built=cache) for spec in specs
             if replace or vintage_key(province.code, spec.id) not in loaded}
    for spec_id, (units, _) in built.items():
        _refuse_overlaps(engine, province, province.vintage(spec_id), units)
    _record_province(engine, province, actor)
    results = []
    for spec in specs:
        results.append(_load_vintage(engine, province, spec, built.get(spec.id), actor=actor))
        if progress:
            progress(spec.id)
    return results


def refuse_conflicts(engine: Engine, province: Province, *, replacing: set[str] = frozenset()) -> None:
    """Raise ProvinceConfigError when the database holds province ``province.code`` configured otherwise.

    Another name under the same code, or a loaded vintage the configuration does not have (or
    has with other dates), is a different configuration of the code: loading would mix them.
    So is a loaded vintage drawn from other sources than the configuration now names (e.g. a
    2010 vintage loaded before former Bình Phước became one of its parts), unless it is among
    the vintages ``replacing``.
    """
    where = province.folder / "province.toml"
    recorded = {p["code"]: p for p in read_provinces(engine)}.get(province.code)
    if recorded and recorded["label"] != province.name:
        raise ProvinceConfigError(
            f"{where}: province code {province.code} is loaded as {recorded['label']!r} (from "
            f"{recorded['source']}), this configuration names it {province.name!r}; fix `code` or "
            "`name` in province.toml, or load it into another database")
    configured = {s.id: s for s in province.vintages}
    for row in list_vintages(engine, province.code):
        spec = configured.get(row.config_id)
        if spec is None or (spec.valid_from, spec.valid_to) != (row.valid_from, row.valid_to):
            has = ("does not have it" if spec is None else
                   f"has it valid {spec.valid_from} → {spec.valid_to or 'now'}")
            raise ProvinceConfigError(
                f"{where}: the database holds vintage {row.config_id} of province {province.code} "
                f"valid {row.valid_from} → {row.valid_to or 'now'}; this configuration {has}. "
                "Restore that vintage in province.toml, or load the province into another database")
        if row.config_id not in replacing and row.source != spec.source:
            raise ProvinceConfigError(
                f"{where}: vintage {row.config_id} of province {province.code} was loaded from "
                f"{row.source}; this configuration draws it from {spec.source}. Reload it with "
                f"`diaban boundaries load --vintage {row.config_id} --replace` (refused while "
                "records refer to its units: then load into a new database and ingest the files again)")


def _refuse_overlaps(engine: Engine, province: Province, spec: VintageSpec, units) -> None:
    """Raise ProvinceConfigError when another province's territory of the same dates overlaps ``spec``'s."""
    outline = units.loc[units["level"] == "province"].geometry.union_all()
    found = overlapping_vintages(engine, province.code, outline, spec.valid_from, spec.valid_to)
    if found:
        listed = "; ".join(f"vintage {o['vintage']} of province {o['province_code']} "
                           f"({o['overlap_km2']:.0f} km² in common)" for o in found)
        raise ProvinceConfigError(
            f"{province.folder / 'province.toml'}: vintage {spec.id} of {province.name} "
            f"({province.code}, {spec.valid_from} → {spec.valid_to or 'now'}) overlaps {listed}. "
            "A territory belongs to one province at a time: check `code` and the layers, or load "
            "into another database")


def _record_province(engine: Engine, province: Province, actor: str) -> None:
    """Store the province's configuration (its code is the key: re-loading replaces it)."""
    with session_scope(engine) as session:
        write_province(session, province_record(province))
        audit(session, actor, "province.record", province.code, source=str(province.folder))


def _load_vintage(engine: Engine, province: Province, spec: VintageSpec, built: tuple | None, *,
                  actor: str) -> dict:
    """Load one vintage (its units ``built`` already, None when it is loaded) in its own transaction."""
    started = time.perf_counter()
    key = vintage_key(province.code, spec.id)
    if built is None:
        return {"vintage": spec.id, "status": "already loaded"}
    with session_scope(engine) as session:
        exists = has_vintage(session, key)
        if exists:
            delete_vintage(session, key)
        units, report = built
        batch = start_batch(session, kind="boundaries", created_by=actor,
                            source=spec.source, source_sha256=file_sha256(spec.source_file))
        vintage = {"id": key, "province_code": province.code, "label": spec.label,
                   "valid_from": spec.valid_from, "valid_to": spec.valid_to,
                   "legal_basis": spec.legal_basis}
        written = write_vintage(session, vintage, units, batch)
        finish_batch(batch, rows_loaded=written, report=report)
        audit(session, actor, "boundaries.load", key, units=written,
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
    for configured in crosswalk_specs(province):
        result = {"from_vintage": configured.from_vintage, "to_vintage": configured.to_vintage}
        spec = dataclasses.replace(
            configured, from_vintage=vintage_key(province.code, configured.from_vintage),
            to_vintage=vintage_key(province.code, configured.to_vintage))
        with session_scope(engine) as session:
            loaded = {v.id for v in list_vintages(session.connection(), province.code)}
            if not {spec.from_vintage, spec.to_vintage} <= loaded:
                results.append(result | {"status": "waiting for vintages"})
                continue
            if has_crosswalk(session.connection(), spec.from_vintage, spec.to_vintage):
                results.append(result | {"status": "already loaded"})
                continue
            old = read_units(session.connection(), spec.from_vintage)
            table = build_crosswalk(spec, old, read_units(session.connection(), spec.to_vintage))
            batch = start_batch(session, kind="crosswalk", created_by=actor,
                                source=" + ".join(p.name for p in (spec.successors, *spec.predecessor_lists)),
                                source_sha256=file_sha256(spec.successors))
            counts = table.groupby(["method", "kind"]).size()
            report = {
                "rows": write_crosswalk(session, table, batch),
                "by_method_and_kind": {f"{m}/{k}": int(n) for (m, k), n in counts.items()},
                "old_units_without_successor": sorted(set(old["commune_code"]) - set(table["from_code"])),
                "unresolved_names": table.attrs["unresolved"],
            }
            finish_batch(batch, rows_loaded=report["rows"], report=report)
            audit(session, actor, "crosswalk.load", f"{spec.from_vintage}->{spec.to_vintage}",
                  rows=report["rows"], batch=batch.id)
        results.append(result | {"status": "loaded", **report})
    return results
