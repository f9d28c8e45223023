"""The prompt's side of an answer: the language to answer in and the numbered sources block.

In:  the question, the retrieved Hits.
Out: 'zh' or 'en' (and its name for the prompt), the sources as "[n] headline" plus fenced text.
Not handled here: cutting a passage to what matters (windows.py), the prompt templates (prompts/), calling the model (chain.py).
"""

from __future__ import annotations

from assistant.answer.windows import window
from assistant.records import Hit
from assistant.text import CJK, LATIN

LANGUAGE_NAME = {"en": "English", "zh": "Chinese (简体中文)"}


def language(text: str) -> str:
    """'zh' when at least 30% of the letters are Chinese characters, else 'en'."""
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    return "zh" if cjk and cjk / (cjk + latin) >= 0.3 else "en"


FULL_BUDGET_RANKS = 2  # the passages ranked first and second get the whole budget


def format_sources(hits: list[Hit], query: str = "", budget: int = 0, later_budget: int = 0) -> str:
    """[n] headline (and issue date), then the passage fenced in <source> tags (tags inside the
    text are defused). File names and page numbers stay out: the model only copied them.
    With a `budget` (characters), each passage is cut to the sentences around those that share
    words with `query` (windows.window); passages after the first FULL_BUDGET_RANKS get
    `later_budget` instead (when set), as they hold the answer less often. A sentence already
    given in an earlier passage of the same article (the overlap of neighbouring chunks) is not
    given again."""
    blocks = []
    shown: dict[tuple[str, int, int], set[str]] = {}
    for n, hit in enumerate(hits, 1):
        c = hit.chunk
        label = f"{c.title}（{c.date}）" if c.date else c.title
        seen = shown.setdefault((c.file, c.page, c.position), set())
        size = later_budget if later_budget and budget and n > FULL_BUDGET_RANKS else budget
        text = window(query, c.text, size or len(c.text), seen)
        label, body = (t.replace("<", "‹").replace(">", "›") for t in (label, text))
        blocks.append(f"[{n}] {label}\n<source>\n{body}\n</source>")
    return "\n".join(blocks)
