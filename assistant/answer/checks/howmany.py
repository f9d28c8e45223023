"""How many: a question asking for a count must get a number of the answer's own.

In:  the question and the answer. Out: a reason when the question asks how many or how much
("how many", "how much", 多少, 几) and the answer gives no count that the question does not
already write: "20" for "the 20th team" restates the question, "一批风险隐患" ("a batch of
risks") dodges it.
A count is any number written in digits; a Chinese numeral of two characters or more (十一,
二十三) or one followed by a measure word (三家, 五名, 两个); an English number word (eleven,
twenty-one, a dozen). "一行" (the party), "一批" (a batch) and "三明" (a city) are no counts.
Not handled: counts in words other than these ("several", "dozens", "数十"), and whether the
count is the right one (numbers.py checks that it is in the sources).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.checks.numbers import chinese_numbers, digit_numbers, word_numbers
from assistant.answer.citations import CITE
from assistant.records import Hit

_HOW_MANY = re.compile(r"\bhow (?:many|much)\b|多少|(?<!哪)几(?!乎|何|率)", re.I)
MEASURE = "人名位个家所项次例条件种台支座张批届期年月天日周岁元倍轮队级篇本场辆床"
_ONE_MEASURE = MEASURE.replace("批", "").replace("级", "")  # 一批: a batch; 一级: first-class


def counts(text: str) -> set[float]:
    """The counts `text` writes (see the module docstring for what is one)."""
    text = CITE.sub(" ", text)
    found = {float(n) for n, _ in digit_numbers(text)} | {float(v) for v in word_numbers(text)}
    for value, written, end in chinese_numbers(text):
        after = text[end:end + 1]
        single = len(written) == 1
        if not single or (after and after in (_ONE_MEASURE if written == "一" else MEASURE)):
            found.add(float(value))
    return found


def asks_how_many(question: str) -> bool:
    return _HOW_MANY.search(question) is not None


def no_asked_number(question: str, hits: list[Hit], reply: str,
                    quotes: Sequence[str] = ()) -> str | None:
    """A reason when a how-many question gets an answer with no count of its own."""
    if not asks_how_many(question) or counts(reply) - counts(question):
        return None
    return "the question asks how many, and the answer gives no number"
