"""Files and folders -> pages -> articles -> chunks -> the index; `assistant ingest` and `inspect`.

In: paths (files, or folders searched recursively for .pdf and .txt), Settings. Out: an
IngestReport (counts, skipped files, warnings); the index under settings.index_dir updated.
A file is keyed by its path relative to the current directory (absolute when outside it) and
identified by the sha256 of its bytes: an unchanged file is skipped, a changed one replaces its
earlier chunks. The index is saved every SAVE_EVERY files, so an interrupted run keeps its work.
Issue metadata: catalog.csv beside the file wins, then the PDF header band / page labels /
metadata, then the file name (issue = file stem, page 1 for a .txt); dates are never guessed.
A file that cannot be read is reported in one line (InputFileError) and skipped; the others go on.
Not handled here: the text repairs and article rules (clean.py, split.py), the index format
(store.py).
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from assistant.ingest import catalog
from assistant.ingest.chunk import chunk_article
from assistant.config import Settings
from assistant.errors import InputFileError
from assistant.ingest.pdfpages import read_pdf_pages
from assistant.records import Article, Page
from assistant.ingest.split import split_page
from assistant.ingest.textpages import read_text_pages

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


def ingest_command(paths: list[str], settings: Settings) -> int:
    """`assistant ingest`: a progress bar, one line per skipped file, a summary table; exit 1
    when any file was skipped."""
    console = Console(stderr=True)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("ingesting", total=None)
        report = ingest(paths, settings, progress=lambda done, total, f: bar.update(
            task, completed=done, total=total, description=f"ingesting {Path(f).name}"))
    for e in report.skipped:
        print(f"skipped {e}", file=sys.stderr)
    for w in report.warnings:
        print(f"warning: {w}", file=sys.stderr)
    table = Table(title=f"index: {settings.index_dir}")
    for col in ("files", "unchanged", "pages", "articles", "chunks", "skipped", "warnings"):
        table.add_column(col, justify="right")
    table.add_row(*(str(v) for v in (report.files, report.unchanged, report.pages, report.articles,
                                      report.chunks, len(report.skipped), len(report.warnings))))
    Console().print(table)
    return 1 if report.skipped else 0


def inspect_command(paths: list[str], settings: Settings, as_json: bool) -> int:
    """The articles found in the files, nothing indexed (settings: part of the CLI contract)."""
    files, errors = find_files(paths)
    found, warnings = [], []
    for path in files:
        try:
            found += read_articles(path, warnings)
        except InputFileError as e:
            errors.append(e)
    for e in errors:
        print(f"skipped {e}", file=sys.stderr)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)
    if as_json:
        keep = ("title", "sources", "section", "issue", "date", "page", "position", "file", "text",
                "bboxes")
        rows = [{k: v for k, v in asdict(a).items() if k in keep} for a in found]
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for a in found:
            parts = (a.file, a.issue, a.date, f"p.{a.page}", a.section)
            meta = " · ".join(str(v) for v in parts if v)
            print(f"{a.title}\n  {meta}\n  sources: {'、'.join(a.sources) or '-'}; "
                  f"{len(a.text)} characters: {a.text[:60]}…\n")
    return 1 if errors else 0
