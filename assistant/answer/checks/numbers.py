"""Number grounding: numbers in the answer against the question and the sources.

In:  the answer, the question, the retrieved Hits. Out: the answer's numbers no source contains,
whether a how-many question got a number of its own, the whole numbers of a text (digits or
Chinese numerals up to 99).
"""

from __future__ import annotations

import re

from assistant.answer.citations import CITE
from assistant.records import Hit

_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿|thousand|million|billion)?", re.I)
_SCALE = {"万": 1e4, "亿": 1e8, "thousand": 1e3, "million": 1e6, "billion": 1e9}


def _numbers(text: str) -> list[tuple[str, str]]:
    """(number, unit word or "") pairs, citation markers and thousands separators dropped."""
    return _NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", CITE.sub(" ", text)))


def _values(text: str) -> set[float]:
    """Each number as written and, after a unit word, as scaled (1.52亿 -> 1.52 and 1.52e8)."""
    found = set()
    for number, unit in _numbers(text):
        found.add(round(float(number), 6))
        if unit:
            found.add(round(float(number) * _SCALE[unit.lower()], 6))
    return found


_HOW_MANY = re.compile(r"\bhow (?:many|much)\b|多少|(?<!哪)几", re.I)


def lacks_asked_number(answer: str, question: str) -> bool:
    """Whether a how-many question ("how many", 多少, 几) got an answer without a number of its
    own: "20" for "the 20th team" or "一批" ("a batch") restates the question or dodges it."""
    if not _HOW_MANY.search(question):
        return False
    return not _values(answer) - _values(question)


def ungrounded_numbers(answer: str, question: str, hits: list[Hit]) -> list[str]:
    """Numbers in the answer that are in no retrieved passage, headline or issue date, nor in the
    question (unit words are converted: 8.83亿 grounds "883 million"). Chinese numerals in the
    sources (十五五, 第二十一批) are not read: such an answer number counts as ungrounded."""
    known = _values(question)
    for h in hits:
        known |= _values(f"{h.chunk.title} {h.chunk.date or ''} {h.chunk.text}")
    missing = []
    for number, unit in _numbers(answer):
        if not _values(number + unit) & known and number not in missing:
            missing.append(number)
    return missing


CN_NUMERAL = re.compile(r"(?<![零〇一二三四五六七八九十两百千])"
                        r"(?:[一二三四五六七八九两]?十[一二三四五六七八九]?|[一二三四五六七八九两])")
_CN_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}


def cn_value(numeral: str) -> int:
    """一 -> 1, 十五 -> 15, 二十一 -> 21 (what CN_NUMERAL matches: 1-99)."""
    tens, ten, units = numeral.rpartition("十")
    if not ten:
        return _CN_DIGIT[units]
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[units] if units else 0)


def whole_numbers(text: str) -> set[int]:
    """Whole numbers written in digits or in Chinese numerals up to 99. A run that is no valid
    numeral counts as its longest valid start: “十四五” (the 14th Five-Year Plan) -> 14."""
    return ({int(d) for d in re.findall(r"(?<![\d.])\d+(?!\d|\.\d)", text)}
            | {cn_value(m) for m in CN_NUMERAL.findall(text)})
