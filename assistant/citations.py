"""Plain-text helpers around an answer: sources in, checked citations and fallback answers out.

In:  the question, the retrieved Hits, the model's text (whole or streamed in deltas).
Out: the language to answer in, the numbered sources block for the prompt, `[n]` citations mapped
     back to sources and renumbered in order of first use (bad numbers dropped and flagged), the
     refusal wording, and an extractive answer (best-matching source sentences) for when the LLM fails.
Not handled here: calling the model or the retriever (answer.py, chain.py).
"""

from __future__ import annotations

import re

from .records import Citation, Hit

REFUSAL_MARKER = "NOT_IN_ARCHIVE"
REFUSAL = {"en": "The archive does not say: none of the indexed articles answers this question.",
           "zh": "档案中没有相关内容：已收录的报纸文章未回答这个问题。"}
LANGUAGE_NAME = {"en": "English", "zh": "Chinese (简体中文)"}

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
# [1], [1, 2], [1][2], 【1】, [1-2] is not supported (rare; left as text)
CITE = re.compile(r"[\[【]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】]")
OPEN = re.compile(r"[\[【][^\]】]{0,15}$")  # an unfinished citation at the end of a stream
# after 。！？ (and a closing quote that follows it), at line breaks, after ". "
SENTENCE_END = re.compile(r"(?<=[。！？!?][”’」』）)])|(?<=[。！？!?])(?![”’」』）)])|\n+|(?<=\.)\s+")


def language(text: str) -> str:
    """'zh' when at least 30% of the letters are Chinese characters, else 'en'."""
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    return "zh" if cjk and cjk / (cjk + latin) >= 0.3 else "en"


def format_sources(hits: list[Hit]) -> str:
    """[n] label line, then the passage fenced in <source> tags (tags inside the text are defused)."""
    blocks = []
    for n, hit in enumerate(hits, 1):
        label = Citation.of(hit.chunk).label()
        body = hit.chunk.text.replace("<", "‹").replace(">", "›")
        blocks.append(f"[{n}] {label}\n<source>\n{body}\n</source>")
    return "\n".join(blocks)


class CitationMapper:
    """Rewrites `[n]` in (streamed) model text: valid sources renumbered 1, 2… in order of first
    citation, invalid ones dropped and flagged. feed() holds back an unfinished "[1" until it closes."""

    def __init__(self, n_sources: int) -> None:
        self.n_sources = n_sources
        self.order: list[int] = []  # 1-based source numbers, in the order first cited
        self.flags: list[str] = []
        self._pending = ""

    def feed(self, delta: str) -> str:
        text = self._pending + delta
        tail = OPEN.search(text)
        cut = tail.start() if tail else len(text)
        self._pending = text[cut:]
        return CITE.sub(self._renumber, text[:cut])

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return CITE.sub(self._renumber, text)

    def _renumber(self, match: re.Match) -> str:
        out = []
        for num in (int(x) for x in re.split(r"[,，、\s]+", match.group(1).strip())):
            if not 1 <= num <= self.n_sources:
                self.flags.append(f"dropped citation [{num}]: there is no source {num}")
                continue
            if num not in self.order:
                self.order.append(num)
            new = f"[{self.order.index(num) + 1}]"
            if new not in out:
                out.append(new)
        return "".join(out)

    def citations(self, hits: list[Hit]) -> list[Citation]:
        return [Citation.of(hits[n - 1].chunk) for n in self.order]


def is_refusal(text: str) -> bool:
    return REFUSAL_MARKER in text.upper().replace(" ", "_")


def may_become_refusal(text: str) -> bool:
    """True while the streamed text so far could still be the start of the refusal marker."""
    head = text.strip().strip("`*\"'").upper().replace(" ", "_")
    return REFUSAL_MARKER.startswith(head)


def _grams(text: str) -> set[str]:
    """Character bigrams of Chinese runs plus lower-cased Latin words and numbers."""
    grams = {w.lower() for w in re.findall(r"[A-Za-z]{3,}|\d+", text)}
    for run in re.findall(r"[\u3400-\u9fff]+", text):
        grams.update(run[i:i + 2] for i in range(len(run) - 1))
    return grams


def best_source(text: str, hits: list[Hit], min_overlap: int = 3) -> int | None:
    """1-based number of the source sharing most words/bigrams with `text` (at least min_overlap)."""
    grams = _grams(text)
    overlaps = [len(grams & _grams(h.chunk.text)) for h in hits]
    if not overlaps or max(overlaps) < min_overlap:
        return None
    return overlaps.index(max(overlaps)) + 1


def extractive_answer(question: str, hits: list[Hit], max_sentences: int = 2,
                      max_passages: int = 3) -> tuple[str, list[Citation]]:
    """The source sentences sharing most words/bigrams with the question, each quoted with [n].
    With no overlap at all (e.g. an English question over Chinese text) the top passage's lead."""
    q = _grams(question)
    scored = []  # (overlap, -hit rank, -position, sentence, hit index)
    for rank, hit in enumerate(hits[:max_passages]):
        parts = [s.strip() for s in SENTENCE_END.split(hit.chunk.text) if len(s.strip()) > 5]
        for pos, sentence in enumerate(parts):
            scored.append((len(q & _grams(sentence)), -rank, -pos, sentence, rank))
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
