"""Says absent: an answer that, in its own words, only says the sources lack the answer.

In:  the answer. Out: a reason when every statement in it says the sources do not give the
answer ("The budget is not mentioned in the sources.", "报道中未提及具体人数。"): the model
declined without the NOT_IN_ARCHIVE marker, and its text would read as an answer.
A statement is a sentence or a clause after ";", "but", "however", 但, 不过; an answer with
one statement of its own besides the hedge ("held in Fuzhou [1]; the exact venue is not
mentioned") stands as written.
Not handled: a hedge inside the very clause that states the fact ("the meeting, whose date is
not given, …" counts as saying absent), and absence said in other words than the phrases below.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.citations import has_words
from assistant.records import Hit

_ABSENT = re.compile(
    r"\bnot (?:provided|mentioned|stated|specified|given|available|included|found)\b"
    r"|\b(?:does|do|did)(?: not|n't) (?:say|mention|state|specify|provide|contain|include)\b"
    r"|\bno (?:information|mention|details?)\b|\bcannot be (?:found|determined)\b"
    r"|未提及|没有提及|未提到|没有提到|未说明|没有说明|未提供|没有提供|无法确定|无法回答|没有相关信息|未找到",
    re.I)
_STATEMENTS = re.compile(r"(?<=[.!?])\s+|[。！？；;\n]|,?\s*\b(?:but|however)\b|[，,]?\s*(?:但是?|不过)")


def statements(text: str) -> list[str]:
    """The sentences and clauses of `text` that hold words (not just "[1]")."""
    return [s for s in _STATEMENTS.split(text) if s and has_words(s)]


def says_absent(question: str, hits: list[Hit], reply: str,
                quotes: Sequence[str] = ()) -> str | None:
    """A reason when all the answer says is that the sources lack the answer."""
    said = statements(reply)
    if said and all(_ABSENT.search(s) for s in said):
        return "it says the sources do not answer"
    return None
