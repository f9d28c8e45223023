"""STUB (to be replaced by the retrieval work): the on-disk index.

Contract:
    class Index:
        chunks: list[Chunk]
        @classmethod
        def load(cls, index_dir: Path, embedder: Embedder | None) -> Index
            # raises IndexError_ (missing / other model / incompatible version), message says what to do
        @classmethod
        def open(cls, index_dir: Path, embedder: Embedder) -> Index   # load, or a new empty one
        def has_sha(self, file_sha: str) -> bool
        def file_sha(self, file: str) -> str | None
        def upsert_file(self, file: str, chunks: list[Chunk]) -> None   # embeds; replaces that file's old chunks
        def save(self) -> None                                           # atomic
        def stats(self) -> dict   # {"files", "issues", "pages", "articles", "chunks"}
"""
