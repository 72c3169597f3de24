"""Heavy work out of the server's way: child processes under limits, and a queue per user.

:func:`run_limited` runs a function in a child process (multiprocessing's ``forkserver``
context: the server's threads are never forked, and the heavy modules are imported once in the
fork server, so a child starts in milliseconds). The child lowers its priority (:data:`NICE`)
and caps its address space at what it had on start plus ``memory_mb``; the parent waits at
most ``seconds``, then ends it. A child over either limit raises :class:`LimitExceeded` in the
parent, naming the limit; whatever it had written in an open transaction is rolled back by the
database when its connection ends. The child's own errors are raised again in the parent.

:class:`Gate` lets one heavy request per user and a few in all run at a time (the others wait
briefly, then get :class:`Busy`, answered as 429 by ``webapp.errors``), so that briefings and
exports never starve the requests of the maps and ``/healthz``.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from flask import Flask, current_app, g

from geo.store import make_engine
from webapp.errors import Busy, LimitExceeded

if TYPE_CHECKING:
    from sqlalchemy import Engine

#: Memory a child may use beyond what it had on start, in MB (config ``HEAVY_MEMORY_MB``).
MEMORY_MB = 2048
#: Wall-clock time a briefing or an export may take, in seconds (config ``HEAVY_SECONDS``).
SECONDS = 600
#: Heavy requests running at once in one server process (config ``HEAVY_MAX_TOTAL``).
MAX_TOTAL = 2
#: How long a heavy request waits for its turn before a 429, in seconds (config ``HEAVY_WAIT_SECONDS``).
WAIT_SECONDS = 5.0
#: The niceness added to a child, so that request threads keep the processors first.
NICE = 10
#: Modules the fork server imports once, so that children start without importing them.
PRELOAD = ["etl.pipeline", "webapp.briefing", "webapp.exporting"]

_GATE_LOCK = threading.Lock()
_CONTEXT = multiprocessing.get_context("forkserver")
_CONTEXT.set_forkserver_preload(PRELOAD)


def run_limited(func: Callable, *args, memory_mb: float = MEMORY_MB, seconds: float = SECONDS):
    """Run ``func(*args)`` in a child process under the limits and return its result.

    ``func`` and ``args`` must be picklable (a module-level function, plain values).

    Raises
    ------
    LimitExceeded
        The child needed more than ``memory_mb`` (or died without an answer) or more than
        ``seconds``; it is ended and nothing it left uncommitted stays.
    Exception
        Whatever ``func`` raised, raised again here.
    """
    receiver, sender = _CONTEXT.Pipe(duplex=False)
    process = _CONTEXT.Process(target=_child, args=(sender, func, args, memory_mb), daemon=True)
    process.start()
    sender.close()
    try:
        outcome, value = _receive(receiver, seconds, memory_mb)
    except LimitExceeded:
        process.kill()  # at once: a child over its time must not reach its commit
        raise
    finally:
        receiver.close()
        _end(process)
    if outcome == "memory":
        raise LimitExceeded("memory", memory_mb)
    if outcome == "error":
        raise _rebuild(*value)
    return value


def _receive(receiver, seconds: float, memory_mb: float) -> tuple[str, object]:
    """The child's answer; LimitExceeded when it takes too long or dies without answering."""
    if not receiver.poll(seconds):
        raise LimitExceeded("time", seconds)
    try:
        return receiver.recv()
    except EOFError:  # killed, or aborted in C code when an allocation failed
        raise LimitExceeded("memory", memory_mb) from None


def _end(process) -> None:
    """Wait for the child, which has answered or been killed; end it if it lingers after answering."""
    process.join(5)
    if process.is_alive():
        process.kill()
        process.join()
    process.close()


