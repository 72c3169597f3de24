"""Upload a file of records (editor role): the form, the background ingest, its progress and report.

``GET /upload`` shows the form; ``POST /upload`` saves the file in a private temporary folder
and starts :func:`etl.pipeline.ingest` — the same recipe as ``diaban ingest`` — in the
background (:mod:`webapp.upload_jobs`), answering 202 with the job's status URL;
``GET /upload/jobs/<job_id>`` reports the stage, the row counts and, at the end, the ingest
report with each rejection reason explained (``etl.reasons``) or the error naming the file
and the fix. The page (``static/app/upload.js``) shows the bytes sent, then polls the job.

Jobs are rows of ``upload_job`` (any server process answers their status; a restart loses
nothing). A user may have :data:`webapp.upload_jobs.MAX_PER_USER` jobs queued or running, the
server :data:`webapp.upload_jobs.MAX_TOTAL`; beyond, 429. The file is stored under a random name
with the original's lower-cased extension; the original name, sanitised, is what the job, the
import batch and the audit log show.
"""

from __future__ import annotations

import os
import secrets
import unicodedata

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge

from etl import reasons
from etl.fields import period_label
from etl.pipeline import KINDS
from etl.records import PERIOD_KINDS
from geo.store import jobs
from webapp import upload_jobs
from webapp.accounts import has_role
from webapp.auth import role_required
from webapp.i18n import register, t
from webapp.upload_jobs import STAGES

bp = Blueprint("upload", __name__, url_prefix="/upload")

#: File name endings the ingest reads (``etl.readers``).
ALLOWED_SUFFIXES = (".csv", ".xlsx", ".geojson", ".json", ".gpkg", ".zip")
#: The longest file name kept for display (characters).
MAX_NAME = 200
#: The answer to a submission over a queue cap, by cap, in Vietnamese then English.
QUEUE_FULL = {
    "owner": "Bạn đã có {n} tệp đang chờ hoặc đang nạp (tối đa {n}); đợi một tệp xong rồi tải lên tiếp. / "
             "You already have {n} files queued or loading (at most {n}); wait for one to finish, "
             "then upload.",
    "total": "Máy chủ đang nạp {n} tệp (tối đa {n}); thử lại sau ít phút. / "
             "The server is loading {n} files (its limit); try again in a few minutes.",
}

