"""`assistant eval`: run a question set through retrieval (and the answerer), score it, gate on a baseline.

In:  Settings (index, models, endpoint), a JSONL question set (eval/README.md gives the schema),
     the half to run ("dev", "test" or "all"), optionally an archive file the questions are about
     and a baseline summary JSON. A missing index is built first (corpus.py).
Out: a summary dict (flat metric names -> numbers, plus per-question details), written with the
     report by report.py; exit status 1 when a gated metric fell by more than its tolerance
     (metrics.GATES), 0 otherwise. A run on one half is compared with a baseline of the whole set
     on that half's figures only (names with `/dev/` or `/test/`), and vice versa.
With `also_profiles`, each model reply is also checked under those check profiles (without asking
the model again) and scored: summary["profiles"][name] holds each profile's answer figures.
Retrieval queries for follow-ups are the previous user questions and the question joined by
spaces (retrieval-only runs cannot call the LLM to condense them); the answerer gets the same
history as (question, "") turns and condenses it itself.
Not handled here: the metric formulas (metrics.py), averaging them (scoring.py), opening or
building the index (corpus.py), writing the report (report.py).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.config import PROJECT_ROOT, Settings
from assistant.errors import AssistantError
from assistant.evaluation import metrics as m
from assistant.evaluation.corpus import check_coverage, open_index, sample_archive, sidecar_archive
from assistant.evaluation.questions import (
    SPLITS,
    Question,
    load_questions,
    questions_sha,
    select,
)
from assistant.evaluation.scoring import (
    MODES,
    K,
    answer_metrics,
    retrieval_metrics,
    score_answer,
)
from assistant.redact import shown_url

QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"
BASELINE = PROJECT_ROOT / "eval" / "baseline.json"
REPORT_DIR = PROJECT_ROOT / "eval" / "report"


def shown(path: Path) -> str:
    """A path as the report shows it: relative to the project when inside it."""
    full = path.resolve()
    return str(full.relative_to(PROJECT_ROOT) if full.is_relative_to(PROJECT_ROOT) else full)


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
                               "ranked": [m.article_key(h.chunk.file, h.chunk.title, h.chunk.article_id)
                                          for h in hits]}
    return out


def run_answers(answerer, questions: list[Question], on_answer=None) -> dict[str, Any]:
    """Each question's Answer; on_answer(position, question, answer) is called as each one comes."""
    out = {}
    for i, q in enumerate(questions, 1):
        out[q.id] = answerer.ask(q.question, [(h, "") for h in q.history])
        if on_answer:
            on_answer(i, q, out[q.id])
    return out


