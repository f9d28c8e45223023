"""Hand-built retrieval hits from the sample page, and a stand-in retriever that returns them;
shared by test_answer.py, test_answer_quotes.py, test_citations.py and test_quotes.py; and
article_hits, hits of invented articles for the answer checks (test_checks*.py)."""

from __future__ import annotations

from assistant.answer.pipeline import Answerer
from assistant.config import Settings
from assistant.records import Chunk, Hit
from assistant.search.retrieve import Retrieval

PASSAGES = [  # (title, text, dense score) from data/sample/002_ca3652deaf3b49ce.txt
    ("4部委联合开展2026年世界献血者日宣传活动",
     "2026年6月14日是第23个世界献血者日。本次世界献血者日全国主会场活动设在湖北武汉。"
     "2026年我国世界献血者日的活动口号是:“一滴热血,一份爱心;无偿献血,挽救生命”。", 0.62),
    ("闽港深化医疗卫生合作交流",
     "6月4日下午,香港特别行政区医务卫生局局长卢宥茂一行11人到访福建省卫生健康委员会。", 0.41),
    ("省立医院荣获全国五一劳动奖状", "福州大学附属省立医院荣获全国五一劳动奖状。", 0.38),
]


def make_hits(scale: float = 1.0) -> list[Hit]:
    return [Hit(Chunk(id=f"c{i}", text=text, title=title, file="002_ca3652deaf3b49ce.txt",
                      file_sha="sha", page=1, position=i, index=0, issue="002"),
                score, score * scale, None)
            for i, (title, text, score) in enumerate(PASSAGES)]


def article_hits(*passages: tuple[str, str], dates: tuple[str | None, ...] = ()) -> list[Hit]:
    """One Hit per (headline, text), each its own article."""
    return [Hit(Chunk(id=f"c{i}", text=text, title=title, file="invented.txt", file_sha="sha",
                      page=1, position=i, index=0, date=(dates[i] if i < len(dates) else None)),
                0.5, 0.5, None)
            for i, (title, text) in enumerate(passages)]


class ListRetriever:
    """STAND-IN retriever: returns the hand-built hits that pass the filters, whatever the
    question (the real retriever has its own tests); records each question and its filters."""

    def __init__(self, hits: list[Hit]) -> None:
        self.hits, self.queries, self.filters = hits, [], []

    def search(self, question, k=None, filters=None, mode="hybrid"):
        self.queries.append(question)
        self.filters.append(filters)
        return [h for h in self.hits if filters is None or filters.allows(h.chunk)][:k]

    def retrieve(self, question, k=None, filters=None, mode="hybrid"):
        """search() as a Retrieval that read no time from the question (the real one is tested
        in test_retrieve.py and test_date_questions.py)."""
        return Retrieval(self.search(question, k, filters, mode))


def answerer(url: str, hits: list[Hit] | None = None, also_profiles: list[str] = (), **kw) -> Answerer:
    """An Answerer over the hand-built hits, asking the endpoint at `url`; the strict checks
    unless `answer_checks` says otherwise (a model named "test-model" would get "standard")."""
    kw.setdefault("answer_checks", "strict")
    settings = Settings(llm_base_url=url, llm_model="test-model", llm_max_tokens=30, **kw)
    return Answerer(settings, ListRetriever(make_hits() if hits is None else hits), also_profiles)
