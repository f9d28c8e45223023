"""The LangChain adapter (the only module that imports LangChain): prompt | ChatOpenAI | text.

In:  an llm.Endpoint, Settings, the question, chat history and the numbered sources block.
Out: `condense()` -> a standalone search question; `stream_answer()` -> text deltas;
     `answers_question()` -> whether the model, shown only some sentences, says they answer it.
Every failure of the endpoint (unreachable, timeout, HTTP error, malformed or empty reply, reply
cut off) is raised as errors.EndpointError so the caller can fall back; nothing else leaks out.
Not handled here: retrieval, refusal, citation checking or fallback answers (pipeline.py).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Sequence
from functools import cache

import httpx
import openai
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_openai import ChatOpenAI

from assistant.answer.endpoint import Endpoint
from assistant.config import PROMPTS_DIR, Settings
from assistant.errors import EndpointError

_NO = re.compile(r"\s*(?:no\b|不|否)", re.I)
# what a broken or foreign endpoint can throw at us while we read its reply
ENDPOINT_FAILURES = (openai.OpenAIError, httpx.HTTPError, ValueError, KeyError, TypeError,
                     AttributeError)


@cache
def prompt_text(name: str) -> str:
    return (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8").strip()


def chat_model(endpoint: Endpoint, settings: Settings, max_tokens: int | None = None,
               temperature: float | None = None) -> ChatOpenAI:
    return ChatOpenAI(base_url=endpoint.base_url, api_key=endpoint.api_key, model=endpoint.model,
                      temperature=settings.llm_temperature if temperature is None else temperature,
                      max_tokens=max_tokens or settings.llm_max_tokens,
                      timeout=settings.llm_timeout, max_retries=0, streaming=True)


def _describe(e: Exception) -> str:
    if isinstance(e, openai.APITimeoutError | httpx.TimeoutException):
        return "did not answer in time"
    if isinstance(e, openai.APIConnectionError | httpx.ConnectError):
        return "is unreachable"
    if isinstance(e, openai.APIStatusError):
        return f"answered HTTP {e.status_code}"
    return f"sent a malformed reply ({e.__class__.__name__})"


def _stream(chain, inputs: dict, endpoint: Endpoint, deadline: float) -> Iterator[str]:
    """Deltas of one chain run; EndpointError on any failure, on an empty reply or past deadline."""
    got_any = False
    try:
        for delta in chain.stream(inputs):
            if time.monotonic() > deadline:
                raise EndpointError(f"LLM endpoint {endpoint.shown} took too long")
            if delta:
                got_any = True
                yield delta
    except ENDPOINT_FAILURES as e:
        cut = " mid-answer" if got_any else ""
        raise EndpointError(f"LLM endpoint {endpoint.shown} {_describe(e)}{cut}") from e
    if not got_any:
        raise EndpointError(f"LLM endpoint {endpoint.shown} returned an empty answer")


def stream_answer(endpoint: Endpoint, settings: Settings, question: str, sources: str,
                  language: str, earlier: Sequence[str] = (), note: str = "") -> Iterator[str]:
    """The model's answer to `question` from the numbered `sources`, as text deltas; `earlier`
    (the conversation's previous questions) says what a follow-up's "he" or "it" refers to;
    `note` is a line put before the question (e.g. reports.PART_NOTE)."""
    prompt = ChatPromptTemplate.from_messages([("system", prompt_text("answer")),
                                               ("human", prompt_text("question"))])
    chain = prompt | chat_model(endpoint, settings) | StrOutputParser()
    context = ("Earlier questions in this conversation: " + " / ".join(earlier[-2:]) + "\n"
               if earlier else "") + note
    inputs = {"question": question, "sources": sources, "language": language, "context": context}
    yield from _stream(chain, inputs, endpoint, time.monotonic() + settings.llm_timeout)


def condense(endpoint: Endpoint, settings: Settings, question: str,
             history: list[tuple[str, str]]) -> str:
    """Rewrite a follow-up question as a standalone one, using the last turns of the chat."""
    turns = "\n".join(f"User: {q}\nAssistant: {a[:300]}" for q, a in list(history)[-3:])
    prompt = ChatPromptTemplate.from_messages([("human", prompt_text("condense"))])
    chain = prompt | chat_model(endpoint, settings, max_tokens=80) | StrOutputParser()
    inputs = {"history": turns, "question": question}
    text = "".join(_stream(chain, inputs, endpoint, time.monotonic() + settings.llm_timeout))
    return text.strip().splitlines()[0].strip() if text.strip() else question


def answers_question(endpoint: Endpoint, settings: Settings, question: str,
                     sentences: Sequence[str]) -> bool:
    """Ask the model, in a fresh conversation and without its earlier answer, whether `sentences`
    alone answer `question`; False only for a plain "No" (a reply that is neither counts as yes)."""
    prompt = ChatPromptTemplate.from_messages([("human", prompt_text("check"))])
    chain = prompt | chat_model(endpoint, settings, max_tokens=3, temperature=0.0) | StrOutputParser()
    inputs = {"question": question, "sentences": "\n".join(f"- {s}" for s in sentences)}
    text = "".join(_stream(chain, inputs, endpoint, time.monotonic() + settings.llm_timeout))
    return _NO.match(text) is None
