"""An ingest killed at any moment (SIGKILL, no clean-up code runs) leaves a loadable index, and a
re-run finishes the job with nothing lost or duplicated.

A real subprocess `python -m assistant.cli ingest in` (real all-MiniLM-L6-v2, FAISS, BM25) works on
a folder of 14 files (the two sample pages, variants of them and generated newspaper PDFs; the
index is checkpointed every 5 new files, ASSISTANT_CHECKPOINT_UNITS=5, and saved in full at the end). It is killed again and again, each time at another kind of
moment: a fixed delay (start-up), a random delay (start-up, reading or embedding), the instant a
new entry appears in the index folder (mid-save) and the instant CURRENT switches (just after a
save, while old generations are removed). The test watches the index folder from outside; the
product has no test hook. After each kill the index is absent (no save finished yet) or loads,
and holds only whole files whose chunk ids match the reference; the final run's chunk ids equal
those of a clean, uninterrupted ingest of the same folder into another index. A run that ends
before its trigger (a timed kill that came too late) must hold every file; the index is then
removed so the next kill still has work to interrupt. Run with -s to see where each kill landed.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from conftest import ROOT
from pdfgen import SourceArticle, make_newspaper_pdf

from assistant.config import SAMPLE_DIR, Settings
from assistant.ingest.pipeline import ingest, read_articles
from assistant.search.store import Index

P000, P002 = "000_24189f6fbd2ff608.txt", "002_ca3652deaf3b49ce.txt"
# (trigger, argument): "delay" s after start; "random": at 40-100% of the time the last
# "save" run took to reach its save (start-up or reading / embedding);
# "save": a new entry appeared in the index folder (a save began); "switch": CURRENT changed.
KILLS = [("delay", 1.0), ("save", 0), ("random", 0), ("switch", 0), ("save", 0),
         ("random", 0), ("switch", 0)]


def _make_folder(folder: Path) -> None:
    folder.mkdir()
    texts = {f: (SAMPLE_DIR / f).read_text(encoding="utf-8") for f in (P000, P002)}
    for f, text in texts.items():
        (folder / f).write_text(text, encoding="utf-8")
        for n in range(4):  # same pages, other bytes: other files to the index
            (folder / f"{Path(f).stem}_v{n}.txt").write_text(text + f"\n第{n}次重印。\n",
                                                             encoding="utf-8")
    arts = [SourceArticle(a.title, a.text, a.sources) for a in read_articles(SAMPLE_DIR / P002)]
    for n in range(4):
        make_newspaper_pdf(folder / f"issue{n}.pdf", arts[n:n + 3],
                           date=f"2024年8月{20 + n}日 星期二", issue=f"第{1234 + n}期")


def _state(index_dir: Path) -> tuple[str | None, set[str]]:
    """(the generation CURRENT names, or None; the names in the index folder)."""
    try:
        current = (index_dir / "CURRENT").read_text().strip() or None
    except OSError:
        current = None
    names = set(os.listdir(index_dir)) - {".lock"} if index_dir.exists() else set()
    return current, names  # .lock: the writer lock, taken at start-up, is no save


def _run(tmp: Path, env: dict[str, str], trigger: str | None,
         arg: float) -> tuple[int, str, float]:
    """Run `assistant ingest in`; kill it when the trigger fires. (exit code, stderr, seconds)."""
    index_dir = tmp / "index"
    start_current, start_names = _state(index_dir)
    proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "ingest", "in"], cwd=tmp,
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    err: list[bytes] = []
    fd = proc.stderr.fileno()  # os.read: whatever has arrived, not a full buffer
    reader = threading.Thread(target=lambda: err.extend(iter(lambda: os.read(fd, 4096), b"")))
    reader.start()
    t0, kill_at = time.monotonic(), None
    if trigger in ("delay", "random"):
        kill_at = t0 + arg
    try:
        while proc.poll() is None:
            now = time.monotonic()
            current, names = _state(index_dir)
            if (kill_at is not None and now >= kill_at) \
                    or (trigger == "save" and names - start_names) \
                    or (trigger == "switch" and current != start_current):
                os.kill(proc.pid, signal.SIGKILL)
                break
            time.sleep(0.002)
        code = proc.wait(timeout=600)
    finally:  # the test failed or was interrupted: leave no process behind
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join()
    return code, b"".join(err).decode(errors="replace"), time.monotonic() - t0


def _stage(before: tuple, after: tuple) -> str:
    if after[0] != before[0]:
        return "just after a save (CURRENT switched)"
    if after[1] - before[1]:
        return f"mid-save (left behind: {', '.join(sorted(after[1] - before[1]))})"
    return "before any save (start-up, reading or embedding)"


def _check_loadable(index_dir: Path, reference: dict[str, set[str]]) -> int:
    """The index is absent or loads and holds whole files only; returns how many files."""
    if _state(index_dir)[0] is None:
        return 0
    index = Index.load(index_dir, None)
    ids = [c.id for c in index.chunks]
    assert len(ids) == len(set(ids)), "duplicated chunks"
    by_file: dict[str, set[str]] = {}
    for c in index.chunks:
        by_file.setdefault(c.file, set()).add(c.id)
    for file, got in by_file.items():
        assert got == reference[file], f"{file}: partly indexed"
    assert len(index.vectors) == len(ids) == index.faiss_index.ntotal
    return len(by_file)


def test_killed_ingests_leave_a_loadable_index_and_a_rerun_completes(
        tmp_path, minilm_path, monkeypatch):
    _make_folder(tmp_path / "in")
    monkeypatch.chdir(tmp_path)  # file keys relative to tmp_path, as in the subprocess
    ref = Settings(index_dir=tmp_path / "reference", embed_model=str(minilm_path), torch_threads=1)
    report = ingest(["in"], ref, None)
    assert (report.files, report.skipped) == (14, [])
    reference: dict[str, set[str]] = {}
    for c in Index.load(ref.index_dir, None).chunks:
        reference.setdefault(c.file, set()).add(c.id)

    env = {**os.environ, "ASSISTANT_EMBED_MODEL": str(minilm_path), "HF_HUB_OFFLINE": "1",
           "ASSISTANT_INDEX_DIR": str(tmp_path / "index"), "ASSISTANT_TORCH_THREADS": "1",
           "ASSISTANT_CHECKPOINT_UNITS": "5",
           "PYTHONPATH": str(ROOT),
           "PYTHONUNBUFFERED": "1"}  # stderr as it is written: the model-loaded marker on time
    seed = random.randrange(10**6)
    rng, log = random.Random(seed), []
    print(f"\nseed {seed}")
    to_save = 20.0  # seconds a run takes to reach a save; measured by the "save" runs
    for trigger, arg in KILLS:
        before = _state(tmp_path / "index")
        arg = rng.uniform(0.4, 1.0) * to_save if trigger == "random" else arg
        code, err, secs = _run(tmp_path, env, trigger, arg)
        to_save = secs if trigger == "save" and code == -signal.SIGKILL else to_save
        after = _state(tmp_path / "index")
        files = _check_loadable(tmp_path / "index", reference)
        stage = _stage(before, after) if code == -signal.SIGKILL else "finished first"
        log.append(f"{trigger:>6} {secs:5.1f}s exit {code}: {stage}; {files} files in the index")
        print(log[-1])
        assert "Traceback" not in err
        if code == 0:  # the run ended before its trigger: start over so the next kill has work
            assert files == len(reference)
            shutil.rmtree(tmp_path / "index")

    code, err, _ = _run(tmp_path, env, None, 0)
    assert code == 0 and "Traceback" not in err, err
    final = Index.load(tmp_path / "index", None)
    ids = [c.id for c in final.chunks]
    assert len(ids) == len(set(ids))
    assert set(ids) == set().union(*reference.values())
    assert {(c.id, c.file) for c in final.chunks} == {
        (i, f) for f, got in reference.items() for i in got}
    killed = [line for line in log if "exit -9" in line]  # a timed kill may come too late
    assert len(killed) >= len(KILLS) - 2, log
    assert any("mid-save" in line for line in killed), log
    assert any("CURRENT switched" in line for line in killed), log
