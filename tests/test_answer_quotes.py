"""The model's Quote/Answer reply: quotes located in the sources, citations mapped to the quoted
sources, numbers and quotes checked, and the short yes/no check that the quotes answer the
question. The model is a loopback stand-in (scripted_endpoint) whose reply is chosen word for
word; the retriever is the hand-built ListRetriever (tests/answerhits.py).
"""

from __future__ import annotations

import json

import pytest
from answerhits import PASSAGES, answerer

from assistant.errors import AssistantError
from assistant.records import Answer, Chunk, Hit

# ---- the Quote/Answer reply form ------------------------------------------------------------


def test_quote_and_answer_shown_with_the_source_the_quote_is_in(scripted_endpoint) -> None:
    url = scripted_endpoint("Quote: “香港特别行政区医务卫生局局长卢宥茂一行11人到访福建省卫生健康委员会。” [1]\n"
                            "Answer: The delegation had 11 people. [1]")
    answer = answerer(url).ask("How many people were in the Hong Kong delegation?")
    assert answer.text == "The delegation had 11 people. [1]"  # renumbered: the quote is in source 2
    assert [c.title for c in answer.citations] == [PASSAGES[1][0]]
    assert answer.quote.startswith("“香港特别行政区") and answer.quote.endswith("” [1]")
    assert not answer.refused and answer.to_dict()["quote"] == answer.quote


def test_two_quotes_cite_both_sources_and_a_wrong_number_is_corrected(scripted_endpoint) -> None:
    url = scripted_endpoint("Quote: “本次世界献血者日全国主会场活动设在湖北武汉。” [1]\n"
                            "Quote: “卢宥茂一行11人到访福建省卫生健康委员会” [3]\n"  # it is in source 2
                            "Answer: 武汉；卢宥茂一行11人 [1][3]")
    answer = answerer(url).ask("献血者日的主会场在哪个城市，香港代表团有多少人？")  # one reply
    assert answer.text == "武汉；卢宥茂一行11人 [1][2]"
    assert [c.title for c in answer.citations] == [PASSAGES[0][0], PASSAGES[1][0]]
    assert answer.quote.splitlines() == ["“本次世界献血者日全国主会场活动设在湖北武汉。” [1]",
                                         "“卢宥茂一行11人到访福建省卫生健康委员会” [2]"]


def test_one_made_up_quote_among_real_ones_withholds_the_answer(scripted_endpoint) -> None:
    url = scripted_endpoint("Quote: “主会场活动设在湖北武汉。” [1]\n"
                            "Quote: “福州大学附属省立医院的院长是郭立新。” [3]\nAnswer: 郭立新 [3]")
    answer = answerer(url).ask("福州大学附属省立医院的院长是谁？")
    assert answer.refused and "is not in the sources" in answer.flags[0]


def test_mis_copied_name_is_put_right_from_the_cited_source(scripted_endpoint) -> None:
    url = scripted_endpoint("Quote: “香港特别行政区医务卫生局局长卢宥茂一行11人” [2]\nAnswer: 卢宥戊 [2]")
    answer = answerer(url).ask("香港医务卫生局局长是谁？")
    assert answer.text == "卢宥茂 [1]" and not answer.refused


def test_answer_whose_quote_is_in_no_source_is_withheld(scripted_endpoint) -> None:
    url = scripted_endpoint("Quote: “福州大学附属省立医院的院长是郭立新。” [3]\nAnswer: 郭立新 [3]")
    answer = answerer(url).ask("福州大学附属省立医院的院长是谁？")
    assert answer.refused and answer.citations == [] and "档案中没有" in answer.text
    assert "is not in the sources" in answer.flags[0]
    assert not any("郭立新" in f for f in answer.flags)  # what was withheld is never shown


def test_number_in_no_source_is_withheld_even_with_a_real_quote(scripted_endpoint) -> None:
    url = scripted_endpoint("Quote: “福州大学附属省立医院荣获全国五一劳动奖状。” [3]\nAnswer: 12个集体 [3]")
    answer = answerer(url).ask("同批获得这个奖状的集体一共有多少个？")
    assert answer.refused and "12 is in none of its sources" in answer.flags[0]


