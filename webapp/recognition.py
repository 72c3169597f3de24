"""Recognition (công nhận): the steering committee's decision per commune and year, next to the proposal.

- ``recognition.index`` (GET /recognition?year=&vintage=): every commune of the vintage with the
  computed proposal (đề xuất: status and score of the newest snapshot of the year) and the current
  decision (công nhận); editors and admins get a form per commune, analysts and viewers read;
- ``recognition.record`` (POST /recognition/<code>): records a decision through
  :func:`geo.store.recognition.record_decision` (the commune's earlier decision for the year is
  kept as superseded; the audit log gets ``recognition.record``).

:func:`recognition_payload` is the ``recognition`` member of ``/api/communes/<code>`` (the map panel).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for

from geo.classify import SnapshotMeta
from geo.periods import parse_period
from geo.store.map_layers import commune_index
from geo.store.recognition import (
    RecognitionError,
    commune_recognition,
    read_decisions,
    read_proposals,
    record_decision,
    year_snapshots,
)
from geo.store.units import choose_vintage, list_vintages
from webapp.accounts import has_role
from webapp.auth import role_required
from webapp.i18n import current_language, register, t
from webapp.province import current_province_code
from webapp.workflows.jsonable import json_ready_dict

bp = Blueprint("recognition", __name__)

STRINGS = {
    "nav_recognition": ("Công nhận xã lành mạnh", "Recognition"),
    "rec_title": ("Công nhận xã, phường, thị trấn lành mạnh không có tệ nạn mại dâm",
                  "Recognition of communes as healthy, free of prostitution"),
    "rec_intro": ("Đề xuất là kết quả phân loại tự động (lần phân loại mới nhất của năm). Công nhận là "
                  "quyết định của cấp có thẩm quyền, do cán bộ ghi lại ở đây; quyết định mới thay thế quyết "
                  "định cũ của cùng xã và năm, quyết định cũ vẫn được lưu.",
                  "The proposal is the computed classification (the year's newest snapshot). Recognition is "
                  "the decision of the competent body, recorded here by staff; a new decision supersedes the "
                  "commune's earlier one for the year, which is kept."),
    "rec_year": ("Năm", "Year"),
    "rec_proposal": ("Đề xuất", "Proposal"),
    "rec_decision": ("Công nhận", "Recognition"),
    "rec_recognised": ("Được công nhận", "Recognised"),
    "rec_not_recognised": ("Không công nhận", "Not recognised"),
    "rec_undecided": ("Chưa có quyết định", "No decision yet"),
    "rec_no_proposal": ("Chưa phân loại", "Not classified"),
    "rec_number": ("Số quyết định", "Decision number"),
    "rec_date": ("Ngày quyết định", "Decision date"),
    "rec_by": ("Cơ quan quyết định", "Decided by"),
    "rec_by_help": ("Ghi tên cơ quan hoặc chức danh (UBND tỉnh, Ban Chỉ đạo tỉnh), không ghi tên người.",
                    "An office or role (UBND tỉnh, Ban Chỉ đạo tỉnh), never a person's name."),
    "rec_snapshot": ("Căn cứ lần phân loại", "Based on snapshot"),
    "rec_snapshot_none": ("(không ghi)", "(not stated)"),
    "rec_superseded": ("thay {n} quyết định trước", "supersedes {n} earlier"),
    "rec_save": ("Ghi quyết định", "Record the decision"),
    "rec_edit": ("Ghi / thay quyết định", "Record / replace the decision"),
    "rec_saved": ("Đã ghi quyết định cho {name} ({code}), năm {year}.",
                  "Decision recorded for {name} ({code}), {year}."),
    "rec_summary": ("Đề xuất lành mạnh: {proposed}/{total} xã · Công nhận: {recognised} xã · "
                    "Đã có quyết định: {decided} xã",
                    "Proposed healthy: {proposed}/{total} communes · Recognised: {recognised} · "
                    "With a decision: {decided}"),
    "rec_proposal_source": ("Đề xuất theo lần phân loại #{id} (kỳ {period}, {ruleset}).",
                            "Proposal from snapshot #{id} (period {period}, {ruleset})."),
    "rec_no_snapshot": ("Chưa có lần phân loại nào của năm {year} trên ranh giới này. Chạy: {command}",
                        "No classification snapshot of {year} on these boundaries. Run: {command}"),
    "rec_choose": ("Chọn có hoặc không công nhận.", "Choose recognised or not recognised."),
    "rec_bad_date": ("Ngày quyết định {value!r} không đúng dạng YYYY-MM-DD.",
                     "Decision date {value!r} is not YYYY-MM-DD."),
}
register(STRINGS)


def _year_and_vintage(engine) -> tuple[int, dict, list[dict]]:
    """The year and vintage asked for (``year``, ``vintage``), defaulting to last year and its vintage."""
    vintages = list_vintages(engine, current_province_code())
    year = request.args.get("year", type=int) or request.form.get("year", type=int) or date.today().year - 1
    wanted = request.args.get("vintage") or request.form.get("vintage") or None
    return year, choose_vintage(engine, parse_period(str(year)), wanted, vintages=vintages), vintages


@bp.route("/recognition")
def index():
    """Every commune's proposal and decision for the year; the forms for editors and admins."""
    return _page()


