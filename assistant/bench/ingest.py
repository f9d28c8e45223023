"""`assistant bench --ingest`: ingest speed at archive scale, 1x against 2x, new saving against old.

In: Settings (the embedding model: the default EmbeddingGemma unless set), a JSONL article export
(default: the development archive, ../shared/archive-dev/articles.jsonl) and optionally a limit
(its first N records). Out: a dict of figures
(cli/show.py prints it): per run articles, chunks, wall time, articles/s, chunks/s, peak RSS,
saves and bytes written; the 2x/1x time ratios (linear ~ 2.0); the load average.
- "new 1x" / "new 2x": `assistant ingest` of the export (pipeline.ingest, real embedder,
  checkpoints as configured, one final save) into a fresh temporary index. 2x = the same records
  plus a copy of each with a new id and a changed last line (new units, nothing skipped).
- "old replay" / "new replay": the same chunks and vectors (read back from the new run's index:
  no embedding, so only the cost of keeping the index is measured) added file by file, with the
  old design's full rewrite every 5 units (save(rewrite=True): all rows, BM25 and FAISS, as the
  format-1 store did) and with this design's checkpoints; measured in the same run.
Each run is a spawned child process, so its peak RSS (ru_maxrss) is its own.
Not handled: PDF/txt ingestion (bench/speed.py times one PDF issue), timing stability on a busy
machine (one pass each: read the load average printed with the figures).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from assistant.config import Settings
from assistant.errors import AssistantError

OLD_SAVE_EVERY = 5  # the format-1 pipeline's SAVE_EVERY


def records(src: Path, limit: int | None = None) -> list[dict]:
    """The records of a JSONL export (the first `limit` when given)."""
    lines = [json.loads(line) for line in src.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[:limit]


def doubled(lines: list[dict], one: Path, two: Path) -> int:
    """Write the records to `one`, and to `two` with a changed copy of each (new id, one more
    line); returns the count in `two`."""
    one.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines),
                   encoding="utf-8")
    with two.open("w", encoding="utf-8") as f:
        for n, rec in enumerate(lines):
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
            copy = dict(rec, id=f"{rec.get('id', n)}-copy")
            copy["text"] = f"{rec.get('text') or rec.get('body', '')}\n（本文转载，略有改动。）"
            f.write(json.dumps(copy, ensure_ascii=False) + "\n")
    return 2 * len(lines)


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _count_saves(index_cls) -> dict:
    """Wrap Index.checkpoint/save to count the saves and the bytes they wrote."""
    tally = {"saves": 0, "bytes_written": 0}
    for name in ("checkpoint", "save"):
        real = getattr(index_cls, name)

        def counted(self, *a, _real=real, **k):
            written = _real(self, *a, **k)
            tally["saves"] += 1
            tally["bytes_written"] += written
            return written
        setattr(index_cls, name, counted)
    return tally


def new_run(settings: Settings, export: Path) -> dict:
    """In a child: `assistant ingest EXPORT` into settings.index_dir."""
    from assistant.ingest.pipeline import ingest
    from assistant.search.embed import load_embedder
    from assistant.search.store import Index

    embedder = load_embedder(settings)
    tally = _count_saves(Index)
    t = time.perf_counter()
    report = ingest([str(export)], settings, embedder)
    wall = time.perf_counter() - t
    if report.skipped:
        raise AssistantError(f"{export}: {len(report.skipped)} records skipped: {report.skipped[0]}")
    return {"articles": report.articles, "chunks": report.chunks, "wall_s": round(wall, 1),
            **tally, "peak_rss_mb": _peak_rss_mb()}


def replay_run(source_dir: Path, index_dir: Path, design: str, checkpoint_units: int) -> dict:
    """In a child: the chunks and vectors of an index added again unit by unit, saved the old way
    (a full rewrite every OLD_SAVE_EVERY units) or the new way (checkpoints, one final save)."""
    from assistant.search.store import Index

    src = Index.load(source_dir, None)
    units: dict[str, list[int]] = {}
    for row, c in enumerate(src.chunks):
        units.setdefault(c.source, []).append(row)
    vectors = src.vectors
    index = Index(index_dir, SimpleNamespace(name=src.model, dim=src.dim))
    tally = _count_saves(Index)
    t = time.perf_counter()
    for n, (source, rows) in enumerate(units.items(), start=1):
        index.upsert_file(source, [src.chunks[r] for r in rows], vectors[rows])
        if design == "old" and n % OLD_SAVE_EVERY == 0:
            _old_save(index, tally)
        elif design == "new" and n % checkpoint_units == 0:
            index.checkpoint()
    _old_save(index, tally) if design == "old" else index.save()
    wall = time.perf_counter() - t
    return {"articles": len(units), "chunks": len(src.chunks), "wall_s": round(wall, 1), **tally,
            "peak_rss_mb": _peak_rss_mb()}


def _old_save(index, tally: dict) -> None:
    """What a format-1 save wrote: every row, BM25, and the FAISS index (flat: the vectors again)."""
    import faiss

    index.save(rewrite=True)
    path = index.dir / "old-faiss.index"
    faiss.write_index(index.faiss_index, str(path))
    tally["bytes_written"] += path.stat().st_size


def _child(target: Callable[..., dict], *args) -> dict:
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(target, args)


def _rates(r: dict) -> dict:
    wall = max(r["wall_s"], 1e-9)
    return {**r, "articles_per_s": round(r["articles"] / wall, 2),
            "chunks_per_s": round(r["chunks"] / wall, 2)}


def run_ingest_bench(settings: Settings, archive: Path, limit: int | None = None,
                     progress: Callable[[str], object] = lambda line: None) -> dict:
    if not archive.is_file():
        raise AssistantError(f"{archive}: no such export (give --archive FILE.jsonl)")
    load_before = os.getloadavg()
    runs, sources = [], {}
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        one, two = Path(tmp) / "archive.jsonl", Path(tmp) / "archive2x.jsonl"
        doubled(records(archive, limit), one, two)
        for scale, export in (("1x", one), ("2x", two)):
            progress(f"new {scale}: ingesting {export.name} with {settings.embed_model} …")
            index_dir = Path(tmp) / f"new-{scale}"
            r = _child(new_run, settings.model_copy(update={"index_dir": index_dir}), export)
            runs.append(_rates({"run": f"new {scale}", **r}))
            sources[scale] = index_dir
            progress(f"  {runs[-1]}")
        for design in ("old", "new"):
            for scale in ("1x", "2x"):
                progress(f"{design} replay {scale} …")
                r = _child(replay_run, sources[scale], Path(tmp) / f"{design}-replay-{scale}",
                           design, settings.checkpoint_units)
                runs.append(_rates({"run": f"{design} replay {scale}", **r}))
                progress(f"  {runs[-1]}")
    wall = {r["run"]: r["wall_s"] for r in runs}
    ratio = {f"{name} 2x/1x time": round(wall[f"{name} 2x"] / max(wall[f"{name} 1x"], 1e-9), 2)
             for name in ("new", "old replay", "new replay")}
    ratio["old/new replay time at 2x"] = round(wall["old replay 2x"] / max(wall["new replay 2x"],
                                                                           1e-9), 1)
    return {"archive": str(archive), "articles_1x": runs[0]["articles"], "runs": runs,
            "ratios": ratio, "embed_model": settings.embed_model,
            "load_average": f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after "
                            f"({os.cpu_count()} CPUs)",
            "notes": [("replay runs re-add the new run's chunks and vectors (no embedding): "
                       "they measure only the cost of keeping the index"),
                      (f"old = a full rewrite (all rows, BM25, flat FAISS) every {OLD_SAVE_EVERY} "
                       f"units; new = a checkpoint every {settings.checkpoint_units} units and one "
                       "final save")]}
