"""STUB (to be replaced by the answer work): question -> cited Answer.

Contract:
    class Answerer:
        def __init__(self, settings: Settings, retriever: Retriever | None = None)
        def stream(self, question: str, history: list[tuple[str, str]] = (),
                   filters: Filters | None = None) -> Iterator[str | Answer]
            # yields text deltas, then exactly one final Answer
        def ask(self, question, history=(), filters=None) -> Answer
    def ask_command(questions: list[str], settings: Settings, as_json: bool) -> int
"""