def run_eval(settings: Settings, questions_path: Path, retrieval_only: bool = False,
             on_answer=None, split: str = "all", archive: Path | None = None,
             index_given: bool = True, also_profiles: Sequence[str] = (),
             archive_sample: int | None = None) -> dict[str, Any]:
    """Everything but the baseline: load (or build) the index, run the questions, score them.
    archive: the archive the questions are about (default: the question set's sidecar);
    index_given: False when settings.index_dir is only the default (an archive then uses the cache);
    archive_sample: index only the cited records and this many others (corpus.sample_archive)."""
    from assistant.search.embed import load_embedder
    from assistant.search.retrieve import Retriever
    t0 = time.monotonic()
    questions = select(load_questions(questions_path), split, questions_path)
    archive = archive or sidecar_archive(questions_path)
    full_archive = archive
    if archive_sample is not None:
        if archive_sample < 0:
            raise AssistantError(f"--archive-sample {archive_sample}: give 0 or more records to add")
        if archive is None or index_given:
            raise AssistantError("--archive-sample needs an archive (--archive or the question set's "
                                 "sidecar) and no --index: the sample gets its own cached index")
        archive = sample_archive(archive, questions, archive_sample, settings.cache_dir / "archive-samples")
    embedder = load_embedder(settings)
    index = open_index(settings, embedder, questions, archive, index_given)
    check_coverage(index, questions)
    t1 = time.monotonic()
    runs = run_retrieval(Retriever(index, QueryCache(embedder), settings), questions)
    results = retrieval_metrics(questions, runs)
    t2 = time.monotonic()
    rows: dict[str, dict[str, Any]] = {}
    profiles: dict[str, dict[str, float]] = {}
    if not retrieval_only:
        from assistant.answer.pipeline import Answerer
        answerer = Answerer(settings, Retriever(index, embedder, settings), also_profiles)
        try:
            answers = run_answers(answerer, questions, on_answer)
        finally:
            answerer.close()
        rows = {q.id: score_answer(q, answers[q.id]) for q in questions}
        results.update(answer_metrics(questions, rows))
        profiles[settings.checks_profile] = answer_figures(results)
        for p in answerer.also_profiles:
            other = {q.id: score_answer(q, answers[q.id].alternatives.get(p, answers[q.id]))
                     for q in questions}
            profiles[p] = answer_figures(answer_metrics(questions, other))
    per_question = [{"id": q.id, "lang": q.lang, "type": q.type, "split": q.split, "question": q.question,
                     "gold_rank": {mode: min(m.first_ranks(r["ranked"], q.gold_groups).values(), default=None)
                                   for mode, r in runs[q.id].items()} if q.answerable else None,
                     **rows.get(q.id, {})} for q in questions]
    meta = {"questions": shown(questions_path), "questions_sha": questions_sha(questions_path),
            "split": split, "n_questions": len(questions),
            "archive": shown(full_archive) if full_archive else None,
            "archive_sample": archive_sample,  # with the file: another half's sample is another corpus
            "archive_sample_file": archive.name if archive_sample is not None else None, "index": str(settings.index_dir),
            "retrieval_only": retrieval_only, "k": K, "embed_model": embedder.name,
            "llm_model": None if retrieval_only else
            f"{shown_url(settings.llm_base_url) if settings.llm_base_url else 'local'}:{settings.llm_model}",
            "wall_seconds": round(time.monotonic() - t0, 1), "setup_seconds": round(t1 - t0, 1),
            "retrieval_seconds": round(t2 - t1, 1), "answer_seconds": round(time.monotonic() - t2, 1),
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    summary = {"meta": meta, "metrics": results, "per_question": per_question}
    return summary | ({"profiles": profiles} if len(profiles) > 1 else {})


def answer_figures(metrics: dict[str, float]) -> dict[str, float]:
    """The answer-quality figures among `metrics` (no retrieval, no latencies)."""
    return {k: v for k, v in metrics.items() if k.startswith(("answers/", "refusal/"))}


def comparable(metrics: dict[str, float], run_split: str, base_split: str) -> dict[str, float]:
    """The figures two runs share, each under the name whose tolerance fits its number of
    questions: all of them when both ran the whole set; else only those of the halves both ran,
    by the half's name (a `--split dev` run against a whole-set baseline: the `/dev/` figures).
    Two runs of the same half compare that half's figures too: their unprefixed figures are the
    same half again, and metrics.GATES would hold them to the whole set's tighter tolerances
    (one flipped answer among a half's 6 unanswerable questions is 0.17, more than the 0.10
    allowed for a whole set's 13)."""
    if run_split == base_split == "all":
        return metrics
    halves = {s for s in SPLITS if run_split in ("all", s) and base_split in ("all", s)}
    return {k: v for k, v in metrics.items() if any(f"/{h}/" in k for h in halves)}


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
    model, base_model = summary["meta"].get("embed_model"), base_meta.get("embed_model")
    if base_model and model != base_model:  # retrieval figures belong to their embedding model
        if explicit:
            raise AssistantError(f"{baseline_path}: measured with {base_model}, this run uses {model}; "
                                 "set ASSISTANT_EMBED_MODEL/_BACKEND to match or regenerate the baseline")
        return [], f"{shown(baseline_path)} was measured with {base_model}, this run with {model}: not compared"

    def corpus(meta: dict[str, Any]) -> str:  # a sample's retrieval is easier; two samples differ
        n, name = meta.get("archive_sample"), meta.get("archive_sample_file")
        return "the whole archive" if n is None else f"a sample of the archive ({n} others: {name})"
    if corpus(summary["meta"]) != corpus(base_meta):
        what = f"{shown(baseline_path)} was measured on {corpus(base_meta)}, this run on {corpus(summary['meta'])}"
        if explicit:
            raise AssistantError(f"{what}; run it the same way or regenerate the baseline")
        return [], f"{what}: not compared"
    run_split, base_split = summary["meta"].get("split", "all"), base_meta.get("split", "all")
    base_shared = comparable(base_metrics, run_split, base_split)
    if not base_shared:
        return [], f"{shown(baseline_path)} has no figures for the {run_split} half: not compared"
    found = m.regressions(comparable(summary["metrics"], run_split, base_split), base_shared)
    return found, f"compared with {shown(baseline_path)} ({len(found)} regression(s))"
