"""Evaluation: a question set and an index in, scores and a pass/fail gate out.

In:  eval/questions.jsonl (questions), the index, optionally the LLM endpoint.
Out: retrieval and answer metrics (metrics), compared with eval/baseline.json (run), written as
     summary.json, report.md and a chart (report).
"""
