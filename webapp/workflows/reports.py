"""The briefing pack as a report: made and audited the same way from the CLI and the web.

``diaban report`` and the ``/reports`` download both record each briefing they hand out
with :func:`audit_report` (what was asked for, never the figures).
"""

from __future__ import annotations

from geo.store.audit import record


def audit_report(engine, actor: str, briefing, *, lang: str, public: bool, via: str) -> None:
    """Record a generated briefing in the audit log (who, period, vintage, language, edition).

    ``briefing`` is the :class:`webapp.briefing.data.Briefing` the pack was made of; ``via``
    names the door it went out through (``cli`` or ``web``).
    """
    record(engine, actor, "report", briefing.period.label, vintage=briefing.vintage.id, lang=lang,
           public=public, snapshot=briefing.snapshot.id, previous_snapshot=briefing.previous.id,
           via=via)
