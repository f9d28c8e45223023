"""The index a question set is run on: opened, or built from its corpus, and checked for the gold.

In:  Settings (index folder, cache folder, chunking), the Embedder, the questions, and optionally
     an archive (an article-level JSONL/CSV export, or a folder of issues: PDF, text, exports)
     that the questions are about: given with `--archive`, or named by the question set's
     sidecar `<questions>.corpus.json` (`{"archive": "path relative to the sidecar"}`).
Out: the Index. Rules:
- With an archive and no explicit index folder, the index lives OUTSIDE the checkout, under
  settings.cache_dir / "indexes" / f"archive-{key}", key = sha256 of the archive's bytes (a
  folder's: each file's relative name and bytes), the sample files (names and bytes), the
  embedding model name and the chunking settings: a changed archive, sample page or model gets
  a new index; CI reuses an unchanged one.
- A missing (or empty) index is built: from the archive plus data/sample when there is an
  archive, else from data/sample alone, and only when every gold file is a sample file. A
  cache build goes to `<name>.building` (resumable: ingest skips what it holds), guarded by a
  lock file so two runs never write it at once, and is renamed into place when complete.
- Coverage: a question citing a file or an article id the index lacks is an error naming it.
- A sample of the archive (`--archive-sample N`, for a gate that must fit a time budget on a
  cold machine): every record the questions cite plus N others picked by a hash of their ids,
  written once under settings.cache_dir / "archive-samples" and then indexed like an archive.
  The same archive, questions and N give the same file, hence the same cached index.
Not handled here: the JSONL/CSV import itself (ingest/), running or scoring questions (run.py);
sampling a CSV archive, or records without an `id` (the cited ones cannot be told apart).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

from assistant.config import SAMPLE_DIR, Settings
from assistant.errors import AssistantError
from assistant.evaluation.questions import Question


def sidecar_archive(questions_path: Path) -> Path | None:
    """The archive named by `<questions>.corpus.json` beside the question file, if there is one."""
    sidecar = questions_path.with_name(questions_path.stem + ".corpus.json")
    if not sidecar.exists():
        return None
    try:
        return (sidecar.parent / json.loads(sidecar.read_text(encoding="utf-8"))["archive"]).resolve()
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise AssistantError(f"{sidecar}: expected {{\"archive\": \"path\"}} ({e})") from e


def sample_archive(archive: Path, questions: list[Question], others: int, folder: Path) -> Path:
    """A JSONL file under `folder` holding the archive's records that the questions cite and
    `others` more, those whose ids hash lowest (stable, unrelated to content or position), each
    line unchanged and in archive order. Only JSONL archives whose records carry an `id`."""
    if archive.suffix.lower() != ".jsonl":
        raise AssistantError(f"{archive}: only a JSONL archive can be sampled (--archive-sample)")
    try:
        numbered = [(n, ln) for n, ln in enumerate(archive.read_text(encoding="utf-8").splitlines(), 1)
                    if ln.strip()]  # line numbers as an editor shows them, blank lines counted
    except (OSError, UnicodeDecodeError) as e:
        raise AssistantError(f"{archive}: cannot read the archive ({e})") from e
    ids, lines = [], [ln for _, ln in numbered]
    for n, line in numbered:
        try:
            ids.append(str(json.loads(line)["id"]))
        except (ValueError, KeyError, TypeError) as e:
            raise AssistantError(f"{archive}:{n}: a record without an `id` cannot be sampled ({e})") from e
    cited = {i for q in questions for i in q.gold_ids}
    rank = sorted((hashlib.sha256(i.encode()).hexdigest(), i) for i in set(ids) - cited)
    keep = cited | {i for _, i in rank[:others]}
    body = "".join(line + "\n" for i, line in zip(ids, lines) if i in keep).encode()
    out = folder / f"{archive.stem}-sample-{hashlib.sha256(body).hexdigest()[:16]}.jsonl"
    if not out.exists():
        folder.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
        tmp.write_bytes(body)
        os.replace(tmp, out)
    return out


def cache_key(archive: Path, settings: Settings, embed_name: str) -> str:
    """16 hex digits naming the index of (archive, sample pages, embedding model, chunking)."""
    h = hashlib.sha256()
    try:
        if archive.is_dir():
            for f in sorted(p for p in archive.rglob("*") if p.is_file()):
                h.update(f.relative_to(archive).as_posix().encode() + b"\0" + f.read_bytes())
        else:
            h.update(archive.read_bytes())
    except OSError as e:
        raise AssistantError(f"{archive}: cannot read the archive ({e.strerror})") from e
    for f in sorted(p for p in SAMPLE_DIR.iterdir() if p.is_file()):
        h.update(f.name.encode() + b"\0" + f.read_bytes())
    h.update(f"\0{embed_name}\0{settings.chunk_size}\0{settings.chunk_overlap}".encode())
    return h.hexdigest()[:16]


def cached_index_dir(archive: Path, settings: Settings, embed_name: str) -> Path:
    return settings.cache_dir / "indexes" / f"archive-{cache_key(archive, settings, embed_name)}"


def _build(sources: list[str], settings: Settings, embedder) -> None:
    from assistant.ingest.pipeline import ingest
    report = ingest(sources, settings, embedder)
    if report.skipped:
        raise AssistantError(f"building the index in {settings.index_dir} failed: {report.skipped[0]}")


def _build_cached(final: Path, sources: list[str], settings: Settings, embedder) -> None:
    """Build into final.building under a lock, then rename it to final (unless another run did)."""
    final.parent.mkdir(parents=True, exist_ok=True)
    with open(final.with_name(final.name + ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (final / "CURRENT").exists():
            return  # another run built it while this one waited
        building = final.with_name(final.name + ".building")
        _build(sources, settings.model_copy(update={"index_dir": building}), embedder)
        if final.exists():
            shutil.rmtree(final)  # an empty or broken leftover, never a complete index
        os.replace(building, final)


def open_index(settings: Settings, embedder, questions: list[Question], archive: Path | None = None,
               index_given: bool = True):
    """The Index the questions run on (see the module docstring); settings.index_dir is updated
    to the folder used."""
    from assistant.search.store import Index
    if archive is not None and not index_given:
        settings.index_dir = cached_index_dir(archive, settings, embedder.name)
    index = Index.open(settings.index_dir, embedder, settings.ann_threshold)
    if index.chunks:
        return index
    if archive is not None:
        if not archive.exists():
            raise AssistantError(f"{archive}: archive file or folder not found")
        sources = [str(archive), str(SAMPLE_DIR)]
        print(f"{settings.index_dir}: no index yet: building it from {archive.name} and {SAMPLE_DIR}",
              file=sys.stderr)
    else:
        outside = sorted({f for q in questions for f in q.gold_files} - {p.name for p in SAMPLE_DIR.iterdir()})
        if outside or any(q.gold_ids for q in questions):
            named = ", ".join(outside[:3]) or "archive article ids"
            raise AssistantError(f"{settings.index_dir}: no index, and the questions cite articles outside "
                                 f"the sample corpus ({named}): give --archive FILE, or run `assistant "
                                 f"ingest --index {settings.index_dir} YOUR_FILES` first")
        sources = [str(SAMPLE_DIR)]
        print(f"{settings.index_dir}: no index yet: building it from {SAMPLE_DIR}", file=sys.stderr)
    if archive is not None and not index_given:
        _build_cached(settings.index_dir, sources, settings, embedder)
    else:
        _build(sources, settings, embedder)
    return Index.load(settings.index_dir, embedder, settings.ann_threshold)


def check_coverage(index, questions: list[Question]) -> None:
    """An error naming the gold files / article ids that the index does not hold."""
    files = {Path(c.file).name for c in index.chunks}
    ids = {c.article_id for c in index.chunks if c.article_id}
    missing = sorted({f for q in questions for f in q.gold_files} - files)
    missing_ids = sorted({i for q in questions for i in q.gold_ids} - ids)
    if missing:
        raise AssistantError(f"the questions cite {len(missing)} file(s) that are not in the index: "
                             f"{', '.join(missing[:5])}; ingest them or fix the gold entries")
    if missing_ids:
        raise AssistantError(f"the questions cite {len(missing_ids)} article id(s) that are not in the "
                             f"index: {', '.join(missing_ids[:5])}; ingest the archive or fix the gold")
