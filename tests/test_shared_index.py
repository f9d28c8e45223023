"""One index, several processes: two ingests started at once both complete (the second waits for
the first's writer lock, says so, then adds to what the first saved), a reader that loads and
searches in a loop meanwhile never fails and never sees a half-written or duplicated index, and a
save never removes a live writer's temporary folder.

Real subprocesses running `python -m assistant.cli ingest`, real all-MiniLM-L6-v2, FAISS, BM25.
Checkpoints every 2 units (ASSISTANT_CHECKPOINT_UNITS) so that generations change often while the
reader reads.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

from conftest import ROOT

from assistant.config import SAMPLE_DIR, Settings
from assistant.ingest.pipeline import ingest, read_articles
from assistant.records import Chunk
from assistant.search.embed import load_embedder
from assistant.search.retrieve import Retriever
from assistant.search.segments import tmp_prefix
from assistant.search.store import Index

P000, P002 = "000_24189f6fbd2ff608.txt", "002_ca3652deaf3b49ce.txt"


def _pages_folder(folder: Path, copies: int) -> None:
    folder.mkdir()
    for f in (P000, P002):
        text = (SAMPLE_DIR / f).read_text(encoding="utf-8")
        for n in range(copies):  # same pages, other bytes: other files to the index
            (folder / f"{Path(f).stem}_{folder.name}{n}.txt").write_text(
                text + f"\n第{n}次重印。\n", encoding="utf-8")


def _export_folder(folder: Path, copies: int) -> int:
    folder.mkdir()
    articles = read_articles(SAMPLE_DIR / P000) + read_articles(SAMPLE_DIR / P002)
    with (folder / "export.jsonl").open("w", encoding="utf-8") as f:
        for n in range(copies):
            for i, a in enumerate(articles):
                f.write(json.dumps({"id": f"{n}-{i}", "title": a.title, "date": f"2023-07-{n + 1:02d}",
                                    "issue": f"第{n + 1}期", "text": f"{a.text}\n（第{n}版）"},
                                   ensure_ascii=False) + "\n")
    return copies * len(articles)


def _check(index: Index) -> list[Chunk]:
    ids = [c.id for c in index.chunks]
    assert len(ids) == len(set(ids)), "duplicated chunks"
    assert len(index.vectors) == len(ids) == index.faiss_index.ntotal
    return index.chunks


def test_two_ingests_at_once_both_complete_while_a_reader_searches(tmp_path, minilm_path,
                                                                  monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings(index_dir=tmp_path / "index", embed_model=str(minilm_path), torch_threads=1)
    embedder = load_embedder(settings)
    assert ingest([str(SAMPLE_DIR / P000)], settings, embedder).files == 1  # readers need an index
    _pages_folder(tmp_path / "a", 4)
    records = _export_folder(tmp_path / "b", 3)
    env = {**os.environ, "ASSISTANT_EMBED_MODEL": str(minilm_path), "HF_HUB_OFFLINE": "1",
           "ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "ASSISTANT_TORCH_THREADS": "1",
           "ASSISTANT_CHECKPOINT_UNITS": "2", "PYTHONPATH": str(ROOT)}

    done, seen, problems = threading.Event(), [], []

    def read_loop() -> None:
        while not done.is_set():
            try:
                index = Index.load(settings.index_dir, embedder)
                hits = Retriever(index, embedder, settings).search("医院 麻醉学科协作", k=3)
                seen.append((index.generation, len(_check(index)), len(hits)))
            except Exception as e:  # noqa: BLE001 - the test's point: there must be none
                problems.append(repr(e))

    reader = threading.Thread(target=read_loop)
    reader.start()
    procs = [subprocess.Popen([sys.executable, "-m", "assistant.cli", "ingest", name], cwd=tmp_path,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in ("a", "b")]
    try:
        outs = [p.communicate(timeout=900) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
        done.set()
        reader.join()
    for p, (_, err) in zip(procs, outs):
        assert p.returncode == 0 and "Traceback" not in err, err
    waited = [i for i, (_, err) in enumerate(outs) if "waiting for another ingest" in err]
    assert len(waited) == 1, [err for _, err in outs]  # the second one waited, and said so once
    (w,) = waited
    assert outs[w][1].count("waiting for another ingest") == 1
    assert f"(pid {procs[1 - w].pid})" in outs[w][1]

    assert not problems, problems[:3]
    print(f"\nreader: {len(seen)} loads over {len({g for g, _, _ in seen})} generations")
    assert len(seen) >= 2 and all(hits == 3 for _, _, hits in seen)
    final = _check(Index.load(settings.index_dir, embedder))
    files = {c.file for c in final}
    assert files == {_p000_key(), *(f"a/{p.name}" for p in (tmp_path / "a").iterdir()),
                     "b/export.jsonl"}
    assert len({c.source for c in final if c.file == "b/export.jsonl"}) == records


def _p000_key() -> str:  # the sample page's key (outside the working directory: absolute)
    return (SAMPLE_DIR / P000).resolve().as_posix()


def test_a_save_leaves_a_live_writers_temporary_folder_alone(tmp_path, minilm_path):
    settings = Settings(index_dir=tmp_path / "index", embed_model=str(minilm_path), torch_threads=1)
    embedder = load_embedder(settings)
    ingest([str(SAMPLE_DIR / P000)], settings, embedder)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True, check=True)
    try:
        other = settings.index_dir / (tmp_prefix("seg").replace(str(os.getpid()), str(live.pid))
                                      + "abc123")
        debris = settings.index_dir / (tmp_prefix("seg").replace(str(os.getpid()),
                                                                 dead.stdout.strip()) + "def456")
        for folder in (other, debris):
            folder.mkdir()
            (folder / "chunks.jsonl").write_text("{}\n")
        assert ingest([str(SAMPLE_DIR / P002)], settings, embedder).files == 1
        assert (other / "chunks.jsonl").exists()  # its writer is alive: not ours to remove
        assert not debris.exists()  # its writer is gone: debris
    finally:
        live.kill()
        live.wait()
    assert Index.load(settings.index_dir, embedder).stats()["files"] == 2
