"""STUB (to be replaced by the retrieval work): the embedding interface.

Contract:
    class Embedder(Protocol):
        name: str          # model identity stored in the index manifest
        dim: int
        def embed(self, texts: list[str], kind: Literal["query", "document"]) -> np.ndarray
            # float32, shape (len(texts), dim), L2-normalised rows
    def load_embedder(settings: Settings) -> Embedder
"""
