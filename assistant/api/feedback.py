"""Feedback on answers (thumbs up/down, a comment) and, when turned on, the questions asked.

In: an Answer's dict (records.Answer.to_dict: question, answer, citations, flags…), the earlier
turns, a rating and comment, and the Settings in force. Out: rows in one SQLite file
(Settings.feedback_path, default <index_dir>/feedback.sqlite3) with the model, the endpoint
(without credentials), top_k and any profile setting beside them; `entries()` reads them back and
`as_eval_question()` turns one into a draft question of the eval set (eval/README.md: key facts
left empty to fill in, the cited articles as gold) so that a bad answer can become a test.
Rows of kind "feedback" are what a user gave explicitly; rows of kind "question" are written only
when Settings.log_questions is on. Each call opens its own connection (safe from any thread and
from several processes: WAL journal, a busy timeout).
Not handled here: HTTP (rest.py), the UI buttons (ui/app.py), printing (cli/show.py).
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from assistant.answer.prompting import language
from assistant.config import Settings
from assistant.errors import AssistantError
from assistant.redact import shown_url

RATINGS = ("up", "down")
SCHEMA = """CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, kind TEXT NOT NULL,
    rating TEXT, comment TEXT NOT NULL DEFAULT '', question TEXT NOT NULL,
    history TEXT NOT NULL, answer TEXT NOT NULL, citations TEXT NOT NULL, flags TEXT NOT NULL,
    refused INTEGER NOT NULL, fallback INTEGER NOT NULL, settings TEXT NOT NULL)"""


@dataclass
class Entry:
    id: int
    created: str
    kind: str  # "feedback" (given by a user) or "question" (logged, Settings.log_questions)
    rating: str | None
    comment: str
    question: str
    history: list[list[str]]  # earlier [question, answer] turns
    answer: str
    citations: list[dict[str, Any]]
    flags: list[str]
    refused: bool
    fallback: bool
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def settings_record(settings: Settings) -> dict[str, Any]:
    """What produced an answer, without secrets: model, endpoint, top_k, embedder, profiles."""
    endpoint = shown_url(settings.llm_base_url) if settings.llm_base_url else "local llama.cpp"
    record = {"model": settings.llm_model, "endpoint": endpoint, "top_k": settings.top_k,
              "embed_model": settings.embed_model, "embed_backend": settings.embed_backend}
    record |= {k: v for k, v in settings.model_dump().items() if "profile" in k and v}
    return json.loads(json.dumps(record, default=str))


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def _connect(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, timeout=30)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise AssistantError(f"{self.path}: cannot open the feedback store ({e})") from e
        return db

    def add(self, kind: str, answer: dict[str, Any], history: list[list[str]], settings: Settings,
            rating: str | None = None, comment: str = "") -> int:
        """Store one answer with its rating (None for a logged question); returns the row id."""
        if rating is not None and rating not in RATINGS:
            raise AssistantError(f"rating '{rating}': use one of {', '.join(RATINGS)}")
        row = (datetime.now(timezone.utc).isoformat(timespec="seconds"), kind, rating, comment,
               answer.get("question", ""), json.dumps(history, ensure_ascii=False),
               answer.get("answer", ""), json.dumps(answer.get("citations", []), ensure_ascii=False),
               json.dumps(answer.get("flags", []), ensure_ascii=False),
               int(bool(answer.get("refused"))), int(bool(answer.get("fallback"))),
               json.dumps(settings_record(settings), ensure_ascii=False))
        db = self._connect()
        try:
            with db:
                cur = db.execute("INSERT INTO entries (created, kind, rating, comment, question, "
                                 "history, answer, citations, flags, refused, fallback, settings) "
                                 "VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", row)
            return int(cur.lastrowid)
        finally:
            db.close()

    def set_comment(self, entry_id: int, comment: str) -> bool:
        """Add (or replace) the comment of a feedback row; False when there is no such row."""
        db = self._connect()
        try:
            with db:
                cur = db.execute("UPDATE entries SET comment = ? WHERE id = ? AND kind = 'feedback'",
                                 (comment, entry_id))
            return cur.rowcount == 1
        finally:
            db.close()

    def entries(self, kind: str = "feedback", rating: str | None = None) -> list[Entry]:
        """Stored rows of one kind, oldest first, optionally only one rating."""
        if not self.path.exists():
            return []
        db = self._connect()
        try:
            sql, args = "SELECT * FROM entries WHERE kind = ?", [kind]
            if rating:
                sql, args = sql + " AND rating = ?", args + [rating]
            rows = db.execute(sql + " ORDER BY id", args).fetchall()
        finally:
            db.close()
        return [Entry(r[0], r[1], r[2], r[3], r[4], r[5], json.loads(r[6]), r[7], json.loads(r[8]),
                      json.loads(r[9]), bool(r[10]), bool(r[11]), json.loads(r[12])) for r in rows]


def as_eval_question(entry: Entry) -> dict[str, Any]:
    """A draft eval question (evaluation/questions.py format) from a stored answer: the cited
    articles become gold (one per file and title), key facts and support are left to fill in.
    An answer without citations (a refusal) becomes an "unanswerable" draft: if the archive does
    hold the answer, change the type and add the gold article."""
    gold, seen = [], set()
    for c in entry.citations:
        key = (c.get("file"), c.get("title"))
        if key not in seen:
            seen.add(key)
            gold.append({"file": c.get("file"), "title": c.get("title"), "issue": c.get("issue"),
                         "page": c.get("page")})
    kind = "unanswerable" if not gold else "follow-up" if entry.history else "fact"
    return {"id": f"feedback-{entry.id}", "question": entry.question,
            "lang": language(entry.question), "type": kind,
            "history": [turn[0] for turn in entry.history], "key_facts": [], "gold": gold,
            "support": []}
