"""Text rules shared by every stage: str in, str (or sets of str) out, no I/O.

In:  any text: extracted lines, passages, questions, model replies.
Out: the one definition of a Chinese (CJK) character, character bigrams for overlap scores, and
     the sentence boundaries used to quote source sentences.
Not handled here: repairs of extracted lines (ingest/clean.py), tokens for BM25 (search/lexical.py).
"""

from __future__ import annotations

import re

# CJK unified ideographs, Extension A and the compatibility block
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
# after 。！？ (and a closing quote that follows it), at line breaks, after ". "
SENTENCE_END = re.compile(r"(?<=[。！？!?][”’」』）)])|(?<=[。！？!?])(?![”’」』）)])|\n+|(?<=\.)\s+")


def grams(text: str) -> set[str]:
    """Character bigrams of Chinese runs plus lower-cased Latin words and numbers."""
    found = {w.lower() for w in re.findall(r"[A-Za-z]{3,}|\d+", text)}
    for run in re.findall(r"[\u3400-\u9fff]+", text):
        found.update(run[i:i + 2] for i in range(len(run) - 1))
    return found
