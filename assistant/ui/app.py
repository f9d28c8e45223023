"""The chat web UI (`assistant serve`): Gradio Blocks over the same Answerer as `assistant ask`.

In: Settings (index, models, endpoint, host/port, login, upload limit).
Out: a web page with a streamed, multi-turn chat; every answer lists its numbered citations, and
clicking one shows the passage marked in its article and, for a PDF, the page image with the
passage highlighted. Also: thumbs up/down and a comment on each answer (stored by
api/feedback.py), date/issue filters, model and index status, example questions, and uploads of
new issues (checked, ingested, then searchable at once). `launch()` serves the page mounted on
the HTTP API's FastAPI app (api/rest.py: /api/*, /v1/*, /docs) with uvicorn; Gradio's own
endpoint /ask (JSON, as `assistant ask --json`) stays for gradio_client users.
Models load once (engine.Engine); each browser session keeps its own history and citations in
gr.State, so concurrent sessions never share an answer. Off loopback a login is required, for
the page and the API alike (api/auth.py).
Not handled here: models, index and uploads (engine.py), answering (answer/pipeline.py), rendering a
cited source (sourceview.py), the API's routes (api/).
"""

from __future__ import annotations

import html
import io
from pathlib import Path

import gradio as gr
from PIL import Image

from assistant.api.auth import is_loopback, login  # noqa: F401  (is_loopback: part of the UI's API)
from assistant.api.rest import create_app
from assistant.api.server import Served
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.records import Answer, Citation, Evidence, Queued
from assistant.ui.engine import Engine, parse_filters
from assistant.ui.sourceview import article_html, page_png, resolve_file

EXAMPLES = ["世界献血者日的口号是什么？", "Which hospitals passed level 4A?",
            "福建省立医院与哪里开展麻醉学科协作？", "What did the medical team in Senegal do for Children's Day?"]
ALL_ISSUES = ""
CSS = """
#source-view .article { max-height: 26rem; overflow-y: auto; line-height: 1.8; }
#source-view mark.cited { background: #ffd95a; padding: 0 .1em; }
#source-view .source-file { color: var(--body-text-color-subdued); font-size: .9em; }
"""


def format_answer(answer: Answer) -> str:
    parts = [f"*{answer.notice}*"] if answer.notice else []
    parts.append(answer.text)
    if answer.quote:  # the sentences the answer rests on, as the newspaper printed them
        parts.append("\n>\n".join(f"> {line}" for line in answer.quote.splitlines()))
    if answer.citations:
        parts.append("**Sources**  \n" + "  \n".join(
            f"[{i}] {c.label()}" for i, c in enumerate(answer.citations, 1)))
    checked = [f"{answer.checks} profile"] if answer.checks else []  # which checks answered
    if checked or answer.flags:  # and what they found: the reader should know
        parts.append("<small>Checks: " + "; ".join(
            html.escape(f, quote=False) for f in checked + answer.flags) + "</small>")
    return "\n\n".join(parts)


class Progress:
    """What a chat turn shows before its checked answer: the sources found (Evidence), the place
    in the queue for the model (Queued), then the model's draft, marked as being checked: the
    final Answer replaces all of it (format_answer)."""

    def __init__(self) -> None:
        self.evidence, self.status, self.draft = "", "*Searching the archive…*", ""

    def add(self, part: str | Evidence | Queued) -> str:
        if isinstance(part, Evidence):
            self.evidence = "**Sources found** (not yet the answer)\n\n" + "\n>\n".join(
                f"> {line}" for line in part.text.splitlines()) + "\n\n" + "  \n".join(
                f"[{i}] {c.label()}" for i, c in enumerate(part.citations, 1))
            self.status = "*Reading the sources…*"
        elif isinstance(part, Queued):
            self.status = f"*Waiting for the language model: {part.ahead} question" \
                          f"{'' if part.ahead == 1 else 's'} ahead of yours…*"
        else:
            self.draft += part
            self.status = "*Draft answer, being checked against the sources…*"
        return "\n\n".join(filter(None, (self.evidence, self.status, html.escape(self.draft))))


def _sources(turns: list[dict], turn: int) -> dict:
    """The citations of answer `turn` as choices; each value is "turn:index"."""
    if not turns:
        return gr.update(choices=[], value=None, label="Sources")
    if not turns[turn]["citations"]:
        return gr.update(choices=[], value=None, label=f"Answer {turn + 1} cites no sources")
    choices = [(f"[{i}] {Citation(**c).label()}", f"{turn}:{i - 1}")
               for i, c in enumerate(turns[turn]["citations"], 1)]
    return gr.update(choices=choices, value=None, label=f"Sources of answer {turn + 1}: click one")


