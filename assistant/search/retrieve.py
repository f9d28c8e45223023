"""Question -> ranked passages: dense (FAISS) and BM25 (jieba + glossary) fused by reciprocal rank.

In: an Index (store.py), an Embedder, Settings (candidates, rrf_k, top_k, reranker), optional
Filters. Out: list[Hit], best first (search), or a Retrieval: the hits, the time the question
names (dates.py) and a note when that time could not be honoured (retrieve).
The time a question names steers the search: within those issues, dense by an exact dot product
over their rows (not HNSW, which loses most of a filtered set), BM25 over the same rows; when no
issue of that time is in the archive, the whole archive, with a note ("no issue from 2022 in the
archive; showing other years"). Under a date or issue filter, chunks with no date or issue on
record are left out and the note says how many (Filters). Scores on each Hit:
- score: the fused RRF score, sum over retrievers of 1 / (rrf_k + rank); only an ordering
  (at most ~2/(rrf_k+1)); with a reranker, the reranker's score instead.
- dense_score: cosine similarity of question and passage (-1..1; EmbeddingGemma gives ~0.3-0.6
  for the right passage, lower for unrelated ones); filled for every hit unless mode="bm25".
- bm25_score: the BM25 score of the passage for the (glossary-expanded) question words; 0.0 means
  no question word occurs in it; filled for every hit unless mode="dense".
Not handled: answering, refusing (answer/pipeline.py decides, with these scores), query rewriting with
chat history, reading time expressions (dates.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Literal

import faiss
import numpy as np

from assistant.config import Settings
from assistant.errors import ModelError, QuestionError
from assistant.records import Chunk, Hit
from assistant.search.dates import TimeScope, find_time, issue_number
from assistant.search.embed import Embedder, load_embedder
from assistant.search.lexical import expand, tokenize
from assistant.search.store import Index, embed_text

Mode = Literal["hybrid", "dense", "bm25"]


@dataclass
class Filters:
    """Which issues to search. A chunk whose date (under a date bound) or issue (under an issue
    filter) is unknown cannot be placed: it is left out, and the Retrieval's note says how many
    were (never silently). An issue filter matches the label ("第1234期") or its number ("1234").
    The section is matched as written."""

    date_from: str | None = None  # ISO dates, inclusive
    date_to: str | None = None
    issue: str | None = None
    section: str | None = None

    def allows(self, c: Chunk) -> bool:
        """Whether the chunk is known to match (False for one whose date or issue is unknown)."""
        number = issue_number(self.issue)
        return ((not self.date_from or (c.date or "") >= self.date_from)
                and (not self.date_to or bool(c.date) and c.date <= self.date_to)
                and (not self.issue or c.issue == self.issue
                     or (number is not None and issue_number(c.issue) == number))
                and (not self.section or c.section == self.section))

    @classmethod
    def of(cls, date_from: str | None, date_to: str | None, issue: str | None) -> Filters | None:
        """Filters from user input ('' or None: no limit); QuestionError for a malformed date."""
        date_from, date_to = (date_from or "").strip(), (date_to or "").strip()
        for label, value in (("from", date_from), ("to", date_to)):
            try:
                if value:
                    date.fromisoformat(value)
            except ValueError:
                raise QuestionError(f"date {label} '{value}': use the form YYYY-MM-DD") from None
        if not (date_from or date_to or issue):
            return None
        return cls(date_from or None, date_to or None, issue or None)

    def is_set(self) -> bool:
        return any((self.date_from, self.date_to, self.issue, self.section))

    def narrowed(self, scope: TimeScope) -> Filters | None:
        """These filters and the time a question names, both; None when they cannot both hold."""
        lo = max(filter(None, (self.date_from, scope.date_from)), default=None)
        hi = min(filter(None, (self.date_to, scope.date_to)), default=None)
        issue = self.issue or (str(scope.issue) if scope.issue is not None else None)
        if (lo and hi and lo > hi) or (self.issue and scope.issue is not None
                                      and issue_number(self.issue) != scope.issue):
            return None
        return Filters(lo, hi, issue, self.section)


@dataclass
class Retrieval:
    """What a search found: the hits, best first; a note for the user when the time the question
    names could not be honoured or undated passages were left out; that time as it was read
    (None: the question names none); the glossary file its words were expanded with."""

    hits: list[Hit]
    note: str | None = None
    scope: TimeScope | None = None
    glossary: Path | None = None  # the glossary the question was expanded with (None: packaged)


class _Columns:
    """Each chunk's date, issue and section as arrays, for filters over 100k chunks at once."""

    def __init__(self, chunks: list[Chunk]) -> None:
        self.key = (id(chunks), len(chunks))
        self.dates = np.array([c.date or "" for c in chunks], dtype="U10")
        self.issues = np.array([c.issue or "" for c in chunks], dtype=object)
        self.numbers = np.array([issue_number(c.issue) or -1 for c in chunks], dtype=np.int64)
        self.sections = np.array([c.section or "" for c in chunks], dtype=object)
        self.newest = max((d for d in self.dates if d), default=None)

    def rows(self, f: Filters) -> tuple[np.ndarray, np.ndarray]:
        """(the rows known to match, the rows left out only because a date or issue is unknown)."""
        excluded = np.zeros(len(self.dates), dtype=bool)
        unknown = np.zeros(len(self.dates), dtype=bool)
        if f.date_from or f.date_to:
            dated = self.dates != ""
            inside = (self.dates >= (f.date_from or "")) & (self.dates <= (f.date_to or "9"))
            excluded |= dated & ~inside
            unknown |= ~dated
        if f.issue:
            labelled = self.issues != ""
            number = issue_number(f.issue)
            same = (self.issues == f.issue) | ((self.numbers == number) if number else False)
            excluded |= labelled & ~same
            unknown |= ~labelled
        if f.section:
            excluded |= self.sections != f.section
        return np.flatnonzero(~excluded & ~unknown), np.flatnonzero(~excluded & unknown)


