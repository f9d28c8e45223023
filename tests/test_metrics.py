"""The pure scoring functions of the eval harness, on hand-worked examples."""

from __future__ import annotations

import math

import pytest

from assistant.errors import AssistantError
from assistant.evaluation import metrics as m

pytestmark = pytest.mark.unit

A = ("000.txt", "甲")
B = ("000.txt", "乙")
C = ("002.txt", "丙")
X, Y, Z = (m.article_key("export.jsonl", "", i) for i in ("rec-1", "rec-2", "rec-3"))


def each(*keys):
    """Gold of page articles: each one needed (one group per article)."""
    return [frozenset({k}) for k in keys]


def test_norm_unifies_width_case_spaces_and_thousands():
    assert m.norm("第 20 批  Ｆｕｚｈｏｕ 1,462名") == "第20批fuzhou1462名"
    assert m.norm("恩迪耶・阿瓦") == m.norm("恩迪耶·阿瓦")
    assert m.norm("1,46") == "1,46"  # not a thousands separator


def test_key_facts_with_alternatives():
    answer = "大会于August 18在Fuzhou召开。"
    facts = [["福州", "fuzhou"], ["8月18日", "August 18"], "杨闽红"]
    assert m.has_fact(answer, facts[0]) and m.has_fact(answer, facts[1])
    assert not m.has_fact(answer, facts[2])
    assert m.key_fact_score(answer, facts) == pytest.approx(2 / 3)
    assert m.key_fact_score(answer, []) == 1.0


def test_list_f1_counts_members_and_distractors():
    members = [["厦门大学附属心血管病医院", "心血管病医院"], ["厦门市妇幼保健院"], ["中山医院厦门医院"]]
    distractors = [["福建省肿瘤医院"], ["尤溪县总医院"]]
    assert m.list_f1("心血管病医院、厦门市妇幼保健院和复旦大学附属中山医院厦门医院", members, distractors) == 1.0
    # 2 of 3 members and 1 distractor: P = 2/3, R = 2/3
    got = m.list_f1("心血管病医院、厦门市妇幼保健院、福建省肿瘤医院", members, distractors)
    assert got == pytest.approx(2 / 3)
    assert m.list_f1("不知道", members, distractors) == 0.0


def test_ranking_metrics_credit_each_gold_article_once():
    ranked = [B, A, A, C]
    gold = each(A, C)
    assert m.first_ranks(ranked, gold) == {0: 2, 1: 4}
    assert m.recall_at(ranked, gold, 1) == 0.0
    assert m.recall_at(ranked, gold, 2) == 0.5
    assert m.recall_at(ranked, gold, 10) == 1.0
    assert m.reciprocal_rank(ranked, gold) == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert m.ndcg_at(ranked, gold, 10) == pytest.approx(dcg / ideal)
    assert m.ndcg_at([A, C], gold) == pytest.approx(1.0)
    assert m.reciprocal_rank([B], gold) == 0.0


def test_any_record_of_an_archive_gold_group_satisfies_it():
    """A story several outlets reported: any one of the gold records is the right article."""
    gold = [frozenset({X, Z})]
    assert m.first_ranks([Y, Z, X], gold) == {0: 2}
    assert m.recall_at([Y, Z, X], gold, 1) == 0.0
    assert m.recall_at([Y, Z, X], gold, 2) == 1.0  # not 0.5: one record suffices
    assert m.reciprocal_rank([Y, Y, X], gold) == pytest.approx(1 / 3)
    assert m.ndcg_at([Z, X], gold) == pytest.approx(1.0)
    assert m.ndcg_at([Y, Z], gold) == pytest.approx(1 / math.log2(3))
    assert m.citation_recall([Y, X], gold) == 1.0
    assert m.citation_counts([Y, X, Z], gold) == (2, 3)
    assert m.reciprocal_rank([A, B], gold) == 0.0


def test_record_key_is_its_id_whatever_its_file_or_title():
    assert m.article_key("a/export.jsonl", "标题一", "rec-1") == m.article_key("b.csv", "", "rec-1")
    assert m.article_key("export.jsonl", "标题", "rec-1") != m.article_key("export.jsonl", "标题", "rec-2")
    assert m.article_key("export.jsonl", "标题", None) == ("export.jsonl", "标题")


def test_article_key_ignores_folders_and_title_spacing():
    assert m.article_key("/tmp/x/sample/000.txt", "闽昌同心  交融致远") == \
        m.article_key("data/sample/000.txt", "闽昌同心 交融致远")
    assert m.article_key("data/000.txt", "甲") != m.article_key("data/001.txt", "甲")


