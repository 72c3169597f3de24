"""Write a generated demo set to the store in one transaction, flagged synthetic."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
from sqlalchemy import Engine, delete, select

from etl.demo.generate import DemoData, Vintage, generate_demo
from geo.store import session_scope
from geo.store.batches import audit, finish_batch, start_batch
from geo.store.models import (
    CommuneReport,
    CriterionAssessment,
    Establishment,
    ImportBatch,
    Incident,
    Inspection,
    Site,
    SiteEvent,
)
from geo.store.records import insert_frame, unit_ids
from geo.store.units import list_vintages, read_units

DEMO_KIND = "demo"
#: Raised whenever the generator changes what it produces: a demo set made by an older
#: generator is replaced on the next `diaban demo` (it is synthetic, nothing is lost).
GENERATOR_VERSION = 2


def load_demo(engine: Engine, *, seed: int = 2016, replace: bool = False, actor: str = "cli",
              progress: Callable[[str], None] | None = None) -> dict:
    """Generate the demo set for ``seed`` and load it, unless a demo set is already loaded.

    With ``replace=True``, or when the loaded set came from another ``GENERATOR_VERSION``,
    every earlier demo batch is deleted first (its rows cascade).

    Returns
    -------
    dict
        ``status`` (``loaded`` or ``already loaded``), ``batch``, ``seed`` and row counts.
    """
    step = progress or (lambda _: None)
    with session_scope(engine) as session:
        existing = session.scalars(select(ImportBatch).where(ImportBatch.kind == DEMO_KIND)).all()
        current = all(b.report.get("generator_version") == GENERATOR_VERSION for b in existing)
        if existing and current and not replace:
            return {"status": "already loaded", "batch": existing[0].id,
                    "seed": existing[0].report.get("seed"), **existing[0].report.get("rows", {})}
        for batch in existing:
            session.execute(delete(ImportBatch).where(ImportBatch.id == batch.id))
        step("reading boundaries")
        vintages = [
            Vintage(v["id"], v["valid_from"], v["valid_to"],
                    read_units(session.connection(), v["id"])[["unit_code", "unit_type", "geometry"]])
            for v in list_vintages(session.connection())
        ]
        step("generating")
        data = generate_demo(vintages, seed=seed)
        batch = start_batch(session, kind=DEMO_KIND, source=f"diaban demo --seed {seed}",
                            created_by=actor, synthetic=True)
        rows = _write(session, data, batch.id, step)
        finish_batch(batch, rows_loaded=sum(rows.values()), report={"seed": seed, "rows": rows,
                                                                   "generator_version": GENERATOR_VERSION})
        audit(session, actor, "demo.load", f"batch {batch.id}", seed=seed, rows=rows)
        return {"status": "loaded", "batch": batch.id, "seed": seed, **rows}


def _write(session, data: DemoData, batch_id: int, step) -> dict[str, int]:
    """Insert every frame, translating the generator's keys into database ids."""
    step("establishments")
    est = data.establishments.rename_geometry("geom")
    est_ids = insert_frame(session, Establishment, pd.DataFrame(est.drop(
        columns=["records_from", "risk"])), batch_id=batch_id)
    step("sites")
    sites = pd.DataFrame(data.sites.rename_geometry("geom"))
    sites["establishment_id"] = sites.pop("establishment_key").map(
        lambda k: None if k is None else est_ids[k])
    site_ids = insert_frame(session, Site, sites, batch_id=batch_id)
    events = data.site_events.assign(site_id=lambda f: f.pop("site_key").map(site_ids.__getitem__))
    insert_frame(session, SiteEvent, events, batch_id=batch_id)
    step("incidents")
    inc = pd.DataFrame(data.incidents.rename_geometry("geom"))
    inc["establishment_id"] = inc.pop("establishment_key").map(
        lambda k: None if k is None else est_ids[k])
    inc["site_id"] = inc.pop("site_key").map(lambda k: None if k is None else site_ids[k])
    inc["unit_id"] = _unit_ids(session, inc.pop("ref_vintage"), inc.pop("ref_code"))
    insert_frame(session, Incident, inc, batch_id=batch_id)
    step("inspections")
    insp = data.inspections.assign(
        establishment_id=lambda f: f.pop("establishment_key").map(est_ids.__getitem__))
    insert_frame(session, Inspection, insp, batch_id=batch_id)
    att = data.attestations.copy()
    att["unit_id"] = _unit_ids(session, att.pop("vintage"), att.pop("unit_code"))
    insert_frame(session, CriterionAssessment, att, batch_id=batch_id)
    rep = data.reports.copy()
    rep["unit_id"] = _unit_ids(session, rep.pop("vintage"), rep.pop("unit_code"))
    insert_frame(session, CommuneReport, rep, batch_id=batch_id)
    return {"establishments": len(est_ids), "sites": len(site_ids), "site_events": len(events),
            "incidents": len(inc), "inspections": len(insp), "attestations": len(att),
            "commune_reports": len(rep)}


def _unit_ids(session, vintages: pd.Series, codes: pd.Series) -> list[int | None]:
    """Resolve (vintage, code) pairs to admin_unit ids; None where there is no reference."""
    lookup = {}
    for vintage in vintages.dropna().unique():
        lookup |= {(vintage, c): i for c, i in
                   unit_ids(session, vintage, codes[vintages == vintage]).items()}
    return [lookup.get((v, c)) if v is not None else None
            for v, c in zip(vintages, codes, strict=True)]
