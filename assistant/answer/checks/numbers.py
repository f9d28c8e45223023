"""Numbers in text, and the check that an answer's numbers come from the articles it cites.

In:  texts (an answer, a question, passages). Out: the numbers they write: digits (with 千, 万,
亿, 百万, 千万, thousand, million, billion scaled), Chinese numerals (十一, 一百二十, 三千五百,
两万), English number words (eleven, twenty-one); and the check `ungrounded`.
Rule (ungrounded): every number the answer writes in digits, or as a Chinese numeral of two
characters or more (十一, 二十), is in a cited article's retrieved passages, headlines or issue
dates, or in the question, however either side writes it ("11" is grounded by "十一人",
"883 million" by "8.83亿"). A number the answer writes with a scale word must be grounded at
that scale: "1.5 billion" over a source's "1.5亿" (150 million) is a wrong figure, not a
rewording, while a bare "1.5" stays grounded by "1.5亿".
Not handled: single Chinese digits in the answer (一, 三: 一行 "the party", 统一, 三明 are no
counts), fractions written in words, arithmetic (a total the answer adds up from the parts), and
numbers in the parts of an article that were not retrieved.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.checks.cited import cited_passages
from assistant.answer.citations import CITE
from assistant.records import Hit

_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(千万|百万|万亿|千|万|亿|thousand|million|billion)?", re.I)
_SCALE = {"千": 1e3, "万": 1e4, "百万": 1e6, "千万": 1e7, "亿": 1e8, "万亿": 1e12,
          "thousand": 1e3, "million": 1e6, "billion": 1e9}

_DIGIT = "一二三四五六七八九两"
_CN_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2, "〇": 0}
# a Chinese numeral below 10,000, optionally times 万 or 亿: 十一, 一百零五, 三千五百, 两万
_SMALL = rf"(?:[{_DIGIT}]千)?(?:零?[{_DIGIT}]百)?(?:零?[{_DIGIT}]?十)?(?:零?[{_DIGIT}])?"
CN_NUMBER = re.compile(rf"(?<![零〇{_DIGIT}十百千])(?=[{_DIGIT}十])({_SMALL})([万亿])?")
# the ordinal-era 1-99 form read by years.py (第二十一批, “十四五”)
CN_NUMERAL = re.compile(rf"(?<![零〇一二三四五六七八九十两百千])"
                        rf"(?:[{_DIGIT}]?十[一二三四五六七八九]?|[{_DIGIT}])")

_UNITS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
          "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = {w: 10 * i for i, w in enumerate(
    "_ _ twenty thirty forty fifty sixty seventy eighty ninety".split()) if i >= 2}
_WORDS = re.compile(rf"\b(?:({'|'.join(_TENS)})(?:[- ]({'|'.join(_UNITS[1:10])}))?|"
                    rf"({'|'.join(_UNITS)})|(dozen))\b(?:\s+(hundred|thousand|million))?", re.I)


def cn_value(numeral: str) -> int:
    """一 -> 1, 十五 -> 15, 一百零五 -> 105, 三千五百 -> 3500 (what CN_NUMBER's first group
    matches; a bare 十 counts as 10)."""
    total, digit = 0, None
    for char in numeral:
        if char in "十百千":
            total += (1 if digit is None else digit) * {"十": 10, "百": 100, "千": 1000}[char]
            digit = None
        elif char in _CN_VALUE:
            digit = _CN_VALUE[char] or None
    return total + (digit or 0)


def chinese_numbers(text: str) -> list[tuple[int, str, int]]:
    """(value, the numeral as written, where it ends) of each Chinese numeral in `text`."""
    found = []
    for m in CN_NUMBER.finditer(text):
        if m.group(1):
            scale = {"万": 10_000, "亿": 100_000_000}.get(m.group(2) or "", 1)
            found.append((cn_value(m.group(1)) * scale, m.group(0), m.end()))
    return found


def word_numbers(text: str) -> set[int]:
    """English number words: eleven -> 11, twenty-one -> 21, three hundred -> 300, a dozen -> 12."""
    found = set()
    for m in _WORDS.finditer(text):
        tens, unit, single, dozen, scale = m.groups()
        value = (_TENS[tens.lower()] + (_UNITS.index(unit.lower()) if unit else 0) if tens
                 else 12 if dozen else _UNITS.index(single.lower()))
        found.add(value * {"hundred": 100, "thousand": 1000, "million": 10**6}.get(
            (scale or "").lower(), 1))
    return found


def digit_numbers(text: str) -> list[tuple[str, str]]:
    """(number, unit word or "") pairs written in digits; citation markers and thousands
    separators dropped."""
    return _NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", CITE.sub(" ", text)))


def _at_scale(number: str, unit: str) -> float:
    """The amount a number and its unit word write (1.52亿 -> 1.52e8; no unit: the number)."""
    return round(float(number) * (_SCALE[unit.lower()] if unit else 1), 6)


def _scaled(number: str, unit: str) -> set[float]:
    """A number as written and, after a unit word, as scaled (1.52亿 -> 1.52 and 1.52e8)."""
    return {round(float(number), 6), _at_scale(number, unit)}


def values(text: str) -> set[float]:
    """Every number `text` writes, however it writes it (digits, Chinese numerals, words)."""
    found = {v for number, unit in digit_numbers(text) for v in _scaled(number, unit)}
    found |= {float(v) for v, _, _ in chinese_numbers(text)}
    return found | {float(v) for v in word_numbers(text)}


def whole_numbers(text: str) -> set[int]:
    """Whole numbers written in digits or as Chinese numerals: 一百二十 reads as 120, “十四五”
    (the 14th Five-Year Plan) as 14 (a run that is no numeral as a whole: its longest valid
    start); 1.52 and 21.5 are no whole numbers."""
    return ({int(d) for d in re.findall(r"(?<![\d.])\d+(?!\d|\.\d)", text)}
            | {v for v, _, _ in chinese_numbers(text)})


def ungrounded_numbers(answer: str, question: str, passages: Sequence[str]) -> list[str]:
    """The numbers of `answer` (digits, and Chinese numerals of two characters or more) that
    neither the question nor any of `passages` writes, in any form."""
    known = values(question)
    for text in passages:
        known |= values(text)
    missing = []
    for number, unit in digit_numbers(answer):
        written = f"{number} {unit}" if unit.isalpha() and unit.isascii() else number + unit
        if _at_scale(number, unit) not in known and written not in missing:
            missing.append(written)
    for value, written, _ in chinese_numbers(CITE.sub(" ", answer)):
        if len(written) > 1 and float(value) not in known and written not in missing:
            missing.append(written)
    return missing


def ungrounded(question: str, hits: list[Hit], reply: str, quotes: Sequence[str] = ()) -> str | None:
    """A reason when the answer states a number that the articles it cites (all retrieved
    passages when it cites none) and the question do not contain: a small model's invented
    figure ("一行共30人" over a report of 11)."""
    missing = ungrounded_numbers(reply, question, cited_passages(reply, hits))
    if not missing:
        return None
    verb = "is" if len(missing) == 1 else "are"
    return f"{', '.join(missing)} {verb} in none of its sources"
