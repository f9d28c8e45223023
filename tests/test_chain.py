"""The LangChain adapter against a real llama.cpp server and loopback stand-ins for failures."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from assistant.answer import chain
from assistant.answer.endpoint import Endpoint
from assistant.config import Settings
from assistant.errors import EndpointError

SOURCES = "[1] p.1 · 献血\n<source>\n2026年6月14日是第23个世界献血者日。\n</source>"


def _settings(**kw) -> Settings:
    return Settings(llm_max_tokens=24, **kw)


def test_answer_streams_in_several_deltas(llama_server: str) -> None:
    deltas = list(chain.stream_answer(Endpoint(llama_server, "smollm2"), _settings(),
                                      "When is World Blood Donor Day?", SOURCES, "English"))
    assert len(deltas) > 3
    assert "".join(deltas).strip()


def test_condense_asks_with_the_last_turns_and_keeps_the_first_line(scripted_endpoint) -> None:
    url = scripted_endpoint("When is World Blood Donor Day in 2026?\nI rewrote it with the year.")
    history = [(f"Question {n}?", f"Answer {n}.") for n in range(1, 6)]
    query = chain.condense(Endpoint(url, "m"), _settings(), "And in 2026?", history)
    assert query == "When is World Blood Donor Day in 2026?"
    prompt = scripted_endpoint.requests(url)[0][2].decode()
    assert "And in 2026?" in prompt and "Question 5?" in prompt and "Question 3?" in prompt
    assert "Question 2?" not in prompt  # only the last three turns


def test_condense_with_an_empty_reply_keeps_the_question(scripted_endpoint) -> None:
    url = scripted_endpoint("  ")
    assert chain.condense(Endpoint(url, "m"), _settings(), "And in 2026?", [("q", "a")]) \
        == "And in 2026?"


def test_endpoint_down_is_an_endpoint_error(closed_port_url: str) -> None:
    with pytest.raises(EndpointError, match="unreachable"):
        list(chain.stream_answer(Endpoint(closed_port_url, "m"), _settings(), "q", SOURCES, "English"))


def test_silent_endpoint_times_out(hanging_endpoint: str) -> None:
    start = time.monotonic()
    with pytest.raises(EndpointError, match="in time"):
        list(chain.stream_answer(Endpoint(hanging_endpoint, "m"),
                                 _settings(llm_timeout=1.0, llm_min_prompt_rate=1e6), "q",
                                 SOURCES, "English"))
    assert time.monotonic() - start < 10


@pytest.mark.unit
def test_the_wait_for_a_first_token_grows_with_the_prompt() -> None:
    """A busy machine reads a long prompt slowly: the timeout follows the work, not one figure."""
    s = _settings(llm_timeout=30.0, llm_min_prompt_rate=10.0)
    assert chain.first_token_budget(s, 0) == 30.0
    assert chain.first_token_budget(s, 1000) == pytest.approx(30.0 + 80.0)
    assert chain.first_token_budget(s, 2000) > chain.first_token_budget(s, 1000)


def test_malformed_json_is_an_endpoint_error(garbage_endpoint: str) -> None:
    with pytest.raises(EndpointError, match="malformed"):
        list(chain.stream_answer(Endpoint(garbage_endpoint, "m"), _settings(), "q", SOURCES, "English"))


def test_empty_reply_is_an_endpoint_error(scripted_endpoint) -> None:
    with pytest.raises(EndpointError, match="empty"):
        list(chain.stream_answer(Endpoint(scripted_endpoint(""), "m"), _settings(), "q", SOURCES,
                                 "English"))


def test_stream_cut_off_mid_answer_is_an_endpoint_error(scripted_endpoint) -> None:
    url = scripted_endpoint("The main event was held in Wuhan, Hubei province [1].", cut=True)
    deltas = []
    with pytest.raises(EndpointError, match="mid-answer"):
        for delta in chain.stream_answer(Endpoint(url, "m"), _settings(), "q", SOURCES, "English"):
            deltas.append(delta)
    assert deltas  # part of the answer had arrived


def test_answer_check_reads_a_real_servers_reply(llama_server: str) -> None:
    """SmolLM2's judgement is noise, so the check is compared with the meaning of the reply the
    same server gives to the same prompt asked directly (greedy decoding: the same reply)."""
    question, sentence = "When is World Blood Donor Day?", "2026年6月14日是第23个世界献血者日。"
    said = chain.answers_question(Endpoint(llama_server, "smollm2"), _settings(), question,
                                  [sentence])
    prompt = chain.prompt_text("check").format(question=question, sentences=f"- {sentence}")
    raw = httpx.post(f"{llama_server}/chat/completions", timeout=120, json={
        "model": "smollm2", "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 3, "temperature": 0}).json()["choices"][0]["message"]["content"]
    assert said is (re.match(r"\s*(?:no\b|不|否)", raw, re.I) is None), raw


@pytest.mark.parametrize("reply, answers", [("No", False), ("no.", False), ("不能", False),
                                            ("Yes", True), ("Not sure, maybe", True)])
def test_answer_check_is_no_only_for_a_plain_no(scripted_endpoint, reply: str, answers: bool) -> None:
    url = scripted_endpoint(reply)
    assert chain.answers_question(Endpoint(url, "m"), _settings(), "q", ["s"]) is answers


@pytest.mark.slow
def test_default_qwen_says_whether_a_sentence_answers_the_question() -> None:
    from assistant.answer.local_server import local_server
    sentence = ["2026年6月14日是第23个世界献血者日，本次世界献血者日全国主会场活动设在湖北武汉。"]
    with local_server(Settings()) as server:
        endpoint = Endpoint(server.base_url, "qwen")
        assert chain.answers_question(endpoint, Settings(), "Where was the main event held?", sentence)
        assert not chain.answers_question(endpoint, Settings(), "Who won the football World Cup in 2022?",
                                          sentence)
