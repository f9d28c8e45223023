"""Checks on an answer, by profile: the question, the passages and the reply in; a reason out.

Each check is a function (question, hits, reply, quotes) -> the reason it fails, one sentence,
or None; the reply's [n] are numbered as the hits are. Each module's docstring says the general
rule it enforces and what it does not handle:
absent.says_absent (the answer only says the sources lack it), located.not_located (a quote in
no source), numbers.ungrounded (a number the cited articles lack), howmany.no_asked_number (a
how-many answer without a count), years.about_other (the cited articles are about another year
or ordinal), places.other_place (the cited articles do not mention the city, county or district
the question names), repetition.repeats_question (the answer only repeats the question).
Profiles (Settings.answer_checks, resolved by Settings.checks_profile):
- strict: every check, and, with Settings.model_check, the model asked again whether the
  quotes answer (ASKS_MODEL: one more model call per answer, off by default); for
  small local models, which invent figures and answer near questions;
- standard: the grounding checks only (says absent, quote located, numbers grounded), no extra
  model call; for 7B-class and larger endpoints;
- off: none (citations are still mapped to the sources).
What a failed check leads to (withhold the answer, or show its quotes instead of a repetition)
is pipeline.py's business.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.answer.checks.absent import says_absent
from assistant.answer.checks.counted import other_kind
from assistant.answer.checks.howmany import no_asked_number
from assistant.answer.checks.located import not_located
from assistant.answer.checks.numbers import ungrounded
from assistant.answer.checks.places import other_place
from assistant.answer.checks.repetition import repeats_question
from assistant.answer.checks.years import about_other
from assistant.records import Hit

Check = Callable[[str, list[Hit], str, Sequence[str]], str | None]

GROUNDING: tuple[Check, ...] = (says_absent, not_located, ungrounded)
# the checks that withhold an answer, run in this order; the first reason wins
WITHHOLDING: dict[str, tuple[Check, ...]] = {
    "strict": GROUNDING + (no_asked_number, other_kind, about_other, other_place),
    "standard": GROUNDING,
    "off": (),
}
REPLACES_REPETITION = frozenset({"strict"})  # a repeating answer gives way to its quotes
ASKS_MODEL = frozenset({"strict"})  # the extra yes/no call (chain.answers_question)
PROFILES = tuple(WITHHOLDING)


def run_checks(profile: str, question: str, hits: list[Hit], reply: str,
               quotes: Sequence[str] = ()) -> str | None:
    """The reason of the first withholding check of `profile` that fails, or None."""
    for check in WITHHOLDING[profile]:
        if (reason := check(question, hits, reply, quotes)) is not None:
            return reason
    return None


def repetition(profile: str, question: str, hits: list[Hit], reply: str) -> str | None:
    """repeats_question's reason, in the profiles that act on it; else None."""
    return repeats_question(question, hits, reply) if profile in REPLACES_REPETITION else None
