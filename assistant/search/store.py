"""The on-disk index: chunks, their vectors (FAISS) and their words (BM25), saved incrementally.

In: Chunk lists per source (from ingest/chunk.py) and an Embedder. Out: an Index that retrieve.py
searches. A source is the unit added, replaced and removed: a file, or one record of an article
export ("exports/2023.jsonl#id-17"; records.Chunk.source). On disk (layout: index/README.md):
CURRENT names a generation (generations.py), a small manifest listing immutable segments
(segments.py: chunks, vectors, token ids) and the rows removed from each. `checkpoint()` writes a
segment of the rows added since the last save plus a manifest: its cost is the change's, not the
index's. `save()` (the end of an ingest) also merges segments past MAX_SEGMENTS (adjacent ones,
smallest first) and stores BM25 and, past ann_threshold chunks, the HNSW graph, built once
(searchfiles.py); a reader of a generation without them builds them in memory (flat FAISS and
bm25s from the stored token ids: quick). Row i = chunk i = FAISS id i = BM25 document i.
Saves take the writer lock (writelock.py) and refuse when another process saved since this Index
was loaded; loads retry when a writer removes the generation they are reading.
Not handled: searching (retrieve.py), splitting text into chunks (ingest/chunk.py).
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import bm25s
import faiss
import numpy as np
from bm25s.tokenization import Tokenized

from assistant.errors import IndexError_
from assistant.records import Chunk
from assistant.search import generations
from assistant.search.embed import Embedder
from assistant.search.generations import FORMAT, current_generation
from assistant.search.lexical import BM25, tokenize
from assistant.search.parts import Part, VectorParts
from assistant.search.searchfiles import index_error, load_search, write_search
from assistant.search.segments import read_segment, write_segment
from assistant.search.writelock import WriterLock

HNSW_M = 32
MAX_SEGMENTS = 8  # a final save merges segments past this many (load time grows with the count)


def embed_text(c: Chunk) -> str:
    """What gets embedded and tokenized: the headline, then the passage (the headline helps)."""
    return c.text if not c.title or c.text.startswith(c.title) else f"{c.title}\n{c.text}"


class Index:
    def __init__(self, index_dir: Path, embedder: Embedder | None, ann_threshold: int = 20000):
        self.dir, self.embedder, self.ann_threshold = Path(index_dir), embedder, ann_threshold
        self.model = embedder.name if embedder else ""
        self.dim = embedder.dim if embedder else 0
        self.backend = type(embedder).__name__ if embedder else None
        self.chunks: list[Chunk] = []
        self.vocab: dict[str, int] = {}
        self.words: list[str] = []  # vocab inverted: id -> word
        self.tokens: list[np.ndarray] = []  # per chunk: int32 token ids
        self._rows = VectorParts(self.dim)
        self._sha: dict[str, str] = {}  # source -> sha of its content
        self._sha_count: dict[str, int] = {}
        self._faiss: faiss.Index | None = None
        self._bm25: bm25s.BM25 | None = None
        self.generation: str | None = None  # the generation loaded or last saved
        self.search_saved = False  # whether that generation stores BM25 (and HNSW) for its rows

    # ---- loading -------------------------------------------------------------------------
    @classmethod
    def load(cls, index_dir: Path, embedder: Embedder | None, ann_threshold: int = 20000) -> Index:
        index_dir = Path(index_dir)
        for _ in range(20):
            name = current_generation(index_dir)
            if name is None:
                raise index_error(index_dir, "missing")
            try:
                manifest = generations.read_manifest(index_dir, name)
                if embedder and (manifest["model"], manifest["dim"]) != (embedder.name, embedder.dim):
                    raise index_error(index_dir, "model", manifest, embedder)
                return cls._read(index_dir, embedder, ann_threshold, name, manifest)
            except FileNotFoundError:
                if current_generation(index_dir) == name:  # not a writer's switch: damage
                    raise index_error(index_dir, "damaged", f"{name}: files missing") from None
            except (OSError, ValueError, KeyError) as e:
                raise index_error(index_dir, "damaged", e) from e
        raise index_error(index_dir, "damaged", "it kept changing while being read")

    @classmethod
    def _read(cls, index_dir: Path, embedder: Embedder | None, ann_threshold: int, name: str,
              manifest: dict) -> Index:
        self = cls(index_dir, embedder, ann_threshold)
        self.model, self.dim, self.generation = manifest["model"], manifest["dim"], name
        self.backend = manifest.get("backend")
        self._rows.dim = self.dim
        for entry in manifest["segments"]:
            seg = read_segment(index_dir, entry["name"])
            keep = np.setdiff1d(np.arange(len(seg.chunks)), entry["removed"])
            ids = np.array([self._word_id(w) for w in seg.words], dtype=np.int32)[seg.token_ids]
            bounds = seg.token_offsets
            self._rows.append(Part(entry["name"], seg.vectors, keep, seg.words))
            self._add_rows([seg.chunks[i] for i in keep],
                           [ids[bounds[i]:bounds[i + 1]] for i in keep])
        self._faiss, self._bm25 = load_search(index_dir, manifest, len(self.chunks), len(self.vocab))
        self.search_saved = self._bm25 is not None
        return self

    @classmethod
    def open(cls, index_dir: Path, embedder: Embedder, ann_threshold: int = 20000) -> Index:
        """The saved index, or a new empty one if index_dir holds none."""
        if current_generation(index_dir) is None:
            return cls(index_dir, embedder, ann_threshold)
        return cls.load(index_dir, embedder, ann_threshold)

    # ---- questions about the contents ----------------------------------------------------
    @property
    def vectors(self) -> np.ndarray:
        """All chunk vectors, row i for chunk i, as one array (joined in memory when the index
        has several parts: bulk work only; see vector() and vector_blocks())."""
        return self._rows.joined()

    def vector(self, row: int) -> np.ndarray:
        return self._rows.row(row)

    def vector_blocks(self, rows: int = 8192):
        """The vectors in order, a block at a time, without joining them in memory."""
        return self._rows.blocks(rows)

    def has_sha(self, sha: str) -> bool:
        return self._sha_count.get(sha, 0) > 0

    def file_sha(self, source: str) -> str | None:
        """The content sha of a source (a file, or file#record), None when not indexed."""
        return self._sha.get(source)

    def stats(self) -> dict[str, int]:
        cs = self.chunks
        return {"files": len({c.file for c in cs}),
                "issues": len({c.issue for c in cs if c.issue}),
                "pages": len({(c.file, c.page) for c in cs}),
                "articles": len({(c.source, c.page, c.position) for c in cs}),
                "chunks": len(cs)}

    # ---- changes --------------------------------------------------------------------------
    def upsert_file(self, source: str, chunks: list[Chunk], vectors: np.ndarray | None = None) -> None:
        """Replace every chunk of `source` (a file, or file#record) with `chunks` (embedded here
        unless vectors are given)."""
        if any(c.source != source for c in chunks):
            raise ValueError(f"upsert_file({source!r}): chunks of another source given")
        if self.embedder is None and vectors is None:
            raise IndexError_(f"{self.dir}: opened without an embedding model: cannot add {source}")
        if vectors is None:
            vectors = self.embedder.embed([embed_text(c) for c in chunks], "document") \
                if chunks else np.zeros((0, self.dim), dtype=np.float32)
        self._remove({source})
        if not chunks:
            return
        vectors = np.asarray(vectors, dtype=np.float32).reshape(len(chunks), self.dim)
        self._rows.append(Part(None, vectors, np.arange(len(chunks)), []))
        self._add_rows(chunks, [np.array([self._word_id(w) for w in tokenize(embed_text(c))],
                                         dtype=np.int32) for c in chunks])
        if self._faiss is not None:
            if isinstance(self._faiss, faiss.IndexFlat) and len(self.chunks) > self.ann_threshold:
                self._faiss = None  # grew past the threshold: rebuild as HNSW
            else:
                self._faiss.add(vectors)
        self._bm25 = None

    def remove_source(self, source: str) -> list[str]:
        return self._remove({source})

    def remove_file(self, file: str) -> list[str]:
        """Every source of a file (the file itself, or all records of an export)."""
        return self._remove({c.source for c in self.chunks if c.file == file})

    def remove_issue(self, issue: str) -> list[str]:
        return self._remove({c.source for c in self.chunks if c.issue == issue})

    def _word_id(self, word: str) -> int:
        n = self.vocab.setdefault(word, len(self.vocab))
        if n == len(self.words):
            self.words.append(word)
        return n

    def _add_rows(self, chunks: list[Chunk], tokens: list[np.ndarray]) -> None:
        self.chunks += chunks
        self.tokens += tokens
        for c in chunks:
            if self._sha.get(c.source) != c.file_sha:
                self._sha[c.source] = c.file_sha
                self._sha_count[c.file_sha] = self._sha_count.get(c.file_sha, 0) + 1

    def _remove(self, sources: set[str]) -> list[str]:
        """Drop every row of these sources; returns the sources that were indexed."""
        found = sorted(s for s in sources if s in self._sha)
        if not found:
            return []
        for s in found:
            self._sha_count[self._sha.pop(s)] -= 1
        live = np.fromiter((c.source not in sources for c in self.chunks), bool, len(self.chunks))
        self.chunks = [c for c, ok in zip(self.chunks, live) if ok]
        self.tokens = [t for t, ok in zip(self.tokens, live) if ok]
        self._rows.keep_only(live)
        self._faiss = self._bm25 = None  # rows moved: rebuilt from vectors and tokens on next use
        return found

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
    def checkpoint(self) -> int:
        """Keep the work so far at the cost of the change: a segment of the rows added since the
        last save and a new generation. Returns the bytes written."""
        return self._save(final=False)

    def save(self, rewrite: bool = False) -> int:
        """A final save: the new rows, segments merged past MAX_SEGMENTS (all into one when
        `rewrite`), and BM25 and FAISS built and stored. Returns the bytes written."""
        return self._save(final=True, rewrite=rewrite)

    def _save(self, final: bool, rewrite: bool = False) -> int:
        self.dir.mkdir(parents=True, exist_ok=True)
        with WriterLock(self.dir):
            if current_generation(self.dir) != self.generation:
                raise IndexError_(f"{self.dir}: another process saved the index after this one "
                                  "loaded it: load it again and redo the change")
            written = self._merge(self._rows.unsaved(), len(self._rows.parts))
            while final and len(self._rows.parts) > (1 if rewrite else MAX_SEGMENTS):
                written += self._merge(*self._rows.smallest_pair())
            manifest = self._manifest()
            if final and self.chunks:
                self._reader_vocabulary()
                hnsw = self.faiss_index if len(self.chunks) > self.ann_threshold else None
                manifest["search"], size = write_search(self.dir, self.bm25, hnsw,
                                                        len(self.chunks), len(self.vocab))
                written += size
            self.search_saved = bool(manifest["search"])
            previous = self.generation
            self.generation, size = generations.publish_generation(self.dir, manifest)
            generations.collect_garbage(self.dir, [n for n in (self.generation, previous) if n])
        return written + size

    def _merge(self, first: int, end: int) -> int:
        """Write parts[first:end] as one segment in their place; returns bytes written."""
        if first >= end:
            return 0
        start, stop = self._rows.span(first, end)
        name, size, words = write_segment(self.dir, self.chunks[start:stop],
                                          self._rows.blocks(first=first, end=end), self.dim,
                                          self.tokens[start:stop], self.words)
        vectors = np.load(self.dir / name / "vectors.npy", mmap_mode="r")
        self._rows.replace(first, end, Part(name, vectors, np.arange(stop - start), words))
        return size

    def _reader_vocabulary(self) -> None:
        """Number the words as a reader of the saved segments will (each segment's word list in
        turn), so that the BM25 matrix saved now matches a reader's vocabulary."""
        vocab: dict[str, int] = {}
        for p in self._rows.parts:
            for w in p.words:
                vocab.setdefault(w, len(vocab))
        if list(vocab) == self.words:
            return
        new_id = np.array([vocab.get(w, -1) for w in self.words], dtype=np.int32)
        self.tokens = [new_id[t] for t in self.tokens]
        self.vocab, self.words, self._bm25 = vocab, list(vocab), None

    def _manifest(self) -> dict:
        return {"format": FORMAT, "model": self.model, "dim": self.dim,
                "backend": self.backend,
                "segments": self._rows.manifest(),
                "search": None, "counts": self.stats(),
                "versions": {p: version(p) for p in ("faiss-cpu", "bm25s", "jieba", "numpy")}}
