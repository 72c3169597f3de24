"""A province's plan targets: the file named by ``[plan] targets`` in its ``province.toml``.

The file quotes each target from the plan with its number, unit, kind (a total over the plan
period, or a share to hold each year) and the measure diaban tracks it with
(``geo.targets.MEASURES``, or ``"none"`` when nothing in the store measures it).
"""

from __future__ import annotations

import pandas as pd

from boundaries.errors import ProvinceConfigError
from boundaries.province import Province, load_province
from geo.targets import KINDS, MEASURES

UNITS = ("cases", "inspections", "people", "percent")
_REQUIRED = ("id", "text", "text_en", "source", "number", "target", "unit", "kind", "measure")


def load_targets(province: Province | None = None) -> tuple[dict, pd.DataFrame]:
    """Read and check a province's plan targets.

    Parameters
    ----------
    province : Province, optional
        Default: the bundled default configuration (``boundaries.province.DEFAULT_PROVINCE``);
        callers that serve a database pass its province (``loaded_province``).

    Returns
    -------
    (dict, DataFrame)
        The ``[plan]`` table of the targets file (id, title, start_year, end_year, …) and one
        row per target: ``target_id, clause, text, text_en, source, number, target, unit,
        kind, measure, measure_note, district_target`` (NaN where the file gives none).
        Shares are fractions (0.8 = 80 %).

    Raises
    ------
    ProvinceConfigError
        When the province names no targets file (``has_plan`` is False), or a target lacks
        a key or has an unknown unit, kind or measure; the message names the target and the allowed values.

    Examples
    --------
    >>> plan, targets = load_targets()
    >>> plan["start_year"], plan["end_year"]
    (2016, 2020)
    >>> row = targets.set_index("target_id").loc["inspections"]
    >>> float(row["target"]), row["kind"]
    (8000.0, 'cumulative')
    """
    province = province or load_province()
    if not has_plan(province):
        raise ProvinceConfigError(f"province {province.name} names no targets file; add "
                                  "targets = \"targets.toml\" under [plan] in province.toml")
    raw = province.targets
    targets = pd.DataFrame([_check(t) for t in raw.get("targets", [])])
    targets = targets.rename(columns={"id": "target_id"})
    targets["target"] = targets["target"].astype(float)
    if "district_target" not in targets:
        targets["district_target"] = float("nan")
    targets["district_target"] = targets["district_target"].astype(float)
    plan = dict(raw.get("plan", {}))
    missing = [key for key in ("start_year", "end_year", "vintage") if key not in plan]
    if missing:
        raise ProvinceConfigError(f"the targets file of {province.name} lacks {missing} under [plan]; "
                                  "vintage is the boundary vintage the plan's units are counted on")
    return plan, targets


def has_plan(province: Province | None) -> bool:
    """True when the province configures a plan with targets (``[plan] targets`` in province.toml).

    Examples
    --------
    >>> has_plan(load_province()), has_plan(None)
    (True, False)
    """
    return province is not None and bool(province.targets)


def _check(target: dict) -> dict:
    """Return a target table unchanged, or raise naming what is wrong with it."""
    missing = [key for key in _REQUIRED if key not in target]
    if missing:
        raise ProvinceConfigError(f"target {target.get('id', '?')!r} lacks {', '.join(missing)}")
    allowed = {"unit": UNITS, "kind": KINDS, "measure": (*MEASURES, "none")}
    for key, values in allowed.items():
        if target[key] not in values:
            raise ProvinceConfigError(f"target {target['id']!r}: {key} {target[key]!r} is not "
                                      f"one of {', '.join(values)}")
    return target
