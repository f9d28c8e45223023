"""`assistant bench --answers`: how long a user waits for evidence and for the answer.

In:  Settings (the endpoint, the models), the sample question set (eval/questions.jsonl) and its
     index (built like `assistant eval` builds it when missing).
Out: one dict: per design and condition, p50/p95 of the time to evidence, to the first answer
     token and to the whole answer, prompt and generated tokens, timeouts, answers that differ
     from the single-user answer (both texts listed), those of them that are mixed up (closer to
     another question's single-user answer than to their own) and the quality figures of the
     same answers (key facts, refusals of absent questions, false refusals).
Designs: "current" (the Settings as given), "wheel" (the same on the xllamacpp wheel's generic
llama.cpp, as before the build for this CPU), "fixed" (the same with the generating threads fixed
at all cores but one, as before they followed the machine's load) and "previous" (whole
passages in the prompt, the follow-up rewritten by the model first and every core generating on
the wheel, as before evidence-first answering), measured in the same run; by default all but
"fixed". Conditions: "idle"; "busy"
(the bench runs one CPU-bound process of its own for the whole condition); "users4" (4 threads
share one Answerer, each asking a quarter of the questions at once). `--threads auto,1,2`
instead compares llama.cpp thread settings, idle and busy. Each condition's figures count the
generating threads its answers got (`threads`).
Not handled: retrieval quality (`assistant eval`), the HTTP layer (`bench --api-load`).
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from assistant.answer.refusal import REFUSAL
from assistant.config import Settings, available_cores
from assistant.evaluation.metrics import mean, percentile
from assistant.evaluation.questions import Question, load_questions, select
from assistant.evaluation.scoring import score_answer
from assistant.records import Answer, Evidence
from assistant.text import grams

QUESTIONS = Path(__file__).resolve().parents[2] / "eval" / "questions.jsonl"
DESIGNS = {"current": {},
           "wheel": {"llm_server": "wheel"},
           "fixed": {"llm_threads": max(1, available_cores() - 1)},
           "previous": {"passage_chars": 0, "condense_followups": True, "llm_server": "wheel",
                        "llm_threads": available_cores(), "llm_batch_threads": available_cores()}}
DEFAULT_DESIGNS = ("current", "wheel", "previous")
CONDITIONS = ("idle", "busy", "users4")
FIGURES = ("evidence", "first_token", "total", "prompt_tokens", "cached_tokens", "generated_tokens")


def pick(path: Path, n: int, split: str = "test") -> list[Question]:
    """n questions of the split, spread evenly over the file (the same ones every run)."""
    qs = select(load_questions(path), split, path)
    step = max(1, len(qs) / n)
    return [qs[int(i * step)] for i in range(min(n, len(qs)))]


def timed(answerer, q: Question) -> dict[str, Any]:
    """One question through Answerer.stream(): the waits a user sees, the tokens, the scores."""
    t0, seen = time.monotonic(), {}
    for part in answerer.stream(q.question, [(h, "") for h in q.history]):
        now = round(time.monotonic() - t0, 3)
        if isinstance(part, Evidence):
            seen.setdefault("evidence", now)
        elif isinstance(part, str):
            seen.setdefault("first_token", now)
        elif isinstance(part, Answer):
            answer = part
    row = score_answer(q, answer)
    return {**row, **seen, "total": round(time.monotonic() - t0, 3),
            "prompt_tokens": answer.tokens.get("prompt", 0),
            "cached_tokens": answer.tokens.get("cached", 0),
            "generated_tokens": answer.tokens.get("generated", 0),
            "threads": answer.tokens.get("threads"),
            "timed_out": answer.fallback and "too long" in (answer.notice or "")}


class Hog:
    """One CPU-bound child process for as long as the `with` lasts: a busy desk machine."""

    def __enter__(self) -> Hog:
        self.proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()


def run_condition(answerer, questions: list[Question], condition: str) -> list[dict[str, Any]]:
    if condition == "idle":
        return [timed(answerer, q) for q in questions]
    if condition == "busy":
        with Hog():
            return [timed(answerer, q) for q in questions]
    users = [questions[i::4] for i in range(4)]
    with ThreadPoolExecutor(4) as pool:
        done = pool.map(lambda qs: [timed(answerer, q) for q in qs], users)
        return [dict(row, user=u) for u, rows in enumerate(done) for row in rows]


MIN_SHARED = 0.5  # of its words an answer must share with another question's answer to carry it


def mixed_up(qid: str, answer: str, single: dict[str, str]) -> bool:
    """True when `answer` (to question `qid`, asked together with others) carries someone else's
    answer: it shares more words with another question's single-user answer than with its own,
    and at least MIN_SHARED of them. Another wording of its own answer shares more with its own,
    and is not a mix-up. A refusal carries nobody's answer, and a refused single-user answer is
    nobody's to carry (every refusal reads the same): neither is compared."""
    refusals = set(REFUSAL.values())
    if answer.strip() in refusals:
        return False
    mine = grams(answer)

    def overlap(other: str) -> float:
        theirs = grams(other)
        return len(mine & theirs) / max(1, len(mine | theirs))

    own = 0.0 if single[qid].strip() in refusals else overlap(single[qid])
    return any(shared >= MIN_SHARED and shared > own
               for shared in (overlap(a) for q, a in single.items()
                              if q != qid and a.strip() not in refusals))