class Retriever:
    def __init__(self, index: Index, embedder: Embedder | None, settings: Settings) -> None:
        self.index, self.embedder, self.settings = index, embedder, settings
        self.reranker = _load_reranker(settings.reranker) if settings.reranker else None
        self._columns: _Columns | None = None

    def columns(self) -> _Columns:
        chunks = self.index.chunks
        if self._columns is None or self._columns.key != (id(chunks), len(chunks)):
            self._columns = _Columns(chunks)
        return self._columns

    def dense(self, qvec: np.ndarray, n: int, rows: np.ndarray | None) -> list[tuple[int, float]]:
        """The n rows nearest the question: FAISS over the whole index, or an exact dot product
        over `rows` (an HNSW search with a filter would lose most of a small filtered set)."""
        if rows is not None:
            scores = self._exact(qvec, rows)
            top = np.argsort(-scores, kind="stable")[:n]
            return [(int(rows[i]), float(scores[i])) for i in top]
        fi = self.index.faiss_index
        if fi.ntotal == 0:
            return []
        params = faiss.SearchParametersHNSW(efSearch=max(2 * n, 64)) \
            if isinstance(fi, faiss.IndexHNSW) else None
        scores, ids = fi.search(qvec.reshape(1, -1), min(n, fi.ntotal), params=params)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]

    def _exact(self, qvec: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Cosine scores of the (ascending) `rows`, read block by block: only those rows."""
        scores, done, start = np.zeros(len(rows), dtype=np.float32), 0, 0
        for block in self.index.vector_blocks():
            end = start + len(block)
            upto = int(np.searchsorted(rows, end))
            if upto > done:
                scores[done:upto] = np.asarray(block[rows[done:upto] - start]) @ qvec
                done = upto
            if done == len(rows):
                break
            start = end
        return scores

    def bm25_scores(self, question: str) -> np.ndarray | None:
        """BM25 score of every chunk for the glossary-expanded question (None: no known word)."""
        bm = self.index.bm25
        vocab = self.index.vocab
        ids = list(dict.fromkeys(vocab[t] for t in tokenize(expand(question, self.settings.glossary_path)) if t in vocab))
        if bm is None or not ids:
            return None
        return bm.get_scores(ids)

    def search(self, question: str, k: int | None = None, filters: Filters | None = None,
               mode: Mode = "hybrid") -> list[Hit]:
        """The k best passages (retrieve() without its note)."""
        return self.retrieve(question, k, filters, mode).hits

    def retrieve(self, question: str, k: int | None = None, filters: Filters | None = None,
                 mode: Mode = "hybrid", today: date | None = None) -> Retrieval:
        """The k best passages for `question`, steered by the time it names (dates.py; relative
        times against `today`, by default the newest issue date in the index): searched within
        those issues (and `filters`); when they hold nothing, searched without that time and
        the note says so. "Latest" with no range: when the best passages come from several
        years, searched again within the newest of them."""
        filters, k = filters or Filters(), k or self.settings.top_k
        if mode != "bm25" and self.embedder is None:
            raise ModelError("dense retrieval needs an embedding model (use --mode bm25)")
        qvec = self.embedder.embed([question], "query")[0] if mode != "bm25" else None
        lex = self.bm25_scores(question) if mode != "dense" else None

        def search(f: Filters) -> tuple[list[Hit], str | None]:
            """The hits under f, and a note on the passages it left out for want of a date."""
            if not f.is_set():
                return self._search(question, qvec, lex, mode, k, None), None
            rows, unknown = self.columns().rows(f)
            n = len(unknown)
            left = f"left out {n} passage{'s' if n > 1 else ''} with no " \
                   f"{'date' if f.date_from or f.date_to else 'issue'} on record" if n else None
            return self._search(question, qvec, lex, mode, k, rows), left

        newest = self.columns().newest
        scope = find_time(question, today or (date.fromisoformat(newest) if newest else None))
        if scope is not None and scope.newest:
            hits, left = search(filters)
            years = sorted({h.chunk.date[:4] for h in hits if h.chunk.date})
            if len(years) < 2:
                return Retrieval(hits, left, scope, self.settings.glossary_path)
            scope = TimeScope(f"latest ({years[-1]})", f"{years[-1]}-01-01",
                              f"{years[-1]}-12-31", newest=True)
        missing = None
        if scope is not None:
            narrowed = filters.narrowed(scope)
            if narrowed is not None and len(self.columns().rows(narrowed)[0]):
                hits, left = search(narrowed)
                return Retrieval(hits, left, scope, self.settings.glossary_path)
            what = scope.label if scope.issue is not None else f"issue from {scope.label}"
            missing = f"no {what} in the archive; showing other " \
                      f"{'years' if scope.years else 'issues'}"
        hits, left = search(filters)
        return Retrieval(hits, "; ".join(filter(None, (missing, left))) or None, scope,
                         self.settings.glossary_path)

    def _search(self, question: str, qvec: np.ndarray | None, lex: np.ndarray | None,
                mode: Mode, k: int, rows: np.ndarray | None) -> list[Hit]:
        """Dense and BM25 rankings over `rows` (None: all) fused by reciprocal rank."""
        n = max(self.settings.candidates, k)
        want = max(k, 3 * k if self.reranker else k)
        best = self._fuse(qvec, lex, n, rows)[:want] if rows is None or len(rows) else []
        hits = [Hit(self.index.chunks[r], score,
                    float(np.dot(self.index.vector(r), qvec)) if qvec is not None else None,
                    float(lex[r]) if lex is not None else (0.0 if mode != "dense" else None))
                for r, score in best]
        if self.reranker is not None and hits:
            scores = self.reranker.predict([(question, embed_text(h.chunk)) for h in hits])
            for h, s in zip(hits, scores):
                h.score = float(s)
            hits.sort(key=lambda h: -h.score)
        return hits[:k]

    def _fuse(self, qvec: np.ndarray | None, lex: np.ndarray | None, n: int,
              rows: np.ndarray | None) -> list[tuple[int, float]]:
        ranked: list[list[int]] = []
        if qvec is not None:
            ranked.append([i for i, _ in self.dense(qvec, n, rows)])
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
        return sorted(fused.items(), key=lambda item: -item[1])


def _load_reranker(name: str):
    """A sentence-transformers CrossEncoder (folder or hub name); none ships offline here."""
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
