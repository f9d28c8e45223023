"""Whether a question is taken at all, and whether its passages are worth asking the model.

In:  the question and Settings; the retrieved hits.
Out: `check_question()` -> the question stripped, or QuestionError (empty, too long);
     `is_relevant()` -> whether the best passage is close enough to the question.
Not handled here: a question naming a year or ordinal no passage mentions (dated.py), the
checks on the model's answer (checks/).
"""

from __future__ import annotations

from assistant.config import Settings
from assistant.errors import QuestionError
from assistant.records import Hit


def check_question(question: str, settings: Settings) -> str:
    q = question.strip()
    if not q:
        raise QuestionError("the question is empty")
    if len(q) > settings.max_question_chars:
        raise QuestionError(f"the question is {len(q)} characters long; the limit is "
                            f"{settings.max_question_chars} (ASSISTANT_MAX_QUESTION_CHARS)")
    return q


def is_relevant(hits: list[Hit], settings: Settings) -> bool:
    """Whether the best passage is close enough to the question to be worth asking the model:
    its cosine score reaches Settings.min_dense_score (calibrated for the default embedding model);
    without dense scores (a BM25-only search), whether any question word was found at all."""
    dense = [h.dense_score for h in hits if h.dense_score is not None]
    if dense:
        return max(dense) >= settings.min_dense_score
    return any((h.bm25_score or 0) > 0 for h in hits)
