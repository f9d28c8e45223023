"""The ONNX embedding backend against the PyTorch model it was exported from: EmbeddingGemma from
the real model cache (its ONNX form is made by `assistant models pull`, which `make test` runs)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import ModelError
from assistant.models import onnx_export
from assistant.search import onnxembed
from assistant.search.embed import load_embedder

TEXTS = ["世界献血者日的口号是什么？", "which hospitals passed level 4A?",
         onnx_export.CHECK_TEXTS[-1],  # longer than the attention window: the sliding mask matters
         "福建省立医院与新疆昌吉州开展麻醉学科协作，双方签订麻醉学科协作协议书。"]


@pytest.fixture(scope="module")
def torch_fp32():
    return load_embedder(Settings(embed_backend="sentence-transformers", embed_int8=False))


@pytest.fixture(scope="module")
def onnx_int8():
    return load_embedder(Settings())  # the default: auto picks onnx for EmbeddingGemma


def test_default_backend_is_onnx_int8_and_names_itself(onnx_int8) -> None:
    assert isinstance(onnx_int8, onnxembed.OnnxEmbedder)
    assert onnx_int8.name == "embeddinggemma-300m@onnx-int8"  # an index built by PyTorch won't mix
    fp32 = load_embedder(Settings(embed_int8=False))
    assert fp32.name == "embeddinggemma-300m@onnx-fp32"


def test_tokens_are_the_ones_sentence_transformers_feeds_the_model(onnx_int8, torch_fp32) -> None:
    st = torch_fp32.model
    for kind in ("query", "document"):
        for text in TEXTS:
            ours = onnx_int8.tokenizer(onnx_int8.prompts[kind] + text, truncation=True,
                                       max_length=onnx_int8.max_tokens)["input_ids"]
            theirs = st.preprocess([text], prompt=st.prompts[kind])["input_ids"][0].tolist()
            assert ours == theirs


@pytest.mark.parametrize("int8, floor", [(True, 0.95), (False, 0.9999)])
def test_vectors_match_pytorch_fp32(torch_fp32, int8: bool, floor: float) -> None:
    onnx = load_embedder(Settings(embed_int8=int8))
    for kind in ("query", "document"):
        cosine = np.sum(onnx.embed(TEXTS, kind) * torch_fp32.embed(TEXTS, kind), axis=1)
        assert cosine.min() >= floor, (kind, cosine)
    # the query and the document form of a text differ (their prompts differ)
    assert float(onnx.embed(TEXTS[:1], "query")[0] @ onnx.embed(TEXTS[:1], "document")[0]) < 0.99


def test_a_vector_does_not_depend_on_its_batch(onnx_int8) -> None:
    alone = np.vstack([onnx_int8.embed([t], "document") for t in TEXTS])
    together = onnx_int8.embed(TEXTS, "document")
    assert np.array_equal(alone, together)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)


def test_ranking_holds_on_the_sample_questions(onnx_int8, torch_fp32) -> None:
    from assistant.bench.speed import SAMPLE_QUERIES, sample_chunks
    from assistant.search.store import embed_text

    texts = [embed_text(c) for c in sample_chunks(Settings())]
    questions = [q for q, _ in SAMPLE_QUERIES]
    tops = [np.argmax(e.embed(questions, "query") @ e.embed(texts, "document").T, axis=1)
            for e in (onnx_int8, torch_fp32)]
    assert np.sum(tops[0] == tops[1]) >= len(questions) - 1


def test_other_models_stay_on_pytorch_and_onnx_refuses_them(minilm_path: Path) -> None:
    assert not onnx_export.supports(minilm_path)
    auto = load_embedder(Settings(embed_model=str(minilm_path), embed_int8=False))
    assert not isinstance(auto, onnxembed.OnnxEmbedder)
    with pytest.raises(ModelError, match="sentence-transformers"):
        onnx_export.prepare(minilm_path, Path("/nonexistent/never-written"), log=lambda m: None)


def test_a_broken_onnx_folder_names_itself_and_the_fix(tmp_path: Path) -> None:
    source = Settings().models_dir / "embeddinggemma-300m"
    folder = tmp_path / "embeddinggemma-300m.onnx"
    with pytest.raises(ModelError, match="models pull"):
        onnxembed.OnnxEmbedder(folder, source, "x")  # missing
    real = onnxembed.folder_for(source)
    folder.mkdir()
    shutil.copy(real / onnxembed.STAMP, folder / onnxembed.STAMP)
    for graph in onnxembed.GRAPHS.values():
        (folder / graph).write_bytes(b"not an onnx graph")
    with pytest.raises(ModelError, match=f"{folder}.*models pull"):
        onnxembed.OnnxEmbedder(folder, source, "x")


def test_the_cached_form_was_checked_when_it_was_made() -> None:
    folder = onnxembed.folder_for(Settings().models_dir / "embeddinggemma-300m")
    stamp = json.loads((folder / onnxembed.STAMP).read_text())
    for int8, graph in onnxembed.GRAPHS.items():
        assert min(stamp[f"{graph} cosine to fp32"]) >= onnx_export.MIN_COSINE[int8]


@pytest.mark.slow  # ~2 min: the export itself (make test runs it once through `models pull`)
def test_prepare_builds_a_complete_folder_or_nothing(tmp_path: Path) -> None:
    source = Settings().models_dir / "embeddinggemma-300m"
    folder = tmp_path / "gemma.onnx"
    stamp = onnx_export.prepare(source, folder, log=lambda m: None)
    assert onnxembed.is_prepared(folder) and stamp["window"] > 0
    assert [p.name for p in tmp_path.iterdir()] == ["gemma.onnx"]  # no temporary folder left
