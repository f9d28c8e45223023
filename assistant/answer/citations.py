"""Plain-text helpers around an answer: sources in, checked citations and fallback answers out.

In:  the question, the retrieved Hits, the model's text (whole or streamed in deltas).
Out: the language to answer in, the numbered sources block for the prompt, `[n]` citations mapped
     back to sources and renumbered in order of first use (bad numbers dropped and flagged), the
     refusal wording, the numbers of an answer that no source contains, the years and ordinals
     of a question that the sources do not mention, and an extractive answer
     (best-matching source sentences) for when the LLM fails.
Not handled here: calling the model or the retriever (answer.py, chain.py); the Quote/Answer reply
form and what the model copied from the sources (quotes.py).
"""

from __future__ import annotations

import re

from assistant.records import Citation, Hit

REFUSAL_MARKER = "NOT_IN_ARCHIVE"
REFUSAL = {"en": "The archive does not say: none of the indexed articles answers this question.",
           "zh": "档案中没有相关内容：已收录的报纸文章未回答这个问题。"}
LANGUAGE_NAME = {"en": "English", "zh": "Chinese (简体中文)"}

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")
# [1], [1, 2], [1][2], 【1】, [1-2] is not supported (rare; left as text)
CITE = re.compile(r"[\[【]\s*(\d{1,3}(?:\s*[,，、]\s*\d{1,3})*)\s*[\]】]")
PLACEHOLDER = re.compile(r"\[\s*[nN]\s*\]\s*")  # the prompt's "[n]", echoed by small models
OPEN = re.compile(r"[\[【][^\]】]{0,15}$")  # an unfinished citation at the end of a stream
# after 。！？ (and a closing quote that follows it), at line breaks, after ". "
SENTENCE_END = re.compile(r"(?<=[。！？!?][”’」』）)])|(?<=[。！？!?])(?![”’」』）)])|\n+|(?<=\.)\s+")


def language(text: str) -> str:
    """'zh' when at least 30% of the letters are Chinese characters, else 'en'."""
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    return "zh" if cjk and cjk / (cjk + latin) >= 0.3 else "en"


def format_sources(hits: list[Hit]) -> str:
    """[n] headline (and issue date), then the passage fenced in <source> tags (tags inside the
    text are defused). File names and page numbers stay out: the model only copied them."""
    blocks = []
    for n, hit in enumerate(hits, 1):
        c = hit.chunk
        label = f"{c.title}（{c.date}）" if c.date else c.title
        label, body = (t.replace("<", "‹").replace(">", "›") for t in (label, c.text))
        blocks.append(f"[{n}] {label}\n<source>\n{body}\n</source>")
    return "\n".join(blocks)


def has_words(text: str) -> bool:
    """Whether `text` says anything besides source numbers ("[1] [2]" does not)."""
    return re.search(r"\w", CITE.sub("", text)) is not None


def cited_numbers(text: str) -> list[int]:
    """The source numbers a text cites, in order, each once: "[2] … [1, 2]" -> [2, 1]."""
    found = (int(n) for m in CITE.finditer(text) for n in re.split(r"[,，、\s]+", m.group(1).strip()))
    return list(dict.fromkeys(found))


class CitationMapper:
    """Rewrites `[n]` in (streamed) model text: valid sources renumbered 1, 2… in order of first
    citation, invalid ones dropped and flagged. feed() holds back an unfinished "[1" until it closes."""

    def __init__(self, n_sources: int) -> None:
        self.n_sources = n_sources
        self.order: list[int] = []  # 1-based source numbers, in the order first cited
        self.flags: list[str] = []
        self._pending = ""

    def feed(self, delta: str) -> str:
        text = self._pending + delta
        tail = OPEN.search(text)
        cut = tail.start() if tail else len(text)
        self._pending = text[cut:]
        return CITE.sub(self._renumber, PLACEHOLDER.sub("", text[:cut]))

    def flush(self) -> str:
        text, self._pending = self._pending, ""
        return CITE.sub(self._renumber, PLACEHOLDER.sub("", text))

    def _renumber(self, match: re.Match) -> str:
        out = []
        for num in cited_numbers(match.group(0)):
            if not 1 <= num <= self.n_sources:
                self.flags.append(f"dropped citation [{num}]: there is no source {num}")
                continue
            if num not in self.order:
                self.order.append(num)
            new = f"[{self.order.index(num) + 1}]"
            if new not in out:
                out.append(new)
        return "".join(out)

    def citations(self, hits: list[Hit]) -> list[Citation]:
        return [Citation.of(hits[n - 1].chunk) for n in self.order]


