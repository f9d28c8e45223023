"""Time expressions in questions (search/dates.py) and the year/ordinal rules beside them
(answer/checks/years.py): pure functions, on invented questions and headlines."""

from __future__ import annotations

from datetime import date

import pytest

from assistant.answer.checks.years import (
    absent_years,
    ordinals,
    recurring_years,
    unmentioned_ordinals,
)
from assistant.records import Chunk, Hit
from assistant.search.dates import find_time, issue_number, named_years

pytestmark = pytest.mark.unit

REF = date(2025, 8, 19)  # the newest issue of an imagined archive


@pytest.mark.parametrize("question, date_from, date_to, years", [
    ("2024年中国医师节活动在哪里举行？", "2024-01-01", "2024-12-31", ("2024",)),
    ("Where was the 2025 nurses' award ceremony held?", "2025-01-01", "2025-12-31", ("2025",)),
    ("In 2023, which hospital opened a burns unit?", "2023-01-01", "2023-12-31", ("2023",)),
    ("2023年7月有哪些义诊活动？", "2023-07-01", "2023-08-07", ("2023",)),  # month + a week after
    ("What happened in July 2023?", "2023-07-01", "2023-08-07", ("2023",)),
    ("2023年7月3日的报道", "2023-06-26", "2023-07-10", ("2023",)),  # a day: a week either side
    ("What was reported on March 5, 2024?", "2024-02-27", "2024-03-12", ("2024",)),
    ("2022年上半年的疫苗接种", "2022-01-01", "2022-06-30", ("2022",)),
    ("2023年和2024年的评审结果有何不同？", "2023-01-01", "2024-12-31", ("2023", "2024")),
])
def test_explicit_times(question: str, date_from: str, date_to: str, years: tuple) -> None:
    scope = find_time(question, REF)
    assert (scope.date_from, scope.date_to, scope.years) == (date_from, date_to, years)
    assert find_time(question, None) == scope  # explicit times need no reference


@pytest.mark.parametrize("question, date_from, date_to, years", [
    ("去年的医师节在哪里庆祝？", "2024-01-01", "2024-12-31", ("2024",)),
    ("今年有几家医院通过评审？", "2025-01-01", "2025-12-31", ("2025",)),
    ("前年", "2023-01-01", "2023-12-31", ("2023",)),
    ("上个月的卫生新闻", "2025-07-01", "2025-07-31", ("2025",)),
    ("What did the paper report last month?", "2025-07-01", "2025-07-31", ("2025",)),
    ("近一周有什么新闻？", "2025-08-13", "2025-08-19", ()),
    ("news from the past week", "2025-08-13", "2025-08-19", ()),
    ("近三个月", "2025-05-19", "2025-08-19", ()),
    ("过去两年全市新建了几所社区医院？", "2023-08-19", "2025-08-19", ()),  # a span names no year:
    ("近10年心血管病死亡率下降了多少？", "2015-08-19", "2025-08-19", ()),  # it is about all of it
    ("How many clinics opened in the last 3 years?", "2022-08-19", "2025-08-19", ()),
    ("最近一期报纸的头条是什么？", "2025-08-19", "2025-08-19", ()),
    ("What is in the latest issue?", "2025-08-19", "2025-08-19", ()),
    ("1月5日的会议", "2024-12-29", "2025-01-12", ()),  # a day without a year: the latest one;
    ("8月19日", "2025-08-12", "2025-08-26", ()),       # its year is a guess, not a named year
    ("12月30日的义诊", "2024-12-23", "2025-01-06", ()),
])
def test_relative_times_count_from_the_reference(question, date_from, date_to, years) -> None:
    scope = find_time(question, REF)
    assert (scope.date_from, scope.date_to, scope.years) == (date_from, date_to, years)
    unread = find_time(question, None)  # no reference (an undated archive): no range
    assert unread is None or (unread.newest and unread.date_from is None)


@pytest.mark.parametrize("question", ["第1300期刊登了什么？", "总第1300期", "What ran in issue 1300?",
                                      "issue No. 1300"])
def test_issue_numbers(question: str) -> None:
    scope = find_time(question, REF)
    assert scope.issue == 1300 and scope.date_from is None and scope.years == ()


@pytest.mark.parametrize("question", ["最新的医师节活动在哪里？", "Where was the latest blood drive?",
                                      "最近有哪些医院获奖？"])
def test_latest_without_a_range_prefers_the_newest(question: str) -> None:
    scope = find_time(question, REF)
    assert scope.newest and scope.date_from is None


@pytest.mark.parametrize("question", ["医师节在哪里举行？", "投入2000万元建设了什么？",
                                      "More than 2000 patients were seen?", "No. 1 People's Hospital",
                                      "2月30日", "How many beds does the hospital have?"])
