"""An article's text -> a short title for a record that has none (article-level imports).

In: the cleaned text of an article (paragraphs separated by "\\n"). Out: a title of at most
MAX_WIDTH display columns, the way a reader would want it in a citation list. The rule:

1. Take the first paragraph and drop what a newspaper puts in front of the story itself, again
   while something matches (a general convention of Chinese news copy, not of one archive):
   - a dateline: "<agency/place> <M月D日> 电|讯|消息" ("新华社北京7月3日电", "中新网上海8月1日电")
     or "<…报|网|社|台|刊>[place] 讯|电" ("本报讯", "荆楚网（湖北日报网）讯", "据新华社电"), with the
     bracket after it ("(记者 张三)");
   - a byline in brackets that names a 记者/通讯员/作者/编辑/摄/报道 ("（记者 张三）", "【…记者 李四】");
   - "作者：…" / "来源：…" / "编辑：…" up to the next space;
   - "<place>消息：", "据…消息，", "据…报道，" ("阿姆斯特丹消息：", "据路透社报道，");
   - a leading clause that only says when: "7月3日，", "当地时间8月3日，", "11日，", "近日，";
   - the marker "原标题：": what follows is the story's own title, and nothing more is dropped;
     where an export glued that title to the story, the title ends where the story starts: at
     "近日", "日前", "8月8日，", a national wire service's name (新华社, 中新社, 中新网),
     "本报讯", or "<M月D日>电|讯".
   A prefix is dropped only when something is left after it. A paragraph that opens with an
   unbracketed byline ("某某新闻记者 张三通讯员 李四…": a 记者/通讯员/实习生/编辑/作者 followed by a
   space within the first 16 characters) runs into the story with no mark where the names end,
   so the title is taken from its second sentence.
2. Take the first sentence of what is left: up to 。！？!?…, a line break, or a space between
   two Chinese characters (exports that collapsed whitespace keep a headline and its body
   apart that way). A first sentence narrower than SHORT_WIDTH ("注意啦！", "心痛！") runs on to
   the end of the next one.
3. If it is wider than MAX_WIDTH (a Chinese character counts 2 columns, ASCII 1: ~30 Chinese
   characters or ~60 Latin letters), cut it at the last natural break that fits and leaves at
   least MIN_WIDTH columns, with quotes and brackets balanced: a clause mark (，；：,;:), a closing
   quote or bracket, or a space beside a Chinese character; failing those an enumeration comma
   (、). With no break it is cut at MAX_WIDTH (at a word boundary in Latin text) and ends in "…".
   A quote or bracket opened and never closed is cut off ("…消息（记者" -> "…消息").
4. Trailing punctuation (。，、；：,.;:!? and the like) and spaces inside quotes are removed.

Not handled here: reading records (exports.py), or titles of PDF/txt pages (split.py).
"""

from __future__ import annotations

import itertools
import re
import unicodedata

MAX_WIDTH = 60  # display columns: ~30 Chinese characters
MIN_WIDTH = 12  # a cut shorter than this (~6 Chinese characters) is not a title
SHORT_WIDTH = 16  # a first sentence narrower than this (~8 Chinese characters) runs on

_DATE = r"(?:(?:\d{4}\s*年\s*)?\d{1,2}\s*月\s*)?\d{1,2}\s*日"
_PAREN = r"(?:（[^）]{0,40}）|\([^)]{0,40}\)|【[^】]{0,40}】|\[[^\]]{0,40}\])"
_RUN = r"[^\s，。！？；,;:：（(【\[]"
_WHEN = rf"(?:当地时间)?{_DATE}(?:[上中下]午|凌晨|早上|晚上|晚间|晚)?"
_ROLE = r"(?:记者|通讯员|实习生|编辑|作者)"
_RETITLED = re.compile(r"原标题\s*[：:]")
_PREFIXES = [
    re.compile(rf"据?{_RUN}{{1,12}}?\s?{_DATE}\s*(?:电(?![视话脑影子力池商梯网器线气动源费])|讯|消息)"
               rf"\s*{_PAREN}?"),  # 新华社北京7月3日电（记者 张三）
    re.compile(rf"据?{_RUN}{{0,12}}(?:报|网|社|台|刊|新闻){_RUN}{{0,6}}?{_PAREN}?\s*(?:讯|电)\s*{_PAREN}?"),
    # 本报讯, 中国消费者报福州讯（记者 张三）, 荆楚网（湖北日报网）讯
    re.compile(r"[（(【\[][^）)】\]]{0,40}?(?:记者|通讯员|作者|编辑|摄|报道)[^）)】\]]{0,40}[）)】\]]"),
    re.compile(r"(?:作者|来源|编辑|责任编辑|文|图)\s*[：:]\s*\S{1,20}\s+"),
    re.compile(rf"(?:{_WHEN}|近日|日前|近期|昨天|今天|昨日|今日)\s*[，,]"),
    re.compile(rf"据?{_RUN}{{1,20}}?消息\s*[：:，,]"),  # 阿姆斯特丹消息：, 据…消息，
    re.compile(rf"据{_RUN}{{1,20}}?(?:报道|介绍|通报|获悉)\s*[，,]"),  # 据路透社报道，
    _RETITLED,
]
_BYLINE = re.compile(rf"[^，。！？]{{0,14}}?{_ROLE}(?:\s|[：:])")
_BODY_START = re.compile(rf"(?:近日|日前|近期|当地时间{_DATE}|(?:\d{{4}}年)?\d{{1,2}}月\d{{1,2}}日"
                         r"(?:[上中下]午|凌晨|晚间?)?)[，,]|近日|日前|新华社|中新社|中新网|本报讯"
                         rf"|{_DATE}\s*(?:电|讯)")
