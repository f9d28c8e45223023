"""Repetition: an answer that only repeats the question's words.

In:  the answer and the question. Out: whether the answer adds no content word of its own.
"""

from __future__ import annotations

import re

from assistant.answer.citations import CITE
from assistant.text import CJK

_FILLER = frozenset("a an the of and or in on at to for by with from as is are was were be been has have "
                    "had it its this that these those they their which what who whom whose how".split())


def _content(text: str) -> set[str]:
    """Words that carry content: Latin words (plural s dropped, fillers left out), numbers and
    single Chinese characters."""
    words = {w.lower().removesuffix("s") for w in re.findall(r"[A-Za-z]+", text)} - _FILLER - {""}
    return words | set(re.findall(r"\d+", text)) | set(CJK.findall(text))


def adds_nothing(answer: str, question: str) -> bool:
    """Whether the answer only repeats words of the question: "Xinjiang and Tibet" for "which two
    regions, one in Xinjiang and one in Tibet", "The two hospitals jointly held the conference"."""
    words = _content(CITE.sub(" ", answer))
    return bool(words) and words <= _content(question)
