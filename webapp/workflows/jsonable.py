"""JSON-ready values of analysis results: what the CLI prints and the web answers.

Examples
--------
>>> json_ready_dict({"n": np.int64(2), "when": pd.Timestamp("2020-01-02")})
{'n': 2, 'when': datetime.date(2020, 1, 2)}
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pandas as pd


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


def json_records(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Rows of ``frame`` as JSON-ready dicts with the given columns.

    Examples
    --------
    >>> json_records(pd.DataFrame({"a": ["x"], "b": [float("nan")]}), ["a", "b"])
    [{'a': 'x', 'b': None}]
    """
    return [{c: json_ready(row[c]) for c in columns} for _, row in frame.iterrows()]