class ChatPage(gr.Blocks):
    """The chat page of one Engine; once launched, close() also stops the server serving it."""

    def __init__(self, engine: Engine, **kwargs) -> None:
        super().__init__(**kwargs)
        self.engine, self.served = engine, None

    def close(self, verbose: bool = True) -> None:
        if self.served is not None:
            self.served.close()
            self.served = None
        super().close(verbose)


def build_app(engine: Engine) -> ChatPage:
    def respond(question: str, messages: list, turns: list, date_from: str, date_to: str,
                issue: str):
        question = question.strip()
        if not question:
            return
        shown = question if len(question) <= engine.settings.max_question_chars else \
            question[:200] + f"… ({len(question)} characters)"
        messages = messages + [{"role": "user", "content": shown},
                               {"role": "assistant", "content": "…"}]
        yield "", messages, turns, gr.update()
        history = [(t["question"], t["answer"]) for t in turns if t["answer"]]
        progress, answer = Progress(), None
        try:
            for part in engine.stream(question, history, parse_filters(date_from, date_to, issue)):
                if isinstance(part, Answer):
                    answer = part
                else:
                    messages[-1] = {"role": "assistant", "content": progress.add(part)}
                    yield "", messages, turns, gr.update()
        except AssistantError as e:
            messages[-1] = {"role": "assistant", "content": f"⚠️ {e}"}
            turns = turns + [{"question": question, "answer": "", "citations": []}]
            yield "", messages, turns, _sources(turns, len(turns) - 1)
            return
        messages[-1] = {"role": "assistant", "content": format_answer(answer)}
        turns = turns + [answer.to_dict()]  # "question", "answer", "citations", flags…
        yield "", messages, turns, _sources(turns, len(turns) - 1)

    def pick_answer(turns: list, evt: gr.SelectData):
        turn = evt.index // 2  # messages alternate: question, answer
        return _sources(turns, turn) if turn < len(turns) else gr.update()

    def rate(turns: list, comment: str, evt: gr.LikeData):
        turn = evt.index // 2 if isinstance(evt.index, int) else evt.index[0] // 2
        if turn >= len(turns) or not turns[turn]["answer"] or evt.liked not in (True, False):
            return gr.update(), None
        history = [[t["question"], t["answer"]] for t in turns[:turn] if t["answer"]]
        entry = engine.feedback.add("feedback", turns[turn], history, engine.settings,
                                    "up" if evt.liked else "down", comment.strip())
        return (f"Thank you: answer {turn + 1} rated {'👍' if evt.liked else '👎'} "
                f"(feedback #{entry}). A comment below is added to it."), entry

    def add_comment(comment: str, entry: int | None):
        if entry is None:
            return "Rate an answer (👍/👎 under it) first.", comment
        engine.feedback.set_comment(entry, comment.strip())
        return f"Comment added to feedback #{entry}.", ""

    def show_source(choice: str | None, turns: list):
        if not choice:
            return "", gr.update(visible=False)
        turn, i = map(int, choice.split(":"))
        citation = Citation(**turns[turn]["citations"][i])
        view = article_html(citation, i + 1, engine.article(citation))
        pdf = resolve_file(citation.file, engine.settings.index_dir)
        if pdf is None or pdf.suffix.lower() != ".pdf":
            return view, gr.update(value=None, visible=False)
        try:
            png = page_png(pdf, citation.page, citation.bbox, citation.text)
        except AssistantError as e:
            return view + f"<p>⚠️ {e}</p>", gr.update(value=None, visible=False)
        return view, gr.update(value=Image.open(io.BytesIO(png)), visible=True,
                               label=f"{pdf.name} · page {citation.page}")

    def upload(files: list[str] | None, progress: gr.Progress = gr.Progress()):
        lines = engine.add_files([Path(f) for f in files or []], progress)
        report = "  \n".join(lines) or "Choose .pdf or .txt files first."
        return report, engine.status(), _issue_choices(), None

    def _issue_choices() -> dict:
        return gr.update(choices=[("All issues", ALL_ISSUES)] + [(i, i) for i in engine.issues()])

    def api_ask(question: str, history: list[list[str]] | None = None, date_from: str = "",
                date_to: str = "", issue: str = "") -> dict:
        """Answer a question as `assistant ask --json` does; history: earlier [question, answer]
        pairs; dates (YYYY-MM-DD) and issue filter the sources."""
        return engine.answer(question, [tuple(h) for h in history or []],
                             parse_filters(date_from, date_to, issue)).to_dict()

    with ChatPage(engine, title="Newspaper assistant", analytics_enabled=False) as demo:
        turns, rated = gr.State([]), gr.State(None)
        gr.Markdown("## Health newspaper archive assistant\nAsk in Chinese or English; "
                    "every answer cites issue, date, page and article.")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(label="Chat", height=520, elem_id="chat", buttons=["copy"])
                with gr.Row():
                    question = gr.Textbox(show_label=False, scale=5, elem_id="question",
                                          placeholder="Ask about the archive…")
                    send = gr.Button("Ask", variant="primary", scale=1, elem_id="ask")
                with gr.Row():
                    comment = gr.Textbox(show_label=False, scale=5, elem_id="feedback-comment",
                                         placeholder="Comment on the answer you rate (optional)")
                    send_comment = gr.Button("Send comment", scale=1, elem_id="send-comment")
                feedback_note = gr.Markdown(elem_id="feedback-note")
                gr.Examples([[q] for q in EXAMPLES], inputs=[question], label="Examples",
                            api_visibility="private")
                with gr.Accordion("Filters", open=False):
                    with gr.Row():
                        date_from = gr.Textbox(label="From date", placeholder="YYYY-MM-DD")
                        date_to = gr.Textbox(label="To date", placeholder="YYYY-MM-DD")
                        issue = gr.Dropdown(label="Issue", value=ALL_ISSUES, choices=[
                            ("All issues", ALL_ISSUES)] + [(i, i) for i in engine.issues()])
            with gr.Column(scale=2):
                sources = gr.Radio(label="Sources", choices=[], elem_id="sources")
                source_view = gr.HTML(elem_id="source-view")
                page_image = gr.Image(label="Page", visible=False, interactive=False,
                                      format="png", elem_id="page-image", buttons=["fullscreen"])
        with gr.Row():
            status = gr.Markdown(engine.status(), elem_id="status")
            with gr.Column():
                files = gr.File(label=f"Add issues (.pdf, .txt; at most "
                                f"{engine.settings.upload_max_mb} MB each)",
                                file_count="multiple", file_types=[".pdf", ".txt"])
                add = gr.Button("Add to the archive", elem_id="add")
                upload_report = gr.Markdown(elem_id="upload-report")

        ui = {"api_visibility": "private"}  # the page's own events; the API is /ask alone
        # chat and API answers share one limit: one question can be retrieved while another
        # is generated, and the rest wait in Gradio's queue rather than time out in llama.cpp's
        answering = {"concurrency_id": "answer",
                     "concurrency_limit": engine.settings.answer_concurrency}
        inputs = [question, chat, turns, date_from, date_to, issue]
        outputs = [question, chat, turns, sources]
        question.submit(respond, inputs, outputs, **ui, **answering)
        send.click(respond, inputs, outputs, **ui, **answering)
        chat.select(pick_answer, [turns], [sources], **ui)
        chat.like(rate, [turns, comment], [feedback_note, rated], **ui)
        send_comment.click(add_comment, [comment, rated], [feedback_note, comment], **ui)
        chat.clear(lambda: ([], _sources([], 0), "", gr.update(visible=False)),
                   None, [turns, sources, source_view, page_image], **ui)
        sources.input(show_source, [sources, turns], [source_view, page_image], **ui)
        add.click(upload, [files], [upload_report, status, issue, files], **ui)
        demo.load(lambda: (engine.status(), _issue_choices()), None, [status, issue], **ui)
        gr.api(api_ask, api_name="ask", **answering)
    return demo


def launch(demo: ChatPage, settings: Settings, block: bool = True) -> str:
    """Serve the page mounted on the API app at Settings.host/port; returns the local URL
    (blocks until Ctrl-C unless block=False; then demo.close() stops the server)."""
    app = create_app(demo.engine)
    gr.mount_gradio_app(app, demo.queue(), path="/", auth=login(settings),
                        max_file_size=f"{settings.upload_max_mb}mb", ssr_mode=False,
                        mcp_server=False, footer_links=["api"], css=CSS,
                        server_name=settings.host, server_port=settings.port)
    served = Served(app, settings.host, settings.port)
    if block:
        served.run()
    else:
        demo.served = served.start()
    return served.url
