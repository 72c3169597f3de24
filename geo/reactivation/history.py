"""Location history check: what was ever recorded within a radius of a place.

Before a business is licensed at a place, the plan forbids licensing where sanctions were
already imposed. For a point (longitude, latitude in EPSG:4326) this lists, sorted by date,
every inspection **violation** at an establishment (the rule of
:func:`geo.reactivation.is_violation`), every **site event** (identified, cleared,
reactivated, recleared; a site without events appears once, undated) and every
**incident** of any kind within ``radius_m`` metres (``WORK_CRS``), with its distance.

No person data exists in the store, and none is returned; establishments appear by id and
type only, never by name (business data reserved to analysts and above).
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import ReactivationError
from geo.reactivation.evidence import VIOLATION_OUTCOMES, is_violation
from geo.reactivation.frames import check_positive, require_columns, work_xy
from geo.settings import STORAGE_CRS, WORK_CRS

HISTORY_COLUMNS = ["date", "record", "record_id", "kind", "site_id", "establishment_id",
                   "establishment_type", "violation_codes", "distance_m"]
RECORD_ORDER = ("site", "site_event", "incident", "inspection_violation")


def location_history(lon: float, lat: float, *, sites: gpd.GeoDataFrame | None = None,
                     site_events: pd.DataFrame | None = None, incidents: gpd.GeoDataFrame | None = None,
                     inspections: gpd.GeoDataFrame | None = None,
                     establishments: gpd.GeoDataFrame | None = None, radius_m: float = 100.0,
                     violation_outcomes: Iterable[str] = VIOLATION_OUTCOMES) -> pd.DataFrame:
    """Every past violation, site event and incident within ``radius_m`` of a point, by date.

    Parameters
    ----------
    lon, lat : float
        The place, in degrees (EPSG:4326).
    sites, site_events, incidents, inspections : frames, optional
        As read by ``geo.store.records``; any part left out is not searched.
    establishments : GeoDataFrame, optional
        ``establishment_id, establishment_type``: types for incidents and in-establishment
        sites (inspections carry their own). Names, if present, are never read.
    radius_m : float, default 100
        Search radius in metres.
    violation_outcomes : iterable of str
        Inspection outcomes that count as a violation (non-empty violation codes always do).

    Returns
    -------
    DataFrame
        ``date`` (datetime64; NaT for a site without events), ``record`` (``site``,
        ``site_event``, ``incident``, ``inspection_violation``), ``record_id``, ``kind``
        (event type, incident kind or inspection outcome), ``site_id``,
        ``establishment_id``, ``establishment_type``, ``violation_codes`` (list) and
        ``distance_m``, sorted by date, then record and id. Records without a point are
        not searched.

    Examples
    --------
    >>> from datetime import date
    >>> inc = gpd.GeoDataFrame({"incident_id": [1, 2], "event_date": [date(2019, 5, 1)] * 2,
    ...     "incident_kind": ["chua_mai_dam", "mua_ban_dam"], "establishment_id": [None, None]},
    ...     geometry=gpd.points_from_xy([106.8200, 106.8300], [10.95, 10.95]), crs=4326)
    >>> found = location_history(106.8201, 10.95, incidents=inc)
    >>> found[["record", "record_id", "distance_m"]].values.tolist()
    [['incident', 1, 10.9]]
    """
    check_positive(radius_m, "radius_m")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise ReactivationError(f"({lon!r}, {lat!r}) is not a longitude, latitude in degrees (EPSG:4326)")
    here = gpd.GeoSeries.from_xy([lon], [lat], crs=STORAGE_CRS).to_crs(WORK_CRS)
    x0, y0 = float(here.x.iloc[0]), float(here.y.iloc[0])
    types = _types(establishments)
    parts = [
        _sites(sites, site_events, types, x0, y0, radius_m) if sites is not None else None,
        _incidents(incidents, types, x0, y0, radius_m) if incidents is not None else None,
        _violations(inspections, violation_outcomes, x0, y0, radius_m) if inspections is not None else None,
    ]
    parts = [p for p in parts if p is not None and len(p)]
    if not parts:
        return pd.DataFrame({c: [] for c in HISTORY_COLUMNS})
    out = pd.concat(parts, ignore_index=True)
    out["date"] = pd.to_datetime(pd.Series(out["date"].to_numpy(), dtype=object))
    out["_order"] = out["record"].map({r: i for i, r in enumerate(RECORD_ORDER)})
    out = out.sort_values(["date", "_order", "record_id"], na_position="last", kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)[HISTORY_COLUMNS]


def _near(frame, what: str, x0: float, y0: float, radius_m: float) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of ``frame`` within the radius, and their distances (rounded to 0.1 m)."""
    x, y = work_xy(frame, what) if len(frame) else (np.empty(0), np.empty(0))
    dist = np.hypot(x - x0, y - y0)
    keep = dist <= radius_m
    return frame[keep], np.round(dist[keep], 1)


