"""Time point-in-commune assignment three ways on the 95 full-resolution communes of 2025.

Run from the project root (needs the local PostgreSQL with PostGIS of ``DATABASE_URL``)::

    .venv/bin/python benchmarks/join_benchmark.py [--points 1000000] [--seed 1] [--repeat 3]

Random points, uniform over the bounding box of the 2025 communes (read from the bundled
boundary files, without the database), are assigned by

(a) ``geopandas.sjoin(points, units, predicate="within")``, the reference;
(b) ``geo.join.assign_units`` with a ``UnitIndex`` (its build timed separately, and the
    assignment timed with the fresh index and again with the index reused), and
    ``geo.join.assign_units_xy`` on the points' coordinate arrays with the index reused (what
    the ingest calls: it has the parsed longitudes and latitudes);
(c) PostGIS: ``ST_Contains`` joining a points table to a units table with a GiST index, in a
    scratch database created and dropped here: first with the index on the units only (the
    planner then probes the units once per point, about 100 s per million points, run once),
    then with a GiST index on the points too (the planner then loops over the 95 units and
    PostGIS reuses each prepared polygon), timed with the rows fetched into Python and as a
    server-side ``count(*)``.

Each timing is the best of ``--repeat`` runs in this one process; the machine's load is
printed, because other work on a small machine makes timings noisy. The answers are then
compared point by point: ``within`` and ``ST_Contains`` leave boundary points out, which
``assign_units`` gives to the lowest code, so only disagreements off the boundaries count.
"""

from __future__ import annotations

import argparse
import os
import platform
import secrets
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import shapely
from sqlalchemy import make_url

from boundaries import load_province
from boundaries.units import build_units
from geo.join import assign_units, assign_units_xy, build_unit_index
from geo.settings import database_url

VINTAGE = "2025-07-01"
QUERY = "SELECT p.id, u.code FROM pts p JOIN units u ON ST_Contains(u.geom, p.geom)"


def best_of(repeat: int, run) -> tuple[float, object]:
    """Run ``run()`` ``repeat`` times; return the shortest wall time and the last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def communes() -> gpd.GeoDataFrame:
    """The 95 communes of the 2025 vintage at full resolution (EPSG:4326), from the files."""
    province = load_province()
    units, _ = build_units(province, province.vintage(VINTAGE))
    return units.loc[units.level == "commune", ["code", "geometry"]].reset_index(drop=True)


def random_points(units: gpd.GeoDataFrame, n: int, seed: int) -> gpd.GeoDataFrame:
    """``n`` points uniform over the units' bounding box, with an ``id`` column."""
    rng = np.random.default_rng(seed)
    xmin, ymin, xmax, ymax = units.total_bounds
    geometry = shapely.points(rng.uniform(xmin, xmax, n), rng.uniform(ymin, ymax, n))
    return gpd.GeoDataFrame({"id": np.arange(n)}, geometry=geometry, crs=units.crs)


def run_sjoin(points: gpd.GeoDataFrame, units: gpd.GeoDataFrame, repeat: int) -> tuple[float, pd.Series]:
    """Time ``geopandas.sjoin(..., predicate="within")``; return every (point, code) match."""
    seconds, joined = best_of(repeat, lambda: gpd.sjoin(points, units, predicate="within"))
    return seconds, joined["code"]


def run_assign(points: gpd.GeoDataFrame, units: gpd.GeoDataFrame, repeat: int) -> dict:
    """Time ``build_unit_index``, then ``assign_units`` with that fresh index, then again.

    The first assignment pays for GEOS building its point-in-polygon indexes lazily; the
    second is what a caller reusing the index over many batches sees.
    """
    times = {"build": [], "assign": [], "total": [], "again": [], "xy": []}
    x, y = points.geometry.x.to_numpy(), points.geometry.y.to_numpy()  # not timed: callers have them
    for _ in range(repeat):
        start = time.perf_counter()
        index = build_unit_index(units, code_column="code")
        built = time.perf_counter()
        codes = assign_units(points, index)["code"]
        done = time.perf_counter()
        assign_units(points, index)
        again = time.perf_counter()
        by_xy = assign_units_xy(x, y, index, crs=points.crs)["code"]
        xy = time.perf_counter()
        for key, seconds in [("build", built - start), ("assign", done - built),
                             ("total", done - start), ("again", again - done), ("xy", xy - again)]:
            times[key].append(seconds)
    if not by_xy.set_axis(points.index).equals(codes):
        raise SystemExit("assign_units_xy and assign_units disagree")
    return {**{key: min(values) for key, values in times.items()}, "codes": codes, "index": index}


