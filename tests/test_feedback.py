"""Feedback: ratings given through the real API stored in SQLite with the answer and settings,
listed and exported by the CLI as draft eval questions that the eval's own loader accepts;
questions logged only when Settings.log_questions is on."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from apiapp import QUESTION, app_settings, sample_index, serving

from assistant.api.feedback import Entry, FeedbackStore, as_eval_question
from assistant.cli import main
from assistant.evaluation.questions import load_questions

pytestmark = [pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated"),
              pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")]


@pytest.fixture(scope="session")
def index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sample_index(tmp_path_factory)


def test_rated_answers_are_stored_and_exported_as_eval_questions(index, tmp_path, monkeypatch,
                                                                 capsys, closed_port_url) -> None:
    key = "k3y-never-stored"
    settings = app_settings(index, tmp_path, llm_base_url=f"{closed_port_url}?key={key}")
    follow_up = "主会场设在哪里？"
    with serving(settings) as (url, _), httpx.Client(base_url=url, timeout=120) as http:
        first = http.post("api/ask", json={"question": QUESTION}).json()
        second = http.post("api/ask", json={"question": follow_up,
                                            "history": [[QUESTION, first["answer"]]]}).json()
        down = http.post("api/feedback", json={"rating": "down", "comment": "wrong venue",
                                               "answer": second,
                                               "history": [[QUESTION, first["answer"]]]})
        up = http.post("api/feedback", json={"rating": "up", "answer": first})
        bad = http.post("api/feedback", json={"rating": "meh", "answer": first})
    assert down.status_code == up.status_code == 200 and bad.status_code == 422
    entries = FeedbackStore(settings.feedback_path).entries()
    assert [(e.id, e.rating) for e in entries] == [(down.json()["id"], "down"), (up.json()["id"], "up")]
    stored = entries[0]
    assert (stored.question, stored.answer, stored.comment) == (follow_up, second["answer"],
                                                                "wrong venue")
    assert stored.citations == second["citations"] and stored.flags == second["flags"]
    assert stored.settings["model"] == settings.llm_model and stored.settings["top_k"] == settings.top_k
    assert key not in settings.feedback_path.read_bytes().decode("utf-8", "replace")
    assert FeedbackStore(settings.feedback_path).entries("question") == []  # logging is off

    monkeypatch.setenv("ASSISTANT_FEEDBACK_DB", str(settings.feedback_path))
    out = tmp_path / "from-feedback.jsonl"
    assert main(["feedback", "export", "--only", "down", "--out", str(out)]) == 0
    drafted = load_questions(out)  # the eval's own loader accepts the export
    assert len(drafted) == 1 and drafted[0].question == follow_up
    assert drafted[0].history == [QUESTION] and drafted[0].type == "follow-up"
    assert drafted[0].key_facts == [] and drafted[0].support == []
    assert {(g["file"], g["title"]) for g in drafted[0].gold} == \
        {(c["file"], c["title"]) for c in second["citations"]}
    capsys.readouterr()
    assert main(["feedback", "list", "--json"]) == 0
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [e["rating"] for e in listed] == ["down", "up"]


def test_questions_are_logged_only_when_turned_on(index, tmp_path, closed_port_url) -> None:
    settings = app_settings(index, tmp_path, llm_base_url=closed_port_url, log_questions=True)
    with serving(settings) as (url, _), httpx.Client(base_url=url, timeout=120) as http:
        asked = http.post("api/ask", json={"question": QUESTION}).json()
    logged = FeedbackStore(settings.feedback_path).entries("question")
    assert [(e.question, e.answer, e.rating) for e in logged] == [(QUESTION, asked["answer"], None)]
    assert FeedbackStore(settings.feedback_path).entries() == []  # no rating was given


@pytest.mark.unit
def test_a_refusal_becomes_an_unanswerable_draft_and_citations_one_gold_per_article() -> None:
    cite = {"file": "w/3.txt", "title": "渡轮复航", "issue": "第88期", "page": 3}
    answered = Entry(7, "t", "feedback", "down", "", "Which ferry reopened?", [], "Pingtan [1][2]",
                     [cite, dict(cite, chunk_id="other passage")], [], False, False)
    refused = Entry(8, "t", "feedback", "down", "", "渡轮什么时候复航？", [["Which ferry?", "Pingtan"]],
                    "The archive does not say.", [], [], True, False)
    assert as_eval_question(answered) == {
        "id": "feedback-7", "question": "Which ferry reopened?", "lang": "en", "type": "fact",
        "history": [], "key_facts": [], "gold": [cite], "support": []}
    draft = as_eval_question(refused)
    assert (draft["type"], draft["lang"], draft["gold"], draft["history"]) == \
        ("unanswerable", "zh", [], ["Which ferry?"])
