"""Validate eval/archive/questions.jsonl against the archive; exit 1 on any problem.

Checks: schema and field types, unique ids, lang/type/split values, every gold article_id
exists in the archive (and its date matches), every support string is an exact substring of
at least one of the question's gold articles, answerable questions have gold, support and
key_facts, unanswerable questions have empty gold/support/key_facts. Prints counts by
lang x type x split.

    python eval/archive/check.py [--questions FILE] [--archive ../shared/archive-dev/articles.jsonl]
"""
import argparse
import json
import sys
from collections import Counter
from pathlib import Path

LANGS = {"zh", "en"}
TYPES = ["fact", "number", "list", "date", "multi-outlet", "unanswerable"]
SPLITS = {"dev", "test"}
FIELDS = ["id", "question", "lang", "type", "history", "key_facts", "gold", "support", "split"]


def is_fact(x):
    return (isinstance(x, str) and x) or (
        isinstance(x, list) and x and all(isinstance(a, str) and a for a in x))


def check(questions, archive):
    errors = []
    seen = set()
    for n, q in enumerate(questions, 1):
        where = f"line {n} ({q.get('id')})"
        if sorted(q) != sorted(FIELDS):
            errors.append(f"{where}: fields {sorted(q)} != {sorted(FIELDS)}")
            continue
        if q["id"] in seen:
            errors.append(f"{where}: duplicate id")
        seen.add(q["id"])
        if q["lang"] not in LANGS or q["type"] not in TYPES or q["split"] not in SPLITS:
            errors.append(f"{where}: bad lang/type/split")
        if not isinstance(q["question"], str) or not q["question"].strip():
            errors.append(f"{where}: empty question")
        if q["history"] != []:
            errors.append(f"{where}: history must be []")
        if not all(is_fact(f) for f in q["key_facts"]):
            errors.append(f"{where}: bad key_facts")
        texts = []
        for g in q["gold"]:
            a = archive.get(g.get("article_id"))
            if a is None:
                errors.append(f"{where}: unknown article {g.get('article_id')}")
                continue
            if g.get("date") != a["date"]:
                errors.append(f"{where}: date {g.get('date')} != {a['date']} for {g['article_id']}")
            texts.append(a["text"])
        if len({g.get("article_id") for g in q["gold"]}) != len(q["gold"]):
            errors.append(f"{where}: duplicate gold article")
        for s in q["support"]:
            if not any(s in t for t in texts):
                errors.append(f"{where}: support not in any gold article: {s[:40]}")
        if q["type"] == "unanswerable":
            if q["gold"] or q["support"] or q["key_facts"]:
                errors.append(f"{where}: unanswerable must have empty gold, support, key_facts")
        else:
            if not q["gold"] or not q["support"] or not q["key_facts"]:
                errors.append(f"{where}: answerable needs gold, support and key_facts")
            if q["type"] == "multi-outlet" and len(q["gold"]) < 2:
                errors.append(f"{where}: multi-outlet needs at least two gold articles")
    return errors


def main():
    here = Path(__file__).parent
    p = argparse.ArgumentParser()
    p.add_argument("--questions", default=here / "questions.jsonl", type=Path)
    p.add_argument("--archive", default=Path(__file__).resolve().parents[3] / "shared" / "archive-dev" / "articles.jsonl", type=Path)
    args = p.parse_args()
    archive = {}
    for line in args.archive.read_text(encoding="utf-8").splitlines():
        if line.strip():
            a = json.loads(line)
            archive[a["id"]] = a
    questions = [json.loads(l) for l in args.questions.read_text(encoding="utf-8").splitlines() if l.strip()]
    errors = check(questions, archive)

    c = Counter((q.get("lang"), q.get("type"), q.get("split")) for q in questions)
    print(f"{len(questions)} questions, {len(archive)} archive articles")
    print(f"{'lang':4} {'type':13} {'dev':>4} {'test':>5} {'all':>4}")
    for lang in sorted(LANGS, reverse=True):
        for t in TYPES:
            d, te = c[(lang, t, "dev")], c[(lang, t, "test")]
            print(f"{lang:4} {t:13} {d:4} {te:5} {d + te:4}")
    for key, vals in (("lang", sorted(LANGS, reverse=True)), ("type", TYPES), ("split", sorted(SPLITS))):
        tally = Counter(q.get(key) for q in questions)
        print(f"by {key}: " + ", ".join(f"{v} {tally[v]}" for v in vals))
    unans = sum(q.get("type") == "unanswerable" for q in questions)
    print(f"unanswerable share: {unans / max(len(questions), 1):.1%}; "
          f"gold articles per answerable question: "
          f"{sum(len(q['gold']) for q in questions if q.get('type') != 'unanswerable') / max(len(questions) - unans, 1):.2f}")
    for e in errors:
        print("ERROR", e)
    print("OK" if not errors else f"{len(errors)} error(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
