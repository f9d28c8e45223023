"""The two sample pages -> exactly the 11 articles printed on them (titles, sources, order, section),
with their text repaired and the page furniture dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.ingest.pipeline import read_articles
from assistant.ingest.split import split_page
from assistant.ingest.units import is_label, parse_sources
from assistant.records import Line, Page
from assistant.text import sentences

pytestmark = pytest.mark.unit  # pure functions: no model, server or index

# Ground truth, read off the two sample pages by hand: (title, sources) per page, in page order.
GROUND_TRUTH = {
    "000_24189f6fbd2ff608.txt": [
        ("福建省立医院与新疆昌吉州开展麻醉学科协作", ["福建省援疆"]),
        ("来自塞内加尔的祝福：致敬每一位中国医生", ["省卫健委对外合作处", "中塞医家亲"]),
        ("福建：2024年中国医师节活动大会召开",
         ["省卫健委医政管理处", "福建省医学会", "福建省医师协会", "福建卫生报"]),
        ("医学信息质控助力智慧医疗建设", ["省卫生计生信息中心"]),
        ("落实信息互通行动 强化标准落地应用", []),
    ],
    "002_ca3652deaf3b49ce.txt": [
        ("闽港深化医疗卫生合作交流", ["省卫健委对外合作处"]),
        ("福建开展全省卫健系统网络数据安全评估调研", ["福建省卫生计生信息中心"]),
        ("4部委联合开展2026年世界献血者日宣传活动", ["国家卫健委网站"]),
        ("省立医院荣获全国五一劳动奖状", ["福州大学附属省立医院"]),
        ("援塞医疗队送出别样「六一」礼物", ["省卫健委对外合作处", "央视网", "龙岩发布"]),
        ("闽昌同心 交融致远", ["福建日报"]),
    ],
}
FURNITURE = ["树立和践行正确政绩观", "对口支援", "援外医疗", "报道详见健康福建微信公众号", "致 医师节敬", "致医师节敬中国"]


@pytest.fixture(scope="module")
def sample_articles() -> dict:
    from assistant.config import SAMPLE_DIR
    return {name: read_articles(SAMPLE_DIR / name) for name in GROUND_TRUTH}


@pytest.mark.parametrize("name", GROUND_TRUTH)
def test_sample_pages_give_the_ground_truth_articles(sample_articles, name):
    found = [(a.title, a.sources) for a in sample_articles[name]]
    assert found == GROUND_TRUTH[name]
    assert [a.position for a in sample_articles[name]] == list(range(len(found)))


def test_eleven_articles_in_total(sample_articles):
    assert sum(len(v) for v in sample_articles.values()) == 11


def test_section_labels_are_furniture_and_name_the_section(sample_articles):
    first = sample_articles["000_24189f6fbd2ff608.txt"][0]
    assert first.section == "对口支援"
    # the label printed right above the last article of 002
    assert sample_articles["002_ca3652deaf3b49ce.txt"][-1].section == "对口支援"
    for articles in sample_articles.values():
        for a in articles:
            assert a.title not in FURNITURE
            for junk in FURNITURE[:4] + ["对口支援对口支援"]:
                assert junk not in a.text.split("\n"), (a.title, junk)


def test_issue_metadata_comes_from_the_file_name_and_no_date_is_invented(sample_articles):
    for name, articles in sample_articles.items():
        for a in articles:
            assert (a.issue, a.date, a.page) == (Path(name).stem, None, 1)
            assert a.file.endswith(f"data/sample/{name}")


def test_column_wrapping_spaced_lines_and_digit_spaces_are_repaired(sample_articles):
    p000 = {a.title: a.text for a in sample_articles["000_24189f6fbd2ff608.txt"]}
    text = p000["医学信息质控助力智慧医疗建设"]
    assert "也是省医学信息质控中心各小组质控专家的工作成果分享会。" in text
    assert "互联互通推动医院信息化高质量发展、智慧医疗建设实践、集团化数据中心建设" in text
    assert "主办的2024年福建省智慧医疗培训班在福州举行。" in text
    assert "由福州大学附属省立医院、昌吉州人民医院联合举办的“2024闽昌麻醉学科建设" in \
        p000["福建省立医院与新疆昌吉州开展麻醉学科协作"]
    assert "中国（福建）第20批援塞内加尔医疗队" in p000["来自塞内加尔的祝福：致敬每一位中国医生"]
    assert "8月18日下午，由省卫健委指导" in p000["福建：2024年中国医师节活动大会召开"]
    # a parenthesised note that is not an attribution stays in the body
    assert "颁发了证书。（名单详见健康福建微信公众号）" in p000["福建：2024年中国医师节活动大会召开"]
    for a in sample_articles["000_24189f6fbd2ff608.txt"]:
        assert "  " not in a.text and not any(len(s) < 3 for s in a.text.split("\n"))


def test_sentences_broken_by_blank_lines_are_rejoined(sample_articles):
    p002 = {a.title: a.text for a in sample_articles["002_ca3652deaf3b49ce.txt"]}
    joined = "\n".join(p002.values())
    for piece in ("卢宥茂分享了香港发展跨境医疗合作", "缺乏统一评估指标、部分单位", "本次世界献血者日全国主会场",
                  "全国五一劳动奖表彰大会", "省儿童医院专家团队", "自去年7月以来，援藏工作队以"):
        assert piece in joined, piece
    # widths: ASCII punctuation next to Chinese became full width
    assert "6月4日下午，香港特别行政区" in joined and "," not in joined
    # every paragraph of every article ends a sentence, except the lost lead of the last article
    for a in sample_articles["002_ca3652deaf3b49ce.txt"]:
        for para in a.text.split("\n"):
            assert para[-1] in "。！？…”", (a.title, para[-20:])
    assert p002["闽昌同心 交融致远"].startswith("以来，拿稳接力棒")


def test_every_sentence_of_the_sample_is_kept_once(sample_articles):
    for articles in sample_articles.values():
        texts = [a.text for a in articles]
        assert all(len(sentences(t)) >= 1 for t in texts)
        assert len(set(texts)) == len(texts)


@pytest.mark.parametrize("text, expected", [
    ("（福建省援疆）", ["福建省援疆"]),
    ("（省卫健委对外合作处、央视网、龙岩发布）", ["省卫健委对外合作处", "央视网", "龙岩发布"]),
    ("（省卫健委医政管理处 福建省医学会）", ["省卫健委医政管理处", "福建省医学会"]),
    ("（福建）", None),  # a place, not an organisation
    ("（名单详见健康福建微信公众号）", None),
    ("（记者 张三 摄）", None),
    ("近日（福建省援疆）", None),
])
def test_attribution_rules(text, expected):
    assert parse_sources(text) == expected


def test_labels():
    assert is_label("对口支援对口支援") and is_label("援外医疗")
    assert not is_label("闽昌同心 交融致远") and not is_label("第20批")


def test_a_headline_between_two_articles_goes_to_the_one_it_talks_about():
    raw = ["（甲报）", "", "闽港深化医疗卫生合作交流", "", "闽港双方围绕深化医疗卫生合作进行了深入交流。",
           "（省卫健委对外合作处）"]
    lines = ["世界献血者日的活动口号是：一滴热血，一份爱心。"] + raw
    articles = split_page(Page(file="x.txt", page=3, lines=[Line(t) for t in lines]))
    assert [(a.title, a.sources) for a in articles] == [
        ("世界献血者日的活动口号是：一滴热血", ["甲报"]),  # no headline: first clause as title
        ("闽港深化医疗卫生合作交流", ["省卫健委对外合作处"])]
    assert articles[1].page == 3
