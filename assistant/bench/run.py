"""`assistant bench --chunks N`: speed and memory at archive scale, against a usual LangChain stack.

In: Settings (the embedding model, index and retrieval knobs) and a chunk count. Out: one dict of
figures, printed by the CLI as a rich table (or JSON with --json), with the targets marked met or missed.
Stages, in a temp folder removed afterwards:
1. build, in a child process: a scale corpus of N chunks (scalecorpus.py: People's Daily 1998
   text, recombined) goes through store.Index one issue file at a time and is saved. Chunk
   vectors are deterministic stand-ins (hashed character bigrams, scalecorpus.standin_vectors):
   embedding N chunks with the real model would take hours. Queries are embedded by the real model.
2. add: a generated 8-page PDF issue goes into that saved index with the real model, timed per
   stage with the functions `assistant ingest` calls (read_pages, split_page, chunk_article,
   Embedder.embed, Index.upsert_file, Index.save).
3. the index is loaded as `assistant search` loads it; peak RSS (ru_maxrss) is read here, so it
   covers the model, stages 2-3 and a search, not the build (its own figure, build_rss_mb), the
   baseline or the extra fp32 model below.
4. the baseline a LangChain user would write, over the same texts and vectors: langchain_community's
   FAISS store + BM25Retriever (rank_bm25, jieba.lcut) in langchain_classic's EnsembleRetriever,
   its queries embedded by the same Embedder. This is the project's one documented exception to
   "LangChain only in answer/chain.py": the baseline is LangChain by definition. Latency: ours and the
   baseline take turns on each query, so changing machine load hits both alike.
5. speed.py: embedding throughput vs the model's raw forward pass, int8 vs fp32 ranking,
   PDF pages per second (and stage 2, add_issue).
Not handled: retrieval quality at scale (stand-in vectors make ranking meaningless there; see
`assistant eval`), several benchmarks at once.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import resource
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import psutil

from assistant.bench.scalecorpus import issue_pdf, scale_issues, standin_vectors
from assistant.bench.speed import add_issue, pdf_speed, throughput
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.search.embed import Embedder, load_embedder
from assistant.search.retrieve import Retriever
from assistant.search.store import Index, embed_text

QUERIES = [  # about the 1998 news (BM25 finds words) and health topics; Chinese and English
    "江泽民新年讲话的主要内容", "西藏雪灾救灾物资", "国有企业改革下岗职工再就业",
    "亚洲金融危机对中国经济的影响", "春运期间铁路客运", "农民收入增长情况", "医疗卫生体制改革",
    "香港回归后的经济发展", "科技成果转化", "希望工程捐款助学", "冬季流感预防", "环境保护与污染治理",
    "中国女排比赛结果", "粮食生产丰收", "台湾同胞与两岸关系", "高等教育改革培养人才",
    "交通事故安全生产", "扶贫攻坚贫困地区", "What did the New Year speech say about Hong Kong?",
    "snow disaster relief in northern Tibet", "state-owned enterprise reform and laid-off workers",
    "Asian financial crisis impact on China", "rural income growth in 1998", "hospital health reform",
]


def _ms(times: list[float]) -> tuple[float, float]:
    a = np.array(times) * 1000
    return round(float(np.percentile(a, 50)), 2), round(float(np.percentile(a, 95)), 2)


def _rss_mb() -> float:
    """Peak resident memory of this process so far: VmHWM, which starts afresh in a spawned child
    (ru_maxrss, the fallback off Linux, would carry the parent's peak over the exec)."""
    status = Path("/proc/self/status")
    for line in status.read_text().splitlines() if status.exists() else []:
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def _rss_now_mb() -> float:
    return round(psutil.Process().memory_info().rss / 2**20, 1)


def _dir_mb(path: Path) -> float:
    return round(sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6, 1)


def build_index(settings: Settings, model: str, dim: int, n: int, index_dir: Path) -> dict:
    """N scale chunks with stand-in vectors into a new index, one issue file at a time, saved.
    Runs in a child process (see build_in_child): needs the model's name and dimension only."""
    r: dict = {}
    t = time.perf_counter()
    issues = scale_issues(n, settings.chunk_size)
    r["corpus_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    vectors = [standin_vectors([embed_text(c) for c in chunks], dim) for _, chunks in issues]
    r["standin_vectors_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    index = Index(index_dir, SimpleNamespace(name=model, dim=dim), settings.ann_threshold)
    for (file, chunks), vecs in zip(issues, vectors):
        index.upsert_file(file, chunks, vecs)
    t1 = time.perf_counter()
    index.save()  # builds FAISS and BM25, then writes
    r["index_upserts_s"], r["index_save_s"] = round(t1 - t, 2), round(time.perf_counter() - t1, 2)
    r["index_build_s"] = round(time.perf_counter() - t, 2)
    r["index_size_mb"], r["index_files"] = _dir_mb(index_dir), len(issues)
    r["faiss_index"] = type(index.faiss_index).__name__
    r["build_rss_mb"] = _rss_mb()
    return r


def build_in_child(settings: Settings, embedder: Embedder, n: int, index_dir: Path) -> dict:
    """build_index in a fresh (spawned) process: its memory peak (all N chunks and vectors held at
    once, which `assistant ingest` never does) stays out of this process's rss_mb."""
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=ctx) as pool:
        job = pool.submit(build_index, settings, embedder.name, embedder.dim, n, index_dir)
        return job.result()


def langchain_stack(settings: Settings, embedder: Embedder, index: Index) -> tuple[dict, dict]:
    """The LangChain baseline over the index's texts and vectors: ({mode: retriever}, figures)."""
    import warnings

    import jieba
    from langchain_core.embeddings import Embeddings
    with warnings.catch_warnings():  # langchain-community announces its sunset on import
        warnings.simplefilter("ignore", DeprecationWarning)
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever
        from langchain_community.vectorstores import FAISS

    class OurEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return embedder.embed(texts, "document").tolist()

        def embed_query(self, text: str) -> list[float]:
            return embedder.embed([text], "query")[0].tolist()

    t = time.perf_counter()
    texts = [embed_text(c) for c in index.chunks]
    metadatas = [{"id": c.id, "file": c.file, "page": c.page} for c in index.chunks]
    store = FAISS.from_embeddings(zip(texts, np.asarray(index.vectors)), OurEmbeddings(),
                                  metadatas=metadatas)
    n = settings.candidates
    dense = store.as_retriever(search_kwargs={"k": n})
    bm25 = BM25Retriever.from_texts(texts, metadatas=metadatas, preprocess_func=jieba.lcut, k=n)
    hybrid = EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5], c=settings.rrf_k)
    return ({"dense": dense, "bm25": bm25, "hybrid": hybrid},
            {"baseline_build_s": round(time.perf_counter() - t, 2),
             "baseline_docs": store.index.ntotal})


