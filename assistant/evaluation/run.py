"""`assistant eval`: run a question set through retrieval (and the answerer), score it, gate on a baseline.

In:  Settings (index, models, endpoint), a JSONL question set (eval/README.md gives the schema),
     optionally a baseline summary JSON. A missing index is built from the sample corpus first.
Out: a summary dict (flat metric names -> numbers, plus per-question details), written with the
     report by report.py; exit status 1 when a gated metric fell by more than its tolerance
     (metrics.GATES), 0 otherwise.
Retrieval queries for follow-ups are the previous user questions and the question joined by
spaces (retrieval-only runs cannot call the LLM to condense them); the answerer gets the same
history as (question, "") turns and condenses it itself.
Not handled here: the metric formulas (metrics.py), writing the report (report.py).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from assistant.config import PROJECT_ROOT, SAMPLE_DIR, Settings
from assistant.errors import AssistantError
from assistant.evaluation import metrics as m
from assistant.evaluation.questions import Question, load_questions, questions_sha
from assistant.redact import shown_url

QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"
BASELINE = PROJECT_ROOT / "eval" / "baseline.json"
REPORT_DIR = PROJECT_ROOT / "eval" / "report"
MODES = ("hybrid", "dense", "bm25")  # hybrid first: its search time includes embedding the query
K = 10
LANGS = ("all", "en", "zh")


def shown(path: Path) -> str:
    """A path as the report shows it: relative to the project when inside it."""
    full = path.resolve()
    return str(full.relative_to(PROJECT_ROOT) if full.is_relative_to(PROJECT_ROOT) else full)


def open_index(settings: Settings, embedder, questions: list[Question]):
    """The index at settings.index_dir; when it is missing or empty, built from the sample corpus
    first (only if the questions are about the sample corpus)."""
    from assistant.ingest.pipeline import ingest
    from assistant.search.store import Index
    index = Index.open(settings.index_dir, embedder, settings.ann_threshold)
    if index.chunks:
        return index
    wanted = {Path(g["file"]).name for q in questions for g in q.gold}
    outside = sorted(wanted - {p.name for p in SAMPLE_DIR.iterdir()})
    if outside:
        raise AssistantError(f"{settings.index_dir}: no index, and the questions cite files outside the "
                             f"sample corpus ({', '.join(outside[:3])}): run `assistant ingest "
                             f"--index {settings.index_dir} YOUR_FILES` first")
    print(f"{settings.index_dir}: no index yet: building it from {SAMPLE_DIR}", file=sys.stderr)
    report = ingest([str(SAMPLE_DIR)], settings, embedder)
    if report.skipped:
        raise AssistantError(f"building the sample index failed: {report.skipped[0]}")
    return Index.load(settings.index_dir, embedder, settings.ann_threshold)


def check_coverage(indexed_files: set[str], questions: list[Question]) -> None:
    missing = sorted({Path(g["file"]).name for q in questions for g in q.gold} - indexed_files)
    if missing:
        raise AssistantError(f"the questions cite {len(missing)} file(s) that are not in the index: "
                             f"{', '.join(missing[:5])}; ingest them or fix the gold entries")


class QueryCache:
    """An Embedder that remembers query vectors, so the three retrievers embed each question once."""

    def __init__(self, embedder) -> None:
        self.embedder, self.name, self.dim = embedder, embedder.name, embedder.dim
        self.seen: dict[str, Any] = {}

    def embed(self, texts: list[str], kind):
        if kind != "query" or len(texts) != 1:
            return self.embedder.embed(texts, kind)
        if texts[0] not in self.seen:
            self.seen[texts[0]] = self.embedder.embed(texts, kind)
        return self.seen[texts[0]]


def run_retrieval(retriever, questions: list[Question], modes=MODES) -> dict[str, dict[str, Any]]:
    """Per question id and mode: the ranked article keys of the top K hits and the search time."""
    out: dict[str, dict[str, Any]] = {}
    for q in questions:
        out[q.id] = {}
        for mode in modes:
            t = time.monotonic()
            hits = retriever.search(q.query, k=K, mode=mode)
            out[q.id][mode] = {"seconds": time.monotonic() - t,
                               "ranked": [m.article_key(h.chunk.file, h.chunk.title) for h in hits]}
    return out


def run_answers(answerer, questions: list[Question], on_answer=None) -> dict[str, Any]:
    """Each question's Answer; on_answer(position, question, answer) is called as each one comes."""
    out = {}
    for i, q in enumerate(questions, 1):
        out[q.id] = answerer.ask(q.question, [(h, "") for h in q.history])
        if on_answer:
            on_answer(i, q, out[q.id])
    return out


