"""The years and ordinals a question names, between retrieval and the model.

In:  the question, the retriever's Retrieval (hits, the time the question names, a note), the
retriever itself for a deeper search, and the user's Filters. Out: the passages to answer from
(steered to the named year or ordinal), what of it no passage mentions (the pipeline refuses,
naming it), and the notice the answer carries: the retriever's note ("no issue from 2022 in the
archive; showing other years"), or, for a question that names no time over reports of the same
recurring event from several years, the years found.
Not handled: reading time expressions (search/dates.py), the date-filtered search
(search/retrieve.py), the checks on the model's reply (checks/).
"""

from __future__ import annotations

from assistant.answer.checks.cited import passage_texts
from assistant.answer.checks.years import (
    absent_years,
    recurring_years,
    unmentioned_ordinals,
)
from assistant.records import Hit

SEVERAL_YEARS = {
    "en": "The archive reports this for {years}; the question names no year, so each cited fact "
          "gives the issue and date it comes from.",
    "zh": "档案中{years}均有相关报道；问题未指明年份，每条引用均注明其期号和日期。"}


def named_but_missing(asked: str, hits: list[Hit], found) -> list[str]:
    """The years (those the question writes, and those a relative time like "去年" stands for)
    and the ordinals the question names that no passage mentions."""
    years = list(found.scope.years) if found.scope else []
    return absent_years(asked, hits, years) + unmentioned_ordinals(asked, passage_texts(hits))


def steer(retriever, query: str, asked: str, found, filters, k: int, deeper: int) -> list[Hit]:
    """The k passages to answer from: the retrieved ones, unless they lack a year or an ordinal
    the question names ("the 21st team") while passages further down the ranking (the best
    `deeper`) have it: those come first then, the others after them. Nothing is refused here."""
    hits = found.hits
    if not hits or not named_but_missing(asked, hits, found):
        return hits
    more = retriever.search(query, k=deeper, filters=filters)
    naming = [h for h in more if not named_but_missing(asked, [h], found)]
    ids = {h.chunk.id for h in naming}
    return (naming + [h for h in hits if h.chunk.id not in ids])[:k]


def time_notice(asked: str, hits: list[Hit], found, filters, lang: str) -> str | None:
    """The retriever's note; else, when neither the question nor the filters name a time and the
    passages report the same recurring event for several years, which years."""
    if found.note:
        return found.note
    if found.scope is not None or (filters and (filters.date_from or filters.date_to
                                                or filters.issue)):
        return None
    years = recurring_years(asked, hits, found.glossary)
    if not years:
        return None
    if lang == "zh":
        shown = "、".join(f"{y}年" for y in years[:-1]) + f"和{years[-1]}年"
    else:
        shown = ", ".join(years[:-1]) + f" and {years[-1]}"
    return SEVERAL_YEARS[lang].format(years=shown)
