"""One export, as ``diaban export`` and the download page both make it: read, write, audit.

:func:`export_layers` reads the layers with ``webapp.workflows.layers``, writes them with
``geo.exports`` (metadata: generator, period, vintage, data as-of, synthetic flag) and
records the request in the audit log. ``webapp.reports`` and ``diaban export`` both call it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from geo.exports import write_layers
from geo.periods import parse_period
from geo.store import session_scope
from geo.store.audit import audit
from geo.store.counts import data_as_of
from geo.store.units import choose_vintage
from webapp.workflows.layers import read_layers

if TYPE_CHECKING:
    from sqlalchemy import Engine


def export_layers(engine: Engine, layers: tuple[str, ...], out: Path, *, options: dict, actor: str,
                  generator: str = "diaban export") -> tuple[Path, dict[str, int]]:
    """Write ``layers`` to ``out`` and audit it; return the file written and the features per layer.

    Parameters
    ----------
    engine : Engine
        The database.
    layers : tuple of str
        Names from ``webapp.workflows.layers.LAYER_NAMES``.
    out : Path
        The file to write (a shapefile is one ``.zip``).
    options : dict
        ``fmt, crs, public, with_names, period`` (label or None) and ``vintage`` (id or None:
        the one valid on the period's last day, else the newest); ``vintage`` is set to the
        one used.
    actor : str
        Who asked, for the audit log.
    generator : str
        Recorded in the file's metadata.

    Raises
    ------
    DiabanError, ValueError
        A request that cannot be honoured (format, CRS, public mode, a dated layer without a
        period); nothing is audited then.
    """
    period = parse_period(options["period"]) if options["period"] else None
    with engine.connect() as conn:
        options["vintage"] = choose_vintage(conn, period, options["vintage"],
                                            province=options.get("province")).id
        frames = read_layers(conn, layers, period=period, vintage=options["vintage"],
                             with_names=options["with_names"])
        as_of = data_as_of(conn)
    metadata = {"generator": generator, "period": options["period"] or "", "vintage": options["vintage"],
                "data_as_of": as_of["as_of"], "synthetic": str(as_of["synthetic"]).lower()}
    written = write_layers(frames, out, fmt=options["fmt"], crs=options["crs"], public=options["public"],
                           metadata=metadata)
    _audit(engine, actor, layers, options)
    return written, {name: len(frame) for name, frame in frames.items()}


def _audit(engine: Engine, actor: str, layers, options: dict) -> None:
    """Record the export in the audit log (no data, only what was asked for)."""
    with session_scope(engine) as session:
        audit(session, actor, "export", ",".join(layers), format=options["fmt"],
              crs=options["crs"], public=options["public"], with_names=options["with_names"],
              period=options["period"], vintage=options["vintage"])