STRINGS = {
    "upload_title": ("Tải lên dữ liệu", "Upload records"),
    "upload_kind": ("Loại dữ liệu", "Kind of records"),
    "upload_kind_establishments": ("Cơ sở kinh doanh", "Establishments"),
    "upload_kind_sites": ("Tụ điểm", "Sites"),
    "upload_kind_site-events": ("Diễn biến tụ điểm (triệt xóa, tái hoạt động)",
                                "Site events (cleared, reactivated)"),
    "upload_kind_incidents": ("Vụ việc", "Incidents"),
    "upload_kind_inspections": ("Lượt kiểm tra", "Inspections"),
    "upload_kind_tips": ("Tin báo, tố giác", "Tip-offs"),
    "upload_kind_activities": ("Hoạt động tuyên truyền", "Awareness activities"),
    "upload_kind_commune-reports": ("Báo cáo định kỳ của xã (có cột kỳ báo cáo, hoặc ghi kỳ bên dưới)",
                                    "Commune periodic reports (with a period column, or the period below)"),
    "upload_kind_attestations": ("Xác nhận tiêu chí (P8, P9; có cột kỳ đánh giá, hoặc ghi kỳ bên dưới)",
                                 "Criterion attestations (P8, P9; a period column, or the period below)"),
    "upload_file": ("Tệp", "File"),
    "upload_formats": ("CSV, Excel (.xlsx), GeoJSON, GeoPackage hoặc Shapefile nén .zip; tối đa {limit}. "
                       "Các cột nhận diện con người (họ tên, ngày sinh, CCCD, số điện thoại, địa chỉ nhà) "
                       "không bao giờ được đọc.",
                       "CSV, Excel (.xlsx), GeoJSON, GeoPackage or a zipped Shapefile; at most {limit}. "
                       "Columns identifying a person (names, birth dates, ID or phone numbers, home "
                       "addresses) are never read."),
    "upload_dry_run": ("Chạy thử (kiểm tra, không ghi vào cơ sở dữ liệu)", "Dry run (check, write nothing)"),
    "upload_submit": ("Tải lên và nạp", "Upload and load"),
    "upload_sending": ("Đang gửi tệp", "Sending the file"),
    "upload_stage_queued": ("Đang chờ lượt xử lý", "Waiting for a free slot"),
    "upload_stage_started": ("Đang đọc tệp", "Reading the file"),
    "upload_stage_read": ("Đã đọc {n} dòng; đang kiểm tra giá trị và đơn vị",
                          "{n} rows read; checking values and units"),
    "upload_stage_parsed": ("Đã kiểm tra {n} dòng; đang ghi", "{n} rows checked; writing"),
    "upload_stage_records": ("Đã ghi {n} bản ghi; đang lưu các dòng bị loại",
                             "{n} records written; keeping the rejected rows"),
    "upload_stage_rejected": ("Đã lưu {n} dòng bị loại; đang hoàn tất", "{n} rejected rows kept; finishing"),
    "upload_stage_done": ("Xong", "Done"),
    "upload_report": ("Kết quả nạp", "Ingest report"),
    "upload_report_dry": ("Kết quả chạy thử (không ghi gì)", "Dry-run report (nothing written)"),
    "upload_read": ("Số dòng đọc", "Rows read"),
    "upload_loaded": ("Đã nạp", "Loaded"),
    "upload_rejected": ("Bị loại", "Rejected"),
    "upload_duplicates": ("Trùng lặp (nạp một lần)", "Duplicates (loaded once)"),
    "upload_review_n": ("Chờ duyệt (tên xã chưa xác định)", "Waiting for review (commune unresolved)"),
    "upload_dropped": ("Cột không đọc (thông tin cá nhân, hoặc không phải trường của loại dữ liệu này)",
                       "Columns not read (personal data, or not a field of this kind)"),
    "upload_reasons": ("Lý do loại", "Reasons for rejection"),
    "upload_warnings": ("Cảnh báo (vẫn nạp)", "Warnings (loaded anyway)"),
    "upload_fix": ("Cách sửa", "Fix"),
    "upload_batch": ("Lô nhập", "Import batch"),
    "upload_quarantine": ("Tải các dòng bị loại (CSV)", "Download the rejected rows (CSV)"),
    "upload_review": ("Mở hàng chờ duyệt", "Open the review queue"),
    "upload_failed": ("Không nạp được tệp", "The file could not be loaded"),
    "upload_network": ("Mất kết nối khi gửi tệp (tệp có thể vượt quá {limit}). Thử lại.",
                       "The connection broke while sending (the file may exceed {limit}). Try again."),
    "upload_too_large": ("Tệp quá lớn: giới hạn là {limit}. Chia tệp thành nhiều phần rồi tải lên từng phần.",
                         "The file is too large: the limit is {limit}. Split it and upload the parts."),
    "upload_no_file": ("Chưa chọn tệp.", "No file chosen."),
    "upload_bad_kind": ("Loại dữ liệu {kind!r} không hợp lệ; chọn một trong: {kinds}.",
                        "Kind {kind!r} is not valid; choose one of: {kinds}."),
    "upload_bad_suffix": ("{name}: không đọc được loại tệp này; lưu thành {allowed}.",
                          "{name}: this type of file cannot be read; save it as {allowed}."),
    "upload_seconds": ("giây", "seconds"),
    "upload_period": ("Kỳ báo cáo của cả tệp (khi tệp không có cột kỳ), ví dụ 2018, Quý II/2018",
                      "Period of the whole file (when it has no period column), e.g. 2018, 2018-Q2"),
    "upload_bad_period": ("Không đọc được kỳ báo cáo {period!r}; ghi như 2018, 2018-Q2, Quý II/2018, "
                          "6 tháng 2018.",
                          "Period {period!r} cannot be read; write it like 2018, 2018-Q2, Quý II/2018, "
                          "6 tháng 2018."),
}
register(STRINGS)
bp.record_once(lambda state: upload_jobs.recover(state.app))


