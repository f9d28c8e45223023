"""PDF pages: generated multi-page, four-column newspaper PDFs (tests/pdfgen.py, reportlab with
STSong-Light) read back through PyMuPDF: titles, sources, page numbers, header date/edition/issue,
bounding boxes, sentence integrity and speed; and PDFs that cannot be read."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pymupdf
import pytest
from pdfgen import (
    Layout,
    SourceArticle,
    make_corrupt_pdf,
    make_encrypted_pdf,
    make_image_only_pdf,
    make_newspaper_pdf,
)

from assistant.config import SAMPLE_DIR
from assistant.errors import InputFileError
from assistant.ingest.chunk import chunk_article
from assistant.ingest.pdfpages import read_pdf_pages
from assistant.ingest.pipeline import read_articles, read_pages
from assistant.ingest.split import split_page
from assistant.text import sentences


def _norm(text: str) -> str:
    """reportlab's STSong-Light drops '·' and draws '……' as '⋯⋯' (read back as '……')."""
    return re.sub(r"\s", "", text.replace("·", "").replace("⋯", "…"))


@pytest.fixture(scope="module")
def seed_articles() -> list[SourceArticle]:
    found = [a for f in sorted(SAMPLE_DIR.glob("*.txt")) for a in read_articles(f)]
    assert len(found) == 11
    return [SourceArticle(a.title, a.text, a.sources) for a in found]


@pytest.fixture(scope="module")
def issue_pdf(tmp_path_factory, seed_articles) -> tuple[Path, list[list[str]]]:
    path = tmp_path_factory.mktemp("pdf") / "issue.pdf"
    placed = make_newspaper_pdf(path, seed_articles)
    return path, placed


def test_titles_sources_and_pages(issue_pdf, seed_articles):
    path, placed = issue_pdf
    assert len(placed) >= 2
    articles = read_articles(path)
    by_page: dict[int, list[str]] = {}
    for a in articles:
        by_page.setdefault(a.page, []).append(a.title)
    # page labels start at the edition number (第2版): pages 2, 3, ...
    assert by_page == {2 + n: titles for n, titles in enumerate(placed)}
    expected_sources = {_norm(s.title): s.sources for s in seed_articles}
    assert {_norm(a.title): a.sources for a in articles} == expected_sources
    # the boxed label 对口支援 on the first page is furniture that names the section
    assert {a.section for a in articles if a.page == 2} == {"对口支援"}
    assert all("对口支援" not in a.text for a in articles)


def test_header_band_gives_date_edition_and_issue_not_the_body(issue_pdf):
    path, placed = issue_pdf
    pages = read_pages(path)
    assert [p.page for p in pages] == [2 + n for n in range(len(placed))]
    assert [p.edition for p in pages] == [f"第{2 + n}版" for n in range(len(placed))]
    assert {p.date for p in pages} == {"2024-08-20"}  # the body mentions 8月18日, 2026年6月14日 ...
    assert {p.issue for p in pages} == {"第1234期"}
    assert all("第1234期" not in ln.text and "— " not in ln.text for p in pages for ln in p.lines)
    assert pages[0].width > 500 and pages[0].height > 800


def test_without_header_or_labels_no_date_is_invented(tmp_path, seed_articles):
    path = tmp_path / "fj-2024-0820.pdf"
    placed = make_newspaper_pdf(path, seed_articles[:5], header=False)
    pages = read_pages(path)
    assert [p.page for p in pages] == list(range(1, len(placed) + 1))  # position in the file
    assert {(p.date, p.edition, p.issue) for p in pages} == {(None, None, "fj-2024-0820")}
    assert [a.title for a in read_articles(path)] == [a.title for a in seed_articles[:5]]


def test_every_paragraph_keeps_its_page_and_bbox(issue_pdf):
    path, _ = issue_pdf
    doc = pymupdf.open(path)
    for a in read_articles(path):
        assert a.paragraphs and len(a.bboxes) == len(a.paragraphs)
        page = doc[a.page - 2]
        for text, (x0, y0, x1, y1) in a.paragraphs:
            assert 0 <= x0 < x1 <= page.rect.width and 0 <= y0 < y1 <= page.rect.height
            # the box really holds (the start of) the paragraph's text
            clip = page.get_text("text", clip=pymupdf.Rect(x0, y0, x1, y1).include_point((x1, y1)))
            assert _norm(text)[:6] in _norm(clip)
        for c in chunk_article(a, "0" * 64, size=200, overlap=40):
            assert c.bboxes and set(c.bboxes) <= set(a.bboxes) and c.page == a.page
            assert c.date == "2024-08-20" and c.issue == "第1234期"


def _integrity(path: Path, seed_articles: list[SourceArticle]) -> tuple[int, int]:
    """Source sentences found whole, in the right article, in the text read back from the PDF."""
    read = {_norm(a.title): a.text for a in read_articles(path)}
    total = intact = 0
    for src in seed_articles:
        out = _norm(read[_norm(src.title)].replace("\n", "|"))  # a paragraph break inside breaks it
        for start, end in sentences(src.text):
            total += 1
            intact += _norm(src.text[start:end]) in out
    return intact, total


