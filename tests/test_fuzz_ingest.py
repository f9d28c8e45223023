"""Bad files never crash ingestion: hypothesis feeds arbitrary bytes, text in many encodings,
scrambled newspaper text and PDFs damaged by mutating good ones (tests/pdfgen.py) — byte flips,
truncations, deleted / duplicated chunks, a damaged xref table or trailer.

Each file must either give articles or raise InputFileError naming it in one line; never another
exception. Whole folders of such files go through the library (`ingest`) and the CLI
(`main(["ingest", ...])`): no traceback, one "skipped <file>: ..." line per rejected file, and the
good file next to them is still indexed (real FAISS + BM25 + all-MiniLM-L6-v2).
Run with `--hypothesis-show-statistics` to see how many inputs were tried.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from pdfgen import SourceArticle, make_newspaper_pdf
from reportlab import rl_config

from assistant.cli import main
from assistant.config import SAMPLE_DIR, Settings
from assistant.errors import InputFileError
from assistant.ingest.pipeline import file_key, ingest, read_articles
from assistant.records import Article
from assistant.search.embed import load_embedder
from assistant.search.store import Index

P000, P002 = "000_24189f6fbd2ff608.txt", "002_ca3652deaf3b49ce.txt"
PARSE = hsettings(max_examples=150, deadline=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
WHOLE = hsettings(max_examples=10, deadline=None,  # monkeypatch, capsys: same for every example
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                         HealthCheck.function_scoped_fixture])
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-32", "gb18030", "gbk", "big5",
             "shift_jis", "euc-kr", "latin-1", "cp1252", "koi8-r", "iso-2022-jp"]
SAMPLE_LINES = [ln for f in (P000, P002)
                for ln in (SAMPLE_DIR / f).read_text(encoding="utf-8").splitlines()]


# ---- the property every file must have -------------------------------------------------------
def check_file(path: Path) -> list[Article] | InputFileError:
    """Articles, or the InputFileError naming the file in one line; anything else fails the test."""
    warnings: list[str] = []
    try:
        articles = read_articles(path, warnings)
    except InputFileError as e:
        assert e.file == file_key(path) and str(e).startswith(f"{e.file}: ")
        assert "\n" not in str(e) and e.problem.strip()
        return e
    assert articles and all(isinstance(a, Article) and a.text.strip() for a in articles)
    assert all(w.startswith(f"{file_key(path)}: ") and "\n" not in w for w in warnings)
    return articles


def write(folder: Path, name: str, data: bytes) -> Path:
    path = folder / name
    path.write_bytes(data)
    return path


# ---- inputs -----------------------------------------------------------------------------------
text_chars = st.one_of(st.characters(codec="utf-8"),
                       st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF),
                       st.sampled_from("\n\n\f\r\t 　。，、（）“”《》·…"))


@st.composite
def encoded_text(draw) -> bytes:
    text = draw(st.text(text_chars, max_size=600))
    return text.encode(draw(st.sampled_from(ENCODINGS)), errors=draw(
        st.sampled_from(["replace", "ignore"])))


@st.composite
def scrambled_page(draw) -> bytes:
    """Newspaper-like text: sample lines kept, dropped, repeated, cut, or mixed with noise."""
    lines = draw(st.lists(st.one_of(st.sampled_from(SAMPLE_LINES),
                                    st.sampled_from(SAMPLE_LINES).map(lambda s: s[: len(s) // 2]),
                                    st.text(text_chars, max_size=80)), max_size=60))
    text = "\n".join(lines)
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"])), errors="replace")


def _pdf_bases() -> list[bytes]:
    """Two good newspaper PDFs: compressed page streams (reportlab's default) and plain ones."""
    arts = [SourceArticle(a.title, a.text, a.sources) for a in read_articles(SAMPLE_DIR / P002)]
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for compress in (1, 0):
            old, rl_config.pageCompression = rl_config.pageCompression, compress
            try:
                make_newspaper_pdf(Path(tmp) / "base.pdf", arts[:4])
            finally:
                rl_config.pageCompression = old
            out.append((Path(tmp) / "base.pdf").read_bytes())
    return out


PDF_BASES = _pdf_bases()


@st.composite
def damaged_pdf(draw) -> bytes:
    data = bytearray(PDF_BASES[draw(st.integers(0, len(PDF_BASES) - 1))])
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["flip", "truncate", "delete", "duplicate", "insert", "xref",
                                   "startxref", "trailer"]))
        n = len(data)
        if n < 2:
            break
        at = draw(st.integers(0, n - 1))
        size = draw(st.integers(1, max(1, min(n - at, 2000))))
        if op == "flip":
            for k in range(draw(st.integers(1, 16))):
                p = (at + k * draw(st.integers(1, 997))) % n
                data[p] = draw(st.integers(0, 255))
        elif op == "truncate":
            del data[at:]
        elif op == "delete":
            del data[at:at + size]
        elif op == "duplicate":
            data[draw(st.integers(0, n)):0] = data[at:at + size]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=200))
        else:  # damage the cross-reference table, the startxref offset or the trailer
            word = {"xref": b"\nxref", "startxref": b"startxref", "trailer": b"trailer"}[op]
            p = bytes(data).rfind(word)
            if p >= 0:
                p += len(word) + 1
                repl = draw(st.one_of(st.binary(min_size=1, max_size=40),
                                      st.from_regex(rb"\A[0-9 \nfn]{1,40}\Z")))
                data[p:p + len(repl)] = repl
    return bytes(data)


# ---- one file at a time: the readers ---------------------------------------------------------
@PARSE
@given(data=st.binary(max_size=5000))
def test_arbitrary_bytes_as_txt(data):
    with tempfile.TemporaryDirectory() as tmp:
        check_file(write(Path(tmp), "page.txt", data))


