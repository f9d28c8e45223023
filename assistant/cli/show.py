"""What the CLI prints: domain results in, text, tables and JSON lines on stdout/stderr out.

Not handled here: argument parsing (cli/__init__.py), running the commands (cli/commands.py).
"""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from assistant.config import DEFAULT_EMBED_MODEL, Settings
from assistant.models.cache import SPECS, disk_size, is_verified
from assistant.models.llama_build import build_dir, built
from assistant.records import Answer, Article, Citation, Evidence, Hit, Queued
from assistant.search.onnxembed import folder_for, is_prepared

if TYPE_CHECKING:
    from assistant.ingest.pipeline import IngestReport


def print_problems(errors: list, warnings: list[str]) -> None:
    """One line per skipped file and per warning, on stderr."""
    for e in errors:
        print(f"skipped {e}", file=sys.stderr)
    for w in warnings:
        print(f"warning: {w}", file=sys.stderr)


def ingest_table(report: IngestReport, settings: Settings) -> None:
    table = Table(title=f"index: {settings.index_dir}")
    for col in ("files", "unchanged", "pages", "records", "articles", "chunks", "removed",
                "skipped", "warnings"):
        table.add_column(col, justify="right")
    table.add_row(*(str(v) for v in (report.files, report.unchanged, report.pages, report.records,
                                      report.articles, report.chunks, report.removed,
                                      len(report.skipped), len(report.warnings))))
    Console().print(table)


def articles(found: list[Article], as_json: bool) -> None:
    if as_json:
        keep = ("title", "sources", "section", "issue", "date", "page", "position", "file", "text",
                "bboxes")
        rows = [{k: v for k, v in asdict(a).items() if k in keep} for a in found]
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for a in found:
            parts = (a.file, a.issue, a.date, f"p.{a.page}", a.section)
            meta = " · ".join(str(v) for v in parts if v)
            print(f"{a.title}\n  {meta}\n  sources: {'、'.join(a.sources) or '-'}; "
                  f"{len(a.text)} characters: {a.text[:60]}…\n")


def hits_text(question: str, hits: list[Hit], note: str | None = None) -> str:
    lines = [f"Q: {question}"] + ([f"   [{note}]"] if note else [])
    lines += [] if hits else ["   (no passage found)"]
    for n, h in enumerate(hits, 1):
        dense = "-" if h.dense_score is None else f"{h.dense_score:.3f}"
        bm = "-" if h.bm25_score is None else f"{h.bm25_score:.2f}"
        lines.append(f"{n:>2}. {Citation.of(h.chunk).label()}  [{h.chunk.file}]  "
                     f"score {h.score:.4f}  dense {dense}  bm25 {bm}")
        lines.append("    " + h.chunk.text.replace("\n", " ")[:160])
    return "\n".join(lines)


def print_progress(part: object) -> None:
    """What `assistant ask` prints while the model works: the sources found (on stdout, at once)
    and the place in the model's queue (on stderr)."""
    if isinstance(part, Evidence):
        print("Sources found (not yet the answer):")
        for line in part.text.splitlines():
            print(f"  {line}")
        for n, c in enumerate(part.citations, 1):
            print(f"  [{n}] {c.label()}")
        print(flush=True)
    elif isinstance(part, Queued):
        print(f"(waiting for the language model: {part.ahead} ahead)", file=sys.stderr, flush=True)


def print_answer(answer: Answer) -> None:
    print(answer.text)
    for quote in answer.quote.splitlines():
        print(f"  Quote: {quote}")
    if answer.notice:
        print(f"\n[{answer.notice}]")
    if answer.citations:
        print("\nSources:")
        for n, c in enumerate(answer.citations, 1):
            print(f"  [{n}] {c.label()}")
    for flag in answer.flags:
        print(f"  check: {flag}")
    took = answer.timings.get("total")
    print("  " + " · ".join(filter(None, (
        answer.model and f"model {answer.model}", answer.checks and f"checks {answer.checks}",
        took is not None and f"{took:.1f} s",
        answer.tokens and f"{answer.tokens.get('prompt', 0)} prompt "
                          f"({answer.tokens.get('cached', 0)} reused) and "
                          f"{answer.tokens.get('generated', 0)} generated tokens",
        answer.tokens.get("threads") and f"{answer.tokens['threads']} generating threads"))))
    print()


