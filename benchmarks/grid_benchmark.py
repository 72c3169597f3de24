"""Time ``geo.hotspots.make_grid`` against the plain clip it replaced, on the bundled boundaries.

Run from the project root (no database needed)::

    .venv/bin/python benchmarks/grid_benchmark.py [--sizes 1000 500] [--repeat 1]

For each vintage of the default province (built by ``boundaries.units.build_units`` as
``diaban boundaries load`` builds it, not timed) and each cell size, square cells are made

(a) by ``make_grid``: cells wholly inside the communes kept as they are, edge cells cut by the
    few communes an STRtree finds;
(b) by the reference: every cell touching the province cut by the union of all its communes
    (``shapely.intersection(cells, outline)``), what ``make_grid`` did before.

Both produce the same cells: the script checks the cell count and the total area agree, then
prints the seconds of each and their ratio side by side.
"""

from __future__ import annotations

import argparse
import time

import geopandas as gpd
import numpy as np
import shapely

from boundaries import load_province
from boundaries.units import build_units
from geo.hotspots import make_grid
from geo.hotspots.grid import _squares
from geo.settings import WORK_CRS


def reference(communes: gpd.GeoSeries, size: float) -> np.ndarray:
    """Touching cells cut by the whole outline (the clip ``make_grid`` used before)."""
    area = shapely.union_all(communes.values)
    _, polygons = _squares(area.bounds, size)
    shapely.prepare(area)
    clipped = shapely.intersection(polygons[shapely.intersects(area, polygons)], area)
    return clipped[shapely.area(clipped) > 0]


def best_of(repeat: int, fn):
    """The result and the best wall time of ``repeat`` runs of ``fn``."""
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return out, min(times)


def main() -> None:
    """Print the side-by-side times of every vintage and cell size."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[1000.0, 500.0])
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    province = load_province()
    print(f"{'vintage':<12} {'communes':>8} {'cell m':>7} {'cells':>7} {'make_grid s':>12} "
          f"{'reference s':>12} {'ratio':>7}")
    built: dict = {}
    for spec in province.vintages:
        units, _ = build_units(province, spec, built=built)
        communes = units[units["level"] == "commune"].to_crs(WORK_CRS).geometry
        for size in args.sizes:
            cells, mine = best_of(args.repeat, lambda c=communes, s=size: make_grid(c, cell_size=s,
                                                                                  min_inside=0))
            ref, theirs = best_of(args.repeat, lambda c=communes, s=size: reference(c, s))
            if len(cells) != len(ref) or not np.isclose(cells.area.sum(), shapely.area(ref).sum()):
                raise SystemExit(f"{spec.id}, {size} m: the two grids differ "
                                 f"({len(cells)} vs {len(ref)} cells)")
            print(f"{spec.id:<12} {len(communes):>8} {size:>7.0f} {len(cells):>7} {mine:>12.2f} "
                  f"{theirs:>12.2f} {theirs / mine:>6.1f}×")


if __name__ == "__main__":
    main()
