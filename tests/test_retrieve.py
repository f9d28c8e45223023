"""Retrieval: BM25 with jieba, glossary expansion, RRF fusion, filters, scores, the reranker hook,
`assistant search`, and (slow) the quality gate of the default model on the sample corpus."""

from __future__ import annotations

import json
from pathlib import Path

import faiss
import numpy as np
import pytest

from assistant.cli import main
from assistant.cli.commands import search_command
from assistant.config import Settings
from assistant.errors import IndexError_, InputFileError, ModelError
from assistant.records import Chunk
from assistant.search.embed import load_embedder
from assistant.search.lexical import expand, tokenize
from assistant.search.retrieve import Filters, Retriever, open_retriever
from assistant.search.store import Index

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = [  # (file, title, text, date, issue, section)
    ("a.txt", "4部委联合开展2026年世界献血者日宣传活动",
     "2026年6月14日是第23个世界献血者日。活动口号是一滴热血，一份爱心。", "2026-06-10", "88", None),
    ("a.txt", "省立医院荣获全国五一劳动奖状", "福州大学附属省立医院荣获全国五一劳动奖状。",
     "2026-06-10", "88", None),
    ("b.txt", "福建省立医院与新疆昌吉州开展麻醉学科协作",
     "双方签订麻醉学科协作协议书，共建区域麻醉中心。", "2024-08-20", "12", "对口支援"),
    ("b.txt", "Cats and dogs", "Pets make people happy and healthy.", "2024-08-20", "12", None),
]


def chunks() -> list[Chunk]:
    return [Chunk(id=f"c{i}", text=text, title=title, file=file, file_sha=f"sha-{file}", page=1,
                  position=i, index=0, issue=issue, date=date, section=section)
            for i, (file, title, text, date, issue, section) in enumerate(ARTICLES)]


@pytest.fixture
def mini_settings(minilm_path: Path, settings: Settings) -> Settings:
    return settings.model_copy(update={"embed_model": str(minilm_path), "torch_threads": 1})


@pytest.fixture
def retriever(mini_settings: Settings) -> Retriever:
    e = load_embedder(mini_settings)
    ix = Index.open(mini_settings.index_dir, e)
    for file in ("a.txt", "b.txt"):
        ix.upsert_file(file, [c for c in chunks() if c.file == file])
    ix.save()
    return Retriever(Index.load(mini_settings.index_dir, e), e, mini_settings)


@pytest.mark.unit
def test_jieba_splits_chinese_and_drops_punctuation() -> None:
    assert len(tokenize("今天的天气真好")) > 1  # bm25s's default would make this one token
    toks = tokenize("世界献血者日的口号是什么？World Blood-Donor Day!")
    assert {"献血", "口号", "world", "blood", "donor"} <= set(toks)
    assert not {"的", "？", "!", "-", " ", "是"} & set(toks)


@pytest.mark.unit
def test_glossary_expands_english_questions() -> None:
    assert "献血者日" in expand("What was the slogan of World Blood Donor Day?")
    assert "麻醉" in expand("anaesthesia cooperation") and "福鼎" in expand("clinics in Fuding")
    assert "三甲" in expand("Which tertiary grade A hospitals are in Ningde?")
    assert "疾控中心" in expand("What did the CDC say?") and "Quanzhou" in expand("泉州的义诊")
    assert "十四五" in expand("projects of the 14th Five-Year Plan") and "援藏" in expand("aid-Tibet")
    assert expand("nothing to see") == "nothing to see"


@pytest.mark.unit
def test_a_glossary_of_ones_own_replaces_the_packaged_one(tmp_path: Path) -> None:
    own = tmp_path / "terms.tsv"
    own.write_text("# a newsroom's own names\nWestbank Clinic|Westbank\t西岸诊所\n", encoding="utf-8")
    assert expand("Who runs Westbank Clinic?", own) == "Who runs Westbank Clinic? 西岸诊所"
    assert expand("blood donation", own) == "blood donation"  # the packaged rows are not read
    own.write_text("Westbank\t西岸\n", encoding="utf-8")
    import os
    os.utime(own, (1, 1))  # an edit is read again (the cache keys on the file's mtime)
    assert expand("Westbank", own) == "Westbank 西岸"
    with pytest.raises(InputFileError, match="no such glossary file"):
        expand("x", tmp_path / "missing.tsv")
    own.write_text("a row without a tab\n", encoding="utf-8")
    os.utime(own, (2, 2))
    with pytest.raises(InputFileError, match="terms.tsv:1: expected"):
        expand("x", own)


