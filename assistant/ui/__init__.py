"""UI: a browser in, answers with highlighted source pages out.

In:  questions, filters and uploaded issues from the Gradio chat.
Out: streamed answers, the cited article text and its page rendered with the passage
     highlighted (sourceview), uploaded files checked and ingested (uploads). engine.Engine holds
     the models and the index loaded once per process.
"""
