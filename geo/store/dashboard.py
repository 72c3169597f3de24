"""Read-only aggregates for the planners' dashboard: snapshot series, status counts, establishments.

Every count here is per commune or coarser; nothing identifies a site, an establishment or a
person. Records are placed with the store's one rule (:func:`geo.store.counts.locate_sql`).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Engine, text

from geo.errors import PeriodError
from geo.periods import parse_period
from geo.store.classification import newest_snapshots
from geo.store.counts import locate_sql
from geo.store.engine import connection
from geo.store.models import CLASSIFICATION_STATUSES

_SNAPSHOT_COLUMNS = ["period", "convention", "ruleset_id", "ruleset_version", "data_as_of", "created_at"]
SERIES_COLUMNS = ["snapshot_id", "period", "convention", "ruleset_id", "ruleset_version", "data_as_of",
                  "created_at", "communes", *CLASSIFICATION_STATUSES, "healthy_share"]

_STATUS_COUNTS = """
SELECT r.snapshot_id, r.status, count(*) AS n
FROM classification_result r
WHERE r.snapshot_id = ANY(:ids) AND (CAST(:codes AS text[]) IS NULL OR r.commune_code = ANY(:codes))
GROUP BY 1, 2"""

_ESTABLISHMENTS = locate_sql("SELECT e.geom, e.unit_id FROM establishment e")


def healthy_share_series(conn: Connection | Engine, vintage: str, *,
                         commune_codes: list[str] | None = None) -> pd.DataFrame:
    """The status counts of the newest classification snapshot of each period on ``vintage``.

    Parameters
    ----------
    vintage : str
        Boundary vintage id the snapshots were taken on.
    commune_codes : list of str, optional
        Count only these communes (e.g. one district's); default every commune.

    Returns
    -------
    DataFrame
        One row per (period, convention), in time order (by the period's end, then start):
        :data:`SERIES_COLUMNS`; ``healthy_share`` is healthy / communes classified (0–1),
        NaN when no commune of ``commune_codes`` was classified.
    """
    with connection(conn) as c:
        snaps = pd.DataFrame([{"snapshot_id": s.id, **{k: getattr(s, k) for k in _SNAPSHOT_COLUMNS}}
                              for s in newest_snapshots(c, vintage=vintage)],
                             columns=["snapshot_id", *_SNAPSHOT_COLUMNS])
        counts = pd.read_sql(text(_STATUS_COUNTS), c, params={
            "ids": [int(i) for i in snaps["snapshot_id"]], "codes": commune_codes})
    table = (counts.pivot_table(index="snapshot_id", columns="status", values="n", aggfunc="sum")
             .reindex(index=snaps["snapshot_id"], columns=list(CLASSIFICATION_STATUSES)).fillna(0)
             .astype("int64"))
    out = snaps.merge(table, left_on="snapshot_id", right_index=True, how="left")
    out["communes"] = out[list(CLASSIFICATION_STATUSES)].sum(axis=1).astype("int64")
    out["healthy_share"] = out["healthy"] / out["communes"].where(out["communes"] > 0)
    order = [_period_order(p, cv) for p, cv in zip(out["period"], out["convention"], strict=True)]
    out = out.assign(_order=order).sort_values("_order", kind="stable").drop(columns="_order")
    return out[SERIES_COLUMNS].reset_index(drop=True)


def _period_order(label: str, convention: str) -> tuple:
    """Sort key of a snapshot's period: its end, then its start (unknown labels last)."""
    try:
        window = parse_period(label, convention=convention)
    except PeriodError:
        return (1, label)
    return (0, window.end, window.start)


def establishments_by_unit(conn: Connection | Engine, vintage: str) -> tuple[pd.Series, int]:
    """Count the establishments on record per commune of ``vintage``.

    Returns
    -------
    (Series, int)
        Counts indexed by ``commune_code`` (communes without any are absent), and the number
        of establishments no commune of the vintage takes.
    """
    with connection(conn) as c:
        rows = c.execute(text(_ESTABLISHMENTS), {"vintage": vintage}).all()
    counts = {code: int(n) for code, n in rows}
    unassigned = counts.pop(None, 0)
    series = pd.Series(counts, dtype="int64", name="establishments")
    series.index.name = "commune_code"
    return series, unassigned