def test_bm25_finds_chinese_passages_for_english_questions(retriever: Retriever) -> None:
    hits = retriever.search("Which hospital won the May Day Labour Award?", 2, mode="bm25")
    assert hits[0].chunk.title == "省立医院荣获全国五一劳动奖状"
    assert hits[0].bm25_score > 0 and hits[0].dense_score is None
    assert retriever.search("献血者日的口号", 1, mode="bm25")[0].chunk.id == "c0"


def test_the_retriever_expands_with_the_glossary_the_settings_name(retriever: Retriever,
                                                                  tmp_path: Path) -> None:
    own = tmp_path / "terms.tsv"
    own.write_text("Redstone Prize\t劳动奖状\n", encoding="utf-8")  # an invented English name
    assert retriever.search("Redstone Prize winners", 1, mode="bm25") == []
    retriever.settings = retriever.settings.model_copy(update={"glossary_path": own})
    found = retriever.retrieve("Redstone Prize winners", 1, mode="bm25")
    assert found.hits[0].chunk.title == "省立医院荣获全国五一劳动奖状" and found.glossary == own


def test_hybrid_fuses_and_reports_both_scores(retriever: Retriever) -> None:
    hits = retriever.search("pets and happiness", 4)
    assert hits[0].chunk.title == "Cats and dogs" and len(hits) == 4
    top = hits[0]
    qv = retriever.embedder.embed(["pets and happiness"], "query")[0]
    assert top.dense_score == pytest.approx(float(np.dot(qv, retriever.index.vectors[3])), abs=1e-5)
    assert top.bm25_score > 0 and all(h.bm25_score == 0.0 for h in hits[1:])
    assert top.score == pytest.approx(2 / (60 + 1))  # first in both rankings
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    dense = retriever.search("pets and happiness", 2, mode="dense")
    assert dense[0].bm25_score is None and dense[0].dense_score == pytest.approx(top.dense_score)


def test_filters(retriever: Retriever) -> None:
    q = "麻醉学科协作"
    assert {h.chunk.file for h in retriever.search(q, 4, Filters(date_from="2025-01-01"))} == {"a.txt"}
    assert {h.chunk.file for h in retriever.search(q, 4, Filters(date_to="2024-12-31"))} == {"b.txt"}
    assert {h.chunk.issue for h in retriever.search(q, 4, Filters(issue="88"))} == {"88"}
    only = retriever.search(q, 4, Filters(section="对口支援"))
    assert [h.chunk.id for h in only] == ["c2"]
    assert retriever.search(q, 4, Filters(issue="nope")) == []


