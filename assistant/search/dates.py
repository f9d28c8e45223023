"""The time a question names -> the issues to search: a date range, an issue number, or "newest".

In:  a question (Chinese or English) and a reference date. Out: a `TimeScope` (or None when the
question names no time): an inclusive ISO date range and/or an issue number, the years it is
about, and a label for notes ("2024", "2023-07", "issue 1300", "last month (2025-07)").
Read: years ("2024年", "in 2024", "2023年上半年"), months ("2023年7月", "July 2023", "2023-07"),
dates ("2023年7月3日", "July 3, 2023", "2023-07-03", "7月3日" without a year), issue numbers
("第1300期", "issue 1300", "No. 1300"), relative times (今年/去年/前年, 本月/上个月, 本周/上周,
近一周/近30天/近三个月/近半年, "this year", "last month", "past week", "in the last 3 months"),
the newest issue ("最近一期", "最新一期", "本期", "the latest issue") and "newest" alone
("最新", "最近", "latest", "most recent", "recently": `newest=True`, no range: the retriever
prefers the newest year among the relevant passages rather than the newest issue, since
"the latest Physicians' Day" need not be in the last issue printed).
Relative times are relative to the reference date, which the retriever sets to the NEWEST ISSUE
DATE IN THE INDEX, not the wall clock: an archive's "latest" is its newest issue, and "last year"
in an archive that ends in 2025 means 2024, whenever the question is asked (an archive is not a
live feed; a wall-clock "last year" would find nothing in any archive older than a year). Tests
pass an explicit reference date. A day named without a year is the most recent such day on or
before the reference (its year is a guess: it is not among the scope's `years`).
A day or a month names the issues AROUND it: newspapers report an event in the days before and
after it, so a day widens to a week either side and a month to the month plus its next week
(WINDOW_DAYS). A year is the calendar year.
Not handled: seasons and holidays ("春节期间", "Christmas"), Chinese-numeral years ("二〇二四年"),
week numbers, and searching (retrieve.py applies the scope).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

WINDOW_DAYS = 7
MONTHS = {m: i for i, m in enumerate(
    ("january", "february", "march", "april", "may", "june", "july", "august", "september",
     "october", "november", "december"), 1)}
_MON = r"\b(?P<mon>jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|" \
       r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
_CN_DIGITS = {"一": 1, "两": 2, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8,
              "九": 9, "十": 10, "半": 0.5}
_UNITS_AFTER = r"(?!\s*(?:万|亿|千|百|元|人|名|个|例|家|所|台|张|次|份|余|多|%|％|" \
               r"(?:people|persons|patients|yuan|beds|cases|doctors|members|staff|times)\b))"
YEAR = re.compile(r"(?<!\d)(?<!\d[.,])((?:19|20)\d{2})(?!\d|[.,]\d)" + _UNITS_AFTER, re.IGNORECASE)
_Y = r"(?<!\d)(?P<y>(?:19|20)\d{2})"

_EXPLICIT = [  # (pattern, kind) in the order they are tried; a matched span is not read again
    (rf"{_Y}\s*[年/.-]\s*(?P<m>\d{{1,2}})\s*[月/.-]\s*(?P<d>\d{{1,2}})(?!\d)\s*[日号]?", "day"),
    (rf"{_MON}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_Y}", "day"),
    (rf"(?<!\d)(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON}\s*,?\s+{_Y}", "day"),
    (rf"{_Y}\s*年\s*(?P<m>\d{{1,2}})\s*月(?!\s*\d)", "month"),
    (rf"{_Y}-(?P<m>\d{{1,2}})(?![\d-])", "month"),
    (rf"{_MON}\s*,?\s+(?:of\s+)?{_Y}", "month"),
    (rf"{_Y}\s*年?\s*(?P<half>上半年|下半年)", "half"),
    (rf"(?P<half>first|second)\s+half\s+of\s+{_Y}", "half"),
    (r"(?<!\d)(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*[日号]", "monthday"),
    (rf"\b{_MON}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\b(?!,?\s*\d)", "monthday"),
    (r"总?第\s*(?P<n>\d+)\s*期", "issue"),
    (r"\bissue\s+(?:no\.?\s*|number\s+|#)?(?P<n>\d+)\b", "issue"),
]
_RELATIVE = [  # (pattern, kind, amount): amount in years, months or days back from the reference
    (r"最近一期|最新一期|最新的一期|本期|the\s+(?:latest|newest|most\s+recent|last)\s+issue",
     "latest_issue", 0),
    (r"今年|this\s+year", "year", 0), (r"去年|last\s+year", "year", 1),
    (r"前年|the\s+year\s+before\s+last", "year", 2),
    (r"本月|这个月|this\s+month", "month", 0), (r"上个?月|last\s+month", "month", 1),
    (r"本周|这周|this\s+week", "week", 0), (r"上周|上个星期|last\s+week", "week", 1),
    (r"(?:最近|近|过去)\s*(?P<k>\d+|[一两二三四五六七八九十半])\s*(?P<u>天|日|周|个?星期|个?月|年)",
     "span", 0),
    ((r"(?:past|last|previous)\s+(?P<k>\d+|two|three|four|five|six|seven|ten|twelve)?\s*"
      r"(?P<u>days?|weeks?|months?|years?)\b"), "span", 0),
]
_NEWEST = re.compile(r"最新|最近|latest|newest|most\s+recent|recent(?:ly)?", re.IGNORECASE)
_EN_NUMBERS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "ten": 10,
               "twelve": 12}


@dataclass(frozen=True)
class TimeScope:
    label: str  # what the question names, for notes: "2024", "2023-07", "issue 1300", "latest"
    date_from: str | None = None  # ISO, inclusive
    date_to: str | None = None
    issue: int | None = None  # the issue number (第1300期 -> 1300)
    years: tuple[str, ...] = ()  # the years it names ("去年" -> the year it means; a span such as
    # "近10年" or "the past week" names none)
    newest: bool = False  # "最新"/"latest" with no range: prefer the newest relevant year


def named_years(text: str) -> list[str]:
    """The years (1900-2099) a text names, in order, once each: "2024年", "in 2024", "2023-07-03";
    not a number with a unit ("2000万元", "2000 people") or a decimal ("2024.5")."""
    return list(dict.fromkeys(m.group(1) for m in YEAR.finditer(text)))


def find_time(question: str, reference: date | None) -> TimeScope | None:
    """The time `question` names, resolved against `reference` (relative times and dates without
    a year need one: without it they are not read). Several explicit times ("2023年和2024年") give
    one range from the earliest to the latest; an issue number keeps any range beside it."""
    text, scopes = question, []
    for pattern, kind in _EXPLICIT:
        for m in re.finditer(pattern, text, re.IGNORECASE):
            if (scope := _explicit(m, kind, reference)) is not None:
                scopes.append(scope)
        text = re.sub(pattern, " ", text, flags=re.IGNORECASE)
    for m in YEAR.finditer(text):
        y = int(m.group(1))
        scopes.append(TimeScope(str(y), f"{y}-01-01", f"{y}-12-31", years=(str(y),)))
    if reference is not None:
        for pattern, kind, amount in _RELATIVE:
            for m in re.finditer(pattern, text, re.IGNORECASE):
                scopes.append(_relative(m, kind, amount, reference))
            text = re.sub(pattern, " ", text, flags=re.IGNORECASE)
    if not scopes:
        return TimeScope("latest", newest=True) if _NEWEST.search(text) else None
    return _join(scopes)


def _explicit(m: re.Match, kind: str, reference: date | None) -> TimeScope | None:
    g = m.groupdict()
    if kind == "issue":
        n = int(g["n"])
        return TimeScope(f"issue {n}", issue=n)
    month = int(g["m"]) if g.get("m") else MONTHS.get(_month_name(g.get("mon")), 0)
    year = int(g["y"]) if g.get("y") else None
    try:
        if kind == "half":
            first = g["half"] in ("上半年", "first")
            return _range(f"{year} {'H1' if first else 'H2'}", date(year, 1 if first else 7, 1),
                          date(year, 6, 30) if first else date(year, 12, 31))
        if kind == "month":
            start = date(year, month, 1)
            end = _month_end(start) + timedelta(WINDOW_DAYS)
            return _range(f"{year}-{month:02d}", start, end, years=(str(year),))
        if kind == "monthday":
            if reference is None:
                return None
            year = reference.year if (month, int(g["d"])) <= (reference.month, reference.day) \
                else reference.year - 1
        day = date(year, month, int(g["d"]))
    except ValueError:  # "2月30日", "13月": not a date
        return None
    return _range(day.isoformat(), day - timedelta(WINDOW_DAYS), day + timedelta(WINDOW_DAYS),
                  years=() if kind == "monthday" else (str(day.year),))


def _relative(m: re.Match, kind: str, amount: int, ref: date) -> TimeScope:
    said = re.sub(r"\s+", " ", m.group(0))
    if kind == "latest_issue":
        return TimeScope(f"{said} ({ref.isoformat()})", ref.isoformat(), ref.isoformat())
    if kind == "year":
        y = ref.year - amount
        return _range(f"{said} ({y})", date(y, 1, 1), date(y, 12, 31))
    if kind == "month":
        start = _months_back(ref.replace(day=1), amount)
        return _range(f"{said} ({start.isoformat()[:7]})", start, _month_end(start))
    if kind == "week":
        monday = ref - timedelta(ref.weekday() + 7 * amount)
        return _range(f"{said} ({monday.isoformat()})", monday,
                      ref if amount == 0 else monday + timedelta(6))
    k, unit = m.group("k"), m.group("u").lower()
    n = float(k) if k and k.isdigit() else _CN_DIGITS.get(k, _EN_NUMBERS.get(k, 1)) if k else 1
    if "月" in unit or unit.startswith("m"):
        start = _months_back(ref, max(1, round(n)))
    elif "年" in unit or unit.startswith("y"):
        start = _months_back(ref, round(n * 12))
    else:
        days = round(n * (7 if "周" in unit or "星" in unit or unit.startswith("w") else 1))
        start = ref - timedelta(days=max(1, days) - 1)
    # a span names no year of its own: "过去两年共有13人落马" is about the whole span, so the
    # sources need not mention each year in it (the range still steers the search)
    return _range(f"{said} ({start.isoformat()}..{ref.isoformat()})", start, ref, years=())


def _range(label: str, start: date, end: date, years: tuple[str, ...] | None = None) -> TimeScope:
    if years is None:
        years = tuple(str(y) for y in range(start.year, end.year + 1))
    return TimeScope(label, start.isoformat(), end.isoformat(), years=years)


def _join(scopes: list[TimeScope]) -> TimeScope:
    dated = [s for s in scopes if s.date_from]
    issue = next((s.issue for s in scopes if s.issue is not None), None)
    years = tuple(dict.fromkeys(y for s in scopes for y in s.years))
    label = " and ".join(dict.fromkeys(s.label for s in scopes))
    if not dated:
        return TimeScope(label, issue=issue)
    return TimeScope(label, min(s.date_from for s in dated), max(s.date_to for s in dated),
                     issue, years)


def _month_name(name: str | None) -> str:
    name = (name or "").lower().rstrip(".")
    return next((full for full in MONTHS if name and full.startswith(name[:3])), "")


def _month_end(first: date) -> date:
    return _months_back(first.replace(day=1), -1) - timedelta(days=1)


def _months_back(d: date, n: int) -> date:
    """The same day n months earlier (n < 0: later), clipped to the month's last day."""
    total = d.year * 12 + d.month - 1 - n
    year, month = divmod(total, 12)
    for day in (d.day, 30, 29, 28):
        try:
            return date(year, month + 1, day)
        except ValueError:
            continue
    raise ValueError(d)


def issue_number(issue: str | None) -> int | None:
    """The number of an issue label with one run of digits ("第1300期", "总第1300期", "1300");
    None for a label that is a date ("2024-08-20") or has no digits."""
    runs = re.findall(r"\d+", issue or "")
    return int(runs[0]) if len(runs) == 1 else None
