"""Test fixtures: newspaper-like PDFs generated with reportlab's built-in CID font STSong-Light.

In: articles (title, text with paragraphs separated by "\\n", sources). Out: a multi-page PDF laid
out like a newspaper page: a header band (paper name, issue date, 第N版), a boxed section label,
then rows of articles, the first spanning all columns (4 by default), the others half as many
each, two side by side; each headline spans its article's columns, the body flows through them
(balanced; optional extra space between paragraphs), and the attribution "（org、org）" closes
the body. Page labels are set to the edition numbers.
Also: an encrypted PDF, an image-only (scanned-like) PDF and a corrupt one.
Not handled: real typography (no justification, no kerning); reportlab drops "·" and draws "……"
as "⋯⋯" with this font, so compare text after normalising those.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

W, H = A4
MARGIN, GUTTER = 36.0, 14.0
BODY, LEADING, HEAD, HEAD_LEADING = 9.0, 13.0, 16.0, 20.0
TOP, BOTTOM = 90.0, H - 50.0  # content area (top-left origin)


@dataclass
class SourceArticle:
    title: str
    text: str
    sources: list[str]


@dataclass(frozen=True)
class Layout:
    columns: int = 4
    para_gap: float = 0.0  # extra space between paragraphs (lines up across columns by chance)

    @property
    def col_w(self) -> float:
        return (W - 2 * MARGIN - (self.columns - 1) * GUTTER) / self.columns

    def span(self, ncols: int) -> float:
        return ncols * self.col_w + (ncols - 1) * GUTTER


def _wrap(text: str, width: float, size: float, indent: float = 0.0) -> list[tuple[str, float]]:
    """Greedy character wrap -> (line, x offset); never starts a line with a space."""
    lines, cur, x0 = [], "", indent
    for ch in text:
        if pdfmetrics.stringWidth(cur + ch, FONT, size) > width - x0:
            lines.append((cur, x0))
            cur, x0 = ("" if ch == " " else ch), 0.0
        else:
            cur += ch
    if cur:
        lines.append((cur, x0))
    return lines


def _body_lines(a: SourceArticle, lay: Layout) -> list[tuple[str, float, float]]:
    """(line, x offset, extra space above it)."""
    lines: list[tuple[str, float, float]] = []
    for para in a.text.split("\n"):
        wrapped = _wrap(para, lay.col_w, BODY, indent=2 * BODY)
        lines += [(t, dx, lay.para_gap if k == 0 and lines else 0.0)
                  for k, (t, dx) in enumerate(wrapped)]
    if a.sources:
        lines += [(t, dx, 0.0) for t, dx in _wrap("（" + "、".join(a.sources) + "）", lay.col_w, BODY)]
    return lines


def _columns(a: SourceArticle, lay: Layout, ncols: int) -> list[list[tuple[str, float, float]]]:
    body = _body_lines(a, lay)
    per_col = math.ceil(len(body) / ncols)
    return [body[k:k + per_col] for k in range(0, len(body), per_col)]


def _height(a: SourceArticle, lay: Layout, ncols: int) -> float:
    head = len(_wrap(a.title, lay.span(ncols), HEAD)) * HEAD_LEADING + 8
    body = max(sum(LEADING + gap for _, _, gap in col) for col in _columns(a, lay, ncols))
    return head + body + 18


def _draw_article(c: canvas.Canvas, a: SourceArticle, lay: Layout, col0: int, ncols: int,
                  y: float) -> None:
    x = MARGIN + col0 * (lay.col_w + GUTTER)
    c.setFont(FONT, HEAD)
    for line, _ in _wrap(a.title, lay.span(ncols), HEAD):
        y += HEAD_LEADING
        c.drawString(x, H - y, line)
    y += 8
    c.setFont(FONT, BODY)
    for col, lines in enumerate(_columns(a, lay, ncols)):
        yy = y
        for line, dx, gap in lines:
            yy += LEADING + (gap if yy > y else 0.0)
            c.drawString(x + col * (lay.col_w + GUTTER) + dx, H - yy, line)


def _header(c: canvas.Canvas, date: str, edition: int, issue: str) -> None:
    if not date:
        return
    c.setFont(FONT, 10)
    c.drawString(MARGIN, H - 40, "福建卫生报")
    c.drawCentredString(W / 2, H - 40, f"{date}  {issue}")
    c.drawRightString(W - MARGIN, H - 40, f"第{edition}版")
    c.line(MARGIN, H - 50, W - MARGIN, H - 50)
    c.setFont(FONT, 8)
    c.drawCentredString(W / 2, 24, f"— {edition} —")


def make_newspaper_pdf(path: Path, articles: list[SourceArticle], date: str = "2024年8月20日 星期二",
                       issue: str = "第1234期", first_edition: int = 2,
                       label: str = "对口支援", header: bool = True,
                       layout: Layout = Layout()) -> list[list[str]]:
    """Write the PDF (the same bytes for the same arguments); return the titles placed on each
    page (for the test's expectations)."""
    c = canvas.Canvas(str(path), pagesize=A4, invariant=1)
    date = date if header else ""
    placed: list[list[str]] = [[]]
    edition, y, pending = first_edition, TOP, list(articles)

    def new_page() -> None:
        nonlocal edition, y
        c.showPage()
        edition, y = edition + 1, TOP
        placed.append([])
        _header(c, date, edition, issue)

    _header(c, date, edition, issue)
    c.setFont(FONT, 12)
    c.rect(MARGIN, H - (y + 22), 60, 20)
    c.drawString(MARGIN + 6, H - (y + 16), label)
    y += 30
    first = True
    while pending:
        row = [pending.pop(0)] if first else pending[:2]
        if not first:
            del pending[:len(row)]
        ncols = layout.columns if first else max(1, layout.columns // 2)
        height = max(_height(a, layout, ncols) for a in row)
        if y + height > BOTTOM:
            new_page()
        for k, a in enumerate(row):
            _draw_article(c, a, layout, k * ncols, ncols, y)
            placed[-1].append(a.title)
        y += height
        first = False
    if header:
        c.addPageLabel(0, style="D", start=first_edition)
    c.save()
    return placed


def make_image_only_pdf(path: Path, pages: int = 2) -> None:
    """A 'scanned' PDF: shapes and a raster image, no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.utils import ImageReader

    img = Image.new("L", (400, 300), 255)
    draw = ImageDraw.Draw(img)
    for k in range(0, 300, 12):
        draw.line((20, k, 380, k), fill=0, width=3)
    c = canvas.Canvas(str(path), pagesize=A4)
    for _ in range(pages):
        c.rect(MARGIN, MARGIN, W - 2 * MARGIN, H - 2 * MARGIN)
        c.drawImage(ImageReader(img), MARGIN, H / 2, width=400, height=300)
        c.showPage()
    c.save()


def make_encrypted_pdf(path: Path, articles: list[SourceArticle]) -> None:
    c = canvas.Canvas(str(path), pagesize=A4, encrypt="secret-password")
    c.setFont(FONT, BODY)
    c.drawString(MARGIN, H - 100, articles[0].title)
    c.save()


def make_corrupt_pdf(path: Path, good: Path) -> None:
    """The first third of a good PDF: a truncated download."""
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 3])
