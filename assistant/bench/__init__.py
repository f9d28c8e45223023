"""Bench: a chunk count in, speed and memory figures out.

In:  the number of chunks to simulate and the Settings.
Out: a synthetic archive (scalecorpus), ingest/search/PDF timings (speed), and the comparison with
     the usual LangChain stack, as a table or JSON (run).
"""