def _slices(questions: list[Question]):
    for lang in LANGS:
        yield lang, [q for q in questions if lang in ("all", q.lang)]


def retrieval_metrics(questions: list[Question], runs: dict[str, dict[str, Any]]) -> dict[str, float]:
    res: dict[str, float] = {}
    modes = next(iter(runs.values())).keys() if runs else ()
    for mode in modes:
        for lang, qs in _slices([q for q in questions if q.answerable]):
            ranked = [(runs[q.id][mode]["ranked"], q.gold_keys) for q in qs]
            for k in (1, 5, 10):
                res[f"retrieval/{mode}/{lang}/recall@{k}"] = m.mean([m.recall_at(r, g, k) for r, g in ranked])
            res[f"retrieval/{mode}/{lang}/mrr"] = m.mean([m.reciprocal_rank(r, g) for r, g in ranked])
            res[f"retrieval/{mode}/{lang}/ndcg@10"] = m.mean([m.ndcg_at(r, g, K) for r, g in ranked])
    if runs:  # only the first mode's times include embedding the query (QueryCache)
        mode = MODES[0]
        times = [runs[q.id][mode]["seconds"] for q in questions]
        res[f"latency/search_{mode}/p50"] = m.percentile(times, 50)
        res[f"latency/search_{mode}/p95"] = m.percentile(times, 95)
    return {k: v for k, v in res.items() if v is not None}


def score_answer(q: Question, a) -> dict[str, Any]:
    """One answer's scores and the evidence the report shows."""
    cited = [m.article_key(c.file, c.title) for c in a.citations]
    passages = [f"{c.title}\n{c.text}" for c in a.citations]
    checked, missing = m.unsupported(a.text, passages) if not a.refused else (0, [])
    row: dict[str, Any] = {"id": q.id, "lang": q.lang, "type": q.type, "answer": a.text,
                           "refused": a.refused, "fallback": a.fallback, "timings": a.timings,
                           "cited": [list(c) for c in cited], "unsupported": missing,
                           "faithfulness": 1 - len(missing) / checked if checked else 1.0}
    if q.answerable:
        row["missing_facts"] = [f for f in q.key_facts if not m.has_fact(a.text, f)]
        row["key_facts"] = m.key_fact_score(a.text, q.key_facts) if q.key_facts else None
        row["list_f1"] = m.list_f1(a.text, q.list_members, q.list_distractors) if q.list_members else None
        row["cited_gold"], row["n_cited"] = m.citation_counts(cited, q.gold_keys)
        row["cited_support"] = sum(m.supports_passage(c.text, q.support) for c in a.citations)
        row["citation_recall"] = m.citation_recall(cited, q.gold_keys)
    return row