# the model saying in its own words that the sources do not answer, instead of NOT_IN_ARCHIVE
_SAYS_ABSENT = re.compile(
    r"\bnot (?:provided|mentioned|stated|specified|given|available|included|found)\b"
    r"|\b(?:does|do|did)(?: not|n't) (?:say|mention|state|specify|provide|contain|include)\b"
    r"|\bno (?:information|mention|details?)\b|\bcannot be (?:found|determined)\b"
    r"|未提及|没有提及|未提到|没有提到|未说明|没有说明|未提供|没有提供|无法确定|无法回答|没有相关信息|未找到",
    re.I)


def is_refusal(text: str) -> bool:
    return REFUSAL_MARKER in text.upper().replace(" ", "_")


def says_absent(text: str) -> bool:
    """Whether the model's answer says the sources lack the answer ("is not mentioned", 未提及)."""
    return _SAYS_ABSENT.search(text) is not None


def may_become_refusal(text: str) -> bool:
    """True while the streamed text so far could still be the start of the refusal marker."""
    head = text.strip().strip("`*\"'").upper().replace(" ", "_")
    return REFUSAL_MARKER.startswith(head)


def grams(text: str) -> set[str]:
    """Character bigrams of Chinese runs plus lower-cased Latin words and numbers."""
    found = {w.lower() for w in re.findall(r"[A-Za-z]{3,}|\d+", text)}
    for run in re.findall(r"[\u3400-\u9fff]+", text):
        found.update(run[i:i + 2] for i in range(len(run) - 1))
    return found


_NUMBER = re.compile(r"(\d+(?:\.\d+)?)\s*(万|亿|thousand|million|billion)?", re.I)
_SCALE = {"万": 1e4, "亿": 1e8, "thousand": 1e3, "million": 1e6, "billion": 1e9}


def _numbers(text: str) -> list[tuple[str, str]]:
    """(number, unit word or "") pairs, citation markers and thousands separators dropped."""
    return _NUMBER.findall(re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", CITE.sub(" ", text)))


def _values(text: str) -> set[float]:
    """Each number as written and, after a unit word, as scaled (1.52亿 -> 1.52 and 1.52e8)."""
    found = set()
    for number, unit in _numbers(text):
        found.add(round(float(number), 6))
        if unit:
            found.add(round(float(number) * _SCALE[unit.lower()], 6))
    return found


_HOW_MANY = re.compile(r"\bhow (?:many|much)\b|多少|(?<!哪)几", re.I)


def lacks_asked_number(answer: str, question: str) -> bool:
    """Whether a how-many question ("how many", 多少, 几) got an answer without a number of its
    own: "20" for "the 20th team" or "一批" ("a batch") restates the question or dodges it."""
    if not _HOW_MANY.search(question):
        return False
    return not _values(answer) - _values(question)


_FILLER = frozenset("a an the of and or in on at to for by with from as is are was were be been has have "
                    "had it its this that these those they their which what who whom whose how".split())


def _content(text: str) -> set[str]:
    """Words that carry content: Latin words (plural s dropped, fillers left out), numbers and
    single Chinese characters."""
    words = {w.lower().removesuffix("s") for w in re.findall(r"[A-Za-z]+", text)} - _FILLER - {""}
    return words | set(re.findall(r"\d+", text)) | set(CJK.findall(text))


def adds_nothing(answer: str, question: str) -> bool:
    """Whether the answer only repeats words of the question: "Xinjiang and Tibet" for "which two
    regions, one in Xinjiang and one in Tibet", "The two hospitals jointly held the conference"."""
    words = _content(CITE.sub(" ", answer))
    return bool(words) and words <= _content(question)


def ungrounded_numbers(answer: str, question: str, hits: list[Hit]) -> list[str]:
    """Numbers in the answer that are in no retrieved passage, headline or issue date, nor in the
    question (unit words are converted: 8.83亿 grounds "883 million"). Chinese numerals in the
    sources (十五五, 第二十一批) are not read: such an answer number counts as ungrounded."""
    known = _values(question)
    for h in hits:
        known |= _values(f"{h.chunk.title} {h.chunk.date or ''} {h.chunk.text}")
    missing = []
    for number, unit in _numbers(answer):
        if not _values(number + unit) & known and number not in missing:
            missing.append(number)
    return missing


_ORDINAL = re.compile(r"\b(\d{1,3})(?:st|nd|rd|th)\b|第\s*(\d{1,3}|[一二三四五六七八九十两]+)",
                      re.I)
_CN_NUMERAL = re.compile(r"(?<![零〇一二三四五六七八九十两百千])"
                         r"(?:[一二三四五六七八九两]?十[一二三四五六七八九]?|[一二三四五六七八九两])")
_CN_DIGIT = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}


