"""The pure scoring functions of the eval harness, on hand-worked examples."""

from __future__ import annotations

import math

import pytest

from assistant.evaluation import metrics as m

A = ("000.txt", "甲")
B = ("000.txt", "乙")
C = ("002.txt", "丙")


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
    gold = {A, C}
    assert m.first_ranks(ranked, gold) == {A: 2, C: 4}
    assert m.recall_at(ranked, gold, 1) == 0.0
    assert m.recall_at(ranked, gold, 2) == 0.5
    assert m.recall_at(ranked, gold, 10) == 1.0
    assert m.reciprocal_rank(ranked, gold) == 0.5
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    ideal = 1 / math.log2(2) + 1 / math.log2(3)
    assert m.ndcg_at(ranked, gold, 10) == pytest.approx(dcg / ideal)
    assert m.ndcg_at([A, C], gold) == pytest.approx(1.0)
    assert m.reciprocal_rank([B], gold) == 0.0


def test_article_key_ignores_folders_and_title_spacing():
    assert m.article_key("/tmp/x/sample/000.txt", "闽昌同心  交融致远") == \
        m.article_key("data/sample/000.txt", "闽昌同心 交融致远")
    assert m.article_key("data/000.txt", "甲") != m.article_key("data/001.txt", "甲")


def test_citation_scores():
    assert m.citation_counts([A, B, A], {A}) == (2, 3)
    assert m.citation_recall([A], {A, C}) == 0.5
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
