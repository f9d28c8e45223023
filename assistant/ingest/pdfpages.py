"""A .pdf newspaper issue -> one records.Page per page, lines in column-aware reading order.

In: a PDF with a text layer. Out: list[Page]; each Line keeps its text, bbox (points, origin
top-left) and font size (units.py finds headlines by size). Reading order is an XY-cut of
PyMuPDF's text blocks: cut the region at its widest empty band, a full-width row gap (between a
headline spanning columns and its body, between rows of articles) or a column gutter, whichever
is wider, and recurse; gutters are wider than line gaps, so columns are read one after the other.
PyMuPDF's sort=True is not used: it reads across columns.
The header band (top 9% of the page) and the footer band (bottom 6%) are not article text: they
give the issue date (YYYY年M月D日 -> ISO), the edition (第N版) and the issue number (第N期);
without them the issue is the date, else the file name, and the date stays unknown.
Page number: the page label when it is a number, else the edition number, else the position.
Raises InputFileError for a damaged, password-protected or image-only PDF (it needs OCR); an
image-only page inside a text PDF is skipped with a warning.
Not handled here: OCR, vertical (top-to-bottom) text, rotated pages, tables.
"""

from __future__ import annotations

import re
from pathlib import Path

import pymupdf

from assistant.errors import InputFileError
from assistant.records import BBox, Line, Page

HEADER_BAND, FOOTER_BAND = 0.09, 0.94
MIN_GUTTER, MIN_ROW_GAP = 3.0, 0.5
FLAGS = pymupdf.TEXTFLAGS_DICT & ~pymupdf.TEXT_PRESERVE_IMAGES
_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_EDITION = re.compile(r"第\s*(\d+)\s*版")
_ISSUE = re.compile(r"总?第\s*\d+\s*期")

pymupdf.TOOLS.mupdf_display_errors(False)

DAMAGED = "damaged PDF (truncated or corrupt): pages cannot be read"
MUPDF_ERRORS = (RuntimeError, ValueError, pymupdf.mupdf.FzErrorBase)  # unreadable file or page
Item = tuple[BBox, list[Line]]  # one text block: its box and its lines


def read_pdf_pages(path: Path, file: str, warnings: list[str] | None = None) -> list[Page]:
    """The pages with text of one PDF (file: the key to record); problems with single pages are
    appended to warnings, a file that cannot be used at all raises InputFileError."""
    warnings = warnings if warnings is not None else []
    try:
        doc = pymupdf.open(path, filetype="pdf")
    except MUPDF_ERRORS as e:
        raise InputFileError(file, "not a readable PDF (damaged, truncated or not a PDF)") from e
    try:  # a damaged file may open, then fail on its page tree (a page count naming pages
        with doc:  # that are not there) or on a page: that is the file's problem, named
            if not doc.is_pdf:  # MuPDF sniffs content: HTML, SVG or Markdown open as such
                raise InputFileError(file, "not a readable PDF (damaged, truncated or not a PDF)")
            if doc.needs_pass:  # an owner password alone (printing limits) does not stop it
                raise InputFileError(file, "the PDF is password-protected: remove the password "
                                     "first")
            pages, blank = _read_all(doc, file)
            if doc.is_repaired and (blank or not pages):
                raise InputFileError(file, DAMAGED)
            if doc.is_repaired:
                warnings.append(f"{file}: damaged PDF was repaired; check that no page is "
                                "missing")
            meta = " ".join(str(v) for v in (doc.metadata or {}).values() if v)
    except (*MUPDF_ERRORS, IndexError) as e:
        raise InputFileError(file, DAMAGED) from e
    if not pages:
        raise InputFileError(file, "no text layer (a scanned or image-only PDF): it needs OCR")
    warnings += [f"{file}: page {n} has no text layer (scanned?): skipped, it needs OCR"
                 for n in blank]
    _fill_issue(pages, meta, path.stem)
    return pages


