"""Single-record forms (editor role): one tip-off, activity, site event or inspection without a spreadsheet.

``GET /record/<kind>`` shows the kind's fields, each labelled with its header in ``etl/synonyms.toml``
(Vietnamese first, English next to it); coded fields offer the vocabulary's labels. ``POST`` writes the
one row to a temporary CSV whose headers are those same header names and runs :func:`etl.ingest` on it
(:func:`ingest_rows`), so the row is read, validated, placed, linked, deduplicated, pseudonymised and
quarantined exactly as a row of an uploaded file: there is no second writer. A rejected row is shown with
its reason and fix, the values entered kept for correction; a row that loads is audited
(``ingest.form``) and the blank form comes back with the batch it went into.
"""

from __future__ import annotations

import csv
import tempfile
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from etl import ingest, reasons
from etl.headers import field_headers
from etl.vocabulary import vocabulary
from geo.store.audit import record
from geo.store.quarantine import quarantine_rows
from webapp.auth import role_required
from webapp.i18n import current_language, register, t
from webapp.keys import app_hmac_key

bp = Blueprint("record_forms", __name__, url_prefix="/record")

PLACE_FIELDS = ("commune", "district", "commune_code", "lat", "lon")
FIELDS: dict[str, tuple[str, ...]] = {
    "tips": ("received_date", "category", "channel", *PLACE_FIELDS, "establishment_ref", "establishment_name",
             "site_ref", "site_name", "verified_date", "result", "handled_date", "tip_ref"),
    "activities": ("activity_date", "form", "participants", *PLACE_FIELDS),
    "site-events": ("event_date", "event_type", "site_ref", "site_name", *PLACE_FIELDS),
    "inspections": ("inspection_date", "team_level", "establishment_ref", "establishment_name", *PLACE_FIELDS,
                    "outcome", "violation", "fine", "record_ref"),
}
"""The fields each form shows, in order: the canonical fields of the kind the ingest reads."""

CHOICES = {"category": "tip_categories", "channel": "tip_channels", "result": "tip_results",
           "form": "activity_forms", "event_type": "site_events", "team_level": "team_levels",
           "outcome": "inspection_outcomes", "violation": "violation_types"}
"""The vocabulary whose labels a coded field suggests (the ingest still decides what a label means)."""

DATE_FIELDS = frozenset({"received_date", "verified_date", "handled_date", "activity_date", "event_date",
                         "inspection_date"})

STRINGS = {
    "record_title_tips": ("Nhập một tin báo, tố giác", "Record a tip-off"),
    "record_title_activities": ("Nhập một hoạt động tuyên truyền", "Record an awareness activity"),
    "record_title_site-events": ("Nhập một diễn biến tụ điểm", "Record a site event"),
    "record_title_inspections": ("Nhập một lượt kiểm tra", "Record an inspection"),
    "record_intro": ("Mỗi lần gửi là một dòng, được kiểm tra y như một dòng của tệp tải lên (ngày, "
                     "số, nhãn, xã/phường hoặc tọa độ). Xã/phường: ghi tên (kèm huyện) hoặc mã xã, "
                     "hoặc tọa độ.",
                     "Each submission is one row, checked exactly as a row of an uploaded file (dates, "
                     "numbers, labels, commune or point). Commune: its name (with the district) or its "
                     "code, or a point."),
    "record_privacy": ("Không ghi họ tên, số điện thoại, địa chỉ nhà hay ghi chú về người liên quan: "
                       "biểu mẫu không có và không lưu các thông tin đó. Số tin báo, số biên bản chỉ "
                       "được lưu dưới dạng mã băm.",
                       "Do not write names, phone numbers, home addresses or notes about people: the "
                       "form has no such field and stores none. Tip and record numbers are stored only "
                       "as keyed hashes."),
    "record_date_hint": ("ngày/tháng/năm, ví dụ 05/06/2019", "day/month/year, e.g. 05/06/2019"),
    "record_submit": ("Ghi nhận", "Record"),
    "record_empty": ("Chưa nhập giá trị nào.", "Nothing was entered."),
    "record_loaded": ("Đã ghi nhận (lô nhập #{batch}).", "Recorded (import batch #{batch})."),
    "record_duplicate": ("Bản ghi này đã có (trùng lặp): không ghi thêm.",
                         "This record exists already (duplicate): nothing new was stored."),
    "record_rejected": ("Không ghi nhận được. Sửa rồi gửi lại:", "Not recorded. Correct and send again:"),
    "record_review": ("Tên xã/phường chưa xác định được: dòng đang chờ duyệt. Mở hàng chờ duyệt, "
                      "hoặc ghi mã xã hay tên huyện rồi gửi lại.",
                      "The commune could not be decided: the row waits in the review queue. Open the "
                      "queue, or give the commune code or the district and send again."),
    "record_fix": ("Cách sửa", "Fix"),
    "record_other_kinds": ("Loại khác", "Other kinds"),
}
register(STRINGS)


