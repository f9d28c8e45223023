"""Search: chunks and questions in, ranked passages out.

In:  `records.Chunk`s to index, or a question (with optional filters).
Out: embeddings (embed, onnxembed), BM25 tokens and glossary expansion (lexical), the on-disk
     index of vectors, BM25 and chunks (store), and `records.Hit`s fused by reciprocal rank
     (retrieve).
"""