def _read_all(doc: pymupdf.Document, file: str) -> tuple[list[Page], list[int]]:
    pages, blank = [], []
    for i in range(doc.page_count):
        try:
            page = read_page(doc[i], file, i)
        except (*MUPDF_ERRORS, IndexError):  # a page object lost in a damaged file (the page
            page = None  # count of a damaged file may name pages that are not there: IndexError)
        if page is None:
            blank.append(i + 1)
        else:
            pages.append(page)
    return pages, blank


def read_page(pg: pymupdf.Page, file: str, index: int) -> Page | None:
    """One PDF page -> Page (None when it has no text)."""
    height = pg.rect.height
    items: list[Item] = []
    band: list[str] = []
    for block in pg.get_text("dict", flags=FLAGS)["blocks"]:
        lines = []
        for ln in block.get("lines", []):
            spans = [s for s in ln["spans"] if s["text"].strip()]
            if not spans:
                continue
            text = "".join(s["text"] for s in ln["spans"])
            box = tuple(round(v, 1) for v in ln["bbox"])
            if box[3] <= HEADER_BAND * height or box[1] >= FOOTER_BAND * height:
                band.append(text)
            else:
                lines.append(Line(text, box, round(max(s["size"] for s in spans), 1)))
        if lines:
            items.append((_union([ln.bbox for ln in lines]), lines))
    if not items:
        return None
    ordered = [ln for _, lines in xy_cut(items) for ln in lines]
    header = " ".join(band)
    edition = _EDITION.search(header)
    label = pg.get_label() or ""
    number = int(label) if label.isdigit() else int(edition.group(1)) if edition else index + 1
    issue = _ISSUE.search(header)
    return Page(file=file, page=number, lines=ordered, issue=issue.group() if issue else None,
                date=iso_date(header), edition=edition.group() if edition else None,
                width=pg.rect.width, height=height)


def iso_date(text: str) -> str | None:
    m = _DATE.search(text)
    if not m:
        return None
    y, mo, d = (int(g) for g in m.groups())
    return f"{y:04d}-{mo:02d}-{d:02d}" if 1 <= mo <= 12 and 1 <= d <= 31 else None


def _fill_issue(pages: list[Page], meta: str, stem: str) -> None:
    """Pages of one file are one issue: a date/issue found on any page (or in the document
    metadata, when it names one) holds for pages whose header lacks it. The issue is otherwise
    the date, else the file name; the date is never guessed."""
    date = next((p.date for p in pages if p.date), None) or iso_date(meta)
    m = _ISSUE.search(meta)
    issue = next((p.issue for p in pages if p.issue), None) or (m.group() if m else None) \
        or date or stem
    for p in pages:
        p.date, p.issue = p.date or date, p.issue or issue


def _union(boxes: list) -> BBox:
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


def _widest_gap(items: list[Item], axis: int) -> tuple[float, float]:
    """The widest empty band along axis (0: x, a gutter; 1: y, a row gap): (width, position)."""
    best, at, end = 0.0, 0.0, None
    for box, _ in sorted(items, key=lambda it: it[0][axis]):
        if end is not None and box[axis] - end > best:
            best, at = box[axis] - end, end
        end = box[axis + 2] if end is None else max(end, box[axis + 2])
    return best, at


def xy_cut(items: list[Item]) -> list[Item]:
    """Items in reading order: cut at the widest gap (a row gap, or a column gutter when that
    is wider), recursively; a region without gaps reads top to bottom."""
    if len(items) <= 1:
        return items
    row_gap, row_at = _widest_gap(items, 1)
    col_gap, col_at = _widest_gap(items, 0)
    if row_gap <= MIN_ROW_GAP and col_gap <= MIN_GUTTER:
        return sorted(items, key=lambda it: (it[0][1], it[0][0]))
    axis, at = (1, row_at) if row_gap >= col_gap or col_gap <= MIN_GUTTER else (0, col_at)
    first = [it for it in items if it[0][axis + 2] <= at + 0.01]
    rest = [it for it in items if it[0][axis + 2] > at + 0.01]
    return xy_cut(first) + xy_cut(rest)
