"""GET/POST /classify: analysts classify the communes of a period from the web and store the snapshot.

The form takes a period, a convention and a rule set (and optionally a vintage); a POST runs
the same workflow as ``diaban classify`` (:func:`webapp.workflows.classification.classify_period`
then :func:`~webapp.workflows.classification.store_run`), stores an immutable snapshot made by the
analyst (``created_by`` = their login), writes ``classify`` to the audit log, and shows the
status counts, the data still missing (what to load) and a link to the map.

It runs synchronously, behind a spinner: measured on the demo data (2 cores shared with other
work), a year of the 2010 layer (171 communes, the heaviest case) reads and classifies in
0.3–0.6 s and a half-year of the 2025 layer in about 0.6 s, well under the 5 s where a
background job with a status to poll would be needed. The page lists the newest snapshots.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, g, render_template, request, url_for

from geo.classify import DEFAULT_RULESET, STATUSES, available_rulesets, load_ruleset, summarize_missing
from geo.errors import DiabanError
from geo.periods import CONVENTIONS, last_closed_half, parse_period
from geo.store.classification import list_snapshots
from geo.store.units import list_vintages
from webapp.auth import audit_request, role_required
from webapp.i18n import current_language, register
from webapp.province import current_province_code
from webapp.workflows.classification import classify_period, store_run

bp = Blueprint("classify", __name__)

STRINGS = {
    "classify_title": ("Phân loại xã, phường", "Classify communes"),
    "classify_intro": ("Phân loại mọi xã của một kỳ theo bộ tiêu chí, như lệnh `diaban classify`. "
                       "Kết quả được lưu thành một lần phân loại không sửa được, ghi tên người chạy, "
                       "và hiện trên bản đồ.",
                       "Classify every commune of a period under a rule set, as `diaban classify` does. "
                       "The result is stored as an immutable snapshot in your name and shown on the map."),
    "classify_period": ("Kỳ", "Period"),
    "classify_convention": ("Quy ước kỳ", "Period convention"),
    "classify_convention_calendar": ("Theo lịch", "Calendar"),
    "classify_convention_report_15_14": ("Kỳ báo cáo 15–14", "Reporting windows 15th–14th"),
    "classify_ruleset": ("Bộ tiêu chí", "Rule set"),
    "classify_vintage": ("Ranh giới", "Boundaries"),
    "classify_vintage_auto": ("Ranh giới có hiệu lực cuối kỳ", "Valid on the period's last day"),
    "classify_run": ("Phân loại và lưu", "Classify and store"),
    "classify_working": ("Đang phân loại…", "Classifying…"),
    "classify_done": ("Đã lưu lần phân loại #{id}: {period} ({convention}), ranh giới {vintage}, "
                      "{ruleset} {version}.",
                      "Stored snapshot #{id}: {period} ({convention}), boundaries {vintage}, "
                      "{ruleset} {version}."),
    "classify_provisional_rules": ("Bộ tiêu chí tạm (chưa có phụ lục chính thức).",
                                   "Provisional rule set (the official annex is not at hand)."),
    "classify_on_map": ("Xem trên bản đồ", "Show on the map"),
    "classify_missing": ("Dữ liệu còn thiếu (xã \"chưa đánh giá\") và cần nạp gì",
                         "Data missing (communes \"not assessed\") and what to load"),
    "classify_missing_none": ("Đủ dữ liệu cho mọi tiêu chí.", "Data complete for every criterion."),
    "classify_communes_n": ("Số xã", "Communes"),
    "classify_recent": ("Các lần phân loại gần đây", "Recent snapshots"),
    "classify_by": ("Người chạy", "By"),
    "classify_at": ("Lúc", "At"),
    "classify_none": ("Chưa có lần phân loại nào.", "No snapshot yet."),
    "classify_error": ("Không phân loại được", "Could not classify"),
}
register(STRINGS)


@bp.route("/classify", methods=["GET", "POST"])
@role_required("analyst")
def index():
    """The form and the newest snapshots; a POST classifies, stores and audits (CSRF checked upstream)."""
    form = _form_values()
    result, error, status = None, None, 200
    if request.method == "POST":
        try:
            result = _classify(form)
        except DiabanError as exc:
            error, status = str(exc), 400
    engine = current_app.extensions["diaban.engine"]
    return render_template(
        "classify.html", form=form, result=result, error=error, statuses=STATUSES,
        conventions=CONVENTIONS, rulesets=available_rulesets(),
        vintages=list_vintages(engine, current_province_code()),
        recent=list_snapshots(engine, limit=15), lang=current_language()), status


def _form_values() -> dict:
    """The form's values: the request's, else the defaults (last closed half-year, calendar, rules)."""
    source = request.form if request.method == "POST" else request.args
    return {"period": (source.get("period") or last_closed_half(date.today()).label).strip(),
            "convention": source.get("convention") or "calendar",
            "ruleset": source.get("ruleset") or DEFAULT_RULESET,
            "vintage": source.get("vintage") or ""}


def _classify(form: dict) -> dict:
    """Run and store one classification as the current user; what the result section shows."""
    if form["ruleset"] not in available_rulesets():
        raise _FormError(f"rule set {form['ruleset']!r} is not shipped; use one of: "
                         f"{', '.join(available_rulesets())}")
    if form["convention"] not in CONVENTIONS:
        raise _FormError(f"convention {form['convention']!r} is not known; "
                         f"use one of: {', '.join(CONVENTIONS)}")
    rules = load_ruleset(form["ruleset"])
    period = parse_period(form["period"], convention=form["convention"])
    engine = current_app.extensions["diaban.engine"]
    with engine.begin() as conn:
        run = classify_period(conn, period=period, ruleset=rules, vintage=form["vintage"] or None,
                              province=current_province_code())
        snapshot = store_run(conn, run, created_by=g.user["username"])
    audit_request("classify", snapshot_id=snapshot, period=period.label, convention=period.convention,
                  vintage=run.vintage, ruleset=f"{rules.id} {rules.version}")
    counts = run.results["status"].value_counts()
    missing = summarize_missing(run.completeness())
    column = "what_to_load" if current_language() == "en" else "what_to_load_vi"
    return {
        "snapshot": snapshot, "period": period.label, "convention": period.convention, "vintage": run.vintage,
        "ruleset": rules.id, "version": rules.version, "provisional": rules.provisional,
        "counts": {s: int(counts.get(s, 0)) for s in STATUSES},
        "missing": [{"criterion_id": r.criterion_id, "communes": int(r.communes),
                     "what_to_load": getattr(r, column)} for r in missing.itertuples()],
        "map_url": url_for("map.index", period=period.label, vintage=run.vintage, layer="status")
        if period.convention == "calendar" else None,
    }


class _FormError(DiabanError, ValueError):
    """A form value the page cannot use (shown on the page, 400)."""