def test_short_uncited_answer_cites_the_source_it_is_copied_from(scripted_endpoint) -> None:
    answer = answerer(scripted_endpoint("卢宥茂")).ask("香港医务卫生局局长是谁？")
    assert answer.text == "卢宥茂 [1]" and answer.citations[0].title == PASSAGES[1][0]


def test_empty_quote_line_is_judged_as_a_plain_answer(scripted_endpoint) -> None:
    answer = answerer(scripted_endpoint("Quote: [2]\nAnswer: 一行11人 [2]")).ask("他们一行共有多少人？")
    assert not answer.refused and answer.text == "一行11人 [1]" and answer.quote == ""
    assert answer.citations[0].title == PASSAGES[1][0]


def test_answer_that_only_repeats_the_question_is_replaced_by_its_quote(scripted_endpoint) -> None:
    url = scripted_endpoint("Quote: “本次世界献血者日全国主会场活动设在湖北武汉。” [1]\n"
                            "Answer: The main event of World Blood Donor Day was held in the city. [1]")
    answer = answerer(url).ask("In which city was the main event of World Blood Donor Day held?")
    assert answer.text == "“本次世界献血者日全国主会场活动设在湖北武汉。” [1]" and not answer.refused
    assert answer.quote == "" and "only repeated the question" in answer.flags[0]


# ---- the check that the quotes answer the question (a second, short request) ----------------

QUOTED_WUHAN = "Quote: “本次世界献血者日全国主会场活动设在湖北武汉。” [1]\nAnswer: Wuhan [1]"


def test_quotes_the_model_says_do_not_answer_withhold_the_answer(scripted_endpoint) -> None:
    url = scripted_endpoint(QUOTED_WUHAN, "No")
    answer = answerer(url, model_check=True).ask("Where will next year's World Blood Donor Day event be held?")
    assert answer.refused and "do not answer the question" in answer.flags[0]
    (_, _, asked), (_, _, check) = scripted_endpoint.requests(url)
    check = json.loads(check)
    assert check["temperature"] == 0 and check["max_completion_tokens"] <= 3
    prompt = check["messages"][-1]["content"]
    assert "- 本次世界献血者日全国主会场活动设在湖北武汉。" in prompt and "<source>" not in prompt
    assert "Where will next year's World Blood Donor Day event be held?" in prompt


def test_quotes_the_model_confirms_keep_the_answer(scripted_endpoint) -> None:
    answer = answerer(scripted_endpoint(QUOTED_WUHAN, "Yes."), model_check=True).ask(
        "Where was the main event held?")
    assert answer.text == "Wuhan [1]" and not answer.refused and "check" in answer.timings


def test_check_that_fails_keeps_the_answer_and_says_it_was_not_checked(scripted_endpoint) -> None:
    answer = answerer(scripted_endpoint(QUOTED_WUHAN, ""), model_check=True).ask(
        "Where was the main event held?")
    assert answer.text == "Wuhan [1]" and not answer.refused
    assert "not checked whether the quotes answer the question" in answer.flags[0]


# ---- the check profiles, on invented passages -------------------------------------------------

FORUM = ("闽北县域医共体论坛举行", "2024年闽北县域医共体论坛在福州举行，来自南平、三明的120名代表参会。")
VISIT = ("宁德市卫健委代表团访问龙岩", "宁德市卫健委副主任陈立群一行十一人到龙岩市仁和医院考察。")
QUOTED_FORUM = "Quote: “2024年闽北县域医共体论坛在福州举行” [1]\n"


def invented_hits() -> list[Hit]:
    """Two invented articles (not from the sample pages), one passage each."""
    return [Hit(Chunk(id=f"i{i}", text=text, title=title, file="invented.txt", file_sha="sha",
                      page=1, position=i, index=0), 0.6, 0.6, None)
            for i, (title, text) in enumerate([FORUM, VISIT])]


def ask(url: str, question: str, profile: str) -> Answer:
    return answerer(url, invented_hits(), answer_checks=profile).ask(question)


def test_strict_profile_asks_the_model_once_unless_told_to_check_with_it(scripted_endpoint) -> None:
    url = scripted_endpoint(QUOTED_FORUM + "Answer: 福州 [1]", "No")
    answer = ask(url, "论坛在哪里举行？", "strict")
    assert not answer.refused and answer.checks == "strict"
    assert len(scripted_endpoint.requests(url)) == 1  # one model call per question by default