def test_citation_scores():
    assert m.citation_counts([A, B, A], each(A)) == (2, 3)
    assert m.citation_recall([A], each(A, C)) == 0.5
    assert m.supports_passage("……1462名个人获全国五一劳动奖章。", ["1,462名个人获"])


def test_faithfulness_checks_numbers_and_chinese_names_against_passages():
    passages = ["杨闽红代表省卫健委致辞。", "大会于8月18日在福州召开，84名孤儿参加。"]
    ok = "杨闽红在福州出席了8月18日的大会[1][2]，84名孤儿参加。"
    assert m.unsupported(ok, passages)[1] == []  # [1][2] are citation markers, not numbers
    assert m.faithfulness(ok, passages) == 1.0
    total, missing = m.unsupported("张三丰在福州出席，共85名孤儿[1]。", passages)
    assert set(missing) == {"张三丰", "85"}
    assert m.faithfulness("张三丰在福州出席，共85名孤儿[1]。", passages) == pytest.approx(1 - 2 / total)
    assert m.faithfulness("No names or numbers here.", passages) == 1.0
    assert m.numbers("1,462 and 8.83亿 [3]") == ["1462", "8.83"]


def test_percentile_nearest_rank():
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert m.percentile(values, 50) == 3.0
    assert m.percentile(values, 95) == 5.0
    assert m.percentile([7.0], 95) == 7.0


def test_regressions_apply_direction_and_tolerance():
    base = {"retrieval/hybrid/zh/recall@5": 0.95, "retrieval/dense/en/mrr": 0.80,
            "refusal/all/false_refusal_rate": 0.10, "answers/en/key_fact_accuracy": 0.9,
            "latency/generate/p50": 5.0}
    now = {"retrieval/hybrid/zh/recall@5": 0.85, "retrieval/dense/en/mrr": 0.76,
           "refusal/all/false_refusal_rate": 0.20, "answers/en/key_fact_accuracy": 0.1,
           "latency/generate/p50": 50.0}
    found = m.regressions(now, base)
    assert [f.split(":")[0] for f in found] == ["refusal/all/false_refusal_rate",
                                                 "retrieval/hybrid/zh/recall@5"]
    assert m.regressions(base, base) == []
    assert m.regressions({}, base) == []  # metrics not measured (e.g. retrieval-only) are skipped


def test_key_facts_and_lists_tolerate_the_models_run_to_run_spread_and_no_more():
    base = {"answers/all/key_fact_accuracy": 0.774, "answers/all/list_f1": 0.9,
            "answers/all/citation_recall": 0.9}
    now = {"answers/all/key_fact_accuracy": 0.717, "answers/all/list_f1": 0.81,
           "answers/all/citation_recall": 0.86}
    assert m.regressions(now, base) == []
    now = {"answers/all/key_fact_accuracy": 0.70, "answers/all/list_f1": 0.79,
           "answers/all/citation_recall": 0.84}
    assert [f.split(":")[0] for f in m.regressions(now, base)] == [
        "answers/all/citation_recall", "answers/all/key_fact_accuracy", "answers/all/list_f1"]


# ---- averaging per half and language (scoring.py), and the gate across halves (run.comparable) ----

def _q(qid: str, lang: str, split: str, qtype: str = "fact", gold=("rec-1",), **kw):
    from assistant.evaluation.questions import Question
    return Question(qid, "?", lang, qtype, gold=[{"article_id": g, "date": "2023-07-01"} for g in gold],
                    split=split, **kw)


def test_retrieval_figures_per_half_and_language():
    from assistant.evaluation.scoring import retrieval_metrics
    qs = [_q("a", "zh", "dev"), _q("b", "en", "dev"), _q("c", "zh", "test", gold=("rec-3", "rec-4")),
          _q("u", "en", "test", "unanswerable", gold=())]
    runs = {"a": [X], "b": [Y, Y, X], "c": [Y, Z, X], "u": [X]}
    runs = {i: {"hybrid": {"ranked": r, "seconds": 0.1}} for i, r in runs.items()}
    mt = retrieval_metrics(qs, runs)
    assert mt["retrieval/hybrid/dev/zh/mrr"] == 1.0
    assert mt["retrieval/hybrid/dev/en/mrr"] == pytest.approx(1 / 3)
    assert mt["retrieval/hybrid/dev/all/mrr"] == pytest.approx((1 + 1 / 3) / 2)
    assert mt["retrieval/hybrid/test/zh/recall@1"] == 0.0
    assert mt["retrieval/hybrid/test/zh/recall@5"] == 1.0  # rec-3 at rank 2 satisfies the story
    assert mt["retrieval/hybrid/zh/mrr"] == pytest.approx((1 + 1 / 2) / 2)  # all halves, Chinese
    assert mt["retrieval/hybrid/all/recall@1"] == pytest.approx(1 / 3)
    assert "retrieval/hybrid/test/en/mrr" not in mt  # only an unanswerable question there


