"""Re-run the answer checks on the model replies an evaluation logged: no model, no index.

In:  the folder of an `assistant eval` run (its answers.jsonl and replies.jsonl: each model reply
     with the passages it was given), the run's question set, Settings and check profiles.
Out: a summary like run.run_eval's, answer figures only, for the profile in Settings and each
     other profile asked for, on exactly the replies of the run: a change to a check (answer/
     checks/) or to how a reply is read (quotes.py, citations.py) is measured in seconds instead of
     a run of an hour, with no model's chance in the difference.
A question answered without the model (refused before it, the extractive fallback) keeps its
logged answer. Not handled: anything the model would now say differently (a prompt, passage or
retrieval change needs a new run), the yes/no model check (it needs the model: skipped, flagged
in the summary when it is on), retrieval figures (they are in the run's own summary).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation.questions import Question, load_questions, select
from assistant.evaluation.scoring import K, answer_metrics, score_answer
from assistant.records import Answer, Chunk, Citation, Hit

REPLIES = "replies.jsonl"
ANSWERS = "answers.jsonl"


def reply_record(question_id: str, answer: Answer) -> dict[str, Any] | None:
    """The line replies.jsonl keeps for one answer: the model's reply and its passages; None when
    the model was not asked."""
    if not answer.model_reply:
        return None
    return {"id": question_id, "question": answer.question, "reply": answer.model_reply,
            "passages": [{"chunk": h.chunk.to_dict(), "score": h.score, "dense_score": h.dense_score,
                          "bm25_score": h.bm25_score} for h in answer.passages]}


def start_log(folder: Path) -> None:
    """Empty `folder`'s answers.jsonl and replies.jsonl for a new run (log_answer appends)."""
    for name in (ANSWERS, REPLIES):
        (folder / name).unlink(missing_ok=True)


def log_answer(folder: Path, question_id: str, answer: Answer) -> None:
    """Append one answer to answers.jsonl and, when the model was asked, its reply to
    replies.jsonl: written as answers come, so that a long run's work survives a stop."""
    lines = [(ANSWERS, answer.to_dict() | {"id": question_id}),
             (REPLIES, reply_record(question_id, answer))]
    for name, record in lines:
        if record is not None:
            with (folder / name).open("a", encoding="utf-8") as f:
                f.write(json.dumps(record, ensure_ascii=False) + "\n")


def _lines(path: Path) -> dict[str, dict[str, Any]]:
    """id -> record of a JSONL log; a clear error naming the file and line when one is bad."""
    out = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            out[record["id"]] = record
        except (ValueError, KeyError, TypeError) as e:
            raise AssistantError(f"{path}: line {n} is not a logged answer ({e})") from e
    return out


def _logged_answer(d: dict[str, Any]) -> Answer:
    return Answer(d["question"], d["answer"], [Citation(**c) for c in d["citations"]],
                  refused=d["refused"], fallback=d["fallback"], notice=d.get("notice"),
                  flags=list(d.get("flags", [])), quote=d.get("quote", ""), model=d.get("model", ""),
                  timings=dict(d.get("timings", {})), tokens=dict(d.get("tokens", {})),
                  checks=d.get("checks", ""))


def _passages(record: dict[str, Any]) -> list[Hit]:
    return [Hit(Chunk.from_dict(p["chunk"]), p["score"], p.get("dense_score"), p.get("bm25_score"))
            for p in record["passages"]]


def replay(settings: Settings, folder: Path, questions_path: Path, split: str = "all",
           also_profiles: Sequence[str] = ()) -> dict[str, Any]:
    """The answer figures of `folder`'s logged replies re-checked by the current code (see the
    module docstring). Only the questions of `split` the run logged are scored (a run that was
    stopped scores what it answered); a logged question whose text differs from the set's is an
    error, naming the file and the question."""
    from assistant.answer.pipeline import Answerer
    t0 = time.monotonic()
    answers_path, replies_path = folder / ANSWERS, folder / REPLIES
    for path in (answers_path, replies_path):
        if not path.is_file():
            raise AssistantError(f"{path}: not found; `assistant eval --out {folder}` writes it")
    logged, replies = _lines(answers_path), _lines(replies_path)
    questions = [q for q in select(load_questions(questions_path), split, questions_path)
                 if q.id in logged]
    if not questions:
        raise AssistantError(f"{answers_path}: no answer to a question of {questions_path} ({split})")
    answerer = Answerer(settings, retriever=None, also_profiles=also_profiles)
    profiles = [settings.checks_profile, *answerer.also_profiles]
    rows: dict[str, dict[str, dict[str, Any]]] = {p: {} for p in profiles}
    for q in questions:
        if logged[q.id]["question"] != q.question:
            raise AssistantError(f"{answers_path}: {q.id} was asked as {logged[q.id]['question']!r}, "
                                 f"not as {questions_path} asks it")
        for p in profiles:
            rows[p][q.id] = score_answer(q, _checked(answerer, q, logged[q.id], replies.get(q.id), p))
    answerer.close()
    by_profile = {p: answer_metrics(questions, r) for p, r in rows.items()}
    main = settings.checks_profile
    models = sorted({a.get("model") or "" for a in logged.values()} - {""})
    meta = {"replayed": str(folder), "questions": str(questions_path), "split": split,
            "n_questions": len(questions), "n_replies": sum(q.id in replies for q in questions),
            "model_check_skipped": bool(settings.model_check and main == "strict"),
            "retrieval_only": False, "k": K, "embed_model": "not re-run (replay)",
            "llm_model": f"replies of {', '.join(models) or 'no model'} (replay)",
            "finished": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "wall_seconds": round(time.monotonic() - t0, 1)}
    summary = {"meta": meta, "metrics": by_profile[main],
               "per_question": [{"question": q.question, **rows[main][q.id]} for q in questions]}
    return summary | ({"profiles": by_profile} if len(profiles) > 1 else {})


def _checked(answerer, q: Question, logged: dict[str, Any], reply: dict[str, Any] | None,
             profile: str) -> Answer:
    """q's answer under `profile`: the logged reply re-checked, or the logged answer when the
    model was not asked (or its reply now reads as no answer, as the run's fallback did)."""
    from assistant.answer.prompting import language
    before = _logged_answer(logged)
    if reply is None:
        return before
    try:
        answer = answerer.checked(q.question, reply["reply"], _passages(reply),
                                  language(q.question), None, profile)
    except AssistantError:
        return before
    answer.timings, answer.tokens = before.timings, before.tokens
    return answer
