"""The demo data set as one recipe: every record kind, the planted structure, deterministic per seed."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from etl.demo import communes, generate, planted
from etl.demo.generate import START, Locator, Vintage
from geo.settings import DEFAULT_SEED, STORAGE_CRS


@dataclass
class DemoData:
    """The generated records, as frames keyed by position (``*_key`` columns link them)."""

    establishments: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    site_events: pd.DataFrame
    incidents: gpd.GeoDataFrame
    inspections: pd.DataFrame
    tips: pd.DataFrame
    activities: pd.DataFrame
    reports: pd.DataFrame
    attestations: pd.DataFrame
    planted: planted.Planted


def generate_demo(
    vintages: list[Vintage],
    *,
    seed: int = DEFAULT_SEED,
    establishments: int = 1500,
    sites: int = 40,
    incidents: int = 1100,
    tips: int = 300,
    inspections_per_year: tuple[int, int] = (500, 150),
) -> DemoData:
    """Generate the demo records over the given vintages (oldest first).

    Parameters
    ----------
    vintages : list of Vintage
        The loaded boundary vintages, oldest first (communes in EPSG:4326).
    seed : int, default ``geo.settings.DEFAULT_SEED`` (2016)
        The same seed gives the same records.
    establishments, sites, incidents, tips : int
        How many of each (background incidents; the planted ones come on top).
    inspections_per_year : (int, int)
        Inspections a year during the 2016–2020 plan, and after it.

    Examples
    --------
    >>> from datetime import date
    >>> from shapely import box
    >>> units = gpd.GeoDataFrame({"commune_code": ["1", "2", "3", "4"],
    ...     "unit_type": ["phuong", "xa", "xa", "phuong"]},
    ...     geometry=[box(106.80, 10.90, 106.85, 10.95), box(106.85, 10.90, 106.90, 10.95),
    ...               box(106.80, 10.95, 106.85, 11.00), box(106.85, 10.95, 106.90, 11.00)],
    ...     crs=4326)
    >>> d = generate_demo([Vintage("v", date(2010, 1, 1), None, units)], seed=1, establishments=200,
    ...                   sites=5, incidents=300, tips=20, inspections_per_year=(50, 20))
    >>> named = bool(d.establishments["name"].str.contains("DEMO-").all())
    >>> len(d.establishments), len(d.incidents) > 300, named
    (200, True, True)
    """
    rng = np.random.default_rng(seed)
    clean = {v.id: generate.clean_units(v.communes, rng) for v in vintages}
    est = generate.establishments(vintages, establishments, rng)
    located = Locator(vintages, clean)
    site_frame, events = generate.sites(est, located, sites, rng)
    plant_rng = np.random.default_rng([seed, 11])
    events, wave = planted.wave_histories(site_frame, events, plant_rng)
    centres = _centres(vintages, clean, located, plant_rng)
    near, found = planted.wave_followups(site_frame, wave, plant_rng)
    return DemoData(
        establishments=est,
        sites=site_frame,
        site_events=events,
        incidents=_incidents(est, site_frame, located, incidents, centres, near, rng, plant_rng),
        inspections=_inspections(est, located, found, inspections_per_year, rng),
        tips=_tips(est, site_frame, located, tips, np.random.default_rng([seed, 7])),
        activities=communes.activities(vintages, np.random.default_rng([seed, 9])),
        reports=communes.reports(vintages, np.random.default_rng([seed, 5]), clean),
        attestations=communes.attestations(vintages, rng),
        planted=planted.Planted(
            cluster_centres=[
                tuple(p)
                for p in gpd.GeoSeries(
                    gpd.points_from_xy(centres[:, 0], centres[:, 1]) if len(centres) else [],
                    crs=generate.WORK_CRS,
                )
                .to_crs(STORAGE_CRS)
                .get_coordinates()
                .to_numpy()
                .tolist()
            ],
            wave=wave,
        ),
    )


def _centres(vintages, clean, located: Locator, rng) -> np.ndarray:
    """The dense areas' centres, in the first vintage's urban units that stay unclean later."""
    first = vintages[0]
    return planted.cluster_centres(
        first.communes, clean[first.id], lambda p: located.units(p, [generate.END] * len(p))[2], rng
    )


def _incidents(est, sites, located, n, centres, near, rng, plant_rng) -> gpd.GeoDataFrame:
    """Background incidents, the dense areas' and the reactivation wave's, in date order."""
    background = generate.incidents(est, sites, located, n, rng)
    parts = [background]
    if len(centres):
        years = generate.END.year - START.year + 1
        days = sorted(generate.random_days(planted.CLUSTER_PER_YEAR * len(centres) * years, plant_rng))
        parts.append(
            generate.incident_records(
                days, planted.cluster_points(centres, days, plant_rng), located, plant_rng
            )
        )
    if len(near):
        parts.append(generate.incident_records(near["event_date"], near.geometry, located, plant_rng))
    frame = pd.concat(parts, ignore_index=True).sort_values("event_date", kind="stable")
    return gpd.GeoDataFrame(frame.reset_index(drop=True), geometry="geometry", crs=STORAGE_CRS)


def _inspections(est, located, found, per_year, rng) -> pd.DataFrame:
    """Routine inspections and the wave's violations at the establishments of its sites."""
    routine = generate.inspections(est, located, rng, per_year=per_year)
    found = found.assign(
        team_level="xa",
        outcome="xu_phat",
        violation_codes=[["chua_mai_dam"]] * len(found),
        fine_vnd=5_000_000,
    )
    frame = pd.concat([routine, found], ignore_index=True).sort_values("inspection_date", kind="stable")
    return frame.reset_index(drop=True)


def _tips(est, sites, located: Locator, n: int, rng) -> pd.DataFrame:
    """Tip-offs, those about a place in a clean commune left out (the commune stays clean)."""
    frame = generate.tips(est, len(sites), n, rng)
    about_site = frame["site_key"].notna().to_numpy()
    points = np.where(
        about_site,
        sites.geometry.values[frame["site_key"].fillna(0).astype(int)],
        est.geometry.values[frame["establishment_key"].fillna(0).astype(int)],
    )
    points = gpd.GeoSeries(points, crs=STORAGE_CRS)
    _, _, clean = located.units(points, list(frame["received_date"]))
    return gpd.GeoDataFrame(frame, geometry=points.values, crs=STORAGE_CRS)[~clean].reset_index(drop=True)