@bp.route("")
@role_required("editor")
def index():
    """The upload form; ``?job=ID`` resumes showing a job (after a form post without script)."""
    return render_template("upload.html", **_page_context(job_id=request.args.get("job")))


@bp.route("", methods=["POST"])
@role_required("editor")
def submit():
    """Save the file and start its ingest; 202 with the job's status URL (a redirect for plain forms)."""
    kind = request.form.get("kind", "")
    upload = request.files.get("file")
    period = (request.form.get("period") or "").strip() or None if kind in PERIOD_KINDS else None
    error = _check(kind, upload) or (t("upload_bad_period").format(period=period)
                                     if period and period_label(period) is None else None)
    if error:
        return _refuse(error, 400)
    app = current_app._get_current_object()
    job_id, dry_run = secrets.token_urlsafe(12), request.form.get("dry_run") in {"1", "on", "true"}
    try:
        jobs.create_job(app.extensions["diaban.engine"], job_id, owner=g.user["username"], kind=kind,
                        source=display_name(upload.filename), dry_run=dry_run, period=period,
                        host=upload_jobs.HOST,
                        pid=os.getpid(), **_caps(app))
    except jobs.QueueFull as exc:
        response = make_response(_refuse(QUEUE_FULL[exc.scope].format(n=exc.cap), 429))
        response.headers["Retry-After"] = "60"
        return response
    path = upload_jobs.job_folder(app, job_id) / stored_name(upload.filename)
    try:
        upload.save(path)
    finally:
        upload.close()  # werkzeug's spooled temporary file, for bodies over 500 KB
    upload_jobs.start(app, job_id, path)
    status_url = url_for("upload.job_status", job_id=job_id)
    if _wants_json():
        return jsonify({"job_id": job_id, "status_url": status_url}), 202
    return redirect(url_for("upload.index", job=job_id))


@bp.route("/jobs/<job_id>")
@role_required("editor")
def job_status(job_id: str):
    """The stage, row counts, report or error of one of the user's jobs (an admin sees every job)."""
    job = jobs.read_job(current_app.extensions["diaban.engine"], job_id)
    if job is None or (job["owner"] != g.user["username"] and not has_role(g.user, "admin")):
        abort(404, "no such upload job")
    status = job_status_answer(job)
    if status["report"]:
        status["report"] = explain_report(status["report"])
        status["links"] = _links(status["report"])
    return jsonify(status)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc):
    """413 with the limit and the fix, as JSON for the page's script or as the form page."""
    return _refuse(t("upload_too_large").format(limit=_limit()), 413)


def job_status_answer(job: dict) -> dict:
    """A job row as the status endpoint answers it (JSON-ready).

    Examples
    --------
    >>> answer = job_status_answer({"id": "x", "kind": "incidents", "source": "a.csv", "dry_run": False,
    ...     "state": "running", "phase": "read", "progress": {"read": 6}, "report": None, "error": None,
    ...     "seconds": 1.234})
    >>> answer["stage_index"], answer["rows"], answer["filename"], answer["seconds"]
    (2, {'read': 6}, 'a.csv', 1.23)
    """
    known = job["phase"] in STAGES
    return {"id": job["id"], "kind": job["kind"], "filename": job["source"], "dry_run": job["dry_run"],
            "state": job["state"], "stage": job["phase"], "stages": list(STAGES),
            "stage_index": STAGES.index(job["phase"]) if known else None, "rows": dict(job["progress"]),
            "report": job["report"], "error": job["error"], "seconds": round(float(job["seconds"]), 2)}


def display_name(filename: str) -> str:
    r"""The sent file's name as people read it: no folders, no control characters, at most :data:`MAX_NAME`.

    Examples
    --------
    >>> display_name("C:\\báo cáo\\đ.csv"), display_name("../x\x00y.csv"), display_name("/")
    ('đ.csv', 'xy.csv', 'upload')
    """
    name = unicodedata.normalize("NFC", filename).replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    return (name[:MAX_NAME - 16] + "…" + name[-15:] if len(name) > MAX_NAME else name) or "upload"


