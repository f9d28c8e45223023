"""STUB (to be replaced by the retrieval work): dense + BM25 retrieval fused by RRF.

Contract:
    @dataclass
    class Filters: date_from: str | None = None; date_to: str | None = None;
                   issue: str | None = None; section: str | None = None
    class Retriever:
        def __init__(self, index: Index, embedder: Embedder, settings: Settings)
        def search(self, question: str, k: int | None = None, filters: Filters | None = None,
                   mode: Literal["hybrid", "dense", "bm25"] = "hybrid") -> list[Hit]
    def search_command(questions: list[str], settings: Settings, as_json: bool, mode: str) -> int
"""
