"""Settings declared once: coordinate reference systems and the default database.

Storage is WGS 84 longitude/latitude (EPSG:4326), as every boundary source ships.
Distances and buffers are computed in ``WORK_CRS`` and published areas in ``AREA_CRS``.

``WORK_CRS`` is WGS 84 / UTM 48N (EPSG:32648) rather than VN-2000 / UTM 48N (EPSG:3405):
both are the same projection, but reaching EPSG:3405 from storage needs the VN-2000 datum
shift, and pyproj picks EPSG:5194 or EPSG:6960 for it depending on where a point lies
(``boundaries/provinces/dong_nai/BOUNDARIES-SOURCES.md`` §5), which would put sub-metre seams into distance
work. Staying on the storage datum avoids that; the UTM scale error inside the province is
below 0.06 %. Incoming VN-2000 coordinates are converted by the ETL with EPSG:6960 pinned.

Examples
--------
>>> STORAGE_SRID, WORK_CRS, AREA_CRS
(4326, 'EPSG:32648', 'EPSG:6933')
"""

from __future__ import annotations

import os
from collections.abc import Mapping

STORAGE_SRID = 4326
STORAGE_CRS = f"EPSG:{STORAGE_SRID}"
WORK_CRS = "EPSG:32648"
AREA_CRS = "EPSG:6933"

#: The seed of every random draw unless another is given, so results are reproducible: the
#: permutation tests (``geo.hotspots``, ``geo.reactivation.knox_test``) and the demo data set
#: (``etl.demo``, ``diaban demo --seed``).
DEFAULT_SEED = 2016

#: The local PostgreSQL over Debian's unix socket directory, database ``diaban``, as the
#: operating-system user (peer authentication). psycopg's bundled libpq looks in /tmp by
#: default, so the socket directory is named explicitly.
DEFAULT_DATABASE_URL = "postgresql+psycopg:///diaban?host=/var/run/postgresql"


def database_url(environ: Mapping[str, str] | None = None) -> str:
    """Return the database URL from ``DATABASE_URL``, or the local default.

    Parameters
    ----------
    environ : mapping, optional
        The environment to read; ``os.environ`` when omitted. Read at call time only.

    Returns
    -------
    str
        An SQLAlchemy URL; a bare ``postgresql://`` scheme is given the psycopg 3 driver.

    Examples
    --------
    >>> database_url({"DATABASE_URL": "postgresql://u@h/db"})
    'postgresql+psycopg://u@h/db'
    >>> database_url({}) == DEFAULT_DATABASE_URL
    True
    """
    env = os.environ if environ is None else environ
    url = env.get("DATABASE_URL") or DEFAULT_DATABASE_URL
    for bare in ("postgresql://", "postgres://"):
        if url.startswith(bare):
            return "postgresql+psycopg://" + url[len(bare):]
    return url
