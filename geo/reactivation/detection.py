"""Reactivation of cleared sites (tái hoạt động sau triệt xóa): detection with its evidence.

The rules (``criteria.md`` §4.3, decided here where the sources are silent):

* Every ``cleared`` or ``recleared`` event opens a **clearing spell** on its date *d*. The
  spell ends at the site's next clearing event *e* (that day included), or at ``as_of``.
  Each clearing restarts the detection window: nothing before *d* counts for the spell.
* A spell's **triggers** are
  (a) evidence (:func:`geo.reactivation.collect_evidence`: relevant incidents, inspection
  violations) dated in ``(d, min(d + window_days, e)]`` that lies within ``radius_m`` metres
  of the site, or names the site (``site_id``), or took place at the site's establishment
  (``establishment_id``) — the last two also work for records without a point;
  (b) an officer's record after *d* and up to *e*, whatever the window: a ``reactivated``
  event, or an ``identified`` event (the site found again, ``data-realities.md`` §7.3);
  (c) only when the spell has no other trigger and ends with a ``recleared`` event: that
  re-clearing, which presupposes the site was active again (the date is then an upper
  bound; ``trigger`` says ``recleared``).
* The **first** trigger (earliest date; on one day an officer's record, then an incident,
  then an inspection, then the lower id) opens the spell's one reactivation; every trigger
  of the spell is kept as its evidence (incident, inspection and event ids).
* A site's **status** on ``as_of``: ``active`` (never cleared), ``cleared`` (its last
  spell has no reactivation) or ``reactivated``.

Time runs in whole days; distances in ``WORK_CRS`` metres. Records without a point or a
date are skipped for distance work and counted in ``counts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import ReactivationError
from geo.reactivation.frames import (
    as_day,
    check_positive,
    day_dates,
    day_numbers,
    id_lists,
    require_columns,
    to_date,
    work_xy,
)
from geo.reactivation.index import SpaceTimeIndex

EVENT_ORDER = ("identified", "cleared", "reactivated", "recleared")
CLEARING_EVENTS = ("cleared", "recleared")
RECORDED_TRIGGERS = ("reactivated", "identified")
#: Order of triggers on the same day (lower first).
TRIGGER_PRIORITY = {"recorded": 0, "incident": 1, "inspection": 2, "recleared": 3}
#: Evidence within this distance of a public site, in metres, reactivates it (criteria.md §4.3).
DEFAULT_RADIUS_M = 100.0
#: Evidence counts only within this many days of the clearing (None: any time after it).
DEFAULT_WINDOW_DAYS: int | None = 365


@dataclass(frozen=True)
class Reactivations:
    """The result of :func:`track_reactivations`.

    Attributes
    ----------
    sites : GeoDataFrame
        The input sites (index kept) with ``status``, ``n_clearings``, ``n_reactivations``,
        ``last_cleared``, ``last_reactivated``.
    clearings : DataFrame
        One row per clearing spell: ``site_id, cleared_event_id, cleared_date, end_date,
        end_reason, reactivated, reactivation_date, trigger, trigger_id,
        days_to_reactivation, followup_days, incident_ids, inspection_ids, event_ids``,
        then the site's own columns (``site_kind`` …).
    timeline : DataFrame
        Every site's history: recorded events and the detected reactivations, by date.
    params, counts : dict
        The options used; what was read and what was skipped.
    """

    sites: gpd.GeoDataFrame
    clearings: pd.DataFrame
    timeline: pd.DataFrame
    params: dict = field(default_factory=dict)
    counts: dict = field(default_factory=dict)

    @property
    def reactivations(self) -> pd.DataFrame:
        """The clearing spells that ended in a reactivation."""
        return self.clearings[self.clearings["reactivated"]]


def track_reactivations(sites: gpd.GeoDataFrame, site_events: pd.DataFrame,
                        evidence: gpd.GeoDataFrame, *, as_of: date | str | None = None,
                        radius_m: float = DEFAULT_RADIUS_M,
                        window_days: int | None = DEFAULT_WINDOW_DAYS) -> Reactivations:
    """Detect the reactivations of cleared sites and keep the evidence of each.

    Parameters
    ----------
    sites : GeoDataFrame
        ``site_id, site_kind`` and a point (any CRS; None for commune-only sites);
        ``establishment_id`` optional. Other columns are carried into ``clearings``.
    site_events : DataFrame
        ``event_id, site_id, event_date, event_type`` (identified, cleared, reactivated,
        recleared).
    evidence : GeoDataFrame
        From :func:`geo.reactivation.collect_evidence`.
    as_of : date or ISO string, optional
        The day of the assessment; later events and evidence are ignored. Today when omitted.
    radius_m : float, default 100
        Distance in metres (``WORK_CRS``) within which evidence belongs to a site.
    window_days : int or None, default 365
        Days after each clearing in which evidence can reactivate the site (about 12
        months); None for no limit (``criteria.md`` §4.3's "any time after clearing").

    Returns
    -------
    Reactivations

    Examples
    --------
    >>> from datetime import date
    >>> from shapely import Point
    >>> sites = gpd.GeoDataFrame({"site_id": [1], "site_kind": ["public"]},
    ...                          geometry=[Point(700000, 1200000)], crs=32648)
    >>> events = pd.DataFrame({"event_id": [10, 11], "site_id": [1, 1],
    ...     "event_date": [date(2019, 6, 1), date(2020, 1, 1)],
    ...     "event_type": ["identified", "cleared"]})
    >>> evidence = gpd.GeoDataFrame({"source": ["incident"], "record_id": [5],
    ...     "date": pd.to_datetime(["2020-06-01"]), "kind": ["mua_ban_dam"],
    ...     "establishment_id": pd.array([None], dtype="Int64"),
    ...     "site_id": pd.array([None], dtype="Int64")},
    ...     geometry=[Point(700080, 1200000)], crs=32648)
    >>> result = track_reactivations(sites, events, evidence, as_of="2021-01-01")
    >>> row = result.clearings.iloc[0]
    >>> row["reactivation_date"].date(), row["trigger"], row["incident_ids"]
    (datetime.date(2020, 6, 1), 'incident', [5])
    >>> result.sites["status"].tolist()
    ['reactivated']
    """
    require_columns(sites, ["site_id", "site_kind", "geometry"], "sites")
    require_columns(site_events, ["event_id", "site_id", "event_date", "event_type"], "site_events")
    require_columns(evidence, ["source", "record_id", "date", "establishment_id", "site_id"], "evidence")
    check_positive(radius_m, "radius_m")
    if sites["site_id"].duplicated().any():
        twice = sorted(sites.loc[sites["site_id"].duplicated(), "site_id"].unique().tolist())[:5]
        raise ReactivationError(f"site_id must be unique in sites; repeated: {twice}")
    if window_days is not None:
        check_positive(window_days, "window_days", integer=True)
    as_of_day = as_day(as_of if as_of is not None else date.today())
    counts: dict = {}
    events = _events(sites, site_events, as_of_day, counts)
    spells = _spells(events, as_of_day)
    triggers = pd.concat([
        _evidence_triggers(spells, sites, evidence, as_of_day, radius_m, window_days, counts),
        _recorded_triggers(spells, events, counts),
    ], ignore_index=True)
    clearings = _clearings(spells, _reclearing_triggers(spells, triggers), sites)
    counts |= {"clearings": len(clearings), "reactivations": int(clearings["reactivated"].sum())}
    params = {"as_of": to_date(as_of_day), "radius_m": float(radius_m), "window_days": window_days}
    return Reactivations(_site_status(sites, clearings), clearings,
                         _timeline(events, clearings), params, counts)


def _events(sites, site_events, as_of_day: float, counts: dict) -> pd.DataFrame:
    """Site events up to ``as_of`` for known sites, with day numbers, in date order."""
    events = site_events[["event_id", "site_id", "event_date", "event_type"]].copy()
    events["day"] = day_numbers(events["event_date"])
    known = events["site_id"].isin(set(sites["site_id"]))
    dated = events["day"].notna()
    later = dated & (events["day"] > as_of_day)
    counts.update(sites=len(sites), events=len(events), events_unknown_site=int((~known).sum()),
                  events_without_date=int((~dated).sum()), events_after_as_of=int(later.sum()))
    events = events[known & dated & ~later]
    return events.sort_values(["site_id", "day", "event_id"], kind="stable").reset_index(drop=True)


def _spells(events: pd.DataFrame, as_of_day: float) -> pd.DataFrame:
    """One row per clearing: the site, its day, and when and why the spell ends."""
    clear = events[events["event_type"].isin(CLEARING_EVENTS)].reset_index(drop=True)
    following = clear.groupby("site_id", sort=False)[["day", "event_type", "event_id"]].shift(-1)
    return pd.DataFrame({
        "site_id": clear["site_id"].to_numpy(),
        "cleared_event_id": clear["event_id"].to_numpy(),
        "cleared_day": clear["day"].to_numpy(dtype=float),
        "end_day": following["day"].fillna(as_of_day).to_numpy(dtype=float),
        "end_reason": following["event_type"].fillna("as_of").to_numpy(dtype=object),
        "end_event_id": pd.array(following["event_id"].to_numpy(), dtype="Int64"),
    })


def _trigger_frame(spell, day, source, record_id) -> pd.DataFrame:
    """Triggers as rows: spell position, day, source and record id."""
    spell = np.asarray(spell, dtype=np.int64)
    return pd.DataFrame({"spell": spell, "day": np.asarray(day, dtype=float),
                         "source": np.broadcast_to(np.asarray(source, dtype=object), spell.shape),
                         "record_id": np.asarray(record_id, dtype=np.int64)})


def _evidence_triggers(spells, sites, evidence, as_of_day, radius_m, window_days,
                       counts) -> pd.DataFrame:
    """Evidence near a spell's site (or naming it) inside the spell's detection window."""
    ev_day = day_numbers(evidence["date"])
    ev_x, ev_y = work_xy(evidence, "evidence") if len(evidence) else (np.empty(0), np.empty(0))
    ev_day[ev_day > as_of_day] = np.nan
    site_x, site_y = work_xy(sites, "sites")
    pos = pd.Index(sites["site_id"]).get_indexer(spells["site_id"])
    t0 = spells["cleared_day"].to_numpy() + 1
    t1 = spells["end_day"].to_numpy()
    if window_days is not None:
        t1 = np.minimum(t1, spells["cleared_day"].to_numpy() + window_days)
    index = SpaceTimeIndex(ev_x, ev_y, ev_day)
    spell, hit, _ = index.query_many(site_x[pos], site_y[pos], t0, t1, radius_m)
    by_id = _id_matches(spells, sites, evidence, ev_day, t0, t1)
    pairs = pd.DataFrame({"spell": np.r_[spell, by_id[0]], "hit": np.r_[hit, by_id[1]]}).drop_duplicates()
    counts.update(sites_without_point=int(np.isnan(site_x).sum()), evidence=len(evidence),
                  evidence_without_point=int(np.isnan(ev_x).sum()),
                  evidence_without_date=int(np.isnan(day_numbers(evidence["date"])).sum()))
    hit = pairs["hit"].to_numpy()
    return _trigger_frame(pairs["spell"], ev_day[hit], evidence["source"].to_numpy()[hit],
                          evidence["record_id"].to_numpy()[hit])


def _id_matches(spells, sites, evidence, ev_day, t0, t1) -> tuple[np.ndarray, np.ndarray]:
    """(spell, evidence position) pairs where the evidence names the site or its establishment."""
    ev = pd.DataFrame({"hit": np.arange(len(evidence)), "day": ev_day,
                       "site_id": evidence["site_id"].to_numpy(),
                       "establishment_id": evidence["establishment_id"].to_numpy()})
    sp = pd.DataFrame({"spell": np.arange(len(spells)), "site_id": spells["site_id"].to_numpy(),
                       "t0": t0, "t1": t1})
    if "establishment_id" in sites:
        est = dict(zip(sites["site_id"], sites["establishment_id"], strict=True))
        sp["establishment_id"] = spells["site_id"].map(est).to_numpy()
    else:
        sp["establishment_id"] = np.nan
    found = []
    for key in ("site_id", "establishment_id"):
        left = ev[ev[key].notna()].astype({key: "float64"})
        right = sp[sp[key].notna()].astype({key: "float64"})
        both = left[["hit", "day", key]].merge(right[["spell", "t0", "t1", key]], on=key)
        found.append(both[(both["day"] >= both["t0"]) & (both["day"] <= both["t1"])])
    both = pd.concat(found)
    return both["spell"].to_numpy(dtype=np.int64), both["hit"].to_numpy(dtype=np.int64)


def _recorded_triggers(spells, events, counts) -> pd.DataFrame:
    """Officers' ``reactivated`` (and ``identified``) records inside a spell."""
    recorded = events[events["event_type"].isin(RECORDED_TRIGGERS)]
    sp = pd.DataFrame({"spell": np.arange(len(spells)), "site_id": spells["site_id"],
                       "t0": spells["cleared_day"], "t1": spells["end_day"]})
    both = recorded[["event_id", "site_id", "day", "event_type"]].merge(sp, on="site_id")
    inside = both[(both["day"] > both["t0"]) & (both["day"] <= both["t1"])]
    orphans = recorded[(recorded["event_type"] == "reactivated")
                       & ~recorded["event_id"].isin(set(inside["event_id"]))]
    counts["reactivated_events_outside_a_spell"] = len(orphans)
    return _trigger_frame(inside["spell"], inside["day"], "recorded", inside["event_id"])


def _reclearing_triggers(spells, triggers) -> pd.DataFrame:
    """Add the ``recleared`` trigger to spells that end in a re-clearing with no other trigger."""
    bare = (spells["end_reason"] == "recleared") & ~spells.index.isin(set(triggers["spell"]))
    extra = _trigger_frame(np.flatnonzero(bare), spells.loc[bare, "end_day"], "recleared",
                           spells.loc[bare, "end_event_id"].to_numpy(dtype=np.int64))
    return pd.concat([triggers, extra], ignore_index=True) if len(extra) else triggers


def _clearings(spells, triggers, sites) -> pd.DataFrame:
    """The spells with their first trigger, evidence id lists and the sites' columns."""
    order = triggers.assign(priority=triggers["source"].map(TRIGGER_PRIORITY))
    order = order.sort_values(["spell", "day", "priority", "record_id"], kind="stable")
    first = order.drop_duplicates("spell").set_index("spell").reindex(np.arange(len(spells)))
    n = len(spells)
    reactivated = first["day"].notna().to_numpy()
    follow = np.where(reactivated, first["day"], spells["end_day"]) - spells["cleared_day"]
    out = pd.DataFrame({
        "site_id": spells["site_id"].to_numpy(),
        "cleared_event_id": spells["cleared_event_id"].to_numpy(),
        "cleared_date": day_dates(spells["cleared_day"]),
        "end_date": day_dates(spells["end_day"]),
        "end_reason": spells["end_reason"].to_numpy(),
        "reactivated": reactivated,
        "reactivation_date": day_dates(first["day"]),
        "trigger": first["source"].to_numpy(dtype=object),
        "trigger_id": pd.array(first["record_id"].to_numpy(), dtype="Int64"),
        "days_to_reactivation": pd.array(np.where(reactivated, follow, np.nan), dtype="Int64"),
        "followup_days": np.asarray(follow, dtype=np.int64),
    })
    for column, source in (("incident_ids", ["incident"]), ("inspection_ids", ["inspection"]),
                           ("event_ids", ["recorded", "recleared"])):
        part = triggers[triggers["source"].isin(source)]
        out[column] = id_lists(part["spell"], part["record_id"], n)
    extra = pd.DataFrame(sites.drop(columns=sites.geometry.name)).drop_duplicates("site_id")
    return out.merge(extra, on="site_id", how="left", sort=False)


def _site_status(sites, clearings) -> gpd.GeoDataFrame:
    """The input sites with their status on ``as_of`` and counts of clearings and reactivations."""
    last = clearings.sort_values(["site_id", "cleared_date", "cleared_event_id"]).drop_duplicates(
        "site_id", keep="last").set_index("site_id")
    grouped = clearings.groupby("site_id")
    out = sites.copy()
    ids = out["site_id"].to_numpy()
    cleared = last["reactivated"].reindex(ids).notna().to_numpy()
    reactivated = last["reactivated"].reindex(ids).fillna(False).astype(bool).to_numpy()
    out["status"] = np.where(~cleared, "active", np.where(reactivated, "reactivated", "cleared"))
    out["n_clearings"] = grouped.size().reindex(ids).fillna(0).astype("int64").to_numpy()
    out["n_reactivations"] = grouped["reactivated"].sum().reindex(ids).fillna(0).astype("int64").to_numpy()
    out["last_cleared"] = last["cleared_date"].reindex(ids).to_numpy()
    out["last_reactivated"] = grouped["reactivation_date"].max().reindex(ids).to_numpy()
    return out


def _timeline(events, clearings) -> pd.DataFrame:
    """Recorded events and detected reactivations of every site, by date."""
    spell_of = clearings.explode("event_ids").dropna(subset=["event_ids"])
    spell_of = dict(zip(spell_of["event_ids"].astype("int64"), spell_of["cleared_event_id"], strict=True))
    recorded = pd.DataFrame({
        "site_id": events["site_id"].to_numpy(), "date": day_dates(events["day"]),
        "event": events["event_type"].to_numpy(), "origin": "recorded",
        "event_id": pd.array(events["event_id"].to_numpy(), dtype="Int64"),
        "clearing_event_id": pd.array(events["event_id"].map(spell_of).where(
            events["event_type"].isin(RECORDED_TRIGGERS)).to_numpy(), dtype="Int64"),
    })
    recorded["incident_ids"] = [[] for _ in range(len(recorded))]
    recorded["inspection_ids"] = [[] for _ in range(len(recorded))]
    found = clearings[clearings["trigger"].isin(["incident", "inspection", "recleared"])]
    detected = pd.DataFrame({
        "site_id": found["site_id"].to_numpy(), "date": found["reactivation_date"].to_numpy(),
        "event": "reactivated",
        "origin": np.where(found["trigger"] == "recleared", "inferred", "detected"),
        "event_id": pd.array([None] * len(found), dtype="Int64"),
        "clearing_event_id": pd.array(found["cleared_event_id"].to_numpy(), dtype="Int64"),
        "incident_ids": found["incident_ids"].to_list(),
        "inspection_ids": found["inspection_ids"].to_list(),
    })
    timeline = pd.concat([recorded, detected], ignore_index=True) if len(detected) else recorded
    if timeline.empty:
        return timeline
    rank = timeline["event"].map({e: i for i, e in enumerate(EVENT_ORDER)})
    return (timeline.assign(_rank=rank).sort_values(["site_id", "date", "_rank", "origin"], kind="stable")
            .drop(columns="_rank").reset_index(drop=True))

