"""The LangChain adapter against a real llama.cpp server and loopback stand-ins for failures."""

from __future__ import annotations

import time

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


def test_condense_returns_one_line(llama_server: str) -> None:
    query = chain.condense(Endpoint(llama_server, "smollm2"), _settings(), "And in 2026?",
                           [("When is World Blood Donor Day?", "On 14 June [1].")])
    assert query and "\n" not in query


def test_endpoint_down_is_an_endpoint_error(closed_port_url: str) -> None:
    with pytest.raises(EndpointError, match="unreachable"):
        list(chain.stream_answer(Endpoint(closed_port_url, "m"), _settings(), "q", SOURCES, "English"))


def test_silent_endpoint_times_out(hanging_endpoint: str) -> None:
    start = time.monotonic()
    with pytest.raises(EndpointError, match="in time"):
        list(chain.stream_answer(Endpoint(hanging_endpoint, "m"), _settings(llm_timeout=1.0), "q",
                                 SOURCES, "English"))
    assert time.monotonic() - start < 10


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


def test_answer_check_gets_a_yes_or_no_from_a_real_server(llama_server: str) -> None:
    said = chain.answers_question(Endpoint(llama_server, "smollm2"), _settings(),
                                  "When is World Blood Donor Day?", ["2026年6月14日是第23个世界献血者日。"])
    assert isinstance(said, bool)  # SmolLM2's judgement is noise: only the plumbing is checked here


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
