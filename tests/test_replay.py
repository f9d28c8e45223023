"""`assistant eval --replay`: the checks re-run on logged model replies, with no model and no index.

The articles, questions and replies are invented here (a county hospital's new ward), not taken
from eval/ or the sample pages. Each logged answer is what Answerer.checked() gives, as in a run.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from answerhits import article_hits
from assistant.answer.pipeline import Answerer
from assistant.cli import main
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.evaluation.replay import ANSWERS, REPLIES, log_answer, replay, start_log
from assistant.records import Answer

pytestmark = pytest.mark.unit

HITS = article_hits(("青山县第二人民医院新住院楼启用",
                     "青山县第二人民医院新建住院楼于5月启用，设置床位420张，配备层流手术室6间。"),
                    ("青山县开展义诊活动", "县卫健委组织专家到乡镇开展义诊，服务群众300余人次。"))
QUESTIONS = [  # (id, question, type, key facts, the model's reply; None: refused before the model)
    ("ward-beds", "青山县第二人民医院新住院楼设置了多少张床位？", "number", ["420"],
     "Quote: “新建住院楼于5月启用，设置床位420张” [1]\nAnswer: 新住院楼设置床位420张 [1]"),
    ("ward-director", "青山县第二人民医院院长因何受到处分？", "unanswerable", [],
     "Quote: “院长因违规采购医疗设备受到警告处分” [1]\nAnswer: 违规采购医疗设备 [1]"),
    ("ward-cost", "青山县第二人民医院新住院楼造价多少？", "unanswerable", [], None),
]


def _logged_run(folder: Path, settings: Settings) -> Path:
    """A question set and the answers.jsonl/replies.jsonl a run with `settings` would log."""
    folder.mkdir(parents=True, exist_ok=True)
    questions = folder / "questions.jsonl"
    answerer = Answerer(settings)
    start_log(folder)
    with questions.open("w", encoding="utf-8") as qf:
        for qid, question, kind, facts, raw in QUESTIONS:
            gold = [] if kind == "unanswerable" else [{"article_id": "c0", "date": "2025-05-20"}]
            qf.write(json.dumps({"id": qid, "question": question, "lang": "zh", "type": kind,
                                 "key_facts": facts, "gold": gold, "split": "dev"},
                                ensure_ascii=False) + "\n")
            answer = (Answer(question, "资料中没有相关信息。", [], refused=True) if raw is None
                      else answerer.checked(question, raw, HITS, "zh"))
            log_answer(folder, qid, answer)  # as `assistant eval` logs each answer
    return questions


def test_a_replay_rechecks_each_logged_reply_under_every_profile(tmp_path):
    questions = _logged_run(tmp_path / "run", Settings(answer_checks="off"))
    assert len((tmp_path / "run" / REPLIES).read_text().splitlines()) == 2  # not the refused one
    summary = replay(Settings(answer_checks="strict"), tmp_path / "run", questions,
                     also_profiles=["off"])
    strict, off = summary["profiles"]["strict"], summary["profiles"]["off"]
    # the made-up quote about a punishment is in no passage: strict withholds it, off does not
    assert strict["refusal/all/refusal_rate"] == 1.0 and off["refusal/all/refusal_rate"] == 0.5
    # the grounded count stands under both
    assert strict["answers/all/key_fact_accuracy"] == off["answers/all/key_fact_accuracy"] == 1.0
    assert strict["refusal/all/false_refusal_rate"] == 0.0
    assert summary["meta"]["n_replies"] == 2 and summary["meta"]["n_questions"] == 3


def test_a_replay_under_the_runs_own_profile_gives_the_runs_answers(tmp_path):
    questions = _logged_run(tmp_path / "run", Settings(answer_checks="strict"))
    summary = replay(Settings(answer_checks="strict"), tmp_path / "run", questions)
    logged = {json.loads(line)["id"]: json.loads(line)
              for line in (tmp_path / "run" / ANSWERS).read_text(encoding="utf-8").splitlines()}
    for row in summary["per_question"]:
        assert (row["answer"], row["refused"]) == (logged[row["id"]]["answer"],
                                                   logged[row["id"]]["refused"])


def test_the_cli_writes_a_replay_report_beside_the_run(tmp_path, capsys):
    questions = _logged_run(tmp_path / "run", Settings(answer_checks="off"))
    assert main(["eval", "--replay", str(tmp_path / "run"), "--questions", str(questions),
                 "--also-profiles", "off"]) == 0
    out = capsys.readouterr().out
    assert "2 of 3 logged answers re-checked" in out
    report = (tmp_path / "run" / "replay" / "report.md").read_text(encoding="utf-8")
    assert "Answers per checks profile" in report


def test_a_run_logged_for_other_questions_is_named(tmp_path):
    questions = _logged_run(tmp_path / "run", Settings(answer_checks="off"))
    changed = questions.read_text(encoding="utf-8").replace("造价多少", "何时开工")
    questions.write_text(changed, encoding="utf-8")
    with pytest.raises(AssistantError, match=r"answers\.jsonl: ward-cost was asked as"):
        replay(Settings(), tmp_path / "run", questions)
    (tmp_path / "run" / REPLIES).unlink()
    with pytest.raises(AssistantError, match=r"replies\.jsonl: not found"):
        replay(Settings(), tmp_path / "run", questions)
