"""The national roll-up: every loaded province's newest classification (GET /national, /api/national).

Statuses of communes only (no records, no points), so any logged-in role sees it. A user limited to
one province sees that province alone. ``/api/national/communes`` is the national map layer:
every province's communes of its newest snapshot with their status.
"""

from __future__ import annotations

import pandas as pd
from flask import Blueprint, current_app, g, jsonify, render_template

from geo.store.models import CLASSIFICATION_STATUSES
from geo.store.national import national_communes, province_statuses
from webapp.i18n import current_language, register
from webapp.maps import feature_collection
from webapp.province import requested_province_code

bp = Blueprint("national", __name__)

STRINGS = {
    "nat_title": ("Toàn quốc: phân loại theo tỉnh", "National roll-up: classification per province"),
    "nat_province": ("Tỉnh", "Province"),
    "nat_snapshot": ("Kỳ phân loại mới nhất", "Newest classification"),
    "nat_communes": ("Số xã", "Communes"),
    "nat_none": ("chưa phân loại", "not classified yet"),
}
register(STRINGS)

#: The statuses of a classification result, in their order on the page.
STATUS_COLUMNS = CLASSIFICATION_STATUSES


def _limit(frame: pd.DataFrame) -> pd.DataFrame:
    """Only the user's own province when the user is limited to one."""
    own = (g.get("user") or {}).get("province")
    return frame[frame["province_code"] == own] if own else frame


def _rows() -> list[dict]:
    frame = _limit(province_statuses(current_app.extensions["diaban.engine"]))
    statuses = [c for c in frame.columns if c in STATUS_COLUMNS]
    lang = current_language()
    return [{"province_code": r["province_code"],
             "name": (r["label_en"] or r["label"]) if lang == "en" else r["label"],
             "snapshot_id": None if pd.isna(r["snapshot_id"]) else int(r["snapshot_id"]),
             "period": None if pd.isna(r["period"]) else r["period"],
             "vintage": None if pd.isna(r["vintage_id"]) else r["vintage_id"],
             "communes": int(r["communes"]),
             "statuses": {s: int(r[s]) for s in statuses}}
            for r in frame.to_dict(orient="records")]


@bp.before_app_request
def _province_limit() -> None:
    """Every request settles its province first: a limited user asking for another gets 403 here."""
    requested_province_code()


@bp.route("/api/national")
def api_national():
    """JSON: one row per loaded province with its newest snapshot's commune counts per status."""
    return jsonify({"provinces": _rows()})


@bp.route("/api/national/communes")
def api_national_communes():
    """GeoJSON: the communes of every province's newest snapshot with ``province_code`` and ``status``."""
    frame = _limit(national_communes(current_app.extensions["diaban.engine"]))
    return jsonify(feature_collection(frame, ["province_code", "vintage_id", "period", "commune_code",
                                              "name", "status"]))


@bp.route("/national")
def page():
    """The roll-up as a table."""
    return render_template("national.html", rows=_rows(), statuses=STATUS_COLUMNS)
