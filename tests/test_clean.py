"""Pure text repairs (clean.py) and decoding of text pages (textpages.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from assistant.errors import InputFileError
from assistant.ingest.clean import (
    clean_line,
    is_closed,
    is_spaced_out,
    join,
    normalize,
    undouble,
)
from assistant.ingest.textpages import decode

pytestmark = pytest.mark.unit  # pure functions: no model, server or index


@pytest.mark.parametrize("raw, fixed", [
    ("控 中 心 各 小 组 质 控 专 家 的 工 作 成", "控中心各小组质控专家的工作成"),
    ("展 、智 慧 医 疗 建 设 实 践 、集 团 化 数", "展、智慧医疗建设实践、集团化数"),
    ("位 的 分 管 领 导 ，市 属 三 级 医 院 、县", "位的分管领导，市属三级医院、县"),
    ("联合举办的“2024 闽昌麻醉学", "联合举办的“2024闽昌麻醉学"),
    ("第 20 批援塞医疗队入塞", "第20批援塞医疗队入塞"),
    ("8 月 18 日下午，由省卫健委指", "8月18日下午，由省卫健委指"),
    ("２０２４年８月", "2024年8月"),
    ("ＣＴ检查", "CT检查"),
    ("6月4日下午,香港特别行政区", "6月4日下午，香港特别行政区"),
    ("(省卫健委对外合作处)", "（省卫健委对外合作处）"),
    ("活动口号是:“一滴热血", "活动口号是：“一滴热血"),
    ("救治中心建设⋯⋯", "救治中心建设……"),
    (" 近日，在福建援疆前方指", "近日，在福建援疆前方指"),
    # spaces that carry meaning stay
    ("戎卫东 参赞", "戎卫东 参赞"),
    ("落实信息互通行动 强化标准落地应用", "落实信息互通行动 强化标准落地应用"),
    ("投入资金8.83亿元", "投入资金8.83亿元"),
    ("Deep Learning 医疗", "Deep Learning 医疗"),
])
def test_clean_line(raw, fixed):
    assert clean_line(raw) == fixed


def test_spaced_out_detection():
    assert is_spaced_out("果 分 享 会 。 授 课 专 家")
    assert not is_spaced_out("崇尚人文精神 彰显")


def test_join_wrapped_lines():
    assert join("在福建援疆前方指", "挥部的支持下") == "在福建援疆前方指挥部的支持下"
    assert join("using deep", "learning") == "using deep learning"
    assert join("2022年", "度") == "2022年度"


@pytest.mark.parametrize("text, closed", [
    ("发展与进步有着重要意义。", True),
    ("更大的贡献！", True),
    ("加快闽昌公共卫生医疗救治中心建设……", True),
    ("是我们收到最好的六一礼物。”", True),
    ("颁发了证书。（名单详见健康福建微信公众号）", True),
    ("（福建省援疆）", True),
    ("卢宥茂分享了香港发", False),
    ("一、二等奖获得者颁发了证书。（名", False),
    ("县（市/区）属综合医院（总医院）", False),
])
def test_sentence_end(text, closed):
    assert is_closed(text) is closed


def test_undouble():
    assert undouble("对口支援对口支援") == "对口支援"
    assert undouble("援外医疗") == "援外医疗"
    assert undouble("哈哈") == "哈哈"


@given(st.text())
def test_normalize_is_idempotent(s):
    once = normalize(s)
    assert normalize(once) == once


def test_decode_utf8_gb18030_and_bom():
    text = "闽港深化医疗卫生合作交流\n（省卫健委对外合作处）"
    assert decode(text.encode("utf-8"), "a.txt") == text
    assert decode(b"\xef\xbb\xbf" + text.encode("utf-8"), "a.txt") == text
    assert decode(text.encode("gb18030"), "a.txt") == text
    assert decode(text.encode("gbk"), "a.txt") == text


@pytest.mark.parametrize("data, problem", [
    (b"", "empty"),
    (b"  \n\n ", "empty"),
    (bytes(range(256)) * 8, "binary"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "binary"),
])
def test_decode_rejects_empty_and_binary(data, problem):
    with pytest.raises(InputFileError) as e:
        decode(data, "page.txt")
    assert str(e.value).startswith("page.txt: ") and problem in str(e.value)
    assert "\n" not in str(e.value)


def test_decode_rejects_other_encodings_instead_of_mojibake():
    latin1 = ("Café crème brûlée à la française, très élégant. " * 5).encode("latin-1")
    with pytest.raises(InputFileError, match="menu.txt: not UTF-8 or GB18030"):
        decode(latin1, "menu.txt")


def test_form_feeds_separate_pages(tmp_path):
    from assistant.ingest.textpages import read_text_pages
    path = tmp_path / "issue.txt"
    path.write_text("第一版的文字。\n\f\f第三版的文字。\n", encoding="utf-8")
    pages = read_text_pages(path, "issue.txt")
    assert [(p.page, p.issue, p.lines[0].text) for p in pages] == [
        (1, "issue", "第一版的文字。"), (3, "issue", "第三版的文字。")]
