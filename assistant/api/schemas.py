"""The HTTP API's request and response bodies as pydantic models (they make /openapi.json).

In: JSON bodies of /api/ask, /api/search, /api/feedback and the OpenAI-style /v1/chat/completions.
Out: validated objects; response models mirror `assistant ask --json` (records.Answer.to_dict)
and `assistant search --json` (records.Hit.to_dict) field for field.
Not handled here: what the routes do (rest.py, openai_compat.py).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class FiltersIn(BaseModel):
    date_from: str = Field("", description="YYYY-MM-DD, inclusive; empty: no limit")
    date_to: str = Field("", description="YYYY-MM-DD, inclusive; empty: no limit")
    issue: str = Field("", description="an issue as shown in citations, e.g. 第1300期; empty: all")


class AskIn(BaseModel):
    question: str
    history: list[tuple[str, str]] = Field(default_factory=list,
                                           description="earlier [question, answer] turns")
    filters: FiltersIn = Field(default_factory=FiltersIn)
    stream: bool = Field(False, description="answer as server-sent events (or send "
                                            "Accept: text/event-stream)")


class CitationOut(BaseModel):
    issue: str | None
    date: str | None
    page: int
    title: str
    file: str
    bbox: list[tuple[float, float, float, float]]
    text: str = ""
    chunk_id: str = ""
    article_id: str | None = None
    url: str | None = None
    title_derived: bool = False


class AnswerOut(BaseModel):
    """The fields of `assistant ask --json`."""
    question: str
    answer: str
    citations: list[CitationOut]
    refused: bool
    quote: str
    fallback: bool
    notice: str | None
    flags: list[str]
    model: str
    timings: dict[str, float]
    tokens: dict[str, int] = Field(default_factory=dict, description="prompt and generated tokens")
    checks: str = Field("", description="the answer-check profile that answered: strict, standard or off")


class SearchIn(BaseModel):
    question: str
    k: int | None = Field(None, ge=1, le=100, description="passages (default: Settings.top_k)")
    filters: FiltersIn = Field(default_factory=FiltersIn)


class HitOut(BaseModel):
    text: str
    score: float
    dense_score: float | None
    bm25_score: float | None
    citation: dict[str, Any]


class SearchOut(BaseModel):
    """The fields of `assistant search --json`."""
    question: str
    hits: list[HitOut]


class StatusOut(BaseModel):
    index_dir: str
    generation: str | None
    index: dict[str, int] | None = Field(description="issues, pages, articles, chunks")
    problem: str = ""
    model: str
    endpoint: str = Field(description="shown without credentials")
    embedder: str


class FeedbackIn(BaseModel):
    rating: Literal["up", "down"]
    comment: str = ""
    answer: AnswerOut = Field(description="the /api/ask answer being rated, as it was returned")
    history: list[tuple[str, str]] = Field(default_factory=list)


class FeedbackOut(BaseModel):
    id: int


class ChatMessage(BaseModel):
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatIn(BaseModel):
    """An OpenAI chat completion request; fields the archive has no use for are accepted."""
    model: str = ""
    messages: list[ChatMessage]
    stream: bool = False
