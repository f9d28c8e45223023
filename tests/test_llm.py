"""The endpoint layer: GGUF lookup, URL normalisation, health checks, the local llama.cpp server."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from assistant.answer.endpoint import Endpoint, is_healthy, remote_endpoint, v1_url
from assistant.answer.local_server import LocalServer, gguf_path
from assistant.config import Settings
from assistant.errors import ModelError


def test_missing_gguf_says_to_pull(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="assistant models pull"):
        gguf_path(Settings(cache_dir=tmp_path))


def test_configured_gguf_is_used(smollm2_gguf: Path) -> None:
    assert gguf_path(Settings(llm_model_path=smollm2_gguf)) == smollm2_gguf


@pytest.mark.unit
@pytest.mark.parametrize("url", ["http://h:1", "http://h:1/", "http://h:1/v1", "http://h:1/v1/"])
def test_base_url_normalised_to_v1(url: str) -> None:
    assert v1_url(url) == "http://h:1/v1"


@pytest.mark.unit
def test_remote_endpoint_key_from_settings_is_not_in_repr() -> None:
    endpoint = remote_endpoint(Settings(llm_base_url="http://h:1", llm_api_key="sk-secret",
                                        llm_model="m"))
    assert endpoint == Endpoint("http://h:1/v1", "m", "sk-secret")
    assert "sk-secret" not in repr(endpoint)


def test_closed_port_is_not_healthy(closed_port_url: str) -> None:
    assert not is_healthy(closed_port_url, timeout=1)


def test_shared_server_is_healthy_and_lists_its_model(llama_server: str) -> None:
    assert is_healthy(llama_server)
    models = httpx.get(llama_server + "/models").json()["data"]
    assert models and "SmolLM2" in models[0]["id"]


def test_local_server_stops_for_sure(smollm2_gguf: Path) -> None:
    with LocalServer(smollm2_gguf, threads=1, context=512) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        assert is_healthy(server.base_url)
    assert not is_healthy(server.base_url, timeout=1)


def test_local_server_with_a_non_gguf_file_is_a_model_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-model.gguf"
    bad.write_bytes(b"this is not a GGUF file")
    with pytest.raises(ModelError, match="not-a-model.gguf"):
        LocalServer(bad, threads=1).start(timeout=30)


def test_configured_gguf_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="nope.gguf: GGUF file not found"):
        gguf_path(Settings(llm_model_path=tmp_path / "nope.gguf"))


def test_local_server_dies_with_its_parent(smollm2_gguf: Path) -> None:
    """A parent killed with SIGKILL (no cleanup at all) still takes its llama.cpp child with it."""
    script = ("import sys, time; from pathlib import Path; from assistant.answer.local_server import LocalServer; "
              f"s = LocalServer(Path({str(smollm2_gguf)!r}), 1, 512).start(); "
              "print(s._proc.pid, flush=True); time.sleep(60)")
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    child = int(parent.stdout.readline())
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not Path(f"/proc/{child}").exists()


def test_health_check_sends_the_api_key() -> None:
    """STAND-IN for a cloud API: no /health, and /v1/models only with the right bearer key."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            ok = self.path == "/v1/models" and self.headers.get("Authorization") == "Bearer k1"
            self.send_response(200 if ok else 401 if self.path == "/v1/models" else 404)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        assert is_healthy(url, api_key="k1")
        assert not is_healthy(url, api_key="wrong") and not is_healthy(url)
    finally:
        server.shutdown()


@pytest.mark.unit
@pytest.mark.parametrize("cores, generating, reading", [(1, 1, 1), (2, 1, 2), (8, 7, 8)])
def test_by_default_generation_leaves_one_core_to_the_machine_and_the_prompt_takes_all(
        monkeypatch, cores: int, generating: int, reading: int) -> None:
    monkeypatch.setattr("assistant.config.available_cores", lambda: cores)
    s = Settings()
    assert (s.generation_threads, s.prompt_threads) == (generating, reading)


@pytest.mark.unit
def test_thread_counts_the_user_sets_are_kept(monkeypatch) -> None:
    monkeypatch.setattr("assistant.config.available_cores", lambda: 2)
    s = Settings(llm_threads=2, llm_batch_threads=1)
    assert (s.generation_threads, s.prompt_threads) == (2, 1)


@pytest.mark.unit
def test_the_local_server_is_started_with_the_chosen_thread_counts(monkeypatch, tmp_path: Path) -> None:
    from assistant.answer.local_server import local_server
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setattr("assistant.config.available_cores", lambda: 4)
    server = local_server(Settings(llm_model_path=gguf))
    assert (server.threads, server.batch_threads) == (3, 4)
