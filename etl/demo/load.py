"""Load the demo through the front door: write its files, then ingest each exactly as a user would.

Nothing here writes a table: the files go through :func:`etl.ingest` (reading, header mapping,
parsing, placing, linking, deduplication, quarantine), one import batch per file, each flagged
``synthetic`` (the ingest option only the demo uses). Removing an earlier demo set is the caller's
business (``diaban demo --replace`` deletes its batches through ``geo.store.batches``).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path

import pandas as pd

from etl.demo.dataset import DemoData, generate_demo
from etl.demo.files import DemoFile, write_demo_files
from etl.demo.generate import Vintage
from etl.pipeline import ingest
from geo.settings import DEFAULT_SEED
from geo.store.units import list_vintages, read_units

GENERATOR_VERSION = 4
"""Raised whenever the generator changes what it produces: a demo set made by another version is
replaced by the next ``diaban demo`` (it is synthetic, nothing is lost)."""

_SOURCE = re.compile(r"^diaban demo v(\d+) --seed (-?\d+): ")


def demo_source(seed: int, name: str) -> str:
    """The source the demo's import batch of file ``name`` records.

    Examples
    --------
    >>> demo_source(7, "01_co_so_kinh_doanh.csv")
    'diaban demo v4 --seed 7: 01_co_so_kinh_doanh.csv'
    >>> parse_demo_source(demo_source(7, "x.csv")), parse_demo_source("upload.csv")
    ((4, 7), None)
    """
    return f"diaban demo v{GENERATOR_VERSION} --seed {seed}: {name}"


def parse_demo_source(source: str) -> tuple[int, int] | None:
    """The (generator version, seed) of a demo batch's source; None for any other source."""
    found = _SOURCE.match(source or "")
    return None if found is None else (int(found[1]), int(found[2]))


def load_demo(
    engine,
    *,
    seed: int = DEFAULT_SEED,
    out: str | Path | None = None,
    actor: str = "cli",
    hmac_key: bytes | Callable[[], bytes] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Generate the demo set for ``seed``, write its files and ingest them, flagged synthetic.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        A database with the boundary vintages loaded.
    seed : int, default ``geo.settings.DEFAULT_SEED`` (2016)
        The same seed gives the same files and records.
    out : path, optional
        The folder the files are written to and kept in (for a trainer to look at); by default a
        temporary folder, removed afterwards.
    actor : str, default "cli"
        Who loads (import batches and audit log).
    hmac_key : bytes or callable, optional
        The pseudonymisation key for the case, record, registration and site numbers (as for
        :func:`etl.ingest`).
    progress : callable, optional
        Called with each file's name before it is loaded.

    Returns
    -------
    dict
        ``status`` ("loaded"), ``seed``, ``folder`` (None for a temporary one), ``batches``, ``files``
        (per file: ``file, kind, batch_id, read, loaded, rejected, duplicates``), the records loaded per
        kind (``establishments``, ``site_events``, …), ``rejected`` and ``planted`` (the dense areas'
        centres, lon/lat, and the reactivation wave's sites with their clearing date).
    """
    vintages, names = _boundaries(engine)
    data = generate_demo(vintages, seed=seed)
    keep = out is not None
    with nullcontext(str(out)) if keep else tempfile.TemporaryDirectory(prefix="diaban-demo-") as folder:
        files = write_demo_files(data, folder, names=names)
        results = [_ingest(engine, f, seed, actor, hmac_key, progress) for f in files]
    return _summary(data, results, seed=seed, folder=str(Path(out).resolve()) if keep else None)


def _boundaries(engine) -> tuple[list[Vintage], dict[str, pd.DataFrame]]:
    """The loaded vintages as the generator takes them, and their commune and district names."""
    vintages, names = [], {}
    for v in list_vintages(engine):
        units = read_units(engine, v.id)
        vintages.append(
            Vintage(v.id, v.valid_from, v.valid_to, units[["commune_code", "unit_type", "geometry"]])
        )
        districts = (
            read_units(engine, v.id, level="district").set_index("district_code")["name"]
            if v.units.get("district")
            else pd.Series(dtype=object)
        )
        names[v.id] = pd.DataFrame(
            {"name": units["name"].to_numpy(), "district": [districts.get(p) for p in units["parent_code"]]},
            index=units["commune_code"].to_numpy(),
        )
    return vintages, names


def _ingest(engine, file: DemoFile, seed: int, actor: str, hmac_key, progress) -> dict:
    if progress:
        progress(file.path.name)
    result = ingest(
        engine,
        file.kind,
        file.path,
        actor=actor,
        hmac_key=hmac_key,
        synthetic=True,
        source_name=demo_source(seed, file.path.name),
    )
    return {
        "file": file.path.name,
        **{k: result[k] for k in ("kind", "batch_id", "read", "loaded", "rejected", "duplicates")},
    }


def _summary(data: DemoData, results: list[dict], *, seed: int, folder: str | None) -> dict:
    loaded: dict[str, int] = {}
    for r in results:
        key = r["kind"].replace("-", "_")
        loaded[key] = loaded.get(key, 0) + r["loaded"]
    wave = data.planted.wave
    return {
        "status": "loaded",
        "seed": seed,
        "generator_version": GENERATOR_VERSION,
        "folder": folder,
        "batches": [r["batch_id"] for r in results],
        **loaded,
        "rejected": sum(r["rejected"] for r in results),
        "files": results,
        "planted": {
            "clusters": [list(c) for c in data.planted.cluster_centres],
            "reactivation_wave": [
                {
                    "site": r.descriptor,
                    "cleared": r.cleared.isoformat(),
                    "first_followup": r.first_followup.isoformat(),
                }
                for r in wave.itertuples()
            ],
        },
    }
