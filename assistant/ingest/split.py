"""One page -> its articles (title, body, section, sources); page furniture dropped.

In: a records.Page (lines in reading order). Out: list[records.Article], in reading order.
Rules (fitted on the two sample pages in data/sample/; they hold for the generated PDFs too):
1. The page's units (units.py): body paragraphs, attributions, headlines, labels, furniture.
2. Body paragraphs gather into an article that an attribution closes; a headline followed by
   body text also closes the open article.
3. Headlines -> articles: a PDF headline directly above its body belongs to it; any other
   candidate goes to the neighbouring article whose body shares more of its character pairs. Each
   article keeps its best candidate; candidates sharing nothing are furniture (slogans, banners).
   An article without a headline is titled by its first clause (cut to 30 characters).
4. Section: labels are furniture; each article takes the last label before it in reading order,
   or the page's first label when none precedes it (the sample pages print it mid-page).
Not handled here: reading files, reading order of columns (pdfpages.py), chunking.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.ingest.clean import join
from assistant.ingest.units import Unit, neighbour, page_units
from assistant.records import Article, BBox, Page
from assistant.text import TERMINAL


@dataclass
class _Draft:
    start: int
    end: int
    body: list[Unit] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    heads: list[tuple[int, Unit]] = field(default_factory=list)  # (score, headline)
    pairs: set[str] = field(default_factory=set)  # character pairs of the body, for scoring


def split_page(page: Page) -> list[Article]:
    """The articles of one page, in reading order."""
    units = page_units(page)
    drafts = _gather(units)
    _assign_headlines(units, drafts)
    labels = [(i, u.text) for i, u in enumerate(units) if u.kind == "label"]
    articles = []
    for d in drafts:
        title = d.heads[0][1].text if d.heads else ""
        text = "\n".join(u.text for u in d.body)
        if not title and len(text) < 20:
            continue  # a stray fragment (photo credit, caption), not an article
        before = [name for i, name in labels if i < d.start]
        section = before[-1] if before else (labels[0][1] if labels else None)
        paragraphs = [p for u in d.body for p in _merge_pieces(u.pieces) if p[1] is not None]
        articles.append(Article(
            title=title or _first_sentence(text), text=text, sources=d.sources, section=section,
            file=page.file, page=page.page, position=len(articles), issue=page.issue,
            date=page.date, bboxes=[b for _, b in paragraphs if b], paragraphs=paragraphs))
    return articles


def _gather(units: list[Unit]) -> list[_Draft]:
    drafts: list[_Draft] = []
    cur: _Draft | None = None
    for i, u in enumerate(units):
        if u.kind == "body":
            if cur is None:
                cur = _Draft(start=i, end=i)
                drafts.append(cur)
            cur.body.append(u)
            cur.end = i
        elif u.kind == "attr":
            if cur is not None:
                cur.sources, cur.end, cur = u.sources, i, None
            elif drafts and not drafts[-1].sources:
                drafts[-1].sources = u.sources
        elif u.kind == "head" and cur is not None:
            nxt = neighbour(units, i, 1)
            if nxt is not None and nxt.kind == "body":
                cur = None  # a headline followed by body text starts the next article
    return drafts


def _assign_headlines(units: list[Unit], drafts: list[_Draft]) -> None:
    for i, u in enumerate(units):
        if u.kind != "head":
            continue
        inside = [d for d in drafts if d.start < i < d.end]
        prev = [d for d in drafts if d.end < i][-1:]
        nxt = [d for d in drafts if d.start > i][:1]
        following = neighbour(units, i, 1)
        if inside:
            inside[0].heads.append((_score(u.text, inside[0]) + 1, u))
        elif u.strong and nxt and following is nxt[0].body[0]:
            nxt[0].heads.append((1000 + _score(u.text, nxt[0]), u))
        else:
            scored = [(_score(u.text, d), k, d) for k, d in enumerate(prev + nxt)]
            if scored:
                score, _, best = max(scored, key=lambda s: (s[0], s[1]))
                if score > 0 or u.strong:
                    best.heads.append((score, u))
    for d in drafts:
        d.heads.sort(key=lambda h: -h[0])  # best first; the others are furniture
        for _, h in d.heads[1:]:
            h.kind = "furniture"


def _score(head: str, d: _Draft) -> int:
    """How many character pairs of the headline the article's body shares."""
    if not d.pairs:
        d.pairs = _pairs("".join(u.text for u in d.body))
    return len(_pairs(head) & d.pairs)


def _merge_pieces(pieces: list[tuple[str, BBox | None]]) -> list[tuple[str, BBox | None]]:
    """Consecutive lines of one column (overlapping across, close below) -> one (text, union
    bbox) piece; a paragraph that goes on in the next column gets a piece there."""
    out: list[tuple[str, BBox | None]] = []
    for text, box in pieces:
        prev = out[-1][1] if out else None
        if box and prev and min(box[2], prev[2]) - max(box[0], prev[0]) > 0.5 * (box[2] - box[0]) \
                and 0 <= box[1] - prev[3] < 0.8 * (box[3] - box[1]):
            ptext, pbox = out[-1]
            out[-1] = (join(ptext, text), (min(pbox[0], box[0]), pbox[1],
                                           max(pbox[2], box[2]), box[3]))
        else:
            out.append((text, box))
    return out


def _first_sentence(text: str) -> str:
    first = re.split(rf"[{TERMINAL}，\n]", text, maxsplit=1)[0]
    return first[:30]


def _pairs(text: str) -> set[str]:
    t = re.sub(r"\s", "", text)
    return {t[i:i + 2] for i in range(len(t) - 1)}

