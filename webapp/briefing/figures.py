"""The briefing's derived tables: per district, reactivations per commune, plan targets.

Each takes what ``webapp.briefing.data`` read and returns a plain frame or dict; the store
is read only through ``geo.store`` and the analyses through the same functions as the
commands (``diaban reactivation``, ``diaban targets``) with those commands' defaults.
"""

from __future__ import annotations

from datetime import timedelta

import geopandas as gpd
import pandas as pd

from geo.classify import STATUSES, compare_results
from geo.join import place_records
from geo.periods import Period
from geo.reactivation import collect_evidence, track_reactivations
from geo.store.crosswalk import read_crosswalk
from geo.store.records import read_incidents, read_inspections, read_sites
from geo.store.units import read_units
from webapp.workflows.defaults import REACTIVATION_RADIUS_M, REACTIVATION_WINDOW_DAYS
from webapp.workflows.targets import plan_progress

#: Count columns of the district table (summed over its communes).
DISTRICT_COUNTS = ("incidents", "incidents_prev", "inspections", "reactivated")
#: Status order from best to worst: a move towards the front is a gain.
RANK = {status: rank for rank, status in enumerate(STATUSES[:3])}


def status_changes(before: pd.DataFrame, after: pd.DataFrame, communes: pd.DataFrame) -> dict:
    """The communes whose status changed between two snapshot results, and which criteria flipped.

    Parameters
    ----------
    before, after : DataFrame
        Snapshot results (``commune_code, status, score, criteria``), as ``read_snapshot`` gives.
    communes : DataFrame
        ``commune_code, name, district_name`` for the names.

    Returns
    -------
    dict
        ``changes``: one row per commune whose status differs (``commune_code, name,
        district_name, status_before, status_after, direction`` (gained, lost or changed,
        the last when either side is not assessed), ``met``, ``failed``, ``missing`` (criterion
        ids that now hold, now fail, now lack data)), gains first; ``criteria_only``: how many
        communes kept their status while some criterion changed.

    Examples
    --------
    >>> a = pd.DataFrame({"commune_code": ["1", "2"], "status": ["reduced", "healthy"],
    ...                   "score": [60.0, 100.0],
    ...     "criteria": [[{"id": "P5", "passed": False, "value": 0.2}],
    ...                  [{"id": "P5", "passed": True, "value": 1.0}]]})
    >>> b = pd.DataFrame({"commune_code": ["1", "2"], "status": ["healthy", "healthy"],
    ...                   "score": [80.0, 100.0],
    ...     "criteria": [[{"id": "P5", "passed": True, "value": 0.9}],
    ...                  [{"id": "P5", "passed": True, "value": 0.8}]]})
    >>> names = pd.DataFrame({"commune_code": ["1", "2"], "name": ["Xã A", "Xã B"], "district_name": "H"})
    >>> out = status_changes(a, b, names)
    >>> out["changes"][["commune_code", "direction", "met", "failed"]].values.tolist(), out["criteria_only"]
    ([['1', 'gained', ['P5'], []]], 1)
    """
    changed = compare_results(before, after)
    moved = changed[changed["status_before"] != changed["status_after"]].copy()
    flips = [_flips(before, after, code) for code in moved["commune_code"]]
    for i, key in enumerate(("met", "failed", "missing")):
        moved[key] = [f[i] for f in flips]
    names = pd.DataFrame(communes).set_index("commune_code")
    moved["name"] = moved["commune_code"].map(names["name"])
    moved["district_name"] = moved["commune_code"].map(names["district_name"])
    rank_before, rank_after = moved["status_before"].map(RANK), moved["status_after"].map(RANK)
    moved["direction"] = "changed"
    moved.loc[rank_after < rank_before, "direction"] = "gained"
    moved.loc[rank_after > rank_before, "direction"] = "lost"
    moved["order"] = moved["direction"].map({"gained": 0, "lost": 1, "changed": 2})
    moved = moved.sort_values(["order", "commune_code"], kind="stable").reset_index(drop=True)
    columns = ["commune_code", "name", "district_name", "status_before", "status_after", "direction",
               "met", "failed", "missing"]
    return {"changes": moved[columns], "criteria_only": len(changed) - len(moved)}


def _flips(before: pd.DataFrame, after: pd.DataFrame, code: str) -> tuple[list, list, list]:
    """Criterion ids of one commune that now hold, now fail, and now lack data."""
    def passed(frame):
        rows = frame.loc[frame["commune_code"] == code, "criteria"]
        return {c["id"]: c["passed"] for c in rows.iloc[0]} if len(rows) else {}

    old, new = passed(before), passed(after)
    ids = sorted(set(old) | set(new))
    return ([i for i in ids if new.get(i) is True and old.get(i) is not True],
            [i for i in ids if new.get(i) is False and old.get(i) is not False],
            [i for i in ids if new.get(i) is None and old.get(i) is not None])