def _cn_value(numeral: str) -> int:
    """一 -> 1, 十五 -> 15, 二十一 -> 21 (what _CN_NUMERAL matches: 1-99)."""
    tens, ten, units = numeral.rpartition("十")
    if not ten:
        return _CN_DIGIT[units]
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[units] if units else 0)


def whole_numbers(text: str) -> set[int]:
    """Whole numbers written in digits or in Chinese numerals up to 99. A run that is no valid
    numeral counts as its longest valid start: “十四五” (the 14th Five-Year Plan) -> 14."""
    return ({int(d) for d in re.findall(r"(?<![\d.])\d+(?!\d|\.\d)", text)}
            | {_cn_value(m) for m in _CN_NUMERAL.findall(text)})


def unmentioned_ordinals(question: str, texts: list[str]) -> list[str]:
    """The ordinals the question names (“21st”, “第21批”, “第二十一批”), as written, when the texts
    mention none of them (in digits or Chinese numerals): sources about the 20th team do not
    answer a question about the 21st. [] when the question names no ordinal or one is mentioned.
    Ordinals spelled in English words ("twenty-first") are not read."""
    named: dict[int, str] = {}
    for m in _ORDINAL.finditer(question):
        digits, written = m.group(1) or m.group(2), m.group(0)
        if digits.isdigit():
            named.setdefault(int(digits), written)
        elif numeral := _CN_NUMERAL.match(digits):
            named.setdefault(_cn_value(numeral.group(0)), written)
    mentioned = set().union(*map(whole_numbers, texts)) if texts else set()
    return [] if not named or named.keys() & mentioned else list(named.values())


_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")


def passage_texts(hits: list[Hit]) -> list[str]:
    """Each hit's headline, issue date and passage: what a check of "the sources mention" reads."""
    return [f"{h.chunk.title} {h.chunk.date or ''} {h.chunk.text}" for h in hits]


def absent_years(question: str, hits: list[Hit]) -> list[str]:
    """Years the question names (1900-2099) that no retrieved passage, headline or issue date
    mentions: the sources cannot be about that year (a 2025 question over 2026 reports)."""
    years = dict.fromkeys(_YEAR.findall(question))
    text = " ".join(passage_texts(hits))
    return [y for y in years if y not in text]


def about_other(question: str, cited: list[Hit], hits: list[Hit]) -> list[str]:
    """The years, and the ordinals ("the 21st team"), the question names when the articles of the
    cited passages mention none of them: an answer about the 2026 event or the 20th team does not
    answer a question about 2024 or the 21st. An article is read in all its retrieved passages
    (the year may be in the passage before the cited one); what it says outside them is not seen.
    """
    articles = {(h.chunk.file, h.chunk.page, h.chunk.position) for h in cited}
    texts = passage_texts([h for h in hits
                           if (h.chunk.file, h.chunk.page, h.chunk.position) in articles])
    years = list(dict.fromkeys(_YEAR.findall(question)))
    text = " ".join(texts)
    return ([] if any(y in text for y in years) else years) + unmentioned_ordinals(question, texts)


def extractive_answer(question: str, hits: list[Hit], max_sentences: int = 2,
                      max_passages: int = 3) -> tuple[str, list[Citation]]:
    """The source sentences sharing most words/bigrams with the question, each quoted with [n].
    With no overlap at all (e.g. an English question over Chinese text) the top passage's lead."""
    q = grams(question)
    scored = []  # (overlap, -hit rank, -position, sentence, hit index)
    for rank, hit in enumerate(hits[:max_passages]):
        parts = [s.strip() for s in SENTENCE_END.split(hit.chunk.text) if len(s.strip()) > 5]
        for pos, sentence in enumerate(parts):
            scored.append((len(q & grams(sentence)), -rank, -pos, sentence, rank))
    if not scored:
        return "", []
    scored.sort(reverse=True)
    best = [s for s in scored if s[0] > 0][:max_sentences] or scored[:1]
    used: list[int] = []
    lines = []
    for *_, sentence, rank in best:
        if rank not in used:
            used.append(rank)
        lines.append(f"“{sentence}” [{used.index(rank) + 1}]")
    return "\n".join(lines), [Citation.of(hits[r].chunk) for r in used]
