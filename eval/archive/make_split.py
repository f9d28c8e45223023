"""Assign the dev/test split of eval/archive/questions.jsonl (run once; rewrites the file in place).

Stratified by (lang, type): within each stratum the ids are sorted, shuffled with
random.Random(2026) (one generator, strata visited in sorted order), then alternately
assigned dev, test, dev, ... so each half holds about half of every stratum.
Re-running gives the same split as long as the set of ids is unchanged.

    python eval/archive/make_split.py [path/to/questions.jsonl]
"""
import json
import random
import sys
from collections import defaultdict
from pathlib import Path

SEED = 2026


def assign(rows):
    strata = defaultdict(list)
    for r in rows:
        strata[(r["lang"], r["type"])].append(r["id"])
    rng = random.Random(SEED)
    split = {}
    for key in sorted(strata):
        ids = sorted(strata[key])
        rng.shuffle(ids)
        for i, qid in enumerate(ids):
            split[qid] = "dev" if i % 2 == 0 else "test"
    return split


def main(path):
    rows = [json.loads(l) for l in path.read_text(encoding="utf-8").splitlines() if l.strip()]
    split = assign(rows)
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            r["split"] = split[r["id"]]
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    n_dev = sum(v == "dev" for v in split.values())
    print(f"{path}: {len(rows)} questions, dev {n_dev}, test {len(rows) - n_dev}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).with_name("questions.jsonl"))