def _page(error: str | None = None, status: int = 200):
    """The page for the requested year and vintage, with ``error`` shown above the table."""
    engine = current_app.extensions["diaban.engine"]
    year, vintage, vintages = _year_and_vintage(engine)
    rows, snapshot = commune_rows(engine, year, vintage.id)
    summary = {"total": len(rows), "proposed": sum(r["proposal_status"] == "healthy" for r in rows),
               "recognised": sum(r["decision"] is not None and r["decision"]["recognised"] for r in rows),
               "decided": sum(r["decision"] is not None for r in rows)}
    return render_template(
        "recognition.html", year=year, vintage=vintage, vintages=vintages, rows=rows, snapshot=snapshot,
        snapshots=year_snapshots(engine, year, vintage=vintage.id), summary=summary, error=error,
        can_record=has_role(g.user, "editor"), lang=current_language(),
        command=f"diaban classify --period {year} --vintage {vintage.id}"), status


def commune_rows(engine, year: int, vintage: str) -> tuple[list[dict], SnapshotMeta | None]:
    """Per commune of ``vintage``: name, district, the proposal of ``year`` and the current decision."""
    communes = commune_index(engine, vintage)
    snapshot, proposals = read_proposals(engine, year, vintage=vintage)
    by_code = proposals.set_index("commune_code")
    decisions = read_decisions(engine, year=year, vintage=vintage, history=True)
    rows = []
    for unit in communes.itertuples():
        mine = decisions[decisions["commune_code"] == unit.commune_code]
        current = mine[mine["superseded_at"].isna()]
        found = unit.commune_code in by_code.index
        rows.append({
            "code": unit.commune_code, "name": unit.name,
            "district": None if pd.isna(unit.district_name) else unit.district_name,
            "proposal_status": by_code.at[unit.commune_code, "status"] if found else None,
            "proposal_score": float(by_code.at[unit.commune_code, "score"]) if found else None,
            "decision": _decision(current.iloc[0]) if len(current) else None,
            "superseded": len(mine) - len(current),
        })
    return rows, snapshot


def _decision(row: pd.Series) -> dict:
    """A decision row ready for the template (dates as dates, a missing snapshot as None)."""
    out = json_ready_dict(row.to_dict())
    out["snapshot_id"] = None if out["snapshot_id"] is None else int(out["snapshot_id"])
    return out


@bp.route("/recognition/<code>", methods=["POST"])
@role_required("editor")
def record(code: str):
    """Record one decision from its form (the CSRF token was checked by ``webapp.auth.check_csrf``)."""
    engine = current_app.extensions["diaban.engine"]
    year, vintage, _ = _year_and_vintage(engine)
    form = request.form
    verdict = form.get("recognised")
    if verdict not in {"1", "0"}:
        return _page(t("rec_choose"), 400)
    try:
        day = date.fromisoformat(form.get("decision_date") or "")
    except ValueError:
        return _page(t("rec_bad_date").format(value=form.get("decision_date") or ""), 400)
    try:
        record_decision(engine, vintage=vintage.id, commune_code=code, year=year,
                        recognised=verdict == "1",
                        decision_number=form.get("decision_number", ""), decision_date=day,
                        decided_by=form.get("decided_by", ""), recorded_by=g.user["username"],
                        snapshot_id=form.get("snapshot_id", type=int))
    except RecognitionError as exc:
        return _page(str(exc), 400)
    name = commune_index(engine, vintage.id).set_index("commune_code")["name"].get(code, code)
    flash(t("rec_saved").format(name=name, code=code, year=year), "success")
    return redirect(url_for("recognition.index", year=year, vintage=vintage.id) + f"#commune-{code}")


def recognition_payload(engine, vintage: str, code: str, *, period: str) -> dict:
    """The ``recognition`` member of ``/api/communes/<code>``: proposal and decision of the period's year.

    Carries its own labels in the interface language (``text``), so the map panel renders it
    without the map page knowing the strings.
    """
    payload = commune_recognition(engine, int(period[:4]), code, vintage=vintage)
    keys = ("rec_proposal", "rec_decision", "rec_recognised", "rec_not_recognised", "rec_undecided",
            "rec_no_proposal", "rec_number", "rec_date", "rec_by", "rec_snapshot", "rec_year")
    return {**payload, "text": {k.removeprefix("rec_"): t(k) for k in keys}}
