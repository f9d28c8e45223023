"""The extractive fallback: the question and Hits in, quoted source sentences with citations out.

Used when the LLM fails (down, too slow, garbage): the best-matching source sentences, each quoted
with its [n] (`fallback_answer()`: as an Answer under a notice naming the failure); the same
sentences are the evidence shown before the model answers. Not handled here: deciding when to fall back (pipeline.py).
"""

from __future__ import annotations

from assistant.records import Answer, Citation, Hit

NOTICE = {"en": "The language model is unavailable ({reason}); showing the best-matching "
                "sentences from the sources instead.",
          "zh": "语言模型不可用（{reason}），以下为来源中最相关的原文句子。"}


def notices(*parts: str | None) -> str | None:
    """The notices that are set, joined in order (None when none is)."""
    return " ".join(filter(None, parts)) or None


def fallback_answer(question: str, hits: list[Hit], lang: str, reason: str,
                    notice: str | None = None) -> Answer:
    """The extractive answer, with `notice` (e.g. the retriever's) before the failure's."""
    text, citations = extractive_answer(question, hits)
    return Answer(question, text, citations, fallback=True, model="extractive",
                  notice=notices(notice, NOTICE[lang].format(reason=reason)))
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
