"""Question -> cited Answer: question checks, citations, refusal and withheld answers, fallback, `ask`.

The retriever here is a list of records.Hit built by hand from the sample page (ListRetriever, a
stand-in for the real one, which has its own tests); the LLM is a real llama.cpp server (SmolLM2),
or a loopback stand-in when a test needs a failure or a reply chosen word for word.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from answerhits import PASSAGES, ListRetriever, answerer, make_hits
from conftest import quoting_reply

from assistant.answer.admission import check_question, is_relevant
from assistant.answer.chain import prompt_text
from assistant.answer.checks.years import absent_years
from assistant.answer.pipeline import Answerer
from assistant.cli.commands import ask_command
from assistant.config import Settings
from assistant.errors import QuestionError
from assistant.records import Answer, Evidence
from assistant.search.retrieve import Filters

# ---- pure parts -----------------------------------------------------------------------------

@pytest.mark.unit
@pytest.mark.parametrize("question", ["", "   \n"])
def test_empty_question_rejected(question: str) -> None:
    with pytest.raises(QuestionError, match="empty"):
        check_question(question, Settings())


@pytest.mark.unit
def test_long_question_rejected_with_the_limit() -> None:
    with pytest.raises(QuestionError, match="1001 characters.*limit is 1000"):
        check_question("问" * 1001, Settings())


def test_reply_of_source_numbers_only_gets_the_extractive_answer(scripted_endpoint) -> None:
    answer = answerer(scripted_endpoint("[1] [2] [3]")).ask("2026年世界献血者日的口号是什么？")
    assert answer.fallback and "no answer" in answer.notice and "一滴热血" in answer.text
    assert answer.citations and answer.citations[0].title == PASSAGES[0][0]


def test_quote_with_an_empty_answer_line_is_the_answer_not_the_fallback(scripted_endpoint) -> None:
    url = scripted_endpoint("Quote: “本次世界献血者日全国主会场活动设在湖北武汉。” [1]\nAnswer: [1]", "Yes")
    answer = answerer(url).ask("2026年世界献血者日全国主会场设在哪里？")
    assert not answer.fallback and not answer.refused
    assert answer.text == "“本次世界献血者日全国主会场活动设在湖北武汉。” [1]"
    assert answer.citations[0].title == PASSAGES[0][0]


@pytest.mark.unit
def test_a_year_no_source_mentions_is_named() -> None:
    assert absent_years("What was the slogan of World Blood Donor Day 2025?", make_hits()) == ["2025"]
    assert absent_years("2026年世界献血者日的口号？", make_hits()) == []


@pytest.mark.unit
def test_relevance_threshold_uses_the_best_dense_score() -> None:
    settings = Settings(min_dense_score=0.5)
    assert is_relevant(make_hits(), settings)
    assert not is_relevant(make_hits(scale=0.5), settings)
    assert not is_relevant([], settings)
    bm25_only = make_hits()
    for hit in bm25_only:
        hit.dense_score, hit.bm25_score = None, 0.0
    assert not is_relevant(bm25_only, settings)
    bm25_only[2].bm25_score = 3.2
    assert is_relevant(bm25_only, settings)


# ---- with an endpoint -----------------------------------------------------------------------

def test_stream_from_a_real_server_yields_deltas_then_one_answer(llama_server: str) -> None:
    """Plumbing with a real llama.cpp server: SmolLM2's reply may be answered or withheld by the
    checks, so only what holds for every reply is asserted; the answer itself is tested below."""
    items = list(answerer(llama_server).stream("When is World Blood Donor Day?"))
    evidence, *deltas, final = items
    assert isinstance(evidence, Evidence) and evidence.citations  # sources first, before the model
    assert deltas and all(isinstance(d, str) for d in deltas)
    assert isinstance(final, Answer) and final.text and not final.fallback
    assert final.model == "test-model" and final.timings["generate"] > 0
    assert final.tokens["prompt"] > 0 and final.tokens["generated"] > 0  # the server's usage
    assert sum(isinstance(i, Answer) for i in items) == 1


def test_the_fixed_instructions_are_read_once_and_reused_by_the_next_question(llama_server) -> None:
    """The instructions come first in every prompt and requests ask llama.cpp to keep what it
    read (cache_prompt): the second question's prompt starts from the first one's tokens."""
    a = answerer(llama_server)
    a.ask("When is World Blood Donor Day?")
    second = a.ask("Who visited the Fujian health commission?")
    assert 0 < second.tokens.get("cached", 0) < second.tokens["prompt"]


def test_streamed_reply_becomes_a_cited_answer(chat_standin) -> None:
    model = chat_standin(quoting_reply)
    items = list(answerer(model.url).stream("2026年世界献血者日的主会场设在哪里？"))
    evidence, *deltas, final = items
    assert isinstance(evidence, Evidence)
    first = quoting_reply(model.prompts[0]).split("“")[1].split("”")[0]
    assert first in "".join(deltas)  # the reply streamed before the checked answer
    assert not final.refused and not final.fallback and first.rstrip("。") in final.text
    assert [c.title for c in final.citations] == [PASSAGES[0][0]]
    assert sum(isinstance(i, Answer) for i in items) == 1


def test_filters_reach_the_retriever_and_bound_the_citations(chat_standin) -> None:
    hits = make_hits()
    hits[0].chunk.issue, hits[0].chunk.date = "第1300期", "2026-06-14"
    model = chat_standin(quoting_reply)
    asker = answerer(model.url, hits)
    answer = asker.ask("世界献血者日的主会场设在哪里？", filters=Filters(issue="第1300期"))
    assert asker.retriever.filters[0] == Filters(issue="第1300期")
    assert answer.citations and {c.issue for c in answer.citations} == {"第1300期"}
    other = answerer(model.url, hits).ask("香港医务卫生局一行几人到访？",
                                          filters=Filters(date_from="2026-06-01"))
    assert {c.issue for c in other.citations} <= {"第1300期"}  # the other passages are undated


def test_model_citations_mapped_to_sources(scripted_endpoint) -> None:
    url = scripted_endpoint("口号是“一滴热血,一份爱心” [1]。主会场在武汉 [1][7]。另见 [3]。")
    answer = answerer(url).ask("2026年献血者日口号？")
    assert answer.text == "口号是“一滴热血,一份爱心” [1]。主会场在武汉 [1]。另见 [2]。"
    assert [c.title for c in answer.citations] == [PASSAGES[0][0], PASSAGES[2][0]]
    assert answer.citations[0].issue == "002" and answer.citations[0].page == 1
    assert answer.flags == ["dropped citation [7]: there is no source 7"]


def test_uncited_answer_is_flagged(scripted_endpoint) -> None:
    answer = answerer(scripted_endpoint("不知道。")).ask("主会场在哪里？")
    assert answer.citations == [] and "no citations" in answer.flags[0]


def test_uncited_answer_gets_the_matching_source_and_a_flag(scripted_endpoint) -> None:
    answer = answerer(scripted_endpoint("福州大学附属省立医院荣获全国五一劳动奖状。")).ask("省立医院获得什么奖？")
    assert answer.text == "福州大学附属省立医院荣获全国五一劳动奖状。 [1]"
    assert [c.title for c in answer.citations] == [PASSAGES[2][0]]
    assert "added by matching" in answer.flags[0]


@pytest.mark.parametrize("question, wording", [("Who won the 2022 World Cup?", "archive does not say"),
                                               ("2022年世界杯冠军是谁？", "档案中没有")])
def test_model_refusal_marker_becomes_plain_refusal(scripted_endpoint, question, wording) -> None:
    items = list(answerer(scripted_endpoint("NOT_IN_ARCHIVE")).stream(question))
    assert not any("NOT_IN" in i for i in items if isinstance(i, str))
    answer = items[-1]
    assert answer.refused and wording in answer.text and answer.citations == []


def test_answer_with_an_invented_number_is_withheld(scripted_endpoint) -> None:
    answer = answerer(scripted_endpoint("香港医务卫生局一行共30人 [2]。")).ask("他们一行共有多少人？")
    assert answer.refused and answer.citations == [] and "档案中没有" in answer.text
    assert "30 is in none of its sources" in answer.flags[0]
    assert not any("一行共30人" in f for f in answer.flags)  # the withheld text is never shown


@pytest.mark.parametrize("reply", ["[1] The budget is not provided in the given sources.",
                                   "[2] 报道中未提及具体人数。"])
def test_refusal_in_the_models_own_words_is_a_refusal(scripted_endpoint, reply: str) -> None:
    answer = answerer(scripted_endpoint(reply)).ask("What was the budget?")
    assert answer.refused and answer.citations == [] and "do not answer" in answer.flags[0]


def test_question_about_an_absent_year_refused_without_calling_the_model(closed_port_url) -> None:
    answer = answerer(closed_port_url).ask("What was the World Blood Donor Day slogan in 2025?")
    assert answer.refused and not answer.fallback and answer.flags == ["no source mentions 2025"]


def test_question_about_an_ordinal_no_source_mentions_refused_without_the_model(
        closed_port_url: str) -> None:
    answer = answerer(closed_port_url).ask("Where was the 24th World Blood Donor Day held?")
    assert answer.refused and not answer.fallback and answer.flags == ["no source mentions 24th"]


HONG_KONG = "香港特别行政区医务卫生局局长卢宥茂一行11人到访福建省卫生健康委员会。"
WUHAN = "本次世界献血者日全国主会场活动设在湖北武汉。"


@pytest.mark.parametrize("question, source, quote, refused", [
    ("第二十三个世界献血者日的主会场在哪里？", 2, HONG_KONG, "第二十三"),  # not about the 23rd
    ("第二十三个世界献血者日的主会场在哪里？", 1, WUHAN, ""),           # the passage on the 23rd
    ("Where was the 2026 main event held?", 2, HONG_KONG, "2026"),      # passage names no year
    ("Where was the 2026 main event held?", 1, WUHAN, "")])
def test_answer_from_an_article_about_another_year_or_ordinal_is_withheld(
        scripted_endpoint, question: str, source: int, quote: str, refused: str) -> None:
    url = scripted_endpoint(f"Quote: “{quote}” [{source}]\nAnswer: 湖北武汉 [{source}]", "Yes")
    answer = answerer(url).ask(question)
    assert answer.refused is bool(refused)
    if refused:
        assert f"asks about {refused}; the articles it cites do not mention it" in answer.flags[0]
    else:
        assert answer.citations[0].title == PASSAGES[0][0]


def test_the_year_may_be_in_another_retrieved_passage_of_the_cited_article(scripted_endpoint) -> None:
    hits = make_hits()
    hits[1].chunk.position = hits[0].chunk.position  # the Hong Kong passage: 2nd chunk of article 1
    url = scripted_endpoint(f"Quote: “{HONG_KONG}” [2]\nAnswer: 11人 [2]", "Yes")
    answer = answerer(url, hits).ask("How many people came in the 2026 visit?")
    assert not answer.refused and answer.text == "11人 [1]"


def test_irrelevant_hits_refused_without_calling_the_model(closed_port_url: str) -> None:
    answer = answerer(closed_port_url, make_hits(scale=0.1)).ask("What is the capital of France?")
    assert answer.refused and not answer.fallback  # the closed port was never tried
    assert "archive does not say" in answer.text and answer.checks == "strict"


@pytest.mark.parametrize("fixture", ["closed_port_url", "hanging_endpoint", "garbage_endpoint"])
def test_broken_endpoint_gives_extractive_fallback(fixture: str, request) -> None:
    url = request.getfixturevalue(fixture)
    answer = answerer(url, llm_timeout=1.0).ask("2026年世界献血者日活动口号是什么？")
    assert answer.fallback and not answer.refused and answer.model == "extractive"
    assert "语言模型不可用" in answer.notice
    assert "一滴热血" in answer.text and answer.citations[0].title == PASSAGES[0][0]


def test_follow_up_is_condensed_before_retrieval(scripted_endpoint) -> None:
    a = answerer(scripted_endpoint("What was the 2026 World Blood Donor Day slogan?"),
                 condense_followups=True)
    a.ask("And the slogan?", history=[("When is World Blood Donor Day 2026?", "On 14 June [1].")])
    assert a.retriever.queries == ["What was the 2026 World Blood Donor Day slogan?"]


def test_follow_up_echoed_by_the_condenser_is_searched_with_the_previous_question(scripted_endpoint) -> None:
    a = answerer(scripted_endpoint("And the slogan?"), condense_followups=True)  # often unchanged
    a.ask("And the slogan?", history=[("When is World Blood Donor Day 2026?", "On 14 June [1].")])
    assert a.retriever.queries == ["When is World Blood Donor Day 2026? And the slogan?"]


CONDENSE_HEAD = prompt_text("condense").splitlines()[0]


def test_follow_up_is_not_rewritten_by_an_extra_model_call(chat_standin) -> None:
    """By default a follow-up is not rewritten by the model (an extra call): it is searched with
    the earlier questions, and the one answering call is told what they were."""
    model = chat_standin(quoting_reply)
    a = answerer(model.url)
    a.ask("And the slogan?", history=[("When is World Blood Donor Day 2026?", "On 14 June [1].")])
    assert a.retriever.queries == ["When is World Blood Donor Day 2026? And the slogan?"]
    assert "When is World Blood Donor Day 2026?" in model.prompts[0]  # the answering call
    assert not any(CONDENSE_HEAD in p for p in model.prompts)  # no rewriting call


def test_follow_up_without_endpoint_searches_with_the_previous_question(closed_port_url) -> None:
    a = answerer(closed_port_url)
    a.ask("And the slogan?", history=[("When is World Blood Donor Day 2026?", "On 14 June [1].")])
    assert a.retriever.queries == ["When is World Blood Donor Day 2026? And the slogan?"]


def test_ask_command_json_lines(scripted_endpoint, capsys) -> None:
    a = answerer(scripted_endpoint("口号是“一滴热血” [1]。"))
    status = ask_command(["口号是什么？", ""], a.settings, as_json=True, answerer=a)
    lines = [json.loads(ln) for ln in capsys.readouterr().out.splitlines()]
    assert status == 2  # the empty question was rejected
    assert lines[0]["answer"] == "口号是“一滴热血” [1]。" and lines[0]["refused"] is False
    assert lines[0]["citations"][0]["title"] == PASSAGES[0][0] and lines[0]["citations"][0]["text"]
    assert lines[0]["model"] == "test-model" and "total" in lines[0]["timings"]
    assert lines[0]["checks"] == "strict"
    assert "empty" in lines[1]["error"]


def test_ask_command_readable_output_lists_sources(scripted_endpoint, capsys) -> None:
    a = answerer(scripted_endpoint("口号是“一滴热血” [1]。"))
    assert ask_command(["口号是什么？"], a.settings, as_json=False, answerer=a) == 0
    out = capsys.readouterr().out
    assert "Sources:" in out and "[1] 002 · p.1 · 4部委联合开展2026年世界献血者日宣传活动" in out
    assert "model test-model · checks strict · " in out
    # the evidence is printed first, before the model's answer, marked as not the answer
    assert out.index("Sources found (not yet the answer):") < out.index("口号是“一滴热血”")


def test_answer_cut_off_mid_stream_falls_back_with_notice(scripted_endpoint) -> None:
    url = scripted_endpoint("The main event of World Blood Donor Day was held in Wuhan [1].", cut=True)
    answer = answerer(url).ask("Where was the main World Blood Donor Day event held?")
    assert answer.fallback and "mid-answer" in answer.notice and answer.citations


# ---- the default local model (slow) ---------------------------------------------------------

@pytest.mark.slow
def test_default_qwen_answers_with_citation_and_refuses(tmp_path: Path) -> None:
    a = Answerer(Settings(llm_timeout=600), ListRetriever(make_hits()))  # a busy CI box is slow
    try:
        answer = a.ask("2026年世界献血者日的活动口号是什么？")
        assert "一滴热血" in answer.text and not answer.fallback
        assert answer.citations and answer.citations[0].title == PASSAGES[0][0]
        refused = a.ask("Who won the football World Cup in 2022?")
        assert refused.refused and "archive does not say" in refused.text
    finally:
        a.close()