class QueryMemo:
    """The Embedder, remembering each single query's vector; with `replay` on, a remembered query is
    answered from memory, so a second round times the search alone, for both stacks alike."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder, self.name, self.dim = embedder, embedder.name, embedder.dim
        self.seen: dict[str, np.ndarray] = {}
        self.replay = False

    def embed(self, texts: list[str], kind: str) -> np.ndarray:
        key = texts[0] if kind == "query" and len(texts) == 1 else None
        if self.replay and key in self.seen:
            return self.seen[key]
        out = self.embedder.embed(texts, kind)
        if key is not None:
            self.seen[key] = out
        return out


def latency(settings: Settings, memo: QueryMemo, ours: Retriever, base: dict) -> dict:
    """p50/p95 per stack and mode, with the query embedding and then without it (`*_search_*`);
    the stacks take turns on each query, so changing machine load hits both alike."""
    k = settings.top_k
    runs = {"query_embed": lambda q: memo.embed([q], "query")}
    for mode in ("dense", "bm25", "hybrid"):
        runs[mode] = lambda q, m=mode: [h.chunk.id for h in ours.search(q, k, mode=m)]
        runs[f"baseline_{mode}"] = lambda q, m=mode: [d.metadata["id"]
                                                      for d in base[m].invoke(q)[:k]]
    for q in QUERIES[:3]:  # warm-up
        for fn in runs.values():
            fn(q)
    r: dict = {"queries": len(QUERIES)}
    tops: dict[str, list] = {"hybrid": [], "baseline_hybrid": []}
    for suffix, replay in (("", False), ("_search", True)):
        memo.replay = replay
        times: dict[str, list[float]] = {n: [] for n in runs if not (replay and n == "query_embed")}
        for q in QUERIES:
            for name in times:
                t = time.perf_counter()
                out = runs[name](q)
                times[name].append(time.perf_counter() - t)
                if name in tops and not replay:
                    tops[name].append(out)
        for name, ts in times.items():
            r[f"{name}{suffix}_p50_ms"], r[f"{name}{suffix}_p95_ms"] = _ms(ts)
    memo.replay = False
    r["baseline_hits_per_query"] = round(float(np.mean([len(t) for t in tops["baseline_hybrid"]])),
                                         1)
    r["top5_overlap_with_baseline"] = round(float(np.mean([len(set(a) & set(b)) / max(1, len(a))
                                                           for a, b in zip(*tops.values())])), 3)
    r["speedup_hybrid_p50"] = round(r["baseline_hybrid_p50_ms"] / r["hybrid_p50_ms"], 1)
    r["speedup_hybrid_search_p50"] = round(r["baseline_hybrid_search_p50_ms"]
                                           / r["hybrid_search_p50_ms"], 1)
    return r


def run_bench(settings: Settings, n_chunks: int) -> dict:
    if n_chunks < 100:
        raise AssistantError(f"--chunks {n_chunks}: give at least 100 chunks")
    r: dict = {"chunks": n_chunks, "embed_model": settings.embed_model,
               "embed_int8": settings.embed_int8, "torch_threads": settings.torch_threads,
               "cpus": os.cpu_count(), "load_avg_start": round(os.getloadavg()[0], 2)}
    t = time.perf_counter()
    embedder = load_embedder(settings, fresh=True)  # timed: not the copy another caller loaded
    r["model_load_s"] = round(time.perf_counter() - t, 2)
    r["rss_model_now_mb"], r["rss_model_peak_mb"] = _rss_now_mb(), _rss_mb()
    r["vectors"] = (f"chunk vectors are stand-ins (hashed character bigrams, dim {embedder.dim}); "
                    f"queries and the added issue are embedded by {embedder.name}")
    with tempfile.TemporaryDirectory(prefix="assistant-bench-") as tmp:
        index_dir, pdf = Path(tmp) / "index", Path(tmp) / "issue.pdf"
        r |= build_in_child(settings, embedder, n_chunks, index_dir)
        r["issue_articles"] = issue_pdf(pdf)
        r |= add_issue(settings, embedder, index_dir, pdf)
        gc.collect()
        t = time.perf_counter()
        index = Index.load(index_dir, embedder, settings.ann_threshold)
        r["index_load_s"] = round(time.perf_counter() - t, 2)
        memo = QueryMemo(embedder)
        ours = Retriever(index, memo, settings)
        ours.search(QUERIES[0])
        r["rss_mb"] = _rss_mb()  # peak so far: model + add + loaded index + a search
        r["rss_now_mb"] = _rss_now_mb()
        base, figures = langchain_stack(settings, memo, index)
        r |= figures | latency(settings, memo, ours, base)
        r |= pdf_speed(pdf)
    del base, ours, index
    r |= throughput(settings, embedder)
    r["rss_total_mb"], r["load_avg_end"] = _rss_mb(), round(os.getloadavg()[0], 2)
    r["targets"] = targets(r)
    return r


def targets(r: dict) -> dict:
    checks = {"hybrid_p50_ms <= 60": r["hybrid_p50_ms"] <= 60,
              "speedup_hybrid_p50 >= 10": r["speedup_hybrid_p50"] >= 10,
              "rss_mb <= 2048": r["rss_mb"] <= 2048,
              "throughput_vs_raw >= 1/1.5": r["throughput_vs_raw"] >= 1 / 1.5,
              "add_issue_s < 60": r["add_issue_s"] < 60}
    if r["chunks"] < 100_000:
        checks = {f"{k} (target is for 100k chunks)": v for k, v in checks.items()}
    return checks
