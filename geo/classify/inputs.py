"""The records a classification reads, placed on the units of one boundary vintage.

A period is classified on the units of the vintage valid in it. Records with a point are
assigned to that vintage's units with :func:`geo.join.assign_units`; records with only a
commune reference count where the reference belongs to the same vintage; every other record
is left unassigned and counted, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.join import place_records
from geo.periods import Period
from geo.reactivation import collect_evidence

TIP_COLUMNS = ["tip_id", "received_date", "handled_date", "result", "commune_code"]
ACTIVITY_COLUMNS = ["activity_id", "activity_date", "form", "participants_count", "commune_code"]
INCIDENT_COLUMNS = ["incident_id", "event_date", "incident_kind", "outcome", "establishment_id"]


@dataclass(frozen=True)
class ActCodes:
    """What the codes of the records mean, as the ETL vocabulary's properties say.

    The caller builds it from the vocabulary (``etl.vocabulary.act_codes()``); nothing in
    ``geo`` lists which act is prostitution. The empty default means "nothing is": use it only
    for inputs without records.

    Attributes
    ----------
    prostitution_kinds : frozenset of str
        Incident kinds that are prostitution-related acts (P2, P3).
    case_kinds : frozenset of str
        Incident kinds the plan counts as cases of buying and selling sex (II.2.a).
    prostitution_violations : frozenset of str
        Inspection violation codes that are prostitution, not licence breaches (P2, P3).
    busted_outcomes : frozenset of str
        Incident outcomes meaning the case was dealt with (triệt phá).
    sanction_outcomes : frozenset of str
        Inspection outcomes meaning the establishment was sanctioned.
    """

    prostitution_kinds: frozenset[str] = frozenset()
    case_kinds: frozenset[str] = frozenset()
    prostitution_violations: frozenset[str] = frozenset()
    busted_outcomes: frozenset[str] = frozenset()
    sanction_outcomes: frozenset[str] = frozenset()


def prostitution_violation(inspections: pd.DataFrame, codes: ActCodes) -> pd.Series:
    """True for inspections that recorded at least one prostitution-related violation code.

    A sanction with no violation code, or with licence breaches only, is not one.

    Examples
    --------
    >>> frame = pd.DataFrame({"violation_codes": [["chua_mai_dam"], ["vi_pham_dieu_kien_kinh_doanh"],
    ...                                           None, []]})
    >>> prostitution_violation(frame, ActCodes(prostitution_violations=frozenset({"chua_mai_dam"}))).tolist()
    [True, False, False, False]
    """
    wanted = codes.prostitution_violations
    hit = [isinstance(v, list | tuple | np.ndarray) and bool(wanted.intersection(v))
           for v in inspections["violation_codes"]]
    return pd.Series(hit, index=inspections.index, dtype=bool)


def reactivation_evidence(incidents: gpd.GeoDataFrame | None, inspections: gpd.GeoDataFrame | None,
                          codes: ActCodes) -> gpd.GeoDataFrame:
    """The evidence P3 detects reactivations with: prostitution incidents and violations only.

    :func:`geo.reactivation.collect_evidence` of the incidents whose kind is prostitution-related
    and the inspections that recorded a prostitution-related violation; a licence breach is
    no sign that a cleared site is active again.
    """
    if inspections is not None:
        inspections = inspections[prostitution_violation(inspections, codes)]
    return collect_evidence(incidents, inspections, kinds=codes.prostitution_kinds)


@dataclass(frozen=True)
class ClassificationInputs:
    """The frames one evaluation reads, each with a ``commune_code`` column (``<NA>`` = unassigned).

    Attributes
    ----------
    units : DataFrame
        ``commune_code, name`` of the communes of the evaluated vintage.
    sites : GeoDataFrame
        ``site_id, site_kind, commune_code`` and the site's point (None when placed by a commune
        reference only); ``establishment_id`` optional.
    site_events : DataFrame
        ``event_id, site_id, event_date, event_type``: every event, whatever its date.
    establishments : DataFrame
        ``establishment_id, commitment_signed, status, commune_code``.
    inspections : DataFrame
        ``inspection_id, inspection_date, establishment_id, outcome, violation_codes,
        commune_code``: the inspections of the evaluated period.
    reports : DataFrame
        Aggregate counts entered per commune: ``report_id, commune_code, period, indicator_code,
        value``.
    attestations : DataFrame
        Officer attestations: ``assessment_id, commune_code, period, criterion_id, holds, value,
        assessed_by, assessed_at, note``.
    vintage : str
        The vintage the units belong to.
    unassigned : dict
        Per kind of record, the ids that could not be placed on a unit of the vintage.
    evidence : GeoDataFrame
        Prostitution incidents and inspection violations from the beginning up to the
        period's end, as :func:`geo.reactivation.collect_evidence` builds them: what detects
        the reactivation of cleared sites (P3). Placed by point or by the site or
        establishment they name, never by unit; empty by default.
    incidents : DataFrame
        ``incident_id, event_date, incident_kind, outcome, establishment_id``: the incidents
        of the evaluated period (P2 counts those at an establishment); empty by default.
    codes : ActCodes
        What the kinds, violation codes and outcomes mean (from the vocabulary).
    tips : DataFrame
        Tip-offs received in the period (P7): ``tip_id, received_date, handled_date, result,
        commune_code``; empty by default.
    activities : DataFrame
        Awareness activities held in the period (P6): ``activity_id, activity_date, form,
        participants_count, commune_code``; empty by default.
    """

    units: pd.DataFrame
    sites: pd.DataFrame
    site_events: pd.DataFrame
    establishments: pd.DataFrame
    inspections: pd.DataFrame
    reports: pd.DataFrame
    attestations: pd.DataFrame
    vintage: str = ""
    unassigned: dict = field(default_factory=dict)
    evidence: gpd.GeoDataFrame = field(default_factory=lambda: collect_evidence(None, None))
    incidents: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=INCIDENT_COLUMNS))
    codes: ActCodes = field(default_factory=ActCodes)
    tips: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TIP_COLUMNS))
    activities: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=ACTIVITY_COLUMNS))


def build_inputs(units: gpd.GeoDataFrame, *, vintage: str, sites: gpd.GeoDataFrame,
                 site_events: pd.DataFrame, establishments: gpd.GeoDataFrame,
                 inspections: gpd.GeoDataFrame, reports: pd.DataFrame,
                 attestations: pd.DataFrame, codes: ActCodes, crosswalk: pd.DataFrame | None = None,
                 evidence: gpd.GeoDataFrame | None = None,
                 incidents: pd.DataFrame | None = None, tips: gpd.GeoDataFrame | None = None,
                 activities: gpd.GeoDataFrame | None = None) -> ClassificationInputs:
    """Place the store's records on the units of ``vintage`` and bundle them.

    ``sites``, ``establishments`` and ``inspections`` are frames as ``geo.store.records``
    reads them (point or commune reference); sites keep their point. ``reports`` and
    ``attestations`` carry ``commune_code`` and ``vintage_id`` already; rows of other vintages
    are dropped. ``crosswalk`` lets references to units of other vintages follow whole
    successions. ``evidence`` (from :func:`geo.reactivation.collect_evidence`) is passed
    through unplaced; None means none. ``incidents`` are the period's incidents (P2 places
    them by the establishment they name); ``codes`` say what their codes mean. ``tips`` and
    ``activities`` (as ``geo.store.records`` reads them) are placed like establishments; None
    means none.

    Returns
    -------
    ClassificationInputs
    """
    placed = {}
    unassigned = {}
    optional = [(name, frame, id_col) for name, frame, id_col in (("tips", tips, "tip_id"),
                                                                 ("activities", activities, "activity_id"))
                if frame is not None]
    for name, frame, id_col in (("sites", sites, "site_id"),
                                ("establishments", establishments, "establishment_id"),
                                ("inspections", inspections, "inspection_id"), *optional):
        commune_codes = place_records(frame, units, vintage=vintage, crosswalk=crosswalk)
        kept = frame.assign(commune_code=commune_codes)
        placed[name] = kept if name == "sites" else pd.DataFrame(kept.drop(columns=frame.geometry.name))
        unassigned[name] = frame.loc[commune_codes.isna(), id_col].astype(int).tolist()
    return ClassificationInputs(
        units=pd.DataFrame(units[["commune_code", "name"]]).reset_index(drop=True),
        site_events=site_events,
        reports=_same_vintage(reports, vintage),
        attestations=_same_vintage(attestations, vintage),
        vintage=vintage,
        unassigned=unassigned,
        evidence=collect_evidence(None, None) if evidence is None else evidence,
        incidents=pd.DataFrame(columns=INCIDENT_COLUMNS) if incidents is None
        else pd.DataFrame(incidents[INCIDENT_COLUMNS]).reset_index(drop=True),
        codes=codes,
        **placed,
    )


@dataclass(frozen=True, eq=False)  # frames: compared by identity
class ClassificationRecords:
    """The store's records a classification of one period reads, as read: nothing placed yet.

    ``geo.store.classification.read_classification_records`` reads them;
    :func:`period_inputs` places them and bundles the :class:`ClassificationInputs`.

    Attributes
    ----------
    units : GeoDataFrame
        The communes of the vintage, with their outlines.
    sites, site_events, establishments, crosswalk
        Every site (with its point) and every event, every establishment, the crosswalk
        between vintages.
    inspections, incidents
        From the beginning up to the period's end: P3 needs the earlier ones to tell whether
        a trigger in the period is the first after a clearing.
    tips, activities
        The period's tip-offs (P7) and awareness activities (P6).
    reports, attestations
        The commune reports (the latest loaded of each commune, period and indicator: a
        corrected report replaces the earlier one) and the officers' attestations, on the vintage.
    """

    units: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    site_events: pd.DataFrame
    establishments: gpd.GeoDataFrame
    crosswalk: pd.DataFrame
    inspections: gpd.GeoDataFrame
    incidents: gpd.GeoDataFrame
    tips: gpd.GeoDataFrame
    activities: gpd.GeoDataFrame
    reports: pd.DataFrame
    attestations: pd.DataFrame


def period_inputs(records: ClassificationRecords, *, period: Period, vintage: str,
                  codes: ActCodes) -> ClassificationInputs:
    """The inputs of a classification of ``period`` on ``vintage`` from the records read for it.

    Prostitution incidents and prostitution-related inspection violations (``codes``, the
    vocabulary's properties) up to the period's end become the evidence that detects
    reactivations (P3); only the period's inspections are placed on communes (P2, P5), and the
    period's incidents go to P2 through the establishment they name.
    """
    inspections, incidents = records.inspections, records.incidents
    in_period = pd.to_datetime(inspections["inspection_date"]) >= pd.Timestamp(period.start)
    recent = pd.to_datetime(incidents["event_date"]) >= pd.Timestamp(period.start)
    return build_inputs(
        records.units, vintage=vintage, sites=records.sites, site_events=records.site_events,
        codes=codes, establishments=records.establishments, crosswalk=records.crosswalk,
        inspections=inspections[in_period].reset_index(drop=True), incidents=incidents[recent],
        evidence=reactivation_evidence(incidents, inspections, codes),
        tips=records.tips, activities=records.activities,
        reports=records.reports, attestations=records.attestations)


def _same_vintage(frame: pd.DataFrame, vintage: str) -> pd.DataFrame:
    """Keep the rows whose unit belongs to ``vintage``."""
    if "vintage_id" not in frame:
        return frame
    return frame[frame["vintage_id"] == vintage].drop(columns="vintage_id").reset_index(drop=True)
