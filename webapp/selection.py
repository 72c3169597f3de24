"""What a map or API request asks for: a period and a boundary vintage, filters, the slider's periods."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import current_app, request

from geo.periods import Period, last_closed_half, parse_period
from geo.store.counts import data_as_of
from geo.store.units import LoadedVintage, choose_vintage, list_vintages
from webapp.errors import FilterError
from webapp.province import current_province_code

METHOD = "count per commune: point in polygon (boundary included, lowest code on a shared edge); " \
         "records with only a commune reference counted in that commune when it is of this vintage"

#: The most periods a time slider steps through (ten years of months and then some).
MAX_STEPS = 240
_PARTS = {"year": [""], "nine_months": ["-9M"], "half": ["-H1", "-H2"],
          "quarter": [f"-Q{q}" for q in range(1, 5)], "month": [f"-{m:02d}" for m in range(1, 13)]}


@dataclass(frozen=True)
class Selection:
    """A period and the vintage its communes are drawn in."""

    period: Period
    vintage: LoadedVintage
    vintages: list[LoadedVintage]


@dataclass(frozen=True)
class MapFilters:
    """What narrows the map: a district of the vintage, incident kinds, establishment types.

    ``None`` means no restriction. Incident kinds narrow the incident counts and the hot spot
    analyses; establishment types narrow the inspection counts and the establishment points.
    """

    district: str | None = None
    incident_kinds: tuple[str, ...] | None = None
    establishment_types: tuple[str, ...] | None = None

    def as_query(self) -> dict[str, str]:
        """The filters as query parameters (only those set).

        Examples
        --------
        >>> MapFilters(district="731", incident_kinds=("a", "b")).as_query()
        {'district': '731', 'kind': 'a,b'}
        """
        pairs = {"district": self.district,
                 "kind": ",".join(self.incident_kinds) if self.incident_kinds else None,
                 "etype": ",".join(self.establishment_types) if self.establishment_types else None}
        return {k: v for k, v in pairs.items() if v}


def current_selection(today: date | None = None) -> Selection:
    """Read ``period`` and ``vintage`` from the query string.

    Defaults: the last closed half-year, on the vintage valid on its last day. Raises
    ``PeriodError`` or ``UnknownVintageError`` (turned into 400 answers) for bad values.
    """
    engine = current_app.extensions["diaban.engine"]
    period = parse_period(request.args.get("period") or last_closed_half(today or date.today()).label)
    vintages = list_vintages(engine, current_province_code())
    chosen = choose_vintage(engine, period, request.args.get("vintage"), vintages=vintages)
    return Selection(period=period, vintage=chosen, vintages=vintages)


def selection_metadata(selection: Selection, unassigned: dict, *, geometry: str) -> dict:
    """What a map or an export must state: period, vintage, data as-of, method, gaps."""
    status = data_as_of(current_app.extensions["diaban.engine"])
    return {
        "period": selection.period.label,
        "period_start": selection.period.start.isoformat(),
        "period_end_exclusive": selection.period.end.isoformat(),
        "vintage": selection.vintage.id,
        "vintage_label": selection.vintage.label,
        "data_as_of": status["as_of"].isoformat() if status["as_of"] else None,
        "synthetic": status["synthetic"],
        "method": METHOD,
        "unassigned": unassigned,
        "geometry": geometry,
        "crs": "EPSG:4326",
    }


def current_filters(districts: dict[str, str], kinds, types, *, vintage: str) -> MapFilters:
    """Read ``district``, ``kind`` and ``etype`` (comma-separated lists) from the query string.

    Parameters
    ----------
    districts : dict
        ``{code: name}`` of the vintage's districts (empty from 2025-07-01).
    kinds, types : iterable of str
        The incident kinds and establishment types the store holds.

    Raises
    ------
    FilterError
        For a value that is not one of those, naming the accepted ones.
    """
    district = request.args.get("district") or None
    if district and district not in districts:
        accepted = ", ".join(f"{c} ({n})" for c, n in sorted(districts.items())) or "none: leave it empty"
        raise FilterError(f"district {district!r} is not a district of vintage {vintage}; use one of: "
                          f"{accepted}")
    return MapFilters(district=district, incident_kinds=_listed("kind", kinds),
                      establishment_types=_listed("etype", types))


def _listed(name: str, known) -> tuple[str, ...] | None:
    """The comma-separated values of query parameter ``name``, each checked against ``known``."""
    values = tuple(v.strip() for v in (request.args.get(name) or "").split(",") if v.strip())
    unknown = [v for v in values if v not in set(known)]
    if unknown:
        raise FilterError(f"{name} {', '.join(map(repr, unknown))} is not known; use one or more "
                          f"(comma-separated) of: {', '.join(sorted(known))}")
    return values or None


def period_steps(kind: str, first_day: date, last_day: date) -> list[Period]:
    """Every calendar period of ``kind`` that overlaps ``[first_day, last_day]``, in order.

    Examples
    --------
    >>> [p.label for p in period_steps("half", date(2018, 5, 1), date(2019, 8, 1))]
    ['2018-H1', '2018-H2', '2019-H1', '2019-H2']
    >>> [p.label for p in period_steps("nine_months", date(2018, 10, 1), date(2019, 1, 1))]
    ['2019-9M']
    """
    steps = [parse_period(f"{year}{part}") for year in range(first_day.year, last_day.year + 1)
             for part in _PARTS[kind]]
    return [p for p in steps if p.end > first_day and p.start <= last_day]


def slider_periods(period: Period, first_day: date | None, last_day: date | None) -> list[Period]:
    """The periods a time slider offers: ``period``'s kind over the span of the records.

    The selected period is always among them; when there are more than :data:`MAX_STEPS`, the
    ones nearest to it are kept.

    Examples
    --------
    >>> p = parse_period("2018")
    >>> [s.label for s in slider_periods(p, date(2016, 3, 1), date(2019, 2, 1))]
    ['2016', '2017', '2018', '2019']
    >>> [s.label for s in slider_periods(p, None, None)]
    ['2018']
    """
    if first_day is None or last_day is None:
        return [period]
    steps = period_steps(period.kind, min(first_day, period.start), max(last_day, period.start))
    at = next(i for i, p in enumerate(steps) if p.label == period.label)
    low = max(0, min(at - MAX_STEPS // 2, len(steps) - MAX_STEPS))
    return steps[low:low + MAX_STEPS]
