"""Question -> ranked passages: dense (FAISS) and BM25 (jieba + glossary) fused by reciprocal rank.

In: an Index (store.py), an Embedder, Settings (candidates, rrf_k, top_k, reranker), optional
Filters. Out: list[Hit], best first. Scores on each Hit:
- score: the fused RRF score, sum over retrievers of 1 / (rrf_k + rank); only an ordering
  (at most ~2/(rrf_k+1)); with a reranker, the reranker's score instead.
- dense_score: cosine similarity of question and passage (-1..1; EmbeddingGemma gives ~0.3-0.6
  for the right passage, lower for unrelated ones); filled for every hit unless mode="bm25".
- bm25_score: the BM25 score of the passage for the (glossary-expanded) question words; 0.0 means
  no question word occurs in it; filled for every hit unless mode="dense".
Not handled: answering, refusing (answer/pipeline.py decides, with these scores), query rewriting with
chat history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import faiss
import numpy as np

from assistant.config import Settings
from assistant.errors import ModelError
from assistant.records import Chunk, Hit
from assistant.search.embed import Embedder, load_embedder
from assistant.search.lexical import expand, tokenize
from assistant.search.store import Index, embed_text

Mode = Literal["hybrid", "dense", "bm25"]


@dataclass
class Filters:
    date_from: str | None = None  # ISO dates, inclusive; chunks without a date are left out
    date_to: str | None = None
    issue: str | None = None
    section: str | None = None

    def allows(self, c: Chunk) -> bool:
        return ((not self.date_from or (c.date or "") >= self.date_from)
                and (not self.date_to or bool(c.date) and c.date <= self.date_to)
                and (not self.issue or c.issue == self.issue)
                and (not self.section or c.section == self.section))

    def rows(self, chunks: list[Chunk]) -> np.ndarray | None:
        """Indices of the chunks that pass, or None when no filter is set."""
        if not any((self.date_from, self.date_to, self.issue, self.section)):
            return None
        return np.array([i for i, c in enumerate(chunks) if self.allows(c)], dtype=np.int64)


class Retriever:
    def __init__(self, index: Index, embedder: Embedder | None, settings: Settings) -> None:
        self.index, self.embedder, self.settings = index, embedder, settings
        self.reranker = _load_reranker(settings.reranker) if settings.reranker else None

    def dense(self, qvec: np.ndarray, n: int, rows: np.ndarray | None) -> list[tuple[int, float]]:
        fi = self.index.faiss_index
        if fi.ntotal == 0 or (rows is not None and not len(rows)):
            return []
        hnsw = isinstance(fi, faiss.IndexHNSW)
        params = faiss.SearchParametersHNSW(efSearch=max(2 * n, 64)) if hnsw \
            else faiss.SearchParameters()
        if rows is not None:
            params.sel = faiss.IDSelectorBatch(rows)
        scores, ids = fi.search(qvec.reshape(1, -1), min(n, fi.ntotal), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def bm25_scores(self, question: str) -> np.ndarray | None:
        """BM25 score of every chunk for the glossary-expanded question (None: no known word)."""
        bm = self.index.bm25
        vocab = self.index.vocab
        ids = list(dict.fromkeys(vocab[t] for t in tokenize(expand(question)) if t in vocab))
        if bm is None or not ids:
            return None
        return bm.get_scores(ids)

    def search(self, question: str, k: int | None = None, filters: Filters | None = None,
               mode: Mode = "hybrid") -> list[Hit]:
        k = k or self.settings.top_k
        n = max(self.settings.candidates, k)
        rows = (filters or Filters()).rows(self.index.chunks)
        ranked: list[list[int]] = []
        qvec = None
        if mode != "bm25":
            if self.embedder is None:
                raise ModelError("dense retrieval needs an embedding model (use --mode bm25)")
            qvec = self.embedder.embed([question], "query")[0]
            ranked.append([i for i, _ in self.dense(qvec, n, rows)])
        lex = self.bm25_scores(question) if mode != "dense" else None
        if lex is not None:
            masked = lex if rows is None else np.full_like(lex, -1.0)
            if rows is not None:
                masked[rows] = lex[rows]
            top = np.argsort(-masked)[:n]
            ranked.append([int(i) for i in top if masked[i] > 0])
        fused: dict[int, float] = {}
        for ranking in ranked:
            for rank, row in enumerate(ranking, 1):
                fused[row] = fused.get(row, 0.0) + 1.0 / (self.settings.rrf_k + rank)
        best = sorted(fused, key=lambda r: -fused[r])[: max(k, 3 * k if self.reranker else k)]
        hits = [Hit(self.index.chunks[r], fused[r],
                    float(np.dot(self.index.vector(r), qvec)) if qvec is not None else None,
                    float(lex[r]) if lex is not None else (0.0 if mode != "dense" else None))
                for r in best]
        if self.reranker is not None and hits:
            scores = self.reranker.predict([(question, embed_text(h.chunk)) for h in hits])
            for h, s in zip(hits, scores):
                h.score = float(s)
            hits.sort(key=lambda h: -h.score)
        return hits[:k]


def _load_reranker(name: str):
    """A sentence-transformers CrossEncoder (folder or hub name); none ships offline here."""
    from pathlib import Path

    from sentence_transformers import CrossEncoder
    try:
        return CrossEncoder(name, device="cpu", local_files_only=Path(name).is_dir())
    except Exception as e:  # ST raises many types
        raise ModelError(f"{name}: cannot load the reranker ({e.__class__.__name__}); "
                         "unset ASSISTANT_RERANKER or point it at a CrossEncoder folder") from e


def open_retriever(settings: Settings, mode: Mode = "hybrid") -> Retriever:
    """Load the embedder (unless BM25 only) and the index at settings.index_dir."""
    if not (settings.index_dir / "CURRENT").exists():  # say so before a slow model load
        Index.load(settings.index_dir, None)
    embedder = load_embedder(settings) if mode != "bm25" else None
    index = Index.load(settings.index_dir, embedder, settings.ann_threshold)
    return Retriever(index, embedder, settings)
