"""One immutable segment of the index: the chunks one save added, with their vectors and BM25 tokens.

In: chunks, blocks of their float32 vectors, their BM25 token ids and the words the ids stand for.
Out: a folder seg-<unique>/ in the index folder holding
    chunks.jsonl                   one Chunk per line (segment row i)
    vectors.npy                    float32 (rows, dim), L2-normalised; read back memory-mapped
    words.json                     the segment's own vocabulary: local token id -> word
    token_ids.npy, token_offsets.npy   each row's tokens as local ids (flat, with offsets)
It is written under a unique temporary name (.tmp-seg-<pid>-XXXX, from tempfile), fsynced, then
renamed, and never changed afterwards: removals are recorded by the generation that lists it.
Also the small file helpers the other index modules share (fsync, unique temporary names, sizes).
Not handled: which segments are live (generations.py), merging vocabularies (store.py).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.records import Chunk


def fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def tmp_prefix(kind: str) -> str:
    """Temporary names carry the writer's pid, so a clean-up can tell a dead writer's debris."""
    return f".tmp-{kind}-{os.getpid()}-"


def new_folder(index_dir: Path, kind: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=tmp_prefix(kind), dir=index_dir))


def publish(tmp: Path, kind: str) -> tuple[str, int]:
    """fsync every file of a finished temporary folder and rename it to kind-<its unique part>;
    returns (the new name, bytes written)."""
    size = 0
    for f in tmp.rglob("*"):
        if f.is_file():
            fsync(f)
            size += f.stat().st_size
    name = f"{kind}-{tmp.name.rsplit('-', 1)[-1]}"
    tmp.rename(tmp.parent / name)
    return name, size


def write_segment(index_dir: Path, chunks: list[Chunk], blocks: Iterable[np.ndarray], dim: int,
                  tokens: list[np.ndarray], words: list[str]) -> tuple[str, int, list[str]]:
    """A new segment of these rows (tokens are ids into `words`); returns (name, bytes written,
    the segment's own word list)."""
    tmp = new_folder(index_dir, "seg")
    try:
        with (tmp / "chunks.jsonl").open("w", encoding="utf-8") as f:
            for c in chunks:
                f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        with (tmp / "vectors.npy").open("wb") as f:  # streamed: never all in memory at once
            header = {"descr": "<f4", "fortran_order": False, "shape": (len(chunks), dim)}
            np.lib.format.write_array_header_1_0(f, header)
            rows = 0
            for block in blocks:
                f.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
                rows += len(block)
        if rows != len(chunks):
            raise ValueError(f"segment: {rows} vectors for {len(chunks)} chunks")
        flat = np.concatenate(tokens) if tokens else np.zeros(0, dtype=np.int32)
        used, local = np.unique(flat, return_inverse=True)  # global ids -> 0..n-1
        own = [words[i] for i in used]
        (tmp / "words.json").write_text(json.dumps(own, ensure_ascii=False), encoding="utf-8")
        np.save(tmp / "token_ids.npy", local.astype(np.int32))
        lengths = np.fromiter((len(t) for t in tokens), dtype=np.int64, count=len(tokens))
        np.save(tmp / "token_offsets.npy", np.concatenate([[0], np.cumsum(lengths)]))
        return (*publish(tmp, "seg"), own)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@dataclass
class Segment:
    chunks: list[Chunk]
    vectors: np.ndarray  # memory-mapped
    words: list[str]
    token_ids: np.ndarray
    token_offsets: np.ndarray


def read_segment(index_dir: Path, name: str) -> Segment:
    """FileNotFoundError when it is gone (another writer removed an old generation meanwhile)."""
    folder = Path(index_dir) / name
    with (folder / "chunks.jsonl").open(encoding="utf-8") as f:
        chunks = [Chunk.from_dict(json.loads(line)) for line in f]
    seg = Segment(chunks, np.load(folder / "vectors.npy", mmap_mode="r"),
                  json.loads((folder / "words.json").read_text(encoding="utf-8")),
                  np.load(folder / "token_ids.npy"), np.load(folder / "token_offsets.npy"))
    if not (len(chunks) == len(seg.vectors) == len(seg.token_offsets) - 1):
        raise ValueError(f"{name}: row counts differ")
    return seg


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file())
