"""The answer checks (assistant/answer/checks/): each check on its own, the profiles that run them,
and the profile the settings choose. Pure functions, no model, no index.

Every example is invented for these tests (hospitals, cities, figures): none comes from eval/ or
the sample pages, so the checks are held to their general rule, not to the questions they were
first written for. Each check has cases where it must fire and ordinary correct answers where it
must not.
"""

from __future__ import annotations

import pytest
from answerhits import article_hits as hits

from assistant.answer.checks import PROFILES, run_checks
from assistant.answer.checks.absent import says_absent
from assistant.answer.checks.howmany import counts, no_asked_number
from assistant.answer.checks.located import not_located
from assistant.answer.checks.numbers import ungrounded, whole_numbers
from assistant.answer.checks.repetition import picks_an_option, repeats_question, stem
from assistant.answer.checks.years import about_other
from assistant.config import Settings, model_billions

pytestmark = pytest.mark.unit

DELEGATION = ("宁德市卫健委代表团访问龙岩", "5月12日，宁德市卫健委副主任陈立群一行十一人到龙岩市仁和医院"
              "考察胸痛中心建设。双方签订协作协议，共三家医院参加座谈。")
FORUM = ("闽北县域医共体论坛举行", "2024年闽北县域医共体论坛在福州举行，来自南平、三明的120名代表参会。"
         "论坛投入经费8.83亿元用于基层设备更新。")
TEAM = ("福建第二十一批援外医疗队出征", "第二十一批援多米尼克中国医疗队队长为林志远，全队一行21人。")
PEOPLE_21 = ("医疗队集中培训", "参加培训的医疗队一行21人，培训为期两周。")


# ---- numbers: every number is in the articles the answer cites ----------------------------------

@pytest.mark.parametrize("reply", [
    "The delegation had 11 members [1].",       # the source writes 十一
    "一行十一人 [1]",
    "120 delegates attended [2], and three hospitals joined the talks [1].",
    "经费8.83亿元 [2]", "883 million yuan [2]",  # unit words converted
    "It was held on 12 May [1].",
    "The 2024 forum was in Fuzhou [2].",
])
def test_numbers_the_cited_articles_hold_do_not_fire(reply: str) -> None:
    assert ungrounded("How many?", hits(DELEGATION, FORUM), reply) is None


@pytest.mark.parametrize("reply, named", [
    ("一行共30人 [1]", "30"),                     # a figure no source has
    ("The delegation had 13 members [1].", "13"),
    ("一行十三人 [1]", "十三"),                    # a Chinese numeral is read too
    ("120 members [1]", "120"),                   # 120 is in article 2, which the answer does not cite
])
def test_a_number_the_cited_articles_lack_fires(reply: str, named: str) -> None:
    reason = ungrounded("How many members?", hits(DELEGATION, FORUM), reply)
    assert reason == f"{named} is in none of its sources"


FUND = ("乡村卫生室建设启动", "省财政下达专项资金1.5亿元，支持3千余家村卫生室改造，惠及约120万名村民。")


@pytest.mark.parametrize("reply", [
    "150 million yuan [1]", "1.5亿元 [1]", "15000万元 [1]",   # the same amount at its scale
    "1.5 [1]",                                              # a bare figure: as written
    "more than 3,000 clinics [1]", "3 thousand clinics [1]",  # 3千 is 3,000
    "1.2 million villagers [1]", "120万名村民 [1]",
])
def test_an_amount_at_the_sources_scale_is_grounded(reply: str) -> None:
    assert ungrounded("How much?", hits(FUND), reply) is None


@pytest.mark.parametrize("reply, named", [
    ("1.5 billion yuan [1]", "1.5 billion"),   # 亿 is 100 million, not a billion
    ("1.5万元 [1]", "1.5万"),
    ("120 thousand villagers [1]", "120 thousand"),
])
def test_an_amount_at_another_scale_fires(reply: str, named: str) -> None:
    assert ungrounded("How much?", hits(FUND), reply) == f"{named} is in none of its sources"


def test_a_number_in_another_passage_of_the_cited_article_is_grounded() -> None:
    found = hits(DELEGATION, FORUM)
    found[1].chunk.position = found[0].chunk.position  # the forum passage: same article
    assert ungrounded("?", found, "120 delegates [1]") is None
    assert ungrounded("How many in 2031?", found, "In 2031 [1]") is None  # the question's own


def test_whole_numbers_read_digits_and_chinese_numerals() -> None:
    assert whole_numbers("第二十一批，“十四五”期间，2021年，投入1.52亿元，21.5%，一百二十，三千五百") == {
        21, 14, 2021, 120, 3500}  # 1.52 and 21.5 are no whole numbers


# ---- how many: a count of the answer's own ------------------------------------------------------

