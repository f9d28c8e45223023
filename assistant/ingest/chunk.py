"""An article -> sentence-aware chunks that carry everything a citation needs.

In: a records.Article, the sha256 of its file, a size and an overlap in characters. Out:
list[records.Chunk]. Sentences end at 。！？!?… (plus closing quotes) and at paragraph breaks;
chunks gather whole sentences up to `size` characters, and each chunk after the first starts with
the last whole sentences of the one before, at most `overlap` characters of them. A sentence
longer than `size` is cut into size-long pieces. Every chunk keeps the article's title, issue,
date, page, file, sources and section, plus the bounding boxes of the paragraphs it covers.
Chunk ids are stable: file sha + page + article position + chunk index.
Not handled here: embedding, and putting the title into the text (chunk.text is body text only).
"""

from __future__ import annotations

from assistant.records import Article, BBox, Chunk
from assistant.text import sentences


def _pieces(spans: list[tuple[int, int]], size: int) -> list[tuple[int, int]]:
    out = []
    for start, end in spans:
        out += [(s, min(s + size, end)) for s in range(start, end, size)]
    return out


def _windows(spans: list[tuple[int, int]], size: int, overlap: int) -> list[tuple[int, int]]:
    """Greedy windows of whole sentences, as (first sentence, last sentence + 1) indices."""
    windows, first = [], 0
    while first < len(spans):
        last = first + 1
        while last < len(spans) and spans[last][1] - spans[first][0] <= size:
            last += 1
        windows.append((first, last))
        if last >= len(spans):
            break
        back = last
        while back - 1 > first and spans[last - 1][1] - spans[back - 1][0] <= overlap:
            back -= 1
        first = back
    return windows


def _boxes(article: Article, start: int, end: int) -> list[BBox]:
    """Boxes of the paragraph pieces overlapping text[start:end] (pieces are found in order)."""
    boxes, pos = [], 0
    for piece, box in article.paragraphs:
        at = article.text.find(piece[:20], pos) if piece else -1
        if at < 0:
            continue
        pos = at + len(piece)
        if box is not None and at < end and pos > start:
            boxes.append(tuple(box))
    return boxes


def chunk_id(file_sha: str, article: Article, index: int) -> str:
    return f"{file_sha[:16]}-p{article.page}-a{article.position}-c{index}"


def chunk_article(article: Article, file_sha: str, size: int = 300,
                  overlap: int = 60) -> list[Chunk]:
    if size <= 0 or overlap < 0 or overlap >= size:
        raise ValueError(f"chunk size {size} and overlap {overlap}: need 0 <= overlap < size")
    spans = _pieces(sentences(article.text), size)
    chunks = []
    for index, (first, last) in enumerate(_windows(spans, size, overlap)):
        start, end = spans[first][0], spans[last - 1][1]
        chunks.append(Chunk(
            id=chunk_id(file_sha, article, index), text=article.text[start:end].strip(),
            title=article.title, file=article.file, file_sha=file_sha, page=article.page,
            position=article.position, index=index, issue=article.issue, date=article.date,
            section=article.section, sources=list(article.sources),
            bboxes=_boxes(article, start, end), article_id=article.article_id, url=article.url,
            title_derived=article.title_derived))
    return chunks
