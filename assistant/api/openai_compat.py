"""The archive as an OpenAI-style "model": POST /v1/chat/completions and GET /v1/models.

In: an OpenAI chat request (schemas.ChatIn) from a chat front-end (Open WebUI, LibreChat,
Chatbox, the `openai` client). The last user message is the question; earlier user/assistant
pairs are the history (the sources list this module appended to an earlier reply is cut off
again); system messages and sampling options are ignored: the archive's own prompt and settings
apply. Out: a chat.completion whose content is the answer with its [n] marks, then the numbered
sources as text ("[1] 第1300期 · 2026-06-14 · p.4 · title"); with "stream": true, chunks in
the OpenAI format ending with `data: [DONE]`. The answer is streamed once it has passed the
answer checks (a draft the checks withhold is never shown), so while the model writes, the
stream carries only SSE comments that keep the connection alive. Errors: {"error": {message,
type}} with the HTTP status of rest.py, or as the last chunk once a stream has started.
Not handled here: tools, images, logprobs, n > 1, token counts (usage is reported as 0).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse

from assistant.api.schemas import ChatIn, ChatMessage
from assistant.api.streaming import http_status, started
from assistant.errors import AssistantError, QuestionError
from assistant.records import Answer

MODEL_ID = "newspaper-archive"
SOURCES = "\n\nSources:\n"
KEEP_ALIVE_SECONDS = 2.0
PIECE = 24  # characters per streamed chunk of the checked answer


def text_of(message: ChatMessage) -> str:
    """A message's text: a string, or the text parts of a multi-part content list."""
    if isinstance(message.content, list):
        return "".join(p.get("text", "") for p in message.content if p.get("type") == "text")
    return message.content or ""


def question_and_history(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The last user message, and the (question, answer) pairs before it, sources cut off."""
    turns = [m for m in messages if m.role in ("user", "assistant")]
    last = max((i for i, m in enumerate(turns) if m.role == "user"), default=None)
    if last is None:
        raise QuestionError("the request has no user message")
    history, asked = [], None
    for m in turns[:last]:
        if m.role == "user":
            asked = text_of(m)
        elif asked is not None:
            history.append((asked, text_of(m).split(SOURCES)[0].strip()))
            asked = None
    return text_of(turns[last]), history


def reply_text(answer: Answer) -> str:
    """The answer with its [n] marks, a notice above it when there is one, the sources below."""
    parts = [answer.notice, answer.text] if answer.notice else [answer.text]
    text = "\n\n".join(parts)
    if answer.citations:
        text += SOURCES + "\n".join(f"[{i}] {c.label()}" for i, c in enumerate(answer.citations, 1))
    return text


def _completion(cid: str, created: int, **choice: Any) -> dict[str, Any]:
    return {"id": cid, "object": "chat.completion", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, **choice}]}


def _chunk(cid: str, created: int, delta: dict[str, str], finish: str | None = None) -> str:
    data = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"


def _error(e: AssistantError) -> tuple[dict[str, Any], int]:
    status = http_status(e)
    kind = "invalid_request_error" if status == 400 else "server_error"
    return {"error": {"message": str(e), "type": kind, "code": status}}, status


def chunks(parts: Iterator, cid: str, created: int) -> Iterator[str]:
    """OpenAI stream chunks: the role, keep-alive comments while the answer is made, the checked
    answer in pieces, the stop, [DONE]."""
    yield _chunk(cid, created, {"role": "assistant", "content": ""})
    last = time.monotonic()
    try:
        for part in parts:
            if isinstance(part, Answer):
                text = reply_text(part)
                for i in range(0, len(text), PIECE):
                    yield _chunk(cid, created, {"content": text[i:i + PIECE]})
            elif time.monotonic() - last >= KEEP_ALIVE_SECONDS:
                last = time.monotonic()
                yield ": working\n\n"
    except AssistantError as e:
        yield f"data: {json.dumps(_error(e)[0], ensure_ascii=False)}\n\n"
        return
    yield _chunk(cid, created, {}, "stop")
    yield "data: [DONE]\n\n"


def chat_router(engine) -> APIRouter:
    """The /v1 routes over an Engine (ui/engine.py)."""
    router = APIRouter(prefix="/v1", tags=["OpenAI-compatible"])

    @router.get("/models")
    def models() -> dict[str, Any]:
        """The one model: the archive."""
        return {"object": "list", "data": [{"id": MODEL_ID, "object": "model", "created": 0,
                                            "owned_by": "newspaper-assistant"}]}

    @router.post("/chat/completions")
    def chat(body: ChatIn):
        """Answer the last user message from the archive, with its sources as text."""
        cid, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
        try:
            question, history = question_and_history(body.messages)
            parts = engine.stream(question, history, None)
            if body.stream:
                return StreamingResponse(chunks(started(parts), cid, created),
                                         media_type="text/event-stream",
                                         headers={"Cache-Control": "no-cache"})
            *_, answer = parts
        except AssistantError as e:
            content, status = _error(e)
            return JSONResponse(content, status_code=status)
        message = {"role": "assistant", "content": reply_text(answer)}
        used, made = answer.tokens.get("prompt", 0), answer.tokens.get("generated", 0)
        return _completion(cid, created, message=message, finish_reason="stop") | {
            "usage": {"prompt_tokens": used, "completion_tokens": made, "total_tokens": used + made}}

    return router