def answer_metrics(questions: list[Question], rows: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    res: dict[str, float | None] = {}
    for lang, qs in _slices(questions):
        ans = [rows[q.id] for q in qs if q.answerable]
        unans = [rows[q.id] for q in qs if not q.answerable]
        spoken = [r for r in ans if not r["refused"]]
        n_cited = sum(r["n_cited"] for r in ans)
        values = {
            "key_fact_accuracy": m.mean([r["key_facts"] for r in ans if r["key_facts"] is not None]),
            "all_facts_rate": m.mean([float(r["key_facts"] == 1.0) for r in ans if r["key_facts"] is not None]),
            "list_f1": m.mean([r["list_f1"] for r in ans if r["list_f1"] is not None]),
            "citation_precision": sum(r["cited_gold"] for r in ans) / n_cited if n_cited else None,
            "citation_support_precision": sum(r["cited_support"] for r in ans) / n_cited if n_cited else None,
            "citation_recall": m.mean([r["citation_recall"] for r in ans]),
            "faithfulness": m.mean([r["faithfulness"] for r in spoken]),
            "faithful_rate": m.mean([float(not r["unsupported"]) for r in spoken]),
            "fallback_rate": m.mean([float(r["fallback"]) for r in ans + unans]),
        }
        res.update({f"answers/{lang}/{k}": v for k, v in values.items()})
        res[f"refusal/{lang}/refusal_rate"] = m.mean([float(r["refused"]) for r in unans])
        res[f"refusal/{lang}/false_refusal_rate"] = m.mean([float(r["refused"]) for r in ans])
    for stage in sorted({s for r in rows.values() for s in r["timings"]}):
        times = [r["timings"][stage] for r in rows.values() if stage in r["timings"]]
        res[f"latency/{stage}/p50"], res[f"latency/{stage}/p95"] = m.percentile(times, 50), m.percentile(times, 95)
    return {k: v for k, v in res.items() if v is not None}


def run_eval(settings: Settings, questions_path: Path, retrieval_only: bool = False,
             on_answer=None) -> dict[str, Any]:
    """Everything but the baseline: load (or build) the index, run the questions, score them."""
    from assistant.search.embed import load_embedder
    from assistant.search.retrieve import Retriever
    t0 = time.monotonic()
    questions = load_questions(questions_path)
    embedder = load_embedder(settings)
    index = open_index(settings, embedder, questions)
    check_coverage({Path(c.file).name for c in index.chunks}, questions)
    t1 = time.monotonic()
    runs = run_retrieval(Retriever(index, QueryCache(embedder), settings), questions)
    results = retrieval_metrics(questions, runs)
    t2 = time.monotonic()
    rows: dict[str, dict[str, Any]] = {}
    if not retrieval_only:
        from assistant.answer.pipeline import Answerer
        answerer = Answerer(settings, Retriever(index, embedder, settings))
        try:
            answers = run_answers(answerer, questions, on_answer)
        finally:
            answerer.close()
        rows = {q.id: score_answer(q, answers[q.id]) for q in questions}
        results.update(answer_metrics(questions, rows))
    per_question = [{"id": q.id, "lang": q.lang, "type": q.type, "question": q.question,
                     "gold_rank": {mode: min(m.first_ranks(r["ranked"], q.gold_keys).values(), default=None)
                                   for mode, r in runs[q.id].items()} if q.answerable else None,
                     **rows.get(q.id, {})} for q in questions]
    meta = {"questions": shown(questions_path), "questions_sha": questions_sha(questions_path),
            "n_questions": len(questions), "retrieval_only": retrieval_only, "k": K,
            "embed_model": embedder.name,
            "llm_model": None if retrieval_only else
            f"{shown_url(settings.llm_base_url) if settings.llm_base_url else 'local'}:{settings.llm_model}",
            "wall_seconds": round(time.monotonic() - t0, 1), "setup_seconds": round(t1 - t0, 1),
            "retrieval_seconds": round(t2 - t1, 1), "answer_seconds": round(time.monotonic() - t2, 1),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    return {"meta": meta, "metrics": results, "per_question": per_question}


def gate(summary: dict[str, Any], baseline_path: Path, explicit: bool) -> tuple[list[str], str]:
    """(regressions, a one-line note on what was compared)."""
    if not baseline_path.exists():
        if explicit:
            raise AssistantError(f"{baseline_path}: baseline file not found")
        return [], f"no baseline at {shown(baseline_path)}: not compared"
    try:
        base = json.loads(baseline_path.read_text(encoding="utf-8"))
        base_metrics, base_meta = base["metrics"], base["meta"]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise AssistantError(f"{baseline_path}: not a summary JSON from `assistant eval` ({e})") from e
    if base_meta.get("questions_sha") != summary["meta"]["questions_sha"]:
        if explicit:
            raise AssistantError(f"{baseline_path}: measured on another question set; regenerate it "
                                 "(copy a fresh summary.json over it)")
        return [], f"{shown(baseline_path)} was measured on another question set: not compared"
    found = m.regressions(summary["metrics"], base_metrics)
    return found, f"compared with {shown(baseline_path)} ({len(found)} regression(s))"
