"""Write the multi-year question set's archive: dated newspaper issues (PDF) of five recurring
yearly events, 2023-2025, with the tests' PDF generator (tests/pdfgen.py).

Every event, place figure and hospital below is invented for this set (the cities are real
Fujian cities; the events held there are not). Each issue carries the event's report and one
unrelated article, so that the same event comes back every year with other facts: the year a
question names (or "去年", "the latest") decides which issue answers it. The PDFs are written
with fixed bytes, so the index built from them is cached (assistant eval keys it by their hash).

    python eval/multiyear/generate.py [FOLDER]    # default: artifacts/multiyear-issues
Not handled here: the questions (questions.jsonl beside this file), running them (assistant eval).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from pdfgen import SourceArticle, make_newspaper_pdf  # noqa: E402

WEEKDAYS = "一二三四五六日"

# event -> year -> (issue, ISO date, title, body); the body holds that year's facts
EVENTS: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "doctors": {
        "2023": ("第2101期", "2023-08-19", "第六个中国医师节庆祝大会在漳州召开",
                 "8月19日，全省庆祝第六个中国医师节大会在漳州市文化艺术中心召开。大会表彰了35名“八闽好医生”，"
                 "并发布了医师关爱十项举措。"),
        "2024": ("第2153期", "2024-08-19", "我省庆祝第七个中国医师节 表彰大会在南平举行",
                 "8月19日，全省庆祝第七个中国医师节表彰大会在南平市武夷新区会展中心举行，42名基层医师受到表彰，"
                 "其中乡村医生11名。"),
        "2025": ("第2205期", "2025-08-19", "2025年中国医师节庆祝大会在宁德举行",
                 "8月19日，2025年中国医师节庆祝大会在宁德市体育中心举行，48名医师获评“最美医师”，"
                 "大会还启动了青年医师导师计划。"),
    },
    "donors": {
        "2023": ("第2091期", "2023-06-14", "世界献血者日：街头献血点迎来献血高峰",
                 "6月14日是世界献血者日。今年我省宣传活动的口号是“点滴热血，汇聚希望”。当天全省共有1260人参加无偿献血，"
                 "采血量达到38万毫升。"),
        "2024": ("第2143期", "2024-06-14", "世界献血者日 全省采血点延长服务时间",
                 "6月14日是世界献血者日。今年我省宣传活动的口号是“献血光荣，生命接力”。当天全省共有1480人参加无偿献血，"
                 "各采血点服务时间延长至晚上9点。"),
        "2025": ("第2195期", "2025-06-14", "世界献血者日：一千七百余人撸袖献血",
                 "6月14日是世界献血者日。今年我省宣传活动的口号是“让爱流动，为你我续航”。当天全省共有1715人参加无偿献血，"
                 "其中首次献血者占三成。"),
    },
    "eyes": {
        "2023": ("第2089期", "2023-06-06", "全国爱眼日：中小学生视力筛查进校园",
                 "6月6日是全国爱眼日。今年我省爱眼日活动的主题是“科学用眼，远离近视”，全省为8600名中小学生进行了视力筛查，"
                 "筛查出近视学生3100名。"),
        "2024": ("第2141期", "2024-06-06", "爱眼日倡导每天户外活动一小时",
                 "6月6日是全国爱眼日。今年我省爱眼日活动的主题是“户外一小时，明眸亮起来”，全省为9300名中小学生进行了视力筛查，"
                 "并为每所学校配发视力表灯箱。"),
        "2025": ("第2193期", "2025-06-06", "全国爱眼日：万名学生接受免费视力检查",
                 "6月6日是全国爱眼日。今年我省爱眼日活动的主题是“屏幕有度，视界清晰”，全省为10400名中小学生进行了视力筛查，"
                 "眼科医生还走进社区讲解干眼症防治。"),
    },
    "grading": {
        "2023": ("第2160期", "2023-12-20", "我省公布2023年度等级医院评审结果",
                 "省卫健委近日公布2023年度等级医院评审结果，榕溪市第二人民医院、桐山县中医院通过评审，"
                 "成为三级甲等医院。评审共有17家医院参加。"),
        "2024": ("第2212期", "2024-12-18", "2024年度等级医院评审结果揭晓 三家医院晋升三甲",
                 "省卫健委近日公布2024年度等级医院评审结果，岚岛市妇幼保健院、青峰县人民医院、溪口市第一医院通过评审，"
                 "成为三级甲等医院。评审共有21家医院参加。"),
        "2025": ("第2264期", "2025-12-17", "我省2025年度等级医院评审结果公布",
                 "省卫健委近日公布2025年度等级医院评审结果，云川市中西医结合医院、梅岭县人民医院通过评审，"
                 "成为三级甲等医院。评审共有19家医院参加。"),
    },
    "nurses": {
        "2023": ("第2079期", "2023-05-12", "国际护士节：全省表彰60名优秀护士",
                 "5月12日，全省纪念国际护士节大会在福州市海峡文化艺术中心举行，60名护士获评“优秀护士”，"
                 "12个护理团队获评“优秀护理团队”。"),
        "2024": ("第2131期", "2024-05-10", "厦门举行国际护士节纪念大会",
                 "5月10日，全省纪念国际护士节大会在厦门市人民会堂举行，72名护士获评“优秀护士”，"
                 "大会还发布了护理服务提升行动方案。"),
        "2025": ("第2183期", "2025-05-12", "2025年国际护士节纪念大会在泉州召开",
                 "5月12日，2025年全省纪念国际护士节大会在泉州大剧院召开，80名护士获评“优秀护士”，"
                 "其中来自基层医疗机构的护士26名。"),
    },
}

FILLERS = [
    SourceArticle("社区开展夏季防溺水安全教育",
                  "社区卫生服务中心走进学校，讲解防溺水和急救知识，演示心肺复苏操作。", ["县卫健局"]),
    SourceArticle("乡镇卫生院开通远程心电诊断",
                  "全县乡镇卫生院接入远程心电诊断平台，心电图由县医院专家在30分钟内出具诊断报告。", ["县医院"]),
    SourceArticle("疾控中心提醒做好秋季流感疫苗接种",
                  "疾控中心提醒，老年人、慢性病患者和医务人员是流感疫苗的优先接种人群，宜在流行季前完成接种。", ["市疾控中心"]),
    SourceArticle("医院推出夜间便民门诊",
                  "市第一医院夜间门诊开设内科、儿科和皮肤科，每晚开放至21点，方便上班族就诊。", ["市第一医院"]),
]


def masthead_date(iso: str) -> str:
    """'2024-08-19' -> '2024年8月19日 星期一', as the paper prints it."""
    from datetime import date
    d = date.fromisoformat(iso)
    return f"{d.year}年{d.month}月{d.day}日 星期{WEEKDAYS[d.weekday()]}"


def generate(folder: Path) -> list[Path]:
    """Write one PDF per event and year into folder (`<event>-<year>.pdf`); the paths."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for n, (event, years) in enumerate(sorted(EVENTS.items())):
        for k, (year, (issue, iso, title, body)) in enumerate(sorted(years.items())):
            path = folder / f"{event}-{year}.pdf"
            make_newspaper_pdf(path, [SourceArticle(title, body, ["本报记者"]), FILLERS[(n + k) % len(FILLERS)]],
                               date=masthead_date(iso), issue=issue, label="要闻")
            written.append(path)
    return written


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "artifacts" / "multiyear-issues"
    print(f"{out}: {len(generate(out))} issues")
