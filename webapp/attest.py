"""Attestations of the criteria a person judges (editor role): a list per period, a form per commune.

- ``attest.index`` (GET /attest?period=P): the communes of the vintage valid on P's last day, each with
  the newest attestation recorded for P of every attested criterion of the active rule set;
- ``attest.commune`` (GET /attest/<code>?period=P): the form of one commune and period: for every
  attested criterion holds / does not hold (or left as it is), an optional value, the office that
  attests (the ``offices`` vocabulary the attestations ingest reads) and the date;
- ``attest.save`` (POST /attest/<code>?period=P): the choices become rows of an attestations file run
  through :func:`etl.ingest` (:func:`webapp.record_forms.ingest_rows`, source ``form:attest``), so they
  are validated, deduplicated and stored exactly as ingested attestations; audited as ``attest.record``.

No note is asked for or stored: a note is free text and may name people.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, url_for

from etl.vocabulary import vocabulary
from geo.classify import DEFAULT_RULESET, load_ruleset
from geo.periods import Period, last_closed_half, parse_period
from geo.store.attestations import latest_attestations
from geo.store.audit import record
from geo.store.map_layers import commune_index
from geo.store.units import choose_vintage
from webapp.auth import role_required
from webapp.i18n import current_language, register, t
from webapp.province import current_province_code
from webapp.record_forms import ingest_rows

bp = Blueprint("attest", __name__, url_prefix="/attest")

STRINGS = {
    "attest_title": ("Xác nhận tiêu chí kỳ {period}", "Criterion attestations, {period}"),
    "attest_intro": ("Các tiêu chí do cán bộ xác nhận ({ids}) của bộ tiêu chí {ruleset}; ranh giới "
                     "{vintage}. Xã chưa có xác nhận thì chưa được phân loại.",
                     "The criteria an officer attests ({ids}) of rule set {ruleset}; boundaries "
                     "{vintage}. A commune without attestations is not assessed."),
    "attest_period": ("Kỳ", "Period"),
    "attest_show": ("Xem", "Show"),
    "attest_commune": ("Xã/phường", "Commune"),
    "attest_none": ("chưa xác nhận", "not attested"),
    "attest_holds": ("Đạt", "Holds"),
    "attest_fails": ("Không đạt", "Does not hold"),
    "attest_keep": ("Không ghi lần này", "Leave as it is"),
    "attest_record": ("Xác nhận", "Attest"),
    "attest_current": ("Đang ghi nhận", "On record"),
    "attest_value": ("Giá trị (không bắt buộc)", "Value (optional)"),
    "attest_office": ("Đơn vị xác nhận", "Attesting office"),
    "attest_office_pick": ("— chọn đơn vị —", "— choose the office —"),
    "attest_on": ("Ngày xác nhận", "Date attested"),
    "attest_date_hint": ("ngày/tháng/năm, ví dụ 20/12/2018", "day/month/year, e.g. 20/12/2018"),
    "attest_privacy": ("Không có ô ghi chú: ghi chú tự do có thể nêu tên người nên không được lưu. "
                       "Chỉ lưu đạt/không đạt, giá trị, đơn vị xác nhận (một cơ quan, không phải "
                       "một người) và ngày.",
                       "There is no note field: free text may name people and is never stored. Only "
                       "holds / does not hold, the value, the attesting office (an office, never a "
                       "person) and the date are kept."),
    "attest_back": ("Danh sách xã", "All communes"),
    "attest_nothing": ("Chưa chọn đạt hay không đạt cho tiêu chí nào.", "No criterion was marked."),
    "attest_bad_office": ("Chọn đơn vị xác nhận trong danh sách.",
                          "Choose the attesting office from the list."),
    "attest_saved": ("Đã ghi nhận {n} xác nhận (lô nhập #{batch}).",
                     "{n} attestations recorded (batch #{batch})."),
    "attest_same": ("Một số xác nhận đã có sẵn, giống hệt (cùng ngày, cùng đơn vị): không ghi thêm.",
                    "Some attestations are on record already, identical (same day, same office): "
                    "nothing added."),
    "attest_superseded": ("{ids}: câu trả lời này không phải xác nhận mới nhất đang có hiệu lực (đã "
                          "có xác nhận ghi ngày sau hơn, hoặc nó trùng một xác nhận cũ cùng ngày nên "
                          "không được ghi lại). Kiểm tra ngày xác nhận rồi gửi lại.",
                          "{ids}: this answer is not the newest on record (one with a later date "
                          "exists, or it repeats an earlier one of the same day and was not stored "
                          "again). Check the date and send again."),
    "attest_rejected": ("Không ghi nhận được. Sửa rồi gửi lại:", "Not recorded. Correct and send again:"),
    "attest_fix": ("Cách sửa", "Fix"),
}
register(STRINGS)


def attested_criteria() -> list:
    """The criteria of the active rule set (``geo.classify.DEFAULT_RULESET``) a person attests.

    Examples
    --------
    >>> [c.id for c in attested_criteria()]
    ['P8', 'P9']
    """
    return [c for c in load_ruleset(DEFAULT_RULESET).criteria if c.kind == "attested"]


@bp.route("")
@role_required("editor")
def index():
    """Every commune of the period's vintage with the state of its attestations for the period."""
    period, vintage = _period_and_vintage()
    engine = current_app.extensions["diaban.engine"]
    communes = commune_index(engine, vintage).to_dict(orient="records")
    states = _states(latest_attestations(engine, vintage, period=period.label))
    return render_template("attest_list.html", **_common(period, vintage), communes=communes, states=states)


