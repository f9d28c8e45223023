"""The chat UI end to end: the real app on a loopback port, driven by headless Chromium.

Real parts: an index of a generated two-page issue PDF plus the two sample pages, the
all-MiniLM-L6-v2 embedder, Gradio over HTTP, Debian's chromium, and SmolLM2 on a llama.cpp server
on 127.0.0.1, whose answers the app must give exactly as `assistant ask --json` does.
SmolLM2's wording is noise, so the browser test, which checks what the page shows, talks to a
STAND-IN model (tests/conftest.py ChatStandIn) that quotes the target article, pauses half way
through its reply until the test releases it (the page must show the half-streamed answer), and
is then stopped (an endpoint outage: the follow-up gets quoted sources under a notice). Each test
builds what it changes (the browser test adds an issue to its own copy of the index), so the
tests pass in any order. Screenshots are written to artifacts/.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import httpx
import pytest
from conftest import ARTIFACTS, quoting_reply
from gradio_client import Client
from pdfgen import SourceArticle, make_newspaper_pdf
from pydantic import SecretStr

from assistant.answer.local_server import LocalServer, free_port
from assistant.cli import main
from assistant.config import SAMPLE_DIR, Settings
from assistant.ingest.pipeline import ingest
from assistant.ui.app import build_app, launch
from assistant.ui.engine import Engine, parse_filters

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = [  # pandas 3 deprecations inside gradio's queue (gradio/queueing.py), not ours
    pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
    pytest.mark.filterwarnings("ignore:The copy keyword is deprecated"),
]

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
QUESTION = "厦门如何开展登革热防控？"
FOLLOW_UP = "医疗机构如何筛查登革热病例？"
TARGET = "厦门启动夏季登革热防控专项行动"  # on the PDF's second page, printed as 第4版
FILLER = "为进一步提升基层医疗卫生服务能力，全省各地持续推进紧密型县域医共体建设，完善分级诊疗制度。"
ARTICLES = [
    SourceArticle("全省推进紧密型县域医共体建设", FILLER * 8, ["省卫健委基层卫生处"]),
    SourceArticle("南平开展家庭医生签约服务提质行动", FILLER.replace("县域医共体", "家庭医生") * 14,
                  ["南平市卫健委"]),
    SourceArticle("龙岩举办基层卫生人才培训班", FILLER.replace("县域医共体", "人才培训") * 14,
                  ["龙岩市卫健委"]),
    SourceArticle(TARGET, "6月10日，厦门市启动夏季登革热防控专项行动，组织各区开展蚊媒密度监测和孳生地清理。\n"
                  "疾控中心提醒市民及时清除积水容器，外出时做好防蚊措施，出现发热、皮疹等症状应及时就医。\n"
                  "全市各级医疗机构加强发热病人筛查，落实登革热病例早发现、早报告、早治疗。",
                  ["厦门市卫健委"]),
    SourceArticle("莆田推进健康学校建设", FILLER.replace("县域医共体", "健康学校") * 4, ["莆田市教育局"]),
]
UPLOAD = [SourceArticle("泉州开展手足口病防控培训",
                        "6月18日，泉州市开展手足口病防控培训，重点指导托幼机构做好晨午检和环境消毒。",
                        ["泉州市卫健委"])]
# small passages and few of them: SmolLM2 reads ~60-100 prompt tokens/s on a busy 2-core machine
ENV = {"ASSISTANT_CHUNK_SIZE": "120", "ASSISTANT_CHUNK_OVERLAP": "30", "ASSISTANT_TOP_K": "1",
       "ASSISTANT_LLM_MODEL": "smollm2-135m-instruct", "ASSISTANT_LLM_TEMPERATURE": "0",
       "ASSISTANT_LLM_MAX_TOKENS": "16", "ASSISTANT_MIN_DENSE_SCORE": "0",
       "ASSISTANT_LLM_THREADS": "1"}


def _settings(env: dict[str, str]) -> Settings:
    return Settings(**{k.removeprefix("ASSISTANT_").lower(): v for k, v in env.items()})


@pytest.fixture(scope="module")
def llm(smollm2_gguf: Path):
    """This module's own SmolLM2 server, with this module's settings (one thread, 2k context)."""
    with LocalServer(smollm2_gguf, threads=1, context=2048) as server:
        yield server


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory, minilm_path: Path, llm: LocalServer) -> dict:
    """The index (generated issue PDF + sample pages), the env selecting it, a PDF to upload."""
    root = tmp_path_factory.mktemp("archive")
    pdf = root / "issue-1300.pdf"
    placed = make_newspaper_pdf(pdf, ARTICLES, date="2026年6月14日 星期日", issue="第1300期",
                                first_edition=3)
    assert TARGET in placed[1], placed  # the passage to find sits on the PDF's second page
    shutil.copytree(SAMPLE_DIR, root / "sample")
    env = {**ENV, "ASSISTANT_INDEX_DIR": str(root / "index"),
           "ASSISTANT_EMBED_MODEL": str(minilm_path), "ASSISTANT_LLM_BASE_URL": llm.base_url}
    ingest([str(pdf), str(root / "sample")], _settings(env))
    upload = root / "incoming" / "issue-1301.pdf"
    upload.parent.mkdir()
    make_newspaper_pdf(upload, UPLOAD, date="2026年6月21日 星期日", issue="第1301期", first_edition=1)
    return {"root": root, "env": env, "upload": upload}


@pytest.fixture(scope="module")
def app_url(archive: dict):
    """The app as `assistant serve` builds it, serving HTTP on a free loopback port (a thread)."""
    settings = _settings(archive["env"])
    settings.port = free_port()
    engine = Engine(settings)
    engine.warm_up()
    demo = build_app(engine)
    url = launch(demo, settings, block=False)
    assert url.startswith("http://127.0.0.1:")
    yield url
    demo.close()
    engine.close()


def _cli_ask(question: str, env: dict[str, str], monkeypatch, capsys) -> dict:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    capsys.readouterr()
    assert main(["ask", "--json", question]) == 0
    return json.loads(capsys.readouterr().out)


def _comparable(answer: dict) -> dict:
    """The answer as JSON carries it (boxes become lists), without the timings."""
    return {k: v for k, v in json.loads(json.dumps(answer)).items() if k != "timings"}


def test_app_answers_as_the_cli_from_the_llm(app_url: str, archive: dict, monkeypatch,
                                              capsys) -> None:
    client = Client(app_url, verbose=False)
    client.predict(QUESTION, None, api_name="/ask")  # fill llama.cpp's prompt cache: both calls
    app = client.predict(QUESTION, None, api_name="/ask")  # below then start from the same state
    cli = _cli_ask(QUESTION, archive["env"], monkeypatch, capsys)
    assert app["model"] == "smollm2-135m-instruct" and not app["fallback"]  # the LLM answered
    assert app["answer"]
    assert _comparable(app) == _comparable(cli)


def test_app_answers_as_the_cli_in_fallback(archive: dict, closed_port_url: str, monkeypatch,
                                            capsys) -> None:
    env = {**archive["env"], "ASSISTANT_LLM_BASE_URL": closed_port_url}
    app = Engine(_settings(env)).answer(QUESTION).to_dict()
    cli = _cli_ask(QUESTION, env, monkeypatch, capsys)
    assert app["fallback"] and app["citations"] and closed_port_url in app["notice"]
    assert _comparable(app) == _comparable(cli)


@pytest.fixture
def browser_app(archive: dict, tmp_path: Path, chat_standin):
    """An app of its own for the browser test, over a private copy of the index (the test adds an
    issue to it) and a STAND-IN model that pauses half way through its reply until released and
    can be stopped (an outage). The real SmolLM2 server is exercised by the tests above."""
    model = chat_standin(quoting_reply, pause_after="Answer:")
    shutil.copytree(archive["root"] / "index", tmp_path / "index")
    settings = _settings({**archive["env"], "ASSISTANT_INDEX_DIR": str(tmp_path / "index"),
                          "ASSISTANT_LLM_BASE_URL": model.url, "ASSISTANT_LLM_MAX_TOKENS": "200"})
    settings.port = free_port()
    engine = Engine(settings)
    demo = build_app(engine)
    url = launch(demo, settings, block=False)
    yield url, model, tmp_path
    demo.close()
    engine.close()


def test_browser_chat_cites_down_to_the_page(browser_app, archive: dict) -> None:
    url, model, root = browser_app
    ARTIFACTS.mkdir(exist_ok=True)
    expect = sync_api.expect
    expect.set_options(timeout=30_000)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1200})
        page.set_default_timeout(30_000)
        page.goto(url)
        status = page.locator("#status")
        expect(status).to_contain_text("3 issues, 4 pages")
        expect(status).to_contain_text(f"smollm2-135m-instruct · endpoint {model.url}")

        def ask(question: str) -> None:
            page.locator("#question textarea").fill(question)
            page.keyboard.press("Enter")

        ask(QUESTION)  # 1: the answer streams: half of it is on screen while the model is paused
        answer = page.locator("#chat .bot").nth(0)
        assert model.paused.wait(120), "the model was never asked"
        quoted = quoting_reply(model.prompts[-1]).split("“")[1].split("”")[0]
        expect(answer).to_contain_text(quoted[:12])  # the streamed half: the quote line
        expect(page.locator("#sources")).not_to_contain_text("Sources of answer 1")
        model.release()  # the rest streams; the checked answer replaces the raw reply
        expect(page.locator("#sources")).to_contain_text("Sources of answer 1")
        expect(answer).to_contain_text("第1300期 · 2026-06-14 · p.4")  # the cited page
        expect(answer).not_to_contain_text("Answer:")

        model.stop()  # 2: the endpoint goes down; the follow-up gets quoted sources and a notice
        ask(FOLLOW_UP)
        expect(page.locator("#sources")).to_contain_text("Sources of answer 2")
        expect(page.locator("#chat .bot").nth(1)).to_contain_text("语言模型不可用")  # the notice
        choice = page.locator("#sources label").filter(has_text=TARGET).first
        expect(choice).to_contain_text("第1300期 · 2026-06-14 · p.4")
        choice.click()
        view = page.locator("#source-view")
        expect(view.locator("mark.cited")).to_be_visible()
        expect(view).to_contain_text("issue-1300.pdf · page 4")
        cited = view.locator("mark.cited").inner_text()
        assert cited.replace("\n", "") in ARTICLES[3].text.replace("\n", ""), cited
        image = page.locator("#page-image img")
        expect(image).to_be_visible()
        assert image.evaluate("img => img.naturalWidth") == 893  # A4 (595 pt) at 1.5x
        page.screenshot(path=str(ARTIFACTS / "app_answer_with_page.png"), full_page=True)
        page.locator("#chat .bot").nth(0).click()  # an earlier answer: its sources come back
        expect(page.locator("#sources")).to_contain_text(re.compile("answer 1", re.I))

        ask("长" * 1001)  # 3: over the question limit: a friendly message, no traceback
        expect(page.locator("#chat .bot").nth(2)).to_contain_text("the limit is 1000")
        expect(page.locator("#chat .user").nth(2)).to_contain_text("… (1001 characters)")

        fake = root / "fake.pdf"
        fake.write_text("not a PDF at all", encoding="utf-8")
        page.locator("input[type=file]").set_input_files([str(archive["upload"]), str(fake)])
        page.locator("#add").click()  # 4: a new issue is added and searchable; a fake is refused
        report = page.locator("#upload-report")
        expect(report).to_contain_text("issue-1301.pdf: added (1 pages, 1 articles")
        expect(report).to_contain_text("Not added: fake.pdf: is not a PDF")
        expect(status).to_contain_text("4 issues, 5 pages")
        page.screenshot(path=str(ARTIFACTS / "app_after_upload.png"), full_page=True)

        other = browser.new_page()  # 5: a second session has its own conversation
        other.goto(url)
        other.locator("#question textarea").fill("泉州手足口病防控培训指导哪些机构？")
        other.keyboard.press("Enter")
        expect(other.locator("#sources")).to_contain_text("Sources of answer 1")
        expect(other.locator("#sources")).to_contain_text("泉州开展手足口病防控培训")
        expect(other.locator("#chat .user")).to_have_count(1)
        expect(page.locator("#chat .user")).to_have_count(3)
        browser.close()
    assert (root / "uploads" / "issue-1301.pdf").is_file()
    assert not (root / "uploads" / "fake.pdf").exists()


def test_filters_limit_the_sources(archive: dict, closed_port_url: str) -> None:
    engine = Engine(_settings({**archive["env"], "ASSISTANT_LLM_BASE_URL": closed_port_url}))
    question = "世界献血者日的口号是什么？"
    unfiltered = engine.answer(question).citations
    assert unfiltered and all(c.issue == "002_ca3652deaf3b49ce" for c in unfiltered)
    dated = engine.answer(question, filters=parse_filters("2026-06-01", "2026-06-15", "")).citations
    assert dated and all(c.date == "2026-06-14" for c in dated)  # only issue 1300 is in range
    by_issue = engine.answer(question, filters=parse_filters("", "", "第1300期")).citations
    assert by_issue and all(c.issue == "第1300期" for c in by_issue)


def test_login_guards_the_page_and_the_api(archive: dict, closed_port_url: str) -> None:
    settings = _settings({**archive["env"], "ASSISTANT_LLM_BASE_URL": closed_port_url})
    settings.port, settings.auth_user = free_port(), "editor"
    settings.auth_password = SecretStr("s3cret")
    demo = build_app(Engine(settings))
    url = launch(demo, settings, block=False)
    try:
        with httpx.Client(base_url=url, timeout=10) as http:
            assert http.get("config").status_code == 401
            for password, status in (("nope", 400), ("s3cret", 200)):
                login = http.post("login", data={"username": "editor", "password": password})
                assert login.status_code == status
            assert http.get("config").status_code == 200  # the session cookie lets it in
        client = Client(url, auth=("editor", "s3cret"), verbose=False)  # the API, filtered
        answer = client.predict("世界献血者日的口号是什么？", None, "", "", "第1300期", api_name="/ask")
        assert answer["citations"] and {c["issue"] for c in answer["citations"]} == {"第1300期"}
    finally:
        demo.close()
