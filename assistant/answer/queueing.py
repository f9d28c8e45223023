"""Turns at the language model: first come, first served, a fixed number at a time.

In:  the number of questions the endpoint works on at once (Settings.llm_parallel; the local
     llama.cpp server answers one at a time).
Out: `ModelQueue.ticket()` -> a Ticket whose `waiting()` yields how many questions are ahead
     each time that changes (and again every `heartbeat` seconds while it does not, so that a
     streamed reply never goes silent long enough for a client or proxy to drop it), and
     returns when it is this question's turn; `leave()` ends the turn
     (call it in a `finally`, so a closed stream never holds the model).
Why: several users (UI sessions, API clients) share one model; a question that waits should say
where it stands instead of timing out, and its timeout should start when its turn does.
Not handled here: the model calls themselves (chain.py), timeouts (chain.first_token_budget).
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator


class ModelQueue:
    def __init__(self, slots: int = 1) -> None:
        self.slots = max(1, slots)
        self._cond = threading.Condition()
        self._waiting: list[int] = []  # tickets in arrival order
        self._busy = 0
        self._numbers = itertools.count()

    def ticket(self) -> Ticket:
        with self._cond:
            number = next(self._numbers)
            self._waiting.append(number)
        return Ticket(self, number)

    def _ahead(self, number: int) -> int:
        """Questions before this one: those waiting before it, plus those being answered that
        hold the slots it needs (0 when it may go)."""
        free = self.slots - self._busy
        position = self._waiting.index(number)
        return 0 if position < free else position - free + 1


class Ticket:
    def __init__(self, queue: ModelQueue, number: int) -> None:
        self._queue, self._number = queue, number
        self._state = "waiting"

    def waiting(self, poll: float = 0.5, heartbeat: float = 15.0) -> Iterator[int]:
        """Yields the number of questions ahead whenever it changes, and again after `heartbeat`
        seconds without a change (nothing when the model is free); returns once this ticket
        holds a turn."""
        q, last, said = self._queue, None, 0.0
        while True:
            with q._cond:
                ahead = q._ahead(self._number)
                if ahead == 0:
                    q._waiting.remove(self._number)
                    q._busy += 1
                    self._state = "served"
                    return
                if ahead == last and time.monotonic() - said < heartbeat:
                    q._cond.wait(poll)
                    continue
                last, said = ahead, time.monotonic()
            yield ahead

    def leave(self) -> None:
        """End the turn (or give up waiting); safe to call more than once."""
        q = self._queue
        with q._cond:
            if self._state == "served":
                q._busy -= 1
            elif self._state == "waiting":
                q._waiting.remove(self._number)
            self._state = "left"
            q._cond.notify_all()
