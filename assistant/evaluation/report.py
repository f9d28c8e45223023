"""Write an evaluation summary out: summary.json, report.md and a bar chart report.png.

In: the summary dict from evaluate.run_eval (meta, flat metrics, per-question rows, gate result,
and with --also-profiles each checks profile's answer figures, shown as one table in report.md).
Out: files in the given folder (each written to a temporary name, then renamed), and a short
plain-text digest for the console. The chart is drawn with Pillow (matplotlib is not a dependency).
Not handled here: computing anything (run.py, metrics.py).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

RETRIEVAL = ("recall@1", "recall@5", "recall@10", "mrr", "ndcg@10")
ANSWERS = ("key_fact_accuracy", "facts_given", "all_facts_rate", "list_f1", "citation_precision",
           "citation_support_precision", "citation_recall", "faithfulness", "faithful_rate",
           "fallback_rate")
REFUSAL = ("refusal_rate", "false_refusal_rate")
COLOURS = ["#4C72B0", "#DD8452", "#55A868", "#C44E52"]


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def _fmt(v: Any) -> str:
    return "–" if v is None else f"{v:.3f}" if isinstance(v, float) else str(v)


def _table(header: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(_fmt(c) for c in r) + " |" for r in rows])


def _modes(metrics: dict[str, float]) -> list[str]:
    return list(dict.fromkeys(k.split("/")[1] for k in metrics if k.startswith("retrieval/")))


def _slices(metrics: dict[str, float], group: str) -> list[str]:
    """The (half/)language slices measured, in order: all, en, zh, dev/all, dev/en, …, test/zh."""
    skip = 2 if group == "retrieval" else 1
    found = {"/".join(k.split("/")[skip:-1]) for k in metrics if k.startswith(group + "/")}
    return sorted(found, key=lambda s: (s.count("/"), s.split("/")[0] if "/" in s else "", s.split("/")[-1]))


def _profile_table(profiles: dict[str, dict[str, float]]) -> str:
    """One row per profile and half/language slice: the answer and refusal figures side by side."""
    rows = []
    for profile, figures in profiles.items():
        for name in _slices(figures, "answers"):
            rows.append([profile, name, *(figures.get(f"answers/{name}/{k}") for k in ANSWERS),
                         *(figures.get(f"refusal/{name}/{k}") for k in REFUSAL)])
    return _table(["profile", "half/lang", *ANSWERS, *REFUSAL], rows)


def markdown(summary: dict[str, Any]) -> str:
    meta, mt, gate = summary["meta"], summary["metrics"], summary.get("gate", {})
    out = ["# Evaluation report", "",
           (f"{meta['finished']} · {meta['n_questions']} questions ({meta['questions']}, "
            f"half: {meta.get('split', 'all')}) · "
            f"embeddings {meta['embed_model']} · LLM {meta['llm_model'] or 'not run (retrieval only)'} · "
            f"wall time {meta['wall_seconds']} s"), "",
           f"Gate: {gate.get('note', 'not compared')}", *[f"- REGRESSION {r}" for r in gate.get("regressions", [])],
           "", "![metrics](report.png)", "",
           f"## Retrieval (article-level, top {meta['k']} chunks; answerable questions)", "",
           _table(["retriever", "half/lang", *RETRIEVAL],
                  [[mode, name, *(mt.get(f"retrieval/{mode}/{name}/{k}") for k in RETRIEVAL)]
                   for mode in _modes(mt) for name in _slices(mt, "retrieval")])]
    if not meta["retrieval_only"]:
        out += ["", "## Answers", "",
                _table(["half/lang", *ANSWERS, *REFUSAL],
                       [[name, *(mt.get(f"answers/{name}/{k}") for k in ANSWERS),
                         *(mt.get(f"refusal/{name}/{k}") for k in REFUSAL)] for name in _slices(mt, "answers")])]
    if summary.get("profiles"):
        out += ["", "## Answers per checks profile (the same model replies, checked under each)", "",
                _profile_table(summary["profiles"])]
    stages = sorted({k.split("/")[1] for k in mt if k.startswith("latency/")})
    out += ["", "## Latency (seconds)", "",
            _table(["stage", "p50", "p95"], [[s, mt[f"latency/{s}/p50"], mt[f"latency/{s}/p95"]] for s in stages])]
    out += ["", "## Misses", "", "(`[test]`: a test-half question: report it, never tune on it)", "",
            *_misses(summary["per_question"])]
    return "\n".join(out) + "\n"


def _misses(rows: list[dict[str, Any]]) -> list[str]:
    lines = []
    for r in rows:
        notes = []
        rank = (r.get("gold_rank") or {}).get("hybrid")
        if r.get("gold_rank") is not None and rank != 1:
            notes.append(f"first gold article at hybrid rank {rank or '>10'}")
        if r.get("missing_facts"):
            notes.append(f"missing facts {json.dumps(r['missing_facts'], ensure_ascii=False)}")
        if r.get("list_f1") is not None and r["list_f1"] < 1:
            notes.append(f"list F1 {r['list_f1']:.2f}")
        if "refused" in r and r["refused"] != (r["type"] == "unanswerable"):
            notes.append("refused an answerable question" if r["refused"] else "answered an unanswerable question")
        if r.get("unsupported"):
            notes.append(f"not in cited passages: {', '.join(r['unsupported'])}")
        if notes:
            answer = f" → {r['answer'][:160]!r}" if "answer" in r else ""
            half = f"[{r['split']}] " if r.get("split") else ""
            lines.append(f"- {half}`{r['id']}` {r['question']}{answer}: " + "; ".join(notes))
    return lines or ["none"]


def _panel(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], title: str,
           groups: list[str], series: dict[str, list[float | None]]) -> None:
    """Grouped bars of values in 0..1 inside box (x0, y0, x1, y1)."""
    font = ImageFont.load_default()
    x0, y0, x1, y1 = box
    top, bottom, left = y0 + 24, y1 - 30, x0 + 36
    draw.text((x0, y0), title, fill="black", font=font)
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = bottom - tick * (bottom - top)
        draw.line((left, y, x1, y), fill="#dddddd")
        draw.text((x0, y - 6), f"{tick:.2f}", fill="black", font=font)
    slot = (x1 - left) / max(1, len(groups))
    bar = slot * 0.8 / max(1, len(series))
    for g, name in enumerate(groups):
        gx = left + g * slot + slot * 0.1
        for s, values in enumerate(series.values()):
            if values[g] is not None:
                bx = gx + s * bar
                draw.rectangle((bx, bottom - values[g] * (bottom - top), bx + bar - 2, bottom),
                               fill=COLOURS[s % len(COLOURS)])
        draw.text((gx, bottom + 6), name, fill="black", font=font)
    lx = left
    for s, label in enumerate(series):
        draw.rectangle((lx, y1 - 12, lx + 10, y1 - 2), fill=COLOURS[s % len(COLOURS)])
        draw.text((lx + 14, y1 - 14), label, fill="black", font=font)
        lx += 14 + 8 * len(label) + 16


def chart(summary: dict[str, Any]) -> Image.Image:
    mt = summary["metrics"]
    answers = not summary["meta"]["retrieval_only"]
    img = Image.new("RGB", (900, 620 if answers else 320), "white")
    draw = ImageDraw.Draw(img)
    _panel(draw, (10, 10, 890, 300), "Retrieval, all questions (article-level)", list(RETRIEVAL),
           {mode: [mt.get(f"retrieval/{mode}/all/{k}") for k in RETRIEVAL] for mode in _modes(mt)})
    if answers:
        names = ["key_fact_accuracy", "list_f1", "citation_precision", "citation_recall",
                 "faithfulness", "refusal_rate", "false_refusal_rate"]
        keys = [f"refusal/{{}}/{n}" if n in REFUSAL else f"answers/{{}}/{n}" for n in names]
        _panel(draw, (10, 320, 890, 610), "Answers", [n.replace("_", " ")[:18] for n in names],
               {lang: [mt.get(k.format(lang)) for k in keys] for lang in ("en", "zh")})
    return img


def write_report(summary: dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    _write(out / "summary.json", json.dumps(summary, ensure_ascii=False, indent=1).encode())
    _write(out / "report.md", markdown(summary).encode())
    tmp = out / "report.png.tmp"
    chart(summary).save(tmp, format="PNG")
    os.replace(tmp, out / "report.png")


def console_summary(summary: dict[str, Any]) -> str:
    mt = summary["metrics"]
    lines = [f"{'retriever':9} {'half/lang':9} " + " ".join(f"{k:>9}" for k in RETRIEVAL)]
    for mode in _modes(mt):
        for name in _slices(mt, "retrieval"):
            lines.append(f"{mode:9} {name:9} " + " ".join(
                f"{_fmt(mt.get(f'retrieval/{mode}/{name}/{k}')):>9}" for k in RETRIEVAL))
    for key, value in mt.items():
        if key.startswith(("answers/", "refusal/")) and key.split("/")[-1] in (
                "key_fact_accuracy", "facts_given", "list_f1", "citation_recall", *REFUSAL):
            lines.append(f"{key:44} {_fmt(value)}")
    for profile, figures in summary.get("profiles", {}).items():
        lines.append(f"checks profile {profile} (the same model replies):")
        lines += [f"  {key:42} {_fmt(value)}" for key, value in figures.items()
                  if key.split("/")[-1] in ("key_fact_accuracy", "list_f1", "citation_recall",
                                            *REFUSAL)]
    lines.append(f"wall time {summary['meta']['wall_seconds']} s")
    return "\n".join(lines)
