"""The benchmark scripts still run, check what they compare, and leave no scratch database.

The README's figures come from ``benchmarks/*.py``; a refactor that breaks one goes unseen
until somebody measures again (``ingest_benchmark.py`` stopped working when vintages became
objects). Each script runs here on a tiny input, as a user runs it (a subprocess from the
project root): it must exit 0, print the comparison its README table is built from, and
drop the scratch database it made on the server of ``DATABASE_URL``. The timings themselves
are not asserted: speed is read from the scripts' ratios, never from a test.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from geo.store import make_engine

ROOT = Path(__file__).resolve().parents[1]

#: Each script with tiny arguments and a line its output must hold.
RUNS = {
    "ingest": (["ingest_benchmark.py", "--rows", "300"],
               r"etl\.ingest .* [\d.]+x the time\n.*\n[\s\S]*loaded 300, rejected 0"),
    "join": (["join_benchmark.py", "--points", "3000", "--repeat", "1", "--skip-units-only"],
             r"vs sjoin:\s+0 disagreements[\s\S]*vs PostGIS: 0 disagreements"),
    "grid": (["grid_benchmark.py", "--sizes", "5000", "--repeat", "1"],
             r"2025-07-01\s+95\s+5000\s+\d+\s+[\d.]+\s+[\d.]+\s+[\d.]+×"),
    "web": (["web_benchmark.py", "--clients", "2", "--requests", "1"],
            r"api p95 with 2 clients: \d+ ms[\s\S]*page p95 with 2 clients: \d+ ms"),
}


def _bench_databases(server_url) -> set[str]:
    engine = make_engine(server_url.set(database="postgres"))
    try:
        with engine.connect() as conn:
            sql = "SELECT datname FROM pg_database WHERE datname LIKE 'diaban_bench%'"
            return set(conn.scalars(text(sql)))
    finally:
        engine.dispose()


@pytest.mark.slow
@pytest.mark.postgis
@pytest.mark.gdal
@pytest.mark.parametrize("name", list(RUNS))
def test_benchmark_script_runs_on_a_tiny_input(name, server_url, ogrinfo):
    args, expected = RUNS[name]
    before = _bench_databases(server_url)
    env = {**os.environ, "DATABASE_URL": server_url.render_as_string(hide_password=False),
           "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / args[0]), *args[1:]], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert re.search(expected, done.stdout), done.stdout
    assert _bench_databases(server_url) == before
