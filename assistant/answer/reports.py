"""Questions about several reports ("in these reports", "分别", "这两版", "which events did X take
part in", "开展过哪些工作"): one reply per report.

In:  the question and the retrieved Hits; later, the checked Answer of each report's part.
Out: `report_groups()` -> the hits' positions grouped by article, best article first (one group of
     all hits when the question does not ask across reports, or the hits hold one article);
     `join_answers()` -> one Answer: the parts that were not withheld, one line each, their
     citations renumbered into one list.
Why: shown four passages from two articles, the 1.5B default model quotes one article and answers
from it, or blends both into one made-up sentence that the quote check then withholds. Asked about
one article at a time, it quotes that article.
Not handled here: asking the model or checking a part (pipeline.py); questions that span reports
without saying so or asking for someone's activities ("Where has Yang Minhong spoken?") are
answered in one reply.
Known cost: a part skips the model's yes/no check of its quotes (a part answers only a share of
the question), so a question that names reports but has no answer in them relies on the other
checks; and "报道中" also matches a question about one report, which then takes a reply per article.
"""

from __future__ import annotations

import re

from assistant.answer.citations import CITE, cited_numbers
from assistant.answer.refusal import REFUSAL
from assistant.records import Answer, Citation, Hit

ACROSS_REPORTS = re.compile(
    r"\b(?:these|both|the two|all the|each of the) (?:reports|pages|articles|issues|stories)\b"
    r"|\bin the archive\b|分别|两版|这些报道|报道中"
    # what someone did or took part in: an activity record, usually spread over reports
    r"|\b(?:in )?(?:which|what) (?:events|activities)\b"
    r"|(?:开展|参加|参与|出席)(?:过|了)?(?:哪些|什么)(?:工作|活动)", re.I)
MAX_PARTS = 3
PART_NOTE = ("These sources are one of several reports the question asks about: quote and answer "
             "what this report says about it.\n")


def report_groups(question: str, hits: list[Hit]) -> list[list[int]]:
    """Positions in `hits` by article (file, page, position on the page), at most MAX_PARTS
    articles, in the order of their best hit; [all positions] unless the question spans reports."""
    everything = [list(range(len(hits)))]
    if not ACROSS_REPORTS.search(question):
        return everything
    groups: dict[tuple[str, int, int], list[int]] = {}
    for i, hit in enumerate(hits):
        c = hit.chunk
        groups.setdefault((c.file, c.page, c.position), []).append(i)
    return list(groups.values())[:MAX_PARTS] if len(groups) > 1 else everything


def join_answers(question: str, parts: list[Answer], lang: str) -> Answer:
    """The kept parts' texts one per line, citations merged (a passage cited by two parts is one
    source); flags of withheld parts are kept, so the user can see what was left out and why."""
    kept = [a for a in parts if not a.refused]
    flags = [f for a in parts for f in a.flags]
    if not kept:
        return Answer(question, REFUSAL[lang], [], refused=True, flags=flags)
    citations: list[Citation] = []
    lines, quotes = [], []
    for part in kept:
        numbers = []
        for c in part.citations:
            if all(c.chunk_id != x.chunk_id for x in citations):
                citations.append(c)
            numbers.append(next(i for i, x in enumerate(citations, 1) if x.chunk_id == c.chunk_id))

        def renumber(m: re.Match, numbers: list[int] = numbers) -> str:
            return "".join(dict.fromkeys(f"[{numbers[n - 1]}]" for n in cited_numbers(m.group(0))
                                         if 1 <= n <= len(numbers)))

        lines.append(CITE.sub(renumber, part.text))
        if part.quote:
            quotes.append(CITE.sub(renumber, part.quote))
    return Answer(question, "\n".join(lines), citations, flags=flags, quote="\n".join(quotes))
