"""The subcommands: parsed arguments in, the domain modules called, their results printed.

Each `*_command` returns the exit status (0 ok, 1 some inputs skipped or a regression, 2 rejected
questions). Heavy modules (torch, faiss, gradio, langchain) are imported only by the command that
needs them. Not handled here: argument parsing (cli/__init__.py); the look of the output (show.py).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import Progress

import assistant.cli.show as show
from assistant.config import Settings
from assistant.errors import AssistantError, InputFileError, QuestionError

if TYPE_CHECKING:
    from assistant.answer.pipeline import Answerer
    from assistant.evaluation.questions import Question


def ingest_command(paths: list[str], settings: Settings) -> int:
    """`assistant ingest`: a progress bar, one line per skipped file, a summary table; exit 1
    when any file was skipped."""
    from assistant.ingest.pipeline import ingest

    console = Console(stderr=True)
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("ingesting", total=None)
        report = ingest(paths, settings, progress=lambda done, total, f: bar.update(
            task, completed=done, total=total, description=f"ingesting {Path(f).name}"))
    show.print_problems(report.skipped, report.warnings)
    show.ingest_table(report, settings)
    return 1 if report.skipped else 0


def inspect_command(paths: list[str], settings: Settings, as_json: bool) -> int:
    """The articles found in the files, nothing indexed (settings: part of the CLI contract)."""
    from assistant.ingest.pipeline import find_files, read_articles

    files, errors = find_files(paths)
    found, warnings = [], []
    for path in files:
        try:
            found += read_articles(path, warnings)
        except InputFileError as e:
            errors.append(e)
    show.print_problems(errors, warnings)
    show.articles(found, as_json)
    return 1 if errors else 0


def search_command(questions: list[str], settings: Settings, as_json: bool, mode: str,
                   filters=None) -> int:
    from assistant.search.retrieve import open_retriever

    retriever = open_retriever(settings, mode)  # type: ignore[arg-type]
    for q in questions:
        found = retriever.retrieve(q, settings.top_k, filters, mode)  # type: ignore[arg-type]
        if as_json:
            print(json.dumps({"question": q, "note": found.note,
                              "hits": [h.to_dict() for h in found.hits]},
                             ensure_ascii=False), flush=True)
        else:
            print(show.hits_text(q, found.hits, found.note) + "\n", flush=True)
    return 0


def ask_command(questions: list[str], settings: Settings, as_json: bool,
                answerer: Answerer | None = None, filters=None) -> int:
    """`assistant ask`: answer each question (models load once); 2 if any question was rejected."""
    from assistant.answer.pipeline import Answerer
    from assistant.records import Answer

    answerer = answerer or Answerer(settings)
    status = 0
    try:
        for question in questions:
            try:
                for part in answerer.stream(question, filters=filters):
                    if not as_json and not isinstance(part, (str, Answer)):
                        show.print_progress(part)  # the evidence, at once
                answer = part
            except QuestionError as e:
                status = 2
                print(json.dumps({"question": question, "error": str(e)}, ensure_ascii=False)
                      if as_json else f"error: {e}", file=sys.stdout if as_json else sys.stderr)
                continue
            if as_json:
                print(json.dumps(answer.to_dict(), ensure_ascii=False), flush=True)
            else:
                show.print_answer(answer)
    finally:
        answerer.close()
    return status


def serve_command(settings: Settings) -> int:
    from assistant.ui.app import build_app, launch, login
    from assistant.ui.engine import Engine

    login(settings)  # refuse a public host without a login before loading any model
    print(f"loading models and the index from {settings.index_dir} …", flush=True)
    engine = Engine(settings)
    engine.warm_up()
    try:
        print(f"open http://{settings.host}:{settings.port} (Ctrl-C stops)", flush=True)
        launch(build_app(engine), settings)
    finally:
        engine.close()
    return 0


def eval_command(settings: Settings, questions: str | None, as_json: bool, baseline: str | None,
                 out_dir: str | None, retrieval_only: bool = False, split: str = "all",
                 archive: str | None = None, index_given: bool = True,
                 also_profiles: list[str] | None = None, archive_sample: int | None = None) -> int:
    from assistant.evaluation import replay
    from assistant.evaluation.report import console_summary, write_report
    from assistant.evaluation.run import BASELINE, QUESTIONS, REPORT_DIR, gate, run_eval

    questions_path = Path(questions) if questions else QUESTIONS
    out = Path(out_dir) if out_dir else REPORT_DIR
    out.mkdir(parents=True, exist_ok=True)
    replay.start_log(out)  # answers.jsonl, and replies.jsonl for `assistant eval --replay`

    def on_answer(position: int, q: Question, answer) -> None:
        replay.log_answer(out, q.id, answer)
        if not as_json:
            print(f"[{position}] {q.id} {answer.timings.get('total', 0):.1f}s", flush=True)

    summary = run_eval(settings, questions_path, retrieval_only, on_answer, split,
                       Path(archive) if archive else None, index_given, also_profiles or (), archive_sample)
    try:
        found, note = gate(summary, Path(baseline) if baseline else BASELINE, explicit=bool(baseline))
    except AssistantError as e:  # keep the run's results, then report the unusable baseline
        summary["gate"] = {"regressions": [], "note": f"not compared: {e}"}
        write_report(summary, out)
        raise
    summary["gate"] = {"regressions": found, "note": note}
    write_report(summary, out)
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print(console_summary(summary))
        print(f"report: {out / 'report.md'}")
        print(note)
        for line in found:
            print(f"REGRESSION {line}")
    return 1 if found else 0


def replay_command(settings: Settings, folder: str, questions: str | None, split: str,
                   also_profiles: list[str], out_dir: str | None, as_json: bool) -> int:
    """`assistant eval --replay FOLDER`: the checks re-run on a run's logged replies (replay.py)."""
    from assistant.evaluation.replay import replay
    from assistant.evaluation.report import console_summary, write_report
    from assistant.evaluation.run import QUESTIONS

    summary = replay(settings, Path(folder), Path(questions) if questions else QUESTIONS, split,
                     also_profiles)
    out = Path(out_dir) if out_dir else Path(folder) / "replay"
    out.mkdir(parents=True, exist_ok=True)
    write_report(summary, out)
    if as_json:
        print(json.dumps(summary, ensure_ascii=False))
        return 0
    print(console_summary(summary))
    meta = summary["meta"]
    print(f"{meta['n_replies']} of {meta['n_questions']} logged answers re-checked "
          f"(the others were given without the model); report: {out / 'report.md'}")
    if meta["model_check_skipped"]:
        print("the yes/no model check (ASSISTANT_MODEL_CHECK) is on but needs the model: not replayed")
    return 0


