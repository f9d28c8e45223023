"""The LangChain adapter (the only module that imports LangChain): prompt | ChatOpenAI | text.

In:  an answer.endpoint.Endpoint, Settings, the question, chat history and the numbered sources block.
Out: `condense()` -> a standalone search question; `stream_answer()` -> text deltas;
     `answers_question()` -> whether the model, shown only some sentences, says they answer it.
Every failure of the endpoint (unreachable, timeout, HTTP error, malformed or empty reply, reply
cut off) is raised as errors.EndpointError so the caller can fall back; nothing else leaks out.
Not handled here: retrieval, refusal, citation checking or fallback answers (pipeline.py).
"""

from __future__ import annotations

import importlib
import re
import time
from collections.abc import Iterator, Sequence
from functools import cache

import httpx
import openai
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI

from assistant.answer.endpoint import Endpoint
from assistant.config import PROMPTS_DIR, Settings
from assistant.errors import EndpointError

_NO = re.compile(r"\s*(?:no\b|不|否)", re.I)


def _http_libraries() -> tuple:
    """The HTTP libraries whose errors can reach us from the openai client while a reply
    streams: httpx (openai 1.x and 2.x) and httpx2 (openai 3.x), whichever are installed."""
    found = [httpx]
    try:
        found.append(importlib.import_module("httpx2"))
    except ImportError:
        pass
    return tuple(found)


_HTTP = _http_libraries()
_TIMEOUTS = (openai.APITimeoutError, *(h.TimeoutException for h in _HTTP))
_UNREACHABLE = (openai.APIConnectionError, *(h.ConnectError for h in _HTTP))
# what a broken or foreign endpoint can throw at us while we read its reply
ENDPOINT_FAILURES = (openai.OpenAIError, *(h.HTTPError for h in _HTTP), ValueError, KeyError,
                     TypeError, AttributeError)


