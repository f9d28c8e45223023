"""The local llama.cpp server, used when no endpoint is configured: a GGUF in, a loopback
OpenAI-compatible URL out.

In:  Settings (llm_model, llm_model_path, generation_threads, idle_generation_threads,
     prompt_threads, llm_context).
Out: a `LocalServer` that runs llama.cpp on 127.0.0.1, and `SharedServer`, which
     starts it on first use, restarts it when it died and stops it on close, once for all threads,
     and gives each question to a server whose thread count suits the machine's load now.
The local server runs in a child process (`python -m assistant.answer.local_server GGUF PORT
THREADS CTX BATCH_THREADS [BINARY]`): it keeps llama.cpp's log and threads out of the app's
process, and it can be stopped for sure (an in-process xllamacpp.Server has no stop method and
logs to the app's stderr). The child exits when its stdin closes, so it never outlives the app.
Which llama.cpp it runs (`server_binary`): the xllamacpp wheel in the child itself, or a
llama-server binary (the build for this CPU, models/llama_build.py, or the user's) as the
child's own child, which the kernel kills when the child dies.
Not handled here: remote endpoints (endpoint.py), fetching the GGUF (models/cache.py), building
llama-server (models/llama_build.py).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from assistant.answer.endpoint import Endpoint, is_healthy
from assistant.config import Settings
from assistant.errors import EndpointError, ModelError
from assistant.models.cache import model_path

START_TIMEOUT = 120.0  # seconds for the local server to load its model
SLOTS = 2  # requests llama.cpp holds at once, each in its own half of the context (run_server)


def gguf_path(settings: Settings) -> Path:
    """The GGUF for the local server: Settings.llm_model_path, else the verified cached model."""
    if settings.llm_model_path is None:
        return model_path(settings.llm_model, settings)  # ModelError: run `assistant models pull`
    if not settings.llm_model_path.is_file():
        raise ModelError(f"{settings.llm_model_path}: GGUF file not found (ASSISTANT_LLM_MODEL_PATH)")
    return settings.llm_model_path


def server_binary(settings: Settings) -> Path | None:
    """The llama-server binary the local server runs (Settings.llm_server): the path given, the
    build for this CPU ("auto", when one was built), or None: the xllamacpp wheel."""
    choice = settings.llm_server
    if choice == "wheel":
        return None
    if choice == "auto":
        from assistant.models.llama_build import built
        return built(settings)
    path = Path(choice).expanduser()
    if not path.is_file() or not os.access(path, os.X_OK):
        raise ModelError(f"{path}: no executable llama-server there (ASSISTANT_LLM_SERVER)")
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """llama.cpp serving one GGUF on 127.0.0.1 in a child process. Use as a context manager."""

    def __init__(self, model: Path, threads: int = 2, context: int = 4096, port: int | None = None,
                 batch_threads: int | None = None, binary: Path | None = None):
        self.model, self.threads, self.context, self.binary = model, threads, context, binary
        self.batch_threads = batch_threads or threads
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._proc: subprocess.Popen | None = None
        self._log = tempfile.TemporaryFile()

    def start(self, timeout: float = START_TIMEOUT) -> LocalServer:
        cmd = [sys.executable, "-m", "assistant.answer.local_server", str(self.model), str(self.port),
               str(self.threads), str(self.context), str(self.batch_threads)]
        if self.binary:
            cmd.append(str(self.binary))
        self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=self._log,
                                      stderr=subprocess.STDOUT)
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise ModelError(f"{self.model}: llama.cpp server did not start: {self._log_tail()}")
            if is_healthy(self.base_url, timeout=1.0):
                return self
            time.sleep(0.2)
        self.stop()
        raise EndpointError(f"local llama.cpp server not ready after {timeout:.0f} s")

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running else None

    @property
    def pids(self) -> list[int]:
        """The child and its children (a llama-server binary): every process serving."""
        if not self.running:
            return []
        try:
            children = Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()
        except OSError:
            children = []
        return [self.pid, *map(int, children)]

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        if self._proc and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None

    def _log_tail(self) -> str:
        self._log.seek(0)
        lines = [ln for ln in self._log.read().decode(errors="replace").splitlines() if ln.strip()]
        errors = [ln for ln in lines if " E " in ln or "rror" in ln]
        return (errors or lines or ["no output"])[-1].strip()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def local_server(settings: Settings, threads: int | None = None) -> LocalServer:
    """A (not yet started) local server for the configured GGUF generating with `threads`
    (default: Settings.generation_threads); ModelError if the GGUF is missing."""
    return LocalServer(gguf_path(settings), threads or settings.generation_threads,
                       settings.llm_context, batch_threads=settings.prompt_threads,
                       binary=server_binary(settings))


def run_server(model: Path, port: int, threads: int, context: int,
               batch_threads: int | None = None) -> object:
    """Start llama.cpp's HTTP server in this process; it serves until the returned object is freed."""
    import xllamacpp

    params = xllamacpp.CommonParams()
    params.model.path = str(model)
    params.hostnames = ["127.0.0.1"]
    params.port = port
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = batch_threads or threads  # reading the prompt
    params.n_ctx = context
    # two slots of context/2 each; the queue lets one answer run at a time, and llama.cpp puts a
    # request in the slot that already holds the longest part of its prompt, so the answer
    # prompt's fixed instructions stay read (cache_prompt) while a short check request uses the
    # other slot
    params.n_parallel = SLOTS
    try:
        return xllamacpp.Server(params)
    except RuntimeError as e:
        raise ModelError(f"{model}: llama.cpp could not load the model ({e})") from e


