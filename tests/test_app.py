"""Unit tests of the chat UI's parts that need no browser: uploads, source views, login, filters.

The browser test is tests/test_app_e2e.py; the app-versus-CLI comparison is there too.
"""

from __future__ import annotations

import io
from pathlib import Path

import pymupdf
import pytest
from PIL import Image

from assistant.config import Settings
from assistant.errors import AssistantError, InputFileError, QuestionError
from assistant.records import Answer, Chunk, Citation
from assistant.ui.sourceview import (
    article_html,
    article_text,
    find_page,
    page_png,
    resolve_file,
)
from assistant.ui.uploads import check_upload, safe_name, store_upload, uploads_dir

PASSAGE = "世界献血者日的口号是感谢献血者"


def _pdf(path: Path, texts: list[str], first_label: int | None = None) -> Path:
    doc = pymupdf.open()
    for text in texts:
        doc.new_page(width=300, height=400).insert_text((40, 100), text, fontname="china-s",
                                                         fontsize=12)
    if first_label:
        doc.set_page_labels([{"startpage": 0, "prefix": "", "style": "D",
                              "firstpagenum": first_label}])
    doc.save(path)
    return path


# ---- uploads ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name, expected", [
    ("../../etc/passwd.txt", "passwd.txt"),
    ("..\\..\\windows\\evil.PDF", "evil.pdf"),
    (".hidden.pdf", "hidden.pdf"),
    ("福建卫生报 2024-08-20 第2版.pdf", "福建卫生报_2024-08-20_第2版.pdf"),
    ("a;rm -rf $HOME.txt", "a_rm_-rf_HOME.txt"),
    ("", "upload"),
])
@pytest.mark.unit
def test_safe_name_keeps_only_a_plain_file_name(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_check_upload_sniffs_content_not_just_the_name(tmp_path: Path) -> None:
    fake = tmp_path / "issue.pdf"
    fake.write_text("not a pdf", encoding="utf-8")
    with pytest.raises(InputFileError, match="issue.pdf: is not a PDF"):
        check_upload(fake, "issue.pdf", 50)
    binary = tmp_path / "page.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(InputFileError, match="page.txt: is not text"):
        check_upload(binary, "page.txt", 50)
    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    with pytest.raises(InputFileError, match="only .pdf and .txt"):
        check_upload(exe, "tool.exe", 50)
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("世界献血者日".encode("gb18030"))
    check_upload(gbk, "gbk.txt", 50)  # GB18030 text is text
    check_upload(_pdf(tmp_path / "ok.pdf", [PASSAGE]), "ok.pdf", 50)


def test_check_upload_enforces_the_size_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    big.write_bytes(b"a" * (1024 * 1024 + 1))
    with pytest.raises(InputFileError, match=r"big.txt: is 1.0 MB; the limit is 1 MB"):
        check_upload(big, "big.txt", 1)
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    with pytest.raises(InputFileError, match="is empty"):
        check_upload(empty, "empty.txt", 1)


def test_store_upload_stays_inside_the_uploads_folder(tmp_path: Path) -> None:
    settings = Settings(index_dir=tmp_path / "index")
    src = tmp_path / "in.txt"
    src.write_text("第一版\n内容", encoding="utf-8")
    stored = store_upload(src, "../../../outside.txt", settings)
    assert stored == tmp_path / "uploads" / "outside.txt" == uploads_dir(settings) / "outside.txt"
    assert store_upload(src, "outside.txt", settings) == stored  # same bytes: same file
    other = tmp_path / "other.txt"
    other.write_text("另一版", encoding="utf-8")
    renamed = store_upload(other, "outside.txt", settings)  # same name, new bytes: kept apart
    assert renamed.name == "outside-2.txt" and stored.read_text(encoding="utf-8") == "第一版\n内容"
    assert not list(uploads_dir(settings).glob("*.part"))


# ---- source views ----------------------------------------------------------------------------

def _chunk(index: int, text: str) -> Chunk:
    return Chunk(id=f"c{index}", text=text, title="献血", file="p.txt", file_sha="x", page=2,
                 position=0, index=index)


@pytest.mark.unit
def test_article_text_rejoins_overlapping_chunks_in_order() -> None:
    chunks = [_chunk(1, "第二句。第三句。"), _chunk(0, "第一句。第二句。")]
    assert article_text(chunks, 60) == "第一句。第二句。第三句。"
    assert article_text([_chunk(0, "甲。"), _chunk(1, "乙。")], 60) == "甲。\n乙。"
    repeated = [_chunk(0, "同一句。同一句。"), _chunk(1, "同一句。同一句。")]  # overlap: 4 chars
    assert article_text(repeated, 4) == "同一句。同一句。同一句。"


@pytest.mark.unit
def test_article_html_marks_the_cited_passage_and_escapes_markup() -> None:
    citation = Citation("第7期", "2026-06-14", 2, "献血 <b>日</b>", "p.txt", [], "第二句。", "c1")
    out = article_html(citation, 3, "第一句。第二句。\n第三句。")
    assert "<h3>[3] 第7期 · 2026-06-14 · p.2 · 献血 &lt;b&gt;日&lt;/b&gt;</h3>" in out
    assert "第一句。<mark class='cited'>第二句。</mark><br>第三句。" in out
    lost = article_html(citation, 1, "")  # article unknown: the passage alone, still marked
    assert "<mark>第二句。</mark>" in lost


def test_find_page_prefers_the_page_holding_the_passage(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "issue.pdf", ["第一版 要闻", PASSAGE, "第三版 专题"], first_label=1)
    with pymupdf.open(path) as doc:
        assert find_page(doc, 2, PASSAGE) == 1
        assert find_page(doc, 3, PASSAGE) == 1  # catalog page number wrong: the text decides
        assert find_page(doc, 3, "") == 2
    single = _pdf(tmp_path / "page5.pdf", [PASSAGE], first_label=5)  # one page printed as 第5版
    with pymupdf.open(single) as doc:
        assert find_page(doc, 5, "") == 0
        with pytest.raises(InputFileError, match="has no page 9"):
            find_page(doc, 9, "")


def test_page_png_highlights_the_boxes(tmp_path: Path) -> None:
    path = _pdf(tmp_path / "issue.pdf", ["第一版", PASSAGE])
    with pymupdf.open(path) as doc:
        box = tuple(doc[1].get_text("blocks")[0][:4])
    png = Image.open(io.BytesIO(page_png(path, 2, [box], PASSAGE))).convert("RGB")
    assert png.size == (450, 600)  # 1.5 x 300 x 400 points
    x0, y0, x1, y1 = (round(v * 1.5) for v in box)
    inside = png.getpixel((x1 - 2, y0 + 2))  # a corner of the box, away from the glyphs
    outside = png.getpixel((x1 + 30, y1 + 30))
    assert outside == (255, 255, 255)
    assert inside[0] > 200 and inside[2] < 200, inside  # amber tint over white paper
    with pytest.raises(InputFileError, match="cannot open the PDF"):
        page_png(tmp_path / "missing.pdf", 1, [])


def test_resolve_file_tries_the_path_then_beside_the_index(tmp_path: Path) -> None:
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "a.pdf").write_bytes(b"%PDF-")
    assert resolve_file("uploads/a.pdf", tmp_path / "index") == tmp_path / "uploads" / "a.pdf"
    assert resolve_file("nowhere.pdf", tmp_path / "index") is None


