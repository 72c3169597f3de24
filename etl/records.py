"""The values of each record kind: which fields a row must have, how each is parsed, what is stored.

One function per kind fills the ``out`` frame of ``etl.fields`` from the rows read. :data:`COLUMNS`
lists the columns written to the kind's table (its natural key ``record_hash`` is added by the
pipeline from :data:`HASHED`), :data:`DATE_FIELD` the date that chooses the boundary vintage.
:func:`prepare_rows` turns a file's rows into the rows parsed: a file-level period fills blank
period cells, and a wide commune report becomes one row per commune and indicator.
"""

from __future__ import annotations

from datetime import UTC, datetime, time
from functools import cache

import numpy as np
import pandas as pd

from etl import reasons
from etl.errors import ParserOptionError
from etl.fields import (
    coded,
    coded_list,
    count,
    dates,
    details_of,
    each_distinct,
    money,
    period_label,
    periods,
    reject,
    require,
    text,
    yes_no,
)
from etl.headers import header_words
from etl.text import is_blank
from geo.classify.rulesets import available_rulesets, load_ruleset
from geo.store.models import REPORT_INDICATORS

COLUMNS: dict[str, list[str]] = {
    "establishments": ["establishment_type", "type_label", "name", "address", "commitment_signed", "status",
                       "registration_hmac", "unit_id", "geom"],
    "sites": ["site_kind", "kind_label", "descriptor", "establishment_id", "site_ref_hmac", "unit_id",
              "geom"],
    "site-events": ["site_id", "event_date", "event_type", "event_label"],
    "incidents": ["event_date", "incident_kind", "kind_label", "case_type", "outcome", "outcome_label",
                  "persons_total", "persons_under_18", "fine_vnd", "case_ref_hmac", "unit_id", "geom"],
    "inspections": ["inspection_date", "establishment_id", "team_level", "outcome", "outcome_label",
                    "violation_codes", "violation_labels", "fine_vnd", "record_ref_hmac"],
    "tips": ["received_date", "category", "category_label", "channel", "channel_label", "establishment_id",
             "site_id", "verified_date", "result", "handled_date", "tip_ref_hmac", "unit_id", "geom"],
    "activities": ["activity_date", "form", "form_label", "participants_count", "unit_id", "geom"],
    "commune-reports": ["unit_id", "period", "indicator_code", "value", "reported_by"],
    "attestations": ["unit_id", "period", "criterion_id", "holds", "value", "assessed_by", "assessed_at"],
}
"""The columns of each kind's table the ingest writes."""

HASHED: dict[str, list[str]] = {
    **COLUMNS, "site-events": ["site_id", "event_date", "event_type"],
    "sites": [*COLUMNS["sites"], "first_identified"],
    "attestations": [*COLUMNS["attestations"][:-1], "attested_on"],
}
"""The values a record's natural key is computed from (a site event: its site, date and step; an
attestation: its date as written, not the load time that stands in for a missing one)."""

DATE_FIELD: dict[str, str | None] = {"establishments": None, "sites": "first_identified",
                                     "site-events": "event_date", "incidents": "event_date",
                                     "inspections": "inspection_date", "tips": "received_date",
                                     "activities": "activity_date", "commune-reports": "period_last_day",
                                     "attestations": "period_last_day"}
"""The date of each kind that chooses the boundary vintage a row is placed on (None: the latest; a
period's last day for reports and attestations, the vintage a classification of the period reads)."""

PERIOD_KINDS = ("commune-reports", "attestations")
"""The kinds whose rows belong to a reporting period, which may be given for the whole file."""