def test_no_time(question: str) -> None:
    assert find_time(question, REF) is None


def test_named_years_skip_amounts_and_decimals() -> None:
    assert named_years("2023-07-03, 2024年, 2000万元, in 2025, 2021.5, 1,2024") == \
        ["2023", "2024", "2025"]


def test_issue_number_of_labels() -> None:
    assert [issue_number(s) for s in ("第1300期", "总第1300期", "1300", "2024-08-20", None)] == \
        [1300, 1300, 1300, None, None]


# ---- ordinals: an ordinal context is needed ----------------------------------------------

@pytest.mark.parametrize("text, found", [
    ("第21批援外医疗队", {21}), ("第二十一批", {21}), ("the 21st team", {21}),
    ("its twenty-first year", {21}), ("the twentieth", {20}), ("首批试点医院", {1}),
    ("“十三五”期间", {13}),
    ("医疗队一行21人", set()), ("21 people", set()), ("twenty people came", set()),
    ("2021年", set())])
def test_ordinals_need_an_ordinal_context(text: str, found: set) -> None:
    assert ordinals(text) == found


@pytest.mark.parametrize("question, texts, unmentioned", [
    ("Who led the 21st rural medical team?", ["医疗队一行21人抵达"], ["21st"]),   # cardinal
    ("第21批医疗队有多少人？", ["医疗队共21人，分赴三县"], ["第21"]),
    ("Who led the 21st rural medical team?", ["第二十一批巡回医疗队"], []),       # ordinal
    ("第21批医疗队有多少人？", ["the twenty-first team"], []),
    ("第21批医疗队有多少人？", ["第21批医疗队共21人"], []),
])
def test_a_cardinal_is_no_ordinal(question: str, texts: list, unmentioned: list) -> None:
    assert unmentioned_ordinals(question, texts) == unmentioned


def test_a_span_back_from_the_newest_issue_asks_no_year_of_the_sources() -> None:
    """What the answerer refuses on (answer/dated.named_but_missing): a span such as 近10年 is met
    by passages from any time in it; a single year such as 去年 must be mentioned."""
    hits = [Hit(Chunk(id="s", text="过去两年，全市新开社区卫生服务中心12家。", title="社区医疗网络加密",
                      file="f.pdf", file_sha="s", page=1, position=0, index=0, date="2025-08-01"),
                1.0)]
    for question in ("过去两年全市新开了多少家社区卫生服务中心？", "近10年全市新开了多少家社区卫生服务中心？"):
        assert absent_years(question, hits, list(find_time(question, REF).years)) == []
    question = "去年全市新开了多少家社区卫生服务中心？"
    assert absent_years(question, hits, list(find_time(question, REF).years)) == ["2024"]


# ---- recurring events ----------------------------------------------------------------------

def hit(title: str, date_: str | None, n: int) -> Hit:
    return Hit(Chunk(id=f"h{n}", text="……", title=title, file=f"f{n}.pdf", file_sha="s", page=1,
                     position=0, index=0, date=date_), 1.0 / (n + 1))


def test_the_same_event_in_several_years() -> None:
    hits = [hit("我省隆重庆祝2025年全国爱牙日", "2025-09-20", 0),
            hit("全国爱牙日义诊走进社区", "2023-09-21", 1),
            hit("第三十五个全国爱牙日宣传活动启动", "2024-09-19", 2),
            hit("儿童口腔健康调查结果发布", "2024-05-02", 3)]
    assert recurring_years("全国爱牙日活动在哪里举行？", hits) == ["2023", "2024", "2025"]
    assert recurring_years("Where was the national Love Teeth Day held?", hits) == \
        ["2023", "2024", "2025"]  # English: the headlines alone


def test_not_recurring() -> None:
    one_year = [hit("全国爱牙日义诊走进社区", "2024-09-21", 0), hit("爱牙日口腔检查", "2024-09-20", 1)]
    assert recurring_years("全国爱牙日活动在哪里举行？", one_year) == []
    different = [hit("市一医院新院区启用", "2025-03-01", 0), hit("市疾控中心发布流感预警", "2024-01-10", 1)]
    assert recurring_years("市一医院新院区何时启用？", different) == []
    # the shared headline words are not what the question asks about
    shared = [hit("省立医院护理部举办技能竞赛", "2025-05-12", 0),
              hit("省立医院护理部开展义诊", "2023-05-12", 1)]
    assert recurring_years("技能竞赛的冠军是谁？", shared) == []
    assert recurring_years("x", [hit("爱牙日义诊活动", None, 0), hit("爱牙日义诊活动", None, 1)]) == []
