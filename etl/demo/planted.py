"""Structure planted in the demo so that the analyses have something true to find.

- **Dense areas**: :data:`CLUSTERS` centres, each in a ward (phường or thị trấn) that is not kept
  clean, at least :data:`CLUSTER_GAP_M` apart; incidents fall within :data:`CLUSTER_RADIUS_M` of a
  centre every year of the demo (Gi* on a grid finds them in any year).
- **A reactivation wave**: :data:`WAVE_SITES` sites identified before 2018 are cleared early in
  :data:`WAVE_YEAR`; months later, in the same year, incidents happen within :data:`WAVE_NEAR_M` of
  each (and an inspection finds a violation at the establishment of a site inside one); no officer
  records the site again that year, so only ``geo.reactivation`` can tell (classification P3).

The planted facts are returned with the data (:class:`Planted`) so tests can check what was found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.settings import STORAGE_CRS, WORK_CRS

CLUSTERS = 3
CLUSTER_RADIUS_M = 1000.0
CLUSTER_GAP_M = 8000.0
CLUSTER_PER_YEAR = 20
WAVE_SITES = 4
WAVE_YEAR = 2018
WAVE_NEAR_M = 40.0


@dataclass
class Planted:
    """The planted facts: cluster centres (lon, lat in EPSG:4326) and the wave's sites and dates."""

    cluster_centres: list[tuple[float, float]]
    wave: pd.DataFrame  # site_key, descriptor, cleared, first_followup


def cluster_centres(communes: gpd.GeoDataFrame, clean: set[str], clean_later, rng) -> np.ndarray:
    """Centres (WORK_CRS x, y) of the dense areas: in urban units kept unclean, well apart.

    ``clean_later(points)`` tells for each point whether it lies in a clean unit of a later vintage.
    """
    units = communes.to_crs(WORK_CRS)
    urban = units[units["unit_type"].isin(["phuong", "thi_tran"]) & ~units["commune_code"].isin(clean)]
    points = gpd.GeoSeries(urban.geometry.representative_point().values, crs=WORK_CRS)
    ok = ~clean_later(points.to_crs(STORAGE_CRS))
    order = rng.permutation(np.flatnonzero(ok))
    chosen: list = []
    for i in order:
        if all(points.iloc[i].distance(c) > CLUSTER_GAP_M for c in chosen):
            chosen.append(points.iloc[i])
        if len(chosen) == CLUSTERS:
            break
    return np.array([[p.x, p.y] for p in chosen])


def cluster_points(centres: np.ndarray, days: list[date], rng) -> gpd.GeoSeries:
    """One point per day, around a centre taken in turn, within CLUSTER_RADIUS_M (EPSG:4326)."""
    n = len(days)
    which = np.arange(n) % max(len(centres), 1)
    angle = rng.uniform(0, 2 * np.pi, n)
    radius = np.minimum(np.abs(rng.normal(0, CLUSTER_RADIUS_M / 3, n)), CLUSTER_RADIUS_M * 0.95)
    xy = centres[which] + np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    return gpd.GeoSeries(shapely.points(xy), crs=WORK_CRS).to_crs(STORAGE_CRS)


def wave_histories(sites: gpd.GeoDataFrame, events: pd.DataFrame, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Give WAVE_SITES early sites the wave's history; return (all events, the wave's sites).

    Each chosen site keeps its ``identified`` event (moved into 2017 when later), is cleared between
    February and April of WAVE_YEAR and re-cleared in the next year's spring; nothing else is recorded.
    """
    first = events[events["event_type"] == "identified"].groupby("site_key")["event_date"].min()
    candidates = first.sort_values(kind="stable").index[: max(WAVE_SITES * 3, WAVE_SITES)]
    keys = np.sort(rng.choice(candidates, size=min(WAVE_SITES, len(candidates)), replace=False))
    rows = []
    for i, key in enumerate(keys):
        identified = min(first[key], date(WAVE_YEAR - 1, 6, 30))
        cleared = date(WAVE_YEAR, 2, 5) + timedelta(days=20 * i + int(rng.integers(0, 15)))
        followup = cleared + timedelta(days=int(rng.integers(100, 160)))
        rows.append(
            {
                "site_key": key,
                "descriptor": sites.at[key, "descriptor"],
                "identified": identified,
                "cleared": cleared,
                "first_followup": followup,
                "recleared": date(WAVE_YEAR + 1, 3, 1) + timedelta(days=int(rng.integers(0, 60))),
            }
        )
    wave = pd.DataFrame(rows)
    kept = events[~events["site_key"].isin(keys)]
    planted = pd.DataFrame(
        [
            {"site_key": r.site_key, "event_date": d, "event_type": t}
            for r in wave.itertuples()
            for d, t in ((r.identified, "identified"), (r.cleared, "cleared"), (r.recleared, "recleared"))
        ]
    )
    all_events = pd.concat([kept, planted], ignore_index=True).sort_values(
        ["site_key", "event_date"], kind="stable"
    )
    return all_events.reset_index(drop=True), wave


def wave_followups(sites: gpd.GeoDataFrame, wave: pd.DataFrame, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The wave's evidence: two incidents near each site, a violation found at a site's establishment.

    Returns
    -------
    (DataFrame, DataFrame)
        Incidents (``event_date, geometry`` in EPSG:4326) and inspections (``inspection_date,
        establishment_key``).
    """
    incidents, inspections = [], []
    for r in wave.itertuples():
        site = sites.loc[r.site_key]
        origin = gpd.GeoSeries([site.geometry], crs=STORAGE_CRS).to_crs(WORK_CRS).iloc[0]
        for k in range(2):
            angle, dist = rng.uniform(0, 2 * np.pi), rng.uniform(5, WAVE_NEAR_M)
            point = shapely.Point(origin.x + dist * np.cos(angle), origin.y + dist * np.sin(angle))
            incidents.append({"event_date": r.first_followup + timedelta(days=30 * k), "geometry": point})
        if site["establishment_key"] is not None:
            inspections.append(
                {
                    "inspection_date": r.first_followup + timedelta(days=10),
                    "establishment_key": site["establishment_key"],
                }
            )
    points = gpd.GeoSeries([i.pop("geometry") for i in incidents], crs=WORK_CRS).to_crs(STORAGE_CRS)
    frame = gpd.GeoDataFrame(incidents, geometry=points.values, crs=STORAGE_CRS)
    return frame, pd.DataFrame(inspections, columns=["inspection_date", "establishment_key"])
