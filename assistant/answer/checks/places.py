"""Place named: an answer to a question about a city, county or district cites an article there.

In:  the question, the retrieved Hits and the answer citing them. Out: the check `other_place`,
a reason when the Chinese question names a place below the province — a city, county or district
written with its suffix (杭州市, 鹤峰县, 莲湖区, 连云港市) — and none of the articles the answer
cites mentions it, with or without the suffix ("杭州" for 杭州市), in their retrieved passages or
headlines. Such an answer is another place's story: a county's screening figures answered with
another province's, a city hospital's clinic answered with another city's.
A place is a word jieba tags as a place name (ns), of three characters or more, ending in 市, 县,
区, 州, 旗, 镇 or 乡, or a place-name word followed by a lone 市/县/区 ("景东" "县"). Every such
place the question names must be mentioned somewhere in the cited articles.
Not checked: provinces, autonomous regions and the four municipalities (北京, 上海, 天津, 重庆),
which a paper writes as 我省, 本市 or leaves out, and a question may add ("江西省…") where the
article does not; places written without a suffix (福州, 鼓楼) or tagged otherwise by jieba (its
tags miss some district names: such a place is simply not checked); English questions (place
names in pinyin); places mentioned only in the parts of an article that were not retrieved.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache

from assistant.answer.checks.cited import cited_passages
from assistant.records import Hit
from assistant.text import CJK

SUFFIXES = "市县区州旗镇乡"
_PROVINCE_LEVEL = ("自治区", "特别行政区", "北京市", "上海市", "天津市", "重庆市")  # 省 has no SUFFIX


@lru_cache(maxsize=1)
def _tagger():  # jieba's tagger loads its dictionary once per process (about a second)
    import jieba
    import jieba.posseg
    jieba.setLogLevel(60)
    return jieba.posseg


def named_places(question: str) -> list[str]:
    """The places below the province that a Chinese question names with their suffix, in order
    (see the module docstring); [] for a question without Chinese characters."""
    if not CJK.search(question):
        return []
    words = [(w, f) for w, f in _tagger().cut(question)]  # jieba pairs unpack, not index
    places: list[str] = []
    for i, (word, flag) in enumerate(words):
        if not flag.startswith("ns"):
            continue
        after = words[i + 1][0] if i + 1 < len(words) else ""
        if word[-1] not in SUFFIXES and after in ("市", "县", "区"):
            word += after  # "景东" "县"
        if len(word) >= 3 and word[-1] in SUFFIXES and not word.endswith(_PROVINCE_LEVEL):
            places.append(word)
    return list(dict.fromkeys(places))


def _mentioned(place: str, text: str) -> bool:
    stem = place[:-1]
    return (stem if len(stem) >= 2 else place) in text


def other_place(question: str, hits: list[Hit], reply: str,
                quotes: Sequence[str] = ()) -> str | None:
    """A reason when the articles the answer cites mention none of a place the question names."""
    places = named_places(question)
    if not places:
        return None
    text = " ".join(cited_passages(reply, hits))
    missing = [p for p in places if not _mentioned(p, text)]
    if missing:
        return f"the articles it cites do not mention {'、'.join(missing)}, which the question names"
    return None
