"""The analysis commands of ``diaban`` (one module each) and what every command shares.

``webapp.cli`` assembles them; they take their engine, name their actor and print JSON
through the helpers here, so no command module needs to import ``webapp.cli`` itself. Each
command is a thin click shell: parse the options, call a workflow of ``webapp.workflows``,
print.
"""

from __future__ import annotations

import getpass
import json
from datetime import date, datetime

import click

from geo.settings import database_url
from geo.store import make_engine


def engine_for(ctx: click.Context):
    """The engine of this invocation, created on first use from DATABASE_URL (never at import)."""
    obj = ctx.ensure_object(dict)
    if "engine" not in obj:
        obj["engine"] = make_engine(database_url())
        ctx.find_root().call_on_close(obj["engine"].dispose)
    return obj["engine"]


def print_json(data) -> None:
    """Print ``data`` as JSON (dates as ISO strings, Vietnamese unescaped)."""
    def default(value):
        if isinstance(value, date | datetime):
            return value.isoformat()
        raise TypeError(type(value))
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=default))


def cli_actor() -> str:
    """The login running the command (recorded on snapshots and in the audit log)."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"
