"""The reports page: the briefing pack as a PDF, and the layers of ``diaban export`` as files.

Endpoints (every logged-in user reaches the page; what it offers depends on the role):

* ``reports.index`` (GET /reports): the two forms;
* ``reports.briefing`` (POST /reports/briefing, analyst and above): the PDF of
  ``diaban report`` for a period, language and edition;
* ``reports.export`` (POST /reports/export): the files of ``diaban export``. A viewer gets
  the commune and district layers in public mode only (counts below 3 hidden); a point layer
  or establishment names are 403 for a viewer. Analysts and above get every layer.

Both downloads are written to the audit log and built in a temporary folder that is removed
before the answer leaves (the bytes are served from memory): no file is left behind. Both are
heavy: each runs in a child process under a memory and a time limit, one at a time per user and
a few at a time in all (:func:`webapp.workers.run_heavy`; the others wait briefly, then get 429),
so that the server keeps answering the maps and ``/healthz`` meanwhile.
"""

from __future__ import annotations

import io
import tempfile
from datetime import date
from pathlib import Path

from flask import Blueprint, abort, current_app, g, render_template, request, send_file

from geo.errors import DiabanError
from geo.exports import FORMATS
from geo.periods import last_closed_half
from geo.store.units import list_vintages
from webapp.accounts import has_role
from webapp.auth import role_required
from webapp.i18n import LANGUAGES, current_language, register
from webapp.province import check_export_crs, crs_choices, current_province, current_province_code
from webapp.workers import child_engine, database_url, run_heavy
from webapp.workflows.layers import LAYER_NAMES

bp = Blueprint("reports", __name__)

STRINGS = {
    "rep_title": ("Báo cáo và tải dữ liệu", "Reports and downloads"),
    "rep_briefing": ("Báo cáo tóm tắt cho Ban Chỉ đạo (PDF)",
                     "Briefing pack for the steering committee (PDF)"),
    "rep_briefing_help": ("Bản đồ tình trạng xã, điểm nóng, tiến độ chỉ tiêu, số liệu theo huyện, thay đổi "
                          "so với kỳ trước, tụ điểm tái hoạt động và phương pháp. Nếu kỳ chưa được phân "
                          "loại, báo cáo sẽ lập và lưu một lần phân loại.",
                          "Commune status map, hot spots, progress against targets, district figures, "
                          "changes since the previous period, reactivated sites and methods. A period "
                          "without a classification gets one, stored as a snapshot."),
    "rep_briefing_role": ("Báo cáo PDF dành cho vai trò phân tích viên trở lên.",
                          "The PDF briefing is for analysts and above."),
    "rep_language": ("Ngôn ngữ", "Language"),
    "rep_public": ("Bản phát hành rộng (ẩn số đếm 1–2, không có bản đồ điểm)",
                   "Edition for wider distribution (counts of 1–2 hidden, no point maps)"),
    "rep_public_forced": ("Vai trò người xem chỉ tải được bản phát hành rộng.",
                          "Viewers download the edition for wider distribution only."),
    "rep_make_pdf": ("Tạo báo cáo PDF", "Make the PDF"),
    "rep_export": ("Tải lớp dữ liệu (như lệnh diaban export)", "Download layers (as diaban export)"),
    "rep_layers": ("Lớp", "Layers"),
    "rep_format": ("Định dạng", "Format"),
    "rep_crs": ("Hệ tọa độ", "Coordinate system"),
    "rep_with_names": ("Kèm tên cơ sở kinh doanh", "With establishment names"),
    "rep_download": ("Tải về", "Download"),
    "rep_working": ("Đang tạo…", "Preparing…"),
    "rep_done": ("Đã tải về", "Downloaded"),
    "rep_failed": ("Không tạo được", "Could not prepare"),
    "rep_vintage_auto": ("Tự động (theo ngày cuối kỳ)", "Automatic (valid on the period's last day)"),
    "rep_layer_communes": ("Xã, phường (số liệu, tình trạng)", "Communes (counts, status)"),
    "rep_layer_districts": ("Huyện", "Districts"),
    "rep_layer_sites": ("Tụ điểm (điểm)", "Sites (points)"),
    "rep_layer_establishments": ("Cơ sở kinh doanh (điểm)", "Establishments (points)"),
    "rep_layer_incidents": ("Vụ việc (điểm)", "Incidents (points)"),
    "rep_layer_inspections": ("Lượt kiểm tra (điểm)", "Inspections (points)"),
    "rep_gpkg_note": ("Nhiều lớp chỉ ghi được vào một GeoPackage; GeoJSON và KML chỉ dùng EPSG:4326.",
                      "Several layers go into one GeoPackage only; GeoJSON and KML are EPSG:4326 only."),
}
register(STRINGS)

#: Layers a viewer may download (commune-level aggregates, always in public mode).
VIEWER_LAYERS = ("communes", "districts")
MIMETYPES = {"gpkg": "application/geopackage+sqlite3", "shp": "application/zip",
             "geojson": "application/geo+json", "kml": "application/vnd.google-earth.kml+xml",
             "csv": "text/csv", "fgb": "application/octet-stream", "pdf": "application/pdf"}
EXTENSIONS = {"shp": "zip"}


def _engine():
    """The application's engine."""
    return current_app.extensions["diaban.engine"]


