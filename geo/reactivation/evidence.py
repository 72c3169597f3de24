"""Evidence of activity: relevant incidents and inspection violations, as one dated frame.

Rules (decided here, used by every part of the engine):

* A **relevant incident** is one whose ``incident_kind`` is a prostitution offence,
  :data:`PROSTITUTION_KINDS` by default: the offence enumerations of ``criteria.md`` §4.5 and
  ``data-realities.md`` §7.3 without ``khac`` (other) and ``vi_pham_dieu_kien_kinh_doanh``
  (licence and contract breaches, which are not prostitution). An unknown kind is not
  relevant; pass ``kinds=`` to widen or narrow the set.
* An **inspection violation** is an inspection whose ``outcome`` is a sanction or a formal
  finding, :data:`VIOLATION_OUTCOMES` (``xu_phat`` fine, ``tam_dinh_chi`` suspension,
  ``tuoc_giay_phep`` licence withdrawn, ``lap_bien_ban`` violation record drawn up,
  ``chuyen_co_quan_dieu_tra`` handed to investigators), **or** whose ``violation_codes`` is
  not empty, whatever the outcome. A warning (``nhac_nho``) alone is not a violation.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import ReactivationError
from geo.reactivation.frames import require_columns
from geo.settings import WORK_CRS

PROSTITUTION_KINDS: frozenset[str] = frozenset({
    "mua_ban_dam", "mua_dam", "ban_dam", "chua_mai_dam", "moi_gioi_mai_dam", "moi_gioi",
    "to_chuc_hoat_dong_mai_dam", "cuong_buc_ban_dam", "mua_dam_nguoi_duoi_18",
    "khieu_dam_kich_duc", "thoat_y", "loi_dung_kddv", "bao_ke_che_giau_dung_tung",
    "hoat_dong_tinh_duc_khac_lam_phuong_thuc_kinh_doanh",
})
VIOLATION_OUTCOMES: frozenset[str] = frozenset({
    "xu_phat", "tam_dinh_chi", "tuoc_giay_phep", "lap_bien_ban", "chuyen_co_quan_dieu_tra",
})
EVIDENCE_COLUMNS = ["source", "record_id", "date", "kind", "establishment_id", "site_id", "geometry"]
INCIDENT_COLUMNS = ["incident_id", "event_date", "incident_kind", "establishment_id", "geometry"]
INSPECTION_COLUMNS = ["inspection_id", "inspection_date", "establishment_id", "outcome",
                      "violation_codes", "geometry"]


def is_violation(inspections: pd.DataFrame, *,
                 violation_outcomes: Iterable[str] = VIOLATION_OUTCOMES) -> pd.Series:
    """True for inspections that found a violation (see the module rules).

    Examples
    --------
    >>> frame = pd.DataFrame({"outcome": ["xu_phat", "nhac_nho", "nhac_nho", "khong_vi_pham"],
    ...                       "violation_codes": [[], ["ND144-2021-D25"], None, []]})
    >>> is_violation(frame).tolist()
    [True, True, False, False]
    """
    coded = inspections["violation_codes"].map(_non_empty).astype(bool)
    return inspections["outcome"].isin(set(violation_outcomes)) | coded


def collect_evidence(incidents: gpd.GeoDataFrame | None, inspections: gpd.GeoDataFrame | None, *,
                     kinds: Iterable[str] = PROSTITUTION_KINDS,
                     violation_outcomes: Iterable[str] = VIOLATION_OUTCOMES) -> gpd.GeoDataFrame:
    """Relevant incidents and inspection violations as one frame of dated evidence.

    Parameters
    ----------
    incidents : GeoDataFrame or None
        As read by ``geo.store.records.read_incidents``: ``incident_id, event_date,
        incident_kind, establishment_id, geometry`` (``site_id`` optional), any CRS.
    inspections : GeoDataFrame or None
        As read by ``read_inspections``: ``inspection_id, inspection_date, establishment_id,
        outcome, violation_codes, geometry``, any CRS.
    kinds : iterable of str, default PROSTITUTION_KINDS
        The incident kinds that count.
    violation_outcomes : iterable of str, default VIOLATION_OUTCOMES
        The inspection outcomes that count as a violation.

    Returns
    -------
    GeoDataFrame
        In ``WORK_CRS``, one row per record, ordered by date, source and id: ``source``
        (``incident`` or ``inspection``), ``record_id``, ``date`` (datetime64), ``kind``
        (incident kind or inspection outcome), ``establishment_id``, ``site_id`` (nullable
        integers) and the point (None for commune-only records).

    Examples
    --------
    >>> from datetime import date
    >>> inc = gpd.GeoDataFrame({"incident_id": [1, 2], "event_date": [date(2020, 6, 1)] * 2,
    ...     "incident_kind": ["mua_ban_dam", "khac"], "establishment_id": [None, None]},
    ...     geometry=gpd.points_from_xy([106.82, 106.82], [10.95, 10.95]), crs=4326)
    >>> ins = gpd.GeoDataFrame({"inspection_id": [7], "inspection_date": [date(2020, 2, 1)],
    ...     "establishment_id": [3], "outcome": ["xu_phat"], "violation_codes": [[]]},
    ...     geometry=gpd.points_from_xy([106.82], [10.95]), crs=4326)
    >>> collect_evidence(inc, ins)[["source", "record_id", "kind"]].values.tolist()
    [['inspection', 7, 'xu_phat'], ['incident', 1, 'mua_ban_dam']]
    """
    parts = []
    if incidents is not None:
        require_columns(incidents, INCIDENT_COLUMNS, "incidents")
        keep = incidents[incidents["incident_kind"].isin(set(kinds))]
        parts.append(_part(keep, "incident", "incident_id", "event_date", "incident_kind"))
    if inspections is not None:
        require_columns(inspections, INSPECTION_COLUMNS, "inspections")
        keep = inspections[is_violation(inspections, violation_outcomes=violation_outcomes)]
        parts.append(_part(keep, "inspection", "inspection_id", "inspection_date", "outcome"))
    if not parts:
        return gpd.GeoDataFrame({c: [] for c in EVIDENCE_COLUMNS[:-1]}, geometry=[], crs=WORK_CRS)
    frame = pd.concat(parts, ignore_index=True)
    frame = frame.sort_values(["date", "source", "record_id"], kind="stable").reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=WORK_CRS)


def _part(frame: gpd.GeoDataFrame, source: str, id_col: str, date_col: str,
          kind_col: str) -> gpd.GeoDataFrame:
    """One source's rows in the evidence layout, projected to ``WORK_CRS``."""
    if frame.crs is None:
        raise ReactivationError(f"{source}s have no CRS; set it with .set_crs('EPSG:4326') first")
    site = frame["site_id"] if "site_id" in frame else pd.Series(pd.NA, index=frame.index)
    return gpd.GeoDataFrame({
        "source": source,
        "record_id": frame[id_col].astype("int64").to_numpy(),
        "date": pd.to_datetime(pd.Series(frame[date_col].to_numpy(), dtype=object)).to_numpy(),
        "kind": frame[kind_col].astype("string").to_numpy(),
        "establishment_id": pd.array(frame["establishment_id"].to_numpy(), dtype="Int64"),
        "site_id": pd.array(site.to_numpy(), dtype="Int64"),
    }, geometry=frame.geometry.to_crs(WORK_CRS).to_numpy(), crs=WORK_CRS)


def _non_empty(codes) -> bool:
    """True for a non-empty list of violation codes (None, NaN and [] are empty)."""
    if codes is None or (np.isscalar(codes) and pd.isna(codes)):
        return False
    return len(codes) > 0
