"""What the model reads of a passage (answer/windows.py) and turns at the model (answer/queueing.py).
Passages here are written for these tests, not taken from eval/ or the sample pages."""

from __future__ import annotations

import threading

import pytest

from assistant.answer.prompting import FULL_BUDGET_RANKS, format_sources
from assistant.answer.queueing import ModelQueue
from assistant.answer.windows import GAP, window
from assistant.records import Chunk, Hit

pytestmark = pytest.mark.unit

REPORT = ("本报讯 3月2日，某县召开春季爱国卫生运动动员会。会议回顾了去年的工作。"
          "今年全县将新建公共厕所120座，改造农村卫生室35所。各乡镇要在4月底前完成摸底。"
          "会上还表彰了先进集体。县领导出席会议并讲话。会议要求压实责任。")


def test_a_short_passage_is_read_whole() -> None:
    assert window("公共厕所", "今年新建公共厕所120座。", 160) == "今年新建公共厕所120座。"


def test_the_matching_sentence_is_kept_with_its_neighbours_and_the_rest_left_out() -> None:
    got = window("今年要新建多少座公共厕所？", REPORT, 60)
    assert "今年全县将新建公共厕所120座" in got
    assert "会议回顾了去年的工作。" in got and "各乡镇要在4月底前完成摸底。" in got  # neighbours
    assert "会议要求压实责任。" not in got and got.endswith(GAP)
    assert len(got) < len(REPORT)


def test_every_kept_piece_is_copied_verbatim() -> None:
    """The quote check looks for the model's quotes in the passage: the window must not alter it."""
    for piece in window("先进集体", REPORT, 40).split(GAP):
        assert piece in REPORT


def test_a_sentence_introducing_a_list_keeps_its_items() -> None:
    text = ("市卫健委日前公布了第二批示范单位。经评审，以下医院入选：\n城东社区卫生服务中心\n"
            "河口镇卫生院\n北门街道卫生服务站\n" + "下一步将加强指导。" * 8)
    got = window("哪些医院入选示范单位", text, 50)
    for item in ("城东社区卫生服务中心", "河口镇卫生院", "北门街道卫生服务站"):
        assert item in got


def test_a_passage_sharing_no_word_with_the_question_is_read_from_its_start() -> None:
    got = window("What was announced?", REPORT, 40)
    assert got.startswith("本报讯 3月2日") and got.endswith(GAP)


def test_the_first_question_goes_at_once_and_the_next_waits_its_turn() -> None:
    queue = ModelQueue(1)
    first, second = queue.ticket(), queue.ticket()
    assert list(first.waiting()) == []  # the model is free: no waiting shown
    waits = second.waiting()
    assert next(waits) == 1  # one question ahead
    first.leave()
    assert list(waits) == []  # its turn came
    second.leave()


def test_a_long_wait_repeats_its_place_so_a_stream_never_goes_silent() -> None:
    queue = ModelQueue(1)
    first, second = queue.ticket(), queue.ticket()
    list(first.waiting())
    waits = second.waiting(poll=0.01, heartbeat=0.05)
    assert [next(waits), next(waits), next(waits)] == [1, 1, 1]  # unchanged, yet said again
    first.leave()
    assert list(waits) == []
    second.leave()


def test_places_move_up_when_a_waiting_question_gives_up() -> None:
    queue = ModelQueue(1)
    a, b, c = queue.ticket(), queue.ticket(), queue.ticket()
    list(a.waiting())
    assert next(c.waiting()) == 2
    b.leave()  # gave up while waiting (the user closed the page)
    assert next(c.waiting()) == 1
    a.leave()
    assert list(c.waiting()) == []
    c.leave()


def test_turns_are_first_come_first_served_across_threads() -> None:
    queue, order, tickets = ModelQueue(1), [], []
    holder = queue.ticket()
    list(holder.waiting())
    for n in range(3):
        tickets.append((n, queue.ticket()))

    def ask(n: int, ticket) -> None:
        for _ in ticket.waiting():
            pass
        order.append(n)
        ticket.leave()

    threads = [threading.Thread(target=ask, args=t) for t in reversed(tickets)]
    for t in threads:
        t.start()
    holder.leave()
    for t in threads:
        t.join(10)
    assert order == [0, 1, 2]


def test_two_slots_let_two_questions_go_at_once() -> None:
    queue = ModelQueue(2)
    a, b, c = queue.ticket(), queue.ticket(), queue.ticket()
    assert list(a.waiting()) == [] and list(b.waiting()) == []
    assert next(c.waiting()) == 1
    a.leave()
    assert list(c.waiting()) == []


ARTICLE = ("本报讯 某市今年启动基层医疗提升行动。全市将新建村卫生室40所。"
           "各县要在6月底前上报建设方案。市财政安排专项资金2000万元。")
HEAD = "本报讯 某市今年启动基层医疗提升行动。全市将新建村卫生室40所。"  # chunk 0
TAIL = "全市将新建村卫生室40所。各县要在6月底前上报建设方案。市财政安排专项资金2000万元。"  # chunk 1


def test_a_sentence_already_given_from_the_same_article_is_left_out() -> None:
    """Neighbouring chunks repeat their overlap; the model reads it once."""
    shown: set[str] = set()
    first = window("新建村卫生室", HEAD, 200, shown)
    assert "全市将新建村卫生室40所。" in first
    second = window("新建村卫生室", TAIL, 200, shown)
    assert "全市将新建村卫生室40所。" not in second and second.startswith(GAP)
    assert "各县要在6月底前上报建设方案。" in second and "市财政安排专项资金2000万元。" in second


def test_a_passage_that_adds_nothing_new_is_a_gap_and_nothing_is_dropped_without_shown() -> None:
    shown: set[str] = set()
    window("专项资金", ARTICLE, 200, shown)
    assert window("专项资金", TAIL, 200, shown) == GAP
    assert window("专项资金", TAIL, 200) == TAIL  # no record: read whole


def hit(position: int, index: int, text: str) -> Hit:
    chunk = Chunk(id=f"c{position}{index}", text=text, title=f"标题{position}", file="a.txt",
                  file_sha="0", page=1, position=position, index=index)
    return Hit(chunk=chunk, score=1.0)


def test_repeated_sentences_count_only_within_one_article() -> None:
    """Two articles may share a sentence (a list item, a stock phrase): each keeps its own."""
    same = format_sources([hit(0, 0, HEAD), hit(0, 1, TAIL)], "村卫生室", 200)
    assert same.count("全市将新建村卫生室40所。") == 1
    other = format_sources([hit(0, 0, HEAD), hit(1, 0, TAIL)], "村卫生室", 200)
    assert other.count("全市将新建村卫生室40所。") == 2


def test_passages_ranked_after_the_first_ones_get_the_later_budget() -> None:
    hits = [hit(p, 0, REPORT) for p in range(FULL_BUDGET_RANKS + 2)]
    blocks = format_sources(hits, "今年要新建多少座公共厕所？", 120, 40).split("\n[")
    sizes = [len(b.split("<source>")[1]) for b in blocks]
    assert sizes[:FULL_BUDGET_RANKS] == [sizes[0]] * FULL_BUDGET_RANKS
    assert all(size < sizes[0] for size in sizes[FULL_BUDGET_RANKS:])
    assert all("今年全县将新建公共厕所120座" in b for b in blocks)  # the best sentence stays
    whole = format_sources(hits, "今年要新建多少座公共厕所？", 0, 30)  # no budget: whole passages
    assert whole.count(REPORT) == len(hits)
