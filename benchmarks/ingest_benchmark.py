"""Time ``etl.ingest`` on a 100,000-row incidents CSV against loading the same file with ``ogr2ogr``.

Run from the project root (needs the local PostgreSQL with PostGIS of ``DATABASE_URL`` and GDAL's
``ogr2ogr``)::

    .venv/bin/python benchmarks/ingest_benchmark.py [--rows 100000] [--seed 1] [--repeat 1] [--profile]

A scratch database is created (``diaban db init`` and ``diaban boundaries load``, not timed) and
dropped at the end. The CSV is generated the way a police summary arrives: ``dd/mm/yyyy`` dates
spread over 2018-2026, Vietnamese offence labels, a count of persons, and GPS latitude/longitude
columns with points drawn uniformly inside the 2025 communes of the former Đồng Nai (so that the
boundaries in force on each date, the 171 communes until mid-2019 and the 95 from July 2025, both
hold the point and every row is loadable).

Then, each timed on its own:

(a) ``etl.ingest(engine, "incidents", path, progress=...)``: read, header mapping, text repair,
    date/number/coordinate parsing, commune assignment on the vintage of each date, validation,
    record hashing, and the writes in one transaction, committed;
(b) ``ogr2ogr -f PostgreSQL`` of the same file into a table of the same database, points from
    ``-oo X_POSSIBLE_NAMES/Y_POSSIBLE_NAMES`` with ``-a_srs EPSG:4326``: a plain load, every
    other column kept as text, nothing parsed, placed or checked.

Rows per second of each, and their ratio, are printed side by side, with the ingest's time per stage:
the progress callback marks read, parsed and written. Inside them, steps are timed by wrapping
module attributes (:data:`STEPS`, when present): in "parsed", the value and coordinate parsing, the
placing, and the natural keys with the rejected rows; in "write records", the lookup of the keys
already stored and the ``COPY`` (ids, values, server). ``--profile`` runs the ingest once more under
cProfile (after deleting the timed batch) and prints the functions with the most time of their own.
"""

from __future__ import annotations

import argparse
import cProfile
import functools
import io
import os
import pstats
import secrets
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import geopandas as gpd
import numpy as np
import psycopg
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from join_benchmark import machine_facts, server_kwargs

import etl
import etl.pipeline
import geo.store.ingest
from geo.join import assign_units
from geo.settings import database_url
from geo.store import make_engine
from geo.store.units import list_vintages, read_units

LABELS = ["Mua bán dâm", "Chứa mại dâm", "Môi giới mại dâm", "Tổ chức hoạt động mại dâm"]
FIRST_DAY, LAST_DAY = date(2018, 1, 1), date(2026, 12, 31)
HEADER = "STT,Ngày xảy ra,Hành vi,Vĩ độ,Kinh độ,Số đối tượng"
OGR_TABLE = "ogr_incidents"
# The steps timed inside the stages, by the group they are reported under: (module, attribute) pairs.
STEPS = {
    "parse": ((etl.pipeline, "coordinates"),),
    "place": tuple((etl.pipeline, name) for name in ("add_vintages", "place", "link_by_place",
                                                     "link_by_code")),
    "keys": ((etl.pipeline, "split_rows"),),
    "lookup": ((geo.store.ingest, "stored_hashes"),),
    "copy": ((geo.store.ingest, "insert_frame"),),
}
GROUPS = {"parsed": {"parse": "parse (values, dates, coordinates)", "place": "place (vintages, communes)",
                     "keys": "natural keys, rejected rows"},
          "records": {"lookup": "look up stored natural keys", "copy": "COPY (ids, values, server)"}}
"""The wrapped steps printed under each stage, with their labels."""


def scratch_url(name: str) -> str:
    """The SQLAlchemy URL of database ``name`` on the server of ``DATABASE_URL``."""
    return make_url(database_url()).set(database=name).render_as_string(hide_password=False)


