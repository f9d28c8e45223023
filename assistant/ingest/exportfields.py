"""One record of an article export (a dict of field -> value) -> its checked, normalised fields.

In: the raw record as read from a JSONL line or a CSV row (CSV values are all strings; an empty
string counts as absent). Out: a dict with the keys of FIELDS, each normalised:
  article_id str | None   `id`, else `article_id` (numbers become strings)
  title      str          `title` ("" when absent)
  text       str          `text`, else `body`, else `content`; required. Whitespace normalised:
                          runs of spaces/tabs/ideographic spaces -> one space, line breaks kept
                          as "\\n" between non-empty paragraphs. A JSON list of paragraphs is joined.
  date       str | None   ISO YYYY-MM-DD from YYYY-MM-DD, YYYY/MM/DD, YYYY年M月D日 or an ISO
                          datetime (its date as written, not converted to another time zone)
  issue, section, url  str | None
  page       int          >= 1; 1 when absent
  sources    list[str]    `source` then `author`, each a string or a list of strings; duplicates once
Raises RecordProblem (a short message naming the field) for a missing text, a bad date or page,
or a value of the wrong kind (an object where text is expected). Unknown fields are ignored.
Not handled here: ids derived from the text, titles derived from the text (exports.py, titles.py).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

FIELDS = ("article_id", "title", "text", "date", "issue", "page", "section", "sources", "url")
TEXT_FIELDS = ("text", "body", "content")
_DATE_FORMS = [re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"), re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
               re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")]


class RecordProblem(ValueError):
    """What is wrong with one record, in a few words (the caller adds file and line)."""


def normalise(raw: dict[str, Any]) -> dict[str, Any]:
    text = clean_text(_first(raw, TEXT_FIELDS, paragraphs=True) or "")
    if not text:
        raise RecordProblem("no text (give `text` or `body`)")
    return {
        "article_id": _first(raw, ("id", "article_id")),
        "title": clean_text(_first(raw, ("title",)) or "").replace("\n", " "),
        "text": text,
        "date": parse_date(_first(raw, ("date",))),
        "issue": _first(raw, ("issue",)),
        "page": _page(raw.get("page")),
        "section": _first(raw, ("section",)),
        "sources": _sources(raw),
        "url": _first(raw, ("url",)),
    }


def clean_text(text: str) -> str:
    """Whitespace runs -> one space within a line; blank lines dropped; paragraphs joined by \\n."""
    lines = (re.sub(r"[^\S\n]+", " ", line).strip() for line in re.split(r"\r\n|\r|\n", text))
    return "\n".join(line for line in lines if line)


def parse_date(value: str | None) -> str | None:
    """An accepted date form -> YYYY-MM-DD; None stays None; anything else is a RecordProblem."""
    if value is None:
        return None
    try:
        for form in _DATE_FORMS:
            if m := form.fullmatch(value):
                return date(int(m[1]), int(m[2]), int(m[3])).isoformat()
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*", value):
            return datetime.fromisoformat(value).date().isoformat()
    except ValueError:  # no such day (2023-02-30), or a malformed time
        pass
    raise RecordProblem(f"date must be YYYY-MM-DD, YYYY/MM/DD, YYYY年M月D日 or an ISO datetime, "
                        f"got {value!r}")


def _first(raw: dict[str, Any], names: tuple[str, ...], paragraphs: bool = False) -> str | None:
    """The first of the named fields with a value, as a stripped string (None when none has one)."""
    for name in names:
        value = raw.get(name)
        if paragraphs and isinstance(value, list) and all(isinstance(v, str) for v in value):
            value = "\n".join(value)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise RecordProblem(f"`{name}` must be text, got {type(value).__name__}")
        return str(value).strip()
    return None


def _page(value: Any) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        return 1
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RecordProblem(f"page must be a whole number from 1, got {value!r}")
    return value


def _sources(raw: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for name in ("source", "author"):
        value = raw.get(name)
        items = value if isinstance(value, list) else [value]
        for item in items:
            if item is None or isinstance(item, str) and not item.strip():
                continue
            if not isinstance(item, str):
                raise RecordProblem(f"`{name}` must be text or a list of texts, got "
                                    f"{type(item).__name__}")
            found.append(clean_text(item).replace("\n", " "))
    return list(dict.fromkeys(found))
