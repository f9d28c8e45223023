"""The data that flows through the pipeline: plain dataclasses, no behaviour beyond (de)serialising.

Page -> Article -> Chunk -> Hit -> Answer(Citation...). Every stage module takes and returns these.
Not handled here: validation of contents (the producing stage guarantees it) and any I/O.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, ClassVar

BBox = tuple[float, float, float, float]  # x0, y0, x1, y1 in PDF points, origin top-left


@dataclass
class Line:
    """One line (txt) or paragraph-line (PDF) of a page, in reading order."""

    text: str
    bbox: BBox | None = None  # None for text files
    size: float = 0.0  # font size in points; 0 when unknown (text files)


@dataclass
class Page:
    """One newspaper page as read from a file, before it is split into articles."""

    file: str  # path as given by the user, relative where possible
    page: int  # 1-based page number in the issue (catalog, PDF label, or position in the PDF)
    lines: list[Line]
    issue: str | None = None  # issue identifier, e.g. "2024-08-20" or "第1234期"; None if unknown
    date: str | None = None  # ISO date of the issue; None if unknown (never guessed)
    edition: str | None = None  # printed edition label, e.g. "第2版"
    width: float = 0.0  # page size in points (PDF only)
    height: float = 0.0


@dataclass
class Article:
    title: str
    text: str  # clean body, paragraphs separated by "\n"
    sources: list[str]
    section: str | None
    file: str
    page: int
    position: int  # 0-based order of the article on its page
    issue: str | None = None
    date: str | None = None
    bboxes: list[BBox] = field(default_factory=list)  # boxes of the body paragraphs (PDF only)
    # (paragraph text, bbox) pairs so chunks can keep only the boxes they cover; empty for txt
    paragraphs: list[tuple[str, BBox | None]] = field(default_factory=list)
    # article-level imports (JSONL/CSV exports of a content system): the record's own id, its
    # URL, and whether the title was derived from the text because the record had none
    article_id: str | None = None
    url: str | None = None
    title_derived: bool = False


@dataclass
class Chunk:
    id: str  # stable: sha of file content + article position + chunk index
    text: str
    title: str
    file: str
    file_sha: str  # sha256 of the source file's bytes: re-ingest detection
    page: int
    position: int  # article position on the page
    index: int  # chunk index within the article
    issue: str | None = None
    date: str | None = None
    section: str | None = None
    sources: list[str] = field(default_factory=list)
    bboxes: list[BBox] = field(default_factory=list)
    article_id: str | None = None  # the record id of an article-level import; None for pages
    url: str | None = None
    title_derived: bool = False  # the title was derived from the text (the record had none)

    @property
    def source(self) -> str:
        """What the index adds, replaces and removes as one unit: the file, or one record of an
        article-level export ("exports/2023.jsonl#id-17")."""
        return f"{self.file}#{self.article_id}" if self.article_id else self.file

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))  # shallow (asdict's deep copy made saving 100k chunks take 6 s)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Chunk:
        d = dict(d)
        d["bboxes"] = [tuple(b) for b in d.get("bboxes", [])]
        return cls(**d)


@dataclass
class Citation:
    issue: str | None
    date: str | None
    page: int
    title: str
    file: str
    bbox: list[BBox]  # boxes of the cited passage on its page (empty for text sources)
    text: str = ""  # the passage
    chunk_id: str = ""
    article_id: str | None = None  # article-level imports: the record id
    url: str | None = None
    title_derived: bool = False

    @classmethod
    def of(cls, chunk: Chunk) -> Citation:
        return cls(chunk.issue, chunk.date, chunk.page, chunk.title, chunk.file,
                   list(chunk.bboxes), chunk.text, chunk.id, chunk.article_id, chunk.url,
                   chunk.title_derived)

    def label(self) -> str:
        """Human form: issue · date · page · title; a title derived from the text starts with ≈."""
        parts = [self.issue or "", self.date or "", f"p.{self.page}",
                 f"≈{self.title}" if self.title_derived else self.title]
        return " · ".join(p for p in parts if p)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Hit:
    chunk: Chunk
    score: float  # fused score (higher is better)
    dense_score: float | None = None  # cosine similarity, when the dense retriever found it
    bm25_score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.chunk.text, "score": self.score,
                "dense_score": self.dense_score, "bm25_score": self.bm25_score,
                "citation": {k: v for k, v in Citation.of(self.chunk).to_dict().items() if k != "text"}}


@dataclass
class Evidence:
    """The best-matching source sentences, shown within a second of asking, before the model's
    answer (and kept on screen when the model fails): sources found, not the answer."""
    text: str  # quoted sentences, one per line, each with its [n]
    citations: list[Citation]  # in [n] order
    event: ClassVar[str] = "evidence"

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "citations": [c.to_dict() for c in self.citations]}


@dataclass
class Queued:
    """The question waits for the language model: `ahead` questions are answered before it."""
    ahead: int
    event: ClassVar[str] = "queue"

    def to_dict(self) -> dict[str, Any]:
        return {"ahead": self.ahead}


@dataclass
class Answer:
    question: str
    text: str
    citations: list[Citation]  # in [n] order: citations[0] is [1]
    refused: bool = False
    fallback: bool = False  # True when the text is the extractive fallback, not the LLM's
    notice: str | None = None  # shown to the user, e.g. "LLM endpoint unreachable: extractive answer"
    flags: list[str] = field(default_factory=list)  # citation-check findings
    quote: str = ""  # the source sentences the model quoted as its evidence, one per line, with [n]
    model: str = ""
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage
    tokens: dict[str, int] = field(default_factory=dict)  # prompt/generated tokens of model calls
    # (and "threads": the local server's generating threads, chosen by the machine's load)
    checks: str = ""  # the check profile that answered: strict, standard or off (answer/checks/)
    # the same model reply checked under other profiles (Answerer(also_profiles=...), for the
    # evaluation); empty when the model was not asked; never shown, not in to_dict()
    alternatives: dict[str, Answer] = field(default_factory=dict, repr=False)
    # what the checks read: the model's whole reply and the passages it was given (empty when the
    # model was not asked); for the evaluation to re-run the checks (evaluation/replay.py); never
    # shown, not in to_dict()
    model_reply: str = field(default="", repr=False)
    passages: list[Hit] = field(default_factory=list, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "answer": self.text,
                "citations": [c.to_dict() for c in self.citations], "refused": self.refused,
                "quote": self.quote, "fallback": self.fallback, "notice": self.notice,
                "flags": self.flags, "model": self.model, "timings": self.timings,
                "tokens": self.tokens, "checks": self.checks}