def test_standard_profile_asks_the_model_once_and_says_so(scripted_endpoint) -> None:
    url = scripted_endpoint(QUOTED_FORUM + "Answer: 福州 [1]", "No")  # "No" is never asked for
    answer = ask(url, "论坛在哪里举行？", "standard")
    assert not answer.refused and answer.text == "福州 [1]" and answer.checks == "standard"
    assert len(scripted_endpoint.requests(url)) == 1 and answer.to_dict()["checks"] == "standard"


def test_standard_profile_still_withholds_a_number_no_source_has(scripted_endpoint) -> None:
    answer = ask(scripted_endpoint("论坛共有300名代表参会 [1]。"), "有多少代表参会？", "standard")
    assert answer.refused and "300 is in none of its sources" in answer.flags[0]
    assert answer.checks == "standard"


def test_off_profile_withholds_nothing_but_still_maps_citations(scripted_endpoint) -> None:
    answer = ask(scripted_endpoint("论坛共有300名代表参会 [1][9]。"), "有多少代表参会？", "off")
    assert not answer.refused and answer.text == "论坛共有300名代表参会 [1]。"
    assert answer.flags == ["dropped citation [9]: there is no source 9"] and answer.checks == "off"


def test_one_reply_is_checked_under_other_profiles_without_asking_again(scripted_endpoint) -> None:
    url = scripted_endpoint("论坛共有300名代表参会 [1][9]。")  # a number no source has
    answer = answerer(url, invented_hits(), answer_checks="strict",
                      also_profiles=["standard", "off"]).ask("有多少代表参会？")
    assert len(scripted_endpoint.requests(url)) == 1  # one model call for three profiles
    assert answer.refused and answer.checks == "strict"
    standard, off = answer.alternatives["standard"], answer.alternatives["off"]
    assert standard.refused and standard.checks == "standard"
    assert not off.refused and off.text == "论坛共有300名代表参会 [1]。" and off.checks == "off"
    assert off.timings == answer.timings and "alternatives" not in answer.to_dict()


def test_an_unknown_profile_is_refused_by_name() -> None:
    with pytest.raises(AssistantError, match="unknown check profile.*lenient"):
        answerer("http://127.0.0.1:9/v1", also_profiles=["standard", "lenient"])


def test_strict_profile_keeps_a_hedged_answer_that_states_a_fact(scripted_endpoint) -> None:
    url = scripted_endpoint(QUOTED_FORUM + "Answer: The forum was held in Fuzhou [1]; the exact "
                            "venue is not mentioned.", "Yes")
    answer = ask(url, "Where exactly was the forum held?", "strict")
    assert not answer.refused and answer.text.startswith("The forum was held in Fuzhou [1];")
    assert answer.checks == "strict"


def test_strict_profile_keeps_the_option_an_either_or_answer_picks(scripted_endpoint) -> None:
    url = scripted_endpoint(QUOTED_FORUM + "Answer: Fuzhou [1]", "Yes")
    answer = ask(url, "Was the forum held in Nanping or Fuzhou?", "strict")
    assert not answer.refused and answer.text == "Fuzhou [1]" and answer.flags == []


def test_strict_profile_accepts_a_count_in_chinese_numerals(scripted_endpoint) -> None:
    url = scripted_endpoint("Quote: “陈立群一行十一人到龙岩市仁和医院考察” [2]\nAnswer: 一行共十一人 [2]",
                            "Yes")
    answer = ask(url, "代表团一行共有多少人？", "strict")
    assert not answer.refused and answer.text == "一行共十一人 [1]"


def test_a_question_about_several_reports_is_one_model_reply(scripted_endpoint) -> None:
    url = scripted_endpoint("Quote: “2024年闽北县域医共体论坛在福州举行” [1]\n"
                            "Quote: “陈立群一行十一人到龙岩市仁和医院考察” [2]\nAnswer: 福州；龙岩 [1][2]", "Yes")
    answer = ask(url, "这两篇报道分别提到了哪个城市？", "strict")
    assert answer.text == "福州；龙岩 [1][2]" and len(answer.citations) == 2
    (_, _, body), = scripted_endpoint.requests(url)  # one request: no call per report
    first = json.loads(body)["messages"][-1]["content"]
    assert FORUM[0] in first and VISIT[0] in first  # both reports in the one reply's sources
