"""Gather the figures of a briefing pack from the store and the analyses the commands run.

Every figure comes through the same code as the command that shows it: commune counts and
status as ``diaban export communes`` reads them (``webapp.workflows.layers.communes_layer``: the
newest classification snapshot of the period and vintage), hot spots with the options and
defaults of ``diaban hotspots``, targets as ``diaban targets``, changes as
``diaban classify-compare``, reactivations with the defaults of ``diaban reactivation``.

A period without a classification snapshot on the vintage gets one, taken exactly as
``diaban classify`` takes it (:func:`webapp.workflows.classification.classify_period`) and
stored (snapshots are immutable, so the next briefing of the same inputs reads the same
one); the cover names the snapshot used, when it was taken and by whom (``NAME (diaban
report)`` when a briefing took it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import geopandas as gpd
import pandas as pd

from boundaries import Province, loaded_province
from geo.classify import DEFAULT_RULESET, SnapshotMeta, load_ruleset
from geo.periods import Period, parse_period
from geo.store.classification import read_snapshot
from geo.store.counts import count_by_unit, data_as_of
from geo.store.units import LoadedVintage, choose_vintage, read_units
from webapp.briefing.figures import district_table, reactivation_figures, status_changes, target_figures
from webapp.workflows.classification import classify_period, store_run
from webapp.workflows.hotspots import analyse, hotspot_options, read_inputs
from webapp.workflows.layers import communes_layer

if TYPE_CHECKING:
    from sqlalchemy import Engine


@dataclass
class Briefing:
    """Everything one briefing pack shows, gathered once and rendered in either language."""

    period: Period
    previous_period: Period
    vintage: LoadedVintage
    as_of: dict
    snapshot: SnapshotMeta
    previous: SnapshotMeta
    ruleset: object
    communes: gpd.GeoDataFrame
    outlines: gpd.GeoDataFrame
    outline_level: str
    hotspot: dict
    targets: dict | None
    districts: pd.DataFrame | None
    changes: dict
    reactivation: dict
    unassigned: dict = field(default_factory=dict)
    province: Province | None = None

    @property
    def synthetic(self) -> bool:
        """True when any loaded batch is synthetic (the demo data)."""
        return bool(self.as_of["synthetic"])


def previous_period(period: Period) -> Period:
    """The period a briefing compares with: the one before, of the same kind.

    Nine months compare with the same nine months a year earlier.

    Examples
    --------
    >>> [previous_period(parse_period(p)).label for p in ("2018", "2018-Q1", "2018-H1", "2018-9M",
    ...                                                    "2018-01")]
    ['2017', '2017-Q4', '2017-H2', '2017-9M', '2017-12']
    """
    year, _, part = period.label.partition("-")
    y = int(year)
    if period.kind in ("year", "nine_months"):
        label = f"{y - 1}" + (f"-{part}" if part else "")
    elif period.kind == "month":
        label = f"{y}-{int(part) - 1:02d}" if int(part) > 1 else f"{y - 1}-12"
    else:
        letter, n, last = part[0], int(part[1:]), 4 if part[0] == "Q" else 2
        label = f"{y}-{letter}{n - 1}" if n > 1 else f"{y - 1}-{letter}{last}"
    return parse_period(label, convention=period.convention)


def gather_briefing(engine: Engine, *, period: str, vintage: str | None = None,
                    actor: str, province: str | None = None) -> Briefing:
    """Read and compute every figure of the briefing of ``period``.

    Parameters
    ----------
    engine : Engine
        The database.
    period : str
        ``2018``, ``2018-Q2``, ``2018-H1``, ``2018-9M`` or ``2018-06``.
    vintage : str, optional
        Boundary vintage; default: the one valid on the period's last day.
    actor : str
        Recorded on any snapshot the briefing has to take.
    """
    period = parse_period(period)
    before = previous_period(period)
    with engine.connect() as conn:
        vintage_row = choose_vintage(conn, period, vintage, province=province)
    chosen = vintage_row.id
    current, snapshot, results = _classified(engine, period, chosen, actor, DEFAULT_RULESET)
    ruleset = snapshot.shipped_ruleset()
    earlier, previous, earlier_results = _classified(engine, before, chosen, actor,
                                                     ruleset.id if ruleset else DEFAULT_RULESET)
    with engine.connect() as conn:
        communes, outlines, level = _map_layers(conn, current, earlier, chosen)
        changes = status_changes(earlier_results, results, communes)
        unassigned = count_by_unit(conn, chosen, period=period)[1]
        hotspot = _hotspots(conn, period, chosen, communes)
        reactivation = reactivation_figures(conn, communes, period=period, vintage=chosen)
        targets = target_figures(engine, period=period, province=vintage_row.province_code)
        as_of = data_as_of(conn)
    communes["reactivated"] = communes["commune_code"].map(
        reactivation["per_commune"].set_index("commune_code")["reactivated"]).fillna(0).astype("int64")
    return Briefing(
        period=period, previous_period=before, vintage=vintage_row, as_of=as_of, snapshot=snapshot,
        previous=previous, ruleset=ruleset, communes=communes, outlines=outlines, outline_level=level,
        hotspot=hotspot, targets=targets, province=loaded_province(engine, vintage_row.province_code),
        districts=district_table(communes) if level == "district" else None,
        changes=changes, reactivation=reactivation, unassigned=unassigned)


def _classified(engine: Engine, period: Period, vintage: str, actor: str,
                ruleset_id: str) -> tuple[gpd.GeoDataFrame, SnapshotMeta, pd.DataFrame]:
    """The communes layer of ``period``, its snapshot's metadata and results, taking a snapshot if none."""
    with engine.connect() as conn:
        layer = communes_layer(conn, period=period, vintage=vintage)
    created = layer["snapshot_id"].isna().all()
    if created:
        rules = load_ruleset(ruleset_id)
        with engine.begin() as conn:
            run = classify_period(conn, period=period, ruleset=rules, vintage=vintage)
            store_run(conn, run, created_by=f"{actor} (diaban report)")
        with engine.connect() as conn:
            layer = communes_layer(conn, period=period, vintage=vintage)
    with engine.connect() as conn:
        meta, results = read_snapshot(conn, int(layer["snapshot_id"].iloc[0]))
    return layer, meta, results


