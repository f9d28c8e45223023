"""What the model copied (assistant/answer/quotes.py): pure functions, no model, no index.

The Quote/Answer reply form (one quote or several, mangled markers, echoed sources), locating a
quote in the sources, and putting mis-copied characters right. The Answerer that applies them is
tested in test_answer.py.
"""

from __future__ import annotations

import pytest
from answerhits import make_hits

from assistant.answer.quotes import (
    MIN_QUOTE_SHARE,
    locate_quote,
    quote_text,
    repair_copying,
    restore_digits,
    restore_scales,
    split_reply,
)

pytestmark = pytest.mark.unit  # pure functions: no model, server or index


@pytest.mark.parametrize("reply, quotes, answer", [
    ("Quote: “一行11人” [2]\nAnswer: 11 people. [2]", ["“一行11人” [2]"], "11 people. [2]"),
    ("**Quote:** 一行11人 [2]\n\n答案：11人 [2]", ["一行11人 [2]"], "11人 [2]"),
    ("Quote: “一行11人” [2]", ["“一行11人” [2]"], "“一行11人” [2]"),  # the quote is the answer
    ("Quote: “一行11人” [2]\nAnswer: [2]", ["“一行11人” [2]"], "“一行11人” [2]"),  # so here too
    ("11 people [2].", [], "11 people [2]."),                        # the form ignored
])
def test_reply_split_into_quote_and_answer(reply: str, quotes: list[str], answer: str) -> None:
    assert split_reply(reply) == (quotes, answer)
    assert all(quote_text(q) == "一行11人" for q in quotes)


@pytest.mark.parametrize("line, words", [
    ("“自2024年3月1日起施行。” [<source>]", "自2024年3月1日起施行。"),      # a marker with no number
    ("“本条例自公布之日起施行。”（来源2）", "本条例自公布之日起施行。"),
    ("「会议在厦门召开。」 [3]", "会议在厦门召开。"),
    ("“由两院联合举办的“海峡护理论坛”在厦门开幕。” [1]",              # nested quotation marks kept
     "由两院联合举办的“海峡护理论坛”在厦门开幕。"),
    ("会议在厦门召开。 [3]", "会议在厦门召开。"),                      # no marks: up to its [n]
    ("“会议在厦门召开。 [3]", "会议在厦门召开。"),                     # never closed
    ("“The doctors' team arrived. [2]", "The doctors' team arrived."),  # an apostrophe is no close
    ("新规自2025年1月1日起施行。 [<source>]", "新规自2025年1月1日起施行。"),  # no marks, no number
    ("The clinic opened in May. <source>", "The clinic opened in May."),
    ("义诊在县医院举行。（来源）", "义诊在县医院举行。"),
    ("检测结果[阴性]", "检测结果[阴性]"),                               # brackets of the source's own
])
def test_quoted_words_end_at_the_closing_quotation_mark(line: str, words: str) -> None:
    assert quote_text(line) == words


def test_reply_with_a_quote_from_each_of_two_sources() -> None:
    reply = ("Quote: “主会场活动设在湖北武汉。” [1]\nQuote: “一行11人” [2]\n"
             "Answer: 武汉; 11人 [1][2]\nQuote: “echoed after the answer” [3]")
    assert split_reply(reply) == (["“主会场活动设在湖北武汉。” [1]", "“一行11人” [2]"], "武汉; 11人 [1][2]")


def test_quote_located_in_its_source_and_made_up_quote_is_not() -> None:
    source, share = locate_quote("香港特别行政区医务卫生局局长卢宥茂一行11人到访福建省卫生健康委员会。", make_hits())
    assert (source, share) == (2, 1.0)
    _, share = locate_quote("香港特别行政区医务卫生局局长卢宥茂一行共有30名队员。", make_hits())
    assert share < MIN_QUOTE_SHARE  # the first half is real, the rest invented


def test_tie_between_sources_goes_to_the_one_the_model_named() -> None:
    hits = make_hits()
    hits[2].chunk.text = hits[1].chunk.text  # overlapping chunks hold the same sentence
    assert locate_quote("卢宥茂一行11人", hits) == (2, 1.0)
    assert locate_quote("卢宥茂一行11人", hits, prefer=[3]) == (3, 1.0)


