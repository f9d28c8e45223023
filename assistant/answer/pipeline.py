"""Question -> cited Answer: the one answering function behind the CLI, the chat UI and the eval.

In:  a question (plus chat history and optional Filters), Settings, a Retriever (or the index).
Out: `Answerer.stream()` yields a records.Evidence (the best source sentences, shown before the
     model answers), records.Queued while the question waits for the model, the model's text
     deltas (a draft), then exactly one records.Answer; `Answerer.ask()` returns the Answer.
Steps: check the question -> a follow-up is searched with the earlier questions (or, with
Settings.condense_followups, rewritten by the model) -> retrieve, steered by the time the
question names (search/retrieve.py: "2024年", "去年", "第1300期") and, when the passages lack a
year or an ordinal ("the 21st team") it names, by a deeper search for passages that have it
(dated.py) -> refuse without calling the model when nothing is relevant enough or no passage,
even then, mentions that year or ordinal -> yield the evidence -> wait for a turn at the model
(queueing.py) -> stream the LLM's reply over windows of the passages (windows.py): the source
sentences it relies on, quoted, then the answer, [n] renumbered as they stream -> locate its
quotes in the sources and cite the sources they are in -> run the checks of the profile
(Settings.answer_checks: strict, standard or off; checks/) and withhold (refuse, giving the
reason) an answer that fails one; with Settings.model_check, strict also asks the model whether
the quoted sentences alone answer, and withholds on a No -> on any endpoint failure, or a reply
with no words, an extractive answer with a notice. Answer.checks names the profile.
Answer.notice: the retriever's note ("no issue from 2022 in the archive") or the years of an
undated recurring event (dated.time_notice). A UI replaces the streamed draft with Answer.text.
Not handled here: LangChain and HTTP (chain.py), the endpoint and the local server (endpoint.py,
local_server.py), whether a question is taken and its passages worth the model (admission.py),
the prompt's sources (prompting.py, windows.py), the queue (queueing.py), citations
(citations.py), refusal markers (refusal.py), the checks (checks/), the extractive fallback
(fallback.py), reading the reply's quotes (quotes.py), printing (cli/).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence

from assistant.answer import chain, dated
from assistant.answer.admission import check_question, is_relevant
from assistant.answer.checks import ASKS_MODEL, PROFILES, repetition, run_checks
from assistant.answer.citations import CITE, CitationMapper, cited_numbers, has_words
from assistant.answer.endpoint import Endpoint, is_healthy, remote_endpoint
from assistant.answer.fallback import extractive_answer, fallback_answer, notices
from assistant.answer.local_server import SharedServer
from assistant.answer.prompting import LANGUAGE_NAME, format_sources, language
from assistant.answer.queueing import ModelQueue
from assistant.answer.quotes import (
    MIN_QUOTE_SHARE,
    best_source,
    locate_quote,
    quote_text,
    repair_answer,
    split_reply,
)
from assistant.answer.refusal import REFUSAL, is_refusal, may_become_refusal
from assistant.config import Settings
from assistant.errors import AssistantError, EndpointError, ModelError
from assistant.records import Answer, Evidence, Hit, Queued
from assistant.search.lexical import expand

log = logging.getLogger(__name__)


class Answerer:
    """Holds the retriever and the endpoint (starting the local server on first use) across
    questions; safe to share between threads (the chat UI's sessions do).
    `also_profiles`: check profiles (checks/) besides Settings.checks_profile under which each
    model reply is checked too, without asking the model again; the results go to
    Answer.alternatives, for the evaluation to compare profiles on the same replies."""

    def __init__(self, settings: Settings, retriever=None,
                 also_profiles: Sequence[str] = ()) -> None:
        self.settings = settings
        if unknown := set(also_profiles) - set(PROFILES):
            raise AssistantError(f"unknown check profile(s) {', '.join(sorted(unknown))}; "
                                 f"known: {', '.join(PROFILES)}")
        self.also_profiles = [p for p in also_profiles if p != settings.checks_profile]
        self._retriever = retriever
        self._local = SharedServer(settings)
        self._queue = ModelQueue(settings.llm_parallel)

    @property
    def retriever(self):
        if self._retriever is None:
            from assistant.search.retrieve import (
                open_retriever,  # loads torch and faiss: only when needed
            )
            self._retriever = open_retriever(self.settings)
        return self._retriever

    def endpoint(self) -> Endpoint:
        """The configured endpoint, checked healthy; starts (or restarts) the local server."""
        s = self.settings
        if s.llm_base_url:
            endpoint = remote_endpoint(s)
            if not is_healthy(endpoint.base_url, min(5.0, s.llm_timeout), endpoint.api_key):
                raise EndpointError(f"LLM endpoint {endpoint.shown} is unreachable")
            return endpoint
        return self._local.endpoint()

    def start_model(self) -> None:
        """Start every local server a question may be given to now, not at a user's question
        (for a benchmark); nothing for another endpoint."""
        if not self.settings.llm_base_url:
            self._local.start_all()

    def close(self) -> None:
        self._local.close()

    def ask(self, question: str, history: Sequence[tuple[str, str]] = (), filters=None) -> Answer:
        *_, answer = self.stream(question, history, filters)
        return answer

    def stream(self, question: str, history: Sequence[tuple[str, str]] = (),
               filters=None) -> Iterator[str | Answer]:
        t0 = time.monotonic()
        question = check_question(question, self.settings)
        lang = language(question)
        timings: dict[str, float] = {}
        tokens: dict[str, int] = {}  # prompt and generated tokens of the model calls
        asked, query = self._condense(question, list(history), timings, tokens)
        t = time.monotonic()
        s = self.settings
        found = self.retriever.retrieve(query, k=s.top_k, filters=filters)
        hits = dated.steer(self.retriever, query, asked, found, filters, s.top_k, s.candidates)
        timings["retrieve"] = round(time.monotonic() - t, 3)
        notice = dated.time_notice(asked, hits, found, filters, lang)
        unnamed = dated.named_but_missing(asked, hits, found)
        if not is_relevant(hits, self.settings) or unnamed:
            flags = [f"no source mentions {', '.join(unnamed)}"] if unnamed else []
            yield REFUSAL[lang]
            yield self._done(Answer(question, REFUSAL[lang], [], refused=True, flags=flags,
                                    notice=found.note), timings, t0, tokens)
            return
        yield Evidence(*extractive_answer(query, hits, max_sentences=3))
        timings["evidence"] = round(time.monotonic() - t0, 3)
        ticket = self._queue.ticket()
        try:
            t = time.monotonic()
            for ahead in ticket.waiting():
                yield Queued(ahead)
            if ahead_time := round(time.monotonic() - t, 3):
                timings["queue"] = ahead_time
            for out in self._answer(question, asked, hits, lang, history, timings, tokens, notice):
                yield self._done(out, timings, t0, tokens) if isinstance(out, Answer) else out
        finally:
            ticket.leave()

    def _answer(self, question: str, asked: str, hits: list[Hit], lang: str,
                history: Sequence[tuple[str, str]], timings: dict[str, float],
                tokens: dict[str, int], notice: str | None) -> Iterator[str | Answer]:
        """The model's checked answer over `hits` (stream()'s part after the queue): deltas, then
        one Answer (not yet _done); the extractive fallback when the endpoint fails."""
        try:
            endpoint = self.endpoint()
            if endpoint.threads:
                tokens["threads"] = endpoint.threads
            for out in self._reply(endpoint, question, asked, hits, lang,
                                   [q for q, _ in history], timings, tokens):
                if isinstance(out, Answer):
                    answer = out
                else:
                    yield out
        except (EndpointError, ModelError) as e:
            yield fallback_answer(question, hits, lang, str(e), notice)
            return
        for a in [answer, *answer.alternatives.values()]:
            a.model, a.notice = endpoint.model, notices(notice, a.notice)
        yield answer

    def _reply(self, endpoint: Endpoint, question: str, asked: str, hits: list[Hit], lang: str,
               earlier: list[str], timings: dict[str, float],
               tokens: dict[str, int]) -> Iterator[str | Answer]:
        """One model reply over `hits`: its text deltas ([n] renumbered as they stream), then its
        checked Answer (_final). EndpointError/ModelError when the endpoint fails or the reply has
        no words."""
        t = time.monotonic()
        mapper, raw, shown = CitationMapper(len(hits)), "", []
        sources = format_sources(hits, expand(asked, self.settings.glossary_path),
                                 self.settings.passage_chars, self.settings.later_passage_chars)
        for delta in chain.stream_answer(endpoint, self.settings, asked, sources,
                                         LANGUAGE_NAME[lang], earlier, usage=tokens):
            if not raw:
                timings.setdefault("first_token", round(time.monotonic() - t, 3))
            raw += delta
            if not shown and may_become_refusal(raw):
                continue  # hold back what may be the refusal marker: never show it
            out = mapper.feed(delta if shown else raw)
            shown.append(out)
            if out:
                yield out
        timings["generate"] = round(timings.get("generate", 0.0) + time.monotonic() - t, 3)

        def confirm(sentences: list[str]) -> bool:
            t = time.monotonic()
            try:
                return chain.answers_question(endpoint, self.settings, asked, sentences, tokens)
            finally:
                timings["check"] = round(time.monotonic() - t, 3)

        answer = self.checked(question, raw, hits, lang, confirm)
        answer.alternatives = {p: self.checked(question, raw, hits, lang, confirm, p)
                               for p in self.also_profiles}
        yield answer

    def checked(self, question: str, raw: str, hits: list[Hit], lang: str,
                confirm: Callable[[list[str]], bool] | None = None,
                profile: str | None = None) -> Answer:
        """The Answer that the model's whole reply `raw` over `hits` gives, checked under `profile`
        (default Settings.checks_profile): the model's refusal, or _final's checked answer; it
        keeps the reply and the passages (Answer.model_reply, .passages) for the evaluation's
        replay. EndpointError when the reply gives source numbers but no words."""
        if is_refusal(raw):
            answer = Answer(question, REFUSAL[lang], [], refused=True, checks=profile or "")
        else:
            quotes, reply = split_reply(raw)
            if not has_words(reply):  # e.g. "[1] [2] [3]"
                raise EndpointError("it gave source numbers but no answer")
            answer = self._final(question, quotes, reply, hits, lang, confirm, profile)
        answer.model_reply, answer.passages = raw, list(hits)
        return answer

    def _condense(self, question: str, history: list[tuple[str, str]],
                  timings: dict[str, float], tokens: dict[str, int]) -> tuple[str, str]:
        """(the question to answer, the search query). A follow-up is searched for together with
        the previous questions, which name what its "他们" refers to (the answering prompt lists
        them too). With Settings.condense_followups it is first rewritten by the model as a
        standalone question; when that fails or changes nothing ("他们一行共有多少人？" often comes
        back as is from a small model), it is answered as asked and searched for together with
        the previous questions, which name what "他们" refers to."""
        if not history:
            return question, question
        if not self.settings.condense_followups:
            return question, " ".join([q for q, _ in history[-2:]] + [question])
        t = time.monotonic()
        try:
            standalone = chain.condense(self.endpoint(), self.settings, question, history, tokens)
        except (EndpointError, ModelError):
            standalone = question
        timings["condense"] = round(time.monotonic() - t, 3)
        if standalone.split() != question.split():
            return standalone, standalone
        return question, " ".join([q for q, _ in history[-2:]] + [question])

    def _final(self, question: str, quotes: list[str], reply: str, hits: list[Hit], lang: str,
               confirm: Callable[[list[str]], bool] | None = None,
               profile: str | None = None) -> Answer:
        """The checked answer from the model's reply (`quotes` are its Quote lines).
        The quotes are located in the sources: the answer cites the sources they are in (a
        misnumbered quote's [n] is corrected), characters it mis-copied from them are put
        right and its numbers written as the cited sources write them (a dropped 万 or 亿, digits
        turned into a Chinese numeral). Then the checks of the profile (Settings.checks_profile, checks/) run: a failed
        check withholds the answer, i.e. refuses with the check's reason flagged; in the strict
        profile an answer that only repeats the question is replaced by its quotes, and `confirm`
        (the model asked again, shown only the quotes) withholds it on a No. Citations are then
        numbered from [1]; an uncited answer gets the source its words come from, flagged.
        `profile`: another profile than Settings.checks_profile (Answerer.also_profiles)."""
        profile, said = profile or self.settings.checks_profile, reply

        def withheld(reason: str) -> Answer:  # the withheld text is logged, never shown
            log.info("withheld the model's answer %r: %s", said[:300], reason)
            return Answer(question, REFUSAL[lang], [], refused=True, checks=profile,
                          flags=[f"the model's answer was withheld: {reason}"])

        quote_is_answer = bool(quotes) and reply == "\n".join(quotes)  # a reply of Quote lines only
        located: dict[str, int] = {}  # quoted words -> the source they are in
        renumber: dict[int, int] = {}  # a quote's [n] -> the source it really is in
        for line in quotes:
            words, claimed = quote_text(line), cited_numbers(line)
            source, share = locate_quote(words, hits, prefer=claimed) if words else (0, 0.0)
            if share < MIN_QUOTE_SHARE:
                continue  # not in the sources: checks/located.py says so; never shown or cited
            located[words] = source
            if len(claimed) == 1 and claimed[0] != source:  # misnumbered by the model
                renumber.setdefault(claimed[0], source)
        reply = CITE.sub(lambda m: "".join(f"[{renumber.get(n, n)}]"
                                           for n in cited_numbers(m.group(0))), reply)
        flags = []
        if located and not quote_is_answer and repetition(profile, question, hits, reply):
            reply, quote_is_answer = "\n".join(f"“{w}” [{n}]" for w, n in located.items()), True
            flags.append("the model's answer only repeated the question: its quoted sentences "
                         "are shown as the answer")
        cited = [n for n in cited_numbers(reply) if 1 <= n <= len(hits)]
        if uncited := list(dict.fromkeys(n for n in located.values() if n not in cited)):
            reply = reply.rstrip() + " " + "".join(f"[{n}]" for n in uncited)
            cited += uncited
        reply = repair_answer(reply, [hits[n - 1].chunk.text for n in cited], lang == "en")
        if reason := run_checks(profile, question, hits, reply, quotes):
            return withheld(reason)
        if confirm and located and profile in ASKS_MODEL and self.settings.model_check:
            try:
                if not confirm(list(located)):
                    return withheld("shown only its quotes, the model said they do not answer "
                                    "the question")
            except (EndpointError, ModelError) as e:
                flags.append(f"not checked whether the quotes answer the question ({e})")
        if not cited:  # uncited: attach the source the answer's words come from, and say so
            source = best_source(reply, hits)
            if source is None:
                flags.append("no citations: the answer cites none of its sources")
            else:
                reply += f" [{source}]"
                flags.append("no citations from the model: [1] added by matching the answer's "
                             "words to the sources")
        mapper = CitationMapper(len(hits))
        text = (mapper.feed(reply) + mapper.flush()).strip()
        shown = "" if quote_is_answer else "\n".join(
            f"“{words}” {mapper.feed(f'[{source}]')}" for words, source in located.items())
        return Answer(question, text, mapper.citations(hits), flags=mapper.flags + flags,
                      quote=shown, checks=profile)

    def _done(self, answer: Answer, timings: dict[str, float], t0: float,
              tokens: dict[str, int] | None = None, notice: str | None = None) -> Answer:
        """The answer with its timings, token counts, check profile and `notice` (before any
        notice it has)."""
        total = round(time.monotonic() - t0, 3)
        for a in [answer, *answer.alternatives.values()]:
            a.checks = a.checks or self.settings.checks_profile
            a.notice = notices(notice, a.notice)
            a.timings = {**timings, "total": total}
            a.tokens = dict(tokens or {})
        return answer

