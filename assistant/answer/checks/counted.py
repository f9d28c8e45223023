"""Counted kind: a count or an amount asked for is not answered with a number of another kind.

In:  the question, the Hits, the answer. Out: a reason when the question asks for a count in a
measure word (多少例, 几家, 多少名, 多少张) or for an amount of money (多少钱, 花费多少, "how much did
it cost/pay") and every number of the answer whose kind can be read is of another kind: "有多少人
死亡" answered with 326 where the article says "感染病例326例" (cases, not deaths); "义诊花了多少钱"
answered with "3000份" (copies of a leaflet, not money).
A number's kind is the measure word written right after it (a scale word such as 万 and an
approximation such as 多, 余 in between allowed): in the answer itself, or, when the answer writes
it bare, in the articles it cites. Measure words of one kind count the same things: 人/名/位/人次
(people; a report gives people served as 人次), 家/所 (institutions), 天/日, and money: 元, 钱,
块, 美元, yuan, RMB, dollars; any other word is its own kind.
Not handled: counts asked for in English ("how many cases": no measure word to compare; money
only), the generic 个 and nouns counted without a measure word (多少医生), numbers written as
Chinese numerals (十一人), numbers whose kind is written nowhere (they pass), and whether the
number is the right one of the right kind.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.checks.cited import cited_passages
from assistant.answer.checks.howmany import MEASURE
from assistant.answer.citations import CITE
from assistant.records import Hit
from assistant.text import CJK_CHARS

_MONEY = "元"
_KINDS = {"名": "人", "位": "人", "人次": "人", "所": "家", "日": "天", "钱": _MONEY, "块": _MONEY}
_ASKED = re.compile(rf"(?:多少|几)\s*(?:[万亿千百])?\s*(人次|[{MEASURE}钱块])")
_ASKED_MONEY = re.compile(
    r"(?:花费|费用|花了|价格|售价|金额|造价|自付|支付)[^？?，,。]{0,8}?(?:多少|几)"
    r"|\bhow much\b[^?]*?\b(?:cost|costs|pay|paid|spend|spent|price|fee|fees|charged?|money|fined?)\b",
    re.I)
_DIGITS = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d.])")
# what follows a number: a scale, an approximation, then the measure word (or a currency)
_AFTER = (rf"(?![\d.])\s*(?:[万亿千百])?\s*(?:[多余来])?\s*"
          rf"(人次|[美港欧日]元|yuan|rmb|dollars?|euros?|[{CJK_CHARS}])")
_CURRENCY = re.compile(r"[美港欧日]元|yuan|rmb|dollars?|euros?", re.I)


def kind(measure: str) -> str:
    return _MONEY if _CURRENCY.fullmatch(measure) else _KINDS.get(measure, measure)


def asked_kind(question: str) -> str | None:
    """The kind of number a question asks for (人 for 多少名, 家 for 几所, 元 for an amount of
    money), or None when it names no measure word, only the generic 个, or asks in English for
    anything but money."""
    m = _ASKED.search(question)
    if m is not None and m.group(1) != "个":  # a measure word named wins: 支付后有多少名患者
        return kind(m.group(1))
    return _MONEY if _ASKED_MONEY.search(question) else None


def written_kinds(number: str, texts: Sequence[str]) -> set[str]:
    """The kinds of what `texts` write right after `number` (see the module docstring)."""
    pattern = re.compile(rf"(?<![\d.]){re.escape(number)}{_AFTER}", re.I)
    return {kind(m.group(1).lower()) for text in texts for m in pattern.finditer(text)}


def other_kind(question: str, hits: list[Hit], reply: str,
               quotes: Sequence[str] = ()) -> str | None:
    """A reason when every number of the answer whose kind is written is of another kind than
    the one the question asks for."""
    asked = asked_kind(question)
    if asked is None:
        return None
    answer = CITE.sub(" ", reply)
    sources = cited_passages(reply, hits)
    found = [written_kinds(n, [answer]) or written_kinds(n, sources) for n in _DIGITS.findall(answer)]
    found = [k for k in found if k]
    if found and all(asked not in k for k in found):
        what = "an amount of money" if asked == _MONEY else f"a count in {asked}"
        return f"the question asks for {what}, and the answer's number is of another kind"
    return None
