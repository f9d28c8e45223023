"""Errors a user can act on. Each one prints as a single line; the CLI shows it without a traceback.

Not handled here: deciding what to skip or retry (callers do), or logging.
"""

from __future__ import annotations


class AssistantError(Exception):
    """Base class: anything the CLI reports as a one-line message and a non-zero exit."""


class InputFileError(AssistantError):
    """A file that cannot be ingested: names the file and the problem."""

    def __init__(self, file: str, problem: str) -> None:
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem


class IndexError_(AssistantError):
    """A missing, incompatible or damaged index (named with a trailing _ to not shadow the builtin)."""


class ModelError(AssistantError):
    """A model that is missing, corrupt (checksum) or cannot be loaded."""


class EndpointError(AssistantError):
    """The LLM endpoint is unreachable, too slow, or answered garbage."""


class QuestionError(AssistantError):
    """A question that is empty or too long."""