@cache
def prompt_text(name: str) -> str:
    return (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8").strip()


def first_token_budget(settings: Settings, prompt_chars: int) -> float:
    """Seconds to wait for a reply's first token: the prompt read at the slowest rate worth
    waiting for (Settings.llm_min_prompt_rate tokens/s, ~0.8 tokens per character, an upper
    bound for Chinese text) plus Settings.llm_timeout. Time waiting in the queue is not counted."""
    return settings.llm_timeout + 0.8 * prompt_chars / settings.llm_min_prompt_rate


def chat_model(endpoint: Endpoint, settings: Settings, max_tokens: int | None = None,
               temperature: float | None = None, wait: float | None = None) -> ChatOpenAI:
    """The endpoint as a streaming LangChain chat model. `wait` bounds the silence before each
    chunk (the read timeout, in the openai client's own Timeout type); the fixed instructions stay a prefix llama.cpp can reuse
    (cache_prompt); token counts come back with the last chunk (stream_usage)."""
    return ChatOpenAI(base_url=endpoint.base_url, api_key=endpoint.api_key, model=endpoint.model,
                      temperature=settings.llm_temperature if temperature is None else temperature,
                      max_tokens=max_tokens or settings.llm_max_tokens,
                      timeout=openai.Timeout(wait or settings.llm_timeout, connect=10.0),
                      max_retries=0, streaming=True, stream_usage=True,
                      extra_body={"cache_prompt": True})


def _describe(e: Exception) -> str:
    if isinstance(e, _TIMEOUTS):
        return "did not answer in time"
    if isinstance(e, _UNREACHABLE):
        return "is unreachable"
    if isinstance(e, openai.APIStatusError):
        return f"answered HTTP {e.status_code}"
    return f"sent a malformed reply ({e.__class__.__name__})"


def _stream(chain, inputs: dict, endpoint: Endpoint, settings: Settings, first_wait: float,
            usage: dict[str, int] | None = None) -> Iterator[str]:
    """Deltas of one run of `chain` (prompt | chat model); EndpointError on any failure, on an
    empty reply, when the first token takes longer than `first_wait` seconds or a later one
    longer than Settings.llm_timeout. Token counts are added to `usage`: prompt, generated, and
    cached (prompt tokens the server reused from an earlier request, when it says so)."""
    got_any = False
    deadline = time.monotonic() + first_wait
    try:
        for chunk in chain.stream(inputs):
            if time.monotonic() > deadline:
                raise EndpointError(f"LLM endpoint {endpoint.shown} took too long")
            meta = getattr(chunk, "usage_metadata", None)
            if meta and usage is not None:
                usage["prompt"] = usage.get("prompt", 0) + meta.get("input_tokens", 0)
                usage["generated"] = usage.get("generated", 0) + meta.get("output_tokens", 0)
                if cached := (meta.get("input_token_details") or {}).get("cache_read"):
                    usage["cached"] = usage.get("cached", 0) + cached
            delta = chunk.content if isinstance(chunk.content, str) else ""
            if delta:
                got_any = True
                deadline = time.monotonic() + settings.llm_timeout
                yield delta
    except ENDPOINT_FAILURES as e:
        cut = " mid-answer" if got_any else ""
        raise EndpointError(f"LLM endpoint {endpoint.shown} {_describe(e)}{cut}") from e
    if not got_any:
        raise EndpointError(f"LLM endpoint {endpoint.shown} returned an empty answer")


def _run(prompt: ChatPromptTemplate, inputs: dict, endpoint: Endpoint, settings: Settings,
         usage: dict[str, int] | None, **model: object) -> Iterator[str]:
    """One streamed model call: the prompt filled with `inputs`, waited for as long as its length
    needs (first_token_budget over the template and the inputs)."""
    chars = sum(len(m.prompt.template) for m in prompt.messages) + sum(len(str(v)) for v in inputs.values())
    wait = first_token_budget(settings, chars)
    chain = prompt | chat_model(endpoint, settings, wait=wait, **model)
    yield from _stream(chain, inputs, endpoint, settings, wait, usage)


def stream_answer(endpoint: Endpoint, settings: Settings, question: str, sources: str,
                  language: str, earlier: Sequence[str] = (),
                  usage: dict[str, int] | None = None) -> Iterator[str]:
    """The model's answer to `question` from the numbered `sources`, as text deltas; `earlier`
    (the conversation's previous questions) says what a follow-up's "he" or "it" refers to.
    The fixed instructions (the system message) come before the sources and the question, so
    that llama.cpp reuses what it read of them for the previous question; token counts are added
    to `usage`."""
    prompt = ChatPromptTemplate.from_messages([("system", prompt_text("answer")),
                                               ("human", prompt_text("question"))])
    context = ("Earlier questions in this conversation: " + " / ".join(earlier[-2:]) + "\n"
               if earlier else "")
    inputs = {"question": question, "sources": sources, "language": language, "context": context}
    yield from _run(prompt, inputs, endpoint, settings, usage)


def condense(endpoint: Endpoint, settings: Settings, question: str,
             history: list[tuple[str, str]], usage: dict[str, int] | None = None) -> str:
    """Rewrite a follow-up question as a standalone one, using the last turns of the chat."""
    turns = "\n".join(f"User: {q}\nAssistant: {a[:300]}" for q, a in list(history)[-3:])
    prompt = ChatPromptTemplate.from_messages([("human", prompt_text("condense"))])
    inputs = {"history": turns, "question": question}
    text = "".join(_run(prompt, inputs, endpoint, settings, usage, max_tokens=80))
    return text.strip().splitlines()[0].strip() if text.strip() else question


def answers_question(endpoint: Endpoint, settings: Settings, question: str,
                     sentences: Sequence[str], usage: dict[str, int] | None = None) -> bool:
    """Ask the model, in a fresh conversation and without its earlier answer, whether `sentences`
    alone answer `question`; False only for a plain "No" (a reply that is neither counts as yes)."""
    prompt = ChatPromptTemplate.from_messages([("human", prompt_text("check"))])
    inputs = {"question": question, "sentences": "\n".join(f"- {s}" for s in sentences)}
    text = "".join(_run(prompt, inputs, endpoint, settings, usage, max_tokens=3, temperature=0.0))
    return _NO.match(text) is None
