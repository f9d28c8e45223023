"""llama.cpp built for this CPU (models/llama_build.py) and the local server running a
llama-server binary (answer/local_server.py): the cache key, the source extraction, the errors a
user gets, and a real binary serving, stopping and dying with its parent.

The binary tests use the build `make test` makes in the cache (`assistant models build-server`)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from assistant.answer import local_server
from assistant.answer.endpoint import is_healthy
from assistant.answer.local_server import LocalServer, SharedServer, server_binary
from assistant.config import Settings
from assistant.errors import ModelError
from assistant.models import llama_build

X86 = "processor\t: 0\nmodel name\t: Some CPU\nflags\t\t: fpu sse2 avx avx2 fma\n"
ARM = "processor\t: 0\nFeatures\t: fp asimd evtstrm aes crc32\nCPU part\t: 0xd0c\n"


@pytest.mark.unit
def test_the_cpu_key_follows_the_instruction_flags_not_their_order() -> None:
    same = X86.replace("fpu sse2 avx avx2 fma", "fma avx2 avx sse2 fpu")
    wider = X86.replace("fma", "fma avx512f avx512_vnni")
    assert llama_build.cpu_key(X86) == llama_build.cpu_key(same)
    assert llama_build.cpu_key(X86) != llama_build.cpu_key(wider)
    assert llama_build.cpu_key(ARM) not in (None, llama_build.cpu_key(X86))
    assert llama_build.cpu_key("processor\t: 0\nmodel name\t: no flags line\n") is None


@pytest.mark.unit
def test_a_build_for_another_cpu_is_not_used(tmp_path: Path, monkeypatch) -> None:
    settings = Settings(cache_dir=tmp_path)
    monkeypatch.setattr(llama_build, "cpu_key", lambda cpuinfo=None: "aaaaaaaaaaaa")
    folder = llama_build.build_dir(settings)
    folder.mkdir(parents=True)
    (folder / "llama-server").write_text("#!/bin/sh\n")
    (folder / "llama-server").chmod(0o755)
    assert llama_build.built(settings) == folder / "llama-server"
    assert server_binary(settings) == folder / "llama-server"  # "auto" takes it
    assert server_binary(settings.model_copy(update={"llm_server": "wheel"})) is None
    monkeypatch.setattr(llama_build, "cpu_key", lambda cpuinfo=None: "bbbbbbbbbbbb")
    assert llama_build.built(settings) is None
    assert server_binary(settings) is None  # the wheel, not another CPU's binary


@pytest.mark.unit
def test_a_server_path_that_is_not_an_executable_is_named(tmp_path: Path) -> None:
    with pytest.raises(ModelError, match="no-such-server.*ASSISTANT_LLM_SERVER"):
        server_binary(Settings(llm_server=str(tmp_path / "no-such-server")))


def _tarball(path: Path, members: dict[str, bytes]) -> Path:
    with tarfile.open(path, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.unit
def test_only_the_llama_cpp_tree_is_taken_from_the_source_package(tmp_path: Path) -> None:
    sdist = _tarball(tmp_path / "pkg-1.0.tar.gz", {
        "pkg-1.0/setup.py": b"print('not ours')",
        "pkg-1.0/thirdparty/llama.cpp/CMakeLists.txt": b"project(x)",
        "pkg-1.0/thirdparty/llama.cpp/src/a.cpp": b"int a;",
        "pkg-1.0/thirdparty/other/CMakeLists.txt": b"project(y)"})
    source = llama_build.extract_llama(sdist, tmp_path / "src")
    assert source == tmp_path / "src" / "pkg-1.0" / "thirdparty" / "llama.cpp"
    assert (source / "src" / "a.cpp").read_text() == "int a;"
    assert not (tmp_path / "src" / "pkg-1.0" / "setup.py").exists()
    assert not (tmp_path / "src" / "pkg-1.0" / "thirdparty" / "other").exists()
    empty = _tarball(tmp_path / "other-2.0.tar.gz", {"other-2.0/README": b"no source here"})
    with pytest.raises(ModelError, match="other-2.0.tar.gz: no thirdparty/llama.cpp/ inside"):
        llama_build.extract_llama(empty, tmp_path / "src2")


@pytest.mark.unit
def test_missing_build_tools_are_named_and_nothing_is_left(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(llama_build.shutil, "which", lambda tool: None)
    with pytest.raises(ModelError, match="needs cmake and c\\+\\+ on PATH.*keeps the xllamacpp"):
        llama_build.build(Settings(cache_dir=tmp_path))
    assert llama_build.built(Settings(cache_dir=tmp_path)) is None
    assert not list(tmp_path.rglob("llama-server"))


@pytest.mark.unit
def test_an_unknown_xllamacpp_version_is_not_built_unverified(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(llama_build, "version", lambda name: "0.0.1")
    with pytest.raises(ModelError, match="no sha256 known for the xllamacpp 0.0.1 source"):
        llama_build.fetch_source(tmp_path)


@pytest.mark.unit
def test_a_failed_build_step_names_the_step_its_error_and_log(tmp_path: Path) -> None:
    log = tmp_path / "build.log"
    fail = [sys.executable, "-c", "import sys; print('compiling a.cpp'); "
            "print('a.cpp:3: error: expected ;', file=sys.stderr); sys.exit(3)"]
    with pytest.raises(ModelError, match=r"compiling x failed \(exit 3\): a.cpp:3: error: "
                                         r"expected ; \(log: .*build.log\)"):
        llama_build.run(fail, "compiling x", log)
    assert "compiling a.cpp" in log.read_text()


# ---- the real binary: built by `make test` (assistant models build-server) ----------------

@pytest.fixture(scope="module")
def binary() -> Path:
    found = llama_build.built(Settings())
    if found is None:
        pytest.fail("no llama-server built for this CPU: run `assistant models build-server` "
                    "(make test does)")
    return found


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat").read_text() if Path(f"/proc/{pid}/stat").exists() else ""
    return ") Z " not in stat  # a zombie has ended


def _gone(pid: int, within: float = 15.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.2)
    return False


def test_the_binary_answers_and_stops_with_its_server(binary: Path, smollm2_gguf: Path) -> None:
    from openai import OpenAI

    server = LocalServer(smollm2_gguf, threads=1, context=1024, binary=binary).start()
    try:
        wrapper, *children = server.pids
        assert len(children) == 1  # the binary runs as the child's child ...
        assert Path(f"/proc/{children[0]}/exe").resolve() == binary.resolve()
        reply = OpenAI(base_url=server.base_url, api_key="none").chat.completions.create(
            model="local", messages=[{"role": "user", "content": "Say hello."}], max_tokens=8)
        assert reply.choices[0].message.content is not None and reply.usage.completion_tokens > 0
    finally:
        server.stop()
    assert _gone(children[0]) and not is_healthy(server.base_url, timeout=1)


def test_the_binary_dies_when_its_parent_is_killed(binary: Path, smollm2_gguf: Path) -> None:
    server = LocalServer(smollm2_gguf, threads=1, context=1024, binary=binary).start()
    wrapper, child = server.pids
    try:
        os.kill(wrapper, signal.SIGKILL)  # the app's child dies without cleaning up
        assert _gone(child), "llama-server outlived its parent"
    finally:
        server.stop()


def test_the_shared_server_counts_the_binary_as_its_own_load(
        binary: Path, smollm2_gguf: Path, monkeypatch) -> None:
    monkeypatch.setattr("assistant.config.available_cores", lambda: 2)
    shared = SharedServer(Settings(llm_model_path=smollm2_gguf, llm_context=1024,
                                   llm_server=str(binary), llm_threads=1))
    try:
        url = shared.base_url()
        assert is_healthy(url)
        server = shared._servers[1]
        assert server.binary == binary and set(server.pids) <= set(shared._own_pids())
    finally:
        shared.close()


@pytest.mark.parametrize("which", ["binary", "wheel"])
def test_the_cli_serves_in_the_foreground_with_either(which: str, binary: Path,
                                                      smollm2_gguf: Path) -> None:
    port = local_server.free_port()
    env = {**os.environ, "ASSISTANT_LLM_SERVER": str(binary) if which == "binary" else "wheel",
           "ASSISTANT_LLM_MODEL_PATH": str(smollm2_gguf), "ASSISTANT_LLM_CONTEXT": "1024"}
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "llm", "serve", "--port",
                             str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        url = f"http://127.0.0.1:{port}/v1"
        deadline = time.monotonic() + 60
        while not is_healthy(url, timeout=1) and time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode(errors="replace")[-500:]
            time.sleep(0.3)
        assert is_healthy(url)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert not is_healthy(url, timeout=1)  # SIGTERM stopped the server, whichever it was
