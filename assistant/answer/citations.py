"""`[n]` citations in model text: sources in, checked citations out.

In:  the model's text (whole or streamed in deltas), the number of sources, the retrieved Hits.
Out: `[n]` citations mapped back to sources and renumbered in order of first use (bad numbers
     dropped and flagged), the numbers a text cites, whether a text says more than citations.
Not handled here: the numbered sources block (prompting.py), checks of what the answer says (checks/).
"""

from __future__ import annotations

import re

from assistant.records import Citation, Hit

# [1], [1, 2], [1][2], 【1】, [1-2] is not supported (rare; left as text)
CITE = re.compile(r"[\[【]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】]")
PLACEHOLDER = re.compile(r"\[\s*[nN]\s*\]\s*")  # the prompt's "[n]", echoed by small models
OPEN = re.compile(r"[\[【][^\]】]{0,15}$")  # an unfinished citation at the end of a stream


def has_words(text: str) -> bool:
    """Whether `text` says anything besides source numbers ("[1] [2]" does not)."""
    return re.search(r"\w", CITE.sub("", text)) is not None


def cited_numbers(text: str) -> list[int]:
    """The source numbers a text cites, in order, each once: "[2] … [1, 2]" -> [2, 1]."""
    found = (int(n) for m in CITE.finditer(text) for n in re.split(r"[,，、\s]+", m.group(1).strip()))
    return list(dict.fromkeys(found))


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
        return CITE.sub(self._renumber, PLACEHOLDER.sub("", text[:cut]))

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return CITE.sub(self._renumber, PLACEHOLDER.sub("", text))

    def _renumber(self, match: re.Match) -> str:
        out = []
        for num in cited_numbers(match.group(0)):
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
