"""The place check (assistant/answer/checks/places.py): the places a question names and the
articles an answer cites. Pure functions, no model, no index; every example is invented (see
test_checks.py).
"""

from __future__ import annotations

import pytest
from answerhits import article_hits as hits

from assistant.answer.checks.places import named_places, other_place

pytestmark = pytest.mark.unit

# ---- places: the cited articles mention the city, county or district the question names ----------

CLINIC = ("龙岩市第一医院开设夜间门诊", "龙岩市第一医院夜间门诊7月起开放，每晚接诊约80人次。")
SCREENING = ("长汀县两癌筛查完成", "今年长汀县完成两癌筛查1.2万人，查出宫颈癌12例。")
PROVINCE = ("我省完成两癌筛查", "今年全省完成两癌筛查30万人，查出宫颈癌200例。")


@pytest.mark.parametrize("question, places", [
    ("龙岩市第一医院的夜间门诊每晚接诊多少人次？", ["龙岩市"]),
    ("福建长汀县今年查出多少例宫颈癌？", ["长汀县"]),       # the province before it is not checked
    ("宁德市蕉城区和南平市各有几家医院参加？", ["宁德市", "南平市"]),  # jieba misses 蕉城区
    ("江西省今年查出多少例宫颈癌？", []),                    # a province
    ("上海市今年查出多少例宫颈癌？", []),                    # a municipality: 本市, or left out
    ("全市今年查出多少例宫颈癌？", []),                      # no name
    ("How many cases did Changting county find?", []),      # English: not read
])
def test_places_a_question_names(question: str, places: list[str]) -> None:
    assert named_places(question) == places


def test_an_answer_about_another_place_is_withheld() -> None:
    found = hits(PROVINCE, SCREENING)
    reason = other_place("连城县今年查出多少例宫颈癌？", found, "200例 [1]")
    assert reason == "the articles it cites do not mention 连城县, which the question names"
    assert other_place("龙岩市第一医院夜间门诊几点开？", hits(SCREENING), "晚上 [1]") is not None


@pytest.mark.parametrize("question, reply", [
    ("长汀县今年查出多少例宫颈癌？", "12例 [2]"),
    ("福建长汀县今年查出多少例宫颈癌？", "12例 [2]"),
    ("江西省今年查出多少例宫颈癌？", "200例 [1]"),            # provinces are not checked
    ("龙岩市一医夜间门诊每晚接诊多少人次？", "约80人次 [3]"),
    ("长汀今年查出多少例宫颈癌？", "12例 [2]"),               # no suffix: not a checked place
])
def test_an_answer_citing_the_place_stands(question: str, reply: str) -> None:
    assert other_place(question, hits(PROVINCE, SCREENING, CLINIC), reply) is None


def test_a_place_is_mentioned_without_its_suffix() -> None:
    passage = ("龙岩夜间门诊开放", "龙岩第一医院夜间门诊每晚接诊约80人次。")
    assert other_place("龙岩市第一医院夜间门诊每晚接诊多少人次？", hits(passage), "约80人次 [1]") is None


def test_every_place_named_must_be_in_the_cited_articles() -> None:
    question = "龙岩市和长汀县各完成了什么？"
    found = hits(CLINIC, SCREENING)
    assert other_place(question, found, "夜间门诊 [1]，两癌筛查 [2]") is None
    assert other_place(question, found, "夜间门诊 [1]") == (
        "the articles it cites do not mention 长汀县, which the question names")
