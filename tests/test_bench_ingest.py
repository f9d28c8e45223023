"""`assistant bench --ingest` on a small export: the figures it promises are there and consistent
(counts, 2x = twice the units, the old design's saves write more, and grow faster with the
archive, than the new design's).
Timings are printed by the benchmark, never asserted. Real MiniLM embedder, real FAISS/BM25."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.bench.ingest import doubled, records, run_ingest_bench
from assistant.config import SAMPLE_DIR, Settings
from assistant.ingest.pipeline import read_articles


@pytest.mark.unit
def test_doubled_adds_a_changed_copy_of_every_record(tmp_path: Path) -> None:
    src = tmp_path / "a.jsonl"
    src.write_text('{"id": "x", "text": "正文。"}\n\n{"body": "另一篇。"}\n{"id": "z"}\n',
                   encoding="utf-8")
    assert doubled(records(src, limit=2), tmp_path / "one.jsonl", tmp_path / "b.jsonl") == 4
    assert (tmp_path / "one.jsonl").read_text().count("\n") == 2
    rows = [json.loads(line) for line in (tmp_path / "b.jsonl").read_text().splitlines()]
    assert [r.get("id") for r in rows] == ["x", "x-copy", None, "1-copy"]
    assert rows[1]["text"].startswith("正文。\n") and rows[1]["text"] != rows[0]["text"]
    assert rows[3]["text"].startswith("另一篇。\n")


def test_the_ingest_bench_reports_both_scales_and_both_designs(tmp_path: Path, minilm_path) -> None:
    export = tmp_path / "export.jsonl"
    articles = read_articles(SAMPLE_DIR / "000_24189f6fbd2ff608.txt")
    export.write_text("".join(json.dumps({"id": f"a{i}", "title": a.title, "text": a.text},
                                         ensure_ascii=False) + "\n" for i, a in enumerate(articles)),
                      encoding="utf-8")
    settings = Settings(embed_model=str(minilm_path), torch_threads=1, checkpoint_units=3)
    r = run_ingest_bench(settings, export, limit=len(articles))
    runs = {row["run"]: row for row in r["runs"]}
    assert list(runs) == ["new 1x", "new 2x", "old replay 1x", "old replay 2x", "new replay 1x",
                          "new replay 2x"]
    n = len(articles)
    assert r["articles_1x"] == n and runs["new 2x"]["articles"] == 2 * n
    assert runs["new 2x"]["chunks"] >= 2 * runs["new 1x"]["chunks"]
    for scale in ("1x", "2x"):
        old, new = runs[f"old replay {scale}"], runs[f"new replay {scale}"]
        assert old["chunks"] == new["chunks"] == runs[f"new {scale}"]["chunks"]
        assert old["bytes_written"] > new["bytes_written"]  # the old design rewrote everything
    grow = {d: runs[f"{d} replay 2x"]["bytes_written"] / runs[f"{d} replay 1x"]["bytes_written"]
            for d in ("old", "new")}
    assert grow["old"] > grow["new"]  # twice the units: the old design's writes grow faster
    for row in r["runs"]:
        assert row["peak_rss_mb"] > 0 and row["wall_s"] >= 0 and "chunks_per_s" in row
    assert set(r["ratios"]) == {"new 2x/1x time", "old replay 2x/1x time",
                                "new replay 2x/1x time", "old/new replay time at 2x"}
