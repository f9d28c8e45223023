"""Checks on an answer: the question, the answer and the Hits in; what is wrong with it out.

numbers: numbers no source contains, a how-many answer without a number of its own;
years: years and ordinals the question names that the sources (or the cited articles) do not
mention; repetition: an answer that only repeats the question's words.
Deciding what to do with a failed check is pipeline.py's business.
"""