def incident_values(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    """An incident: its date and act (required), case type, outcome, counts of people, fine."""
    dates(frame, out, "event_date", required=True)
    coded(frame, out, "incident_kind", "incident_kinds", target="incident_kind", label="kind_label",
          required=True)
    coded(frame, out, "case_type", "case_types", target="case_type", strict=False)
    coded(frame, out, "outcome", "incident_outcomes", target="outcome", label="outcome_label")
    for column in ("persons_total", "persons_under_18"):
        count(frame, out, column)
    money(frame, out, "fine", "fine_vnd")


def establishment_values(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    """An establishment: its type or name (one required), address, commitment, registration hash."""
    require(frame, out, ["establishment_type", "name"], "establishment_type or name")
    coded(frame, out, "establishment_type", "establishment_types", target="establishment_type",
          label="type_label")
    out["establishment_type"] = out["establishment_type"].fillna("other")
    out["name"], out["address"] = text(frame, "name"), text(frame, "address")
    yes_no(frame, out, "commitment_signed")
    out["status"] = "active"


def site_values(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    """A site (tụ điểm): public or in an establishment, its descriptor, the date it was first identified.

    Without a kind label (or with one the vocabulary does not list, a warning) a site naming an
    establishment is ``in_establishment``, any other ``public``.
    """
    dates(frame, out, "first_identified", required=False)
    coded(frame, out, "site_type", "site_kinds", target="site_kind", label="kind_label", strict=False)
    inside = text(frame, "establishment_name").notna()
    out["site_kind"] = out["site_kind"].where(out["site_kind"].notna(),
                                              inside.map({True: "in_establishment", False: "public"}))
    out["descriptor"] = text(frame, "name")


def site_event_values(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    """A site's dated step (identified, cleared, reactivated, re-cleared): date and step required."""
    dates(frame, out, "event_date", required=True)
    coded(frame, out, "event_type", "site_events", target="event_type", label="event_label", required=True)


def inspection_values(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    """An inspection: date and team level required, outcome, violations, fine in đồng."""
    dates(frame, out, "inspection_date", required=True)
    coded(frame, out, "team_level", "team_levels", target="team_level", required=True)
    coded(frame, out, "outcome", "inspection_outcomes", target="outcome", label="outcome_label")
    out["outcome"] = out["outcome"].fillna("unknown")
    coded_list(frame, out, "violation", "violation_types", target="violation_codes", label="violation_labels")
    money(frame, out, "fine", "fine_vnd")


def tip_values(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    """A tip-off: received date (required), category, channel, verification and handling, result.

    A blank result is ``pending``; the result is a closed list (confirmed, not_confirmed, pending).
    """
    dates(frame, out, "received_date", required=True)
    coded(frame, out, "category", "tip_categories", target="category", label="category_label")
    coded(frame, out, "channel", "tip_channels", target="channel", label="channel_label")
    for column in ("verified_date", "handled_date"):
        dates(frame, out, column, required=False)
    coded(frame, out, "result", "tip_results", target="result")
    out["result"] = out["result"].fillna("pending")


def activity_values(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    """An awareness activity: date (required), form (``other`` when blank), participants (whole, >= 0)."""
    dates(frame, out, "activity_date", required=True)
    coded(frame, out, "form", "activity_forms", target="form", label="form_label")
    out["form"] = out["form"].fillna("other")
    count(frame, out, "participants", target="participants_count")


def report_values(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    """One commune × indicator cell of a commune report: period, indicator and count required.

    The reporting office is kept as an office code (``offices`` vocabulary), never as free text.
    """
    periods(frame, out)
    require(frame, out, ["indicator_code"], "indicator (every indicator column of the row is blank)")
    out["indicator_code"] = text(frame, "indicator_code")
    count(frame, out, "value")
    _office(frame, out, "reported_by", "reported_by")


def attestation_values(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    """An attestation: period, criterion and whether it holds (required), value, office, date.

    The criterion must be one a person attests in a shipped rule set (P8, P9); holds is a closed
    yes/no list (đạt/không đạt, có/không). A note is free text and is never read.
    """
    periods(frame, out)
    _criteria(frame, out)
    coded(frame, out, "holds", "holds", target="holds", required=True)
    out["holds"] = out["holds"].map({"yes": True, "no": False}).astype(object)
    count(frame, out, "value", whole=False)
    _office(frame, out, "attested_by", "assessed_by")
    dates(frame, out, "attested_on", required=False)
    now = datetime.now(UTC)
    out["assessed_at"] = [now if day is None else datetime.combine(day, time()) for day in out["attested_on"]]


def _office(frame: pd.DataFrame, out: pd.DataFrame, column: str, target: str) -> None:
    """``out[target]``: the code of an office or role (``unspecified`` when blank); its text is not kept."""
    coded(frame, out, column, "offices", target=target)
    out[target] = out[target].fillna("unspecified")


@cache
def attested_criteria() -> tuple[str, ...]:
    """The ids of the criteria a person attests in the shipped rule sets.

    Examples
    --------
    >>> attested_criteria()
    ('P8', 'P9')
    """
    ids = {c.id for name in available_rulesets() for c in load_ruleset(name).criteria if c.kind == "attested"}
    return tuple(sorted(ids))


def _criteria(frame: pd.DataFrame, out: pd.DataFrame) -> None:
    """``out["criterion_id"]``: ``P8``, ``p 8`` or ``Tiêu chí P8`` read as P8; another id is rejected."""
    raw = text(frame, "criterion")
    reject(out, raw.isna(), reasons.MISSING_FIELD, details_of("criterion", raw, reasons.MISSING_FIELD))
    ids = each_distinct(raw, lambda v: None if v is None else
                        "".join(w for w in header_words(v) if w not in ("tieu", "chi")).upper())
    allowed = attested_criteria()
    reject(out, raw.notna() & ~ids.isin(allowed), reasons.NOT_IN_VOCABULARY,
           details_of("criterion", raw, reasons.NOT_IN_VOCABULARY,
                      suffix=f" Allowed criteria: {', '.join(allowed)}."))
    out["criterion_id"] = ids


VALUES = {"establishments": establishment_values, "sites": site_values, "site-events": site_event_values,
          "incidents": incident_values, "inspections": inspection_values, "tips": tip_values,
          "activities": activity_values, "commune-reports": report_values,
          "attestations": attestation_values}
"""The value parser of each kind."""


def prepare_rows(kind: str, frame: pd.DataFrame, *, period: str | None = None) -> pd.DataFrame:
    """The rows to parse: ``period`` fills blank period cells; a commune report is made long.

    Parameters
    ----------
    kind : str
        The record kind.
    frame : DataFrame
        The rows as read and pseudonymised.
    period : str, optional
        The period of the whole file (``--period``), in any form :func:`etl.fields.period_label`
        reads; only for :data:`PERIOD_KINDS`.

    Raises
    ------
    ParserOptionError
        For a period given to another kind, or one that cannot be read.

    Examples
    --------
    >>> wide = pd.DataFrame({"source_row": [2, 3], "commune": ["A", "B"],
    ...                      "people_reached": ["5", None], "reintegrated": ["1", None]})
    >>> prepare_rows("commune-reports", wide, period="Quý II/2018")[["source_row", "indicator_code", "value",
    ...                                                               "period"]].to_dict("split")["data"]
    [[2, 'people_reached', '5', '2018-Q2'], [2, 'reintegrated', '1', '2018-Q2'], [3, None, None, '2018-Q2']]
    """
    if period is not None:
        if kind not in PERIOD_KINDS:
            raise ParserOptionError(f"a period is given for a whole file of {', '.join(PERIOD_KINDS)} only, "
                                    f"not {kind}")
        label = period_label(period)
        if label is None:
            fix = reasons.explain(reasons.BAD_PERIOD).fix
            raise ParserOptionError(f"period {period!r} cannot be read; {fix}")
        frame = frame.assign(period=text(frame, "period").fillna(label))
    return _long_reports(frame) if kind == "commune-reports" else frame


DERIVED_FIELDS = {"commune-reports": frozenset({"indicator_code", "value"})}
"""Columns a kind's rows gain from the file's own fields before validation (a wide report's cells
become ``indicator_code`` + ``value``): canonical values, kept in a rejected row's ``raw`` so a
reviewed row loads again."""


def _long_reports(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per commune and indicator cell that holds a value; a row with none keeps one empty row.

    The rows keep their ``source_row``, so every cell rejected names the row of the file it came from.
    """
    present = [c for c in REPORT_INDICATORS if c in frame]
    ids = [c for c in frame.columns if c not in present]
    order = frame.assign(_row=np.arange(len(frame)))
    long = order.melt(id_vars=[*ids, "_row"], value_vars=present, var_name="indicator_code",
                      value_name="value")
    long = long[~long["value"].map(is_blank)]
    empty = order.loc[~order["_row"].isin(long["_row"]), [*ids, "_row"]].assign(indicator_code=None,
                                                                               value=None)
    both = pd.concat([long, empty], ignore_index=True).astype({"indicator_code": object, "value": object})
    both["_rank"] = both["indicator_code"].map({c: i for i, c in enumerate(present)}).fillna(len(present))
    return both.sort_values(["_row", "_rank"], kind="stable").drop(columns=["_row", "_rank"]).reset_index(
        drop=True)