def bench_command(settings: Settings, n_chunks: int, as_json: bool) -> int:
    from assistant.bench.run import run_bench

    r = run_bench(settings, n_chunks)
    if as_json:
        print(json.dumps(r, ensure_ascii=False, indent=1))
        return 0
    show.bench_table(r, n_chunks)
    return 0


def bench_ingest_command(settings: Settings, archive: Path, as_json: bool,
                         limit: int | None = None) -> int:
    from assistant.bench.ingest import run_ingest_bench

    r = run_ingest_bench(settings, archive, limit, progress=lambda line: print(
        line, file=sys.stderr, flush=True))
    print(json.dumps(r, ensure_ascii=False, indent=1)) if as_json else show.ingest_bench(r)
    return 0


def list_command(settings: Settings, as_json: bool) -> int:
    """`assistant list`: totals, then per file and per issue."""
    from assistant.search.archive import list_archive

    r = list_archive(settings)
    print(json.dumps(r, ensure_ascii=False, indent=1)) if as_json else show.archive_list(r)
    return 0


def remove_command(settings: Settings, files: list[str], issue: str | None, as_json: bool) -> int:
    """`assistant remove`: what went, and what the index holds now."""
    from assistant.search.archive import remove

    r = remove(settings, files, issue)
    print(json.dumps(r, ensure_ascii=False, indent=1)) if as_json else show.removed(r)
    return 0


def feedback_command(settings: Settings, action: str, out: str | None, only: str | None,
                     as_json: bool) -> int:
    """`assistant feedback list|export`: the rated answers in Settings.feedback_path."""
    from assistant.api.feedback import FeedbackStore, as_eval_question

    entries = FeedbackStore(settings.feedback_path).entries(rating=only)
    if action == "list":
        show.feedback_list(entries, as_json)
        return 0
    lines = "".join(json.dumps(as_eval_question(e), ensure_ascii=False) + "\n" for e in entries)
    if out is None:
        sys.stdout.write(lines)
        return 0
    try:
        Path(out).write_text(lines, encoding="utf-8")
    except OSError as e:
        raise AssistantError(f"{out}: cannot write the export ({e.strerror})") from e
    print(f"{len(entries)} questions written to {out}: fill in key_facts (and support) "
          "before adding them to a question set", file=sys.stderr)
    return 0


def bench_answers_command(settings: Settings, n: int, designs: list[str], conditions: list[str],
                          threads: str | None, as_json: bool) -> int:
    """`assistant bench --answers` (or `--threads 1,2`): how long users wait, and for what."""
    from assistant.bench.answers import run_answers_bench, run_threads_bench

    def log(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    if threads:
        r = run_threads_bench(settings, threads.split(","), min(n, 8), log=log)
    else:
        r = run_answers_bench(settings, n, tuple(designs), tuple(conditions), log=log)
        r = {f"{d}/{c}": f for d, per in r["designs"].items() for c, f in per.items()}
    if as_json:
        print(json.dumps(r, ensure_ascii=False, indent=1))
    else:
        for name, figures in r.items():
            show.figures_table(f"bench: {name}", figures)
    return 0


def bench_api_load_command(settings: Settings, users: int, seconds: float, as_json: bool) -> int:
    """`assistant bench --api-load`: concurrent users against /api/ask of a served app."""
    from assistant.bench.api_load import run_load

    r = run_load(settings, users, seconds)
    if as_json:
        print(json.dumps(r, ensure_ascii=False, indent=1))
    else:
        show.figures_table(f"API load: {users} users for {seconds:.0f} s", r)
    return 1 if r["errors"] or r["mixed_up"] else 0


def models_command(action: str, settings: Settings) -> int:
    from assistant.models.cache import pull_all

    if action == "pull":
        pull_all(settings)
        return 0
    if action == "build-server":
        from assistant.models.llama_build import build

        build(settings)
        return 0
    show.models_list(settings)
    return 0


def serve_llm_command(settings: Settings, port: int) -> int:
    """`assistant llm serve`: run the local server in the foreground until Ctrl-C."""
    from assistant.answer.local_server import serve_foreground, server_binary

    which = server_binary(settings) or "the xllamacpp wheel"
    print(f"llama.cpp ({which}) serving {settings.llm_model} at http://127.0.0.1:{port}/v1 "
          "(Ctrl-C stops)", flush=True)
    return serve_foreground(settings, port)