@pytest.mark.parametrize("question, reply", [
    ("代表团一行共有多少人？", "一行共十一人 [1]"),
    ("有几家医院参加座谈？", "共三家医院 [1]"),
    ("How many members did the delegation have?", "eleven members [1]"),
    ("How many members did the delegation have?", "Twenty-one people [1]"),
    ("How many members did the delegation have?", "11 [1]"),
    ("How many nurses are on the 20th team?", "The 20th team has 14 nurses [1]."),
    ("Which hospitals joined the talks?", "Longyan Renhe Hospital [1]"),   # not how many
    ("医院几乎每天开诊吗？", "是的 [1]"),                                      # 几乎 asks no count
])
def test_a_how_many_answer_with_a_count_does_not_fire(question: str, reply: str) -> None:
    assert no_asked_number(question, [], reply) is None


@pytest.mark.parametrize("question, reply", [
    ("How many nurses are on the 20th team?", "20 [1]"),   # restates "20th"
    ("调研共排查出多少个风险隐患？", "一批风险隐患 [1]"),       # "a batch"
    ("他们一行共有多少人？", "一行人到龙岩考察 [1]"),           # 一行: the party, no count
    ("How many delegates attended?", "Delegates from Nanping and Sanming attended [2]."),
])
def test_a_how_many_answer_without_a_count_fires(question: str, reply: str) -> None:
    assert no_asked_number(question, [], reply) == ("the question asks how many, and the answer "
                                                    "gives no number")


def test_counts_read_measure_words_not_place_names() -> None:
    assert counts("三明市三甲医院共五家") == {5.0}
    assert counts("a dozen doctors and three hundred nurses") == {12.0, 300.0}


# ---- says absent: withhold only an answer that states nothing but the absence -------------------

@pytest.mark.parametrize("reply", [
    "The forum was held in Fuzhou [2]; the exact venue is not mentioned.",
    "会议在福州举行 [2]，但具体地点未提及。",
    "考察地点是龙岩市仁和医院 [1]。报道未说明考察天数。",
    "The delegation visited Longyan [1], but the sources do not say for how long.",
    "The talks were held in Longyan [1].",
])
def test_a_hedged_answer_that_states_a_fact_stands(reply: str) -> None:
    assert says_absent("Where?", [], reply) is None


@pytest.mark.parametrize("reply", [
    "The budget is not mentioned in the sources. [1]",
    "报道中未提及具体人数。",
    "[2] The sources do not say who leads the clinic.",
    "无法确定。报道没有提到时间 [1]。",
])
def test_an_answer_that_only_says_absent_fires(reply: str) -> None:
    assert says_absent("?", [], reply) == "it says the sources do not answer"


# ---- quote located ----------------------------------------------------------------------------

def test_a_quote_in_a_source_passes_and_a_made_up_one_fires() -> None:
    found = hits(DELEGATION, FORUM)
    real = ["“宁德市卫健委副主任陈立群一行十一人到龙岩市仁和医院考察胸痛中心建设。” [1]",
            "“论坛 在福州举行” [2]", "[1]"]  # spacing differs; an empty quote is no made-up one
    assert not_located("?", found, "…", real) is None
    made_up = ["“陈立群一行二十五人到宁德市考察” [1]"]
    assert not_located("?", found, "…", made_up) == "a sentence it quotes is not in the sources"


# ---- repetition: an answer that names nothing the question does not ---------------------------

@pytest.mark.parametrize("question, reply", [
    ("Was the forum held in Nanping or Fuzhou?", "Fuzhou [1]"),
    ("论坛在南平还是福州举行？", "在福州举行 [1]"),
    ("是第20批还是第21批医疗队？", "第21批 [1]"),
    ("Did Longyan Renhe Hospital or Ningde Coastal Hospital host the talks?",
     "Ningde Coastal Hospital [1]"),
    ("Where were the talks held?", "Longyan [1]"),
    ("Which two cities sent delegates?", "Nanping and Sanming [2]"),
    ("What report did the health bureau publish in May?", "A screening report was published [1]."),
])
def test_an_answer_that_names_something_does_not_fire(question: str, reply: str) -> None:
    assert repeats_question(question, [], reply) is None


@pytest.mark.parametrize("question, reply", [
    ("Which two hospitals jointly held the forum?", "The two hospitals jointly held the forum [1]."),
    ("漳州市卫健委做了什么？", "漳州市卫健委 [1]"),
    ("Was the forum held in Nanping or Fuzhou?", "In Nanping or Fuzhou [1]"),  # both options
    ("What report did the health bureau publish in May?", "The report was published in May [1]."),
    ("Which clinics opened at night?", "The clinics opening at night [2]"),  # inflected only
])
def test_an_answer_that_only_repeats_the_question_fires(question: str, reply: str) -> None:
    assert repeats_question(question, [], reply) == "the model's answer only repeated the question"


