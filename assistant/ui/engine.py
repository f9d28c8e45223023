"""What every chat session and API request shares, loaded once at start: embedder, index,
Answerer, LLM endpoint, feedback store.

In: Settings. Out: `Engine`, whose `stream()` is exactly `Answerer.stream()` (the function behind
`assistant ask`) and `search()` the retriever of `assistant search`, plus what the UI and the API
show around them: index status, issue list, a cited article's full text, `add_files()` that
stores, ingests and then serves uploaded issues, and the feedback store (api/feedback.py).
Before each question the index's CURRENT generation is read (one small file); when another
process (a CLI ingest) or an upload wrote a new one, the index is reloaded under a lock and
swapped in: requests already running finish on the index they started with, and the LLM server
keeps running (one Answerer for the process). At most Settings.answer_concurrency questions are
answered at once, from the UI and the API together; the rest wait their turn.
Not handled here: anything Gradio (app.py) or HTTP (api/), upload checks (uploads.py), answering
(answer/pipeline.py).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from assistant.answer.pipeline import Answerer
from assistant.api.feedback import FeedbackStore
from assistant.config import Settings
from assistant.errors import AssistantError, IndexError_
from assistant.ingest.pipeline import ingest
from assistant.records import Answer, Chunk, Citation, Hit
from assistant.redact import shown_url
from assistant.search.embed import load_embedder
from assistant.search.retrieve import Filters, Retriever
from assistant.search.store import Index, current_generation
from assistant.ui.sourceview import article_text
from assistant.ui.uploads import store_upload

log = logging.getLogger(__name__)


class LiveRetriever:
    """The Retriever of the index currently loaded; `current` is swapped when the index changes.
    Each method call (search, retrieve, …) goes to the Retriever current at the time of the call."""

    def __init__(self) -> None:
        self.current: Retriever | None = None

    def __getattr__(self, name: str):
        retriever = self.current
        if retriever is None:
            raise IndexError_("no index loaded")
        return getattr(retriever, name)


class Engine:
    """One per process; sessions share it read-only, uploads swap its index under a lock."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.embedder = load_embedder(settings)
        self.retriever = LiveRetriever()
        self.answerer = Answerer(settings, self.retriever)
        self.index: Index | None = None
        self.generation: str | None = None
        self.problem = ""
        self.feedback = FeedbackStore(settings.feedback_path)
        self.endpoint_url = shown_url(settings.llm_base_url) if settings.llm_base_url \
            else "local llama.cpp server (starts on first use)"
        self._articles: dict[str, list[Chunk]] = {}
        self._write_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._answering = threading.BoundedSemaphore(max(1, settings.answer_concurrency))
        self.reload()

    def warm_up(self) -> None:
        """Start (or check) the LLM endpoint now rather than on the first question."""
        try:
            self.endpoint_url = self.answerer.endpoint().shown
        except AssistantError as e:
            self.endpoint_url = f"{e} — answers quote the sources until it is back"

    def close(self) -> None:
        self.answerer.close()

    def reload(self) -> None:
        """(Re)open the index from disk and swap it in."""
        with self._reload_lock:
            self._reload()

    def refresh(self) -> None:
        """Reload when CURRENT names another generation than the one loaded (cheap otherwise)."""
        if current_generation(self.settings.index_dir) != self.generation:
            with self._reload_lock:
                if current_generation(self.settings.index_dir) != self.generation:
                    self._reload()

    def _reload(self) -> None:
        generation = current_generation(self.settings.index_dir)  # before: never newer than loaded
        try:
            index = Index.load(self.settings.index_dir, self.embedder)
        except IndexError_ as e:
            self.problem = (f"{e} — add issues with `assistant ingest data/sample`, "
                            "or upload PDF/TXT files on this page.")
            return
        groups: dict[tuple, list[Chunk]] = {}
        for chunk in index.chunks:
            groups.setdefault((chunk.file, chunk.page, chunk.position), []).append(chunk)
        self._articles = {c.id: group for group in groups.values() for c in group}
        self.retriever.current = Retriever(index, self.embedder, self.settings)
        self.index, self.problem, self.generation = index, "", generation

    def stream(self, question: str, history: list[tuple[str, str]],
               filters: Filters | None) -> Iterator[str | Answer]:
        """Text deltas, then the final Answer: the same computation as `assistant ask`."""
        self.refresh()
        if self.index is None:
            raise IndexError_(self.problem)
        with self._answering:
            for part in self.answerer.stream(question, history, filters):
                if isinstance(part, Answer) and self.settings.log_questions:
                    self._log(part, history)
                yield part

    def search(self, question: str, k: int | None = None,
               filters: Filters | None = None) -> list[Hit]:
        """Ranked passages, as `assistant search` finds them, from the current generation."""
        self.refresh()
        if self.index is None:
            raise IndexError_(self.problem)
        return self.retriever.search(question, k=k or self.settings.top_k, filters=filters)

    def _log(self, answer: Answer, history: list[tuple[str, str]]) -> None:
        try:
            self.feedback.add("question", answer.to_dict(), [list(t) for t in history],
                              self.settings)
        except AssistantError as e:  # the answer still goes out
            log.warning("question not logged: %s", e)

    def answer(self, question: str, history: list[tuple[str, str]] = (),
               filters: Filters | None = None) -> Answer:
        *_, final = self.stream(question, list(history), filters)
        return final

    def add_files(self, files: list[Path], progress: Callable[..., object]) -> list[str]:
        """Check, store and ingest uploads one at a time; one line of outcome per file."""
        if not files:
            return []
        lines = []
        with self._write_lock:
            for i, f in enumerate(files):
                progress(i / len(files), desc=f"indexing {f.name}")
                try:
                    stored = store_upload(f, f.name, self.settings)
                except AssistantError as e:
                    lines.append(f"Not added: {e}")
                    continue
                report = ingest([str(stored)], self.settings, embedder=self.embedder)
                lines += [f"Not added: {e}" for e in report.skipped]
                lines += [f"Warning: {w}" for w in report.warnings]
                if report.unchanged:
                    lines.append(f"{f.name}: already in the archive")
                elif report.files:
                    lines.append(f"{f.name}: added ({report.pages} pages, "
                                 f"{report.articles} articles, {report.chunks} passages)")
            self.reload()
        return lines

    def issues(self) -> list[str]:
        return sorted({c.issue for c in self.index.chunks if c.issue}) if self.index else []

    def article(self, citation: Citation) -> str:
        return article_text(self._articles.get(citation.chunk_id, []), self.settings.chunk_overlap)

    def status_data(self) -> dict:
        """Index stats and generation, model, endpoint (no credentials), embedder."""
        self.refresh()
        index = self.index
        return {"index_dir": str(self.settings.index_dir), "generation": self.generation,
                "index": index.stats() if index else None, "problem": self.problem,
                "model": self.settings.llm_model, "endpoint": self.endpoint_url,
                "embedder": self.embedder.name}

    def status(self) -> str:
        d = self.status_data()
        lines = [f"**Model** {d['model']} · **endpoint** {d['endpoint']}",
                 f"**Embeddings** {d['embedder']}"]
        if d["index"] is None:
            lines.append(f"**Index** {d['index_dir']}: {d['problem']}")
        else:
            st = d["index"]
            lines.append(f"**Index** {d['index_dir']}: {st['issues']} issues, {st['pages']} pages, "
                         f"{st['articles']} articles, {st['chunks']} chunks")
        return "  \n".join(lines)


def parse_filters(date_from: str, date_to: str, issue: str) -> Filters | None:
    """Filters from the UI's fields ('' = no limit); QuestionError for a malformed date."""
    return Filters.of(date_from, date_to, issue)
