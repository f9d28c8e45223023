"""The multi-year question set (eval/multiyear): its generated issues are the same bytes every
time (so their index is cached), and every gold article and support passage it names is what the
ingest reads back from those PDFs. Also the archive cache key of a folder of issues."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.evaluation.corpus import cache_key
from assistant.ingest.pipeline import read_articles
from conftest import ROOT

SET = ROOT / "eval" / "multiyear"


def _generate(folder: Path) -> list[Path]:
    spec = importlib.util.spec_from_file_location("multiyear_generate", SET / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.generate(folder)


@pytest.fixture(scope="module")
def issues(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("multiyear") / "issues"
    _generate(folder)
    return folder


def test_generated_issues_are_the_same_bytes_every_time(issues, tmp_path):
    again = _generate(tmp_path / "again")
    assert len(again) == 15
    assert all((issues / p.name).read_bytes() == p.read_bytes() for p in again)


def test_every_gold_article_and_passage_is_in_the_generated_issues(issues):
    read = {(p.name, a.title): a for p in issues.glob("*.pdf") for a in read_articles(p)}
    questions = [json.loads(line) for line in (SET / "questions.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {q["split"] for q in questions} == {"dev", "test"}
    for q in questions:
        for g in q["gold"]:
            article = read[g["file"], g["title"]]
            assert (article.issue, article.page) == (g["issue"], g["page"]), q["id"]
            assert all(s in article.text for s in q["support"]), q["id"]
        assert bool(q["gold"]) == (q["type"] != "unanswerable"), q["id"]
    sidecar = json.loads((SET / "questions.corpus.json").read_text(encoding="utf-8"))
    assert (SET / sidecar["archive"]).resolve() == ROOT / "artifacts" / "multiyear-issues"


@pytest.mark.unit
def test_a_folder_archive_is_keyed_by_its_files_names_and_bytes(tmp_path):
    folder = tmp_path / "issues"
    (folder / "2024").mkdir(parents=True)
    (folder / "2024" / "a.txt").write_text("第一期", encoding="utf-8")
    (folder / "b.txt").write_text("第二期", encoding="utf-8")
    settings = Settings(cache_dir=tmp_path / "cache")
    key = cache_key(folder, settings, "model")
    assert cache_key(folder, settings, "model") == key
    (folder / "b.txt").write_text("第二期（更正）", encoding="utf-8")
    changed = cache_key(folder, settings, "model")
    (folder / "b.txt").rename(folder / "c.txt")
    renamed = cache_key(folder, settings, "model")
    assert len({key, changed, renamed, cache_key(folder, settings, "other-model")}) == 4