def diaban(url: str, *args: str) -> None:
    """Run the ``diaban`` command of this virtualenv against ``url``; fail loudly."""
    command = [str(Path(sys.executable).with_name("diaban")), *args]
    done = subprocess.run(command, env={**os.environ, "DATABASE_URL": url}, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")


def points_inside(engine, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points (lon, lat) uniform over the 2025 communes that also lie in a commune of 2010."""
    vintages = [v.id for v in list_vintages(engine)]
    units = {v: read_units(engine, v) for v in vintages}
    xmin, ymin, xmax, ymax = units[vintages[-1]].total_bounds
    kept: list[np.ndarray] = []
    while sum(len(k) for k in kept) < n:
        xy = np.column_stack([rng.uniform(xmin, xmax, 4 * n), rng.uniform(ymin, ymax, 4 * n)])
        inside = np.ones(len(xy), dtype=bool)
        for frame in units.values():
            points = gpd.GeoSeries.from_xy(xy[:, 0], xy[:, 1], crs=frame.crs)
            placed = assign_units(points, frame[["commune_code", "geometry"]])["commune_code"]
            inside &= placed.notna().to_numpy()
        kept.append(xy[inside])
    return np.concatenate(kept)[:n]


def write_csv(path: Path, points: np.ndarray, rng: np.random.Generator) -> None:
    """The incidents file: dd/mm/yyyy dates over 2018-2026, labels, counts, decimal lat/lon."""
    span = (LAST_DAY - FIRST_DAY).days
    days = rng.integers(0, span + 1, len(points))
    labels = rng.integers(0, len(LABELS), len(points))
    persons = rng.integers(1, 12, len(points))
    lines = [HEADER]
    for i, ((lon, lat), d, k, p) in enumerate(zip(points, days, labels, persons, strict=True), start=1):
        day = FIRST_DAY + timedelta(days=int(d))
        lines.append(f"{i},{day:%d/%m/%Y},{LABELS[k]},{lat:.6f},{lon:.6f},{p}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class StageClock:
    """The progress callback: the time of each stage mark, and of the wrapped pipeline steps."""

    def __init__(self) -> None:
        self.start = self.end = time.perf_counter()
        self.marks: list[tuple[str, float, int]] = []
        self.steps: dict[str, float] = defaultdict(float)

    def __call__(self, stage: str, rows: int) -> None:
        """Mark the end of ``stage``."""
        self.marks.append((stage, time.perf_counter(), rows))

    def wrap(self, group: str, function):
        """``function``, its time added to ``group``."""
        @functools.wraps(function)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                self.steps[group] += time.perf_counter() - started
        return timed

    def stages(self, end: float) -> list[tuple[str, str, float]]:
        """(stage, label, seconds) from the start through each mark to ``end`` (the commit's return)."""
        labels = {"read": "read (file, headers, text repair)", "parsed": "parse + place + keys",
                  "records": "write records", "rejected": "write rejected rows"}
        out, previous = [], self.start
        for stage, moment, _ in self.marks:
            out.append((stage, labels.get(stage, stage), moment - previous))
            previous = moment
        out.append(("commit", "finish batch, audit, commit", end - previous))
        return out


def run_ingest(engine, path: Path) -> tuple[float, dict, StageClock]:
    """Time one ``etl.ingest`` of ``path``, with the steps of :data:`STEPS` timed by wrappers."""
    clock = StageClock()
    originals = []
    for group, steps in STEPS.items():
        for module, name in steps:
            if hasattr(module, name):
                originals.append((module, name, getattr(module, name)))
                setattr(module, name, clock.wrap(group, getattr(module, name)))
    values = getattr(etl.pipeline, "VALUES", {})
    parse_incidents = values.get("incidents")
    if parse_incidents:
        values["incidents"] = clock.wrap("parse", parse_incidents)
    try:
        clock.start = time.perf_counter()
        summary = etl.ingest(engine, "incidents", path, progress=clock, actor="benchmark")
        seconds = time.perf_counter() - clock.start
    finally:
        for module, name, function in originals:
            setattr(module, name, function)
        if parse_incidents:
            values["incidents"] = parse_incidents
    clock.end = clock.start + seconds
    return seconds, summary, clock


def run_ogr2ogr(name: str, path: Path) -> tuple[float, int]:
    """Time ``ogr2ogr -f PostgreSQL`` of ``path`` into a fresh table; return seconds and rows loaded."""
    kwargs = server_kwargs(name)
    connection = " ".join(f"{k}={v}" for k, v in kwargs.items())
    command = ["ogr2ogr", "--config", "PG_USE_COPY", "YES", "-f", "PostgreSQL", f"PG:{connection}", str(path),
               "-nln", OGR_TABLE, "-overwrite", "-oo", "X_POSSIBLE_NAMES=Kinh độ",
               "-oo", "Y_POSSIBLE_NAMES=Vĩ độ", "-a_srs", "EPSG:4326", "-lco", "GEOMETRY_NAME=geom",
               "-nlt", "POINT"]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode:
        raise SystemExit(f"ogr2ogr failed:\n{done.stderr}")
    with psycopg.connect(**kwargs) as conn:
        rows = conn.execute(f"SELECT count(*) FROM {OGR_TABLE} WHERE geom IS NOT NULL").fetchone()[0]
    return seconds, rows


def delete_batch(engine, batch_id: int) -> None:
    """Delete an import batch and, by cascade, its records and rejected rows."""
    with engine.begin() as c:
        c.execute(text("DELETE FROM import_batch WHERE id = :b"), {"b": batch_id})


def profile_ingest(engine, path: Path, top: int) -> str:
    """The ``top`` functions by own time in one more ingest of ``path`` (its batch deleted after)."""
    profiler = cProfile.Profile()
    summary = profiler.runcall(etl.ingest, engine, "incidents", path, actor="benchmark")
    delete_batch(engine, summary["batch_id"])
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    stats.sort_stats("cumulative").print_stats(top)
    return out.getvalue()


def report(rows: int, ours: list[float], ogr: list[float], clock: StageClock, summary: dict) -> str:
    """The side-by-side table, the stages of the best ingest, and what it loaded."""
    best, base = min(ours), min(ogr)
    lines = [f"{'method (' + format(rows, ',') + ' rows)':44s} {'seconds':>8s} {'rows/s':>9s}  vs ogr2ogr",
             f"{'etl.ingest (parse, place, validate, write)':44s} {best:8.2f} {rows / best:9,.0f}  "
             f"{best / base:.2f}x the time",
             f"{'ogr2ogr -f PostgreSQL (plain load)':44s} {base:8.2f} {rows / base:9,.0f}  reference"]
    if len(ours) > 1:
        lines.append(f"(all ingest runs: {', '.join(f'{s:.2f}' for s in ours)} s; ogr2ogr: "
                     f"{', '.join(f'{s:.2f}' for s in ogr)} s)")
    lines.append(f"\nstages of the best ingest ({best:.2f} s):")
    for stage, label, seconds in clock.stages(clock.end):
        lines.append(f"  {label:40s} {seconds:7.2f} s  {100 * seconds / best:5.1f} %")
        for group, step in GROUPS.get(stage, {}).items():
            if group in clock.steps:
                lines.append(f"    {step:38s} {clock.steps[group]:7.2f} s")
    lines.append(f"\nloaded {summary['loaded']:,}, rejected {summary['rejected']:,} {summary['reasons']}, "
                 f"duplicates {summary['duplicates']:,} of {summary['read']:,} read")
    return "\n".join(lines)


def prepare(name: str, args: argparse.Namespace):
    """Set up the scratch database ``name`` (migrations, boundaries), write the CSV; return engine, path."""
    started = time.perf_counter()
    url = scratch_url(name)
    diaban(url, "db", "init")
    diaban(url, "boundaries", "load")
    engine = make_engine(url)
    rng = np.random.default_rng(args.seed)
    path = Path(f"/tmp/{name}.csv")
    write_csv(path, points_inside(engine, args.rows, rng), rng)
    if args.keep_csv:
        args.keep_csv.write_bytes(path.read_bytes())
    print(f"scratch database {name}: set up, {args.rows:,} rows generated ({path.stat().st_size / 1e6:.1f} "
          f"MB) in {time.perf_counter() - started:.1f} s (not timed below); best of {args.repeat}\n")
    return engine, path


def compare(name: str, engine, path: Path, args: argparse.Namespace) -> None:
    """Time ``etl.ingest`` and ``ogr2ogr`` ``args.repeat`` times each and print the comparison."""
    ours, ogr, best = [], [], None
    for _ in range(args.repeat):
        try:
            seconds, summary, clock = run_ingest(engine, path)
        except DBAPIError as error:  # one line, not a dump of 100,000 parameters
            seconds, loaded = run_ogr2ogr(name, path)
            raise SystemExit(f"etl.ingest failed on {args.rows:,} rows: {type(error.orig).__name__}: "
                             f"{error.orig}\n(ogr2ogr loaded {loaded:,} rows in {seconds:.2f} s)") from None
        ours.append(seconds)
        if best is None or seconds <= min(ours):
            best = (clock, summary)
        delete_batch(engine, summary["batch_id"])
        seconds, loaded = run_ogr2ogr(name, path)
        ogr.append(seconds)
    print(report(args.rows, ours, ogr, *best))
    version = subprocess.run(["ogr2ogr", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"ogr2ogr loaded {loaded:,} points ({version}, COPY into a new table)")


def main(argv: list[str] | None = None) -> None:
    """Create the scratch database, generate the file, time both loads, print, drop the database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs of each (default 1)")
    parser.add_argument("--profile", action="store_true", help="then profile one more ingest (cProfile)")
    parser.add_argument("--keep-csv", type=Path, help="also write the generated CSV here")
    args = parser.parse_args(argv)

    print(machine_facts())
    name = f"diaban_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(**server_kwargs("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    engine, path = None, Path(f"/tmp/{name}.csv")
    try:
        engine, path = prepare(name, args)
        compare(name, engine, path, args)
        if args.profile:
            print("\n" + profile_ingest(engine, path, 25))
    finally:
        path.unlink(missing_ok=True)
        if engine is not None:
            engine.dispose()
        with psycopg.connect(**server_kwargs("postgres"), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", [name])
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


if __name__ == "__main__":
    main()
