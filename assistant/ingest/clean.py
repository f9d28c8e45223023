"""Pure text repairs for extracted newspaper text: str in, str out, no I/O.

In: one extracted line (or a paragraph being built from lines). Out: the repaired text.
Repairs: full-width letters/digits -> ASCII; ASCII punctuation next to Chinese -> full width;
letter-spaced lines ("控 中 心 各 小 组") closed up; spaces between Chinese and digits dropped
("第 20 批" -> "第20批"); wrapped lines joined without a space (a space only between two Latin
words); doubled labels ("对口支援对口支援") undoubled; reportlab's "⋯" read as "…".
Sentence ends ("。！？!?…" plus closing quotes) tell whether a paragraph is finished.
Not handled here: deciding what a line is (headline, attribution, body): that is units.py.
"""

from __future__ import annotations

import re

from assistant.text import CJK_CHARS, CLOSERS, TERMINAL

_FULLWIDTH_ALNUM = {c: c - 0xFEE0 for c in range(0xFF10, 0xFF1A)}
_FULLWIDTH_ALNUM.update({c: c - 0xFEE0 for c in range(0xFF21, 0xFF3B)})
_FULLWIDTH_ALNUM.update({c: c - 0xFEE0 for c in range(0xFF41, 0xFF5B)})
_FULLWIDTH_ALNUM.update({0x3000: 0x20, 0x22EF: 0x2026, 0xA0: 0x20})  # ideographic space, ⋯, nbsp
_TO_FULL = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！", "(": "（", ")": "）"}
_ASCII_NEAR_CJK = re.compile(rf"(?<=[{CJK_CHARS}“”])[,;:?!()]|[,;:?!()](?=[{CJK_CHARS}“”])")
_SPACE_CJK_DIGIT = re.compile(rf"(?<=[{CJK_CHARS}“”（）])\s+(?=\d)|(?<=\d)\s+(?=[{CJK_CHARS}“”（）])")
_SPACE_NEXT_TO_PUNCT = re.compile(r"\s+(?=[，。、；：！？）”])|(?<=[，。、；：！？（“])\s+")
_SPACES = re.compile(r"[ \t]+")
_LETTER_SPACING = re.compile(r"(?<![A-Za-z0-9]) +| +(?![A-Za-z0-9])")
_SENTENCE_END = re.compile(rf"[{re.escape(TERMINAL)}][{re.escape(CLOSERS)}]*$")


def normalize(text: str) -> str:
    """Width and punctuation repairs on one line; spaces that carry meaning are kept."""
    text = text.translate(_FULLWIDTH_ALNUM)
    text = _ASCII_NEAR_CJK.sub(lambda m: _TO_FULL[m.group()], text)
    text = _SPACE_CJK_DIGIT.sub("", text)
    text = _SPACE_NEXT_TO_PUNCT.sub("", text)
    return _SPACES.sub(" ", text).strip()


def is_spaced_out(line: str) -> bool:
    """A letter-spaced line: most characters are separated by single spaces."""
    chars = line.replace(" ", "")
    return len(chars) >= 6 and line.count(" ") >= 0.4 * len(chars)


def close_up(line: str) -> str:
    """Remove the spaces of a letter-spaced line, except between two Latin words."""
    return _LETTER_SPACING.sub("", line)


def clean_line(line: str) -> str:
    """All single-line repairs: letter spacing, widths, punctuation, digit spacing."""
    line = line.strip()
    if is_spaced_out(line):
        line = close_up(line)
    return normalize(line)


def join(left: str, right: str) -> str:
    """Join a wrapped line to the text before it: no space, except between two Latin words."""
    if left and right and left[-1].isascii() and left[-1].isalpha() and right[0].isascii() \
            and right[0].isalpha():
        return f"{left} {right}"
    return left + right


def is_closed(text: str) -> bool:
    """True when the text ends a sentence, or ends with a parenthesised note after one."""
    text = text.rstrip()
    if _SENTENCE_END.search(text):
        return True
    if text.endswith(("）", ")")):
        opening = max(text.rfind("（"), text.rfind("("))
        return opening == 0 or (opening > 0 and bool(_SENTENCE_END.search(text[:opening])))
    return False


def undouble(text: str) -> str:
    """'对口支援对口支援' (a label drawn twice) -> '对口支援'; anything else unchanged."""
    t = text.replace(" ", "")
    half = len(t) // 2
    if len(t) >= 4 and len(t) % 2 == 0 and t[:half] == t[half:]:
        return t[:half]
    return text

