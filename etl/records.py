"""The values of each record kind: which fields a row must have, how each is parsed, what is stored.

One function per kind fills the ``out`` frame of ``etl.fields`` from the rows read. :data:`COLUMNS`
lists the columns written to the kind's table (its natural key ``record_hash`` is added by the
pipeline from :data:`HASHED`), :data:`DATE_FIELD` the date that chooses the boundary vintage.
"""

from __future__ import annotations

import pandas as pd

from etl.fields import coded, coded_list, count, dates, money, require, text, yes_no

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
}
"""The columns of each kind's table the ingest writes."""

HASHED: dict[str, list[str]] = {**COLUMNS, "site-events": ["site_id", "event_date", "event_type"],
                                "sites": [*COLUMNS["sites"], "first_identified"]}
"""The values a record's natural key is computed from (a site event: its site, date and step)."""

DATE_FIELD: dict[str, str | None] = {"establishments": None, "sites": "first_identified",
                                     "site-events": "event_date", "incidents": "event_date",
                                     "inspections": "inspection_date"}
"""The date of each kind that chooses the boundary vintage a row is placed on (None: the latest)."""


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


VALUES = {"establishments": establishment_values, "sites": site_values, "site-events": site_event_values,
          "incidents": incident_values, "inspections": inspection_values}
"""The value parser of each kind."""
