"""Files and folders -> pages -> articles -> chunks -> the index (for `assistant ingest`, `inspect`).

In: paths (files, or folders searched recursively for .pdf, .txt and article exports .jsonl /
.ndjson / .csv other than catalog.csv), Settings. Out: an IngestReport (counts, skipped files and
records, warnings); the index under settings.index_dir updated. The whole ingest holds the index's
writer lock (search/writelock.py): a second ingest waits, says so once, then loads the latest
generation and goes on. A file is keyed by its path relative to the current directory (absolute
when outside it). A page file is one unit, identified by the sha256 of its bytes; each record of
an export is one unit ("<key>#<id>", identified by its record sha, ingest/exports.py). An
unchanged unit is skipped, a changed one replaces its earlier chunks, and the records gone from an
export leave the index (kept, with a warning, when the file had bad records: a bad record and a
removed one cannot be told apart). Every settings.checkpoint_units changed units or
checkpoint_seconds the index is checkpointed (cost: the change, not the index), so an
interrupted run keeps its work; a final save at the end builds the search structures.
Issue metadata: catalog.csv beside the file wins, then the PDF header band / page labels /
metadata, then the file name (issue = file stem, page 1 for a .txt); dates are never guessed.
A file that cannot be read is reported in one line (InputFileError) and skipped; the others go on.
Not handled here: the text repairs and article rules (clean.py, split.py), the index format
(search/store.py), printing the report (cli/).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import Settings
from assistant.errors import InputFileError
from assistant.ingest import catalog
from assistant.ingest.chunk import chunk_article
from assistant.ingest.exports import ExportRecord, RecordError, is_export, read_export
from assistant.ingest.pdfpages import read_pdf_pages
from assistant.ingest.split import split_page
from assistant.ingest.textpages import read_text_pages
from assistant.records import Article, Page

if TYPE_CHECKING:  # embed and store load torch / faiss: imported only when indexing
    from assistant.search.embed import Embedder
    from assistant.search.store import Index

PAGE_SUFFIXES = (".pdf", ".txt")


@dataclass
class IngestReport:
    files: int = 0  # files read and indexed
    unchanged: int = 0  # files skipped because the index already holds them
    pages: int = 0
    articles: int = 0
    chunks: int = 0
    records: int = 0  # export records added or replaced (each also counts as an article)
    removed: int = 0  # export records gone from their file, taken out of the index
    skipped: list[InputFileError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def file_key(path: Path) -> str:
    """Path relative to the current directory when under it, else absolute (POSIX form)."""
    resolved = path.resolve()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def _wanted(path: Path) -> bool:
    return path.suffix.lower() in PAGE_SUFFIXES or is_export(path)


def find_files(paths: Sequence[str | Path]) -> tuple[list[Path], list[InputFileError]]:
    """Named files (any extension is checked) and the page files and exports under named folders
    (hidden files and folders skipped); each file once, as an absolute path."""
    files, errors = [], []
    for name in paths:
        p = Path(name)
        if p.is_dir():
            files += sorted(f for f in p.rglob("*") if f.is_file() and _wanted(f)
                            and not any(part.startswith(".") for part in f.relative_to(p).parts))
        elif not p.exists():
            errors.append(InputFileError(str(name), "no such file or folder"))
        elif not _wanted(p):
            errors.append(InputFileError(str(name), f"unsupported file type '{p.suffix or '(none)'}': "
                                         "give .pdf or .txt pages, or .jsonl/.csv article exports"))
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
    from assistant.search.writelock import WriterLock

    files, errors = find_files(paths)
    report = IngestReport(skipped=errors)
    if not files:
        return report
    embedder = embedder or load_embedder(settings)
    with WriterLock(settings.index_dir):  # a second writer waits here, then reads what we saved
        index = Index.open(settings.index_dir, embedder, ann_threshold=settings.ann_threshold)
        saves = Checkpoints(index, settings)
        for n, path in enumerate(files, start=1):
            try:
                if is_export(path):
                    _ingest_export(index, path, settings, report, saves)
                else:
                    saves.changed(_ingest_file(index, path, settings, report))
            except InputFileError as e:
                report.skipped.append(e)
            if progress:
                progress(n, len(files), file_key(path))
        if saves.dirty or (index.chunks and not index.search_saved):
            index.save()
    return report


class Checkpoints:
    """Checkpoints the index every `checkpoint_units` changed units or `checkpoint_seconds`."""

    def __init__(self, index: Index, settings: Settings) -> None:
        self.index, self.settings = index, settings
        self.units, self.dirty, self.last = 0, False, time.monotonic()

    def changed(self, units: int) -> None:
        self.units += units
        self.dirty = self.dirty or units > 0
        if self.units >= self.settings.checkpoint_units or (
                self.units and time.monotonic() - self.last >= self.settings.checkpoint_seconds):
            self.index.checkpoint()
            self.units, self.last = 0, time.monotonic()


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


def _ingest_export(index: Index, path: Path, settings: Settings, report: IngestReport,
                   saves: Checkpoints) -> None:
    """Each record of an export is a unit: unchanged ones skipped, others (re)indexed; records
    gone from the file removed (unless some records were bad: then kept, with a warning)."""
    key = file_key(path)
    records, errors = read_export(path, key)
    report.skipped += errors
    if errors and not isinstance(errors[0], RecordError):
        return  # the file could not be read at all: leave its records in the index as they are
    changed = 0
    for record in records:
        units = _ingest_record(index, record, settings, report)
        changed += units
        saves.changed(units)
    gone = {c.source for c in index.chunks if c.file == key} - {r.source for r in records}
    if gone and errors:
        report.warnings.append(f"{key}: {len(gone)} records no longer in the file were kept in "
                               f"the index because {len(errors)} records could not be read")
    elif gone:
        for source in sorted(gone):
            index.remove_source(source)
        report.removed += len(gone)
        saves.changed(len(gone))
    report.files += bool(changed or gone)


def _ingest_record(index: Index, record: ExportRecord, settings: Settings,
                   report: IngestReport) -> int:
    if index.file_sha(record.source) == record.sha:
        report.unchanged += 1
        return 0
    chunks = chunk_article(record.article, record.sha, settings.chunk_size, settings.chunk_overlap)
    index.upsert_file(record.source, chunks)
    report.records += 1
    report.articles += 1
    report.chunks += len(chunks)
    return 1