def summary(rows: list[dict[str, Any]], single: dict[str, str] | None = None) -> dict[str, Any]:
    """p50/p95 of each figure, timeouts, mixed-up answers and the quality of `rows`."""
    out: dict[str, Any] = {"n": len(rows)}
    for f in FIGURES:
        values = [r[f] for r in rows if r.get(f) is not None]
        if values:
            out[f"{f}_p50"], out[f"{f}_p95"] = percentile(values, 50), percentile(values, 95)
    answerable = [r for r in rows if "key_facts" in r]
    absent = [r for r in rows if "key_facts" not in r]
    out["timeouts"] = sum(r["timed_out"] for r in rows)
    out["threads"] = dict(Counter(str(r["threads"]) for r in rows if r.get("threads")))
    out["key_facts"] = mean([r["key_facts"] for r in answerable if r["key_facts"] is not None])
    out["absent_refused"] = mean([float(r["refused"]) for r in absent])
    out["false_refusals"] = mean([float(r["refused"]) for r in answerable])
    if single is not None:  # what differs is listed, to be read: another wording or a mix-up?
        differ = [r for r in rows if r["answer"] != single[r["id"]]]
        out["differing"] = {r["id"]: {"alone": single[r["id"]][:200], "together": r["answer"][:200]}
                            for r in differ}
        out["mixed_up"] = sum(mixed_up(r["id"], r["answer"], single) for r in differ)
    if any("user" in r for r in rows):
        out["worst_user_total_p95"] = max(
            percentile([r["total"] for r in rows if r["user"] == u], 95)
            for u in {r["user"] for r in rows})
    return out


def run_answers_bench(settings: Settings, n: int = 20, designs: tuple[str, ...] = DEFAULT_DESIGNS,
                      conditions: tuple[str, ...] = CONDITIONS, path: Path = QUESTIONS,
                      log=print) -> dict[str, Any]:
    from assistant.answer.pipeline import Answerer
    from assistant.evaluation.corpus import open_index
    from assistant.search.embed import load_embedder
    from assistant.search.retrieve import Retriever

    questions = pick(path, n)
    embedder = load_embedder(settings)
    index = open_index(settings, embedder, questions)
    results: dict[str, Any] = {"questions": len(questions), "split": "test", "designs": {}}
    for design in designs:
        s = settings.model_copy(update=DESIGNS[design])
        per: dict[str, Any] = {}
        single: dict[str, str] | None = None
        for condition in conditions:
            log(f"bench --answers: {design} / {condition} ({len(questions)} questions)")
            with fresh(Answerer(s, Retriever(index, embedder, s))) as answerer:
                rows = run_condition(answerer, questions, condition)
            if condition == "idle":
                single = {r["id"]: r["answer"] for r in rows}
            per[condition] = summary(rows, single if condition == "users4" else None)
        results["designs"][design] = per
    return results


@contextmanager
def fresh(answerer):
    """The answerer with its model warmed up (the server's start is not a user's wait) and with
    nothing of the bench's questions in the server's prompt cache: a new server per condition,
    so a condition never reads prompts an earlier one left cached."""
    try:
        answerer.start_model()
        answerer.ask("warm-up")
        yield answerer
    finally:
        answerer.close()


def run_threads_bench(settings: Settings, threads: list[str], n: int = 8,
                      path: Path = QUESTIONS, log=print) -> dict[str, Any]:
    """The current design with each llama.cpp thread setting, idle and busy: "1" (one thread),
    "2", "1/2" (one generating, two reading the prompt), or "auto" (the default: the
    generating threads follow the machine's load, local_server.SharedServer)."""
    from assistant.answer.pipeline import Answerer
    from assistant.evaluation.corpus import open_index
    from assistant.search.embed import load_embedder
    from assistant.search.retrieve import Retriever

    questions = pick(path, n)
    embedder = load_embedder(settings)
    index = open_index(settings, embedder, questions)
    out: dict[str, Any] = {}
    for t in threads:
        gen, _, batch = t.partition("/")
        s = settings.model_copy(update={"llm_threads": None if gen == "auto" else int(gen),
                                        "llm_batch_threads": int(batch) if batch else None})
        for condition in ("idle", "busy"):
            log(f"bench --threads: {t} thread(s) / {condition}")
            with fresh(Answerer(s, Retriever(index, embedder, s))) as answerer:
                out[f"threads={t}/{condition}"] = summary(run_condition(answerer, questions, condition))
    return out