def server_kwargs(dbname: str) -> dict:
    """The psycopg connection arguments for ``dbname`` on the server of ``DATABASE_URL``."""
    url = make_url(database_url())
    kwargs = {"dbname": dbname, "host": url.host or url.query.get("host"), "port": url.port,
              "user": url.username, "password": url.password}
    return {k: v for k, v in kwargs.items() if v is not None}


def ewkb_lines(ids, geoms: np.ndarray) -> bytes:
    """COPY text rows ``id<TAB>hex EWKB`` (SRID 4326), exact to the last bit."""
    hexes = shapely.to_wkb(shapely.set_srid(geoms, 4326), hex=True, include_srid=True)
    return "".join(f"{i}\t{h}\n" for i, h in zip(ids, hexes, strict=True)).encode()


def copy_rows(cur, table: str, data: bytes) -> None:
    """COPY ``data`` into ``table`` in 8 MB chunks."""
    with cur.copy(f"COPY {table} FROM STDIN") as copy:
        for start in range(0, len(data), 1 << 23):
            copy.write(data[start:start + (1 << 23)])


def plan(cur) -> str:
    """The plan of ``QUERY`` as one line of its nodes."""
    lines = [r[0] for r in cur.execute(f"EXPLAIN {QUERY}").fetchall()]
    return " / ".join(line.strip().split("  (cost")[0] for line in lines
                      if "->" in line or not line.startswith((" ", "JIT")))