# ---- the app's own helpers -------------------------------------------------------------------

def test_login_is_required_off_loopback() -> None:
    from assistant.ui.app import is_loopback, login

    assert is_loopback("127.0.0.1") and is_loopback("localhost") and is_loopback("::1")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.org")
    assert login(Settings(host="127.0.0.1")) is None
    with pytest.raises(AssistantError, match="0.0.0.0 .*set ASSISTANT_AUTH_USER and ASSIST"):
        login(Settings(host="0.0.0.0"))
    with pytest.raises(AssistantError, match="needs a login"):
        login(Settings(host="0.0.0.0", auth_user="editor"))  # a user without a password is no login
    assert login(Settings(host="0.0.0.0", auth_user="editor", auth_password="s3cret")) == (
        "editor", "s3cret")


def test_serve_refuses_a_public_host_without_login_before_loading_models(
        tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from assistant.cli import main

    # no index exists under tmp_path: reaching the models or the index would fail differently
    assert main(["serve", "--host", "0.0.0.0", "--index", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: serving on 0.0.0.0 (not loopback) needs a login")


@pytest.mark.unit
def test_parse_filters() -> None:
    from assistant.ui.engine import parse_filters

    assert parse_filters("", " ", "") is None
    f = parse_filters("2024-08-01", "", "第1234期")
    assert (f.date_from, f.date_to, f.issue) == ("2024-08-01", None, "第1234期")
    with pytest.raises(QuestionError, match="date to '2024/08/20': use the form YYYY-MM-DD"):
        parse_filters("", "2024/08/20", "")


@pytest.mark.unit
def test_format_answer_lists_numbered_citations_after_the_text() -> None:
    from assistant.ui.app import format_answer

    cites = [Citation("第7期", "2026-06-14", 2, "献血日", "a.pdf", []),
             Citation(None, None, 1, "麻醉协作", "b.txt", [])]
    out = format_answer(Answer("q", "口号是…[1][2]", cites, fallback=True, notice="LLM down"))
    assert out == ("*LLM down*\n\n口号是…[1][2]\n\n**Sources**  \n"
                   "[1] 第7期 · 2026-06-14 · p.2 · 献血日  \n[2] p.1 · 麻醉协作")
    assert format_answer(Answer("q", "The archive does not say.", [], refused=True)) == \
        "The archive does not say."


@pytest.mark.unit
def test_format_answer_shows_the_quoted_sentence_under_the_answer() -> None:
    from assistant.ui.app import format_answer

    cite = Citation("第7期", "2026-06-14", 2, "献血日", "a.pdf", [])
    out = format_answer(Answer("q", "In Wuhan. [1]", [cite], quote="“主会场活动设在湖北武汉。” [1]"))
    assert out == ("In Wuhan. [1]\n\n> “主会场活动设在湖北武汉。” [1]\n\n**Sources**  \n"
                   "[1] 第7期 · 2026-06-14 · p.2 · 献血日")


def test_engine_starts_without_an_index_and_serves_uploads(tmp_path: Path, minilm_path: Path,
                                                           sample_dir: Path,
                                                           closed_port_url: str) -> None:
    """First run: no index yet -> status and chat say how to add issues; an upload fixes it."""
    from assistant.errors import IndexError_
    from assistant.ui.engine import Engine

    settings = Settings(index_dir=tmp_path / "index", embed_model=str(minilm_path),
                        llm_base_url=closed_port_url, min_dense_score=0, chunk_size=80)
    engine = Engine(settings)
    assert "no index here yet" in engine.status() and "upload PDF/TXT files" in engine.status()
    with pytest.raises(IndexError_, match="assistant ingest data/sample"):
        engine.answer("世界献血者日的口号是什么？")
    page = sample_dir / "002_ca3652deaf3b49ce.txt"
    calls = []
    lines = engine.add_files([page, page.with_name("missing.txt")],
                             lambda *a, **k: calls.append((a, k)))
    assert lines[0].startswith("002_ca3652deaf3b49ce.txt: added (1 pages, 6 articles")
    assert lines[1] == "Not added: missing.txt: cannot read the upload (No such file or directory)"
    assert [k["desc"] for _, k in calls] == ["indexing 002_ca3652deaf3b49ce.txt",
                                             "indexing missing.txt"]
    assert "1 issues, 1 pages, 6 articles" in engine.status()
    assert engine.issues() == ["002_ca3652deaf3b49ce"]
    answer = engine.answer("世界献血者日的口号是什么？")  # endpoint down: the extractive answer
    assert answer.fallback and "一滴热血" in answer.text
    cited = answer.citations[0]
    article = engine.article(cited)  # the whole article, rebuilt from its overlapping chunks
    assert cited.text in article and len(article) > len(cited.text) and "活动口号" in article
    assert engine.add_files([page], lambda *a, **k: None) == [
        "002_ca3652deaf3b49ce.txt: already in the archive"]


@pytest.mark.unit
def test_format_answer_shows_what_the_checks_found() -> None:
    from assistant.ui.app import format_answer

    answer = Answer("q", "The archive does not say.", [], refused=True,
                    flags=["withheld the model's answer “<b>30</b> people”: 30 is in none of its sources"])
    assert format_answer(answer) == ("The archive does not say.\n\n<small>Checks: withheld the "
                                     "model's answer “&lt;b&gt;30&lt;/b&gt; people”: 30 is in none "
                                     "of its sources</small>")
    answer.checks = "standard"  # the profile that answered leads the line
    assert format_answer(answer).endswith("<small>Checks: standard profile; withheld the model's "
                                          "answer “&lt;b&gt;30&lt;/b&gt; people”: 30 is in none of "
                                          "its sources</small>")
    assert format_answer(Answer("q", "Fuzhou [1]", [], checks="strict")) == (
        "Fuzhou [1]\n\n<small>Checks: strict profile</small>")
