"""The attestations recorded for a period: the newest one per commune and criterion.

The classification reads every attestation (``geo.store.classification``); this read serves the
attestation pages, which show what is on record for one period label exactly.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Connection, Engine, text

from geo.store.engine import connection

_LATEST = text("""
    SELECT DISTINCT ON (a.unit_id, a.criterion_id)
           u.code AS commune_code, a.criterion_id, a.holds, a.value, a.assessed_by, a.assessed_at,
           a.id AS assessment_id
    FROM criterion_assessment a JOIN admin_unit u ON u.id = a.unit_id
    WHERE u.vintage_id = :v AND a.period = :p AND (CAST(:code AS text) IS NULL OR u.code = :code)
    ORDER BY a.unit_id, a.criterion_id, a.assessed_at DESC, a.id DESC""")


def latest_attestations(conn: Connection | Engine, vintage_id: str, *, period: str,
                        commune_code: str | None = None) -> pd.DataFrame:
    """The newest attestation of each commune and criterion recorded for ``period`` on ``vintage_id``.

    Newest as the classification decides: the latest ``assessed_at``, then the latest record.

    Parameters
    ----------
    conn : Connection or Engine
    vintage_id : str
        The boundary vintage of the communes.
    period : str
        A period label as stored (``2018``, ``2018-Q2``, ...); attestations of other periods are left out.
    commune_code : str, optional
        One commune only.

    Returns
    -------
    DataFrame
        ``commune_code, criterion_id, holds, value, assessed_by, assessed_at, assessment_id``, by commune.
    """
    with connection(conn) as c:
        frame = pd.read_sql(_LATEST, c, params={"v": vintage_id, "p": period, "code": commune_code})
    return frame.sort_values(["commune_code", "criterion_id"], kind="stable").reset_index(drop=True)
