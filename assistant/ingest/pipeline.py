"""Files and folders -> pages -> articles -> chunks -> the index (for `assistant ingest`, `inspect`).

In: paths (files, or folders searched recursively for .pdf and .txt), Settings. Out: an
IngestReport (counts, skipped files, warnings); the index under settings.index_dir updated.
A file is keyed by its path relative to the current directory (absolute when outside it) and
identified by the sha256 of its bytes: an unchanged file is skipped, a changed one replaces its
earlier chunks. The index is saved every SAVE_EVERY files, so an interrupted run keeps its work.
Issue metadata: catalog.csv beside the file wins, then the PDF header band / page labels /
metadata, then the file name (issue = file stem, page 1 for a .txt); dates are never guessed.
A file that cannot be read is reported in one line (InputFileError) and skipped; the others go on.
Not handled here: the text repairs and article rules (clean.py, split.py), the index format
(search/store.py), printing the report (cli/).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.errors import InputFileError
from assistant.ingest import catalog
from assistant.ingest.chunk import chunk_article
from assistant.ingest.pdfpages import read_pdf_pages
from assistant.ingest.split import split_page
from assistant.ingest.textpages import read_text_pages
from assistant.records import Article, Page

if TYPE_CHECKING:  # embed and store load torch / faiss: imported only when indexing
    from assistant.search.embed import Embedder
    from assistant.search.store import Index

SUFFIXES = (".pdf", ".txt")
SAVE_EVERY = 5


@dataclass
class IngestReport:
    files: int = 0  # files read and indexed
    unchanged: int = 0  # files skipped because the index already holds them
    pages: int = 0
    articles: int = 0
    chunks: int = 0
    skipped: list[InputFileError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def file_key(path: Path) -> str:
    """Path relative to the current directory when under it, else absolute (POSIX form)."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def find_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[InputFileError]]:
    """Named files (any extension is checked) and the .pdf/.txt files under named folders
    (hidden files and folders skipped); each file once, as an absolute path."""
    files, errors = [], []
    for name in paths:
        p = Path(name)
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES
                            and not any(part.startswith(".") for part in f.relative_to(p).parts))
        elif not p.exists():
            errors.append(InputFileError(str(name), "no such file or folder"))
        elif p.suffix.lower() not in SUFFIXES:
            errors.append(InputFileError(str(name), f"unsupported file type '{p.suffix or '(none)'}': "
                                               "give .pdf or .txt files"))
        else:
            files.append(p)
    return list(dict.fromkeys(f.resolve() for f in files)), errors


def read_pages(path: Path, warnings: list[str] | None = None) -> list[Page]:
    """One file -> its pages, with issue, date and page number set (catalog first)."""
    key = file_key(path)
    try:
        if path.suffix.lower() == ".pdf":
            pages = read_pdf_pages(path, key, warnings)
        elif path.suffix.lower() == ".txt":
            pages = read_text_pages(path, key)
        else:
            raise InputFileError(key, f"unsupported file type '{path.suffix}': give .pdf or .txt")
    except OSError as e:
        raise InputFileError(key, f"cannot read the file ({e.strerror or e})") from e
    catalog.apply(catalog.lookup(path), pages)
    return pages


def read_articles(path: Path, warnings: list[str] | None = None) -> list[Article]:
    """One file -> all its articles; an InputFileError when none can be found."""
    return _articles(read_pages(path, warnings), file_key(path))


def _articles(pages: list[Page], key: str) -> list[Article]:
    articles = [a for page in pages for a in split_page(page)]
    if not articles:
        raise InputFileError(key, "no articles found (no body text on any page)")
    return articles


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as e:
        raise InputFileError(file_key(path), f"cannot read the file ({e.strerror})") from e


def ingest(paths: Sequence[str | Path], settings: Settings, embedder: Embedder | None = None,
           progress: Callable[[int, int, str], None] | None = None) -> IngestReport:
    """Index the files; progress(done, total, file) is called after each file when given."""
    from assistant.search.embed import load_embedder
    from assistant.search.store import Index

    files, errors = find_files(paths)
    report = IngestReport(skipped=errors)
    if not files:
        return report
    index = Index.open(settings.index_dir, embedder or load_embedder(settings),
                       ann_threshold=settings.ann_threshold)
    unsaved = 0
    for n, path in enumerate(files, start=1):
        try:
            unsaved += _ingest_file(index, path, settings, report)
        except InputFileError as e:
            report.skipped.append(e)
        if unsaved >= SAVE_EVERY:
            index.save()
            unsaved = 0
        if progress:
            progress(n, len(files), file_key(path))
    if unsaved:
        index.save()
    return report


def _ingest_file(index: Index, path: Path, settings: Settings, report: IngestReport) -> int:
    """Add or replace one file's chunks; 0 when the index already holds these bytes, else 1."""
    sha = _sha256(path)
    if index.has_sha(sha):  # unchanged (or the same bytes under another name)
        report.unchanged += 1
        return 0
    key = file_key(path)
    pages = read_pages(path, report.warnings)
    articles = _articles(pages, key)
    chunks = [c for a in articles
              for c in chunk_article(a, sha, settings.chunk_size, settings.chunk_overlap)]
    index.upsert_file(key, chunks)
    report.files += 1
    report.pages += len(pages)
    report.articles += len(articles)
    report.chunks += len(chunks)
    return 1
