"""What a map or API request asks for: a period and a boundary vintage, with defaults."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, request

from geo.errors import UnknownVintageError
from geo.periods import Period, last_closed_half, parse_period
from geo.store.units import list_vintages, vintage_for_period


@dataclass(frozen=True)
class Selection:
    """A period and the vintage its communes are drawn in."""

    period: Period
    vintage: dict
    vintages: list[dict]


def current_selection(today: date | None = None) -> Selection:
    """Read ``period`` and ``vintage`` from the query string.

    Defaults: the last closed half-year, on the vintage valid on its last day. Raises
    ``PeriodError`` or ``UnknownVintageError`` (turned into 400 answers) for bad values.
    """
    engine = current_app.extensions["diaban.engine"]
    period = parse_period(request.args.get("period") or last_closed_half(today or date.today()).label)
    vintages = list_vintages(engine)
    if not vintages:
        raise UnknownVintageError("no boundary vintage is loaded; run `diaban boundaries load`")
    wanted = request.args.get("vintage") or vintage_for_period(engine, period)
    chosen = [v for v in vintages if v["id"] == wanted]
    if not chosen:
        known = ", ".join(v["id"] for v in vintages)
        raise UnknownVintageError(f"vintage {wanted!r} is not loaded; use one of: {known}")
    return Selection(period=period, vintage=chosen[0], vintages=vintages)
