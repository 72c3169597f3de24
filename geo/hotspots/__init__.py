"""The hotspot engine: where incidents cluster, and how that changes over time.

Pure analysis (frames in, frames out, no database): Getis-Ord Gi* hot spots and Local
Moran's I clusters on communes or a metric grid, kernel density surfaces, and emerging hot
spot analysis over a space-time cube, after ArcGIS's Hot Spot Analysis, Optimized Hot Spot
Analysis and Emerging Hot Spot Analysis (docs/methods.md). Every result keeps its input index,
names its columns (``commune_code`` or ``cell_id``, ``value``, ``z_score``, ``p_value``,
``p_fdr``, ``hotspot_class`` or ``category``, ``geometry``) and records what produced it in
``result.attrs["parameters"]`` (a `HotspotParameters`). esda and libpysal are imported only
when a statistic runs.
"""

from geo.hotspots.aggregate import count_cube, count_records, locate_records, time_steps
from geo.hotspots.emerging import (
    CATEGORIES,
    categorize_bins,
    classify_trajectory,
    emerging_hotspots,
    space_time_gi_star,
)
from geo.hotspots.grid import default_cell_size, make_grid
from geo.hotspots.inference import benjamini_hochberg, class_order, two_sided_p
from geo.hotspots.kde import default_bandwidth, density_contours, kernel_density
from geo.hotspots.local import gi_star, local_moran
from geo.hotspots.options import HotspotParameters, summarize
from geo.hotspots.trend import MannKendall, mann_kendall
from geo.settings import DEFAULT_SEED

__all__ = [
    "CATEGORIES",
    "DEFAULT_SEED",
    "HotspotParameters",
    "MannKendall",
    "benjamini_hochberg",
    "categorize_bins",
    "class_order",
    "classify_trajectory",
    "count_cube",
    "count_records",
    "default_bandwidth",
    "default_cell_size",
    "density_contours",
    "emerging_hotspots",
    "gi_star",
    "kernel_density",
    "local_moran",
    "locate_records",
    "make_grid",
    "mann_kendall",
    "space_time_gi_star",
    "summarize",
    "time_steps",
    "two_sided_p",
]