@pytest.mark.parametrize("answer, fixed", [
    ("戋卫东 [1]", "戎卫东 [1]"),                        # a rare character mis-copied
    ("The counsellor was 戋卫东.", "The counsellor was 戎卫东."),
    ("戎卫东 [1]", "戎卫东 [1]"),                        # copied right: untouched
    ("东 [1]", "东 [1]"),                                # too little context to judge
    ("五级甲等", "五级甲等"),                            # characters the sources use: a claim, untouched
    ("戋卫东、戋卫西", "戎卫东、戋卫西"),                 # 戋卫西 matches nothing: untouched
    ("签署了合作协议", "签署了合作协议"),                 # a paraphrase, not a near copy
])
def test_mis_copied_characters_put_right_from_the_source(answer: str, fixed: str) -> None:
    sources = ["戎卫东 参赞中国驻塞内加尔大使馆经商处。签署了《麻醉学科协作协议书》。",
               "三家医院通过五级乙等测评，十一家单位通过四级甲等测评。"]
    assert repair_copying(answer, sources) == fixed


def test_mangled_markers_repaired_and_echoed_sources_cut_off() -> None:
    reply = "Quote: “一行11人” [<source>2]]\nAnswer: 11人 [<2>]\n[1] 4部委联合开展\n<source>\n2026年6月14日"
    assert split_reply(reply) == (["“一行11人” [2]"], "11人 [2]")


def _dated_hit(text: str, date: str | None):
    from assistant.records import Chunk, Hit
    return Hit(Chunk(id="d1", text=text, title="青溪县人民医院开设夜间儿科门诊", file="export.jsonl",
                     file_sha="sha", page=1, position=0, index=0, date=date), 1.0, 1.0, None)


def test_a_quote_that_writes_the_issue_date_for_当天_is_located_and_a_made_up_one_is_not() -> None:
    from assistant.answer.quotes import issue_date
    assert issue_date("2025-03-02") == "2025-03-02 2025年3月2日"
    assert issue_date(None) == issue_date("三月") == ""
    text = "夜间儿科门诊3月1日起正式开诊。当天共接诊患儿312人次，家长不必再连夜赶往市区医院。"
    dated = [_dated_hit(text, "2025-03-02")]
    for quote in ("2025年3月2日，共接诊患儿312人次。", "2025-03-02共接诊患儿312人次"):
        assert locate_quote(quote, dated)[1] >= MIN_QUOTE_SHARE, quote
    assert locate_quote("2025年3月2日，共接诊患儿312人次。", [_dated_hit(text, None)])[1] < MIN_QUOTE_SHARE
    assert locate_quote("2025年3月2日，医院新开设了眼科和口腔科门诊。", dated)[1] < MIN_QUOTE_SHARE


# ---- a scale word the model dropped (invented articles) -------------------------------------------

COVERAGE = ["全省将为 1250 万适龄妇女提供免费筛查，省财政投入3.6亿元，首批30家医院参与。"]


@pytest.mark.parametrize("answer, english, restored", [
    ("1250 [1]", False, "1250万 [1]"),
    ("1250名 [1]", False, "1250万名 [1]"),
    ("About 1250 women [1].", True, "About 12.5 million women [1]."),
    ("3.6 [1]", False, "3.6亿 [1]"),
    ("3.6 yuan [1]", True, "360 million yuan [1]"),
])
def test_a_number_the_sources_write_only_with_a_scale_gets_it_back(answer: str, english: bool,
                                                                  restored: str) -> None:
    assert restore_scales(answer, COVERAGE, english) == restored


@pytest.mark.parametrize("answer", [
    "1250万 [1]", "12.5 million women [1]",   # already scaled
    "30家医院 [1]",                            # written bare in the source
    "2023年 [1]",                              # not in the source at all
])
def test_numbers_written_as_the_sources_write_them_stay(answer: str) -> None:
    assert restore_scales(answer, COVERAGE, english=answer.isascii()) == answer


def test_a_number_written_both_bare_and_scaled_stays_and_citations_are_not_numbers() -> None:
    both = ["共有1250名医生，服务1250万人。", "1万人参加"]
    assert restore_scales("1250 [1]", both) == "1250 [1]"
    assert restore_scales("1250 [1][2]", ["1万人", "1250万"]) == "1250万 [1][2]"  # not [1万]


@pytest.mark.parametrize("answer, restored", [
    ("共查处三百二十起 [1]", "共查处320起 [1]"),
    ("六千一百零余起 [1]", "6100余起 [1]"),                 # a numeral that stopped at 零
    ("十一家医院 [1]", "十一家医院 [1]"),                   # the source writes 十一 itself
    ("三家医院 [1]", "三家医院 [1]"),                       # one character: left alone
    ("二十五人 [1]", "二十五人 [1]"),                       # 25 is in no source
])
def test_a_numeral_the_sources_write_in_digits_is_written_in_digits(answer: str, restored: str) -> None:
    sources = ["今年以来共查处违法案件320起，破获6100余起，涉及十一家医院。"]
    assert restore_digits(answer, sources) == restored