def binary_command(binary: Path, model: Path, port: int, threads: int, context: int,
                   batch_threads: int | None = None) -> list[str]:
    """The llama-server command line with the settings run_server gives the wheel."""
    return [str(binary), "-m", str(model), "--host", "127.0.0.1", "--port", str(port),
            "-t", str(threads), "-tb", str(batch_threads or threads), "-c", str(context),
            "-np", str(SLOTS), "--no-webui"]


def _die_with_parent() -> None:
    """In a child before exec: the kernel sends it SIGKILL when its parent dies (Linux)."""
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_binary(binary: Path, model: Path, port: int, threads: int, context: int,
               batch_threads: int | None = None, watch_stdin: bool = True) -> int:
    """Run a llama-server binary as this process's child until it ends, SIGTERM comes or (with
    `watch_stdin`) stdin closes; the binary dies with this process in any case. Returns its exit
    code."""
    proc = subprocess.Popen(binary_command(binary, model, port, threads, context, batch_threads),
                            stdin=subprocess.DEVNULL, preexec_fn=_die_with_parent)

    def stop(*_: object) -> None:
        proc.terminate()
        kill = threading.Timer(5.0, proc.kill)  # a generation it will not leave
        kill.daemon = True
        kill.start()

    signal.signal(signal.SIGTERM, stop)
    if watch_stdin:
        threading.Thread(target=lambda: (sys.stdin.read(), stop()), daemon=True).start()
    return proc.wait()


def serve_foreground(settings: Settings, port: int) -> int:
    """The local server for Settings on `port`, in this process's foreground until Ctrl-C or
    SIGTERM (`assistant llm serve`); its exit code."""
    args = (gguf_path(settings), port, settings.generation_threads, settings.llm_context,
            settings.prompt_threads)
    if (binary := server_binary(settings)) is not None:
        return run_binary(binary, *args, watch_stdin=False)
    server = run_server(*args)
    try:
        while True:
            time.sleep(3600)
    finally:
        del server


BUSY_CORES = 0.5  # other processes using this many cores or more make the machine "busy"


class SharedServer:
    """The local server for Settings, shared by threads: started on first use (ONE, even when
    questions arrive together), started again when it crashed, stopped by close().
    When Settings.idle_generation_threads differs from generation_threads (llm_threads unset on
    a machine of 2+ cores), each question goes to a server generating with every core while
    the rest of the machine is idle, and to one generating with all cores but one while other
    processes use BUSY_CORES or more (cpu_load.py; without /proc: always the latter). Each is
    started when first chosen; both map the same GGUF, which they share, but each has its own
    context and working memory (measured with the default 1.5B GGUF and llm_context 8192: 0.9 GB
    each beside the 1.1 GB GGUF, README "Measured"). The model queue (queueing.py, Settings.llm_parallel 1) lets one question at
    a time generate, so the two never compete."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._servers: dict[int, LocalServer] = {}
        self._lock = threading.Lock()  # concurrent first questions start ONE local server
        self._load = None  # cpu_load.OtherLoad, from the first question that needs it

    def threads_now(self) -> int:
        """The generating threads for a question asked now (see the class docstring)."""
        s = self.settings
        if s.idle_generation_threads == s.generation_threads:
            return s.generation_threads
        with self._lock:
            if self._load is None:
                from assistant.answer.cpu_load import OtherLoad
                self._load = OtherLoad(self._own_pids)
            load = self._load
        other = load.cores()
        idle = other is not None and other < BUSY_CORES
        return s.idle_generation_threads if idle else s.generation_threads

    def endpoint(self) -> Endpoint:
        """The endpoint for a question asked now: the server whose threads suit the load."""
        threads = self.threads_now()
        return Endpoint(self.base_url(threads), self.settings.llm_model, threads=threads)

    def base_url(self, threads: int | None = None) -> str:
        """The URL of the server generating with `threads` (default: threads_now())."""
        threads = threads or self.threads_now()
        with self._lock:
            server = self._servers.get(threads)
            if server is None or not server.running:  # not started yet, or crashed
                if server:
                    server.stop()
                server = self._servers[threads] = local_server(self.settings, threads).start()
            return server.base_url

    def start_all(self) -> None:
        """Start every server a question may be given to (for a benchmark: no user waits for a
        start)."""
        for threads in {self.settings.generation_threads, self.settings.idle_generation_threads}:
            self.base_url(threads)

    def close(self) -> None:
        with self._lock:
            if self._load:
                self._load.close()
                self._load = None
            for server in self._servers.values():
                server.stop()
            self._servers.clear()

    def _own_pids(self) -> list[int]:
        return [os.getpid(), *(pid for s in list(self._servers.values()) for pid in s.pids)]


if __name__ == "__main__":  # the child process of LocalServer: serve until stdin closes
    _args = (Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]),
             int(sys.argv[5]))
    if len(sys.argv) > 6:
        os._exit(run_binary(Path(sys.argv[6]), *_args))
    _server = run_server(*_args)
    sys.stdin.read()
    os._exit(0)  # skip the server's destructor: it waits for a running generation to finish
