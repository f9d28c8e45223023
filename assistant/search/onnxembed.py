"""EmbeddingGemma through ONNX Runtime: the default embedding backend ("onnx").

In:  the ONNX folder made by models/onnx_export.prepare and the sentence-transformers folder it
     was exported from (for the tokenizer and prompts). Out: `OnnxEmbedder.embed(texts, kind)`.
The tokenizer of the sentence-transformers folder, the token table memory-mapped, one ORT
session. Texts are embedded one at a time: no padding, so a vector never depends on which texts
shared its batch (dynamic quantisation would make it so).
The folder's layout (GRAPHS, TABLE, SCALE, STAMP, beside the model: folder_for) is defined here,
where it is read. Not handled here: exporting and checking the graph (models/onnx_export.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from assistant.errors import ModelError

GRAPHS = {True: "model.int8.onnx", False: "model.fp32.onnx"}  # by Settings.embed_int8
TABLE, SCALE, STAMP = "tokens.int8.npy", "tokens.scale.npy", "onnx.json"


def folder_for(source: Path) -> Path:
    """Where the ONNX form of the sentence-transformers folder `source` lives: beside it."""
    return source.parent / f"{source.name}.onnx"


def is_prepared(folder: Path) -> bool:
    return (folder / STAMP).is_file() and all((folder / g).is_file() for g in GRAPHS.values())


class OnnxEmbedder:
    def __init__(self, folder: Path, source: Path, name: str, int8: bool = True,
                 threads: int = 2) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        if not is_prepared(folder):
            raise ModelError(f"{folder}: no ONNX form of the embedding model; run "
                             "`assistant models pull`")
        options = ort.SessionOptions()
        options.intra_op_num_threads = max(1, threads)
        options.inter_op_num_threads = 1
        options.log_severity_level = 3
        try:
            self.session = ort.InferenceSession(str(folder / GRAPHS[int8]), options,
                                                providers=["CPUExecutionProvider"])
            self.tokenizer = AutoTokenizer.from_pretrained(str(source), local_files_only=True)
            config = json.loads((source / "config_sentence_transformers.json").read_text())
            self.max_tokens = json.loads((source / "sentence_bert_config.json").read_text()
                                         )["max_seq_length"]
        except Exception as e:  # ORT, tokenizers and json raise many types
            raise ModelError(f"{folder}: cannot load the ONNX embedding model "
                             f"({e.__class__.__name__}: {str(e).splitlines()[0][:160]}); delete "
                             "the folder and run `assistant models pull`") from e
        self.table = np.load(folder / TABLE, mmap_mode="r")
        self.scale = np.load(folder / SCALE, mmap_mode="r")
        self.prompts = config.get("prompts", {})
        self.name = f"{name}@onnx-{'int8' if int8 else 'fp32'}"  # index manifests tell them apart
        self.dim = int(self.session.get_outputs()[0].shape[-1])

    def embed(self, texts: list[str], kind: str) -> np.ndarray:
        prompt = self.prompts.get(kind, "")
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            ids = self.tokenizer(prompt + text, truncation=True, max_length=self.max_tokens,
                                 return_attention_mask=False)["input_ids"]
            rows = self.table[ids].astype(np.float32) * self.scale[ids]
            out[i] = self.session.run(None, {"inputs_embeds": rows[None]})[0][0]
        return out
