"""What a clicked citation shows: its article with the passage marked, and its page as an image.

In: a Citation, the index chunks of the cited article (for the full text) and, for PDF sources,
the PDF file. Out: an HTML fragment (article text, passage in <mark>) and PNG bytes of the page
at 1.5x with semi-transparent boxes drawn over the passage's stored bounding boxes.
Not handled: finding the chunks (the app looks them up in the index), text sources' page images
(they have none), caching (a page renders in tens of milliseconds).
"""

from __future__ import annotations

import html
from pathlib import Path

import pymupdf

from assistant.errors import InputFileError
from assistant.records import BBox, Chunk, Citation
from assistant.text import squash

ZOOM = 1.5
FILL = (1.0, 0.84, 0.0)  # amber, drawn at FILL_OPACITY over the text
STROKE = (0.85, 0.4, 0.0)
FILL_OPACITY = 0.3


def article_text(chunks: list[Chunk], max_overlap: int) -> str:
    """The article body rebuilt from its chunks in order, dropping the text neighbours repeat
    (at most `max_overlap` characters: the chunk overlap the index was built with)."""
    text = ""
    for chunk in sorted(chunks, key=lambda c: c.index):
        text = _join(text, chunk.text, max_overlap)
    return text


def _join(left: str, right: str, max_overlap: int) -> str:
    """Append `right` to `left`, skipping the longest prefix of `right` that `left` ends with."""
    for k in range(min(len(left), len(right), max_overlap), 0, -1):
        if left.endswith(right[:k]):
            return left + right[k:]
    return f"{left}\n{right}" if left else right


def article_html(citation: Citation, number: int, article: str) -> str:
    """Heading (number, label, file) and the article with the cited passage in <mark>."""
    head = (f"<h3>[{number}] {html.escape(citation.label())}</h3>"
            f"<p class='source-file'>{html.escape(citation.file)} · page {citation.page}</p>")
    passage = citation.text.strip()
    start = article.find(passage) if passage else -1
    if start < 0:  # the article could not be rebuilt around the passage: show the passage alone
        return head + f"<div class='article'><mark>{_paragraphs(passage)}</mark></div>"
    end = start + len(passage)
    body = (_paragraphs(article[:start]) + "<mark class='cited'>" + _paragraphs(passage) + "</mark>"
            + _paragraphs(article[end:]))
    return head + f"<div class='article'>{body}</div>"


def _paragraphs(text: str) -> str:
    return html.escape(text).replace("\n", "<br>")


def resolve_file(file: str, index_dir: Path) -> Path | None:
    """The source file named in the index: as stored (relative to where ingest ran), or beside
    the index folder."""
    for candidate in (Path(file), index_dir.resolve().parent / file):
        if candidate.is_file():
            return candidate
    return None


def page_png(pdf: Path, page: int, boxes: list[BBox], passage: str = "") -> bytes:
    """PNG of the cited page with each box drawn as a semi-transparent highlight."""
    try:
        doc = pymupdf.open(pdf)
    except RuntimeError as e:  # pymupdf.FileDataError, pymupdf.FileNotFoundError
        raise InputFileError(str(pdf), f"cannot open the PDF to show its page ({e})") from e
    with doc:
        p = doc[find_page(doc, page, passage)]
        for box in boxes:
            p.draw_rect(pymupdf.Rect(box), color=STROKE, fill=FILL, width=1.2,
                        fill_opacity=FILL_OPACITY, stroke_opacity=0.9)
        return p.get_pixmap(matrix=pymupdf.Matrix(ZOOM, ZOOM)).tobytes("png")


def find_page(doc: pymupdf.Document, page: int, passage: str = "") -> int:
    """0-based index of the cited page: labelled `page` or at position `page`, holding the passage.

    The cited page number is the issue's page (from a catalog or the PDF's label), which need not be
    the position in the file; the passage text settles it when several pages could match.
    """
    labelled = [i for i in range(doc.page_count) if doc[i].get_label() == str(page)]
    positional = [page - 1] if 0 < page <= doc.page_count else []
    candidates = list(dict.fromkeys(labelled + positional + list(range(doc.page_count))))
    probes = _probes(passage)
    if probes:
        for i in candidates:
            text = squash(doc[i].get_text())
            if any(p in text for p in probes):
                return i
    if labelled or positional:
        return (labelled + positional)[0]
    raise InputFileError(doc.name or "PDF", f"has no page {page} (it has {doc.page_count})")


def _probes(passage: str, size: int = 10) -> list[str]:
    """A few short stretches of the passage; one surviving PDF text extraction is enough."""
    s = squash(passage)
    if len(s) < size:
        return [s] if s else []
    return [s[i:i + size] for i in range(0, len(s) - size + 1, max(size, len(s) // 5))][:6]