@PARSE
@given(data=encoded_text())
def test_text_in_any_encoding(data):
    with tempfile.TemporaryDirectory() as tmp:
        check_file(write(Path(tmp), "page.txt", data))


@PARSE
@given(data=scrambled_page())
def test_scrambled_newspaper_text(data):
    with tempfile.TemporaryDirectory() as tmp:
        check_file(write(Path(tmp), "page.txt", data))


@PARSE
@given(data=damaged_pdf())
def test_damaged_pdf(data):
    with tempfile.TemporaryDirectory() as tmp:
        check_file(write(Path(tmp), "issue.pdf", data))


@PARSE
@given(data=st.binary(max_size=3000))
@example(data=b"#\t\x01\x00")  # found by this test: MuPDF opened it as Markdown, then crashed
@example(data=b"<html><body>hello</body></html>")
@example(data=b'<svg xmlns="http://www.w3.org/2000/svg"></svg>')
def test_arbitrary_bytes_as_pdf(data):
    with tempfile.TemporaryDirectory() as tmp:
        check_file(write(Path(tmp), "issue.pdf", data))


def test_the_pdf_mutations_are_not_all_rejected_or_all_accepted(tmp_path):
    """Guard against a fuzzer that only makes unreadable files (or only harmless ones)."""
    from hypothesis import find
    for base in PDF_BASES:
        assert isinstance(check_file(write(tmp_path, "good.pdf", base)), list)
    find(damaged_pdf(), lambda d: isinstance(check_file(write(tmp_path, "x.pdf", d)), list)
         and d not in PDF_BASES, settings=hsettings(max_examples=300, deadline=None))
    find(damaged_pdf(), lambda d: isinstance(check_file(write(tmp_path, "x.pdf", d)),
                                             InputFileError), settings=hsettings(deadline=None))


# ---- whole folders: the library and the CLI ------------------------------------------------
@pytest.fixture(scope="module")
def mini_settings(minilm_path, tmp_path_factory):
    """MiniLM settings and an index template that already holds the two sample pages."""
    s = Settings(index_dir=tmp_path_factory.mktemp("template") / "index",
                 embed_model=str(minilm_path), torch_threads=1)
    embedder = load_embedder(s)
    report = ingest([SAMPLE_DIR], s, embedder)
    assert report.files == 2 and not report.skipped
    return s, embedder


bad_file = st.one_of(st.tuples(st.just(".txt"), st.binary(max_size=3000)),
                     st.tuples(st.just(".txt"), encoded_text()),
                     st.tuples(st.just(".txt"), scrambled_page()),
                     st.tuples(st.just(".pdf"), damaged_pdf()))


def _folder(tmp: Path, files: list[tuple[str, bytes]]) -> tuple[Path, Path]:
    """tmp/in: the fuzzed files and one good new page (sorted between them): (folder, page)."""
    folder = tmp / "in"
    folder.mkdir()
    for n, (suffix, data) in enumerate(files):
        write(folder, f"{'a' if n % 2 else 'z'}{n}{suffix}", data)
    good = folder / "m_good.txt"
    text = (SAMPLE_DIR / P000).read_text(encoding="utf-8")
    good.write_text(text + f"\n新的一期{tmp.name}。\n", encoding="utf-8")  # new bytes, new sha
    return folder, good


def _check_index(index_dir: Path, good: Path, folder: Path, skipped: set[str]) -> None:
    index = Index.load(index_dir, None)
    files = {c.file for c in index.chunks}
    assert file_key(good) in files  # the good page was indexed despite its neighbours
    assert {file_key(SAMPLE_DIR / P000), file_key(SAMPLE_DIR / P002)} <= files
    for f in folder.iterdir():  # each fuzzed file is indexed, or skipped, or a copy of one indexed
        if file_key(f) not in files:
            sha = hashlib.sha256(f.read_bytes()).hexdigest()
            assert file_key(f) in skipped or index.has_sha(sha)
    ids = [c.id for c in index.chunks]
    assert len(ids) == len(set(ids))


@WHOLE
@given(files=st.lists(bad_file, min_size=1, max_size=5))
def test_ingest_folder_of_bad_files_library(files, mini_settings):
    base, embedder = mini_settings
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        s = base.model_copy(update={"index_dir": tmp / "index"})
        shutil.copytree(base.index_dir, s.index_dir)
        folder, good = _folder(tmp, files)
        report = ingest([folder], s, embedder)
        skipped = {e.file for e in report.skipped}
        assert all(str(e).startswith(f"{e.file}: ") and "\n" not in str(e) for e in report.skipped)
        assert file_key(good) not in skipped
        _check_index(s.index_dir, good, folder, skipped)


@WHOLE
@given(files=st.lists(bad_file, min_size=1, max_size=5))
def test_ingest_folder_of_bad_files_cli(files, mini_settings, monkeypatch, capsys):
    base, _ = mini_settings
    monkeypatch.setenv("ASSISTANT_EMBED_MODEL", base.embed_model)
    monkeypatch.setenv("ASSISTANT_TORCH_THREADS", "1")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        shutil.copytree(base.index_dir, tmp / "index")
        folder, good = _folder(tmp, files)
        capsys.readouterr()
        status = main(["ingest", str(folder), "--index", str(tmp / "index")])
        err = capsys.readouterr().err
        assert "Traceback" not in err and "error:" not in err
        skipped = set(re.findall(r"^skipped (.+?): ", err, flags=re.M))
        assert status == (1 if skipped else 0)
        assert skipped <= {file_key(f) for f in folder.iterdir()} - {file_key(good)}
        _check_index(tmp / "index", good, folder, skipped)
