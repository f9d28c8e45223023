"""Counted kind: a count asked for in one measure word is not answered with a count of another.

In:  the question, the Hits, the answer. Out: a reason when a Chinese question asks for a count
with a measure word (多少例, 几家, 多少名, 多少张, 多少万元) and every number of the answer that the
cited articles write with a measure word is written there with one of another kind: "本地病例有
多少例" answered with 281 where the article says "死亡者达281人" (deaths, not cases); "几家医院"
answered with "3" from "3名专家". Measure words of one kind count the same things: 人/名/位
(people), 家/所 (institutions), 天/日, 元 (money, at any scale: 万元, 亿元), and each other one
alone; 人次 (visits) is not 人.
Not handled: English questions (no measure word to compare), the generic 个 and nouns counted
without a measure word (多少医生), Chinese numerals in the articles (十一人), numbers written
bare in the articles (they pass), and whether the number is the right one of the right kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.checks.cited import cited_passages
from assistant.answer.checks.howmany import MEASURE
from assistant.answer.citations import CITE
from assistant.records import Hit

_KINDS = {"名": "人", "位": "人", "所": "家", "日": "天", "钱": "元", "块": "元"}
_ASKED = re.compile(rf"(?:多少|几)\s*(?:[万亿千百])?\s*(人次|[{MEASURE}钱块])")
_DIGITS = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")


def kind(measure: str) -> str:
    return _KINDS.get(measure, measure)


def asked_kind(question: str) -> str | None:
    """The kind of count a Chinese question asks for (人 for 多少名, 家 for 几所), or None when it
    names no measure word or only the generic 个."""
    m = _ASKED.search(question)
    return None if m is None or m.group(1) == "个" else kind(m.group(1))


def written_kinds(number: str, texts: Sequence[str]) -> set[str]:
    """The kinds of the measure words `texts` write right after `number` (a scale word such as
    万 between them allowed; 人次 read as one word)."""
    pattern = re.compile(rf"(?<![\d.]){re.escape(number)}(?![\d.])\s*(?:[万亿千百])?\s*(人次|[{MEASURE}])")
    return {kind(m.group(1)) for text in texts for m in pattern.finditer(text)}


def other_kind(question: str, hits: list[Hit], reply: str,
               quotes: Sequence[str] = ()) -> str | None:
    """A reason when the answer's counts are, in its cited articles, counts of another kind."""
    asked = asked_kind(question)
    if asked is None:
        return None
    texts = cited_passages(reply, hits)
    found = [written_kinds(n, texts) for n in _DIGITS.findall(CITE.sub(" ", reply))]
    found = [k for k in found if k]
    if found and all(asked not in k for k in found):
        return f"the question counts {asked}, and the articles write the answer's number as a count of another kind"
    return None
