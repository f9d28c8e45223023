"""Repetition: an answer that only repeats the question's words.

In:  the question and the answer. Out: a reason when every content word of the answer (Latin
words, numbers, single Chinese characters) is already in the question, English words compared
without their inflection ("published" is "publish", "opening" is "open"): "Nanping and Sanming"
for "which two cities, one of them Nanping and one Sanming", "The two hospitals jointly held the
forum" for "which two hospitals jointly held the forum". The pipeline then shows the
model's located quotes instead of such an answer (it withholds nothing).
An either/or question ("Nanping or Fuzhou?", "是第20批还是第21批？") is answered by naming one
of the options: an answer that names the words of one side of the "or" and not of the other is
an answer, not a repetition.
Not handled: paraphrase (an answer restating the question in other words passes), irregular
forms ("held" for "hold", "cities" for "city" count as new words), choices among
three or more options written as a list ("A, B or C": only B and C are told apart).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.citations import CITE
from assistant.records import Hit
from assistant.search.lexical import tokenize
from assistant.text import CJK

_FILLER = frozenset("a an the of and or in on at to for by with from as is are was were be been has have "
                    "had it its this that these those they their which what who whom whose how".split())
_OR = re.compile(r"\bor\b|还是|或者|或是|抑或", re.I)
_NEAR = 3  # words on each side of the "or" that can name an option


_INFLECTIONS = ("ing", "ed", "es", "s", "d")  # tried in this order; the stem keeps 3+ letters


def stem(word: str) -> str:
    """`word` lower-cased without a regular English inflection: "published" and "publishes" ->
    "publish", "opening" -> "open", "used" -> "use", "hospitals" -> "hospital"."""
    word = word.lower()
    for ending in _INFLECTIONS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            return word[:-len(ending)]
    return word


def _content(text: str) -> set[str]:
    """Words that carry content: Latin words (stemmed, fillers left out), numbers and single
    Chinese characters."""
    latin = [w.lower() for w in re.findall(r"[A-Za-z]+", text)]
    words = {stem(w) for w in latin if w not in _FILLER}
    return words | set(re.findall(r"\d+", text)) | set(CJK.findall(text))


def picks_an_option(answer: str, question: str) -> bool:
    """Whether `answer` names words of exactly one side of an either/or question's "or": the
    words next to it (up to _NEAR on each side), less the ones both sides share."""
    said = set(tokenize(answer))
    for m in _OR.finditer(question):
        left = set(tokenize(question[:m.start()])[-_NEAR:])
        right = set(tokenize(question[m.end():])[:_NEAR])
        left, right = left - right, right - left
        if bool(said & left) != bool(said & right):
            return True
    return False


def adds_nothing(answer: str, question: str) -> bool:
    """Whether the answer only repeats words of the question (and picks no option of it)."""
    bare = CITE.sub(" ", answer)
    words = _content(bare)
    return bool(words) and words <= _content(question) and not picks_an_option(bare, question)


def repeats_question(question: str, hits: list[Hit], reply: str,
                     quotes: Sequence[str] = ()) -> str | None:
    """A reason when the answer adds no word of its own to the question."""
    if adds_nothing(reply, question):
        return "the model's answer only repeated the question"
    return None
