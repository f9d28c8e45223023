"""The REST API: /api/ask, /api/search, /api/status, /api/feedback on a FastAPI app.

In: an Engine (ui/engine.py: the models and index of this process) and its Settings.
Out: `create_app()` -> a FastAPI app with those routes and the OpenAI-compatible /v1 routes
(openai_compat.py), documented at /docs and /openapi.json; ui/app.py mounts the chat page on
the same app and api/server.py serves it. Bodies (schemas.py) mirror the CLI's JSON:
- POST /api/ask: {question, history, filters} -> the fields of `assistant ask --json`; with
  "stream": true or `Accept: text/event-stream`, server-sent events: `evidence` ({text,
  citations}: the best-matching source sentences, within a second, not the answer), `queue`
  ({"ahead"}: questions answered before this one), `delta` ({"text"}: the model's draft, not yet
  checked), then one `answer` (the final JSON; its text replaces the draft) or one `error`.
- POST /api/search: {question, k, filters} -> the fields of `assistant search --json`.
- GET /api/status: index stats and generation, model, endpoint (no credentials), embedder.
- POST /api/feedback: {rating, comment, answer, history} -> {id} (api/feedback.py).
Errors are one-line {"detail"}: 400 for a bad question or filter, 503 without an index, 502
when the answering fails otherwise; 401 without the login off loopback (auth.py).
Not handled here: the chat page (ui/app.py), answering (answer/pipeline.py), serving (server.py).
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from assistant.answer.admission import check_question
from assistant.api.auth import api_guard
from assistant.api.openai_compat import chat_router
from assistant.api.schemas import (
    AnswerOut,
    AskIn,
    FeedbackIn,
    FeedbackOut,
    FiltersIn,
    SearchIn,
    SearchOut,
    StatusOut,
)
from assistant.api.streaming import answer_events, http_status, started
from assistant.errors import AssistantError
from assistant.search.retrieve import Filters
from assistant.ui.engine import Engine, parse_filters


def filters_of(f: FiltersIn) -> Filters | None:
    return parse_filters(f.date_from, f.date_to, f.issue)


def api_router(engine: Engine) -> APIRouter:
    router = APIRouter(prefix="/api", tags=["archive"])
    settings = engine.settings

    @router.post("/ask", response_model=AnswerOut,
                 responses={200: {"content": {"text/event-stream": {}}}})
    def ask(body: AskIn, request: Request):
        """Answer a question with citations, as `assistant ask --json` does."""
        history = [tuple(turn) for turn in body.history]
        parts = engine.stream(body.question, history, filters_of(body.filters))
        if body.stream or "text/event-stream" in request.headers.get("accept", ""):
            return StreamingResponse(answer_events(started(parts)), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache"})
        *_, answer = parts
        return answer.to_dict()

    @router.post("/search", response_model=SearchOut)
    def search(body: SearchIn):
        """Ranked passages for a question, as `assistant search --json` returns them."""
        question = check_question(body.question, settings)
        hits = engine.search(question, body.k, filters_of(body.filters))
        return {"question": body.question, "hits": [h.to_dict() for h in hits]}

    @router.get("/status", response_model=StatusOut)
    def status():
        """The index (stats, generation), the model and its endpoint."""
        return engine.status_data()

    @router.post("/feedback", response_model=FeedbackOut)
    def feedback(body: FeedbackIn):
        """Thumbs up or down (and a comment) on an answer /api/ask returned; stored with the
        question, answer, citations, flags and settings for `assistant feedback export`."""
        entry = engine.feedback.add("feedback", body.answer.model_dump(),
                                    [list(t) for t in body.history], settings, body.rating,
                                    body.comment)
        return {"id": entry}

    return router


def create_app(engine: Engine) -> FastAPI:
    """The API app; every /api and /v1 route requires the login when one applies."""
    app = FastAPI(title="Newspaper archive assistant",
                  description="Questions answered from the archive, every claim cited "
                              "(issue, date, page, article).", version="1")
    guard = [Depends(api_guard(engine.settings))]
    app.include_router(api_router(engine), dependencies=guard)
    app.include_router(chat_router(engine), dependencies=guard)

    @app.exception_handler(AssistantError)
    def assistant_error(request: Request, e: AssistantError) -> JSONResponse:
        return JSONResponse({"detail": str(e)}, status_code=http_status(e))

    return app
