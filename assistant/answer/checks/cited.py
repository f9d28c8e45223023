"""What an answer rests on: the texts of the passages, and of the articles an answer cites.

In:  retrieved Hits and an answer with [n] citations (numbered as the hits are). Out: each
passage's text as the checks read it (headline, issue, issue date, passage) and the passages of
the articles the answer cites. An article is read in all its retrieved passages (the year or the
figure may be in the passage before the cited one); what it says outside them is not seen.
Not handled: numbering citations (answer/citations.py).
"""

from __future__ import annotations

from assistant.answer.citations import cited_numbers
from assistant.records import Hit


def passage_texts(hits: list[Hit]) -> list[str]:
    """Each hit's headline, issue, issue date and passage: what "the sources mention" reads."""
    return [f"{h.chunk.title} {h.chunk.issue or ''} {h.chunk.date or ''} {h.chunk.text}"
            for h in hits]


def cited_hits(reply: str, hits: list[Hit]) -> list[Hit]:
    """The retrieved passages of the articles (file, page, position) that `reply` cites, in
    retrieval order; all of `hits` when it cites none of them."""
    cited = [hits[n - 1] for n in cited_numbers(reply) if 1 <= n <= len(hits)]
    if not cited:
        return list(hits)
    articles = {(h.chunk.file, h.chunk.page, h.chunk.position) for h in cited}
    return [h for h in hits if (h.chunk.file, h.chunk.page, h.chunk.position) in articles]


def cited_passages(reply: str, hits: list[Hit]) -> list[str]:
    """passage_texts of cited_hits."""
    return passage_texts(cited_hits(reply, hits))
