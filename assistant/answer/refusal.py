"""Refusals: the model's text in, whether it declines to answer out; the refusal wording.

In:  the model's (streamed) answer text.
Out: the NOT_IN_ARCHIVE marker and whether a text is (or may still become) it, whether the model
     says in its own words that the sources lack the answer, and the refusal shown to the user.
Not handled here: deciding to refuse for other reasons (pipeline.py and checks/).
"""

from __future__ import annotations

import re

REFUSAL_MARKER = "NOT_IN_ARCHIVE"
REFUSAL = {"en": "The archive does not say: none of the indexed articles answers this question.",
           "zh": "档案中没有相关内容：已收录的报纸文章未回答这个问题。"}

# the model saying in its own words that the sources do not answer, instead of NOT_IN_ARCHIVE
_SAYS_ABSENT = re.compile(
    r"\bnot (?:provided|mentioned|stated|specified|given|available|included|found)\b"
    r"|\b(?:does|do|did)(?: not|n't) (?:say|mention|state|specify|provide|contain|include)\b"
    r"|\bno (?:information|mention|details?)\b|\bcannot be (?:found|determined)\b"
    r"|未提及|没有提及|未提到|没有提到|未说明|没有说明|未提供|没有提供|无法确定|无法回答|没有相关信息|未找到",
    re.I)


def is_refusal(text: str) -> bool:
    return REFUSAL_MARKER in text.upper().replace(" ", "_")


def says_absent(text: str) -> bool:
    """Whether the model's answer says the sources lack the answer ("is not mentioned", 未提及)."""
    return _SAYS_ABSENT.search(text) is not None


def may_become_refusal(text: str) -> bool:
    """True while the streamed text so far could still be the start of the refusal marker."""
    head = text.strip().strip("`*\"'").upper().replace(" ", "_")
    return REFUSAL_MARKER.startswith(head)