def dated_index(settings: Settings, embedder, ann_threshold: int = 20000) -> Retriever:
    """60 short notices over 2022-2025 (two issues a year) plus 4 undated ones."""
    topics = ["义诊活动", "献血活动", "护士节表彰", "医院评审", "疫苗接种", "健康讲座"]
    rows = []
    for i in range(60):
        year, topic = 2022 + i % 4, topics[i % 6]
        half = (i // 4) % 2  # each year: a January and a February issue
        rows.append((f"d{i}", f"{year}年{topic}第{i}号通知", f"{topic}安排，编号{i}。",
                     f"{year}-0{1 + half}-15", f"第{100 + year % 100 * 2 + half}期"))
    rows += [(f"u{i}", f"{topics[i]}档案", f"{topics[i]}安排（无日期）。", None, None)
             for i in range(4)]
    ix = Index.open(settings.index_dir, embedder)
    ix.upsert_file("notices.txt", [Chunk(id=cid, text=text, title=title, file="notices.txt",
                                         file_sha="sha-n", page=1, position=n, index=0,
                                         issue=issue, date=date)
                                   for n, (cid, title, text, date, issue) in enumerate(rows)])
    ix.save()
    return Retriever(Index.load(settings.index_dir, embedder, ann_threshold), embedder, settings)


def test_a_filter_leaves_out_undated_chunks_and_says_how_many(mini_settings: Settings) -> None:
    r = dated_index(mini_settings, load_embedder(mini_settings))
    found = r.retrieve("义诊活动安排", 20, Filters(date_from="2024-01-01", date_to="2024-12-31"))
    assert len(found.hits) == 15 and all(h.chunk.date[:4] == "2024" for h in found.hits)
    assert found.note == "left out 4 passages with no date on record"
    by_issue = r.retrieve("献血活动", 20, Filters(issue="149"))  # 第149期, by its number
    assert {h.chunk.issue for h in by_issue.hits} == {"第149期"}
    assert by_issue.note == "left out 4 passages with no issue on record"
    assert r.retrieve("献血活动", 20, Filters(section="要闻")).hits == []  # no note: none undated
    assert r.retrieve("献血活动", 20).note is None


def test_a_filtered_dense_search_is_exact_over_the_rows(mini_settings: Settings) -> None:
    """Over an HNSW index (ann_threshold below the row count) a filter leaves 15 of 64 rows:
    the dense ranking must be the exact one over those rows."""
    e = load_embedder(mini_settings)
    r = dated_index(mini_settings, e, ann_threshold=10)
    assert isinstance(r.index.faiss_index, faiss.IndexHNSW)
    qvec = e.embed(["vaccination notice 2023"], "query")[0]
    rows, undated = r.columns().rows(Filters(date_from="2023-01-01", date_to="2023-12-31"))
    assert len(rows) == 15 and len(undated) == 4
    exact = sorted(rows, key=lambda i: -float(np.dot(np.asarray(r.index.vectors)[i], qvec)))
    assert [i for i, _ in r.dense(qvec, 15, rows)] == [int(i) for i in exact]


def test_the_year_a_question_names_steers_the_search(mini_settings: Settings) -> None:
    r = dated_index(mini_settings, load_embedder(mini_settings))
    found = r.retrieve("2023年献血活动安排", 5)
    assert found.scope.years == ("2023",)
    assert found.note == "left out 4 passages with no date on record"  # the undated notices
    assert [h.chunk.date[:4] for h in found.hits] == ["2023"] * 5
    last_year = r.retrieve("去年的献血活动安排", 5)  # the newest issue is 2025-02-15
    assert {h.chunk.date[:4] for h in last_year.hits} == {"2024"}
    latest = r.retrieve("最新一期的献血活动", 5)
    assert {h.chunk.date for h in latest.hits} == {"2025-02-15"}
    missing = r.retrieve("2019年献血活动安排", 5)
    assert missing.note == "no issue from 2019 in the archive; showing other years"
    assert missing.hits and all(h.chunk.date is None or h.chunk.date[:4] != "2019"
                                for h in missing.hits)
    assert r.retrieve("第999期献血活动", 5).note == \
        "no issue 999 in the archive; showing other issues"
    assert r.retrieve("献血活动安排", 5).note is None
    user = Filters(date_from="2022-01-01", date_to="2022-12-31")  # cannot hold with "2023"
    assert "no issue from 2023" in r.retrieve("2023年献血活动", 5, user).note


def test_search_takes_dates_and_an_issue(mini_settings: Settings,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    dated_index(mini_settings, load_embedder(mini_settings))
    monkeypatch.setenv("ASSISTANT_EMBED_MODEL", mini_settings.embed_model)
    args = ["search", "--index", str(mini_settings.index_dir), "--json", "-k", "3", "献血活动"]
    assert main(args + ["--from", "2025-01-01", "--to", "2025-01-31"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [h["citation"]["date"] for h in out["hits"]] == ["2025-01-15"] * 3
    assert main(args + ["--issue", "第149期"]) == 0
    assert {h["citation"]["issue"] for h in json.loads(capsys.readouterr().out)["hits"]} == \
        {"第149期"}
    assert main(args[:-1] + ["2019年献血活动"]) == 0
    assert "no issue from 2019" in json.loads(capsys.readouterr().out)["note"]
    assert main(args + ["--from", "2025-13-01"]) == 2
    assert "use the form YYYY-MM-DD" in capsys.readouterr().err


def test_reranker_is_pluggable(mini_settings: Settings, retriever: Retriever) -> None:
    """A real CrossEncoder class, but built on MiniLM with an UNTRAINED classification head (no
    reranker weights ship offline): this checks only that its scores decide the final order."""
    s = mini_settings.model_copy(update={"reranker": str(mini_settings.embed_model)})
    r = Retriever(retriever.index, retriever.embedder, s)
    hits = r.search("pets and happiness", 3)
    expected = r.reranker.predict([("pets and happiness", f"{h.chunk.title}\n{h.chunk.text}")
                                   for h in hits])
    assert [h.score for h in hits] == pytest.approx(sorted(expected.tolist(), reverse=True), abs=1e-5)
    with pytest.raises(ModelError, match="cannot load the reranker"):
        Retriever(retriever.index, retriever.embedder,
                  mini_settings.model_copy(update={"reranker": "/no/such/reranker"}))


def test_search_command_json_and_text(retriever: Retriever, mini_settings: Settings,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    assert search_command(["献血者日的口号", "pets"], mini_settings, as_json=True, mode="hybrid") == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [d["question"] for d in lines] == ["献血者日的口号", "pets"]
    hit = lines[0]["hits"][0]
    assert hit["citation"]["title"] == ARTICLES[0][1] and hit["citation"]["date"] == "2026-06-10"
    assert {"text", "score", "dense_score", "bm25_score"} <= set(hit)
    assert {"issue", "date", "page", "title", "file", "bbox"} <= set(hit["citation"])
    assert search_command(["麻醉"], mini_settings, as_json=False, mode="bm25") == 0
    out = capsys.readouterr().out
    assert "1. 12 · 2024-08-20 · p.1 · 福建省立医院与新疆昌吉州开展麻醉学科协作" in out


def test_missing_index_says_what_to_do(mini_settings: Settings) -> None:
    with pytest.raises(IndexError_, match="assistant ingest data/sample"):
        open_retriever(mini_settings)


def retrieval_counts(retriever: Retriever, questions: list[dict]) -> dict[str, dict[str, list[int]]]:
    """{mode: {lang: [top1, top5, n]}}; a follow-up is searched with its last history turn."""
    out: dict[str, dict[str, list[int]]] = {}
    for q in questions:
        text = " ".join(q["history"][-1:] + [q["question"]])
        gold = {(Path(g["file"]).name, g["title"]) for g in q["gold"]}
        for mode in ("dense", "bm25", "hybrid"):
            keys = [(Path(h.chunk.file).name, h.chunk.title)
                    for h in retriever.search(text, 5, mode=mode)]
            c = out.setdefault(mode, {}).setdefault(q["lang"], [0, 0, 0])
            c[0] += bool(keys) and keys[0] in gold
            c[1] += gold <= set(keys)
            c[2] += 1
    return out


@pytest.mark.slow
def test_default_model_quality_gate(settings: Settings) -> None:
    from assistant.ingest.pipeline import ingest

    ingest([str(ROOT / "data" / "sample")], settings)
    retriever = open_retriever(settings)
    questions = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").open()]
    questions = [q for q in questions if q["gold"]]
    counts = retrieval_counts(retriever, questions)
    print(json.dumps(counts))
    top1, top5, n = (sum(c[i] for c in counts["hybrid"].values()) for i in range(3))
    assert n >= 30 and top5 >= 0.95 * n and top1 >= 0.80 * n, counts


@pytest.mark.unit
def test_vectorised_bm25_scores_equal_bm25s_own() -> None:
    """lexical.BM25 replaces bm25s's per-document loop; every query score must stay the same."""
    import bm25s
    from bm25s.tokenization import Tokenized

    from assistant.search.lexical import BM25
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "data" / "sample").glob("*.txt"))]
    docs = [tokenize(line) for t in texts for line in t.splitlines() if tokenize(line)]
    vocab = {w: i for i, w in enumerate(dict.fromkeys(w for d in docs for w in d))}
    ids = [[vocab[w] for w in d] for d in docs]
    ours, theirs = BM25(), bm25s.BM25()
    ours.BLOCK = 7  # several blocks, the last one partial
    for model in (ours, theirs):
        model.index(Tokenized(ids=ids, vocab=vocab), show_progress=False)
    for question in ("世界献血者日的口号", "省立医院 麻醉 协作", "医疗队 塞内加尔"):
        q = [vocab[w] for w in tokenize(question) if w in vocab]
        a, b = (m.get_scores(q) for m in (ours, theirs))
        assert len(docs) > 20 and a.max() > 0
        np.testing.assert_allclose(a, b, rtol=1e-5)
