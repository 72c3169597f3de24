"""The pseudonymisation key (HMAC) of case and record numbers, read at the edge and passed down.

``DIABAN_HMAC_KEY`` wins; otherwise the key is kept in the instance folder (``instance/hmac_key``,
mode 600), created on first use, as the session key is. The key never goes into the database: with it
a case number could be tested against the stored hashes. Keep a copy of the key file in a safe
place: with another key, re-imports no longer recognise the rows already loaded.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

ENV_VAR = "DIABAN_HMAC_KEY"
KEY_FILE = "hmac_key"


def hmac_key(instance_path: str | Path) -> bytes:
    """The key from ``DIABAN_HMAC_KEY``, else from ``instance_path/hmac_key`` (created if absent).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first, again = hmac_key(tmp), hmac_key(tmp)
    ...     mode = oct(Path(tmp, KEY_FILE).stat().st_mode & 0o777)
    >>> first == again, len(first), mode
    (True, 64, '0o600')
    """
    if os.environ.get(ENV_VAR):
        return os.environ[ENV_VAR].encode("utf-8")
    path = Path(instance_path) / KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip().encode("utf-8")


def app_hmac_key(app: Flask) -> bytes:
    """The key of a running app: ``HMAC_KEY`` of its configuration, else :func:`hmac_key` of its instance."""
    if "diaban.hmac_key" not in app.extensions:
        configured = app.config.get("HMAC_KEY")
        app.extensions["diaban.hmac_key"] = (configured.encode("utf-8") if isinstance(configured, str)
                                             else configured) or hmac_key(app.instance_path)
    return app.extensions["diaban.hmac_key"]


def cli_hmac_key() -> bytes:
    """The key for a ``diaban`` command: the same instance folder as the web app's."""
    return hmac_key(Flask("webapp", instance_relative_config=True).instance_path)
