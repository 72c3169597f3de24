"""The pages of the briefing pack, one function per section, each a list of reportlab flowables.

Counts go through :func:`shown`: in the edition for wider distribution the count columns are
suppressed by ``geo.exports.suppress_counts`` (the one small-count rule of every output), so
1 and 2 print as "<3". Counts of communes per status are administrative facts, not counts of
records, and are printed as they are.
"""

from __future__ import annotations

import io

import pandas as pd
from reportlab.lib.units import cm
from reportlab.platypus import Image, PageBreak, Spacer

from geo.classify import STATUSES
from geo.exports import suppress_counts
from webapp.briefing import maps
from webapp.briefing.pdf import WIDTH, para, table, timestamp
from webapp.briefing.text import class_name, period_name, province_title, tr
from webapp.dashboard import format_number
from webapp.workflows.targets import BASIS_NAMES

MAP_HEIGHT_FRACTION = maps.SIZE_IN[1] / maps.SIZE_IN[0]


def shown(frame: pd.DataFrame, columns, *, public: bool, lang: str) -> pd.DataFrame:
    """``columns`` of ``frame`` as printed counts: separators, and "<3" for 1 and 2 when ``public``.

    Examples
    --------
    >>> shown(pd.DataFrame({"n": [0, 1, 2, 1234]}), ["n"], public=True, lang="vi")["n"].tolist()
    ['0', '<3', '<3', '1.234']
    >>> shown(pd.DataFrame({"n": [1, None]}), ["n"], public=False, lang="en")["n"].tolist()
    ['1', '–']
    >>> missing = pd.DataFrame({"n": pd.array([5, None], dtype="Int64")})
    >>> shown(missing, ["n"], public=True, lang="en")["n"].tolist()
    ['5', '–']
    """
    out = frame.copy()
    for column in columns:
        values = out[column]
        if public:  # the export rule, applied column by column
            values = suppress_counts(values.to_frame("incidents"))["incidents"]
        out[column] = [v if isinstance(v, str) and v == "<3"
                       else format_number(None if pd.isna(v) else float(v), lang=lang)
                       for v in values.astype(object)]
    return out


def count(value: int, *, public: bool, lang: str) -> str:
    """One count as printed, with the rule of :func:`shown`.

    Examples
    --------
    >>> count(2, public=True, lang="vi"), count(2, public=False, lang="vi")
    ('<3', '2')
    """
    return shown(pd.DataFrame({"n": [value]}), ["n"], public=public, lang=lang)["n"].iloc[0]


def _map(png: bytes, scale: float = 1.0) -> Image:
    """A map image at the text width (or ``scale`` of it)."""
    width = WIDTH * scale
    return Image(io.BytesIO(png), width=width, height=width * MAP_HEIGHT_FRACTION)


def _percent(value, lang: str) -> str:
    """A share as a percentage with one decimal ("80,0 %" in Vietnamese)."""
    return format_number(None if pd.isna(value) else float(value), 1, percent=True, lang=lang)


def cover(b, lang: str, public: bool) -> list:
    """Title, period, data as-of, boundaries, rule set and snapshot, edition, contents."""
    snap = b.snapshot
    rules = f"{snap.ruleset_id} {snap.ruleset_version} (SHA-256 {snap.ruleset_sha256[:12]}…)"
    provisional = b.ruleset is None or b.ruleset.provisional
    rows = [
        [tr("brief_period", lang), f"{period_name(b.period, lang)} ({b.period.label}, {snap.convention})"],
        [tr("brief_window", lang), f"{b.period.start.isoformat()} → {b.period.end.isoformat()} "
                                   f"({tr('brief_end_exclusive', lang)})"],
        [tr("brief_vintage", lang), f"{b.vintage.id} — {b.vintage.label}"],
        [tr("brief_as_of", lang), timestamp(b.as_of["as_of"])],
        [tr("brief_ruleset", lang), rules],
        [tr("brief_snapshot", lang), tr("brief_snapshot_existing", lang, id=snap.id,
                                        at=timestamp(snap.created_at), by=snap.created_by)],
    ]
    out = [Spacer(1, 2.5 * cm), para(tr("brief_title", lang), "title"),
           para(province_title(b.province, lang), "subtitle"), para(period_name(b.period, lang), "subtitle"),
           para(tr("brief_for", lang), "subtitle"), Spacer(1, 0.6 * cm)]
    if b.synthetic:
        out.append(para(tr("synthetic", lang), "banner"))
    out.append(table([tr("brief_parameter", lang), tr("brief_setting", lang)], rows, [0.3, 0.7],
                     numeric_from=2))
    if provisional:
        out.append(para(tr("brief_provisional", lang), "small"))
    edition = tr("brief_edition_public" if public else "brief_edition_internal", lang)
    out += [Spacer(1, 0.4 * cm), para(edition), Spacer(1, 0.4 * cm), para(tr("brief_contents", lang), "h2")]
    planned = ("brief_targets",) if b.targets else ()
    out += [para(tr(key, lang)) for key in ("brief_summary", "brief_hotspots", *planned,
                                            "brief_districts", "brief_changes", "brief_reactivation",
                                            "brief_methods")]
    return [*out, PageBreak()]


