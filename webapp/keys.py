"""The keys kept in the instance folder: the session key and the pseudonymisation key (HMAC).

Both are created on first use with mode 600 from the first byte (``O_CREAT | O_EXCL``), never
written first and restricted afterwards. The session key signs the cookies (``SECRET_KEY``
wins over ``instance/secret_key``). For the HMAC key of case and record numbers,
``DIABAN_HMAC_KEY`` wins; otherwise it is kept in ``instance/hmac_key``. The key never goes
into the database: with it a case number could be tested against the stored hashes. Keep a
copy of the key file in a safe place: with another key, re-imports no longer recognise the
rows already loaded.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask

ENV_VAR = "DIABAN_HMAC_KEY"
KEY_FILE = "hmac_key"
SESSION_KEY_FILE = "secret_key"


def instance_key(path: str | Path) -> str:
    """The key kept in the file ``path``, created with 64 random hex digits, mode 600, if absent.

    The file is created with ``os.open(..., O_CREAT | O_EXCL, 0o600)``: it is never readable by
    others, not even for an instant, and two processes starting together keep the same key.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     first, again = instance_key(Path(tmp, "k")), instance_key(Path(tmp, "k"))
    ...     mode = oct(Path(tmp, "k").stat().st_mode & 0o777)
    >>> first == again, len(first), mode
    (True, 64, '0o600')
    """
    path = Path(path)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it a moment ago
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
    return path.read_text().strip()


def session_key(instance_path: str | Path) -> str:
    """The session (cookie-signing) key kept in ``instance_path/secret_key``, created if absent."""
    return instance_key(Path(instance_path) / SESSION_KEY_FILE)


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
    return instance_key(Path(instance_path) / KEY_FILE).encode("utf-8")


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