def _map_layers(conn, current: gpd.GeoDataFrame, earlier: gpd.GeoDataFrame, vintage: str):
    """Communes on the display geometry (the web map's), and district or province outlines."""
    display = read_units(conn, vintage, display=True).set_index("commune_code")["geometry"]
    communes = current.drop(columns="geometry").assign(
        incidents_prev=current["commune_code"].map(earlier.set_index("commune_code")["incidents"]))
    communes["status"] = communes["status"].fillna("not_assessed")
    communes = gpd.GeoDataFrame(communes, geometry=communes["commune_code"].map(display).values,
                                crs=current.crs)
    outlines = read_units(conn, vintage, level="district", display=True)
    level = "district"
    if outlines.empty:  # no district level (from 2025-07-01): the province outline
        outlines, level = read_units(conn, vintage, level="province", display=True), "province"
    return communes.sort_values("commune_code").reset_index(drop=True), outlines, level


def _hotspots(conn, period: Period, vintage: str, communes: gpd.GeoDataFrame) -> dict:
    """Gi* on communes with every default of ``diaban hotspots``; classes joined to ``communes``."""
    options = hotspot_options()
    _, units, incidents, as_of = read_inputs(conn, period, vintage)
    result, unplaced = analyse(options, period, vintage, units, incidents, as_of)
    by_code = result.set_index("commune_code")
    for column in ("hotspot_class", "z_score", "p_value", "p_fdr"):
        communes[column] = communes["commune_code"].map(by_code[column])
    classes = communes["hotspot_class"].fillna("no neighbours")
    significant = int(classes.str.startswith(("hot", "cold")).sum())
    return {"parameters": result.attrs["parameters"].to_dict(), "unplaced": unplaced,
            "significant": significant, "min_p": float(result["p_value"].min()),
            "min_p_fdr": float(result["p_fdr"].min())}

