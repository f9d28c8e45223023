"""Generations: the small manifests that say which segments make up the index, and CURRENT.

In: an index folder and a manifest (dict). Out: gen-NNNNNN.json files and the CURRENT pointer.
A manifest lists, in row order, the segments (segments.py) and for each the rows that were removed
since it was written, plus, after a final save, the search folder (idx-<unique>: bm25/ and, past
the HNSW threshold, faiss.index) built for exactly those rows. Publishing writes the manifest
under a unique temporary name, fsyncs it, renames it to the next number, then switches CURRENT
with os.replace (its temporary name is unique too): a reader sees the old generation or the new
one, whole. Garbage collection (run by a writer holding the writer lock) removes only what no kept
generation references, and temporary names whose writer process is dead: never a folder another
live writer is writing.
Not handled: what goes into the segments (segments.py, store.py), the lock (writelock.py).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from assistant.errors import IndexError_
from assistant.search.segments import fsync, tmp_prefix

FORMAT = 2
CURRENT = "CURRENT"


def current_generation(index_dir: Path) -> str | None:
    """The name of the live generation (what CURRENT says), or None when there is no index yet.
    Cheap (one small read): a reader calls it to notice that another process saved."""
    try:
        return (Path(index_dir) / CURRENT).read_text().strip() or None
    except OSError:
        return None


def read_manifest(index_dir: Path, name: str) -> dict:
    """The manifest of generation `name`; IndexError_ for another format (FileNotFoundError when
    it is gone: the caller retries with the new CURRENT)."""
    path = Path(index_dir) / name
    if path.is_dir():  # format 1 kept each generation as a folder with a manifest.json
        path = path / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise IndexError_(f"{index_dir}: index format {manifest.get('format')} is not the "
                          f"format {FORMAT} this version reads: delete the folder and run "
                          "`assistant ingest` again")
    return manifest


def referenced(manifest: dict) -> set[str]:
    """The folders a generation needs."""
    names = {s["name"] for s in manifest["segments"]}
    return names | ({manifest["search"]["name"]} if manifest.get("search") else set())


def _write_new(index_dir: Path, kind: str, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=tmp_prefix(kind), dir=index_dir)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    return Path(tmp)


def publish_generation(index_dir: Path, manifest: dict) -> tuple[str, int]:
    """Write the manifest as the next generation and switch CURRENT to it (the caller holds the
    writer lock, so the number is not taken meanwhile). Returns (name, bytes written)."""
    numbers = [int(p.name[4:-5]) for p in index_dir.glob("gen-*.json") if p.name[4:-5].isdigit()]
    name = f"gen-{max(numbers, default=0) + 1:06d}.json"
    text = json.dumps(manifest, ensure_ascii=False, separators=(",", ":"))
    tmp = _write_new(index_dir, "gen", text)
    os.replace(tmp, index_dir / name)
    fsync(index_dir)
    os.replace(_write_new(index_dir, "current", name + "\n"), index_dir / CURRENT)
    fsync(index_dir)
    return name, len(text.encode()) + len(name) + 1


def _writer_alive(tmp_name: str) -> bool:
    """Whether the process whose pid is in a temporary name (.tmp-kind-PID-xxx) still runs."""
    try:
        pid = int(tmp_name.split("-")[2])
    except (IndexError, ValueError):
        return False
    if pid == os.getpid():
        return True  # ours: maybe in use; our own failures clean up after themselves
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def collect_garbage(index_dir: Path, keep: list[str]) -> list[str]:
    """Remove generations not in `keep`, segment and search folders no kept generation lists,
    and dead writers' temporary files; returns the names removed. Call with the writer lock."""
    needed: set[str] = set()
    for name in keep:
        try:
            needed |= referenced(read_manifest(index_dir, name))
        except (OSError, ValueError, IndexError_, KeyError):
            pass
    removed = []
    for p in index_dir.iterdir():
        n = p.name
        stale = (n.startswith("gen-") and n.endswith(".json") and n not in keep) \
            or (n[:4] in ("seg-", "idx-") and n not in needed) \
            or (n.startswith(".tmp-") and not _writer_alive(n))
        if stale:
            shutil.rmtree(p, ignore_errors=True) if p.is_dir() else p.unlink(missing_ok=True)
            removed.append(n)
    return removed
