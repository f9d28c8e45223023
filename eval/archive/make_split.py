"""Assign the dev/test split of eval/archive/questions.jsonl (run once; rewrites the file in place).

Stratified by (lang, type), seed 2026: the rule is assistant.evaluation.questions.assign_splits
(within each stratum the ids are sorted, shuffled with one random.Random(2026), strata visited in
sorted order, then alternately assigned dev, test, dev, ...). Re-running gives the same split as
long as the set of ids is unchanged. Also used once for eval/questions.jsonl.

    python eval/archive/make_split.py [path/to/questions.jsonl]
"""
import json
import sys
from pathlib import Path

from assistant.evaluation.questions import (
    assign_splits as assign,  # the rule, shared with the sample set
)


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
