"""Quote located: every sentence the model says it copied is in one of the sources.

In:  the reply's Quote lines and the retrieved Hits. Out: a reason naming the first quote that no
source holds: at least MIN_QUOTE_SHARE of it in verbatim runs of three characters or more, in the
source's order (quotes.locate_quote), so a made-up "sentence" built around a real phrase fails.
An empty "Quote:" line is judged as an answer without a quote, not as a made-up one.
Not handled: whether the quote answers the question (the model is asked that, in the strict
profile: chain.answers_question) or supports the answer's words (numbers.py checks its numbers);
answers given without Quote lines pass.
"""

from __future__ import annotations

from collections.abc import Sequence

from assistant.answer.citations import cited_numbers
from assistant.answer.quotes import MIN_QUOTE_SHARE, locate_quote, quote_text
from assistant.records import Hit


def not_located(question: str, hits: list[Hit], reply: str,
                quotes: Sequence[str] = ()) -> str | None:
    """A reason when a Quote line's words are in no source."""
    for line in quotes:
        words = quote_text(line)
        if words and locate_quote(words, hits, prefer=cited_numbers(line))[1] < MIN_QUOTE_SHARE:
            return "a sentence it quotes is not in the sources"
    return None
