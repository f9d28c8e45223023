"""A question set for `assistant eval`: JSONL lines in, checked Question records out.

In: a JSONL file, one object a line with id, question, lang ("en"|"zh"), type (TYPES), history
(earlier user questions), key_facts, gold, support (exact passages), split ("dev"|"test", optional),
and for list questions list_members / list_distractors (an archive list question gives its items
as key_facts instead). Key facts and list items are strings or lists of alternatives.
Gold comes in two forms: page articles `{"file", "title", "issue", "page"}` (each one needed: a
two-article question has two gold groups) and archive records `{"article_id", "date"}` (all of a
question's records form one group: any outlet that reported the story is the right article).
Out: [Question]; InputFileError naming the file and line for anything malformed; the split
assignment (assign_splits) and a set's identity (questions_sha, blind to the split field).
Not handled here: whether the gold articles are indexed (corpus.py checks), scoring (metrics.py).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import InputFileError
from assistant.evaluation import metrics as m

TYPES = ("fact", "number", "list", "date", "multi-article", "multi-outlet", "follow-up", "unanswerable")
SPLITS = ("dev", "test")
SPLIT_SEED = 2026


@dataclass
class Question:
    id: str
    question: str
    lang: str
    type: str
    history: list[str] = field(default_factory=list)
    key_facts: list[Any] = field(default_factory=list)
    gold: list[dict[str, Any]] = field(default_factory=list)
    support: list[str] = field(default_factory=list)
    list_members: list[Any] = field(default_factory=list)
    list_distractors: list[Any] = field(default_factory=list)
    split: str | None = None

    @property
    def gold_groups(self) -> list[frozenset[m.ArticleKey]]:
        """Page articles one group each; all archive records together one group."""
        pages = [frozenset({m.article_key(g["file"], g["title"])}) for g in self.gold if "article_id" not in g]
        records = frozenset(m.article_key("", "", g["article_id"]) for g in self.gold if "article_id" in g)
        return pages + ([records] if records else [])

    @property
    def gold_ids(self) -> set[str]:
        return {g["article_id"] for g in self.gold if "article_id" in g}

    @property
    def gold_files(self) -> set[str]:
        return {Path(g["file"]).name for g in self.gold if "article_id" not in g}

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"

    @property
    def members(self) -> list[Any]:
        """The items a list answer must name: list_members, or the key facts of an archive list."""
        return (self.list_members or self.key_facts) if self.type == "list" else []

    @property
    def query(self) -> str:
        return " ".join([*self.history, self.question])


def _bad_gold(g: Any) -> bool:
    if not isinstance(g, dict):
        return True
    if "article_id" in g:
        return not isinstance(g["article_id"], str) or not g["article_id"]
    return bool({"file", "title"} - g.keys())


def _problem(q: Question) -> str | None:
    return ("lang must be en or zh" if q.lang not in ("en", "zh") else
            f"type must be one of {', '.join(TYPES)}" if q.type not in TYPES else
            f"split must be one of {', '.join(SPLITS)}" if q.split is not None and q.split not in SPLITS else
            "an answerable question needs gold articles" if q.answerable and not q.gold else
            "an unanswerable question must have no gold articles" if q.gold and not q.answerable else
            "a list question needs list_members or key_facts" if q.type == "list" and not q.members else
            "gold entries need article_id, or file and title" if any(_bad_gold(g) for g in q.gold)
            else None)


def load_questions(path: Path) -> list[Question]:
    """Parse and check a JSONL question set; InputFileError names the file and line."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputFileError(str(path), f"cannot read the question set ({e.__class__.__name__})") from e
    questions: list[Question] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            q = Question(**json.loads(line))
        except (json.JSONDecodeError, TypeError) as e:
            raise InputFileError(str(path), f"line {n}: not a question record ({e})") from e
        problem = _problem(q)
        if problem:
            raise InputFileError(str(path), f"line {n} ({q.id}): {problem}")
        questions.append(q)
    if not questions:
        raise InputFileError(str(path), "no questions")
    return questions


def select(questions: list[Question], split: str, path: Path) -> list[Question]:
    """The questions of one half ("dev", "test"), or all of them ("all")."""
    if split == "all":
        return questions
    chosen = [q for q in questions if q.split == split]
    if not chosen:
        raise InputFileError(str(path), f"no questions with split {split!r}")
    return chosen


def assign_splits(rows: list[dict[str, Any]], seed: int = SPLIT_SEED) -> dict[str, str]:
    """id -> "dev"|"test", stratified by (lang, type): within each stratum the ids are sorted,
    shuffled with one random.Random(seed) (strata visited in sorted order), then assigned dev,
    test, dev, ... so each half holds about half of every stratum. The same ids give the same split."""
    strata: dict[tuple[str, str], list[str]] = defaultdict(list)
    for r in rows:
        strata[(r["lang"], r["type"])].append(r["id"])
    rng = random.Random(seed)
    split = {}
    for key in sorted(strata):
        ids = sorted(strata[key])
        rng.shuffle(ids)
        for i, qid in enumerate(ids):
            split[qid] = SPLITS[i % 2]
    return split


def questions_sha(path: Path) -> str:
    """Identity of a question set: a baseline is only compared with runs on the same questions.
    The `split` field is left out (each line re-serialised without it), so assigning halves to a
    set does not change its identity."""
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            row.pop("split", None)
            lines.append(json.dumps(row, ensure_ascii=False) + "\n")
    return hashlib.sha256("".join(lines).encode()).hexdigest()[:16]
