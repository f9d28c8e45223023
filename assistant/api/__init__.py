"""API: the archive over HTTP, served by the same process as the chat page (`assistant serve`).

In:  JSON requests from scripts, intranet pages and OpenAI-style chat front-ends.
Out: rest.py — /api/ask (JSON or server-sent events), /api/search, /api/status, /api/feedback,
     documented at /docs; openai_compat.py — /v1/chat/completions and /v1/models; feedback.py —
     ratings (and, when turned on, questions) in SQLite, exported as draft eval questions;
     auth.py — the login rule shared with the page; server.py — uvicorn in this process.
"""
