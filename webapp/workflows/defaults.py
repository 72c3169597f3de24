"""The analysis defaults every caller shares: the ``diaban`` options, the map, the dashboard, the briefing.

The engines' own defaults stay in the engines (``geo.hotspots.options``,
``geo.reactivation``) and are named here once more only by reference, so a click option, a
view and the briefing all read the same constant.

Examples
--------
>>> HOTSPOT_OPTIONS["method"], HOTSPOT_OPTIONS["alpha"], REACTIVATION_RADIUS_M, REACTIVATION_WINDOW_DAYS
('gi', 0.05, 100.0, 365)
"""

from __future__ import annotations

from geo.hotspots.options import DEFAULT_ALPHA, DEFAULT_INFERENCE
from geo.reactivation import DEFAULT_RADIUS_M, DEFAULT_WINDOW_DAYS
from geo.settings import DEFAULT_SEED

#: Every option of a hot spot analysis and its default (``diaban hotspots``, map, briefing).
#: ``cell_size``, ``distance_band_m`` and ``permutations`` of None are chosen from the data.
HOTSPOT_OPTIONS: dict = {
    "source": "incidents", "method": "gi", "unit": "commune", "cell_size": None, "shape": "square",
    "distance_band_m": None, "step": "month", "time_lag": 1, "inference": DEFAULT_INFERENCE,
    "permutations": None, "seed": DEFAULT_SEED, "alpha": DEFAULT_ALPHA, "fdr": True,
}

#: Metres within which an incident or violation reactivates a cleared site.
REACTIVATION_RADIUS_M: float = DEFAULT_RADIUS_M
#: Days after a clearing in which evidence counts (None or 0: no limit).
REACTIVATION_WINDOW_DAYS: int | None = DEFAULT_WINDOW_DAYS
#: Length of the at-risk list of ``diaban reactivation``.
AT_RISK_TOP = 10
#: How the at-risk list scores a cleared site: activity within ``radius_m`` over ``lookback_days``.
AT_RISK = {"radius_m": 500.0, "lookback_days": 90, "half_life_days": 30.0}
#: Search radius of ``diaban history``, metres.
HISTORY_RADIUS_M = 100.0

#: The period convention unless another is asked for.
CONVENTION = "calendar"
