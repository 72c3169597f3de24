"""At-risk list for patrol planning: cleared sites with recent activity nearby, ranked.

A site qualifies when its status on ``as_of`` is ``cleared`` (cleared and not reactivated)
and relevant evidence (incidents, inspection violations) lies within ``radius_m`` of it,
dated after its last clearing and in the last ``lookback_days`` days up to ``as_of``.

The radius is wider than the reactivation radius (500 m against 100 m by default) on
purpose: evidence within the reactivation radius inside the window would already have
reactivated the site, so what warns of a comeback is activity in the neighbourhood — the
near-repeat zone of the Knox table (5 × 100 m bands).

**Score** (transparent, in "recent events"): every counted event weighs
``0.5 ** (age_days / half_life_days)``, 1 on ``as_of`` and ½ one half-life earlier; the
score is their sum. Ties are broken by the number of events, then the nearest one, then
the site id.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.reactivation.frames import (
    as_day,
    check_positive,
    day_dates,
    day_numbers,
    id_lists,
    require_columns,
    work_xy,
)
from geo.reactivation.index import SpaceTimeIndex

RISK_COLUMNS = ["rank", "site_id", "site_kind", "last_cleared", "score", "n_events", "n_incidents",
                "n_inspections", "nearest_m", "last_event_date", "incident_ids", "inspection_ids"]


def rank_at_risk(sites: gpd.GeoDataFrame, evidence: gpd.GeoDataFrame, *, as_of: date | str | None = None,
                 radius_m: float = 500.0, lookback_days: int = 90, half_life_days: float = 30.0,
                 top: int | None = None) -> pd.DataFrame:
    """Rank the cleared sites by recent relevant activity around them.

    Parameters
    ----------
    sites : GeoDataFrame
        ``Reactivations.sites``: ``site_id, site_kind, status, last_cleared`` and the point.
    evidence : GeoDataFrame
        From :func:`geo.reactivation.collect_evidence`.
    as_of : date or ISO string, optional
        The day of the assessment (use the one given to ``track_reactivations``); today
        when omitted.
    radius_m : float, default 500
        Neighbourhood radius in metres (``WORK_CRS``).
    lookback_days : int, default 90
        Only evidence of the last ``lookback_days`` days up to ``as_of`` (included) counts.
    half_life_days : float, default 30
        Age at which an event weighs one half.
    top : int, optional
        Keep the first ``top`` sites only.

    Returns
    -------
    DataFrame
        Indexed like the qualifying rows of ``sites``, best first: ``rank`` (1 = most at
        risk), ``site_id, site_kind, last_cleared, score, n_events, n_incidents,
        n_inspections, nearest_m, last_event_date, incident_ids, inspection_ids``.
        Sites with no counted event are left out.

    Examples
    --------
    >>> from shapely import Point
    >>> sites = gpd.GeoDataFrame({"site_id": [1, 2], "site_kind": ["public"] * 2,
    ...     "status": ["cleared"] * 2, "last_cleared": pd.to_datetime(["2020-01-01"] * 2)},
    ...     geometry=[Point(0, 0), Point(5000, 0)], crs=32648)
    >>> evidence = gpd.GeoDataFrame({"source": ["incident", "incident"], "record_id": [8, 9],
    ...     "date": pd.to_datetime(["2020-03-31", "2020-03-01"])},
    ...     geometry=[Point(300, 0), Point(5200, 0)], crs=32648)
    >>> ranked = rank_at_risk(sites, evidence, as_of="2020-03-31")
    >>> ranked[["rank", "site_id", "score", "nearest_m"]].to_dict("list")
    {'rank': [1, 2], 'site_id': [1, 2], 'score': [1.0, 0.5], 'nearest_m': [300.0, 200.0]}
    """
    require_columns(sites, ["site_id", "site_kind", "status", "last_cleared", "geometry"], "sites")
    require_columns(evidence, ["source", "record_id", "date", "geometry"], "evidence")
    check_positive(radius_m, "radius_m")
    check_positive(lookback_days, "lookback_days", integer=True)
    check_positive(half_life_days, "half_life_days")
    if top is not None:
        check_positive(top, "top", integer=True)
    as_of_day = as_day(as_of if as_of is not None else date.today())
    cleared = sites[sites["status"] == "cleared"]
    hits = _hits(cleared, evidence, as_of_day, radius_m, lookback_days)
    ranked = _score(cleared, evidence, hits, as_of_day, half_life_days)
    return ranked if top is None else ranked.head(top)


def _hits(cleared, evidence, as_of_day, radius_m, lookback_days) -> pd.DataFrame:
    """(site position, evidence position, distance) for counted evidence."""
    x, y = work_xy(cleared, "sites") if len(cleared) else (np.empty(0), np.empty(0))
    ex, ey = work_xy(evidence, "evidence") if len(evidence) else (np.empty(0), np.empty(0))
    start = np.maximum(day_numbers(cleared["last_cleared"]) + 1, as_of_day - lookback_days + 1)
    index = SpaceTimeIndex(ex, ey, day_numbers(evidence["date"]))
    site, hit, dist = index.query_many(x, y, start, np.full(len(cleared), as_of_day), radius_m)
    return pd.DataFrame({"site": site, "hit": hit, "distance": dist})


def _score(cleared, evidence, hits, as_of_day, half_life_days) -> pd.DataFrame:
    """Aggregate the hits per site and rank."""
    day = day_numbers(evidence["date"])[hits["hit"]]
    source = evidence["source"].to_numpy()[hits["hit"]]
    hits = hits.assign(weight=0.5 ** ((as_of_day - day) / half_life_days), day=day,
                       incident=source == "incident", inspection=source == "inspection",
                       record_id=evidence["record_id"].to_numpy()[hits["hit"]])
    per = hits.groupby("site").agg(score=("weight", "sum"), n_events=("hit", "size"),
                                   n_incidents=("incident", "sum"), n_inspections=("inspection", "sum"),
                                   nearest_m=("distance", "min"), last_day=("day", "max"))
    rows = cleared.iloc[per.index.to_numpy()]
    out = pd.DataFrame({
        "site_id": rows["site_id"].to_numpy(), "site_kind": rows["site_kind"].to_numpy(),
        "last_cleared": rows["last_cleared"].to_numpy(), "score": per["score"].round(6).to_numpy(),
        "n_events": per["n_events"].to_numpy(), "n_incidents": per["n_incidents"].to_numpy(dtype=np.int64),
        "n_inspections": per["n_inspections"].to_numpy(dtype=np.int64),
        "nearest_m": per["nearest_m"].round(1).to_numpy(), "last_event_date": day_dates(per["last_day"]),
    }, index=rows.index)
    n, pos = len(cleared), hits["site"].to_numpy()
    for column, flag in (("incident_ids", "incident"), ("inspection_ids", "inspection")):
        lists = id_lists(pos[hits[flag]], hits.loc[hits[flag], "record_id"], n)
        out[column] = [lists[p] for p in per.index]
    out = out.sort_values(["score", "n_events", "nearest_m", "site_id"],
                          ascending=[False, False, True, True], kind="stable")
    out.insert(0, "rank", np.arange(1, len(out) + 1))
    return out[RISK_COLUMNS]