@bp.route("/<code>")
@role_required("editor")
def commune(code: str):
    """The attestation form of one commune and period."""
    period, vintage = _period_and_vintage()
    return render_template("attest.html", **_form_context(period, vintage, code, {}))


@bp.route("/<code>", methods=["POST"])
@role_required("editor")
def save(code: str):
    """Record the marked criteria through the attestations ingest; the form again when a row is refused."""
    period, vintage = _period_and_vintage()
    context = _form_context(period, vintage, code, request.form)
    rows, error = _rows(context)
    if error:
        return render_template("attest.html", **context, error=error), 400
    summary, rejected = ingest_rows("attestations", rows, source="form:attest")
    marked = {row["criterion"]: row["holds"] for row in rows}
    engine = current_app.extensions["diaban.engine"]
    record(engine, g.user["username"], "attest.record", f"commune:{vintage}/{code}", period=period.label,
           criteria=marked, office=context["values"]["office"], batch_id=summary["batch_id"],
           loaded=summary["loaded"], rejected=summary["rejected"], duplicates=summary["duplicates"])
    if rejected:
        return render_template("attest.html", **context, rejected=rejected), 422
    if summary["loaded"]:
        flash(t("attest_saved").format(n=summary["loaded"], batch=summary["batch_id"]), "success")
    if summary["duplicates"]:
        flash(t("attest_same"), "info")
    stale = _superseded(engine, vintage, period, code, rows)
    if stale:
        flash(t("attest_superseded").format(ids=", ".join(stale)), "danger")
    return redirect(url_for("attest.commune", code=code, period=period.label))


def _period_and_vintage() -> tuple[Period, str]:
    """The period asked for (default: the last closed half-year) and the vintage valid on its last day.

    The vintage is never chosen freely: the ingest places an attestation on that vintage, so the page
    shows the same communes.
    """
    period = parse_period(request.args.get("period") or last_closed_half(date.today()).label)
    return period, choose_vintage(current_app.extensions["diaban.engine"], period,
                                  province=current_province_code()).id


def _states(latest) -> dict[str, dict[str, dict]]:
    """``{commune code: {criterion id: newest attestation}}``."""
    out: dict[str, dict[str, dict]] = {}
    for row in latest.to_dict(orient="records"):
        out.setdefault(row["commune_code"], {})[row["criterion_id"]] = row
    return out


def _common(period: Period, vintage: str) -> dict:
    criteria = attested_criteria()
    english = current_language() == "en"
    return {"period": period.label, "vintage": vintage, "ruleset": DEFAULT_RULESET, "criteria": criteria,
            "texts": {c.id: c.text_en if english else c.text_vi for c in criteria}, "english": english,
            "offices": vocabulary("offices").choices()}


def _form_context(period: Period, vintage: str, code: str, form) -> dict:
    """The page of one commune: 404 when ``code`` is no commune of the vintage."""
    engine = current_app.extensions["diaban.engine"]
    communes = commune_index(engine, vintage)
    found = communes[communes["commune_code"] == code]
    if found.empty:
        abort(404, f"commune {code!r} is not a unit of vintage {vintage} (the vintage of period "
                   f"{period.label})")
    common = _common(period, vintage)
    values = {"office": form.get("office", ""), "attested_on": form.get("attested_on",
                                                                         date.today().strftime("%d/%m/%Y"))}
    for c in common["criteria"]:
        values[f"holds_{c.id}"] = form.get(f"holds_{c.id}", "")
        values[f"value_{c.id}"] = form.get(f"value_{c.id}", "").strip()
    current = _states(latest_attestations(engine, vintage, period=period.label,
                                          commune_code=code)).get(code, {})
    return {**common, "code": code, "unit": found.iloc[0].to_dict(), "values": values, "current": current}


def _rows(context: dict) -> tuple[list[dict], str | None]:
    """The rows of an attestations file the form stands for, or why there are none."""
    values, holds = context["values"], vocabulary("holds").choices()
    office = context["offices"].get(values["office"])
    if office is None:
        return [], t("attest_bad_office")
    rows = [{"commune_code": context["code"], "period": context["period"], "criterion": c.id,
             "holds": holds[values[f"holds_{c.id}"]], "value": values[f"value_{c.id}"],
             "attested_by": office, "attested_on": values["attested_on"].strip()}
            for c in context["criteria"] if values[f"holds_{c.id}"] in holds]
    return rows, None if rows else t("attest_nothing")


def _superseded(engine, vintage: str, period: Period, code: str, rows: list[dict]) -> list[str]:
    """The criteria of ``rows`` whose answer is not the newest on record after the save.

    The classification reads the attestation with the latest date (then the latest record). An answer
    dated before the one on record does not replace it; nor does an answer that repeats an earlier
    record of the same day, office and value (a duplicate, not stored again) after a different one.
    """
    current = _states(latest_attestations(engine, vintage, period=period.label,
                                          commune_code=code)).get(code, {})
    holds = vocabulary("holds").code
    return [row["criterion"] for row in rows if row["criterion"] not in current
            or current[row["criterion"]]["holds"] != (holds(row["holds"]) == "yes")]
