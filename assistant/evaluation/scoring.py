"""Per-question scores and their averages: retrieval rankings and answers in, flat metric names out.

In:  the questions, each question's ranked article keys per retriever (run.run_retrieval), each
     answer (records.Answer). Out: {name: value}. Every figure is given over all the questions run
     and over each half and language: `retrieval/hybrid/zh/recall@5` (all questions, Chinese),
     `retrieval/hybrid/test/zh/recall@5` (the test half, Chinese); likewise `answers/dev/en/…` and
     `refusal/test/all/…`. A half or language with no question is left out.
Question types: unanswerable -> a refusal is expected (refusal_rate), no gold; list -> list F1 over
its members (list_members, or the key facts of an archive list), not key facts; every other type
(fact, number, date, multi-outlet, multi-article, follow-up) -> key facts.
Not handled here: the formulas (metrics.py), running retrieval or the LLM (run.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from assistant.evaluation import metrics as m
from assistant.evaluation.questions import SPLITS, Question

MODES = ("hybrid", "dense", "bm25")  # hybrid first: its search time includes embedding the query
K = 10
LANGS = ("all", "en", "zh")


def slices(questions: list[Question]) -> Iterator[tuple[str, list[Question]]]:
    """(name infix, questions) for every (split, lang) slice that holds a question: "zh" for all
    Chinese questions, "dev/zh" for the Chinese questions of the dev half."""
    for split in ("all", *SPLITS):
        in_split = [q for q in questions if split in ("all", q.split)]
        for lang in LANGS:
            qs = [q for q in in_split if lang in ("all", q.lang)]
            if qs:
                yield (lang if split == "all" else f"{split}/{lang}"), qs


def retrieval_metrics(questions: list[Question], runs: dict[str, dict[str, Any]]) -> dict[str, float]:
    res: dict[str, float | None] = {}
    modes = next(iter(runs.values())).keys() if runs else ()
    for mode in modes:
        for name, qs in slices([q for q in questions if q.answerable]):
            ranked = [(runs[q.id][mode]["ranked"], q.gold_groups) for q in qs]
            for k in (1, 5, 10):
                res[f"retrieval/{mode}/{name}/recall@{k}"] = m.mean([m.recall_at(r, g, k) for r, g in ranked])
            res[f"retrieval/{mode}/{name}/mrr"] = m.mean([m.reciprocal_rank(r, g) for r, g in ranked])
            res[f"retrieval/{mode}/{name}/ndcg@10"] = m.mean([m.ndcg_at(r, g, K) for r, g in ranked])
    if runs:  # only the first mode's times include embedding the query (run.QueryCache)
        mode = MODES[0]
        times = [runs[q.id][mode]["seconds"] for q in questions]
        res[f"latency/search_{mode}/p50"] = m.percentile(times, 50)
        res[f"latency/search_{mode}/p95"] = m.percentile(times, 95)
    return {k: v for k, v in res.items() if v is not None}


def score_answer(q: Question, a) -> dict[str, Any]:
    """One answer's scores and the evidence the report shows."""
    cited = [m.article_key(c.file, c.title, c.article_id) for c in a.citations]
    passages = [f"{c.title}\n{c.text}" for c in a.citations]
    checked, missing = m.unsupported(a.text, passages) if not a.refused else (0, [])
    row: dict[str, Any] = {"id": q.id, "lang": q.lang, "type": q.type, "split": q.split,
                           "answer": a.text, "refused": a.refused, "fallback": a.fallback,
                           "timings": a.timings, "cited": [list(c) for c in cited], "unsupported": missing,
                           "faithfulness": 1 - len(missing) / checked if checked else 1.0}
    if q.answerable:
        facts = [] if q.type == "list" else q.key_facts
        row["missing_facts"] = [f for f in (facts or q.members) if not m.has_fact(a.text, f)]
        row["key_facts"] = m.key_fact_score(a.text, facts) if facts else None
        # the same facts in the passages the model was given (None when it was not asked): what
        # an answer could have said, against what it said
        given = "\n".join(f"{h.chunk.title}\n{h.chunk.text}" for h in a.passages)
        row["facts_given"] = m.key_fact_score(given, facts) if facts and given else None
        row["list_f1"] = m.list_f1(a.text, q.members, q.list_distractors) if q.members else None
        row["cited_gold"], row["n_cited"] = m.citation_counts(cited, q.gold_groups)
        row["cited_support"] = sum(m.supports_passage(c.text, q.support) for c in a.citations)
        row["citation_recall"] = m.citation_recall(cited, q.gold_groups)
    return row


def _answer_values(ans: list[dict[str, Any]], unans: list[dict[str, Any]]) -> dict[str, float | None]:
    spoken = [r for r in ans if not r["refused"]]
    n_cited = sum(r["n_cited"] for r in ans)
    facts = [r["key_facts"] for r in ans if r["key_facts"] is not None]
    return {
        "answers/key_fact_accuracy": m.mean(facts),
        "answers/all_facts_rate": m.mean([float(f == 1.0) for f in facts]),
        "answers/facts_given": m.mean([r["facts_given"] for r in ans
                                       if r.get("facts_given") is not None]),
        "answers/list_f1": m.mean([r["list_f1"] for r in ans if r["list_f1"] is not None]),
        "answers/citation_precision": sum(r["cited_gold"] for r in ans) / n_cited if n_cited else None,
        "answers/citation_support_precision": sum(r["cited_support"] for r in ans) / n_cited if n_cited else None,
        "answers/citation_recall": m.mean([r["citation_recall"] for r in ans]),
        "answers/faithfulness": m.mean([r["faithfulness"] for r in spoken]),
        "answers/faithful_rate": m.mean([float(not r["unsupported"]) for r in spoken]),
        "answers/fallback_rate": m.mean([float(r["fallback"]) for r in ans + unans]),
        "refusal/refusal_rate": m.mean([float(r["refused"]) for r in unans]),
        "refusal/false_refusal_rate": m.mean([float(r["refused"]) for r in ans]),
    }


def answer_metrics(questions: list[Question], rows: dict[str, dict[str, Any]]) -> dict[str, float]:
    res: dict[str, float | None] = {}
    for name, qs in slices(questions):
        values = _answer_values([rows[q.id] for q in qs if q.answerable],
                                [rows[q.id] for q in qs if not q.answerable])
        for key, value in values.items():
            group, metric = key.split("/")
            res[f"{group}/{name}/{metric}"] = value
    for stage in sorted({s for r in rows.values() for s in r["timings"]}):
        times = [r["timings"][stage] for r in rows.values() if stage in r["timings"]]
        res[f"latency/{stage}/p50"], res[f"latency/{stage}/p95"] = m.percentile(times, 50), m.percentile(times, 95)
    return {k: v for k, v in res.items() if v is not None}
