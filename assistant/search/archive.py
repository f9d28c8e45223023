"""What the index holds, and taking files or issues out of it (`assistant list`, `assistant remove`).

In: Settings (the index folder) or an Index's chunks. Out: plain dicts, printed by cli/show.py:
- sources(): one entry per unit (a file, or one record of an export) with its sha, issue, date
  and counts;
- summary(): totals (files, issues, date range, articles, chunks) and the same per file and per
  issue;
- remove(): takes the writer lock, removes every unit of the named files or of one issue, saves,
  and says what went. An unknown file or issue is an IndexError_ naming it, and nothing is removed.
Not handled: printing (cli/show.py), re-adding (ingest/pipeline.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from assistant.config import Settings
from assistant.errors import IndexError_
from assistant.records import Chunk


def sources(chunks: Iterable[Chunk]) -> list[dict]:
    """One entry per source, in index order: source, file, sha, issue, date, articles, chunks."""
    out: dict[str, dict] = {}
    for c in chunks:
        s = out.setdefault(c.source, {"source": c.source, "file": c.file, "sha": c.file_sha,
                                      "issue": c.issue, "date": c.date, "articles": set(),
                                      "chunks": 0})
        s["articles"].add((c.page, c.position))
        s["chunks"] += 1
    return [{**s, "articles": len(s["articles"])} for s in out.values()]


def _group(entries: list[dict], key: str) -> list[dict]:
    groups: dict[str, dict] = {}
    for s in entries:
        g = groups.setdefault(s[key] or "", {key: s[key], "units": 0, "articles": 0, "chunks": 0,
                                             "files": set(), "issues": set(), "dates": set()})
        g["units"] += 1
        g["articles"] += s["articles"]
        g["chunks"] += s["chunks"]
        g["files"].add(s["file"])
        g["issues"].update([s["issue"]] if s["issue"] else [])
        g["dates"].update([s["date"]] if s["date"] else [])
    return [_finish(g) for g in groups.values()]


def _finish(g: dict) -> dict:
    dates = sorted(g.pop("dates"))
    return {**g, "files": len(g["files"]), "issues": len(g["issues"]),
            "first_date": dates[0] if dates else None, "last_date": dates[-1] if dates else None}


def summary(chunks: list[Chunk]) -> dict:
    """{"totals": {...}, "files": [...], "issues": [...]}; each with units (files or records),
    articles, chunks, files, issues, first_date, last_date."""
    entries = sources(chunks)
    totals = _group([{**s, "all": "all"} for s in entries], "all")
    empty = {"units": 0, "articles": 0, "chunks": 0, "files": 0, "issues": 0, "first_date": None,
             "last_date": None}
    return {"totals": {k: v for k, v in (totals[0] if totals else empty).items() if k != "all"},
            "files": sorted(_group(entries, "file"), key=lambda g: g["file"]),
            "issues": sorted((g for g in _group(entries, "issue") if g["issue"]),
                             key=lambda g: (g["first_date"] or "", g["issue"]))}


def list_archive(settings: Settings) -> dict:
    from assistant.search.store import Index

    index = Index.load(settings.index_dir, None)
    return {"index": str(settings.index_dir), "generation": index.generation,
            **summary(index.chunks)}


def _file_key(name: str, known: set[str]) -> str | None:
    from assistant.ingest.pipeline import file_key

    for key in (name, file_key(Path(name))):
        if key in known:
            return key
    return None


def remove(settings: Settings, files: list[str], issue: str | None = None) -> dict:
    """Remove the named files (keys as `assistant list` shows them, or paths) or one issue;
    {"removed": [per file: file, units, articles, chunks], "totals": after}."""
    from assistant.search.store import Index
    from assistant.search.writelock import WriterLock

    with WriterLock(settings.index_dir):
        index = Index.load(settings.index_dir, None, settings.ann_threshold)
        known = {c.file for c in index.chunks}
        keys = [_file_key(f, known) for f in files]
        unknown = [f for f, k in zip(files, keys) if k is None]
        if unknown:
            raise IndexError_(f"{', '.join(unknown)}: not in the index {settings.index_dir} "
                              "(`assistant list` shows its files)")
        if issue is not None and not any(c.issue == issue for c in index.chunks):
            raise IndexError_(f"issue {issue}: not in the index {settings.index_dir} "
                              "(`assistant list` shows its issues)")
        chosen = set(keys)
        removed = [s for s in sources(index.chunks) if s["file"] in chosen or
                   (issue is not None and s["issue"] == issue)]
        for k in keys:
            index.remove_file(k)
        if issue is not None:
            index.remove_issue(issue)
        index.save()
        return {"removed": sorted(_group(removed, "file"), key=lambda g: g["file"]),
                "totals": summary(index.chunks)["totals"]}
