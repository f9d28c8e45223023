"""Questions across reports: grouping the hits by article, one model reply per article, joining.

Hits are hand-built from the sample page (answerhits.py); the model is a loopback stand-in
(scripted_endpoint) so that each article's reply is chosen word for word, and the requests it
received can be read back. The real-model behaviour is measured by `assistant eval`.
"""

from __future__ import annotations

import json

import pytest
from answerhits import PASSAGES, ListRetriever, make_hits

from assistant.answer.pipeline import Answerer
from assistant.answer.reports import PART_NOTE, join_answers, report_groups
from assistant.config import Settings
from assistant.records import Answer, Citation

ACROSS = "这两篇报道分别提到了哪个城市和多少人？"
WHAT = "这两篇报道分别讲了什么？"
WUHAN = "Quote: “本次世界献血者日全国主会场活动设在湖北武汉。” [1]\nAnswer: 武汉 [1]"
ELEVEN = "Quote: “卢宥茂一行11人到访福建省卫生健康委员会” [1]\nAnswer: 11人 [1]"


def ask(url: str, question: str = ACROSS, hits=None) -> Answer:
    settings = Settings(llm_base_url=url, llm_model="m", llm_max_tokens=30)
    return Answerer(settings, ListRetriever(hits or make_hits()[:2])).ask(question)


def prompts(scripted_endpoint, url: str) -> list[str]:
    return [json.loads(body)["messages"][-1]["content"]
            for _, _, body in scripted_endpoint.requests(url)]


@pytest.mark.parametrize("question, across", [
    ("这两篇报道分别提到了哪个城市？", True), ("“闽昌”在这两版报纸中分别指哪里？", True),
    ("Which medical teams are mentioned in these reports?", True),
    ("Which teams are mentioned in the archive?", True),
    ("In which events did Yang Minhong take part?", True), ("质控中心组织开展过哪些工作？", True),
    ("杨闽红出席了什么活动？", True), ("大会上表演了哪些节目？", False),
    ("哪些单位通过了四级甲等测评？", False), ("Which units passed level 4A?", False)])
def test_questions_across_reports_are_split_by_article(question: str, across: bool) -> None:
    hits = make_hits()
    assert report_groups(question, hits) == ([[0], [1], [2]] if across else [[0, 1, 2]])


def test_chunks_of_one_article_stay_together() -> None:
    hits = make_hits()
    hits[2].chunk.position = hits[0].chunk.position  # a second chunk of the first article
    assert report_groups(ACROSS, hits) == [[0, 2], [1]]
    assert report_groups(ACROSS, hits[:1]) == [[0]]  # one article: one reply


def test_each_article_gets_its_own_reply_and_the_answers_are_joined(scripted_endpoint) -> None:
    url = scripted_endpoint(WUHAN, ELEVEN)
    answer = ask(url)
    assert not answer.refused and answer.text == "武汉 [1]\n11人 [2]"
    assert [c.title for c in answer.citations] == [PASSAGES[0][0], PASSAGES[1][0]]
    assert answer.quote.splitlines()[1].endswith("[2]")
    first, second = prompts(scripted_endpoint, url)  # two replies, no yes/no check
    assert PASSAGES[0][0] in first and PASSAGES[1][0] not in first and PASSAGES[1][0] in second
    assert PART_NOTE.strip() in first


def test_a_report_without_the_answer_is_left_out(scripted_endpoint) -> None:
    answer = ask(scripted_endpoint(WUHAN, "NOT_IN_ARCHIVE"), WHAT)
    assert answer.text == "武汉 [1]" and len(answer.citations) == 1


def test_a_how_many_question_needs_a_number_in_the_joined_answer(scripted_endpoint) -> None:
    answer = ask(scripted_endpoint(WUHAN, "NOT_IN_ARCHIVE"))  # ACROSS asks 多少人: no part says
    assert answer.refused and any("gives no number" in f for f in answer.flags)


def test_a_withheld_part_is_left_out_and_says_why(scripted_endpoint) -> None:
    made_up = "Quote: “卢宥茂一行25人到访福建。” [1]\nAnswer: 25人 [1]"
    answer = ask(scripted_endpoint(WUHAN, made_up), WHAT)
    assert answer.text == "武汉 [1]"
    assert any("not in the sources" in f for f in answer.flags)


def test_no_report_with_the_answer_is_a_refusal(scripted_endpoint) -> None:
    answer = ask(scripted_endpoint("NOT_IN_ARCHIVE"))
    assert answer.refused and not answer.citations


def test_a_question_within_one_report_is_one_reply(scripted_endpoint) -> None:
    url = scripted_endpoint(WUHAN, "Yes")
    answer = ask(url, "2026年世界献血者日全国主会场设在哪里？")
    assert answer.text == "武汉 [1]"
    assert len(prompts(scripted_endpoint, url)) == 2  # the answer and its yes/no check


def test_a_passage_cited_by_two_parts_is_one_source() -> None:
    c = [Citation("002", None, 1, t, "f.txt", [], "text", f"c{i}") for i, t in enumerate("AB")]
    parts = [Answer("q", "a [1][2]", [c[0], c[1]]), Answer("q", "b [1]", [c[1]]),
             Answer("q", "no", [], refused=True, flags=["withheld"])]
    joined = join_answers("q", parts, "en")
    assert joined.text == "a [1][2]\nb [2]" and joined.citations == c
    assert joined.flags == ["withheld"]