def test_sentence_integrity_at_least_95_percent(issue_pdf, seed_articles):
    intact, total = _integrity(issue_pdf[0], seed_articles)
    print(f"\nsentence integrity (4 columns): {intact}/{total} = {intact / total:.1%}")
    assert total > 80 and intact / total >= 0.95


@pytest.mark.parametrize("layout", [Layout(3, 0), Layout(5, 0), Layout(4, 6.0), Layout(3, 4.0)],
                         ids=str)
def test_sentence_integrity_in_other_layouts(tmp_path, seed_articles, layout):
    path = tmp_path / "layout.pdf"
    make_newspaper_pdf(path, seed_articles, layout=layout)
    assert [(a.title, a.sources) for a in read_articles(path)] == [
        (s.title, s.sources) for s in seed_articles]
    intact, total = _integrity(path, seed_articles)
    print(f"\nsentence integrity {layout}: {intact}/{total} = {intact / total:.1%}")
    assert intact / total >= 0.95


def test_sort_true_would_interleave_columns(issue_pdf, seed_articles):
    """The control: PyMuPDF's sort=True reading order breaks most sentences of the same page."""
    path, _ = issue_pdf
    with pymupdf.open(path) as doc:
        flat = _norm("".join(p.get_text("text", sort=True) for p in doc))
    src = seed_articles[2].text
    spans = sentences(src)
    assert sum(_norm(src[s:e]) in flat for s, e in spans) / len(spans) < 0.5


def test_speed_ms_per_page(tmp_path, seed_articles):
    path = tmp_path / "long.pdf"
    placed = make_newspaper_pdf(path, seed_articles * 5)
    start = time.perf_counter()
    pages = read_pdf_pages(path, "long.pdf")
    read_ms = (time.perf_counter() - start) * 1000 / len(pages)
    articles = [a for p in pages for a in split_page(p)]
    total_ms = (time.perf_counter() - start) * 1000 / len(pages)
    print(f"\nPDF: {len(pages)} pages, {len(articles)} articles; read {read_ms:.1f} ms/page, "
          f"read + split {total_ms:.1f} ms/page")
    assert len(pages) == len(placed) and len(articles) == 55
    assert total_ms < 40  # ~5-10 ms/page measured on the shared 2-core machine


def test_image_only_pdf_needs_ocr(tmp_path):
    path = tmp_path / "scan.pdf"
    make_image_only_pdf(path)
    with pytest.raises(InputFileError, match="scan.pdf: no text layer.*OCR"):
        read_pdf_pages(path, "scan.pdf")


def test_image_only_page_inside_a_text_pdf_is_skipped_with_a_warning(tmp_path, issue_pdf):
    scan, mixed = tmp_path / "scan.pdf", tmp_path / "mixed.pdf"
    make_image_only_pdf(scan, pages=1)
    with pymupdf.open(issue_pdf[0]) as doc, pymupdf.open(scan) as extra:
        doc.insert_pdf(extra)
        doc.save(mixed)
    warnings: list[str] = []
    pages = read_pdf_pages(mixed, "mixed.pdf", warnings)
    assert len(pages) == len(issue_pdf[1])
    assert len(warnings) == 1 and "mixed.pdf: page" in warnings[0] and "OCR" in warnings[0]


def test_encrypted_pdf(tmp_path, seed_articles):
    path = tmp_path / "locked.pdf"
    make_encrypted_pdf(path, seed_articles)
    with pytest.raises(InputFileError, match="locked.pdf: .*password"):
        read_pdf_pages(path, "locked.pdf")


def test_truncated_pdf(tmp_path, issue_pdf):
    path = tmp_path / "cut.pdf"
    make_corrupt_pdf(path, issue_pdf[0])
    with pytest.raises(InputFileError, match="cut.pdf: .*(damaged|truncated)"):
        read_pdf_pages(path, "cut.pdf")


def test_not_a_pdf_at_all(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_text("这不是PDF文件", encoding="utf-8")
    with pytest.raises(InputFileError, match="fake.pdf: not a readable PDF"):
        read_pdf_pages(path, "fake.pdf")


def test_a_pdf_whose_page_tree_names_missing_pages_is_a_one_line_error(tmp_path: Path) -> None:
    """A damaged file that opens, then fails on its page tree (found by the fuzzer: a page count
    naming pages that are not there), is named as damaged; no raw MuPDF error escapes."""
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "hello")
    path = tmp_path / "claims-ten-pages.pdf"
    path.write_bytes(doc.tobytes().replace(b"/Count 1", b"/Count 10"))
    with pytest.raises(InputFileError, match=r"claims-ten-pages.pdf.*damaged PDF"):
        read_pdf_pages(path, str(path))
