"""The LLM endpoint: where answers come from.

In:  Settings (llm_base_url, llm_model, llm_api_key).
Out: an `Endpoint` (base URL ending in /v1, model name, key) for any OpenAI-compatible server, and
     whether a server answers its health check.
Not handled here: the local llama.cpp server used when llm_base_url is unset (local_server.py),
prompts, streaming and retries (chain.py), fetching the GGUF (models/cache.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx

from assistant.config import Settings
from assistant.redact import shown_url


@dataclass(frozen=True)
class Endpoint:
    base_url: str  # OpenAI-style, ending in /v1
    model: str
    api_key: str = "not-needed"  # llama.cpp ignores it; never logged
    threads: int | None = None  # the local server's generating threads (None: another endpoint)

    @property
    def shown(self) -> str:
        """The base URL as messages show it: without credentials or query values."""
        return shown_url(self.base_url)

    def __repr__(self) -> str:  # keep the key out of logs and tracebacks
        return f"Endpoint({self.shown!r}, {self.model!r})"


def v1_url(base_url: str) -> str:
    """Normalise a user's base URL to end in /v1 (as OpenAI clients expect)."""
    parts = urlsplit(base_url)
    path = parts.path.rstrip("/")
    return urlunsplit(parts._replace(path=path if path.endswith("/v1") else path + "/v1"))


def remote_endpoint(settings: Settings) -> Endpoint:
    assert settings.llm_base_url
    key = settings.llm_api_key.get_secret_value() if settings.llm_api_key else "not-needed"
    return Endpoint(v1_url(settings.llm_base_url), settings.llm_model, key)


def is_healthy(base_url: str, timeout: float = 3.0, api_key: str | None = None) -> bool:
    """True when GET /health (llama.cpp) or /v1/models (any OpenAI-compatible server) answers 200."""
    parts = urlsplit(v1_url(base_url))
    root = parts.path.removesuffix("/v1")
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    for url in (urlunsplit(parts._replace(path=root + p)) for p in ("/health", "/v1/models")):
        try:
            if httpx.get(url, timeout=timeout, headers=headers).status_code == 200:
                return True
        except httpx.HTTPError:
            continue
    return False
