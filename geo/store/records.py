"""Write record frames (establishments, sites, incidents, inspections, …) in bulk."""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely
from geoalchemy2.elements import WKBElement
from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from geo.settings import STORAGE_SRID
from geo.store.models import AdminUnit, Base


def insert_frame(session: Session, model: type[Base], frame: pd.DataFrame, *,
                 batch_id: int) -> list[int]:
    """Insert every row of ``frame`` into ``model``'s table and return the new ids in order.

    Columns must be the model's column names; a ``geom`` column holds shapely geometries
    (or ``None``) in EPSG:4326. Missing values become NULL.
    """
    if frame.empty:
        return []
    data = frame.copy()
    if "geom" in data:
        data["geom"] = [_wkb(g) for g in data["geom"]]
    data["import_batch_id"] = batch_id
    rows = [
        {k: (None if _missing(v) else _plain(v)) for k, v in row.items()}
        for row in data.to_dict(orient="records")
    ]
    statement = insert(model).returning(model.id, sort_by_parameter_order=True)
    return list(session.scalars(statement, rows))


def unit_ids(session: Session, vintage_id: str, codes) -> dict[str, int]:
    """Map unit codes of one vintage to their row ids."""
    query = select(AdminUnit.code, AdminUnit.id).where(
        AdminUnit.vintage_id == vintage_id, AdminUnit.code.in_(list(set(codes))))
    return dict(session.execute(query).all())


def _wkb(geom) -> WKBElement | None:
    """Return a shapely geometry as a WKB element in the storage SRID."""
    if geom is None or (isinstance(geom, float) and np.isnan(geom)) or geom.is_empty:
        return None
    return WKBElement(shapely.to_wkb(geom), srid=STORAGE_SRID)


def _missing(value) -> bool:
    """True for None, NaN and pandas' NA (but not for lists and geometries)."""
    return value is None or (np.isscalar(value) and pd.isna(value))


def _plain(value):
    """Turn numpy scalars into Python ones for the driver."""
    return value.item() if isinstance(value, np.generic) else value
