"""Years and ordinals: what the question names against what the sources mention.

In:  the question, the retrieved Hits (and an answer citing them). Out: the years and ordinals
("the 21st team", 第二十一批) of the question that the sources do not mention; the check
`about_other` (the articles an answer cites mention none of them); and the years in which the
passages report the same recurring event (recurring_years).
An ordinal is read only in an ordinal context: 第21…, 第二十一…, 21st, twenty-first, 首批 (the
first), “十四五” (the 14th Five-Year Plan). A cardinal with a measure word ("21人", "21 people")
mentions no ordinal. Years are read as dates.named_years reads them (not "2000万元").
Not handled: steering retrieval to the year (search/retrieve.py) or refusing (answer/pipeline.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from assistant.answer.checks.cited import cited_hits, passage_texts
from assistant.answer.checks.numbers import CN_NUMERAL, cn_value
from assistant.records import Hit
from assistant.search.dates import named_years
from assistant.search.lexical import expand
from assistant.text import CJK

_CN = "零〇一二三四五六七八九十百两"
_ORDINAL = re.compile(rf"\b(\d{{1,3}})(?:st|nd|rd|th)\b|第\s*(\d+|[{_CN}]+)", re.IGNORECASE)
_FIRST = re.compile(r"首(?=届|批|个|次|期|位|家|例)")
_PLAN = re.compile(r"(?<![零〇一二三四五六七八九十百两第])([一二三四五六七八九十]{1,3})五"
                   r"(?=”|」|规划|期间|时期|以来|末|开局|收官)")
_UNITS = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth",
          "tenth", "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth",
          "seventeenth", "eighteenth", "nineteenth"]
_TENS = {w: 10 * i for i, w in enumerate(
    ["_", "_", "twent", "thirt", "fort", "fift", "sixt", "sevent", "eight", "ninet"]) if i >= 2}
_WORD_ORDINAL = re.compile(rf"\b({'|'.join(_TENS)})(?:ieth|y[- ]({'|'.join(_UNITS)}))\b"
                           rf"|\b({'|'.join(_UNITS)})\b", re.IGNORECASE)


def _value(digits: str) -> int | None:
    if digits.isdigit():
        return int(digits)
    numeral = CN_NUMERAL.match(digits)
    return cn_value(numeral.group(0)) if numeral else None


def _named(question: str) -> dict[int, str]:
    """The ordinals a question names in digits or with 第 (“21st”, “第21批”, “第二十一批”)."""
    named: dict[int, str] = {}
    for m in _ORDINAL.finditer(question):
        if (value := _value(m.group(1) or m.group(2))) is not None:
            named.setdefault(value, m.group(0))
    return named


def ordinals(text: str) -> set[int]:
    """The ordinals a text mentions (see the module docstring for what counts as one)."""
    found = {v for v in _named(text)}
    found |= {1 for _ in _FIRST.finditer(text)}
    found |= {cn_value(m.group(1)) for m in _PLAN.finditer(text) if CN_NUMERAL.fullmatch(m.group(1))}
    for m in _WORD_ORDINAL.finditer(text):
        tens, unit = m.group(1), m.group(2) or m.group(3)
        found.add((_TENS[tens.lower()] if tens else 0)
                  + (_UNITS.index(unit.lower()) + 1 if unit else 0))
    return found


def unmentioned_ordinals(question: str, texts: list[str]) -> list[str]:
    """The ordinals the question names (“21st”, “第21批”, “第二十一批”), as written, when the texts
    mention none of them as ordinals: sources about the 20th team, or a team of 21 people, do not
    answer a question about the 21st. [] when the question names no ordinal or one is mentioned.
    Ordinals spelled in English words ("twenty-first") are read in the texts, not in the question
    ("second" is too often no ordinal there: "second prize")."""
    named = _named(question)
    mentioned = set().union(*map(ordinals, texts)) if texts else set()
    return [] if not named or named.keys() & mentioned else list(named.values())


def absent_years(question: str, hits: list[Hit], years: list[str] | None = None) -> list[str]:
    """The years the question names (or `years`: those a relative time like "去年" stands for)
    that no retrieved passage, headline or issue date mentions: the sources cannot be about that
    year (a 2025 question over 2026 reports)."""
    text = " ".join(passage_texts(hits))
    return [y for y in dict.fromkeys(named_years(question) + list(years or [])) if y not in text]


def about_other(question: str, hits: list[Hit], reply: str,
                quotes: Sequence[str] = ()) -> str | None:
    """A reason when the question names years, or ordinals ("the 21st team"), and the articles the
    answer cites (cited.cited_hits) mention none of them: an answer about the 2026 event or the
    20th team does not answer a question about 2024 or the 21st. A question that names none
    passes; so does one whose year is an issue date of a cited article."""
    texts = passage_texts(cited_hits(reply, hits))
    years = named_years(question)
    text = " ".join(texts)
    other = ([] if any(y in text for y in years) else years) + unmentioned_ordinals(question, texts)
    if not other:
        return None
    return f"the question asks about {', '.join(other)}; the articles it cites do not mention it"


EVENT_CHARS = 4  # a shared event name: at least this many CJK characters (中国医师节, 献血者日)


def recurring_years(question: str, hits: list[Hit], glossary: Path | None = None) -> list[str]:
    """The years, oldest first, in which the passages report the same recurring event as the best
    one, when there are two or more: a question that names no year over yearly reports
    (医师节 2023, 2024, 2025) is answered from one of them, and the user should know the others
    exist. Two passages report the same event when their headlines, with digits and ordinals
    taken out, share a run of EVENT_CHARS or more CJK characters of which the question (an
    English one with the terms of the `glossary` file, lexical.expand) also has EVENT_CHARS; an English
    question with no glossary term is matched on the headlines alone. A passage's year is its
    issue date's, else the one its headline names; undated passages without one are left out.
    [] when the passages are about one year, or about different things."""
    if not hits:
        return []
    first, asked = _bare(hits[0].chunk.title), _bare(expand(question, glossary))
    years = {_year(hits[0])} - {""}
    for h in hits[1:]:
        shared = _shared_run(first, _bare(h.chunk.title))
        if years and _year(h) and shared and (not CJK.search(asked) or _shared_run(shared, asked)):
            years.add(_year(h))
    return sorted(years) if len(years) > 1 else []


def _year(h: Hit) -> str:
    return (h.chunk.date or "")[:4] or next(iter(named_years(h.chunk.title)), "")


def _bare(title: str) -> str:
    """A headline without digits, ordinals and year words: what stays the same from year to year."""
    return re.sub(rf"第\s*[\d{_CN}]+\s*[个届次期批]?|\d+\s*年?|[^\w]", " ", title)


def _shared_run(a: str, b: str) -> str:
    """The longest run of EVENT_CHARS or more CJK characters that a and b share ('' if none)."""
    best = ""
    for word in re.findall(rf"{CJK.pattern}{{{EVENT_CHARS},}}", a):
        for i in range(len(word)):
            for j in range(i + max(EVENT_CHARS, len(best) + 1), len(word) + 1):
                if word[i:j] not in b:
                    break
                best = word[i:j]
    return best
