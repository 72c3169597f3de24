"""The reactivation engine: cleared sites (triệt xóa) that come back (tái hoạt động).

Pure analysis: frames in, frames out, no database (``geo.store`` is never imported here;
callers read the records and pass them in). Distances in ``WORK_CRS`` metres, time in days.

* :func:`collect_evidence` — relevant incidents and inspection violations (the rules).
* :func:`track_reactivations` — clearing spells, reactivations with their evidence, status.
* :func:`knox_test`, :func:`events_near_clearings` — near-repeat test over space-time bands.
* :func:`kaplan_meier`, :func:`reactivation_survival`, :func:`survival_summary` — time to
  reactivation.
* :func:`rank_at_risk` — cleared sites with recent activity nearby, for patrol planning.
* :func:`location_history` — everything recorded within a radius of a place.
* :class:`SpaceTimeIndex` — the 3-D (x, y, t) R-tree behind the space-time queries.
"""

from geo.reactivation.detection import (
    DEFAULT_RADIUS_M,
    DEFAULT_WINDOW_DAYS,
    Reactivations,
    track_reactivations,
)
from geo.reactivation.evidence import PROSTITUTION_KINDS, VIOLATION_OUTCOMES, collect_evidence, is_violation
from geo.reactivation.history import location_history
from geo.reactivation.index import SpaceTimeIndex
from geo.reactivation.knox import KnoxResult, events_near_clearings, knox_test
from geo.reactivation.risk import rank_at_risk
from geo.reactivation.survival import kaplan_meier, reactivation_survival, survival_summary

__all__ = [
    "DEFAULT_RADIUS_M", "DEFAULT_WINDOW_DAYS", "PROSTITUTION_KINDS", "VIOLATION_OUTCOMES",
    "KnoxResult", "Reactivations", "SpaceTimeIndex",
    "collect_evidence", "events_near_clearings", "is_violation", "kaplan_meier", "knox_test",
    "location_history", "rank_at_risk", "reactivation_survival", "survival_summary",
    "track_reactivations",
]