@pytest.mark.parametrize("word, stemmed", [
    ("published", "publish"), ("publishes", "publish"), ("opening", "open"), ("used", "use"),
    ("Hospitals", "hospital"), ("was", "was"), ("bus", "bus"), ("red", "red"), ("sing", "sing"),
])
def test_regular_inflections_are_dropped(word: str, stemmed: str) -> None:
    assert stem(word) == stemmed


def test_an_option_is_told_apart_only_on_its_own_side() -> None:
    assert picks_an_option("Fuzhou", "Nanping or Fuzhou?")
    assert not picks_an_option("Fuzhou", "Where in Fuzhou was it held?")  # no "or"


# ---- years and ordinals of the cited articles -------------------------------------------------

def test_a_cardinal_is_no_ordinal() -> None:
    question = "Who led the 21st medical team?"
    reason = about_other(question, hits(PEOPLE_21), "Lin Zhiyuan [1]")  # "21人": 21 people
    assert reason == "the question asks about 21st; the articles it cites do not mention it"
    assert about_other(question, hits(TEAM), "林志远 [1]") is None       # 第二十一批
    assert about_other("第21批医疗队的队长是谁？", hits(TEAM), "林志远 [1]") is None


def test_a_year_is_read_in_the_cited_articles_and_their_issue_dates() -> None:
    found = hits(DELEGATION, FORUM, dates=("2024-05-14", None))
    assert about_other("2024年宁德代表团去了哪里？", found, "龙岩 [1]") is None  # issue date
    assert about_other("2024年论坛在哪里举行？", found, "福州 [2]") is None      # the text says 2024
    assert about_other("Where was the 2023 forum held?", found, "Fuzhou [2]") == (
        "the question asks about 2023; the articles it cites do not mention it")
    assert about_other("Where was the forum held?", found, "Fuzhou [2]") is None  # names no year


# ---- profiles ---------------------------------------------------------------------------------

def test_profiles_run_their_checks_in_order() -> None:
    found = hits(DELEGATION)
    invented, no_count = "一行共30人 [1]", "一行人到龙岩考察 [1]"
    assert PROFILES == ("strict", "standard", "off")
    for profile in ("strict", "standard"):
        assert run_checks(profile, "多少人？", found, invented) == "30 is in none of its sources"
    assert run_checks("off", "多少人？", found, invented) is None
    assert run_checks("strict", "多少人？", found, no_count).startswith("the question asks how many")
    assert run_checks("standard", "多少人？", found, no_count) is None  # grounding checks only
    assert run_checks("strict", "南平市一行几人？", found, "一行十一人 [1]").startswith(
        "the articles it cites do not mention 南平市")
    assert run_checks("standard", "南平市一行几人？", found, "一行十一人 [1]") is None
    assert run_checks("strict", "多少人？", found, "未提及。", ["“不存在的句子在这里”"]) == (
        "it says the sources do not answer")  # the first failing check gives the reason


@pytest.mark.parametrize("name, billions", [
    ("qwen2.5-coder-1.5b-instruct", 1.5), ("SmolLM2-135M-Instruct", 0.135),
    ("qwen2.5-0.5b-instruct-q4_k_m.gguf", 0.5), ("llama-3.2-3b", 3.0), ("llama3.1:8b", 8.0),
    ("Qwen2.5-7B-Instruct", 7.0), ("mixtral-8x7b", 7.0), ("gpt-4o", None), ("test-model", None)])
def test_model_size_is_read_from_its_name(name: str, billions: float | None) -> None:
    assert model_billions(name) == billions


@pytest.mark.parametrize("kw, profile", [
    ({}, "strict"),                                                          # the default local GGUF
    ({"llm_base_url": "http://h/v1", "llm_model": "qwen2.5:1.5b"}, "strict"),
    ({"llm_base_url": "http://h/v1", "llm_model": "llama-3.2-3b-instruct"}, "strict"),
    ({"llm_base_url": "http://h/v1", "llm_model": "Qwen2.5-7B-Instruct"}, "standard"),
    ({"llm_base_url": "http://h/v1", "llm_model": "gpt-4o"}, "standard"),    # size unknown
    ({"llm_model_path": "/models/qwen2.5-14b-instruct.gguf"}, "standard"),   # a local 14B
    ({"llm_model_path": "/models/14b/qwen2.5-0.5b.gguf"}, "strict"),         # the file name counts
    ({"answer_checks": "off"}, "off"),
    ({"answer_checks": "strict", "llm_base_url": "http://h/v1", "llm_model": "gpt-4o"}, "strict"),
])
def test_auto_profile_follows_the_model(kw: dict, profile: str) -> None:
    assert Settings(**kw).checks_profile == profile


def test_profile_from_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("ASSISTANT_ANSWER_CHECKS", "standard")
    assert Settings().checks_profile == "standard"
    monkeypatch.setenv("ASSISTANT_ANSWER_CHECKS", "lenient")
    with pytest.raises(ValueError, match="answer_checks"):
        Settings()
