"""A load run through the HTTP API (`assistant bench --api-load`): concurrent users for a while.

In: Settings (the models and endpoint to use: by default EmbeddingGemma and the local llama.cpp
server with Qwen 1.5B), the number of users and seconds. It indexes data/sample into a temporary
folder, serves the app as `assistant serve` does (page + API, uvicorn on a free loopback port),
and has each user ask /api/ask in a loop, each starting at another question, until the time is
up (requests started before then are waited for). Each user reads the reply as a stream of
server-sent events, as a chat front-end does: it waits as long as events keep coming (evidence,
its place in the queue, repeated while it waits, answer text) and gives up only after a silence
longer than the server's own first-token budget. Out: figures — requests served, errors (a
non-200, a broken reply or such a silence), mixed-up answers (an answer whose question is not the one sent, or
that cites a passage its own question did not retrieve: another user's), extractive fallbacks
(the model timed out or failed), refusals, time to evidence and to the whole answer p50/p95, the
longest queue a user saw, the machine's load average.
Not handled here: answer quality (`assistant eval`), printing (cli/show.py). A run, not a test.
"""

from __future__ import annotations

import json
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from assistant.answer.chain import first_token_budget
from assistant.answer.local_server import free_port
from assistant.config import SAMPLE_DIR, Settings
from assistant.ingest.pipeline import ingest

# about the two sample pages, each with its own answer; not taken from the eval question set
QUESTIONS = ["世界献血者日的口号是什么？", "Which hospitals passed level 4A?",
             "福建省立医院与哪里开展麻醉学科协作？",
             "What did the medical team in Senegal do for Children's Day?",
             "2026年世界献血者日全国主会场设在哪里？", "香港医务卫生局代表团到访福建做了什么？",
             "Who organised the blood donor day campaign?", "援塞医疗队在儿童节做了什么？"]

LONGEST_PROMPT_CHARS = 6000  # instructions, history and whole passages: more than any prompt here


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), nearest-rank; 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def run_load(settings: Settings, users: int = 8, seconds: float = 60.0) -> dict:
    from assistant.ui.app import build_app, launch
    from assistant.ui.engine import Engine

    with tempfile.TemporaryDirectory(prefix="api-load-") as tmp:
        s = settings.model_copy(update={"index_dir": Path(tmp) / "index", "port": free_port(),
                                        "host": "127.0.0.1", "feedback_db": Path(tmp) / "fb.db"})
        ingest([str(SAMPLE_DIR)], s)
        engine = Engine(s)
        engine.warm_up()  # the local llama.cpp server starts before the clock does
        retrieved = {q: {h.chunk.id for h in engine.search(q)} for q in QUESTIONS}
        demo = build_app(engine)
        url = launch(demo, s, block=False)
        load_before = os.getloadavg()
        try:
            # the longest silence the server allows itself (the first token of a long prompt)
            silence = first_token_budget(s, LONGEST_PROMPT_CHARS) + 30
            figures = _drive(url, users, seconds, retrieved, silence)
        finally:
            demo.close()
            engine.close()
    return figures | {"users": users, "seconds": seconds, "model": s.llm_model,
                      "answer_concurrency": s.answer_concurrency,
                      "load_average_before": round(load_before[0], 2),
                      "load_average_after": round(os.getloadavg()[0], 2)}


def ask_streaming(http: httpx.Client, question: str) -> tuple[float, dict]:
    """One question through /api/ask as server-sent events: (seconds to the evidence event, the
    final answer's JSON, with the most questions seen ahead in the queue as "_most_ahead")."""
    t, evidence_s, most_ahead, event = time.monotonic(), 0.0, 0, ""
    with http.stream("POST", "api/ask", json={"question": question, "stream": True}) as reply:
        if reply.status_code != 200:
            raise ValueError(f"HTTP {reply.status_code}")
        for line in reply.iter_lines():
            if line.startswith("event: "):
                event = line[len("event: "):]
            elif line.startswith("data: "):
                data = json.loads(line[len("data: "):])
                if event == "evidence" and not evidence_s:
                    evidence_s = time.monotonic() - t
                elif event == "queue":
                    most_ahead = max(most_ahead, int(data.get("ahead", 0)))
                elif event == "error":
                    raise ValueError(f"error event: {data.get('detail')}")
                elif event == "answer":
                    return evidence_s, data | {"_most_ahead": most_ahead}
    raise ValueError("the stream ended without an answer")


def _drive(url: str, users: int, seconds: float, retrieved: dict[str, set[str]],
           silence: float) -> dict:
    lock = threading.Lock()
    latencies: list[float] = []
    evidence: list[float] = []
    counts = {"errors": 0, "mixed_up": 0, "fallback": 0, "refused": 0, "most_ahead": 0}
    problems: list[str] = []
    start = time.monotonic()
    deadline = start + seconds
    timeout = httpx.Timeout(30.0, read=silence)

    def user(n: int) -> None:
        with httpx.Client(base_url=url, timeout=timeout) as http:
            i = n
            while time.monotonic() < deadline:
                question = QUESTIONS[i % len(QUESTIONS)]
                i += 1
                t = time.monotonic()
                try:
                    evidence_s, body = ask_streaming(http, question)
                    problem = ""
                except (httpx.HTTPError, ValueError, KeyError) as e:
                    body, problem = {}, f"user {n}: {e.__class__.__name__}: {e}"
                with lock:
                    if problem:
                        counts["errors"] += 1
                        problems.append(problem[:200])
                        continue
                    latencies.append(time.monotonic() - t)
                    evidence.append(evidence_s)
                    counts["most_ahead"] = max(counts["most_ahead"], body["_most_ahead"])
                    cited = {c["chunk_id"] for c in body["citations"]}
                    if body["question"] != question or not cited <= retrieved[question]:
                        counts["mixed_up"] += 1
                        problems.append(f"user {n}: mixed up: asked {question!r}, got "
                                        f"{body['question']!r} citing {sorted(cited)}"[:300])
                    counts["fallback"] += bool(body["fallback"])
                    counts["refused"] += bool(body["refused"])

    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return {"requests_served": len(latencies), **counts,
            "evidence_p50_s": round(statistics.median(evidence), 2) if evidence else 0.0,
            "evidence_p95_s": round(percentile(evidence, 95), 2),
            "p50_s": round(statistics.median(latencies), 1) if latencies else 0.0,
            "p95_s": round(percentile(latencies, 95), 1),
            "wall_s": round(time.monotonic() - start, 1), "problems": problems[:10]}