def status_section(b, lang: str) -> list:
    """The status map of the snapshot, a summary sentence, then the incident map of the web map."""
    counts = b.communes["status"].value_counts()
    total = len(b.communes)
    rows = b.targets["rows"] if b.targets else pd.DataFrame({"measure": [], "target": []})
    goal = rows.loc[rows["measure"] == "healthy_share", "target"]
    summary = tr("brief_summary_text", lang, healthy=int(counts.get("healthy", 0)), total=total,
                 share=format_number(counts.get("healthy", 0) / total, 1, percent=True, lang=lang),
                 target=format_number(goal.iloc[0] if len(goal) else None, 0, percent=True, lang=lang))
    decisions = b.communes["recognised"] if "recognised" in b.communes else pd.Series(dtype="boolean")
    recognition = tr("brief_recognition_text", lang, year=b.period.label[:4],
                     recognised=int(decisions.astype("boolean").fillna(False).sum()),
                     decided=int(decisions.notna().sum()),
                     healthy=int(counts.get("healthy", 0)))
    return [
        para(tr("brief_summary", lang), "h1"), para(summary), para(recognition),
        para(tr("brief_status_map", lang), "h2"),
        _map(maps.status_map(b.communes, b.outlines, lang=lang, synthetic=b.synthetic)),
        PageBreak(),
        para(tr("brief_incident_map", lang), "h2"),
        _map(maps.incident_map(b.communes, b.outlines, lang=lang, synthetic=b.synthetic)),
        PageBreak(),
    ]


def hotspot_section(b, lang: str) -> list:
    """The Gi* map with the defaults of ``diaban hotspots`` and what they found."""
    p = b.hotspot["parameters"]
    inference = tr(f"brief_inference_{p['inference']}", lang, permutations=p["permutations"],
                   seed=p["seed"])
    text = tr("brief_hotspot_text", lang, inference=inference,
              alpha=format_number(p["alpha"], 2, lang=lang),
              fdr=tr("brief_true" if p["fdr"] else "brief_false", lang), significant=b.hotspot["significant"])
    smallest = tr("brief_hotspot_smallest", lang, p=format_number(b.hotspot["min_p"], 3, lang=lang),
                  q=format_number(b.hotspot["min_p_fdr"], 3, lang=lang))
    return [para(tr("brief_hotspots", lang), "h1"), para(text), para(smallest, "small"),
            para(tr("brief_hotspot_map", lang), "h2"),
            _map(maps.hotspot_map(b.communes, b.outlines, alpha=p["alpha"], lang=lang,
                                  synthetic=b.synthetic)),
            PageBreak()]


