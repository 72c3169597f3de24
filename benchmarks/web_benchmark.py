"""Latency of the JSON API and the map page under concurrent clients, against waitress on loopback.

Run from the project root (needs the local PostgreSQL with PostGIS of ``DATABASE_URL``)::

    .venv/bin/python benchmarks/web_benchmark.py [--clients 20] [--requests 5] [--threads 8]
                                                 [--database URL] [--api PATH] [--page PATH]

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
"""

from __future__ import annotations

import argparse
import http.client
import os
import platform
import re
import secrets
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import make_url

from geo.settings import database_url

DIABAN = str(Path(sys.executable).with_name("diaban"))
USER = ("bench-viewer", "bench-viewer-password")
TARGET_P95_MS = 200.0


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
def served(url: str, threads: int):
    """Run ``diaban serve`` on a free loopback port; yield the port once /healthz answers."""
    port = free_port()
    server = subprocess.Popen([DIABAN, "serve", "--host", "127.0.0.1", "--port", str(port),
                               "--threads", str(threads)], env={**os.environ, "DATABASE_URL": url},
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


def phase(port: int, jobs: list[tuple[str, str, dict]], count: int) -> tuple[dict, float]:
    """Run one client thread per job at once; return the samples per label and the wall time."""
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        futures = [(label, pool.submit(client, port, path, headers, count)) for label, path, headers in jobs]
        samples: dict[str, list] = {}
        for label, future in futures:
            samples.setdefault(label, []).extend(future.result())
    return samples, time.perf_counter() - start


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
    args = parser.parse_args(argv)

    print(machine_facts(args.threads))
    with scratch_database(args.database) as url:
        if USER[0] not in diaban(url, "users", "list").split():
            diaban(url, "users", "add", USER[0], "--role", "viewer", "--password-stdin", stdin=USER[1] + "\n")
        token = diaban(url, "users", "token", USER[0]).strip().split()[-1]
        with served(url, args.threads) as port:
            # Like a browser, both accept gzip (the API compresses its cached answers once).
            api = ("api", args.api, {"Authorization": f"Bearer {token}", "Accept-Encoding": "gzip"})
            page = ("page", args.page, {"Cookie": session_cookie(port), "Accept-Encoding": "gzip"})
            for _, path, headers in (api, page):
                status, _, _ = request(port, path, headers=headers)
                if status != 200:
                    raise SystemExit(f"warm-up GET {path} answered {status}")
            half = args.clients // 2
            runs = [("one client", [api]), ("one client", [page]), ("alone", [api] * args.clients),
                    ("alone", [page] * args.clients),
                    ("side by side", [api] * half + [page] * (args.clients - half))]
            rows = []
            for name, jobs in runs:
                samples, seconds = phase(port, jobs, args.requests)
                rows += [(label, name, len([j for j in jobs if j[0] == label]), summary(s, seconds))
                         for label, s in samples.items()]
    report(rows, args)


def report(rows: list, args) -> None:
    """The table of the phases and the verdict on the API's p95 target."""
    print(f"\n{args.requests} requests per client; API {args.api} (bearer token), page {args.page} "
          "(session cookie)")
    print(f"{'path':6s} {'phase':13s} {'clients':>7s} {'n':>5s} {'p50 ms':>8s} {'p95 ms':>8s} {'max ms':>8s} "
          f"{'req/s':>7s} {'KiB':>7s} {'errors':>6s}")
    for label, name, clients, s in rows:
        print(f"{label:6s} {name:13s} {clients:7d} {s['n']:5d} {s['p50']:8.0f} {s['p95']:8.0f} "
              f"{s['max']:8.0f} {s['rps']:7.1f} {s['kb']:7.0f} {s['errors']:6d}")
    api_alone = rows[2][3]
    verdict = "meets" if api_alone["p95"] < TARGET_P95_MS else "misses"
    print(f"\nAPI p95 with {args.clients} clients: {api_alone['p95']:.0f} ms — {verdict} the "
          f"{TARGET_P95_MS:.0f} ms target; load average now {', '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    main()
