"""Which boundary vintage a date falls in: the one rule, free of the database.

A record is placed on the units of its date: the vintage in force that day, else the latest
that began before it (a province whose configuration leaves a gap), else the oldest. The
store (``geo.store.units.pick_vintage``) and the demo generator both apply it; anything with
``valid_from`` and ``valid_to`` (None: still in force) is a vintage here.
"""

from __future__ import annotations

from datetime import date

from geo.errors import UnknownVintageError


def in_force(vintage, day: date) -> bool:
    """True when ``vintage`` is in force on ``day``."""
    return vintage.valid_from <= day and (vintage.valid_to is None or day <= vintage.valid_to)


def vintage_on(vintages: list, day: date):
    """The vintage of ``vintages`` (oldest first) a record of ``day`` goes on.

    Raises
    ------
    UnknownVintageError
        When ``vintages`` is empty.
    """
    started = [v for v in vintages if v.valid_from <= day]
    chosen = [v for v in started if in_force(v, day)] or started or vintages[:1]
    if not chosen:
        raise UnknownVintageError("no boundary vintage is loaded; run `diaban boundaries load`")
    return chosen[-1]
