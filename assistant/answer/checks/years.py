"""Years and ordinals: what the question names against what the sources mention.

In:  the question, the retrieved (and the cited) Hits. Out: the years and ordinals ("the 21st
team", 第二十一批) of the question that the sources, or the cited articles, do not mention.
"""

from __future__ import annotations

import re

from assistant.answer.checks.numbers import CN_NUMERAL, cn_value, whole_numbers
from assistant.records import Hit

_ORDINAL = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\b|第\s*(\d{1,3}|[一二三四五六七八九十两]+)",
                      re.I)


def unmentioned_ordinals(question: str, texts: list[str]) -> list[str]:
    """The ordinals the question names (“21st”, “第21批”, “第二十一批”), as written, when the texts
    mention none of them (in digits or Chinese numerals): sources about the 20th team do not
    answer a question about the 21st. [] when the question names no ordinal or one is mentioned.
    Ordinals spelled in English words ("twenty-first") are not read."""
    named: dict[int, str] = {}
    for m in _ORDINAL.finditer(question):
        digits, written = m.group(1) or m.group(2), m.group(0)
        if digits.isdigit():
            named.setdefault(int(digits), written)
        elif numeral := CN_NUMERAL.match(digits):
            named.setdefault(cn_value(numeral.group(0)), written)
    mentioned = set().union(*map(whole_numbers, texts)) if texts else set()
    return [] if not named or named.keys() & mentioned else list(named.values())


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def passage_texts(hits: list[Hit]) -> list[str]:
    """Each hit's headline, issue date and passage: what a check of "the sources mention" reads."""
    return [f"{h.chunk.title} {h.chunk.date or ''} {h.chunk.text}" for h in hits]


def absent_years(question: str, hits: list[Hit]) -> list[str]:
    """Years the question names (1900-2099) that no retrieved passage, headline or issue date
    mentions: the sources cannot be about that year (a 2025 question over 2026 reports)."""
    years = dict.fromkeys(_YEAR.findall(question))
    text = " ".join(passage_texts(hits))
    return [y for y in years if y not in text]


def about_other(question: str, cited: list[Hit], hits: list[Hit]) -> list[str]:
    """The years, and the ordinals ("the 21st team"), the question names when the articles of the
    cited passages mention none of them: an answer about the 2026 event or the 20th team does not
    answer a question about 2024 or the 21st. An article is read in all its retrieved passages
    (the year may be in the passage before the cited one); what it says outside them is not seen.
    """
    articles = {(h.chunk.file, h.chunk.page, h.chunk.position) for h in cited}
    texts = passage_texts([h for h in hits
                           if (h.chunk.file, h.chunk.page, h.chunk.position) in articles])
    years = list(dict.fromkeys(_YEAR.findall(question)))
    text = " ".join(texts)
    return ([] if any(y in text for y in years) else years) + unmentioned_ordinals(question, texts)
