"""A question set for `assistant eval`: JSONL lines in, checked Question records out.

In: a JSONL file, one object a line with id, question, lang ("en"|"zh"), type (fact, number, list,
multi-article, follow-up, unanswerable), history (earlier user questions), key_facts, gold
(articles: file, title, issue, page), support (exact passages), and for list questions
list_members / list_distractors. Key facts and list items are strings or lists of alternatives.
Out: [Question]; InputFileError naming the file and line for anything malformed.
Not handled here: whether the gold files are indexed (run.py checks), scoring (metrics.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.errors import InputFileError
from assistant.evaluation import metrics as m

TYPES = ("fact", "number", "list", "multi-article", "follow-up", "unanswerable")

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

    @property
    def gold_keys(self) -> set[m.ArticleKey]:
        return {m.article_key(g["file"], g["title"]) for g in self.gold}

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable"

    @property
    def query(self) -> str:
        return " ".join([*self.history, self.question])


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
        problem = ("lang must be en or zh" if q.lang not in ("en", "zh") else
                   f"type must be one of {', '.join(TYPES)}" if q.type not in TYPES else
                   "an answerable question needs gold articles" if q.answerable and not q.gold else
                   "an unanswerable question must have no gold articles" if q.gold and not q.answerable else
                   "a list question needs list_members" if q.type == "list" and not q.list_members else
                   "gold entries need file and title" if any(not isinstance(g, dict) or {"file", "title"} - g.keys()
                                                             for g in q.gold)
                   else None)
        if problem:
            raise InputFileError(str(path), f"line {n} ({q.id}): {problem}")
        questions.append(q)
    if not questions:
        raise InputFileError(str(path), "no questions")
    return questions


def questions_sha(path: Path) -> str:
    """Identity of a question set: a baseline is only compared with runs on the same set."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
