"""The methods page of the briefing: every parameter behind every figure, by machine name.

Parameter names are those of the commands and stored records (``diaban hotspots --json``,
the snapshot's columns, ``diaban reactivation``), so a reader can re-run each figure.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from webapp.briefing.pdf import para, table, timestamp
from webapp.briefing.sections import count
from webapp.briefing.text import tr
from webapp.workflows.targets import counted_on


def methods_section(b, lang: str, public: bool) -> list:
    """The methods page: one table of parameters per figure family."""
    out = [para(tr("brief_methods", lang), "h1")]

    def n(value) -> str:  # counts of records: "<3" for 1 and 2 in the public edition
        return count(value, public=public, lang=lang)

    for key, rows in (("brief_m_general", _general(b, lang, n)),
                      ("brief_m_classification", _classification(b)),
                      ("brief_m_hotspots", _hotspots(b, n)),
                      ("brief_m_reactivation", _reactivation(b, lang, n)),
                      *((("brief_m_targets", _targets(b)),) if b.targets else ()),
                      ("brief_m_edition", _edition(public, lang))):
        out += [para(tr(key, lang), "h2"),
                table([tr("brief_parameter", lang), tr("brief_setting", lang)],
                      [[k, _text(v)] for k, v in rows], [0.3, 0.7], numeric_from=2)]
    if b.ruleset is not None:
        out += [para(tr("brief_m_criteria", lang), "h2"), _criteria(b.ruleset, lang)]
    return out


def _text(value) -> str:
    """A parameter value as text (lists joined, None as '–')."""
    if value is None:
        return "–"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value) or "–"
    return str(value)


def _general(b, lang: str, n) -> list[tuple[str, object]]:
    """Period, comparison period, vintage, data as-of, counting rule, unplaced records, maps."""
    v = b.vintage
    return [
        ("period", f"{b.period.label} ({b.period.kind}, {b.snapshot.convention}): "
                   f"{b.period.start} → {b.period.end} ({tr('brief_end_exclusive', lang)})"),
        ("previous_period", b.previous_period.label),
        ("vintage", f"{v.id} ({v.label}), {v.valid_from} → {v.valid_to or '…'}"),
        ("data_as_of", timestamp(b.as_of["as_of"])),
        ("synthetic", tr("brief_true" if b.synthetic else "brief_false", lang)),
        ("counting", tr("method", lang)),
        ("unassigned", ", ".join(f"{k}: {n(v)}" for k, v in sorted(b.unassigned.items()))),
        ("maps", tr("brief_m_maps", lang)),
        ("software", ", ".join(_versions())),
    ]


def _classification(b) -> list[tuple[str, object]]:
    """The snapshot used, the one compared with, and the rule set's decision rule."""
    s, p, rules = b.snapshot, b.previous, b.ruleset
    keys = ("id", "period", "convention", "vintage_id", "data_as_of", "created_at", "created_by",
            "ruleset_id", "ruleset_version", "ruleset_sha256")

    def value(meta, key):
        found = getattr(meta, key)
        return timestamp(found) if key in ("data_as_of", "created_at") else found

    rows = [(f"snapshot.{k}", value(s, k)) for k in keys]
    rows += [(f"previous.{k}", value(p, k))
             for k in ("id", "period", "created_at", "created_by", "ruleset_id", "ruleset_version")]
    if rules is not None:
        rows += [("provisional", rules.provisional), ("legal_basis", rules.legal_basis),
                 ("score_threshold", f"{rules.score_threshold:g} / {rules.max_score:g}"),
                 ("reduced_requires", list(rules.reduced_requires))]
    return rows


def _criteria(rules, lang: str):
    """One row per criterion: id, kind, indicator, test, weight, text."""
    header = ["id", "kind", "indicator", "test", "weight", tr("brief_criterion", lang)]
    body = [[c.id, c.kind, c.indicator,
             "attested" if c.comparison is None else f"{c.comparison} {c.threshold:g}",
             f"{c.weight:g}", c.text_vi if lang == "vi" else c.text_en] for c in rules.criteria]
    return table(header, body, [0.05, 0.1, 0.27, 0.09, 0.08, 0.41], numeric_from=6)


def _hotspots(b, n) -> list[tuple[str, object]]:
    """Every parameter of the Gi* result that applies (as ``diaban hotspots --json`` prints it)."""
    params = {k: v for k, v in b.hotspot["parameters"].items() if v is not None and v != []}
    return [*params.items(), ("unplaced_records", n(b.hotspot["unplaced"])),
            ("colours", "ColorBrewer RdBu (hot red, cold blue)")]


def _reactivation(b, lang: str, n) -> list[tuple[str, object]]:
    """The reactivation rule's parameters (the defaults of ``diaban reactivation``)."""
    r = b.reactivation
    return [("as_of", r["params"]["as_of"]), ("radius_m", r["params"]["radius_m"]),
            ("window_days", r["params"]["window_days"]), ("rule", tr("brief_m_reactivation_rule", lang)),
            ("unplaced_sites", n(r["unplaced_sites"]))]


def _targets(b) -> list[tuple[str, object]]:
    """The plan the targets come from and the vintage they are counted on."""
    plan = b.targets["plan"]
    return [("plan", plan["id"]), ("title", plan["title"]), ("vintage", counted_on(plan)),
            ("years", f"{plan['start_year']}–{plan['end_year']}"), ("year_shown", b.targets["year"]),
            ("command", "diaban targets")]


def _edition(public: bool, lang: str) -> list[tuple[str, object]]:
    """What the edition hides: small counts and point maps in public mode."""
    return [("public", tr("brief_true" if public else "brief_false", lang)),
            ("suppression", tr("brief_m_suppression", lang)),
            ("colours", "ColorBrewer RdYlBu (status), YlOrRd (incidents), RdBu (hot spots)")]


def _versions() -> list[str]:
    """The versions of the software that drew the pack."""
    out = []
    for name in ("diaban", "matplotlib", "reportlab", "esda"):
        try:
            out.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            out.append(f"{name} ?")
    return out