_STORY_START = re.compile(r"[。！？!?…]+[”’」』）)]*")
_SEPARATORS = re.compile(r"[\s，,：:]+")
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_SENTENCE = re.compile(rf"[。！？!?]|…+|\n|(?<=[{_CJK}”’」』》）])\s+(?=[{_CJK}“‘「『《（])")
_CLAUSE = set("，；：,;:”’」』》）)】")
_OPEN, _CLOSE = "“‘「『《（(【[", "”’」』》）)】]"
_TRAILING = "。，、；：,.;:!?！？·-—…~～ "


def width(text: str) -> int:
    """Display columns: wide (CJK, full-width) characters 2, others 1."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def strip_prefixes(text: str) -> str:
    """The text without its leading datelines, bylines, time clauses and 原标题 marker."""
    changed = True
    while changed:
        changed = False
        for pattern in _PREFIXES:
            m = pattern.match(text)
            rest = text[m.end():].lstrip(" \t，,：:") if m else ""
            if m and rest and not _SEPARATORS.fullmatch(rest):
                if pattern is _RETITLED:
                    return rest  # the story's own title follows: nothing more to drop
                text, changed = rest, True
    if _BYLINE.match(text) and (end := _STORY_START.search(text)) and text[end.end():].strip():
        return strip_prefixes(text[end.end():].strip())
    return text


def derive_title(text: str) -> str:
    """A title from an article's text (the rule is in the module docstring)."""
    paragraph = next((p.strip() for p in text.split("\n") if p.strip()), "")
    sentence = _first_sentence(strip_prefixes(paragraph))
    if _RETITLED.match(paragraph):
        sentence = _before_body(sentence)
    title = _trim(_balanced(sentence.rstrip(_TRAILING)))
    title = re.sub(r"(?<=[“‘「『《（(])\s+|\s+(?=[”’」』》）)])", "", title)
    return title or paragraph[:MAX_WIDTH // 2]


def _first_sentence(text: str) -> str:
    ends = list(itertools.islice(_SENTENCE.finditer(text), 2))
    if not ends:
        return text
    first = text[:ends[0].start()].strip()
    if width(first) >= SHORT_WIDTH:
        return first
    mark = ends[0].group() if ends[0].group().strip() else " "
    rest = text[ends[0].end():ends[1].start()] if len(ends) > 1 else text[ends[0].end():]
    return (first + mark + rest.strip()).strip()


def _before_body(sentence: str) -> str:
    """An own title ("原标题：…") run into its story: cut where the story starts saying when."""
    for m in _BODY_START.finditer(sentence):
        if width(sentence[:m.start()]) >= MIN_WIDTH:
            return sentence[:m.start()]
    return sentence


def _balanced(sentence: str) -> str:
    """Cut before a bracket or quote the sentence opens and never closes (a byline's "（记者")."""
    opened: list[int] = []
    for i, c in enumerate(sentence):
        if c in _OPEN:
            opened.append(i)
        elif c in _CLOSE and opened:
            opened.pop()
    if opened and width(sentence[:opened[-1]]) >= MIN_WIDTH:
        return sentence[:opened[-1]].rstrip(_TRAILING)
    return sentence


def _trim(sentence: str) -> str:
    if width(sentence) <= MAX_WIDTH:
        return sentence
    clause, comma, depth, cols = 0, 0, 0, 0
    for i, c in enumerate(sentence):
        before, cols = cols, cols + width(c)
        if cols > MAX_WIDTH:
            break
        depth += (c in _OPEN) - (c in _CLOSE)
        if depth > 0 or before < MIN_WIDTH:
            continue
        if c in _CLAUSE or _cjk_space(sentence, i):
            clause = i + (c in _CLOSE)  # keep a closing quote, drop a comma
        elif c == "、":
            comma = i
    if clause or comma:
        return sentence[:clause or comma].rstrip(_TRAILING)
    cut, cols = 0, 0
    while cut < len(sentence) and cols + width(sentence[cut]) <= MAX_WIDTH - 1:
        cols += width(sentence[cut])
        cut += 1
    head = sentence[:cut]
    if sentence[cut].isascii() and sentence[cut].isalnum() and " " in head:
        head = head[:head.rindex(" ")]  # not in the middle of a Latin word
    return head.rstrip(_TRAILING) + "…"


def _cjk_space(text: str, i: int) -> bool:
    """A space next to a Chinese character: a break (in Latin text a space is only a word gap)."""
    return text[i] == " " and bool(re.search(f"[{_CJK}]", text[max(i - 1, 0):i] + text[i + 1:i + 2]))
