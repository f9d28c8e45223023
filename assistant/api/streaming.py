"""Server-sent events for the API: an answer's stream of parts in, SSE text out.

In: the parts Engine.stream() yields: records.Evidence (sources found before the answer),
records.Queued (the place in the model's queue), text deltas (str), then exactly one records.Answer.
Out: `answer_events()` -> `event: evidence|queue|delta|answer|error` blocks with JSON data;
`started()` -> the same stream with its first part already computed, so that errors raised
before any output (a bad question, a missing index) become HTTP errors instead of events, with
the status `http_status()` gives (400 bad question or filter, 503 no index, 502 otherwise).
Not handled here: the OpenAI chunk format (openai_compat.py), routes (rest.py).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import asdict, is_dataclass
from typing import Any

from assistant.errors import AssistantError, IndexError_, QuestionError
from assistant.records import Answer


def jsonable(part: Any) -> Any:
    """A streamed part the answerer yields besides text and the Answer (evidence), as JSON."""
    if hasattr(part, "to_dict"):
        return part.to_dict()
    if isinstance(part, (list, tuple)):
        return [jsonable(p) for p in part]
    if is_dataclass(part) and not isinstance(part, type):
        return asdict(part)
    return part if isinstance(part, (dict, str, int, float, bool, type(None))) else str(part)


def http_status(e: AssistantError) -> int:
    return 400 if isinstance(e, QuestionError) else 503 if isinstance(e, IndexError_) else 502


def sse(event: str, data: Any) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def started(parts: Iterator) -> Iterator:
    """The stream with its first part already computed (errors before any output raise here)."""
    first = next(parts)
    return itertools.chain([first], parts)


def answer_events(parts: Iterator) -> Iterator[str]:
    """The SSE stream of one answer; an error after the first event ends it with `error`."""
    try:
        for part in parts:
            if isinstance(part, Answer):
                yield sse("answer", part.to_dict())
            elif isinstance(part, str):
                yield sse("delta", {"text": part})
            else:
                yield sse(getattr(part, "event", "evidence"), jsonable(part))
    except AssistantError as e:
        yield sse("error", {"detail": str(e)})