def _types(establishments) -> dict:
    """Establishment id → type (names are never read)."""
    if establishments is None:
        return {}
    require_columns(establishments, ["establishment_id", "establishment_type"], "establishments")
    return dict(zip(establishments["establishment_id"], establishments["establishment_type"], strict=True))


def _rows(n: int, **columns) -> pd.DataFrame:
    """A history block with every column (missing ones empty)."""
    frame = pd.DataFrame({c: columns.get(c, [None] * n) for c in HISTORY_COLUMNS})
    for c in ("record_id", "site_id", "establishment_id"):
        frame[c] = pd.array(pd.Series(frame[c], dtype=object).astype("Float64"), dtype="Int64")
    return frame


def _sites(sites, site_events, types, x0, y0, radius_m) -> pd.DataFrame:
    """One row per event of each nearby site; one undated row for a site without events."""
    require_columns(sites, ["site_id", "site_kind", "geometry"], "sites")
    near, dist = _near(sites, "sites", x0, y0, radius_m)
    est = near["establishment_id"] if "establishment_id" in near else pd.Series(None, index=near.index)
    base = pd.DataFrame({"site_id": near["site_id"].to_numpy(), "establishment_id": est.to_numpy(),
                         "distance_m": dist, "site_kind": near["site_kind"].to_numpy()})
    events = pd.DataFrame(columns=["event_id", "site_id", "event_date", "event_type"])
    if site_events is not None:
        require_columns(site_events, events.columns, "site_events")
        events = site_events[list(events.columns)]
    both = base.merge(events, on="site_id", how="left")
    dated = both["event_id"].notna()
    return _rows(len(both), date=both["event_date"].to_numpy(),
                 record=np.where(dated, "site_event", "site"),
                 record_id=np.where(dated, both["event_id"], both["site_id"]),
                 kind=np.where(dated, both["event_type"], both["site_kind"]),
                 site_id=both["site_id"].to_numpy(), establishment_id=both["establishment_id"].to_numpy(),
                 establishment_type=[types.get(e) for e in both["establishment_id"]],
                 violation_codes=[[] for _ in range(len(both))], distance_m=both["distance_m"].to_numpy())


def _incidents(incidents, types, x0, y0, radius_m) -> pd.DataFrame:
    """Incidents of any kind within the radius."""
    require_columns(incidents, ["incident_id", "event_date", "incident_kind", "establishment_id",
                                "geometry"], "incidents")
    near, dist = _near(incidents, "incidents", x0, y0, radius_m)
    site = near["site_id"] if "site_id" in near else pd.Series(None, index=near.index)
    return _rows(len(near), date=near["event_date"].to_numpy(), record=["incident"] * len(near),
                 record_id=near["incident_id"].to_numpy(), kind=near["incident_kind"].to_numpy(),
                 site_id=site.to_numpy(), establishment_id=near["establishment_id"].to_numpy(),
                 establishment_type=[types.get(e) for e in near["establishment_id"]],
                 violation_codes=[[] for _ in range(len(near))], distance_m=dist)


def _violations(inspections, violation_outcomes, x0, y0, radius_m) -> pd.DataFrame:
    """Inspections that found a violation, at establishments within the radius."""
    require_columns(inspections, ["inspection_id", "inspection_date", "establishment_id",
                                  "establishment_type", "outcome", "violation_codes", "geometry"],
                    "inspections")
    found = inspections[is_violation(inspections, violation_outcomes=violation_outcomes)]
    near, dist = _near(found, "inspections", x0, y0, radius_m)
    return _rows(len(near), date=near["inspection_date"].to_numpy(),
                 record=["inspection_violation"] * len(near), record_id=near["inspection_id"].to_numpy(),
                 kind=near["outcome"].to_numpy(), establishment_id=near["establishment_id"].to_numpy(),
                 establishment_type=near["establishment_type"].to_numpy(),
                 violation_codes=[list(v) if v is not None else [] for v in near["violation_codes"]],
                 distance_m=dist)