def _actor() -> str:
    """The logged-in user's name (recorded in the audit log and on any snapshot taken)."""
    return g.user["username"]


@bp.route("/reports")
def index():
    """The page: the briefing form (analyst+) and the export form (layers by role)."""
    analyst = has_role(g.user, "analyst")
    return render_template(
        "reports.html", analyst=analyst, vintages=list_vintages(_engine(), current_province_code()),
        layers=LAYER_NAMES if analyst else VIEWER_LAYERS, formats=FORMATS,
        crs_choices=crs_choices(current_province()),
        languages=LANGUAGES, lang=current_language(),
        default_period=last_closed_half(date.today()).label)


@bp.route("/reports/briefing", methods=["POST"])
@role_required("analyst")
def briefing():
    """The briefing PDF of the posted period, vintage, language and edition."""
    period = request.form.get("period", "").strip()
    lang = request.form.get("lang", "vi")
    if lang not in LANGUAGES:
        abort(400, f"lang {lang!r} is not one of {', '.join(LANGUAGES)}")
    public = request.form.get("public") == "1"
    pdf, label = run_heavy(_briefing_child, database_url(), period, request.form.get("vintage") or None,
                           current_province_code(),
                           lang, public, _actor())
    name = f"diaban-bao-cao-{label}-{lang}{'-public' if public else ''}.pdf"
    return send_file(io.BytesIO(pdf), mimetype=MIMETYPES["pdf"], as_attachment=True, download_name=name)


@bp.route("/reports/export", methods=["POST"])
def export():
    """The posted layers as one file of ``diaban export``, role-checked, audited, nothing left on disk."""
    layers = tuple(dict.fromkeys(request.form.getlist("layers")))
    fmt = request.form.get("format", "gpkg")
    crs = request.form.get("crs", "EPSG:4326")
    public = request.form.get("public") == "1"
    with_names = request.form.get("with_names") == "1"
    _check_request(layers, fmt, crs)
    if not has_role(g.user, "analyst"):
        refused = [name for name in layers if name not in VIEWER_LAYERS]
        if refused or with_names:
            abort(403, f"{', '.join(refused) or 'establishment names'}: needs the analyst role; "
                       f"viewers download {', '.join(VIEWER_LAYERS)}")
        public = True
    options = {"fmt": fmt, "crs": crs, "public": public, "with_names": with_names,
               "period": request.form.get("period", "").strip() or None,
               "vintage": request.form.get("vintage") or None, "province": current_province_code()}
    data, counts = _export_bytes(layers, options)
    name = f"diaban-{'-'.join(layers)}-{options['period'] or options['vintage']}.{EXTENSIONS.get(fmt, fmt)}"
    response = send_file(io.BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True, download_name=name)
    response.headers["X-Diaban-Features"] = ",".join(f"{k}={v}" for k, v in counts.items())
    return response


def _check_request(layers: tuple, fmt: str, crs: str) -> None:
    """400 for an unknown layer, format or CRS, or several layers outside a GeoPackage."""
    unknown = [name for name in layers if name not in LAYER_NAMES]
    if not layers or unknown:
        abort(400, f"choose layers from {', '.join(LAYER_NAMES)}" + (f"; unknown: {unknown}" * bool(unknown)))
    if fmt not in FORMATS:
        abort(400, f"format {fmt!r} is not one of {', '.join(FORMATS)}")
    try:
        check_export_crs(current_province(), crs)
    except ValueError as exc:
        abort(400, str(exc))


def _briefing_child(url: str, period: str, vintage: str | None, province: str | None, lang: str,
                    public: bool, actor: str) -> tuple[bytes, str]:
    """In a child process: the briefing PDF, audited; its bytes and the period's label."""
    from webapp.briefing import briefing_pdf
    from webapp.workflows.reports import audit_report

    with child_engine(url) as engine:
        pdf, made = briefing_pdf(engine, period=period, vintage=vintage, lang=lang, public=public,
                                 actor=actor, province=province)
        audit_report(engine, actor, made, lang=lang, public=public, via="web")
    return pdf, made.period.label


def _export_child(url: str, layers: tuple, options: dict, actor: str) -> tuple[bytes, dict, str]:
    """In a child process: the export, written in a temporary folder removed on return.

    Returns its bytes, the features per layer, and the vintage used.
    """
    from webapp.exporting import export_layers

    with tempfile.TemporaryDirectory(prefix="diaban-export-") as folder, child_engine(url) as engine:
        out = Path(folder) / f"export.{EXTENSIONS.get(options['fmt'], options['fmt'])}"
        written, counts = export_layers(engine, layers, out, options=options, actor=actor,
                                        generator="diaban export (web)")
        return written.read_bytes(), counts, options["vintage"]


def _export_bytes(layers: tuple, options: dict) -> tuple[bytes, dict]:
    """The export's bytes and feature counts, made in a child process in the user's turn.

    ``options["vintage"]`` is set to the vintage used.
    """
    try:
        data, counts, options["vintage"] = run_heavy(_export_child, database_url(), layers, options, _actor())
        return data, counts
    except DiabanError:
        raise  # answered by webapp.errors (400, or 503 for the store)
    except ValueError as exc:  # read_layers: a dated layer without a period
        abort(400, str(exc))