def _answer(text: str, cited: list[str], refused: bool = False):
    from assistant.records import Answer, Citation
    return Answer("?", text, [Citation(None, "2023-07-01", 1, "", "export.jsonl", [], "正文", f"c{i}", i)
                              for i in cited], refused=refused)


def test_answer_figures_treat_each_question_type_as_the_set_defines_it():
    from assistant.evaluation.scoring import answer_metrics, score_answer
    qs = [_q("num", "zh", "dev", "number", key_facts=[["1400"], "罗勇"]),
          _q("story", "zh", "dev", "multi-outlet", gold=("rec-1", "rec-2", "rec-3"), key_facts=["谣言"]),
          _q("list", "en", "test", "list", key_facts=[["甲医院", "Hospital A"], "乙医院", "丙医院"]),
          _q("none", "zh", "test", "unanswerable", gold=()),
          _q("none2", "en", "dev", "unanswerable", gold=())]
    answers = {"num": _answer("下降了1400元[1]。", ["rec-1", "rec-9"]),
               "story": _answer("此说法系谣言[1]。", ["rec-3"]),
               "list": _answer("Hospital A and 乙医院 [1].", ["rec-1"]),
               "none": _answer("资料中没有。", [], refused=True),
               "none2": _answer("It was 5.", ["rec-1"])}
    rows = {q.id: score_answer(q, answers[q.id]) for q in qs}
    assert rows["list"]["key_facts"] is None and rows["list"]["list_f1"] == pytest.approx(0.8)
    mt = answer_metrics(qs, rows)
    assert mt["answers/dev/zh/key_fact_accuracy"] == pytest.approx((0.5 + 1.0) / 2)
    assert mt["answers/dev/zh/citation_recall"] == 1.0  # one record of the story is cited each time
    assert mt["answers/all/citation_precision"] == pytest.approx(3 / 4)  # rec-9 is not gold
    assert mt["answers/test/en/list_f1"] == pytest.approx(0.8)  # 2 of 3 members, no distractor
    assert mt["refusal/test/zh/refusal_rate"] == 1.0 and mt["refusal/dev/en/refusal_rate"] == 0.0
    assert mt["refusal/all/refusal_rate"] == 0.5 and mt["refusal/all/false_refusal_rate"] == 0.0
    assert "answers/dev/en/key_fact_accuracy" not in mt  # no answerable English dev question


def test_facts_given_is_what_the_passages_held_whatever_the_answer_said():
    from assistant.evaluation.scoring import answer_metrics, score_answer
    from assistant.records import Chunk, Hit

    def given(*texts: str) -> list[Hit]:
        return [Hit(Chunk(id=f"p{i}", text=t, title="某县卫生院义诊", file="invented.jsonl",
                          file_sha="sha", page=1, position=i, index=0), 0.5)
                for i, t in enumerate(texts)]

    qs = [_q("wrong", "zh", "dev", key_facts=["青山镇卫生院", ["36人", "36 people"]]),
          _q("right", "en", "dev", key_facts=[["36人", "36 people"]]),
          _q("early", "zh", "dev", key_facts=["青山镇卫生院"])]
    answers = {"wrong": _answer("义诊在县医院举行，共36人参加[1]。", ["rec-1"]),
               "right": _answer("36 people took part [1].", ["rec-1"]),
               "early": _answer("资料中没有。", [], refused=True)}  # refused before the model
    answers["wrong"].passages = given("义诊在青山镇卫生院举行。", "共有36人参加。")
    answers["right"].passages = given("共有36人参加。")
    rows = {q.id: score_answer(q, answers[q.id]) for q in qs}
    assert (rows["wrong"]["key_facts"], rows["wrong"]["facts_given"]) == (0.5, 1.0)
    assert (rows["right"]["key_facts"], rows["right"]["facts_given"]) == (1.0, 1.0)
    assert rows["early"]["facts_given"] is None  # the model was given nothing
    mt = answer_metrics(qs, rows)
    assert mt["answers/dev/all/facts_given"] == 1.0  # over the two questions the model was asked
    assert mt["answers/dev/all/key_fact_accuracy"] == pytest.approx((0.5 + 1.0 + 0.0) / 3)


