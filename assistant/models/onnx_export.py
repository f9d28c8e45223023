"""EmbeddingGemma exported to ONNX, once per model: a sentence-transformers folder in, a checked
ONNX folder out (run by search/onnxembed.py, the default embedding backend "onnx").

Why: on a 2-core AVX2 CPU, PyTorch spends a query's time in per-operator overhead and its dynamic
int8 (one activation scale per tensor) moves Gemma's vectors to ~0.96 cosine of fp32. The same
model exported to ONNX and quantised per channel embeds a query in ~18 ms instead of ~43 ms, at
0.97-0.99 cosine of fp32 (measured in tests/test_onnxembed.py and `assistant bench`).

prepare(source, folder): once per model, a few minutes. Exports the text model, mean pooling, the
two Dense layers and the normalisation as one ONNX graph that takes `inputs_embeds` (the token
table stays out of the graph: it would triple its size), fuses it into ONNX Runtime's RMSNorm and
attention operators, quantises its matrix products to int8 (the fp32 graph is kept too),
stores the token table as int8 rows with a scale per row, checks the result against the fp32
PyTorch model on sample texts, and only then renames the temporary folder into place.
unmasked_window(model): the attention window both this export and search/embed.py's PyTorch path
rely on.
Not handled: models other than sentence-transformers Gemma3 encoders with bidirectional attention
(EmbeddingGemma): prepare() refuses them, and Settings.embed_backend="sentence-transformers"
serves any other model; GPUs; running the graph (search/onnxembed.py).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.errors import ModelError
from assistant.search.onnxembed import (
    GRAPHS,
    SCALE,
    STAMP,
    TABLE,
    OnnxEmbedder,
    folder_for,
    is_prepared,
)

CHECK_TEXTS = [  # a question each way, and a passage longer than the 257-token attention window
    "世界献血者日的口号是什么？", "Which hospitals passed the level 4A evaluation?",
    "本报讯 为进一步提升全省基层医疗卫生服务能力，省卫生健康委员会近日在福州召开全省基层卫生工作"
    "会议。会议总结了过去一年的工作成效：全省新建和改扩建乡镇卫生院八十余所，家庭医生签约服务覆盖"
    "率稳步提高，远程会诊系统已经连通所有县级医院。会议要求，各地要围绕群众看病就医的急难愁盼问题，"
    "持续推进紧密型县域医疗卫生共同体建设，加强全科医生培养和使用，完善药品供应保障，做好传染病"
    "监测预警和应急处置。与会代表还就中医药服务进基层、慢性病患者健康管理、老年人健康体检等议题进行"
    "了交流。省卫生健康委员会有关负责人表示，将加大对山区和海岛地区的支持力度，组织城市三级医院医生"
    "定期下沉坐诊，让群众在家门口就能享受到优质医疗服务。The meeting also reviewed cooperation "
    "with hospitals in Xinjiang and Tibet and plans for the coming winter influenza season."]
MIN_COSINE = {True: 0.95, False: 0.999}  # each graph against fp32 PyTorch on CHECK_TEXTS


NO_MASKS = {"full_attention": None, "sliding_attention": None}


def unmasked_window(model) -> int:
    """For a sentence-transformers model whose text model takes ready-made masks per layer type
    and attends both ways (EmbeddingGemma's Gemma3): the longest input, in tokens, that needs no
    mask at all when alone in its batch (the sliding window). 0 for every other model: they take
    the usual encode() path."""
    modules = list(model)
    config = getattr(getattr(modules[0], "auto_model", None), "config", None)
    pooling = modules[1] if len(modules) > 1 else None
    if (config is None or not getattr(config, "use_bidirectional_attention", False)
            or not set(getattr(config, "layer_types", None) or ["?"]) <= set(NO_MASKS)
            or getattr(config, "_attn_implementation", "") != "sdpa"
            or not getattr(pooling, "include_prompt", False)):
        return 0
    return int(getattr(config, "sliding_window", 0) or 0)


def supports(source: Path) -> bool:
    """Whether `source` looks like a model prepare() can export (read from its config files; the
    export itself checks the loaded modules again)."""
    try:
        config = json.loads((source / "config.json").read_text())
        modules = [m["type"].rsplit(".", 1)[-1]
                   for m in json.loads((source / "modules.json").read_text())]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return (str(config.get("model_type", "")).startswith("gemma3")
            and bool(config.get("use_bidirectional_attention"))
            and modules == ["Transformer", "Pooling", "Dense", "Dense", "Normalize"])


def discard(source: Path) -> None:
    """Forget the ONNX form of `source` (called when the model itself is fetched again)."""
    shutil.rmtree(folder_for(source), ignore_errors=True)


def _graph_module(st, window: int):
    """The sentence-transformers model from inputs_embeds to the normalised sentence vector, one
    unpadded sequence: no padding mask; the sliding layers see +-(window-1) tokens, as in
    transformers' bidirectional Gemma3."""
    import torch
    import torch.nn.functional as F

    modules = list(st)
    names = [type(m).__name__ for m in modules]
    if names != ["Transformer", "Pooling", "Dense", "Dense", "Normalize"] \
            or modules[1].pooling_mode != "mean" \
            or any(not isinstance(m.activation_function, torch.nn.Identity) for m in modules[2:4]):
        raise ModelError(f"the ONNX backend expects EmbeddingGemma's modules (Transformer, mean "
                         f"Pooling, Dense, Dense, Normalize), not {names}; set "
                         "ASSISTANT_EMBED_BACKEND=sentence-transformers for this model")

    class Graph(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.text = modules[0].auto_model
            self.dense1, self.dense2 = modules[2].linear, modules[3].linear

        def forward(self, inputs_embeds):
            n = inputs_embeds.shape[1]
            pos = torch.arange(n)
            near = ((pos[None, :] - pos[:, None]).abs() < window)[None, None]
            hidden = self.text(inputs_embeds=inputs_embeds, use_cache=False,
                               attention_mask={"full_attention": None,
                                               "sliding_attention": near}).last_hidden_state
            return F.normalize(self.dense2(self.dense1(hidden.mean(dim=1))), dim=-1)

    return Graph().eval()


def _int8_rows(table) -> tuple[np.ndarray, np.ndarray]:
    """The token table (its module's output per id: Gemma's sqrt(dim) scaling included) as int8
    rows and one float32 scale per row."""
    import torch

    n, dim = table.num_embeddings, table.embedding_dim
    q, scale = np.empty((n, dim), np.int8), np.empty((n, 1), np.float32)
    with torch.inference_mode():
        for start in range(0, n, 16384):
            rows = table(torch.arange(start, min(start + 16384, n))).float().numpy()
            s = np.maximum(np.abs(rows).max(axis=1, keepdims=True), 1e-12) / 127
            q[start:start + len(rows)] = np.round(rows / s).astype(np.int8)
            scale[start:start + len(rows)] = s
    return q, scale


def prepare(source: Path, folder: Path, threads: int = 2, log=print) -> dict:
    """Build `folder` from the sentence-transformers folder `source` (see the module docstring).
    Returns the stamp: sizes, timings and the cosine to fp32 of each check text."""
    import onnx
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from sentence_transformers import SentenceTransformer


    t0 = time.monotonic()
    torch.set_num_threads(max(1, threads))
    log(f"preparing the ONNX form of {source.name} (once; about two minutes)")
    st = SentenceTransformer(str(source), device="cpu", local_files_only=True)
    window = unmasked_window(st)
    if not window:
        raise ModelError(f"{source}: not a Gemma3 encoder with bidirectional attention; set "
                         "ASSISTANT_EMBED_BACKEND=sentence-transformers for this model")
    text_model = list(st)[0].auto_model
    table = text_model.embed_tokens
    prompt = st.prompts.get("query", "")
    with torch.inference_mode():
        expected = st.encode([prompt + t for t in CHECK_TEXTS], convert_to_numpy=True,
                             normalize_embeddings=True)
    q, scale = _int8_rows(table)
    text_model.embed_tokens = torch.nn.Embedding(1, table.embedding_dim)  # keep it out of the graph
    graph = _graph_module(st, window)
    example = table(st.preprocess([CHECK_TEXTS[0]], prompt=prompt)["input_ids"]).detach()
    work = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        fp32 = work / GRAPHS[False]
        with torch.no_grad(), _quiet():
            program = torch.onnx.export(
                graph, (example,), dynamo=True, input_names=["inputs_embeds"],
                output_names=["sentence_embedding"], optimize=True, verify=False,
                dynamic_shapes={"inputs_embeds": {1: torch.export.Dim("tokens", min=2,
                                                                      max=st.max_seq_length)}})
            program.save(str(fp32), external_data=False)
            _fuse(fp32)
        model = onnx.load(str(fp32))
        del model.graph.value_info[:]  # stale exporter shapes trip the quantiser's shape inference
        quantize_dynamic(model, str(work / GRAPHS[True]), weight_type=QuantType.QInt8,
                         per_channel=True, reduce_range=True, op_types_to_quantize=["MatMul", "Gemm"],
                         extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT})
        np.save(work / TABLE, q)
        np.save(work / SCALE, scale)
        del st, graph, table, text_model, model
        stamp: dict = {"source": str(source), "window": window,
                       "onnxruntime": __import__("onnxruntime").__version__}
        (work / STAMP).write_text(json.dumps(stamp))
        for int8, graph_file in GRAPHS.items():
            got = OnnxEmbedder(work, source, source.name, int8, threads).embed(CHECK_TEXTS, "query")
            cosines = [round(float(c), 4) for c in np.sum(got * expected, axis=1)]
            if min(cosines) < MIN_COSINE[int8]:
                raise ModelError(f"{source}: the ONNX export drifted from the model ({graph_file}: "
                                 f"cosine {min(cosines)} < {MIN_COSINE[int8]} on a check text); "
                                 "not installed")
            stamp[f"{graph_file} cosine to fp32"] = cosines
        stamp["seconds"] = round(time.monotonic() - t0, 1)
        (work / STAMP).write_text(json.dumps(stamp, indent=1))
        try:
            os.replace(work, folder)
        except OSError:  # another process finished first: keep its folder, drop ours
            if not is_prepared(folder):
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    log(f"ONNX form ready in {stamp['seconds']} s: {folder}")
    return stamp


def _fuse(graph: Path) -> None:
    """Rewrite the graph in place with ONNX Runtime's fused operators (RMSNorm, attention): the
    same numbers, ~15% less time per query."""
    import onnx_ir
    from onnxscript.rewriter.ort_fusions import optimize_for_ort

    model, _ = optimize_for_ort(onnx_ir.load(str(graph)))
    onnx_ir.save(model, str(graph))


class _quiet:
    """The exporter prints progress lines and warnings: keep them out of the user's terminal."""

    def __enter__(self):
        import contextlib
        import io
        import warnings

        self._stack = contextlib.ExitStack()
        self._stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        self._stack.enter_context(warnings.catch_warnings())
        warnings.simplefilter("ignore")
        return self

    def __exit__(self, *exc):
        self._stack.close()
        return False