@bp.route("")
@role_required("editor")
def index():
    """The first form (each form links to the others)."""
    return redirect(url_for("record_forms.form", kind=next(iter(FIELDS))))


@bp.route("/<kind>")
@role_required("editor")
def form(kind: str):
    """The blank form of ``kind`` (one of :data:`FIELDS`)."""
    return render_template("record_form.html", **_context(_known(kind), {}))


@bp.route("/<kind>", methods=["POST"])
@role_required("editor")
def submit(kind: str):
    """Run the entered row through the ingest; the form again with the reason when it is rejected."""
    kind = _known(kind)
    values = {name: (request.form.get(name) or "").strip() for name in FIELDS[kind]}
    if not any(values.values()):
        return render_template("record_form.html", **_context(kind, values, error=t("record_empty"))), 400
    summary, rejected = ingest_rows(kind, [values], source=f"form:{kind}")
    record(current_app.extensions["diaban.engine"], g.user["username"], "ingest.form",
           f"import_batch:{summary['batch_id']}", kind=kind, loaded=summary["loaded"],
           rejected=summary["rejected"], duplicates=summary["duplicates"])
    if rejected:
        return render_template("record_form.html", **_context(kind, values, rejected=rejected)), 422
    if summary["duplicates"]:
        flash(t("record_duplicate"), "warning")
    else:
        flash(t("record_loaded").format(batch=summary["batch_id"]), "success")
    return redirect(url_for("record_forms.form", kind=kind))


def ingest_rows(kind: str, rows: list[dict[str, str]], *, source: str) -> tuple[dict, list[dict]]:
    """Load rows entered in a form through :func:`etl.ingest`, as a file of those rows would load.

    The rows are written to a temporary CSV (semicolons, every cell quoted) whose headers are the
    fields' first headers in ``etl/synonyms.toml``, which the reader maps back to the fields.

    Parameters
    ----------
    kind : str
        The record kind (``etl.headers.KINDS``).
    rows : list of dict
        Field name to the text entered; blank text is a blank cell.
    source : str
        The import batch's source (``form:<kind>``, ``form:attest``).

    Returns
    -------
    (dict, list of dict)
        The ingest summary, and the rejected rows (``source_row, reason, detail, raw, review``) each
        with ``vi``, ``en`` and ``fix`` from ``etl.reasons``.
    """
    app = current_app._get_current_object()
    engine = app.extensions["diaban.engine"]
    headers = field_headers(kind)
    fields = list(dict.fromkeys(name for row in rows for name in row))
    with tempfile.TemporaryDirectory(prefix="diaban-form-") as folder:
        path = Path(folder, "form.csv")
        with path.open("w", encoding="utf-8", newline="") as out:
            writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_ALL)
            writer.writerow([headers[name][0] for name in fields])
            writer.writerows([[row.get(name) or "" for name in fields] for row in rows])
        summary = ingest(engine, kind, path, actor=g.user["username"], source_name=source,
                         hmac_key=lambda: app_hmac_key(app))
    rejected = quarantine_rows(engine, summary["batch_id"]) if summary["rejected"] else []
    return summary, [{**row, **reasons.explain(row["reason"])._asdict()} for row in rejected]


def field_label(kind: str, name: str) -> tuple[str, str]:
    """The Vietnamese and English names of a field: its first header, and its first header in ASCII.

    Examples
    --------
    >>> field_label("tips", "received_date"), field_label("inspections", "team_level")
    (('Ngày tiếp nhận', 'Received'), ('Cấp đoàn', 'Team level'))
    """
    headers = field_headers(kind)[name]
    return headers[0], next((h for h in headers if h.isascii()), headers[0])


def _known(kind: str) -> str:
    if kind not in FIELDS:
        abort(404, f"no form for {kind!r}; the forms are {', '.join(FIELDS)}")
    return kind


def _context(kind: str, values: dict, *, error: str | None = None, rejected: list | None = None) -> dict:
    """What ``record_form.html`` needs: the fields with labels and suggestions, the values, the outcome."""
    fields = [{"name": name, "label": field_label(kind, name), "date": name in DATE_FIELDS,
               "choices": list(vocabulary(CHOICES[name]).choices().values()) if name in CHOICES else []}
              for name in FIELDS[kind]]
    english = current_language() == "en"
    review = url_for("review.queue") if "review.queue" in current_app.view_functions else None
    return {"kind": kind, "kinds": {k: t(f"record_title_{k}") for k in FIELDS}, "fields": fields,
            "values": values, "error": error, "rejected": rejected or [], "english": english,
            "review_url": review}