def district_table(communes: pd.DataFrame) -> pd.DataFrame:
    """One row per district, sorted by code, and a last ``province`` row with the totals.

    Columns: ``district_code, district_name, communes``, one column per status (number of
    communes: the proposal), ``recognised`` (communes whose current recognition decision
    recognises them; 0 without a ``recognised`` column), and the summed `DISTRICT_COUNTS`.

    Examples
    --------
    >>> frame = pd.DataFrame({"commune_code": ["1", "2", "3"], "district_code": ["B", "A", "A"],
    ...     "district_name": ["Bee", "Ay", "Ay"], "status": ["healthy", "reduced", "healthy"],
    ...     "incidents": [1, 2, 3], "incidents_prev": [0, 1, 1], "inspections": [5, 5, 5],
    ...     "reactivated": [0, 0, 1]})
    >>> district_table(frame)[["district_code", "communes", "healthy", "reduced", "incidents"]]
      district_code  communes  healthy  reduced  incidents
    0             A         2        1        1          5
    1             B         1        1        0          1
    2      province         3        2        1          6
    """
    frame = pd.DataFrame(communes).copy()
    for status in STATUSES:
        frame[status] = (frame["status"] == status).astype("int64")
    decided = frame["recognised"] if "recognised" in frame else pd.Series(False, index=frame.index)
    frame["recognised"] = decided.astype("boolean").fillna(False).astype("int64")
    sums = {"communes": ("commune_code", "count"), **{s: (s, "sum") for s in STATUSES},
            "recognised": ("recognised", "sum"),
            **{c: (c, "sum") for c in DISTRICT_COUNTS}}
    table = (frame.groupby(["district_code", "district_name"], dropna=False).agg(**sums)
             .reset_index().sort_values("district_code", kind="stable"))
    total = {"district_code": "province", "district_name": None,
             **{c: int(table[c].sum()) for c in table.columns[2:]}}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)


def reactivation_figures(conn, communes: pd.DataFrame, *, period: Period, vintage: str) -> dict:
    """Sites reactivated in ``period``, with the defaults of ``diaban reactivation``, per commune.

    The assessment day is the period's last day (records after it are ignored); a site is
    placed on the commune of ``vintage`` covering it (or the unit it names).

    Returns
    -------
    dict
        ``params`` (as-of day, radius, window), ``per_commune`` (``commune_code, name,
        district_name, reactivated`` (sites), ``reactivations`` (spells),
        ``still_active`` (sites still reactivated at the period's end)), ``sites`` (the
        points of the sites reactivated in the period, EPSG:4326) and the totals.
    """
    last_day = period.end - timedelta(days=1)
    sites, events = read_sites(conn)
    evidence = collect_evidence(read_incidents(conn, end=period.end), read_inspections(conn, end=period.end))
    result = track_reactivations(sites, events, evidence, as_of=last_day,
                                 radius_m=REACTIVATION_RADIUS_M, window_days=REACTIVATION_WINDOW_DAYS or None)
    units = read_units(conn, vintage)
    sites = sites.assign(commune_code=place_records(sites, units, vintage=vintage,
                                                    crosswalk=read_crosswalk(conn)))
    spells = result.clearings
    dates = pd.to_datetime(spells["reactivation_date"])
    spells = spells[spells["reactivated"].astype(bool) & (dates >= pd.Timestamp(period.start))
                    & (dates < pd.Timestamp(period.end))]
    status = result.sites.set_index("site_id")["status"]
    spells = spells.assign(commune_code=spells["site_id"].map(sites.set_index("site_id")["commune_code"]),
                           still=spells["site_id"].map(status).eq("reactivated"))
    per = spells.groupby("commune_code").agg(reactivated=("site_id", "nunique"),
                                             reactivations=("site_id", "size"))
    still = spells.drop_duplicates("site_id").groupby("commune_code")["still"].sum()
    per["still_active"] = still.reindex(per.index).fillna(0).astype("int64")
    names = communes.set_index("commune_code")
    per = per.reset_index()
    per.insert(1, "name", per["commune_code"].map(names["name"]))
    per.insert(2, "district_name", per["commune_code"].map(names["district_name"]))
    points = sites[sites["site_id"].isin(spells["site_id"]) & sites.geometry.notna()]
    return {"params": {"as_of": last_day, "radius_m": float(REACTIVATION_RADIUS_M),
                       "window_days": REACTIVATION_WINDOW_DAYS},
            "per_commune": per.sort_values(["reactivated", "commune_code"], ascending=[False, True],
                                           kind="stable").reset_index(drop=True),
            "sites": gpd.GeoDataFrame(points[["site_id", "site_kind", "geometry"]], crs=sites.crs),
            "total_sites": int(spells["site_id"].nunique()), "total_spells": len(spells),
            "unplaced_sites": int(spells["commune_code"].isna().sum())}


def target_figures(engine, *, period: Period, province: str | None = None) -> dict | None:
    """Province progress against the plan's targets in the period's year, as ``diaban targets --period``.

    A period inside a plan year is measured from the year's start to the period's end and
    judged pro rata (each row's ``basis`` says so); a period outside the plan years shows the
    plan's last year (``outside`` is True). None when the loaded province configures no plan.
    """
    progress = plan_progress(engine, period=period, province=province)
    if progress is None:
        return None
    plan, table, rows, _ = progress
    year = int(rows["year"].max())
    rows = rows[(rows["scope"] == "province") & (rows["year"] == year)]
    described = table[["target_id", "text", "text_en", "unit", "kind", "clause", "measure",
                       *(c for c in ("how", "how_en") if c in table)]]
    rows = rows.merge(described, on="target_id")
    unmeasured = table[~table["target_id"].isin(rows["target_id"])]
    return {"plan": plan, "year": year, "outside": period.start.year not in
            range(int(plan["start_year"]), int(plan["end_year"]) + 1),
            "rows": rows.reset_index(drop=True), "unmeasured": unmeasured.reset_index(drop=True)}
