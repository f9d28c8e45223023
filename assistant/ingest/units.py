"""A page's lines -> typed units: body paragraphs, attributions, headlines, labels, furniture.

In: a records.Page whose lines are in reading order (text files: raw lines, blank lines kept;
PDFs: one Line per printed line with its bbox and font size). Out: list[Unit], in order.
1. Lines -> blocks. Text files: lines between blank lines; a PDF: each line, except that
   consecutive headline-size lines (>= 1.25x the body size) form one headline block.
2. Blocks -> units: body paragraphs (wrapped lines joined until a sentence end), attributions
   "（org、org）" (a whole block, or trailing a paragraph), headline candidates, labels (<= 6
   characters, e.g. 对口支援, also when drawn twice; in a PDF, not in the body font size), notes
   (…详见…) and other furniture. In a PDF only font size makes a headline. In a column-wrapped
   text file a single short line is a headline only when it is wider than the column, or is
   followed by an attribution, a label or the end of the page. A text-file candidate between two body paragraphs is body text
   (a photo caption; or, one paragraph a line, a sentence broken by a blank line: joined up).
Not handled here: which headline belongs to which article, sections (split.py).
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass, field

from assistant.ingest.clean import clean_line, is_closed, join, undouble
from assistant.records import BBox, Page
from assistant.text import TERMINAL, has_cjk

HEADLINE_RATIO = 1.25
ORG_SUFFIXES = ("委", "处", "中心", "医院", "院", "报", "网", "网站", "发布", "援疆", "会", "局", "部",
                "办", "站", "社", "台", "队", "号", "所", "科", "室", "厅", "组", "馆", "协会")
NOT_SOURCE = ("详见", "记者", "摄", "通讯员", "来源：")
_TRAILING_ATTR = re.compile(r"^(.*[。！？!?…][”’」』]?)（([^（）]+)）$")


@dataclass
class Block:
    text: str
    pieces: list[tuple[str, BBox | None]]
    multi: bool = False  # several lines in one block (text files)
    strong_head: bool = False  # headline by font size (PDF)
    may_be_label: bool = True  # PDF: only text outside the body font size is a section label


@dataclass
class Unit:
    kind: str  # body | attr | head | label | furniture
    text: str
    pieces: list[tuple[str, BBox | None]] = field(default_factory=list)
    strong: bool = False
    sources: list[str] = field(default_factory=list)


def parse_sources(text: str) -> list[str] | None:
    """'（省卫健委对外合作处、央视网）' -> the organisations; None when it is not an attribution."""
    t = text.strip()
    if not (t.startswith("（") and t.endswith("）")) or t.count("（") != 1:
        return None
    parts = [p for p in re.split(r"[、，,\s]+", t[1:-1]) if p]
    if not parts or any(len(p) > 20 for p in parts) or any(w in t for w in NOT_SOURCE):
        return None
    return parts if any(p.endswith(ORG_SUFFIXES) for p in parts) else None


def is_label(text: str) -> bool:
    t = undouble(text).replace(" ", "")
    return 2 <= len(t) <= 6 and re.fullmatch(r"[\u3400-\u9fff]+", t) is not None


def is_headline_like(text: str) -> bool:
    t = text.strip()
    return (0 < len(t) <= 32 and has_cjk(t) and not re.search(r"[。，,；;！？!?]", t)
            and t[-1] not in "、：:（(“" + TERMINAL)


def _blocks(page: Page) -> list[Block]:
    sizes: Counter[float] = Counter()
    for ln in page.lines:
        if ln.size > 0:
            sizes[ln.size] += len(ln.text)
    if not sizes:  # a text file: blocks are runs of non-blank lines
        blocks, run = [], []
        for ln in page.lines + [None]:
            text = clean_line(ln.text) if ln else ""
            if text:
                run.append(text)
            elif run:
                merged = ""
                for r in run:
                    merged = join(merged, r)
                blocks.append(Block(merged, [(merged, None)], multi=len(run) > 1))
                run = []
        return blocks
    body = sizes.most_common(1)[0][0]  # the size of most characters
    blocks: list[Block] = []
    for ln in page.lines:
        text = clean_line(ln.text)
        if not text:
            continue
        head = ln.size >= HEADLINE_RATIO * body
        prev = blocks[-1] if blocks else None
        if head and prev and prev.strong_head and prev.pieces[-1][1] and ln.bbox \
                and ln.bbox[1] - prev.pieces[-1][1][3] < 0.6 * ln.size:
            prev.text = join(prev.text, text)
            prev.pieces.append((text, ln.bbox))
        else:
            blocks.append(Block(text, [(text, ln.bbox)], strong_head=head,
                                may_be_label=abs(ln.size - body) > 0.5))
    return blocks


def _column_width(blocks: list[Block]) -> float:
    lengths = sorted(len(b.text) for b in blocks if not b.multi)
    return lengths[int(0.8 * (len(lengths) - 1))] if lengths else 0


def _units(blocks: list[Block], wrapped: bool, sized: bool) -> list[Unit]:
    width = _column_width(blocks)
    units: list[Unit] = []
    para: Unit | None = None
    for i, b in enumerate(blocks):
        t = b.text
        if para is not None and not b.strong_head and parse_sources(t) is None:
            para.text = join(para.text, t)
            para.pieces += b.pieces
        else:
            para = None
            units.append(_classify(b, sized or (wrapped and not b.multi and len(t) <= width
                                                and not _ends_run(blocks, i + 1))))
            if units[-1].kind == "body":
                para = units[-1]
        if para is not None and is_closed(para.text):
            _split_trailing_attr(units)
            para = None
    return units


def _classify(b: Block, column_line: bool) -> Unit:
    """What a block that starts a new unit is; column_line: a plain line of a wrapped column
    (in a PDF every body-size line is one: only font size makes headlines there)."""
    t = b.text
    if b.strong_head:
        return Unit("label" if is_label(t) else "head", undouble(t), b.pieces, strong=True)
    if (src := parse_sources(t)) is not None:
        return Unit("attr", t, b.pieces, sources=src)
    if is_label(t) and b.may_be_label:
        return Unit("label", undouble(t), b.pieces)
    if "详见" in t and "。" not in t:
        return Unit("furniture", t, b.pieces)
    if is_headline_like(t) and not column_line:
        return Unit("head", t, b.pieces)
    return Unit("body", t, list(b.pieces))


def _ends_run(blocks: list[Block], j: int) -> bool:
    """True at the end of the page or before an attribution or a label."""
    return j >= len(blocks) or parse_sources(blocks[j].text) is not None or is_label(blocks[j].text)


def _split_trailing_attr(units: list[Unit]) -> None:
    """'…你们！（省卫健委对外合作处 中塞医家亲）' -> body unit + attribution unit."""
    last = units[-1]
    if (whole := parse_sources(last.text)) is not None:  # an attribution wrapped over lines
        last.kind, last.sources, last.pieces = "attr", whole, []
        return
    m = _TRAILING_ATTR.match(last.text)
    src = parse_sources(f"（{m.group(2)}）") if m else None
    if not m or src is None:
        return
    keep = len(m.group(1))
    last.text, last.pieces = m.group(1), _cut_pieces(last.pieces, keep)
    units.append(Unit("attr", f"（{m.group(2)}）", [], sources=src))


def _cut_pieces(pieces: list[tuple[str, BBox | None]], keep: int) -> list[tuple[str, BBox | None]]:
    out, used = [], 0
    for text, box in pieces:
        if used >= keep:
            break
        out.append((text[: keep - used], box))
        used += len(text)
    return out


def page_units(page: Page) -> list[Unit]:
    """The units of one page, in reading order."""
    blocks = _blocks(page)
    wrapped = statistics.median([len(b.text) for b in blocks]) <= 20 if blocks else False
    units = _units(blocks, wrapped, sized=any(ln.size > 0 for ln in page.lines))
    return _captions_to_body(units, wrapped)


def neighbour(units: list[Unit], i: int, step: int) -> Unit | None:
    j = i + step
    while 0 <= j < len(units) and units[j].kind in ("label", "furniture"):
        j += step
    return units[j] if 0 <= j < len(units) else None


def _captions_to_body(units: list[Unit], wrapped: bool) -> list[Unit]:
    """A text-file headline candidate between two body paragraphs is body text: a caption in a
    wrapped column, else the first half of a sentence broken by a blank line (joined up)."""
    out = []
    for i, u in enumerate(units):
        if u.kind == "head" and not u.strong:
            before, after = neighbour(units, i, -1), neighbour(units, i, 1)
            if before and after and before.kind == after.kind == "body":
                u.kind = "body"
                if not wrapped and units[i + 1] is after:
                    after.text, after.pieces = join(u.text, after.text), u.pieces + after.pieces
                    continue  # merged into the paragraph it starts
        out.append(u)
    return out