def run_postgis(points: gpd.GeoDataFrame, units: gpd.GeoDataFrame, repeat: int, *,
                units_only: bool) -> dict:
    """Time the ST_Contains join in a scratch database, then drop it.

    First (when ``units_only``) with a GiST index on the units only, run once as it is slow;
    then with a GiST index on the points too, the best of ``repeat`` runs, rows fetched into
    Python and as a server-side ``count(*)``.
    """
    name = f"diaban_bench_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(**server_kwargs("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with psycopg.connect(**server_kwargs(name), autocommit=True) as conn, conn.cursor() as cur:
            cur.execute("CREATE EXTENSION postgis")
            facts = {"server": cur.execute("SHOW server_version").fetchone()[0],
                     "postgis": cur.execute("SELECT postgis_lib_version()").fetchone()[0],
                     "workers": cur.execute("SHOW max_parallel_workers_per_gather").fetchone()[0],
                     "jit": cur.execute("SHOW jit").fetchone()[0], "timings": [], "plans": []}
            cur.execute("CREATE TABLE units (code text PRIMARY KEY, geom geometry(MultiPolygon, 4326))")
            cur.execute("CREATE TABLE pts (id bigint PRIMARY KEY, geom geometry(Point, 4326))")
            start = time.perf_counter()
            copy_rows(cur, "units", ewkb_lines(units["code"], np.asarray(units.geometry.values)))
            cur.execute("CREATE INDEX units_geom ON units USING gist (geom)")
            copy_rows(cur, "pts", ewkb_lines(points["id"], np.asarray(points.geometry.values)))
            cur.execute("ANALYZE units")
            cur.execute("ANALYZE pts")
            facts["load"] = time.perf_counter() - start
            if units_only:
                facts["plans"].append(("GiST on units", plan(cur)))
                seconds, _ = best_of(1, lambda: cur.execute(QUERY).fetchall())
                facts["timings"].append(("PostGIS, GiST on units, rows fetched (1 run)", seconds))
            cur.execute("CREATE INDEX pts_geom ON pts USING gist (geom)")
            cur.execute("ANALYZE pts")
            facts["plans"].append(("GiST on both", plan(cur)))
            seconds, rows = best_of(repeat, lambda: cur.execute(QUERY).fetchall())
            facts["timings"].append(("PostGIS, GiST on both, rows fetched", seconds))
            seconds, _ = best_of(repeat, lambda: cur.execute(f"SELECT count(*) FROM ({QUERY}) q").fetchone())
            facts["timings"].append(("PostGIS, GiST on both, count(*) only", seconds))
    finally:
        with psycopg.connect(**server_kwargs("postgres"), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", [name])
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    pairs = pd.DataFrame(rows, columns=["id", "code"])
    return {**facts, "codes": pairs.set_index("id")["code"]}


def disagreements(ours: pd.Series, pairs: pd.Series, points: gpd.GeoDataFrame,
                  units: gpd.GeoDataFrame) -> dict:
    """Compare our codes with interior-only matches (point position → code, maybe repeated).

    A point the other method matches once must get that code from us; a point it does not
    match must get none, unless it lies on a unit boundary (``within`` leaves those out);
    a point matched several times lies on shared boundaries.
    """
    count = pairs.groupby(level=0).size()
    single = pairs[pairs.index.isin(count.index[count == 1])]
    ours = ours.to_numpy(dtype=object, na_value=None)
    theirs = np.full(len(ours), None, dtype=object)
    theirs[single.index.to_numpy()] = single.to_numpy()
    differ = np.flatnonzero(ours != theirs)
    differ = differ[~np.isin(differ, count.index[count > 1])]
    boundary = shapely.union_all(units.boundary.values)
    on_edge = shapely.intersects(boundary, points.geometry.values[differ]) if len(differ) else []
    return {"multi": int((count > 1).sum()), "differ": len(differ),
            "off_boundary": int(len(differ) - np.sum(on_edge))}


def machine_facts() -> str:
    """Cores, CPU, load and library versions, on one line each."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
                 platform.processor())
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return "\n".join([
        f"cores: {os.cpu_count()} ({len(os.sched_getaffinity(0))} usable), {model}; load average {load}",
        f"python {platform.python_version()}, numpy {np.__version__}, shapely {shapely.__version__} "
        f"(GEOS {shapely.geos_version_string}), geopandas {gpd.__version__}, pandas {pd.__version__}",
        f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')} "
        "(BLAS plays no part in this benchmark)",
    ])


def table(rows: list[tuple[str, float]], reference: float) -> str:
    """Seconds per method and the ratio to the reference."""
    lines = [f"{'method':46s} {'seconds':>8s}  vs geopandas.sjoin"]
    for label, seconds in rows:
        ratio = reference / seconds
        word = "reference" if seconds == reference else (
            f"{ratio:.1f}x faster" if ratio >= 1 else f"{1 / ratio:.1f}x slower")
        lines.append(f"{label:46s} {seconds:8.3f}  {word}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse the options, run the three methods, print the table and the agreement."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (default 3)")
    parser.add_argument("--no-postgis", action="store_true", help="skip the PostGIS timings")
    parser.add_argument("--skip-units-only", action="store_true",
                        help="skip PostGIS with a GiST index on the units only (about 100 s per 1M points)")
    args = parser.parse_args(argv)

    print(machine_facts())
    units = communes()
    points = random_points(units, args.points, args.seed)
    vertices = int(shapely.get_num_coordinates(units.geometry.values).sum())
    print(f"{len(units)} communes of {VINTAGE}, {vertices:,} vertices; {len(points):,} random points "
          f"(seed {args.seed}) over their bounding box; best of {args.repeat} runs\n")

    sjoin_s, sjoin_pairs = run_sjoin(points, units, args.repeat)
    ours = run_assign(points, units, args.repeat)
    rows = [("geopandas.sjoin(predicate='within')", sjoin_s),
            ("assign_units: build_unit_index", ours["build"]),
            ("assign_units: assignment, fresh index", ours["assign"]),
            ("assign_units: build + assignment", ours["total"]),
            ("assign_units: assignment, index reused", ours["again"]),
            ("assign_units_xy: arrays, index reused", ours["xy"])]
    pg = None if args.no_postgis else run_postgis(points, units, args.repeat,
                                                  units_only=not args.skip_units_only)
    if pg:
        rows += pg["timings"]
    print(table(rows, sjoin_s))
    print(f"\nindex: {ours['index']!r}")
    print(f"assigned: {ours['codes'].notna().sum():,} of {len(points):,} points")

    code_of = sjoin_pairs.copy()
    code_of.index = points.index.get_indexer(code_of.index)
    check = disagreements(ours["codes"], code_of, points, units)
    print(f"vs sjoin:   {check['differ']} disagreements, {check['off_boundary']} off the boundaries; "
          f"{check['multi']} points matched more than once")
    if pg:
        check = disagreements(ours["codes"], pg["codes"], points, units)
        print(f"vs PostGIS: {check['differ']} disagreements, {check['off_boundary']} off the boundaries; "
              f"{check['multi']} points matched more than once")
        print(f"PostGIS {pg['postgis']} on PostgreSQL {pg['server']} (parallel workers per gather "
              f"{pg['workers']}, jit {pg['jit']}); loading took {pg['load']:.1f} s (not timed above)")
        for label, nodes in pg["plans"]:
            print(f"plan with {label}: {nodes}")


if __name__ == "__main__":
    main()
