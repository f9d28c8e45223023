"""How much CPU the rest of the machine uses right now, so the local server can leave it a core.

In:  `own()`, a callable giving the process ids whose CPU time is ours (this process and the
     llama.cpp servers it started); Linux's /proc/stat and /proc/<pid>/stat.
Out: `OtherLoad.cores()` -> the cores' worth of CPU time every OTHER process used over the last
     `window` seconds (0.0 on an idle machine, ~1.0 while one other CPU-bound process runs), read
     by a daemon thread every `every` seconds; None where /proc cannot be read.
Why: llama.cpp generates one token at a time with its threads in lockstep, so when another
process takes one of the cores it generates on, every step waits for it (README "Measured"):
every core is fastest on an idle machine, all but one on a busy one. The machine's load changes
while the app runs, so it is read per question, not once at start.
Not handled: machines without /proc (macOS, Windows: None, the caller keeps a fixed setting);
CPU quotas of a container, where /proc/stat counts the host's CPUs (the load read is then the
host's); another process's future: a burst that starts after a question was given to a server
is read for the next one.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable

CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def machine_busy_ticks(stat: str = "/proc/stat") -> int:
    """CPU time all cores spent on anything but idling and waiting for disks, in clock ticks."""
    with open(stat) as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return user + nice + system + irq + softirq + steal


def process_ticks(pid: int) -> int | None:
    """CPU time of one process (all its threads; not its children), in clock ticks; None when
    it has ended."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            after_name = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(after_name[11]) + int(after_name[12])  # utime, stime (fields 14 and 15)


class OtherLoad:
    """Samples the machine's and our processes' CPU time every `every` seconds in a daemon
    thread (stopped by close()) and keeps `window` seconds of it."""

    def __init__(self, own: Callable[[], Iterable[int]], every: float = 0.5,
                 window: float = 3.0) -> None:
        self._own, self._every = own, every
        self._steps: deque[tuple[float, int]] = deque(maxlen=max(2, round(window / every)))
        self._ready = threading.Event()
        self._stop = threading.Event()
        try:
            self._last = self._sample()
        except OSError:  # no /proc: nothing to read
            self._last = None
            return
        threading.Thread(target=self._run, name="cpu-load", daemon=True).start()

    def cores(self, wait: float = 2.0) -> float | None:
        """Other processes' CPU use over the window, in cores; waits up to `wait` s for the
        first step to be read. None without /proc."""
        if self._last is None or not self._ready.wait(wait):
            return None
        steps = list(self._steps)
        seconds = sum(s for s, _ in steps)
        return max(0.0, sum(t for _, t in steps) / CLOCK_TICKS / seconds) if seconds else None

    def close(self) -> None:
        self._stop.set()

    def _sample(self) -> tuple[float, int, dict[int, int]]:
        own = {pid: t for pid in set(self._own()) if (t := process_ticks(pid)) is not None}
        return time.monotonic(), machine_busy_ticks(), own

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            try:
                now = self._sample()
            except OSError:
                continue
            (t0, busy0, own0), (t1, busy1, own1) = self._last, now
            # a process of ours that is new since the last step (a server just started) spent
            # all its time within this step
            ours = sum(ticks - own0.get(pid, 0) for pid, ticks in own1.items())
            self._steps.append((t1 - t0, busy1 - busy0 - ours))
            self._last = now
            self._ready.set()
