"""The extractive fallback: the question and Hits in, quoted source sentences with citations out.

Used when the LLM fails (down, too slow, garbage): the best-matching source sentences, each quoted
with its [n]. Not handled here: deciding when to fall back (pipeline.py).
"""

from __future__ import annotations

from assistant.records import Citation, Hit
from assistant.text import grams, quote_sentences


def extractive_answer(question: str, hits: list[Hit], max_sentences: int = 2,
                      max_passages: int = 3) -> tuple[str, list[Citation]]:
    """The source sentences sharing most words/bigrams with the question, each quoted with [n].
    With no overlap at all (e.g. an English question over Chinese text) the top passage's lead."""
    q = grams(question)
    scored = []  # (overlap, -hit rank, -position, sentence, hit index)
    for rank, hit in enumerate(hits[:max_passages]):
        parts = [s for s in quote_sentences(hit.chunk.text) if len(s) > 5]
        for pos, sentence in enumerate(parts):
            scored.append((len(q & grams(sentence)), -rank, -pos, sentence, rank))
    if not scored:
        return "", []
    scored.sort(reverse=True)
    best = [s for s in scored if s[0] > 0][:max_sentences] or scored[:1]
    used: list[int] = []
    lines = []
    for *_, sentence, rank in best:
        if rank not in used:
            used.append(rank)
        lines.append(f"“{sentence}” [{used.index(rank) + 1}]")
    return "\n".join(lines), [Citation.of(hits[r].chunk) for r in used]
