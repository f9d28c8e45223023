"""What the model copied from its sources: the Quote/Answer reply form and checks on the copies.

In:  the model's reply text and the retrieved Hits.
Out: the reply split into its Quote lines and its answer (mangled [n] markers repaired), the
     words of a quote, the source a quote really comes from (and how much of it does), the source
     a short uncited answer was copied from, and the answer with mis-copied characters put right
     and its numbers written as the sources write them (restore_scales, restore_digits).
Not handled here: numbering and mapping citations (citations.py), refusals (refusal.py), numbers
(checks/numbers.py); deciding what to do with a bad quote (pipeline.py).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from assistant.answer.citations import CITE, has_words
from assistant.records import Hit
from assistant.text import CJK, QUOTE_MARKS, grams, plain


def best_source(text: str, hits: list[Hit], min_overlap: int = 3) -> int | None:
    """1-based number of the first source `text` is copied from whole (a name, a figure), else of
    the source sharing most words/bigrams with it (at least min_overlap)."""
    bare = plain(CITE.sub("", text)).rstrip("。.")
    for n, hit in enumerate(hits, 1):  # a short answer such as a name, copied from one source
        if len(bare) >= 2 and bare in plain(hit.chunk.text):
            return n
    words = grams(text)
    overlaps = [len(words & grams(h.chunk.text)) for h in hits]
    if not overlaps or max(overlaps) < min_overlap:
        return None
    return overlaps.index(max(overlaps)) + 1


# The answer prompt asks for "Quote: “…” [n]" then "Answer: … [n]" (prompts/answer.txt): copying
# the sentence first keeps a small model on the passage, and the quote can be checked verbatim.
_QUOTE_LABEL = r"^[\s*#>]*(?:quote|引文|引用|原文)\**\s*[:：]"  # "Quote:", "**Quote:**", "引文："
_QUOTE_LINE = re.compile(_QUOTE_LABEL + r"[\s*]*(.*)$", re.I | re.M)
_ANSWER_LINE = re.compile(r"^[\s*#>]*(?:answer|回答|答案)\**\s*[:：][\s*]*", re.I | re.M)
MIN_QUOTE_SHARE = 0.8  # of a quote that one source must hold verbatim (locate_quote; set on eval/)


# what a small model makes of "[n]": "[<source>3]", "[<1>]", "[<source>2</source>]", "<2>"
_MANGLED_CITE = re.compile(r"[\[<](?:[\s<>/\[]|source)*?(\d{1,3})(?:[\s<>/\]]|source)*[\]>]", re.I)
# where an answer stops: the model echoing a source ("[1] headline" then "<source>") or quoting again
_ANSWER_END = re.compile(r"^[^\n]*\n[ \t]*<\s*/?\s*source|<\s*/?\s*source|" + _QUOTE_LABEL,
                         re.I | re.M)


def split_reply(text: str) -> tuple[list[str], str]:
    """(the Quote lines, the answer) of a reply in the prompt's form, with mangled citation markers
    repaired. A reply without a Quote line is all answer; one without an Answer line, or whose
    Answer line holds no words ("Answer: [1]"), answers with its quotes. The answer ends where the
    model starts echoing a source or quoting again."""
    text = _MANGLED_CITE.sub(lambda m: f"[{m.group(1)}]", text)
    answer = _ANSWER_LINE.search(text)
    quotes = [m.group(1).strip() for m in _QUOTE_LINE.finditer(text)
              if answer is None or m.start() < answer.start()]
    if answer:
        rest = text[answer.end():]
        end = _ANSWER_END.search(rest)
        reply = rest[:end.start() if end else None].strip()
        if quotes and not has_words(reply):
            reply = "\n".join(quotes)
    else:
        reply = "\n".join(quotes) if quotes else text.strip()
    return quotes, reply


_PAIRS = {"“": "”", "「": "」", "『": "』", '"': '"', "‘": "’"}  # opening -> closing mark
# a source marker with no number at the end of an unquoted line: "[<source>]", "<source>",
# "[source]", "(来源)", "【来源】"
_BARE_MARKER = re.compile(r"\s*[\[<(（【]\s*(?:</?\s*)?(?:source|来源|出处)\s*/?>?\s*[\]>)）】]\s*$",
                          re.I)


def quote_text(line: str) -> str:
    """The quoted words of a Quote line: without quotation marks, its [n] and anything after it.
    A line that opens with a quotation mark and closes one later holds its words between the two
    (quotation marks nested inside kept): what follows the closing mark is the model's marker,
    however mangled ("[<source>]", "(来源1)"), not the source's words; so is a marker with no
    number that ends a line without quotation marks ("…起施行。 [<source>]")."""
    line = line.strip()
    if line[:1] in _PAIRS and (end := line.rfind(_PAIRS[line[0]])) > 0:
        line = line[1:end]
    cite = CITE.search(line)
    if cite and cite.start() > 0:
        line = line[:cite.start()]
    return _BARE_MARKER.sub("", CITE.sub("", line)).strip().strip(QUOTE_MARKS).strip()


def issue_date(iso: str | None) -> str:
    """An issue's date as a quote may give it: "2023-06-14" -> "2023-06-14 2023年6月14日" ("" for
    none or an unreadable one). The prompt shows each source's date beside its headline, and a
    model copying "当天全省…" often writes the date it was shown in place of "当天" or "今年"."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", iso or "")
    return f"{iso} {m[1]}年{int(m[2])}月{int(m[3])}日" if m else ""


