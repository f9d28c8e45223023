"""What the model reads of a passage: the sentences around those that match the question.

In:  the question (already expanded with the glossary's counterparts) and a passage's text.
Out: `window()` -> the passage cut to the sentences sharing most words with the question, each
     with its neighbours, in their original order, gaps marked "…", within a character budget; a
     sentence that introduces a list (ends with "：" or ":") keeps the list items that follow it.
Why: the model reads about 55 prompt tokens a second on this kind of machine, so every sentence
it does not need costs the user time; the quote check still finds quotes in the whole passage.
A sentence the model was already given from the same article (neighbouring chunks repeat their
overlap, and both may be retrieved) is left out as a gap: `shown` carries those sentences.
Not handled here: choosing the passages (search/), numbering them (prompting.py). A passage with
no word in common with the question (an English question over Chinese text that the glossary
does not bridge) is kept from its start: the retriever chose it by meaning, not by words.
"""

from __future__ import annotations

from assistant.text import grams, has_cjk, sentences

GAP = "…"
LIST_INTRO = ("：", ":")


def _spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the passage's sentences; a line of its own (a list item) is one unit."""
    return [(a, b) for a, b in sentences(text) if text[a:b].strip()]


def _around(parts: list[str], i: int, limit: int) -> set[int]:
    """Unit i and its neighbours, and the items of a list that one of them introduces (up to the
    next list, or `limit` characters of items)."""
    keep = {j for j in (i - 1, i, i + 1) if 0 <= j < len(parts)}
    for k in sorted(keep):
        if parts[k].rstrip().endswith(LIST_INTRO):
            j, size = k + 1, 0
            while j < len(parts) and not parts[j].rstrip().endswith(LIST_INTRO) \
                    and size + len(parts[j]) <= limit:
                keep.add(j)
                size += len(parts[j])
                j += 1
    return keep


def window(query: str, text: str, budget: int, shown: set[str] | None = None) -> str:
    """The sentences of `text` that matter for `query`, at most about `budget` characters; the
    best sentence, its neighbours and a list they introduce are kept whole even past the budget.
    With `shown` (the sentences already given from the same article), those are left out as gaps
    and the ones kept are added to it; a passage that adds nothing new becomes a gap alone."""
    spans = _spans(text)
    parts = [text[a:b].strip() for a, b in spans]
    if not parts:
        return text[:budget]
    chosen = _choose(query, parts, budget) if len(text) > budget else set(range(len(parts)))
    if shown is not None:
        repeated = {i for i in chosen if parts[i] in shown}
        shown.update(parts[i] for i in chosen)
        if repeated:
            kept = sorted(chosen - repeated)
            return _join(text, spans, kept) if kept else GAP
    return text if len(chosen) == len(parts) else _join(text, spans, sorted(chosen))


def _choose(query: str, parts: list[str], budget: int) -> set[int]:
    """Indexes of the units to keep: the best-matching ones with their neighbours, within budget."""
    q = grams(query)
    scores = [len(q & grams(p)) for p in parts]
    chosen: set[int] = set()
    if max(scores) == 0:  # nothing in common: the passage's start, as the retriever chose it
        for i in range(len(parts)):
            if chosen and sum(len(parts[j]) for j in chosen) + len(parts[i]) > budget:
                break
            chosen.add(i)
    for i in sorted(range(len(parts)), key=lambda i: (-scores[i], i)):
        if scores[i] == 0:
            break
        more = _around(parts, i, budget) | chosen
        if chosen and sum(len(parts[j]) for j in more) > budget:
            continue
        chosen = more
    return chosen


def _join(text: str, spans: list[tuple[int, int]], kept: list[int]) -> str:
    """The kept units in order: a line break where the passage had one, "…" where units were
    left out."""
    out = [GAP] if kept[0] > 0 else []
    for n, i in enumerate(kept):
        if n:
            prev = kept[n - 1]
            if i > prev + 1:
                out.append(GAP)
            elif "\n" in text[spans[prev][1]:spans[i][0]]:
                out.append("\n")
            elif not has_cjk(text[spans[i][0]:spans[i][1]]):
                out.append(" ")
        out.append(text[spans[i][0]:spans[i][1]].strip())
    if kept[-1] < len(spans) - 1:
        out.append(GAP)
    return "".join(out)
