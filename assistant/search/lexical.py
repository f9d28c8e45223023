"""Words for BM25: a jieba tokenizer, glossary query expansion, and a faster bm25s index build.

In: text. Out: lists of lowercase tokens with punctuation and stopwords dropped (jieba's search
mode, which also emits the short words inside long ones: 献血者日 -> 献血, 血者, 献血者日 ...), and
for a question, the question plus the glossary counterparts of the terms it names, so "blood
donor day" also searches 献血者日. The glossary is user-editable data (English | aliases <TAB>
中文 | 别名, one row a term): the packaged assistant/search/glossary.tsv holds general
health-newspaper vocabulary (hospital grades, institutions, Fujian's cities and counties,
diseases and campaigns); Settings.glossary_path (ASSISTANT_GLOSSARY_PATH) names another file.
`BM25` is bm25s.BM25 with its documented override point, build_index_from_ids, vectorised with
numpy for the default "lucene" method (same scores; bm25s's own loop over documents took 13 s at
100k chunks, and is still used for other methods).
Not handled: query-time scoring (bm25s does it, in store.py / retrieve.py), spelling correction,
translation of anything outside the glossary (dense retrieval carries cross-lingual questions).
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache
from importlib.resources import files
from pathlib import Path

import bm25s
import jieba
import numpy as np
import scipy.sparse as sp

from assistant.errors import InputFileError
from assistant.text import CJK_CHARS

GLOSSARY = Path(str(files("assistant.search") / "glossary.tsv"))  # package data

jieba.setLogLevel(logging.WARNING)

_WORD = re.compile(f"[0-9a-z{CJK_CHARS}]")
STOPWORDS = frozenset(
    "的 了 是 在 和 与 及 等 也 都 而 或 并 对 为 以 将 把 被 从 由 于 之 其 这 那 有 个 中 上 下 "
    "我 你 他 她 它 们 我们 什么 哪些 哪个 哪 如何 怎么 怎样 是否 多少 吗 呢 吧 啊 "
    "a an the of in on at to for and or is are was were be been what which who whom when where "
    "how why did does do with by from as that this these those it its about into than".split())


def tokenize(text: str) -> list[str]:
    """Lowercase jieba search-mode tokens, without punctuation, whitespace and stopwords."""
    return [t for t in jieba.cut_for_search(text.lower())
            if _WORD.search(t) and t.strip() and t not in STOPWORDS]


@lru_cache(maxsize=4)
def _read_glossary(path: Path, mtime: float) -> list[tuple[list[str], list[str]]]:
    rows: list[tuple[list[str], list[str]]] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise InputFileError(f"{path}:{n}", f"expected 'English<TAB>中文', got {line!r}")
        en, zh = ([v.strip() for v in p.split("|") if v.strip()] for p in parts)
        rows.append((en, zh))
    return rows


def load_glossary(path: Path | None = None) -> list[tuple[list[str], list[str]]]:
    """Rows of (English variants, Chinese variants) of the glossary at `path` (None: the packaged
    one; Settings.glossary_path), read again when the file changes. A named file that is missing,
    or a row without one tab, is an InputFileError; a missing packaged file means no expansion."""
    if path is None:
        if not GLOSSARY.is_file():
            return []
        path = GLOSSARY
    path = Path(path)
    if not path.is_file():
        raise InputFileError(str(path), "no such glossary file (ASSISTANT_GLOSSARY_PATH)")
    return _read_glossary(path, path.stat().st_mtime)


def _names(question: str, term: str) -> bool:
    if re.search(f"[{CJK_CHARS}]", term):
        return term in question
    return re.search(rf"(?<![0-9a-z]){re.escape(term.lower())}(?![0-9a-z])", question) is not None


def expand(question: str, path: Path | None = None) -> str:
    """The question followed by the counterparts of every term it contains in the glossary at
    `path` (None: the packaged one)."""
    low = question.lower()
    extra: list[str] = []
    for en, zh in load_glossary(path):
        if any(_names(low, t) for t in en):
            extra += zh
        elif any(t in question for t in zh):
            extra += en
    return " ".join([question, *extra])


class BM25(bm25s.BM25):
    BLOCK = 8192  # documents per vectorised step: bounds the temporary arrays

    def build_index_from_ids(self, unique_token_ids, corpus_token_ids, show_progress=True,
                             leave_progress=False) -> dict:
        """The (documents x vocabulary) score matrix bm25s builds, for method "lucene"."""
        if self.method != "lucene" or self.idf_method != "lucene":
            return super().build_index_from_ids(unique_token_ids, corpus_token_ids,
                                                show_progress, leave_progress)
        n_docs, n_vocab = len(corpus_token_ids), len(unique_token_ids)
        lengths = np.fromiter((len(d) for d in corpus_token_ids), dtype=np.int64, count=n_docs)
        docs, terms, tfs = [], [], []
        for start in range(0, n_docs, self.BLOCK):  # (document, term, count) of each pair
            block = corpus_token_ids[start:start + self.BLOCK]
            flat = np.concatenate([np.asarray(d, dtype=np.int64) for d in block] or [[]])
            owner = np.repeat(np.arange(start, start + len(block)), lengths[start:start + len(block)])
            pairs, counts = np.unique(owner * n_vocab + flat, return_counts=True)
            docs.append((pairs // n_vocab).astype(np.int32))
            terms.append((pairs % n_vocab).astype(np.int32))
            tfs.append(counts.astype(self.dtype))
        # the pairs come sorted by document, then term: CSR order. Scores are computed in place
        # and the matrix goes CSR -> CSC directly, to keep the temporary arrays few (memory peak)
        term = np.concatenate(terms) if terms else np.zeros(0, dtype=np.int32)
        doc = np.concatenate(docs) if docs else np.zeros(0, dtype=np.int32)
        del terms, docs
        scores = np.concatenate(tfs) if tfs else np.zeros(0, dtype=self.dtype)
        del tfs
        df = np.bincount(term, minlength=n_vocab)
        idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(self.dtype)
        norm = (self.k1 * ((1 - self.b) + self.b * lengths / max(lengths.mean(), 1e-9)))
        denominator = norm.astype(self.dtype)[doc]
        denominator += scores
        scores /= denominator  # tf / (norm + tf)
        del denominator
        scores *= idf[term]
        indptr = np.zeros(n_docs + 1, dtype=np.int64)
        np.cumsum(np.bincount(doc, minlength=n_docs), out=indptr[1:])
        del doc
        matrix = sp.csr_matrix((scores, term, indptr), shape=(n_docs, n_vocab)).tocsc()
        self.nonoccurrence_array = None
        return {"data": matrix.data, "indices": matrix.indices, "indptr": matrix.indptr,
                "num_docs": n_docs}