def locate_quote(quote: str, hits: list[Hit], min_run: int = 3,
                 prefer: Sequence[int] = ()) -> tuple[int, float]:
    """(1-based number of the source that covers most of `quote`, the share it covers); (0, 0.0)
    for an empty quote. Covered means: in verbatim runs of at least `min_run` characters, in the
    source's order, so a quote that strings together a list's items from one sentence counts,
    while a made-up sentence built around a real phrase does not. A source is read as the model
    saw it: its issue date (issue_date), headline and text. Spaces, width and quotation marks are
    ignored. On a tie the `prefer`red sources (the ones the model named) win."""
    q = plain(quote)
    best = (0, 0.0)
    if not q:
        return best
    numbers = range(1, len(hits) + 1)
    for n in [p for p in prefer if p in numbers] + [n for n in numbers if n not in prefer]:
        hit = hits[n - 1]
        s = plain(f"{issue_date(hit.chunk.date)}\n{hit.chunk.title}\n{hit.chunk.text}")
        blocks = difflib.SequenceMatcher(None, q, s, autojunk=False).get_matching_blocks()
        share = sum(b.size for b in blocks if b.size >= min(min_run, len(q))) / len(q)
        if share > best[1]:
            best = (n, share)
    return best


def repair_copying(answer: str, sources: list[str], context: int = 3) -> str:
    """The answer with Chinese characters a small model mis-copied from its sources put right
    ("戋卫东" for "戎卫东"). A character is mis-copied when no source has it at all, and its
    neighbours in the answer (up to `context` Chinese characters on each side, at least 2 in all)
    occur in the sources around one single other character, which replaces it. A character the
    sources use elsewhere is a choice of words, not a copying slip: "五级甲等" stays as written
    even though the sources say 四级甲等 and 五级乙等. Latin text and numbers are not touched."""
    text = "\n".join(sources)
    chars = list(answer)
    for i, char in enumerate(chars):
        if not CJK.match(char) or char in text:
            continue
        left = re.search(f"{CJK.pattern}{{0,{context}}}$", "".join(chars[:i])).group()
        right = re.match(f"{CJK.pattern}{{0,{context}}}", answer[i + 1:]).group()
        if len(left) + len(right) < 2:
            continue
        found = set(re.findall(re.escape(left) + f"({CJK.pattern})" + re.escape(right), text))
        if len(found) == 1:
            chars[i] = found.pop()
    return "".join(chars)


_SCALES = {"万": 10_000, "亿": 100_000_000}
_BARE = re.compile(r"(?<![\d.,])(\d+(?:\.\d+)?)(?![\d.,]|\s*(?:万|亿|千|百万|千万|thousand|million|billion))",
                   re.I)


def _english(value: float) -> str:
    """16000000 -> "16 million", 125000000 -> "125 million", 1.5e9 -> "1.5 billion"."""
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if value >= size:
            return f"{value / size:.2f}".rstrip("0").rstrip(".") + f" {word}"
    return f"{value:,.0f}"


def restore_scales(answer: str, sources: list[str], english: bool = False) -> str:
    """The answer with the scale word a small model dropped from a number put back: a number the
    answer writes bare ("1250") that the sources write only with 万 or 亿 ("1250万适龄妇女", never
    "1250" alone) was copied without its scale, and is 12.5 million, not 1250. A Chinese answer
    gets the source's word back ("1250万"); an English one the value in words ("12.5 million").
    Not handled: a number the sources write both bare and scaled (left as the answer writes it),
    scales other than 万 and 亿, and numbers written as Chinese numerals."""
    text = "\n".join(sources)

    def restore(m: re.Match) -> str:
        number = m.group(1)
        after = re.findall(rf"(?<![\d.,]){re.escape(number)}(?![\d.,])\s*(万|亿)?", text)
        scales = set(after)
        if not after or len(scales) != 1 or "" in scales:
            return number
        scale = scales.pop()
        return _english(float(number) * _SCALES[scale]) if english else number + scale

    out, start = [], 0
    for cite in CITE.finditer(answer):  # never inside a [n]
        out += [_BARE.sub(restore, answer[start:cite.start()]), cite.group(0)]
        start = cite.end()
    return "".join(out) + _BARE.sub(restore, answer[start:])


def restore_digits(answer: str, sources: list[str]) -> str:
    """The answer with a Chinese numeral written back in the digits its sources use: a small model
    turns "320起" into "三百二十起"; when the cited passages write that value in digits and never
    as that numeral, the digits are what was meant ("320起"). Numerals of one character
    (一, 三: 一行, 三明) are left alone, as are values the sources write as numerals themselves.
    Not handled: numerals with 万 or 亿 whose digits the sources write with the scale (两万 vs 2万)."""
    from assistant.answer.checks.numbers import chinese_numbers, digit_numbers
    text = "\n".join(sources)
    in_digits = {float(n) for n, _ in digit_numbers(text)}
    out, start = [], 0
    for value, written, end in chinese_numbers(answer):
        if len(written) < 2 or written in text or float(value) not in in_digits:
            continue
        begin = end - len(written)
        if answer[end:end + 1] == "零" and not re.match(r"[一二三四五六七八九两十]", answer[end + 1:end + 2]):
            end += 1  # "六千一百零余": the 零 of a numeral that stopped short
        out += [answer[start:begin], str(value)]
        start = end
    return "".join(out) + answer[start:]


def repair_answer(answer: str, sources: list[str], english: bool = False) -> str:
    """The answer with what the model mis-copied from `sources` put right: characters
    (repair_copying), then numbers written as the sources write them (restore_digits,
    restore_scales)."""
    answer = repair_copying(answer, sources)
    return restore_scales(restore_digits(answer, sources), sources, english)