def test_a_run_on_one_half_is_gated_on_that_halfs_figures_only():
    from assistant.evaluation.run import comparable
    base = {"retrieval/hybrid/all/mrr": 0.9, "retrieval/hybrid/dev/zh/mrr": 0.8,
            "retrieval/hybrid/test/zh/mrr": 0.7}
    dev_run = {"retrieval/hybrid/all/mrr": 0.8, "retrieval/hybrid/dev/zh/mrr": 0.8}
    assert comparable(dev_run, "dev", "all") == {"retrieval/hybrid/dev/zh/mrr": 0.8}
    assert m.regressions(comparable(dev_run, "dev", "all"), comparable(base, "dev", "all")) == []
    assert comparable(base, "test", "dev") == {}
    assert comparable(base, "all", "all") == base
    worse = {"retrieval/hybrid/test/zh/mrr": 0.6}
    assert [f.split(":")[0] for f in m.regressions(worse, base)] == ["retrieval/hybrid/test/zh/mrr"]


def test_two_runs_of_one_half_tolerate_what_a_half_tolerates_and_no_more():
    from assistant.evaluation.run import comparable
    # a half with 6 unanswerable questions: its figures appear twice, unprefixed and by half
    base = {"refusal/all/refusal_rate": 1.0, "refusal/test/all/refusal_rate": 1.0,
            "answers/all/key_fact_accuracy": 0.80, "answers/test/all/key_fact_accuracy": 0.80}
    one_flip = {"refusal/all/refusal_rate": 5 / 6, "refusal/test/all/refusal_rate": 5 / 6,
                "answers/all/key_fact_accuracy": 0.80, "answers/test/all/key_fact_accuracy": 0.80}
    assert comparable(one_flip, "test", "test") == {k: v for k, v in one_flip.items() if "/test/" in k}
    assert m.regressions(comparable(one_flip, "test", "test"), comparable(base, "test", "test")) == []
    two_flips = dict(one_flip, **{"refusal/all/refusal_rate": 4 / 6, "refusal/test/all/refusal_rate": 4 / 6})
    assert [f.split(":")[0] for f in m.regressions(comparable(two_flips, "test", "test"),
                                                   comparable(base, "test", "test"))] == [
        "refusal/test/all/refusal_rate"]


def test_gate_of_a_half_run_against_a_baseline_without_halves_says_not_compared(tmp_path):
    import json

    from assistant.evaluation.run import gate
    meta = {"questions_sha": "abc", "split": "all"}
    summary = {"meta": dict(meta, split="dev"), "metrics": {"retrieval/hybrid/all/mrr": 0.1}}
    path = tmp_path / "base.json"
    path.write_text(json.dumps({"meta": meta, "metrics": {"retrieval/hybrid/all/mrr": 0.9}}))
    assert gate(summary, path, explicit=True) == ([], f"{path} has no figures for the dev half: not compared")
    path.write_text(json.dumps({"meta": meta, "metrics": {"retrieval/hybrid/dev/all/mrr": 0.9}}))
    summary["metrics"]["retrieval/hybrid/dev/all/mrr"] = 0.5
    found, note = gate(summary, path, explicit=True)
    assert [f.split(":")[0] for f in found] == ["retrieval/hybrid/dev/all/mrr"] and "1 regression" in note


def test_gate_compares_only_runs_of_the_same_embedding_model(tmp_path):
    import json

    from assistant.evaluation.run import gate
    base = {"meta": {"questions_sha": "abc", "embed_model": "model-a"}, "metrics": {"retrieval/dense/all/mrr": 0.9}}
    path = tmp_path / "base.json"
    path.write_text(json.dumps(base))
    run = {"meta": {"questions_sha": "abc", "embed_model": "model-b"}, "metrics": {"retrieval/dense/all/mrr": 0.1}}
    found, note = gate(run, path, explicit=False)
    assert found == [] and "measured with model-a, this run with model-b: not compared" in note
    with pytest.raises(AssistantError, match="measured with model-a, this run uses model-b"):
        gate(run, path, explicit=True)
    run["meta"]["embed_model"] = "model-a"
    assert len(gate(run, path, explicit=True)[0]) == 1
