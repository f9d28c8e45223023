"""Answer: a question and retrieved passages in, a checked answer with citations out.

In:  the question, `records.Hit`s from search, an OpenAI-compatible endpoint.
Out: `records.Answer` (text, citations, quotes, flags): the prompt and its numbered sources, the
     model's reply (chain, the only LangChain module), its quotes located in the sources (quotes),
     citations mapped back to sources, the checks in checks/ (run by profile: strict, standard,
     off), refusals and the extractive fallback; pipeline.Answerer ties them together.
"""
