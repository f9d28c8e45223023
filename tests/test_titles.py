"""Titles derived from an article's text when an export record has none, and how they are shown.

Every example here is written for this file (not taken from eval/ or data/sample/); all pure.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_exports import STORY, jsonl

from assistant.ingest.exports import read_export
from assistant.ingest.titles import MAX_WIDTH, derive_title, width
from assistant.records import Chunk, Citation

unit = pytest.mark.unit


@unit
@pytest.mark.parametrize("text, title", [
    ("新华社北京7月3日电（记者 张三）国家卫健委3日发布夏季防暑指南。专家提醒老人少出门。",
     "国家卫健委3日发布夏季防暑指南"),
    ("本报讯（记者 张三）市第二人民医院昨日启用新门诊楼。", "市第二人民医院昨日启用新门诊楼"),
    ("7月3日，省疾控中心发布登革热防控提示。", "省疾控中心发布登革热防控提示"),
    ("中新网成都5月2日电 (记者 李四)2日，成都市举行无偿献血表彰会。", "成都市举行无偿献血表彰会"),
    ("某某日报讯 当地时间4月1日，邻国卫生部宣布疫苗接种计划。", "邻国卫生部宣布疫苗接种计划"),
    ("据本地电视台报道，城区三家社区卫生服务中心延长服务时间。", "城区三家社区卫生服务中心延长服务时间"),
    ("原标题：社区医生上门随访 高血压患者不再跑腿 近日，某街道推行家庭医生上门服务。",
     "社区医生上门随访"),
    ("晨报记者 王五通讯员 赵六某区人民医院开通了互联网复诊。市民可在手机上续方。",
     "市民可在手机上续方"),
    ("原标题：三甲医院开设睡眠门诊近日，省人民医院开设睡眠门诊。", "三甲医院开设睡眠门诊"),
    ("原标题：乡村医生培训班结业新华社南宁6月2日电 首期乡村医生培训班2日结业。", "乡村医生培训班结业"),
    ("原标题：体检报告别只看箭头5月6日，一位市民拿着报告来到门诊。", "体检报告别只看箭头"),
    ("他熬夜三个月，结果……医生提醒年轻人规律作息。", "他熬夜三个月，结果"),
])
def test_derived_titles_skip_datelines_and_bylines(text: str, title: str) -> None:
    assert derive_title(text) == title


@unit
def test_derived_titles_are_short_and_cut_at_a_natural_break() -> None:
    long = "为进一步提高群众的健康素养水平，推动健康知识进社区进学校，市卫健委联合多部门开展系列宣传活动。"
    assert derive_title(long) == "为进一步提高群众的健康素养水平，推动健康知识进社区进学校"
    assert derive_title("义诊。") == "义诊"
    assert derive_title("注意啦！明天起全市医院实行预约挂号。") == "注意啦！明天起全市医院实行预约挂号"
    no_marks = "今年夏天全市各级医院共接诊中暑病人三百余人其中重症二十余人均已治愈出院医生提醒市民注意防暑"
    title = derive_title(no_marks)
    assert title.endswith("…") and width(title) <= MAX_WIDTH and no_marks.startswith(title[:-1])
    english = ("The city hospital opened an evening clinic for children and older patients "
               "on Monday, officials said.")
    assert derive_title(english) == "The city hospital opened an evening clinic for children and…"
    assert derive_title("“ 健康中国 ”行动启动，全省同步推进。") == "“健康中国”行动启动，全省同步推进"


@unit
def test_records_without_title_get_a_derived_title_marked_as_such(tmp_path: Path) -> None:
    path = jsonl(tmp_path, {"id": 1, "text": "本报讯 市血液中心本周六开展献血活动。欢迎市民参加。"},
                 {"id": 2, "title": "", "text": STORY}, {"id": 3, "title": "有标题", "text": STORY})
    records, _ = read_export(path, "a.jsonl")
    assert [(r.article.title, r.article.title_derived) for r in records] == [
        ("市血液中心本周六开展献血活动", True), ("市中心医院开设夜间门诊", True), ("有标题", False)]


@unit
def test_citation_label_marks_a_derived_title() -> None:
    chunk = Chunk(id="c", text="t", title="市中心医院开设夜间门诊", file="a.jsonl", file_sha="s", page=1,
                  position=0, index=0, date="2023-07-03", article_id="7", title_derived=True)
    assert Citation.of(chunk).label() == "2023-07-03 · p.1 · ≈市中心医院开设夜间门诊"
    chunk.title_derived = False
    assert Citation.of(chunk).label() == "2023-07-03 · p.1 · 市中心医院开设夜间门诊"