def bench_table(r: dict, n_chunks: int) -> None:
    table = Table(title=f"assistant bench: {n_chunks:,} chunks")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for k, v in r.items():
        if k != "targets":
            table.add_row(k, str(v))
    for k, met in r["targets"].items():
        table.add_row(f"target {k}", "[green]met[/]" if met else "[red]MISSED[/]")
    Console().print(table)


def _archive_table(title: str, key: str, rows: list[dict]) -> Table:
    table = Table(title=title)
    count = "files" if key == "issue" else "issues"
    for col in (key, count, "dates", "units", "articles", "chunks"):
        table.add_column(col, justify="left" if col in (key, "dates") else "right")
    for g in rows:
        dates = " – ".join(dict.fromkeys(d for d in (g["first_date"], g["last_date"]) if d))
        table.add_row(str(g.get(key) or "all"), str(g[count]), dates or "-", str(g["units"]),
                      str(g["articles"]), str(g["chunks"]))
    return table


def archive_list(r: dict) -> None:
    """`assistant list`: totals, then one row per file and per issue (units: files or records)."""
    console = Console()
    console.print(_archive_table(f"index: {r['index']} ({r['generation']})", "total", [r["totals"]]))
    console.print(_archive_table("files", "file", r["files"]))
    console.print(_archive_table("issues", "issue", r["issues"]))


def removed(r: dict) -> None:
    for g in r["removed"]:
        print(f"removed {g['file']}: {g['units']} units, {g['articles']} articles, "
              f"{g['chunks']} chunks")
    t = r["totals"]
    print(f"the index now holds {t['files']} files, {t['issues']} issues, {t['articles']} articles, "
          f"{t['chunks']} chunks")


def ingest_bench(r: dict) -> None:
    """`assistant bench --ingest`: one row per design and scale, then the 2x/1x ratios."""
    table = Table(title=f"ingest bench: {r['archive']} ({r['articles_1x']} articles at 1x; "
                        f"load {r['load_average']})")
    cols = ("run", "articles", "chunks", "wall_s", "articles_per_s", "chunks_per_s", "peak_rss_mb",
            "saves", "bytes_written")
    for col in cols:
        table.add_column(col, justify="left" if col == "run" else "right")
    for row in r["runs"]:
        table.add_row(*(str(row.get(c, "-")) for c in cols))
    Console().print(table)
    for k, v in r["ratios"].items():
        print(f"{k}: {v}")
    for note in r["notes"]:
        print(f"note: {note}")


def models_list(settings: Settings) -> None:
    models_dir = settings.models_dir
    print(f"models in {models_dir}:")
    for spec in SPECS:
        path = models_dir / spec.target
        state = "verified" if is_verified(spec, models_dir) else (
            "CORRUPT (run `assistant models pull`)" if path.exists() else "missing")
        print(f"  {spec.name:32} {disk_size(path) / 1e6:8.0f} MB  {state:10}  {path}")
        onnx = folder_for(path)
        if spec.name == DEFAULT_EMBED_MODEL:
            state = "ready" if is_prepared(onnx) else "missing (made by `models pull`)"
            print(f"  {'  its ONNX form':32} {disk_size(onnx) / 1e6:8.0f} MB  {state:10}  {onnx}")
    binary = built(settings)
    state = "built" if binary else "missing (`assistant models build-server`; the wheel is used)"
    print(f"  {'llama-server for this CPU':32} {disk_size(binary) / 1e6 if binary else 0:8.0f} MB  "
          f"{state:10}  {binary or build_dir(settings) or 'no /proc/cpuinfo'}")


def feedback_list(entries: list, as_json: bool) -> None:
    """Rated answers: one JSON object per line, or one line each (rating, question, comment)."""
    for e in entries:
        if as_json:
            print(json.dumps(e.to_dict(), ensure_ascii=False))
            continue
        mark = {"up": "+", "down": "-"}.get(e.rating or "", "?")
        comment = f"  — {e.comment}" if e.comment else ""
        print(f"#{e.id} {mark} {e.created}  {e.question}{comment}\n    {e.answer[:100]!r} "
              f"({len(e.citations)} citations; {e.settings.get('model', '')})")
    if not entries and not as_json:
        print("no feedback yet")


def figures_table(title: str, figures: dict) -> None:
    table = Table(title=title)
    table.add_column("figure")
    table.add_column("value", justify="right")
    for k, v in figures.items():
        table.add_row(k, str(v))
    Console().print(table)
