"""Refusals: the model's text in, whether it declines to answer out; the refusal wording.

In:  the model's (streamed) answer text.
Out: the NOT_IN_ARCHIVE marker and whether a text is (or may still become) it, and the refusal
     shown to the user.
Not handled here: the model saying in its own words that the sources lack the answer
(checks/absent.py), deciding to refuse for other reasons (pipeline.py and checks/).
"""

from __future__ import annotations

REFUSAL_MARKER = "NOT_IN_ARCHIVE"
REFUSAL = {"en": "The archive does not say: none of the indexed articles answers this question.",
           "zh": "档案中没有相关内容：已收录的报纸文章未回答这个问题。"}


def is_refusal(text: str) -> bool:
    return REFUSAL_MARKER in text.upper().replace(" ", "_")


def may_become_refusal(text: str) -> bool:
    """True while the streamed text so far could still be the start of the refusal marker."""
    head = text.strip().strip("`*\"'").upper().replace(" ", "_")
    return REFUSAL_MARKER.startswith(head)
