"""Ingestion end to end with the real index (FAISS + BM25 + a real small sentence-transformers
model, all-MiniLM-L6-v2): chunking, re-ingest, catalog metadata, bad input through the CLI."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from pdfgen import (
    SourceArticle,
    make_encrypted_pdf,
    make_image_only_pdf,
    make_newspaper_pdf,
)

from assistant.cli import main
from assistant.config import SAMPLE_DIR, Settings
from assistant.errors import InputFileError
from assistant.ingest.chunk import chunk_article
from assistant.ingest.pipeline import file_key, ingest, read_articles, read_pages
from assistant.search.embed import load_embedder
from assistant.search.store import Index
from assistant.text import sentences

P000, P002 = "000_24189f6fbd2ff608.txt", "002_ca3652deaf3b49ce.txt"


@pytest.fixture
def mini(tmp_path, minilm_path, monkeypatch) -> Settings:
    monkeypatch.setenv("ASSISTANT_EMBED_MODEL", str(minilm_path))
    monkeypatch.chdir(tmp_path)
    return Settings(index_dir=tmp_path / "index", embed_model=str(minilm_path))


@pytest.fixture(scope="module")
def embedder(minilm_path):
    return load_embedder(Settings(embed_model=str(minilm_path)))


# ---- chunking ---------------------------------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize("size, overlap", [(300, 60), (120, 40), (80, 0)])
def test_chunks_hold_whole_sentences_within_size(size, overlap):
    for article in read_articles(SAMPLE_DIR / P000):
        chunks = chunk_article(article, "f" * 64, size, overlap)
        assert [c.index for c in chunks] == list(range(len(chunks)))
        assert all(len(c.text) <= size for c in chunks)
        covered = "".join(c.text for c in chunks)
        for s, e in sentences(article.text):  # every sentence is in some chunk, whole when it fits
            sent = article.text[s:e]
            assert sent in covered if len(sent) <= size else sent[:size] in covered
        for a, b in zip(chunks, chunks[1:]):  # overlap: b starts with whole sentences of a, or none
            shared = next((k for k in range(min(len(a.text), len(b.text)), 0, -1)
                           if a.text.endswith(b.text[:k])), 0)
            assert shared <= overlap
        for c in chunks:
            assert not c.text.startswith(article.title)  # the title is a field, not a prefix
            assert (c.title, c.file, c.page, c.position, c.sources, c.section) == (
                article.title, article.file, article.page, article.position, article.sources,
                article.section)


@pytest.mark.unit
def test_overlap_repeats_the_last_sentences():
    article = read_articles(SAMPLE_DIR / P002)[1]
    chunks = chunk_article(article, "f" * 64, 150, 100)
    assert len(chunks) > 2
    assert any(b.text[:10] in a.text for a, b in zip(chunks, chunks[1:]))


@pytest.mark.unit
def test_chunk_ids_are_stable_and_unique():
    first = [c.id for a in read_articles(SAMPLE_DIR / P000) for c in chunk_article(a, "a" * 64)]
    again = [c.id for a in read_articles(SAMPLE_DIR / P000) for c in chunk_article(a, "a" * 64)]
    other = [c.id for a in read_articles(SAMPLE_DIR / P000) for c in chunk_article(a, "b" * 64)]
    assert first == again and len(set(first)) == len(first) and not set(first) & set(other)


@pytest.mark.unit
def test_bad_chunk_settings():
    article = read_articles(SAMPLE_DIR / P000)[0]
    with pytest.raises(ValueError):
        chunk_article(article, "a" * 64, size=100, overlap=100)


# ---- metadata ---------------------------------------------------------------------------------
def test_catalog_wins_over_file_name_and_pdf_header(tmp_path, sample_dir):
    pdf = sample_dir / "issue.pdf"
    make_newspaper_pdf(pdf, [SourceArticle(a.title, a.text, a.sources)
                             for a in read_articles(sample_dir / P002)])
    with (sample_dir / "catalog.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerows([["file", "issue", "date", "page"], [P000, "第1200期", "2024-08-20", "2"],
                     ["issue.pdf", "第1300期", "2026-06-05", "5"]])
    (a0,) = {(a.issue, a.date, a.page) for a in read_articles(sample_dir / P000)}
    assert a0 == ("第1200期", "2024-08-20", 2)
    assert [(p.issue, p.date, p.page) for p in read_pages(pdf)][:2] == [
        ("第1300期", "2026-06-05", 5), ("第1300期", "2026-06-05", 6)]
    # not in the catalog: the file name, and no date
    assert {(a.issue, a.date, a.page) for a in read_articles(sample_dir / P002)} == {
        (Path(P002).stem, None, 1)}


def test_a_malformed_catalog_is_named(sample_dir):
    (sample_dir / "catalog.csv").write_text("file,issue,date,page\nx.txt,1,20 Aug 2024,1\n")
    with pytest.raises(InputFileError, match="catalog.csv: line 2: date must be YYYY-MM-DD"):
        read_pages(sample_dir / P000)


def test_gb18030_file_gives_the_same_articles(sample_dir):
    gb = sample_dir / "gb.txt"
    gb.write_bytes((sample_dir / P000).read_text(encoding="utf-8").encode("gb18030"))
    def strip(arts):
        return [(a.title, a.text, a.sources, a.section) for a in arts]
    assert strip(read_articles(gb)) == strip(read_articles(sample_dir / P000))


def test_file_key_is_relative_under_the_current_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "a").mkdir()
    assert file_key(Path("a/x.txt")) == "a/x.txt"
    assert file_key(tmp_path / "a" / "x.txt") == "a/x.txt"
    assert file_key(SAMPLE_DIR / P000) == (SAMPLE_DIR / P000).resolve().as_posix()


# ---- the index: re-ingest ---------------------------------------------------------------------
def test_reingest_unchanged_adds_nothing_and_changed_replaces(mini, sample_dir, embedder):
    first = ingest([str(sample_dir)], mini, embedder)
    assert (first.files, first.articles, first.unchanged, first.skipped) == (2, 11, 0, [])
    index = Index.load(mini.index_dir, embedder)
    assert index.stats()["articles"] == 11 and index.stats()["chunks"] == first.chunks
    ids = [c.id for c in index.chunks]

    again = ingest([str(sample_dir)], mini, embedder)
    assert (again.files, again.unchanged, again.chunks) == (0, 2, 0)
    assert [c.id for c in Index.load(mini.index_dir, embedder).chunks] == ids

    page = sample_dir / P002  # drop the last two articles from one page
    text = page.read_text(encoding="utf-8")
    page.write_text(text[:text.index("援塞医疗队送出别样")].rsplit("“中国医生带来", 1)[0],
                    encoding="utf-8")
    changed = ingest([str(sample_dir)], mini, embedder)
    assert (changed.files, changed.unchanged, changed.articles) == (1, 1, 4)
    index = Index.load(mini.index_dir, embedder)
    key = file_key(page)
    assert {c.title for c in index.chunks if c.file == key} == {
        "闽港深化医疗卫生合作交流", "福建开展全省卫健系统网络数据安全评估调研",
        "4部委联合开展2026年世界献血者日宣传活动", "省立医院荣获全国五一劳动奖状"}
    assert len({c.file_sha for c in index.chunks if c.file == key}) == 1
    assert index.stats()["articles"] == 9


# ---- bad input through the CLI ----------------------------------------------------------------
def test_bad_files_are_skipped_with_one_line_each(mini, sample_dir, capsys):
    bad = sample_dir / "bad"
    bad.mkdir()
    (bad / "empty.txt").write_bytes(b"")
    (bad / "binary.txt").write_bytes(bytes(range(256)) * 4)
    (bad / "garbage.txt").write_bytes(bytes([0xFF, 0xFE, 0x80]) * 50)
    make_image_only_pdf(bad / "scan.pdf")
    make_encrypted_pdf(bad / "locked.pdf", [SourceArticle("标题", "正文。", [])])
    (bad / "cut.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<")
    notes = sample_dir / "notes.docx"
    notes.write_bytes(b"PK\x03\x04")
    (sample_dir / "README.md").write_text("not a page")  # inside a folder: ignored, not an error

    status = main(["ingest", str(sample_dir), str(notes), "--index", str(mini.index_dir)])
    err = capsys.readouterr().err
    assert status == 1
    lines = [ln for ln in err.splitlines() if ln.startswith("skipped ")]
    expected = {"empty.txt": "empty", "binary.txt": "binary", "garbage.txt": "not UTF-8 or GB18030",
                "scan.pdf": "OCR", "locked.pdf": "password", "cut.pdf": "PDF",
                "notes.docx": "unsupported file type"}
    for name, problem in expected.items():
        (line,) = [ln for ln in lines if f"{name}:" in ln]
        assert problem in line
    assert len(lines) == len(expected) and "Traceback" not in err and "README" not in err
    index = Index.load(mini.index_dir, None)
    assert index.stats()["articles"] == 11  # the good pages were still ingested


def test_all_good_exits_zero_and_missing_path_is_named(mini, sample_dir, capsys):
    assert main(["ingest", str(sample_dir), "--index", str(mini.index_dir)]) == 0
    assert main(["ingest", str(sample_dir / "nope.txt"), "--index", str(mini.index_dir)]) == 1
    assert "nope.txt: no such file or folder" in capsys.readouterr().err


def test_inspect_json_lists_the_articles_without_indexing(mini, sample_dir, capsys):
    assert main(["inspect", str(sample_dir), "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert len(found) == 11 and not mini.index_dir.exists()
    assert {"title", "sources", "section", "issue", "date", "page", "file", "text"} <= set(found[0])
    assert found[0]["title"] == "福建省立医院与新疆昌吉州开展麻醉学科协作"
    assert main(["inspect", str(sample_dir / P002)]) == 0
    assert "闽昌同心 交融致远" in capsys.readouterr().out


def test_interrupted_ingest_keeps_saved_files(mini, sample_dir, embedder, monkeypatch):
    """Checkpoints every few files: a crash after one keeps them, a re-run completes."""
    import assistant.ingest.pipeline as ing
    for n in range(3):
        shutil.copy(sample_dir / P000, sample_dir / f"copy{n}.txt")
        (sample_dir / f"copy{n}.txt").write_text(
            (sample_dir / P000).read_text(encoding="utf-8") + f"\n第{n}份。\n", encoding="utf-8")
    mini.checkpoint_units = 2
    real = ing.split_page
    calls = {"n": 0}

    def crash_on_fourth(page):
        calls["n"] += 1
        if calls["n"] == 4:
            raise KeyboardInterrupt
        return real(page)

    monkeypatch.setattr(ing, "split_page", crash_on_fourth)
    with pytest.raises(KeyboardInterrupt):
        ingest([str(sample_dir)], mini, embedder)
    assert Index.load(mini.index_dir, embedder).stats()["files"] == 2
    monkeypatch.setattr(ing, "split_page", real)
    report = ingest([str(sample_dir)], mini, embedder)
    assert (report.unchanged, report.files) == (2, 3)


# ---- article exports: each record a unit ------------------------------------------------------
def _export(path: Path, records: list[dict | str]) -> None:
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)
                              for r in records) + "\n", encoding="utf-8")


RECORDS = [
    {"id": "r1", "title": "省立医院开展义诊", "date": "2023-07-03", "issue": "第10期",
     "text": "省立医院专家团队走进社区开展义诊活动。现场为居民测量血压血糖。"},
    {"id": "r2", "title": "夏季防溺水提示", "date": "2023-07-04", "issue": "第11期",
     "text": "暑期来临，卫健部门提醒家长看护好孩子，远离危险水域。"},
    {"id": "r3", "date": "2023-07-05", "issue": "第11期",
     "text": "全省启动基层医疗卫生服务能力提升行动。行动为期三年。"},
]


def test_export_records_are_units_skipped_replaced_and_removed(mini, tmp_path, embedder):
    exports = tmp_path / "exports"
    exports.mkdir()
    _export(exports / "a.jsonl", [*RECORDS, "{not json", {"id": "r5", "title": "无正文"}])
    (exports / "catalog.csv").write_text("file,issue\n", encoding="utf-8")  # not an export
    first = ingest([str(exports)], mini, embedder)
    assert (first.files, first.records, first.articles) == (1, 3, 3)
    bad = sorted(str(e) for e in first.skipped)  # one line each, naming file and line
    assert len(bad) == 2 and bad[0].startswith("exports/a.jsonl line 4: ")
    assert bad[1] == "exports/a.jsonl line 5: no text (give `text` or `body`)"
    index = Index.load(mini.index_dir, embedder)
    assert {c.source for c in index.chunks} == {"exports/a.jsonl#r1", "exports/a.jsonl#r2",
                                                "exports/a.jsonl#r3"}
    assert index.search_saved

    changed = [dict(RECORDS[0], text=RECORDS[0]["text"] + "共服务三百余人。"), RECORDS[2]]
    _export(exports / "a.jsonl", changed)  # r1 edited, r2 gone, r3 as it was
    again = ingest([str(exports)], mini, embedder)
    assert (again.records, again.unchanged, again.removed, again.skipped) == (1, 1, 1, [])
    index = Index.load(mini.index_dir, embedder)
    assert {c.source for c in index.chunks} == {"exports/a.jsonl#r1", "exports/a.jsonl#r3"}
    assert any("三百余人" in c.text for c in index.chunks)
    assert len({c.id for c in index.chunks}) == len(index.chunks)

    _export(exports / "a.jsonl", [RECORDS[2], {"id": "r1", "page": "x", "text": "坏"}])
    kept = ingest([str(exports)], mini, embedder)  # r1 unreadable now: not taken as removed
    assert kept.removed == 0 and len(kept.skipped) == 1 and "kept" in kept.warnings[0]
    assert "exports/a.jsonl#r1" in {c.source for c in Index.load(mini.index_dir, None).chunks}
