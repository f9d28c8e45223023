"""Text rules shared by every stage: str in, str (or spans, sets of str) out, no I/O.

In:  any text: extracted lines, passages, questions, model replies.
Out: the one definition of a Chinese (CJK) character, the one Unicode normalisation (NFKC) and
     its named variants for matching copied text, the sentence rules (ends, closing quotes, a
     splitter for chunking and one for quoting), and character bigrams for overlap scores.
Not handled here: repairs of extracted lines (ingest/clean.py), tokens for BM25 (search/lexical.py),
the comparison form of the eval (evaluation/metrics.norm, built on nfkc).
"""

from __future__ import annotations

import re
import unicodedata

# CJK unified ideographs: Extension A, the main block and the compatibility block
CJK_CHARS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK = re.compile(f"[{CJK_CHARS}]")
LATIN = re.compile(r"[A-Za-z]")

TERMINAL = "。！？!?…"  # what ends a sentence
CLOSERS = "”’」』》）)\"'"  # what may follow its end and still belong to it


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


def nfkc(text: str) -> str:
    """The one normalisation: Unicode NFKC (full-width letters and digits to ASCII, compatibility
    ideographs to their unified form)."""
    return unicodedata.normalize("NFKC", text)


QUOTE_MARKS = "“”\"'‘’「」『』<>"


def plain(text: str) -> str:
    """NFKC, without spaces and quotation marks: for finding copied text in a source."""
    return re.sub(r"[\s" + re.escape(QUOTE_MARKS) + r"]", "", nfkc(text))


def squash(text: str) -> str:
    """Letters and digits only (NFKC): robust to line breaks, spacing and punctuation changes."""
    return re.sub(r"[\W_]+", "", nfkc(text))


_END, _CLOSE = re.escape(TERMINAL), re.escape(CLOSERS)
_SENTENCE = re.compile(rf"[^\n{_END}]*(?:[{_END}]+[{_CLOSE}]*|(?=\n)|$)")


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the sentences of text; paragraph breaks end sentences too."""
    spans = []
    for m in _SENTENCE.finditer(text):
        start, end = m.start(), m.end()
        while start < end and text[start].isspace():
            start += 1
        if end > start:
            spans.append((start, end))
    return spans


# after 。！？ (and a closing quote that follows it), at line breaks, after ". "
SENTENCE_END = re.compile(r"(?<=[。！？!?][”’」』）)])|(?<=[。！？!?])(?![”’」』）)])|\n+|(?<=\.)\s+")


def quote_sentences(text: str) -> list[str]:
    """The sentences of a passage as they are quoted (stripped; empty pieces kept). Unlike
    sentences(), also ends at ". " (English) and not at "…"."""
    return [s.strip() for s in SENTENCE_END.split(text)]


def grams(text: str) -> set[str]:
    """Character bigrams of Chinese runs plus lower-cased Latin words and numbers."""
    found = {w.lower() for w in re.findall(r"[A-Za-z]{3,}|\d+", text)}
    for run in re.findall(f"[{CJK_CHARS}]+", text):
        found.update(run[i:i + 2] for i in range(len(run) - 1))
    return found
