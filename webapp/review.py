"""The review queue of the ingest (editor role): commune references to decide, and the quarantine CSV.

- ``review.queue`` (GET /review): the open review items, each with its row's commune and district as
  written, the candidate units and a form to choose one (remembered as an alias) or dismiss the row;
- ``review.resolve`` (POST /review/<item_id>): decides one item through
  :func:`etl.review.resolve_review` (alias, row loaded into its batch, audit log entry);
- ``review.quarantine_csv`` (GET /ingest/<batch_id>/quarantine.csv): the rows a batch could not load,
  UTF-8 with BOM so Excel shows Vietnamese.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from etl.reasons import REASONS
from etl.review import resolve_review
from geo.errors import ReviewError, UnknownBatchError, UnknownReviewItemError
from geo.store.audit import record
from geo.store.quarantine import quarantine_csv as batch_csv
from geo.store.review import list_items
from webapp.auth import role_required
from webapp.i18n import current_language, register, t

bp = Blueprint("review", __name__)

STRINGS = {
    "review_title": ("Hàng chờ duyệt: xã/phường chưa xác định", "Review queue: communes not yet decided"),
    "review_intro": ("Các dòng dưới đây ghi tên xã/phường khớp với nhiều đơn vị, hoặc chỉ gần giống một đơn "
                     "vị. Hệ thống không tự chọn. Chọn đơn vị đúng: dòng sẽ được nạp vào lô của nó, và lựa "
                     "chọn được ghi nhớ cho các lần nhập sau.",
                     "The rows below name a commune that matches several units, or only resembles one. "
                     "The system does not guess. Choose the right unit: the row is loaded into its batch, "
                     "and the choice is remembered for later imports."),
    "review_empty": ("Không có dòng nào chờ duyệt.", "Nothing waits for review."),
    "review_row": ("Dòng", "Row"),
    "review_file": ("Tệp", "File"),
    "review_kind": ("Loại dữ liệu", "Kind"),
    "review_commune": ("Xã/phường (như trong tệp)", "Commune (as written)"),
    "review_district": ("Huyện (như trong tệp)", "District (as written)"),
    "review_values": ("Giá trị khác của dòng", "The row's other values"),
    "review_candidates": ("Đơn vị đề xuất", "Candidate units"),
    "review_score": ("độ giống", "similarity"),
    "review_remember": ("Ghi nhớ cho các lần nhập sau (và quyết định luôn các dòng cùng cách ghi)",
                        "Remember for later imports (and decide the rows written the same way too)"),
    "review_same_text": ("+{n} dòng khác ghi giống hệt", "+{n} more rows written the same way"),
    "review_choose": ("Chọn đơn vị này", "Choose this unit"),
    "review_dismiss": ("Bỏ qua (giữ trong danh sách loại)", "Dismiss (keep it quarantined)"),
    "review_quarantine": ("Các dòng bị loại của lô (CSV)", "Rejected rows of the batch (CSV)"),
    "review_batch": ("Lô", "Batch"),
    "review_no_choice": ("Chưa chọn đơn vị.", "No unit was chosen."),
    "review_done_loaded": ("Đã nạp dòng {rows}.", "Loaded: item {rows}."),
    "review_done_duplicate": ("Dòng {rows} đã có trong dữ liệu (trùng), không nạp lại.",
                              "Item {rows} was already loaded (duplicate)."),
    "review_done_rejected": ("Dòng {rows} vẫn bị loại: {reason}.",
                             "Item {rows} is still rejected: {reason}."),
    "review_done_dismissed": ("Đã bỏ qua dòng {rows}.", "Dismissed item {rows}."),
    "review_done_same": ("Cùng quyết định cho {n} dòng ghi giống hệt (tổng cộng: {loaded} nạp, "
                         "{duplicate} trùng, {rejected} vẫn bị loại).",
                         "The same decision settled {n} rows written the same way (in all: {loaded} loaded, "
                         "{duplicate} duplicates, {rejected} still rejected)."),
}
register(STRINGS)


@bp.route("/review")
@role_required("editor")
def queue():
    """List the open review items with their candidates and the forms to decide them."""
    items = list_items(current_app.extensions["diaban.engine"])
    return render_template("review.html", items=items, lang=current_language())


@bp.route("/review/<int:item_id>", methods=["POST"])
@role_required("editor")
def resolve(item_id: int):
    """Decide one item (the form's token was checked by ``webapp.auth.check_csrf``)."""
    engine = current_app.extensions["diaban.engine"]
    dismiss = request.form.get("action") == "dismiss"
    unit_id = request.form.get("unit_id", type=int)
    if not dismiss and unit_id is None:
        flash(t("review_no_choice"), "warning")
        return redirect(url_for("review.queue"))
    try:
        result = resolve_review(engine, item_id, unit_id=unit_id, dismiss=dismiss,
                                remember=request.form.get("remember") == "1", actor=g.user["username"])
    except ReviewError as exc:
        abort(404 if isinstance(exc, UnknownReviewItemError) else 409, str(exc))
    first = result["items"][0]
    message = t(f"review_done_{first['result']}")
    flash(message.format(rows=f"#{first['item_id']}", reason=first.get("reason", "")),
          "success" if first["result"] in {"loaded", "dismissed"} else "warning")
    if len(result["items"]) > 1:
        counts = result["results"]
        flash(t("review_done_same").format(n=len(result["items"]) - 1, loaded=counts.get("loaded", 0),
                                           duplicate=counts.get("duplicate", 0),
                                           rejected=counts.get("rejected", 0)), "info")
    return redirect(url_for("review.queue"))


@bp.route("/ingest/<int:batch_id>/quarantine.csv")
@role_required("editor")
def quarantine_csv(batch_id: int):
    """The rows import batch ``batch_id`` could not load, as a CSV download (audited)."""
    engine = current_app.extensions["diaban.engine"]
    explain = {code: f"{r.vi} {r.fix}" for code, r in REASONS.items()}
    try:
        content = batch_csv(engine, batch_id, explain=explain)
    except UnknownBatchError as exc:
        abort(404, str(exc))
    record(engine, g.user["username"], "quarantine.download", f"import_batch:{batch_id}")
    return Response(content.encode("utf-8"), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="quarantine-{batch_id}.csv"'})
