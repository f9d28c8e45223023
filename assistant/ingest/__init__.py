"""Ingest: newspaper files in, indexed chunks out.

In:  .txt and .pdf files or folders (plus an optional catalog.csv beside them).
Out: `records.Page`s (textpages, pdfpages, catalog) -> cleaned lines (clean) -> classified units
     (units) -> `records.Article`s (split) -> `records.Chunk`s (chunk), added to the index by
     pipeline.ingest (which skips unchanged files).
"""
