"""The one entry point: `assistant ingest | inspect | list | remove | search | ask | serve | eval | bench | models | llm`.

Parses arguments, builds Settings, calls one function of the module that does the work, and turns
AssistantError into a one-line message and exit status 2 (1 when some input files were skipped).
Not handled here: any of the work itself; each subcommand's logic lives in its module.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.redact import setup_logging


def _settings(args: argparse.Namespace) -> Settings:
    overrides: dict[str, Any] = {}
    if getattr(args, "index", None):
        overrides["index_dir"] = Path(args.index)
    if getattr(args, "k", None):
        overrides["top_k"] = args.k
    settings = Settings(**overrides)
    setup_logging(settings)
    return settings


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.cli.commands import ingest_command
    return ingest_command(args.paths, _settings(args))


def cmd_inspect(args: argparse.Namespace) -> int:
    from assistant.cli.commands import inspect_command
    return inspect_command(args.paths, _settings(args), as_json=args.json)


def cmd_search(args: argparse.Namespace) -> int:
    from assistant.cli.commands import search_command
    return search_command(_questions(args), _settings(args), as_json=args.json, mode=args.mode,
                          filters=_filters(args))


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.cli.commands import ask_command
    return ask_command(_questions(args), _settings(args), as_json=args.json,
                       filters=_filters(args))


def _filters(args: argparse.Namespace):
    """--from/--to/--issue as retrieve.Filters (None when none is given)."""
    from assistant.search.retrieve import Filters
    return Filters.of(args.date_from, args.date_to, args.issue)


def cmd_serve(args: argparse.Namespace) -> int:
    from assistant.cli.commands import serve_command
    settings = _settings(args)
    settings.host, settings.port = args.host or settings.host, args.port or settings.port
    return serve_command(settings)


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.cli.commands import eval_command, replay_command
    profiles = [p for p in args.also_profiles.split(",") if p]
    if args.replay:
        return replay_command(_settings(args), args.replay, args.questions, args.split, profiles,
                              args.out, args.json)
    return eval_command(_settings(args), questions=args.questions, as_json=args.json,
                        baseline=args.baseline, out_dir=args.out, retrieval_only=args.retrieval_only,
                        split=args.split, archive=args.archive, index_given=bool(args.index),
                        also_profiles=profiles, archive_sample=args.archive_sample)


def cmd_bench(args: argparse.Namespace) -> int:
    from assistant.cli.commands import bench_command, bench_ingest_command
    if args.api_load:
        from assistant.cli.commands import bench_api_load_command
        return bench_api_load_command(_settings(args), args.users, args.seconds, as_json=args.json)
    if args.answers or args.threads:
        from assistant.cli.commands import bench_answers_command
        return bench_answers_command(_settings(args), args.questions, args.designs.split(","),
                                     args.conditions.split(","), args.threads, as_json=args.json)
    if args.ingest:
        return bench_ingest_command(_settings(args), Path(args.archive), as_json=args.json,
                                    limit=args.limit)
    return bench_command(_settings(args), n_chunks=args.chunks, as_json=args.json)


def cmd_list(args: argparse.Namespace) -> int:
    from assistant.cli.commands import list_command
    return list_command(_settings(args), as_json=args.json)


def cmd_remove(args: argparse.Namespace) -> int:
    from assistant.cli.commands import remove_command
    if bool(args.files) == bool(args.issue):
        raise AssistantError("give FILE... or --issue ISSUE (one of them)")
    return remove_command(_settings(args), args.files, args.issue, as_json=args.json)


def cmd_models(args: argparse.Namespace) -> int:
    from assistant.cli.commands import models_command
    return models_command(args.action, _settings(args))


def cmd_feedback(args: argparse.Namespace) -> int:
    from assistant.cli.commands import feedback_command
    return feedback_command(_settings(args), args.action, out=args.out, only=args.only,
                            as_json=args.json)


def cmd_llm(args: argparse.Namespace) -> int:
    from assistant.cli.commands import serve_llm_command
    return serve_llm_command(_settings(args), port=args.port)


def _questions(args: argparse.Namespace) -> list[str]:
    """The question from the command line, or one per non-empty line of --batch FILE ('-' = stdin)."""
    if args.batch:
        text = sys.stdin.read() if args.batch == "-" else _read_batch(args.batch)
        return [q.strip() for q in text.splitlines() if q.strip()]
    if not args.question:
        raise AssistantError("give a question, or --batch FILE")
    return [" ".join(args.question)]


def _read_batch(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise AssistantError(f"{path}: cannot read the question file ({e.__class__.__name__})") from e


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="assistant", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)

    def with_index(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("--index", help="index folder (default: index/ or ASSISTANT_INDEX_DIR)")
        return sp

    sp = with_index(sub.add_parser("ingest", help="add newspaper files (.pdf, .txt) to the index"))
    sp.add_argument("paths", nargs="+", help="files or folders (searched recursively)")
    sp.set_defaults(func=cmd_ingest)

    sp = sub.add_parser("inspect", help="show the articles found in files, without indexing")
    sp.add_argument("paths", nargs="+")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_inspect)

    for name, func, helptext in (("search", cmd_search, "retrieve passages for a question"),
                                 ("ask", cmd_ask, "answer a question with citations")):
        sp = with_index(sub.add_parser(name, help=helptext))
        sp.add_argument("question", nargs="*")
        sp.add_argument("--batch", metavar="FILE", help="one question per line; '-' reads stdin")
        sp.add_argument("-k", type=int, help="number of passages")
        sp.add_argument("--json", action="store_true", help="one JSON object per question")
        sp.add_argument("--from", dest="date_from", metavar="YYYY-MM-DD",
                        help="issues from this date on (undated pages are left out, and counted)")
        sp.add_argument("--to", dest="date_to", metavar="YYYY-MM-DD", help="issues up to this date")
        sp.add_argument("--issue", help="only this issue: its label (第1234期) or number")
        if name == "search":
            sp.add_argument("--mode", choices=["hybrid", "dense", "bm25"], default="hybrid")
        sp.set_defaults(func=func)

    sp = with_index(sub.add_parser("serve", help="the chat web UI"))
    sp.add_argument("--host", help="default 127.0.0.1; other hosts require ASSISTANT_AUTH_*")
    sp.add_argument("--port", type=int)
    sp.set_defaults(func=cmd_serve)

    sp = with_index(sub.add_parser("eval", help="measure retrieval and answer quality"))
    sp.add_argument("--questions", help="JSONL question set (default: eval/questions.jsonl)")
    sp.add_argument("--baseline", help="baseline JSON to compare with (default: eval/baseline.json)")
    sp.add_argument("--out", help="folder for summary.json and report.md (default: eval/report)")
    sp.add_argument("--retrieval-only", action="store_true",
                    help="skip the LLM: retrieval metrics only (fast)")
    sp.add_argument("--split", choices=["dev", "test", "all"], default="all", help="which half to run")
    sp.add_argument("--archive", metavar="FILE", help="article export the questions are about: its index "
                    "(with data/sample) is built if missing, cached under the cache folder unless --index")
    sp.add_argument("--archive-sample", type=int, metavar="N",
                    help="index only the archive records the questions cite and N others (picked by "
                         "a hash of their ids; cached): a quicker retrieval gate than the whole archive")
    sp.add_argument("--also-profiles", default="", metavar="P,Q",
                    help="also score each model reply under these check profiles (strict, "
                         "standard, off), with no extra model calls")
    sp.add_argument("--replay", metavar="FOLDER",
                    help="no model, no index: re-run the answer checks on the replies a run logged "
                         "in FOLDER (its --out) and score them (report in FOLDER/replay)")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_eval)

    sp = with_index(sub.add_parser("list", help="what the index holds: files, issues, dates"))
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_list)

    sp = with_index(sub.add_parser("remove", help="take files or an issue out of the index"))
    sp.add_argument("files", nargs="*", metavar="FILE", help="as `assistant list` shows them")
    sp.add_argument("--issue", help="remove every article of this issue")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_remove)

    sp = sub.add_parser("bench", help="speed and memory at archive scale")
    sp.add_argument("--chunks", type=int, default=100_000)
    sp.add_argument("--ingest", action="store_true",
                    help="ingest speed instead: an article export at 1x and 2x, new vs old saving")
    sp.add_argument("--archive", default="../shared/archive-dev/articles.jsonl",
                    help="the export --ingest imports (default: the development archive)")
    sp.add_argument("--limit", type=int, help="with --ingest: only the first N records (1x)")
    sp.add_argument("--api-load", action="store_true",
                    help="a load run instead: concurrent users asking through the HTTP API")
    sp.add_argument("--users", type=int, default=8, help="--api-load: concurrent users")
    sp.add_argument("--seconds", type=float, default=60, help="--api-load: how long")
    sp.add_argument("--answers", action="store_true",
                    help="answer speed instead: time to evidence, first token, answer; idle, busy, 4 users")
    sp.add_argument("--questions", type=int, default=20, help="--answers: how many test-half questions")
    sp.add_argument("--designs", default="current,wheel,previous",
                    help="--answers: current,wheel,fixed,previous (bench/answers.py)")
    sp.add_argument("--conditions", default="idle,busy,users4", help="--answers: idle,busy,users4")
    sp.add_argument("--threads", help="compare llama.cpp thread settings instead, e.g. auto,1,2,1/2 "
                    "(generating/reading the prompt; auto: follow the machine's load)")
    sp.add_argument("--json", action="store_true")
    sp.set_defaults(func=cmd_bench)

    sp = with_index(sub.add_parser("feedback", help="answers users rated: list, or export as "
                                                    "draft eval questions"))
    sp.add_argument("action", choices=["list", "export"])
    sp.add_argument("--out", help="export: JSONL file (default: stdout)")
    sp.add_argument("--only", choices=["up", "down"], help="only answers rated up or down")
    sp.add_argument("--json", action="store_true", help="list: one JSON object per line")
    sp.set_defaults(func=cmd_feedback)

    sp = sub.add_parser("models", help="fetch (pull) or show (list) the offline models, or build "
                        "llama.cpp's server for this CPU (build-server)")
    sp.add_argument("action", choices=["pull", "list", "build-server"])
    sp.set_defaults(func=cmd_models)

    sp = sub.add_parser("llm", help="run the local llama.cpp server on its own")
    sp.add_argument("action", choices=["serve"])
    sp.add_argument("--port", type=int, default=8080)
    sp.set_defaults(func=cmd_llm)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except AssistantError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `assistant inspect ... | head`
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
