"""catalog.csv beside the newspaper files -> issue, date and page for each file.

In: a folder; its optional `catalog.csv` with the header `file,issue,date,page` (file: a file
name in that folder; date: YYYY-MM-DD, or empty; page: the printed page number of
the file's first page, or empty). Out: a dict file name -> CatalogEntry; apply() stamps a Page.
A catalog entry wins over everything read from the file itself (PDF header, labels, file name).
Raises InputFileError (naming catalog.csv and the row) for a malformed catalog.
Not handled here: reading the newspaper files themselves.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from assistant.errors import InputFileError
from assistant.records import Page

CATALOG_NAME = "catalog.csv"


@dataclass(frozen=True)
class CatalogEntry:
    issue: str | None
    date: str | None
    page: int | None


@lru_cache(maxsize=64)
def _load(path: Path, mtime: float) -> dict[str, CatalogEntry]:
    entries: dict[str, CatalogEntry] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            if not reader.fieldnames or "file" not in reader.fieldnames:
                raise InputFileError(str(path), "catalog needs a header line: file,issue,date,page")
            for n, row in enumerate(reader, start=2):
                entries[(row.get("file") or "").strip()] = _entry(path, n, row)
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise InputFileError(str(path), f"cannot read the catalog ({e.__class__.__name__})") from e
    return entries


def _entry(path: Path, n: int, row: dict[str, str]) -> CatalogEntry:
    date = (row.get("date") or "").strip() or None
    page = (row.get("page") or "").strip() or None
    if date and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        raise InputFileError(str(path), f"line {n}: date must be YYYY-MM-DD, got {date!r}")
    if page and not page.isdigit():
        raise InputFileError(str(path), f"line {n}: page must be a number, got {page!r}")
    return CatalogEntry((row.get("issue") or "").strip() or None, date, int(page) if page else None)


def lookup(file: Path) -> CatalogEntry | None:
    """The catalog entry for a file, from the catalog.csv in its folder (or None)."""
    catalog = file.parent / CATALOG_NAME
    if not catalog.is_file():
        return None
    entries = _load(catalog.resolve(), catalog.stat().st_mtime)
    return entries.get(file.name)


def apply(entry: CatalogEntry | None, pages: list[Page]) -> None:
    """Catalog values win; page numbers count on from the catalog's page for multi-page files."""
    if entry is None:
        return
    for i, page in enumerate(pages):
        page.issue = entry.issue or page.issue
        page.date = entry.date or page.date
        if entry.page is not None:
            page.page = entry.page + i
