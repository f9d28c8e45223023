"""A .txt newspaper file -> records.Page objects of raw lines (blank lines kept: they mark blocks).

In: the file's bytes. Out: one Page per form-feed-separated page (pdftotext writes "\f" between
pages; a plain file is one page), numbered from 1, issue = file stem, date unknown (catalog.py
may override them). UTF-8 (with or without BOM) is tried first, then GB18030 (covers GBK/GB2312).
Raises InputFileError for an empty file, binary content, or text that is neither encoding
(including bytes that GB18030 would only turn into rare-character mojibake).
Not handled here: repairing the text (clean.py) or finding articles (split.py).
"""

from __future__ import annotations

import re
from pathlib import Path

from assistant.errors import InputFileError
from assistant.records import Line, Page


def decode(data: bytes, file: str) -> str:
    """Bytes -> text, UTF-8 or GB18030; a clear error for anything else."""
    if not data.strip():
        raise InputFileError(file, "the file is empty")
    if b"\x00" in data[:4096]:
        raise InputFileError(file, "binary content, not a text page")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = None
        if text is None or _mojibake(text):
            raise InputFileError(file, "not UTF-8 or GB18030 text (unknown encoding or binary)") \
                from None
    controls = sum(1 for c in text if ord(c) < 32 and c not in "\r\n\t\f")
    if controls > max(2, len(text) // 100):
        raise InputFileError(file, "binary content, not a text page")
    return text


def _mojibake(text: str) -> bool:
    """Real GBK newspaper text is almost all GB2312 characters; other bytes decode to rare ones."""
    hanzi = re.findall(r"[^\x00-\x7f]", text)
    rare = sum(1 for c in hanzi if not _in_gb2312(c))
    return bool(hanzi) and rare > 0.2 * len(hanzi)


def _in_gb2312(c: str) -> bool:
    try:
        c.encode("gb2312")
        return True
    except UnicodeEncodeError:
        return False


def read_text_pages(path: Path, file: str) -> list[Page]:
    text = decode(path.read_bytes(), file).replace("\r\n", "\n").replace("\r", "\n")
    pages = [Page(file=file, page=n, lines=[Line(t) for t in part.split("\n")], issue=path.stem)
             for n, part in enumerate(text.split("\f"), start=1)]
    pages = [p for p in pages if any(ln.text.strip() for ln in p.lines)]
    if not pages:
        raise InputFileError(file, "the file holds no text")
    return pages
