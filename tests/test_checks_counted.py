"""checks/counted.py: a count or an amount asked for is not answered with a number of another kind.

Every example is invented here (an outbreak in a county, a clinic campaign), not taken from eval/
or the sample pages.
"""

from __future__ import annotations

import pytest
from answerhits import article_hits as hits

from assistant.answer.checks import run_checks
from assistant.answer.checks.counted import asked_kind, other_kind, written_kinds

pytestmark = pytest.mark.unit

OUTBREAK = ("南平市通报诺如病毒疫情", "截至10月8日，南平市累计报告诺如病毒感染病例326例，其中住院41人，"
            "无死亡病例。疫情涉及学校12所，全市派出疾控人员85名。")
CAMPAIGN = ("义诊进社区", "活动共组织9家医院参与，服务群众1200人次，发放资料3000份，投入经费1.2万元。")
REASON = "the question asks for a count in {}, and the answer's number is of another kind"
MONEY = "the question asks for an amount of money, and the answer's number is of another kind"


@pytest.mark.parametrize("question, reply", [
    ("南平市累计报告多少例诺如病毒感染病例？", "326例 [1]"),
    ("南平市累计报告多少例诺如病毒感染病例？", "326 [1]"),
    ("有多少人住院？", "41名患者住院 [1]"),                 # 人 and 名 count people alike
    ("疫情涉及几家学校？", "12所学校 [1]"),                  # 家 and 所 count institutions alike
    ("全市派出多少名疾控人员？", "85人 [1]"),
    ("义诊投入了多少钱？", "1.2万元 [2]"),                   # money at any scale
    ("义诊服务群众多少人次？", "1200人次 [2]"),
    ("义诊服务群众多少人？", "1200 [2]"),                    # people served, as 人次
    ("How much did the campaign spend on materials?", "12,000 yuan [2]"),
    ("How much did the campaign spend?", "1.2 [2]"),          # bare: the article writes 1.2万元
    ("义诊花费了多少？", "经费1.2万元 [2]"),
    ("疫情持续了多少天？", "截至10月8日 [1]"),               # 日 and 天 alike
    ("共有多少个单位参与？", "9家 [2]"),                     # 个: any kind
    ("How many people were hospitalised?", "41 [1]"),        # English: no measure word
    ("南平市累计报告多少例？", "三百二十六例 [1]"),           # no digits: nothing to compare
])
def test_a_count_of_the_asked_kind_does_not_fire(question: str, reply: str) -> None:
    assert other_kind(question, hits(OUTBREAK, CAMPAIGN), reply) is None


@pytest.mark.parametrize("question, reply, asked", [
    ("南平市有多少人死亡？", "326 [1]", "人"),               # the article counts 326 cases
    ("疫情中有多少例住院？", "住院41人 [1]", "例"),           # people, not cases
    ("义诊有几家医院参与？", "1200 [2]", "家"),
    ("疫情涉及多少例？", "12所学校 [1]", "例"),               # the answer's own measure word
    ("多少名医生参加义诊？", "医生人数未说明，共9家医院参与 [2]", "人"),  # hospitals for doctors
])
def test_a_count_of_another_kind_fires(question: str, reply: str, asked: str) -> None:
    assert other_kind(question, hits(OUTBREAK, CAMPAIGN), reply) == REASON.format(asked)


@pytest.mark.parametrize("question, reply", [
    ("How much did the patient pay for the treatment?", "9 [2]"),   # the article: 9 hospitals
    ("How much did the campaign cost?", "3000份资料 [2]"),            # copies, not money
    ("义诊花了多少钱？", "发放资料3000份 [2]"),
])
def test_an_amount_of_money_answered_with_another_kind_fires(question: str, reply: str) -> None:
    assert other_kind(question, hits(OUTBREAK, CAMPAIGN), reply) == MONEY


def test_it_runs_in_the_strict_profile_only() -> None:
    found, question, reply = hits(OUTBREAK, CAMPAIGN), "南平市有多少人死亡？", "326 [1]"
    assert run_checks("strict", question, found, reply) == REASON.format("人")
    assert run_checks("standard", question, found, reply) is None


def test_kinds_read_from_question_and_articles() -> None:
    assert asked_kind("共派出几名护士？") == "人" and asked_kind("几所医院") == "家"
    assert asked_kind("投入多少万元？") == "元" and asked_kind("有多少个科室？") is None
    assert asked_kind("几乎所有医院都参加了吗？") is None
    assert written_kinds("1.2", ["投入经费1.2万元"]) == {"元"}
    assert written_kinds("12", ["学校12所，病例112例"]) == {"家"}   # not the 12 inside 112
    assert written_kinds("100", ["100多人参加", "100 dollars"]) == {"人", "元"}
    assert asked_kind("How much did the operation cost?") == "元"
    assert asked_kind("移动支付上线后首月有多少名患者使用？") == "人"   # not money: 名 is named
    assert asked_kind("挂号费用是多少？") == "元"
    assert asked_kind("How many people attended?") is None
