"""An in-process cache of map computations and answers, least recently used first out.

Keys carry everything a result depends on, data included (a fingerprint of the records or
``geo.store.map_layers.data_version``; `data_key` gives the database and its revision), so an
entry is never stale: changed data make a new key, and old entries fall out. The map, the API
and the dashboard share this one cache.

Whole answers (``/api/communes``, the map page) are kept as a `Body`: the text encoded and
gzip-compressed once, when cached. A body may hold slots for what differs per user (the map
page's user name and form token): the fixed parts are compressed once, each ending on a
deflate sync flush, so an answer is spliced from them and the few bytes of the slots' values,
a single valid gzip member, without compressing the page again. `send` answers with the
gzip body when the client accepts it, an ETag, and a 304 when the client has it already.
"""

from __future__ import annotations

import hashlib
import re
import struct
import threading
import zlib
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from flask import Response, has_request_context, request

from geo.store.map_layers import data_version
from webapp.province import requested_province_code

CACHE_SIZE = 64
_CACHE: OrderedDict = OrderedDict()
_LOCK = threading.Lock()
#: The keys being computed now, each with the event its waiters wait on.
_PENDING: dict = {}


def cached(key: tuple, compute: Callable):
    """Return the cached value of ``key``, computing and keeping it if absent.

    Examples
    --------
    >>> calls = []
    >>> cached(("doctest", 1), lambda: calls.append(1) or "value"), cached(("doctest", 1), lambda: "other")
    ('value', 'value')
    >>> calls
    [1]

    Within a request the key also holds the request's province (``webapp.province``): two
    provinces' answers to the same query never share an entry.

    One computation per key at a time: when new data change every key at once, the requests
    that arrive while the first of them computes wait for its value instead of computing the
    same page side by side (twenty clients' renders on two cores took each past a minute).
    Should it fail, the next waiter computes in its turn.
    """
    if has_request_context():
        key = (*key, requested_province_code())
    while True:
        with _LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
            pending = _PENDING.get(key)
            if pending is None:
                _PENDING[key] = threading.Event()
                break
        pending.wait()
    try:
        value = compute()
        with _LOCK:
            _CACHE[key] = value
            while len(_CACHE) > CACHE_SIZE:
                _CACHE.popitem(last=False)
    finally:
        with _LOCK:
            _PENDING.pop(key).set()
    return value


def data_key(engine) -> tuple[str, int]:
    """The part of a key that stands for the data: the database and its data revision.

    The revision is bumped in the writer's transaction by every load, classification,
    decision and boundary change (``geo.store.map_layers.data_version``); the database's URL
    keeps two databases served by one process apart.
    """
    return str(engine.url), data_version(engine)


def cache_size() -> int:
    """How many results are kept now."""
    with _LOCK:
        return len(_CACHE)


#: zlib level of cached bodies: compressed once per entry, so the smaller answer wins.
GZIP_LEVEL = 9
_GZIP_HEADER = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\xff"  # deflate, no name, mtime 0, unknown OS
_LAST_BLOCK = b"\x03\x00"  # an empty final deflate block (fixed Huffman)


def _deflate(data: bytes, level: int) -> bytes:
    """Raw deflate blocks of ``data`` ending on a sync flush (byte-aligned, not final)."""
    packer = zlib.compressobj(level, zlib.DEFLATED, -zlib.MAX_WBITS)
    return packer.compress(data) + packer.flush(zlib.Z_SYNC_FLUSH)


@dataclass(frozen=True)
class Body:
    """A cached answer: fixed UTF-8 parts, their deflate blocks, and the slots between them.

    Build it with `make_body`; `text`, `gzip` and `etag` fill the slots per request.
    """

    parts: tuple[bytes, ...]
    packed: tuple[bytes, ...]
    slots: tuple[str, ...]
    digest: str
    head_crc: int
    packed_whole: bytes = b""  # the gzip answer of a body without slots, assembled once

    def text(self, values: Mapping[str, str]) -> bytes:
        """The answer's bytes, each slot filled with its value."""
        return b"".join(self._pieces(values))

    def gzip(self, values: Mapping[str, str]) -> bytes:
        """The answer as one gzip member: the cached blocks, the values' blocks, CRC and size."""
        if not self.slots:
            return self.packed_whole
        crc, size, blocks = self.head_crc, len(self.parts[0]), [_GZIP_HEADER, self.packed[0]]
        for i, piece in enumerate(self._pieces(values)):
            if i:  # the first part's CRC is kept
                crc, size = zlib.crc32(piece, crc), size + len(piece)
                blocks.append(self.packed[i // 2] if i % 2 == 0 else _deflate(piece, 1))
        return b"".join([*blocks, _LAST_BLOCK, struct.pack("<II", crc, size & 0xFFFFFFFF)])

    def etag(self, values: Mapping[str, str]) -> str:
        """A tag of the filled answer (the fixed parts' digest and the values)."""
        if not self.slots:
            return self.digest
        filled = "\x00".join([self.digest, *(values[name] for name in self.slots)])
        return hashlib.blake2b(filled.encode(), digest_size=12).hexdigest()

    def _pieces(self, values: Mapping[str, str]):
        yield self.parts[0]
        for name, part in zip(self.slots, self.parts[1:], strict=True):
            yield values[name].encode("utf-8")
            yield part


def make_body(text: str, slots: Mapping[str, str] | None = None) -> Body:
    """Encode and compress ``text`` once; ``slots`` maps a name to the mark standing for it in ``text``.

    Examples
    --------
    >>> import gzip
    >>> body = make_body("<p>Hello MARK-U, token MARK-T.</p>", {"user": "MARK-U", "token": "MARK-T"})
    >>> body.slots, body.text({"user": "An", "token": "x1"})
    (('user', 'token'), b'<p>Hello An, token x1.</p>')
    >>> gzip.decompress(body.gzip({"user": "Bình", "token": "y2"})).decode()
    '<p>Hello Bình, token y2.</p>'
    >>> gzip.decompress(make_body("{}").gzip({}))
    b'{}'
    """
    names = {mark: name for name, mark in (slots or {}).items()}
    pieces = re.split(f"({'|'.join(map(re.escape, names))})", text) if names else [text]
    parts = tuple(piece.encode("utf-8") for piece in pieces[0::2])
    body = Body(parts=parts, packed=tuple(_deflate(part, GZIP_LEVEL) for part in parts),
                slots=tuple(names[mark] for mark in pieces[1::2]),
                digest=hashlib.blake2b(b"\x00".join(parts), digest_size=12).hexdigest(),
                head_crc=zlib.crc32(parts[0]))
    if body.slots:
        return body
    trailer = struct.pack("<II", body.head_crc, len(parts[0]) & 0xFFFFFFFF)
    return replace(body, packed_whole=b"".join([_GZIP_HEADER, body.packed[0], _LAST_BLOCK, trailer]))


def send(body: Body, mimetype: str, values: Mapping[str, str] | None = None) -> Response:
    """Answer with ``body`` (gzip when accepted), its ETag, and 304 when the client has that tag.

    ``Cache-Control: private, no-cache``: the answer is the user's, and a browser asks again
    each time (a 304 when nothing changed).
    """
    values = values or {}
    packed = "gzip" in request.accept_encodings
    tag = body.etag(values) + ("-gzip" if packed else "")
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304)
    else:
        response = Response(body.gzip(values) if packed else body.text(values), mimetype=mimetype)
        if packed:
            response.headers["Content-Encoding"] = "gzip"
    response.set_etag(tag)
    response.vary.add("Accept-Encoding")
    response.headers["Cache-Control"] = "private, no-cache"
    return response
