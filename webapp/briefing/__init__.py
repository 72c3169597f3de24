"""The briefing pack for the steering committee: one PDF per reporting period.

``diaban report`` and the web page ``/reports`` both call :func:`briefing_pdf`:

* :mod:`webapp.briefing.data` and :mod:`webapp.briefing.figures` gather the figures through
  ``geo.store`` and the analyses, with the commands' defaults;
* :mod:`webapp.briefing.maps` draws the static maps (matplotlib, the web map's layers);
* :mod:`webapp.briefing.sections` and :mod:`webapp.briefing.methods` lay out the pages, and
  :mod:`webapp.briefing.pdf` builds the file (reportlab, DejaVu Sans embedded).

Pages: cover (period, data as-of, boundaries, rule set and snapshot, edition); 1 commune
status map and incident map; 2 Gi* hot spots; 3 progress against the plan's targets; 4 per
district; 5 changes since the previous period's snapshot and why; 6 cleared sites that
reactivated, per commune (their points in the internal edition only); 7 methods and every
parameter.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from webapp.briefing.data import Briefing, gather_briefing
from webapp.i18n import LANGUAGES

if TYPE_CHECKING:
    from sqlalchemy import Engine

__all__ = ["Briefing", "briefing_pdf", "gather_briefing", "render_briefing"]


def render_briefing(briefing: Briefing, *, lang: str = "vi", public: bool = False) -> bytes:
    """Lay out a gathered briefing as PDF bytes in ``lang`` (``vi`` or ``en``).

    ``public=True`` is the edition for wider distribution: counts of 1 and 2 print as "<3"
    and no map shows a site or an establishment.
    """
    from webapp.briefing import sections
    from webapp.briefing.methods import methods_section
    from webapp.briefing.pdf import render

    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    flowables = [
        *sections.cover(briefing, lang, public),
        *sections.status_section(briefing, lang),
        *sections.hotspot_section(briefing, lang),
        *sections.targets_section(briefing, lang, public),
        *sections.districts_section(briefing, lang, public),
        *sections.changes_section(briefing, lang),
        *sections.reactivation_section(briefing, lang, public),
        *methods_section(briefing, lang, public),
    ]
    return render(flowables, briefing=briefing, lang=lang, public=public)


def briefing_pdf(engine: Engine, *, period: str, vintage: str | None = None, lang: str = "vi",
                 public: bool = False, actor: str, province: str | None = None) -> tuple[bytes, Briefing]:
    """Gather and render the briefing of ``period``; return the PDF bytes and the figures.

    Parameters
    ----------
    engine : Engine
        The database.
    period : str
        ``2018``, ``2018-Q2``, ``2018-H1``, ``2018-9M`` or ``2018-06``.
    vintage : str, optional
        Boundary vintage; default: the one valid on the period's last day.
    lang : {"vi", "en"}, default "vi"
    public : bool, default False
        The edition for wider distribution.
    actor : str
        Who asked (recorded on a classification snapshot the briefing has to take).
    province : str, optional
        The province's code; default: the only loaded one. Its name and plan are the briefing's.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"language {lang!r} is not one of {', '.join(LANGUAGES)}")
    briefing = gather_briefing(engine, period=period, vintage=vintage, actor=actor, province=province)
    return render_briefing(briefing, lang=lang, public=public), briefing
