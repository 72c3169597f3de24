"""The analysis commands of ``diaban`` (one module each) and what every command shares.

``webapp.cli`` assembles them; they take their engine and print JSON through the helpers
here, so no command module needs to import ``webapp.cli`` itself.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime

import click
import numpy as np
import pandas as pd

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


def json_ready(value):
    """A JSON-ready value: numpy scalars to Python, timestamps to dates, NaN/NaT/NA to None.

    Examples
    --------
    >>> json_ready([np.int64(3), float("nan"), pd.NaT, pd.Timestamp("2020-01-02 10:00")])
    [3, None, None, datetime.date(2020, 1, 2)]
    """
    if isinstance(value, list | tuple | np.ndarray):
        return [json_ready(v) for v in value]
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def json_ready_dict(data: dict) -> dict:
    """A dict with ``json_ready`` values."""
    return {k: json_ready(v) for k, v in data.items()}