def targets_section(b, lang: str, public: bool) -> list:
    """Province progress against each measured target of the plan, in the period's year to date.

    Each target is followed by how it is measured (the targets file's ``how``); each row
    names its basis (cumulative to date or pro rata for a quarter, half-year or nine months).
    A province that configures no plan gets the heading and one line saying so, never
    another province's plan.
    """
    t = b.targets
    if not t:
        return [para(tr("brief_targets", lang), "h1"),
                para(tr("brief_no_plan", lang, province=province_title(b.province, lang))), PageBreak()]
    plan, rows = t["plan"], t["rows"].copy()
    years = int(plan["end_year"]) - int(plan["start_year"]) + 1
    partial = bool(rows["basis"].isin(["cumulative_to_date", "pro_rata"]).any())
    out = [para(tr("brief_targets", lang), "h1"),
           para(tr("brief_targets_text", lang, plan=plan["title"] if lang == "vi" else plan.get("title_en"),
                   year=t["year"], start=plan["start_year"], years=years))]
    if partial:
        out.append(para(tr("brief_targets_to_date", lang, period=b.period.label,
                           end=b.period.end.isoformat())))
    if t["outside"]:
        out.append(para(tr("brief_targets_outside", lang, start=plan["start_year"], end=plan["end_year"])))
    out.append(table([tr(k, lang) for k in ("brief_target", "brief_goal", "brief_due", "brief_value",
                                            "brief_cumulative", "brief_share", "brief_on_track")],
                     _target_rows(rows, lang, public), [0.33, 0.09, 0.11, 0.1, 0.1, 0.13, 0.14]))
    out.append(para(tr("brief_how", lang), "h2"))
    how = "how" if lang == "vi" else "how_en"
    out += [para(f"• {row['clause']}: {row[how]} ({_basis_name(row['basis'], lang)})", "small")
            for _, row in rows.iterrows() if how in rows and isinstance(row[how], str)]
    notes = sorted({n for n in rows["note"].dropna()})
    out += [para(f"• {n}", "small") for n in notes]
    if len(t["unmeasured"]):
        names = "; ".join(f"{r['clause']} {r['text'] if lang == 'vi' else r['text_en']}"
                          for _, r in t["unmeasured"].iterrows())
        out.append(para(tr("brief_not_measured", lang, targets=names), "small"))
    return [*out, PageBreak()]


def _basis_name(basis: str, lang: str) -> str:
    """The name of a row's basis (``webapp.workflows.targets.BASIS_NAMES``) in ``lang``."""
    return BASIS_NAMES[basis][0 if lang == "vi" else 1]


def _target_rows(rows: pd.DataFrame, lang: str, public: bool) -> list[list[str]]:
    """The printed cells of the targets table: goal, goal due by the period's end, value, reached."""
    share = rows["unit"] == "percent"
    counts = shown(rows[~share], ["value", "cumulative"], public=public, lang=lang)
    body = []
    for i, row in rows.iterrows():
        def fmt(value, i=i):
            return _percent(value, lang) if share[i] else format_number(value, lang=lang)
        value, cumulative = ((_percent(row["value"], lang), "–") if share[i]
                             else (counts.at[i, "value"], counts.at[i, "cumulative"]))
        body.append([f"{row['clause']} {row['text'] if lang == 'vi' else row['text_en']}", fmt(row["target"]),
                     fmt(row["due"]), value, cumulative, _percent(row["share_of_target"], lang),
                     tr({True: "brief_yes", False: "brief_no"}.get(row["on_track"], "brief_unknown"), lang)])
    return body


def districts_section(b, lang: str, public: bool) -> list:
    """Per district: communes by status; then incidents (now and before), inspections, reactivated sites."""
    out = [para(tr("brief_districts", lang), "h1")]
    if b.districts is None:
        return [*out, para(tr("brief_districts_none", lang, vintage=b.vintage.id)), PageBreak()]
    counts = ["incidents", "incidents_prev", "inspections", "reactivated"]
    frame = shown(b.districts, counts, public=public, lang=lang)
    names = [tr("brief_total", lang) if code == "province" else name
             for code, name in zip(frame["district_code"], frame["district_name"], strict=True)]
    statuses = [[name, str(r["communes"]), *(str(r[s]) for s in STATUSES),
                 format_number(r["healthy"] / r["communes"], 1, percent=True, lang=lang),
                 str(r["recognised"])]
                for name, (_, r) in zip(names, frame.iterrows(), strict=True)]
    header = [tr("brief_district", lang), tr("brief_communes_n", lang),
              *(class_name("status", s, lang) for s in STATUSES), tr("brief_healthy_share", lang),
              f"{tr('brief_recognised', lang)} {b.period.label[:4]}"]
    out += [para(tr("brief_districts_status", lang), "h2"),
            table(header, statuses, [0.22, 0.08, 0.11, 0.11, 0.11, 0.13, 0.11, 0.13], total_row=True)]
    activity = [[name, *(r[c] for c in counts)] for name, (_, r) in zip(names, frame.iterrows(), strict=True)]
    header = [tr("brief_district", lang), f"{tr('brief_incidents', lang)} {b.period.label}",
              f"{tr('brief_incidents', lang)} {b.previous_period.label}", tr("brief_inspections", lang),
              tr("brief_reactivated", lang)]
    out += [para(tr("brief_districts_activity", lang), "h2"),
            table(header, activity, [0.28, 0.18, 0.18, 0.18, 0.18], total_row=True)]
    if public:
        out.append(para(tr("brief_suppressed_note", lang), "small"))
    return [*out, PageBreak()]


