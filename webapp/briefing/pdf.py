"""Lay the briefing out as an A4 PDF with reportlab: fonts, styles, page frame, metadata.

Every string is set in DejaVu Sans (shipped inside matplotlib), embedded as TrueType so
Vietnamese diacritics print and copy correctly. Every page carries the edition (internal or
wider distribution), the period and, for synthetic data, the yellow "DỮ LIỆU MÔ PHỎNG" band.
The file is reproducible: reportlab's invariant mode (fixed document id from the content), the
creation date set to the data's as-of time, maps without timestamps, tables in a fixed order.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

from webapp.briefing.text import period_name, province_title, tr

FONT, BOLD = "DejaVuSans", "DejaVuSans-Bold"
MARGIN = 1.8 * cm
WIDTH = A4[0] - 2 * MARGIN
SYNTHETIC_FILL = colors.HexColor("#ffd24d")
HEADER_FILL = colors.HexColor("#e8edf3")


@cache
def register_fonts() -> str:
    """Register DejaVu Sans (regular, bold) from matplotlib's data folder; return the family name.

    Examples
    --------
    >>> register_fonts()
    'DejaVuSans'
    """
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=BOLD, italic=FONT, boldItalic=BOLD)
    return FONT


@cache
def styles() -> dict[str, ParagraphStyle]:
    """The paragraph styles of the briefing, all in DejaVu Sans."""
    register_fonts()
    base = ParagraphStyle("body", fontName=FONT, bulletFontName=FONT, fontSize=9.5, leading=12.5,
                          spaceAfter=5)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=8, leading=10, spaceAfter=3),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.8, leading=9.5, spaceAfter=0),
        "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=7.3, leading=9, spaceAfter=0),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=18, leading=23,
                                alignment=TA_CENTER, spaceAfter=10),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=12, leading=16, alignment=TA_CENTER,
                                   spaceAfter=6),
        "h1": ParagraphStyle("h1", parent=base, fontName=BOLD, fontSize=14, leading=18, spaceBefore=4,
                             spaceAfter=8),
        "h2": ParagraphStyle("h2", parent=base, fontName=BOLD, fontSize=10.5, leading=14, spaceBefore=6,
                             spaceAfter=4),
        "banner": ParagraphStyle("banner", parent=base, fontName=BOLD, fontSize=10, leading=13,
                                 alignment=TA_CENTER, backColor=SYNTHETIC_FILL, borderPadding=5,
                                 spaceBefore=6, spaceAfter=10),
    }


def para(text: str, style: str = "body") -> Paragraph:
    """A paragraph of plain ``text`` (escaped: "<3" stays "<3") in one of :func:`styles`."""
    return Paragraph(escape(str(text)), styles()[style])


def table(header: list[str], rows: list[list], widths: list[float], *, numeric_from: int = 1,
          total_row: bool = False) -> Table:
    """A table with a repeated bold header; columns from ``numeric_from`` on are right-aligned.

    ``widths`` are fractions of the text width; cells are plain text, wrapped.
    """
    cells = [[para(h, "head") for h in header]]
    cells += [[para(v, "cell") for v in row] for row in rows]
    out = Table(cells, colWidths=[w * WIDTH for w in widths], repeatRows=1, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, colors.HexColor("#7a8899")),
        ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.HexColor("#cccccc")),
        ("FONT", (0, 0), (-1, -1), FONT, 7.8),  # the cells are paragraphs; no base-14 font either
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3), ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    if total_row:
        style.append(("BACKGROUND", (0, -1), (-1, -1), colors.HexColor("#f2f2f2")))
    out.setStyle(TableStyle(style))
    for row in cells:
        for cell in row[numeric_from:]:
            cell.style = ParagraphStyle("num", parent=cell.style, alignment=2)
    return out


def timestamp(value: datetime | None) -> str:
    """A UTC time for the page: ``2026-11-28 15:31 UTC`` (``–`` when missing).

    Examples
    --------
    >>> timestamp(datetime(2018, 5, 1, 8, 30, tzinfo=UTC)), timestamp(None)
    ('2018-05-01 08:30 UTC', '–')
    """
    if value is None:
        return "–"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def render(flowables: list, *, briefing, lang: str, public: bool) -> bytes:
    """Build the PDF of ``flowables`` with the page frame and metadata of ``briefing``."""
    register_fonts()
    buffer = io.BytesIO()
    title = f"{tr('brief_title', lang)} — {period_name(briefing.period, lang)}"
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN + 0.5 * cm, bottomMargin=MARGIN, title=title,
                            author="diaban", subject=tr("brief_for", lang), creator="diaban report",
                            keywords=f"{briefing.period.label} {briefing.vintage.id} {lang}"
                            + (" public" if public else ""), invariant=1, lang=lang,
                            initialFontName=FONT)
    frame = _PageFrame(briefing, lang, public)
    doc.build(flowables, onFirstPage=frame, onLaterPages=frame)
    return buffer.getvalue()


class _PageFrame:
    """Draws what every page carries: header, synthetic band, footer with the page number."""

    def __init__(self, briefing, lang: str, public: bool):
        self.lang, self.synthetic = lang, briefing.synthetic
        self.left = (f"diaban · {province_title(briefing.province, lang)} · "
                     f"{period_name(briefing.period, lang)}")
        self.edition = tr("brief_edition_public" if public else "brief_edition_internal", lang).split(":")[0]
        self.as_of = f"{tr('brief_as_of', lang)}: {timestamp(briefing.as_of['as_of'])}"
        as_of = briefing.as_of["as_of"]
        self.pdf_date = as_of.astimezone(UTC).strftime("D:%Y%m%d%H%M%S+00'00'") if as_of else None

    def __call__(self, canvas, doc) -> None:
        if self.pdf_date:
            canvas.setDateFormatter(lambda *_: self.pdf_date)
        width, height = A4
        canvas.saveState()
        top = height - MARGIN + 0.2 * cm
        if self.synthetic:
            canvas.setFillColor(SYNTHETIC_FILL)
            canvas.rect(0, height - 0.75 * cm, width, 0.75 * cm, stroke=0, fill=1)
            canvas.setFillColor(colors.black)
            canvas.setFont(BOLD, 9)
            canvas.drawCentredString(width / 2, height - 0.5 * cm, tr("synthetic", self.lang))
        canvas.setFont(FONT, 7.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        canvas.drawString(MARGIN, top, self.left)
        canvas.drawRightString(width - MARGIN, top, self.edition)
        canvas.setStrokeColor(colors.HexColor("#999999"))
        canvas.setLineWidth(0.4)
        canvas.line(MARGIN, top - 0.15 * cm, width - MARGIN, top - 0.15 * cm)
        canvas.line(MARGIN, MARGIN - 0.35 * cm, width - MARGIN, MARGIN - 0.35 * cm)
        canvas.drawString(MARGIN, MARGIN - 0.75 * cm, self.as_of)
        page = f"{tr('brief_page', self.lang)} {doc.page}"
        canvas.drawRightString(width - MARGIN, MARGIN - 0.75 * cm, page)
        canvas.restoreState()