def stored_name(filename: str) -> str:
    """The name the file is stored under: random, with its allowed extension in lower case.

    Examples
    --------
    >>> name = stored_name("Đồng Nai.XLSX")
    >>> name.endswith(".xlsx") and len(name) == 21
    True
    """
    suffix = next(s for s in ALLOWED_SUFFIXES if filename.lower().endswith(s))
    return secrets.token_hex(8) + suffix


def explain_report(report: dict) -> dict:
    """The ingest summary with each reason and warning code explained in Vietnamese and English.

    Examples
    --------
    >>> out = explain_report({"reasons": {"BAD_DATE": 2}, "warnings": {}})
    >>> out["reasons"][0]["code"], out["reasons"][0]["count"], out["reasons"][0]["en"]
    ('BAD_DATE', 2, 'The date cannot be read, or does not exist.')
    """
    def explained(counts: dict) -> list[dict]:
        rows = []
        for code, count in counts.items():
            known = code in reasons.REASONS
            reason = reasons.explain(code) if known else reasons.Reason(code, code, "")
            rows.append({"code": code, "count": count, "vi": reason.vi, "en": reason.en, "fix": reason.fix})
        return rows
    return {**report, "reasons": explained(report.get("reasons") or {}),
            "warnings": explained(report.get("warnings") or {})}


def _links(report: dict) -> dict:
    """Where to go next: the rejected rows of the batch and the review queue, when those pages exist."""
    views, links = current_app.view_functions, {}
    if report.get("batch_id") and report.get("rejected") and "review.quarantine_csv" in views:
        links["quarantine"] = url_for("review.quarantine_csv", batch_id=report["batch_id"])
    if report.get("batch_id") and report.get("review") and "review.queue" in views:
        links["review"] = url_for("review.queue")
    return links


def _check(kind: str, upload) -> str | None:
    """The reason a submission cannot start, or None."""
    if kind not in KINDS:
        return t("upload_bad_kind").format(kind=kind, kinds=", ".join(KINDS))
    if upload is None or not upload.filename:
        return t("upload_no_file")
    if not upload.filename.lower().endswith(ALLOWED_SUFFIXES):
        return t("upload_bad_suffix").format(name=upload.filename, allowed=", ".join(ALLOWED_SUFFIXES))
    return None


def _caps(app) -> dict:
    """The queue caps of ``app`` (``UPLOAD_MAX_PER_USER``, ``UPLOAD_MAX_TOTAL``)."""
    return {"max_per_owner": int(app.config.get("UPLOAD_MAX_PER_USER", upload_jobs.MAX_PER_USER)),
            "max_total": int(app.config.get("UPLOAD_MAX_TOTAL", upload_jobs.MAX_TOTAL))}


def _wants_json() -> bool:
    """True for the page's script (XMLHttpRequest asking for JSON), False for a plain form post."""
    return request.headers.get("X-Requested-With") == "XMLHttpRequest" or \
        request.accept_mimetypes.best == "application/json"


def _refuse(message: str, status: int):
    """An error before any job started: JSON for the script, the form page with the message otherwise."""
    if _wants_json():
        return jsonify({"error": message, "status": status}), status
    return render_template("upload.html", **_page_context(error=message)), status


def _limit() -> str:
    """The request size limit in words: whole megabytes, or kilobytes below one megabyte."""
    size = int(current_app.config.get("MAX_CONTENT_LENGTH") or 0)
    return f"{size // 1024 ** 2} MB" if size >= 1024 ** 2 else f"{size // 1024} KB"


def _page_context(*, job_id: str | None = None, error: str | None = None) -> dict:
    """What ``upload.html`` needs: kinds with labels, limits, interface strings for the script."""
    labels = {kind: t(f"upload_kind_{kind}") if f"upload_kind_{kind}" in STRINGS else kind for kind in KINDS}
    script_strings = {key: t(key) for key in STRINGS}
    script_strings |= {"too_large": t("upload_too_large").format(limit=_limit()),
                       "network": t("upload_network").format(limit=_limit())}
    return {"kinds": labels, "max_bytes": current_app.config.get("MAX_CONTENT_LENGTH") or 0,
            "limit": _limit(), "accept": ",".join(ALLOWED_SUFFIXES), "job_id": job_id, "error": error,
            "strings": script_strings, "stages": STAGES, "period_kinds": PERIOD_KINDS}