def _child(sender, func: Callable, args: tuple, memory_mb: float) -> None:
    """The child: lower priority, cap memory, run, send ``(outcome, value)`` back."""
    os.nice(NICE)
    _cap_memory(memory_mb)
    try:
        answer = ("ok", func(*args))
    except MemoryError:
        answer = ("memory", None)
    except Exception as exc:  # sent to the parent, which raises it again
        answer = ("error", (type(exc), exc.args, vars(exc), traceback.format_exc()))
    try:
        sender.send(answer)
    except OSError:  # the parent stopped listening (its time limit): nothing to tell
        pass
    except Exception:  # an unpicklable result or error: send its text instead
        text = traceback.format_exc()
        sender.send(("error", (RuntimeError, (f"the child's answer cannot be sent back: {text}",), {}, text)))
    finally:
        sender.close()


def _rebuild(kind: type, args: tuple, state: dict, child_traceback: str) -> BaseException:
    """The child's exception, rebuilt without calling its ``__init__`` (which may take other arguments)."""
    exc = kind.__new__(kind)
    exc.args = args
    vars(exc).update(state)
    exc.add_note(f"raised in a child process:\n{child_traceback}")
    return exc


def _cap_memory(memory_mb: float) -> None:
    """Limit the address space to its current size plus ``memory_mb`` (the libraries loaded count)."""
    with open("/proc/self/status") as status:
        size_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
    limit = size_kb * 1024 + int(memory_mb * 1024 ** 2)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class Gate:
    """At most one heavy request per user and ``total`` in all; the others wait up to ``wait`` seconds.

    Examples
    --------
    >>> gate = Gate(total=1, wait=0)
    >>> with gate.turn("an"):
    ...     try:
    ...         with gate.turn("binh"):
    ...             pass
    ...     except Busy as exc:
    ...         print(exc.scope)
    total
    """

    def __init__(self, *, total: int = MAX_TOTAL, wait: float = WAIT_SECONDS) -> None:
        self.total, self.wait = total, wait
        self._users: set[str] = set()
        self._changed = threading.Condition()

    @contextmanager
    def turn(self, user: str) -> Iterator[None]:
        """Hold a turn for ``user`` during the block; raise :class:`Busy` when none came in time."""
        deadline = time.monotonic() + self.wait
        with self._changed:
            while user in self._users or len(self._users) >= self.total:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Busy("user" if user in self._users else "total", retry_after=max(5, int(self.wait)))
                self._changed.wait(remaining)
            self._users.add(user)
        try:
            yield
        finally:
            with self._changed:
                self._users.discard(user)
                self._changed.notify_all()


def heavy_gate(app: Flask | None = None) -> Gate:
    """The app's gate for briefings and exports (``HEAVY_MAX_TOTAL``, ``HEAVY_WAIT_SECONDS``)."""
    app = app or current_app._get_current_object()
    with _GATE_LOCK:
        if "diaban.heavy_gate" not in app.extensions:
            app.extensions["diaban.heavy_gate"] = Gate(
                total=int(app.config.get("HEAVY_MAX_TOTAL", MAX_TOTAL)),
                wait=float(app.config.get("HEAVY_WAIT_SECONDS", WAIT_SECONDS)))
    return app.extensions["diaban.heavy_gate"]


def run_heavy(func: Callable, *args):
    """Run ``func(*args)`` for the current request: in its user's turn, in a child under the app's limits."""
    config = current_app.config
    with heavy_gate().turn(g.user["username"]):
        return run_limited(func, *args, memory_mb=float(config.get("HEAVY_MEMORY_MB", MEMORY_MB)),
                           seconds=float(config.get("HEAVY_SECONDS", SECONDS)))


def database_url(app: Flask | None = None) -> str:
    """The URL (with its password) a child connects with: that of the app's engine."""
    app = app or current_app._get_current_object()
    return app.extensions["diaban.engine"].url.render_as_string(hide_password=False)


@contextmanager
def child_engine(url: str) -> Iterator[Engine]:
    """An engine for the life of a child: no pool (one process, a few connections), disposed at the end."""
    engine = make_engine(url, pooled=False)
    try:
        yield engine
    finally:
        engine.dispose()
