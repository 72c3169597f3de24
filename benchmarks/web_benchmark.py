"""Latency of the JSON API and the map page under concurrent clients, against waitress on loopback.

Run from the project root (needs the local PostgreSQL with PostGIS of ``DATABASE_URL``)::

    .venv/bin/python benchmarks/web_benchmark.py [--clients 20] [--requests 5] [--threads 8]
                                                 [--database URL] [--api PATH] [--page PATH]
                                                 [--reference GIT_REVISION]

Unless ``--database`` names a database already loaded, a scratch database is created on the
server of ``DATABASE_URL``, filled through the ``diaban`` command as a user would (``db
init``, ``boundaries load``, ``demo --seed 7``), and dropped at the end. A viewer login is
created in it; the API clients send the bearer token ``diaban users token`` prints, the page
clients the session cookie of a login through the form (with its CSRF token).

The app is served by ``diaban serve`` (waitress, ``--threads`` worker threads) in its own
process on 127.0.0.1. After a warm-up request per path, three phases run one after the
other, with client threads (stdlib ``http.client``, one keep-alive connection each) sending
``--requests`` requests each, as fast as answers come: one client per path (the latency
without contention), then ``--clients`` clients on the API alone, on the page alone, and half
of them on each side by side. Every answer must
be a 200; latency is wall time from sending the request to reading the whole body.

The server runs the code of this checkout (its root goes first on ``PYTHONPATH``, whatever
checkout the virtual environment was installed from). With ``--reference REV`` the tree of
that git revision is exported to a scratch folder and served too, on the same database: each
phase runs against the reference, then against this checkout, one server busy at a time, so
both meet the same load of the machine; the table gives each phase's p95 ratio. Latency on a
shared machine follows its load, so the table also gives the server's CPU time per request
(user + system time of the ``diaban serve`` process over the phase, from ``/proc``), which
other work on the machine hardly changes.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import io
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from geo.settings import database_url

DIABAN = str(Path(sys.executable).with_name("diaban"))
ROOT = Path(__file__).resolve().parents[1]
USER = ("bench-viewer", "bench-viewer-password")
#: p95 targets with ``--clients`` clients on one path alone (issue #14).
TARGETS_P95_MS = {"api": 100.0, "page": 300.0}
SERVER_PIDS: dict[int, int] = {}  # port -> pid of its diaban serve


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of process ``pid`` (all its threads), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_kwargs(dbname: str) -> dict:
    """The psycopg connection arguments for ``dbname`` on the server of ``DATABASE_URL``."""
    url = make_url(database_url())
    kwargs = {"dbname": dbname, "host": url.host or url.query.get("host"), "port": url.port,
              "user": url.username, "password": url.password}
    return {k: v for k, v in kwargs.items() if v is not None}


def diaban(url: str, *args: str, stdin: str | None = None) -> str:
    """Run ``diaban ARGS`` on the database ``url``; return its standard output (fail loudly)."""
    done = subprocess.run([DIABAN, *args], input=stdin, capture_output=True, text=True,
                          env={**os.environ, "DATABASE_URL": url}, check=False)
    if done.returncode:
        raise SystemExit(f"diaban {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@contextmanager
def scratch_database(existing: str | None):
    """Yield the URL of a loaded database: ``existing``, or a scratch one filled and dropped here."""
    if existing:
        yield existing
        return
    name = f"diaban_bench_web_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(**server_kwargs("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(database_url()).set(database=name).render_as_string(hide_password=False)
    try:
        start = time.perf_counter()
        for args in (("db", "init"), ("boundaries", "load"), ("demo", "--seed", "7")):
            diaban(url, *args)
        print(f"scratch database {name} loaded in {time.perf_counter() - start:.0f} s")
        yield url
    finally:
        with psycopg.connect(**server_kwargs("postgres"), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = %s AND pid <> pg_backend_pid()", [name])
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def exported(revision: str):
    """Yield a scratch folder holding the tree of the git ``revision`` of this checkout."""
    with tempfile.TemporaryDirectory(prefix="diaban-reference-") as folder:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision], capture_output=True,
                                 check=False)
        if archive.returncode:
            raise SystemExit(f"git archive {revision} failed: {archive.stderr.decode()}")
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            tar.extractall(folder, filter="data")
        yield Path(folder)


@contextmanager
def served(url: str, threads: int, code: Path = ROOT):
    """Run ``diaban serve`` of the tree ``code`` on a free loopback port; yield it once /healthz answers."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url,
           "PYTHONPATH": os.pathsep.join([str(code), *filter(None, [os.environ.get("PYTHONPATH")])])}
    server = subprocess.Popen([DIABAN, "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--threads", str(threads)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise SystemExit(f"diaban serve exited: {server.stderr.read()}")
            try:
                status, _, _ = request(port, "/healthz")
                if status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise SystemExit("diaban serve did not answer /healthz within 60 s")
        SERVER_PIDS[port] = server.pid
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def request(port: int, path: str, *, method: str = "GET", headers: dict | None = None,
            body: str | None = None, conn: http.client.HTTPConnection | None = None):
    """Send one request; return ``(status, headers, body bytes)``."""
    own = conn is None
    conn = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        if own:
            conn.close()


def session_cookie(port: int) -> str:
    """Log the viewer in through the form; return the ``Cookie`` header of its session."""
    status, headers, body = request(port, "/login")
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    token = re.search(rb'name="csrf_token" value="([^"]+)"', body).group(1).decode()
    form = urllib.parse.urlencode({"username": USER[0], "password": USER[1], "csrf_token": token})
    status, headers, _ = request(port, "/login", method="POST", body=form, headers={
        "Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"})
    if status != 302:
        raise SystemExit(f"login through the form answered {status}")
    return headers["Set-Cookie"].split(";", 1)[0]


def client(port: int, path: str, headers: dict, count: int) -> list[tuple[float, int, int]]:
    """One client: ``count`` requests on one keep-alive connection; ``(seconds, status, bytes)`` each."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    out = []
    try:
        for _ in range(count):
            start = time.perf_counter()
            status, _, body = request(port, path, headers=headers, conn=conn)
            out.append((time.perf_counter() - start, status, len(body)))
    finally:
        conn.close()
    return out


def phase(port: int, jobs: list[tuple[str, str, dict]], count: int) -> tuple[dict, float, float]:
    """Run one client thread per job at once; return the samples per label, wall and server CPU time."""
    cpu, start = cpu_seconds(SERVER_PIDS[port]), time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [(label, pool.submit(client, port, path, headers, count)) for label, path, headers in jobs]
        samples: dict[str, list] = {}
        for label, future in futures:
            samples.setdefault(label, []).extend(future.result())
    return samples, time.perf_counter() - start, cpu_seconds(SERVER_PIDS[port]) - cpu


def summary(samples: list[tuple[float, int, int]], seconds: float) -> dict:
    """p50, p95 and max latency in ms, requests per second over the phase, errors, mean size."""
    times = sorted(s for s, _, _ in samples)
    return {"n": len(times), "p50": 1000 * statistics.median(times),
            "p95": 1000 * times[max(0, round(0.95 * len(times)) - 1)], "max": 1000 * times[-1],
            "rps": len(times) / seconds, "errors": sum(1 for _, status, _ in samples if status != 200),
            "kb": statistics.mean(b for _, _, b in samples) / 1024}


def machine_facts(threads: int) -> str:
    """Cores, CPU, load and the server's threads."""
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines() if Path("/proc/cpuinfo").exists() else []
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")),
                 platform.processor())
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    return (f"cores: {os.cpu_count()} ({len(os.sched_getaffinity(0))} usable), {model}; load average {load}\n"
            f"python {platform.python_version()}; waitress with {threads} threads, clients in this process")


def main(argv: list[str] | None = None) -> None:
    """Parse the options, load or reuse the data, serve, run the phases, print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=5, help="requests per client per phase")
    parser.add_argument("--threads", type=int, default=8, help="waitress threads (diaban serve's default)")
    parser.add_argument("--database", help="an already loaded database URL (default: a scratch one)")
    parser.add_argument("--api", default="/api/communes", help="API path (default period and vintage)")
    parser.add_argument("--page", default="/", help="page path (the map)")
    parser.add_argument("--reference", metavar="REV", help="also serve this git revision, phase by phase")
    args = parser.parse_args(argv)

    print(machine_facts(args.threads))
    with scratch_database(args.database) as url, contextlib.ExitStack() as stack:
        if USER[0] not in diaban(url, "users", "list").split():
            diaban(url, "users", "add", USER[0], "--role", "viewer", "--password-stdin", stdin=USER[1] + "\n")
        token = diaban(url, "users", "token", USER[0]).strip().split()[-1]
        trees = [("reference", stack.enter_context(exported(args.reference)))] if args.reference else []
        servers = [(name, stack.enter_context(served(url, args.threads, tree)))
                   for name, tree in [*trees, ("this", ROOT)]]
        jobs = {name: client_jobs(port, args, token) for name, port in servers}
        half = args.clients // 2
        runs = [("one client", ["api"]), ("one client", ["page"]), ("alone", ["api"] * args.clients),
                ("alone", ["page"] * args.clients),
                ("side by side", ["api"] * half + ["page"] * (args.clients - half))]
        rows = []
        for name, labels in runs:
            for code, port in servers:
                samples, seconds, cpu = phase(port, [jobs[code][label] for label in labels], args.requests)
                total = sum(len(s) for s in samples.values())
                rows += [(code, label, name, labels.count(label),
                          summary(s, seconds) | {"cpu": 1000 * cpu / total})
                         for label, s in samples.items()]
    report(rows, args)


def client_jobs(port: int, args, token: str) -> dict:
    """The API and page jobs of one server (its own session cookie), each warmed up once."""
    # Like a browser, both accept gzip (the answers are compressed once, when cached).
    jobs = {"api": ("api", args.api, {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"}),
            "page": ("page", args.page, {"Cookie": session_cookie(port), "Accept-Encoding": "gzip"})}
    for _, path, headers in jobs.values():
        status, _, _ = request(port, path, headers=headers)
        if status != 200:
            raise SystemExit(f"warm-up GET {path} answered {status}")
    return jobs


def report(rows: list, args) -> None:
    """The table of the phases and the verdicts on the targets.

    Per phase and path: latency, throughput, answer size, errors, the server's CPU time per
    request of the phase (both paths together when side by side), and the p95 ratio to the reference.
    """
    print(f"\n{args.requests} requests per client; API {args.api} (bearer token), page {args.page} "
          f"(session cookie){'; reference ' + args.reference if args.reference else ''}")
    print(f"{'code':9s} {'path':6s} {'phase':13s} {'clients':>7s} {'n':>5s} {'p50 ms':>8s} {'p95 ms':>8s} "
          f"{'max ms':>8s} {'req/s':>7s} {'KiB':>7s} {'errors':>6s} {'CPU ms':>6s}  p95 vs reference")
    reference = {(label, name): s for code, label, name, _, s in rows if code == "reference"}
    for code, label, name, clients, s in rows:
        base = reference.get((label, name))
        ratio = ""
        if base and code == "this":
            times = base["p95"] / s["p95"]
            ratio = f"{times:.1f}x faster" if times >= 1 else f"{1 / times:.1f}x slower"
        print(f"{code:9s} {label:6s} {name:13s} {clients:7d} {s['n']:5d} {s['p50']:8.0f} {s['p95']:8.0f} "
              f"{s['max']:8.0f} {s['rps']:7.1f} {s['kb']:7.0f} {s['errors']:6d} {s['cpu']:6.1f}  {ratio}")
    print()
    for code, label, name, _, s in rows:
        if name == "alone" and code == "this":
            target = TARGETS_P95_MS[label]
            verdict = "meets" if s["p95"] < target else "misses"
            print(f"{label} p95 with {args.clients} clients: {s['p95']:.0f} ms — {verdict} the "
                  f"{target:.0f} ms target")
    print(f"load average now {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
