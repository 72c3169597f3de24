"""An in-process cache of map computations (series, hot spots, density), least recently used first out.

Keys carry everything a result depends on, data included (a fingerprint of the records or
``geo.store.map_layers.data_version``), so an entry is never stale: changed data make a new
key, and old entries fall out.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

CACHE_SIZE = 64
_CACHE: OrderedDict = OrderedDict()
_LOCK = threading.Lock()


def cached(key: tuple, compute: Callable):
    """Return the cached value of ``key``, computing and keeping it if absent.

    Examples
    --------
    >>> calls = []
    >>> cached(("doctest", 1), lambda: calls.append(1) or "value"), cached(("doctest", 1), lambda: "other")
    ('value', 'value')
    >>> calls
    [1]
    """
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    value = compute()
    with _LOCK:
        _CACHE[key] = value
        while len(_CACHE) > CACHE_SIZE:
            _CACHE.popitem(last=False)
    return value


def cache_size() -> int:
    """How many results are kept now."""
    with _LOCK:
        return len(_CACHE)
