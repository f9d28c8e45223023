"""Files uploaded from the chat page: checked, safely renamed and kept beside the index.

In: the temporary file the browser uploaded, the name the user gave it, and Settings.
Out: the path of the stored copy under `uploads_dir(settings)` (a sibling of the index folder),
ready for `ingest()`. A file that is too big, of another type than its name says, or neither a
PDF nor text raises InputFileError naming it.
Not handled: ingesting or reloading the retriever (the app does), scanning PDFs for content.
"""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

from assistant.config import Settings
from assistant.errors import InputFileError
from assistant.text import nfkc

SUFFIXES = (".pdf", ".txt")
MAX_NAME = 120


def uploads_dir(settings: Settings) -> Path:
    return settings.index_dir.resolve().parent / "uploads"


def safe_name(name: str) -> str:
    """The last path part of `name`, reduced to letters, digits (any script), '.', '-' and '_'."""
    base = nfkc(name).replace("\\", "/").rsplit("/", 1)[-1]
    base = re.sub(r"[^\w.\-]+", "_", base).strip("._") or "upload"
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    suffix = suffix.lower()
    return f"{stem[:MAX_NAME]}.{suffix}" if suffix else stem[:MAX_NAME]


def check_upload(path: Path, name: str, max_mb: int) -> None:
    """Raise InputFileError unless the file is within the size limit and is what its name says."""
    suffix = Path(safe_name(name)).suffix
    if suffix not in SUFFIXES:
        raise InputFileError(name, "only .pdf and .txt files can be added")
    try:
        size = path.stat().st_size
        if size > max_mb * 1024 * 1024:
            raise InputFileError(name, f"is {size / 1024 / 1024:.1f} MB; the limit is {max_mb} MB")
        with path.open("rb") as f:
            head = f.read() if suffix == ".txt" else f.read(1024)
    except OSError as e:
        raise InputFileError(name, f"cannot read the upload ({e.strerror})") from e
    if size == 0:
        raise InputFileError(name, "is empty")
    if suffix == ".pdf" and not head.startswith(b"%PDF-"):
        raise InputFileError(name, "is not a PDF (it does not start with %PDF-)")
    if suffix == ".txt" and not _is_text(head):
        raise InputFileError(name, "is not text (neither UTF-8 nor GB18030)")


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            pass
    return False


def store_upload(path: Path, name: str, settings: Settings) -> Path:
    """Check the upload and copy it into the uploads folder (same name, other bytes: name-2.pdf)."""
    check_upload(path, name, settings.upload_max_mb)
    folder = uploads_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / safe_name(name)
    digest = _sha(path)
    n = 1
    while target.exists() and _sha(target) != digest:
        n += 1
        target = folder / f"{Path(safe_name(name)).stem}-{n}{target.suffix}"
    if not target.exists():
        tmp = target.with_name(target.name + ".part")
        shutil.copyfile(path, tmp)
        tmp.replace(target)
    return target


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