def changes_section(b, lang: str) -> list:
    """Communes whose status changed since the previous period's snapshot, and the criteria why."""
    changes, prev, snap = b.changes["changes"], b.previous, b.snapshot
    direction = changes["direction"].value_counts()
    out = [para(tr("brief_changes", lang), "h1"),
           para(tr("brief_changes_text", lang, after=snap.id, period=snap.period, before=prev.id,
                   previous=prev.period, vintage=b.vintage.id, gained=int(direction.get("gained", 0)),
                   lost=int(direction.get("lost", 0)), other=int(direction.get("changed", 0)),
                   criteria_only=b.changes["criteria_only"]))]
    if (prev.ruleset_id, prev.ruleset_sha256) != (snap.ruleset_id, snap.ruleset_sha256):
        out.append(para(tr("brief_changes_rules", lang,
                           before=f"{prev.ruleset_id} {prev.ruleset_version}",
                           after=f"{snap.ruleset_id} {snap.ruleset_version}")))
    if changes.empty:
        return [*out, para(tr("brief_changes_none", lang)), PageBreak()]

    def status(value) -> str:
        return "–" if value is None or pd.isna(value) else class_name("status", value, lang)

    def why(row) -> str:
        parts = [f"{tr(key, lang)}: {', '.join(row[column])}"
                 for column, key in (("met", "brief_met"), ("failed", "brief_failed"),
                                     ("missing", "brief_missing")) if row[column]]
        return "; ".join(parts) or "–"

    body = [[f"{r['name']} ({r['commune_code']})",
             r["district_name"] if pd.notna(r["district_name"]) else "–",
             status(r["status_before"]), status(r["status_after"]),
             tr(f"brief_{r['direction']}", lang), why(r)] for _, r in changes.iterrows()]
    header = [tr(k, lang) for k in ("brief_unit", "brief_district", "brief_before", "brief_after",
                                    "brief_direction", "brief_why")]
    out.append(table(header, body, [0.19, 0.15, 0.13, 0.13, 0.11, 0.29], numeric_from=6))
    used = sorted({c for column in ("met", "failed", "missing") for ids in changes[column] for c in ids})
    if b.ruleset is not None:
        texts = {c.id: c.text_vi if lang == "vi" else c.text_en for c in b.ruleset.criteria}
        out += [para(f"{c}: {texts.get(c, '')}", "small") for c in used]
    return [*out, PageBreak()]


def reactivation_section(b, lang: str, public: bool) -> list:
    """Sites reactivated in the period per commune; their points only in the internal edition."""
    r = b.reactivation
    window = r["params"]["window_days"] or "∞"
    out = [para(tr("brief_reactivation", lang), "h1"),
           para(tr("brief_reactivation_text", lang, radius=f"{r['params']['radius_m']:g}", window=window,
                   sites=count(r["total_sites"], public=public, lang=lang),
                   spells=count(r["total_spells"], public=public, lang=lang)))]
    per = r["per_commune"]
    if per.empty:
        out.append(para(tr("brief_reactivation_none", lang)))
    else:
        columns = ["reactivated", "reactivations", "still_active"]
        frame = shown(per, columns, public=public, lang=lang)
        body = [[f"{row['name']} ({row['commune_code']})",
                 row["district_name"] if pd.notna(row["district_name"]) else "–", *(row[c] for c in columns)]
                for _, row in frame.iterrows()]
        header = [tr(k, lang) for k in ("brief_unit", "brief_district", "brief_reactivated_sites",
                                        "brief_reactivations", "brief_still_active")]
        out.append(table(header, body, [0.3, 0.25, 0.15, 0.15, 0.15], numeric_from=2))
        if public:
            out.append(para(tr("brief_suppressed_note", lang), "small"))
    out.append(para(tr("brief_reactivation_p3", lang), "small"))
    if public:
        return [*out, para(tr("brief_site_map_public", lang), "small"), PageBreak()]
    return [*out, PageBreak(), para(tr("brief_site_map", lang), "h2"),
            _map(maps.site_map(b.communes, b.outlines, r["sites"], lang=lang, synthetic=b.synthetic)),
            PageBreak()]
