"""Article exports of a content system (JSONL, CSV) -> one ExportRecord per article.

In: a .jsonl (or .ndjson) or .csv file and its key (the name the index knows it by). Out:
read_export() -> (records, errors). Each record carries a records.Article (file = key,
position = its 0-based order among the file's good records), its index unit
`source` = "<key>#<article_id>", and `sha`, the sha256 of its normalised fields (json.dumps,
sort_keys): an unchanged record is recognised whatever the key order or spacing of the file, and a
changed one replaced. The fields and their rules are in exportfields.py; titles of records without
one are derived by titles.derive_title (title_derived=True).

- JSONL: one object a line, UTF-8 with or without BOM, blank lines skipped.
- CSV: a header row naming the fields (any case, BOM ok), UTF-8 or GB18030 (textpages.decode),
  quoted fields may span lines; a record is numbered by its row as a spreadsheet shows it
  (the header is row 1).
- A record without an id gets "sha-" + the first 12 hex digits of the sha256 of its text: editing
  that text makes it a new record (the old one leaves the index because it is gone from the file).
- A bad record is one RecordError naming the file and its line/row ("a.jsonl line 17: no text
  (give `text` or `body`)"); the others are still returned. A later record repeating an id is an
  error naming both lines. A file that cannot be read at all (empty, binary, not UTF-8/GB18030,
  no JSON object on any line, a CSV without a text column) is one InputFileError.
Not handled here: indexing, skipping unchanged records, removing vanished ones (pipeline.py).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.errors import InputFileError
from assistant.ingest.catalog import CATALOG_NAME
from assistant.ingest.exportfields import TEXT_FIELDS, RecordProblem, normalise
from assistant.ingest.textpages import decode
from assistant.ingest.titles import derive_title
from assistant.records import Article

JSONL_SUFFIXES = (".jsonl", ".ndjson")
EXPORT_SUFFIXES = (*JSONL_SUFFIXES, ".csv")

Row = tuple[int, "dict[str, Any] | RecordProblem"]


@dataclass
class ExportRecord:
    source: str  # "<key>#<article_id>": what the index adds, replaces and removes as one unit
    sha: str  # sha256 of the normalised fields: unchanged record -> same sha
    line: int  # JSONL line / CSV row (header = 1) the record starts on
    article: Article


class RecordError(InputFileError):
    """One bad record of an export: prints as "<file> line <n>: <problem>" (CSV: "row <n>")."""

    def __init__(self, file: str, line: int, problem: str, unit: str = "line") -> None:
        super().__init__(file, problem)
        self.line = line
        self.args = (f"{file} {unit} {line}: {problem}",)


def is_export(path: Path) -> bool:
    """A file read_export() reads: .jsonl/.ndjson/.csv, except a folder's catalog.csv."""
    return path.suffix.lower() in EXPORT_SUFFIXES and path.name.lower() != CATALOG_NAME


def read_export(path: Path, key: str) -> tuple[list[ExportRecord], list[InputFileError]]:
    """All good records of the file and one error per bad record (or one for the whole file)."""
    jsonl = path.suffix.lower() in JSONL_SUFFIXES
    try:
        data = path.read_bytes()
        rows = list(_jsonl_rows(data, key) if jsonl else _csv_rows(data, key))
    except OSError as e:
        return [], [InputFileError(key, f"cannot read the file ({e.strerror or type(e).__name__})")]
    except InputFileError as e:
        return [], [e]
    return _records(rows, key, "line" if jsonl else "row")


def record_sha(fields: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(fields, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


def _records(rows: list[Row], key: str, unit: str) -> tuple[list[ExportRecord], list[InputFileError]]:
    records: list[ExportRecord] = []
    errors: list[InputFileError] = []
    seen: dict[str, int] = {}
    for line, raw in rows:
        try:
            if isinstance(raw, RecordProblem):
                raise raw
            fields = normalise(raw)
        except RecordProblem as e:
            errors.append(RecordError(key, line, str(e), unit))
            continue
        aid = fields["article_id"] or "sha-" + hashlib.sha256(fields["text"].encode()).hexdigest()[:12]
        if aid in seen:
            errors.append(RecordError(key, line, f"duplicate id {aid!r}, already at {unit} "
                                                 f"{seen[aid]}: this record is skipped", unit))
            continue
        seen[aid] = line
        fields.update(article_id=aid, title_derived=not fields["title"])
        fields["title"] = fields["title"] or derive_title(fields["text"])
        records.append(ExportRecord(f"{key}#{aid}", record_sha(fields), line,
                                    Article(file=key, position=len(records), **fields)))
    return records, errors


def _jsonl_rows(data: bytes, key: str) -> Iterator[Row]:
    if not data.strip():
        raise InputFileError(key, "the file is empty")
    if b"\x00" in data[:4096]:
        raise InputFileError(key, "binary content, not JSON Lines")
    if data.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"[") and _is_array(data):
        raise InputFileError(key, "a JSON array, not JSON Lines: give one object a line")
    rows, objects = [], 0
    for n, raw_line in enumerate(data.removeprefix(b"\xef\xbb\xbf").split(b"\n"), start=1):
        if not raw_line.strip():
            continue
        try:
            value = json.loads(raw_line.decode("utf-8"))
        except UnicodeDecodeError:
            rows.append((n, RecordProblem("not UTF-8 text")))
            continue
        except json.JSONDecodeError as e:
            rows.append((n, RecordProblem(f"not valid JSON ({e.msg}, column {e.colno})")))
            continue
        if isinstance(value, dict):
            objects += 1
            rows.append((n, value))
        else:
            rows.append((n, RecordProblem(f"not a JSON object (a {type(value).__name__})")))
    if not objects and len(rows) > 1:
        raise InputFileError(key, "not JSON Lines: no line holds a JSON object")
    return iter(rows)


def _is_array(data: bytes) -> bool:
    try:
        return isinstance(json.loads(data.decode("utf-8-sig")), list)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return False


def _csv_rows(data: bytes, key: str) -> Iterator[Row]:
    reader = csv.reader(io.StringIO(decode(data, key), newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    if not set(header) & set(TEXT_FIELDS):
        raise InputFileError(key, "no header row naming a `text` (or `body`, `content`) column")
    row = 1
    try:
        for cells in reader:
            row += 1
            if not any(c.strip() for c in cells):
                continue
            if len(cells) > len(header):
                yield row, RecordProblem(f"{len(cells)} fields but the header names {len(header)} "
                                         "(a stray comma or quote?)")
            else:
                yield row, dict(zip(header, cells, strict=False))  # short rows: fields absent
    except csv.Error as e:  # the reader cannot go on (a NUL byte, an overlong field)
        yield row + 1, RecordProblem(f"unreadable CSV from here on ({e})")
