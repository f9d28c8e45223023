"""The local server's generating threads follow the machine's load: other processes' CPU use is
read from /proc (our own work and our servers' are not "other"), and each question goes to the
server whose thread count suits it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.answer import local_server
from assistant.answer.cpu_load import OtherLoad, process_ticks
from assistant.answer.endpoint import is_healthy
from assistant.answer.local_server import SharedServer
from assistant.config import Settings

needs_proc = pytest.mark.skipif(not Path("/proc/stat").exists(), reason="reads Linux's /proc")


@pytest.fixture
def cpu_bound_process():
    proc = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield proc
    proc.kill()
    proc.wait()


@needs_proc
def test_another_cpu_bound_process_is_other_load_and_ours_is_not(cpu_bound_process) -> None:
    # the same process read by two monitors at once: one counts it as another's, one as ours
    theirs = OtherLoad(lambda: [os.getpid()], every=0.2)
    ours = OtherLoad(lambda: [os.getpid(), cpu_bound_process.pid], every=0.2)
    try:
        time.sleep(2.5)
        other, own = theirs.cores(), ours.cores()
    finally:
        theirs.close()
        ours.close()
    assert other is not None and own is not None
    assert other >= 0.5  # a CPU-bound process gets at least half a core on any machine we run on
    assert other - own >= 0.5  # ... and none of it is "other" once it is ours


@needs_proc
def test_a_process_that_ended_has_no_ticks(cpu_bound_process) -> None:
    assert process_ticks(cpu_bound_process.pid) is not None
    cpu_bound_process.kill()
    cpu_bound_process.wait()
    assert process_ticks(cpu_bound_process.pid) is None


def test_without_proc_the_load_is_unknown(monkeypatch) -> None:
    def no_proc(*_: object) -> int:
        raise FileNotFoundError("/proc/stat")

    monkeypatch.setattr("assistant.answer.cpu_load.machine_busy_ticks", no_proc)
    assert OtherLoad(lambda: [os.getpid()]).cores(wait=0.1) is None


class FixedLoad:
    """Stand-in for cpu_load.OtherLoad with a load set by the test (the real one is tested
    above): which server a question goes to is a rule on the load, tested here."""
    cores_now: float | None = 0.0

    def __init__(self, own) -> None:
        pass

    def cores(self) -> float | None:
        return FixedLoad.cores_now

    def close(self) -> None:
        pass


@pytest.mark.unit
@pytest.mark.parametrize("cores, load, threads", [
    (2, 0.0, 2), (2, 0.3, 2), (2, 0.9, 1), (2, 1.8, 1), (2, None, 1),  # None: no /proc
    (8, 0.1, 8), (8, 2.0, 7), (1, 0.0, 1), (1, 0.9, 1)])
def test_every_core_generates_on_an_idle_machine_and_one_is_left_on_a_busy_one(
        monkeypatch, cores: int, load: float | None, threads: int) -> None:
    monkeypatch.setattr("assistant.config.available_cores", lambda: cores)
    monkeypatch.setattr("assistant.answer.cpu_load.OtherLoad", FixedLoad)
    FixedLoad.cores_now = load
    assert SharedServer(Settings()).threads_now() == threads


@pytest.mark.unit
def test_threads_the_user_sets_are_kept_whatever_the_load(monkeypatch) -> None:
    monkeypatch.setattr("assistant.config.available_cores", lambda: 2)
    monkeypatch.setattr("assistant.answer.cpu_load.OtherLoad", FixedLoad)
    for load in (0.0, 1.5):
        FixedLoad.cores_now = load
        assert SharedServer(Settings(llm_threads=2)).threads_now() == 2


def test_each_thread_count_has_its_own_server_and_close_stops_both(
        monkeypatch, smollm2_gguf: Path) -> None:
    monkeypatch.setattr("assistant.config.available_cores", lambda: 2)
    started: list[int] = []
    real = local_server.local_server
    monkeypatch.setattr(local_server, "local_server",
                        lambda s, threads=None: started.append(threads) or real(s, threads))
    shared = SharedServer(Settings(llm_model_path=smollm2_gguf, llm_context=1024))
    try:
        shared.start_all()
        busy, idle = shared.base_url(1), shared.base_url(2)
        assert busy != idle and is_healthy(busy) and is_healthy(idle)
        now = shared.endpoint()  # a question asked now goes to one of the two
        assert now.base_url == {1: busy, 2: idle}[now.threads]
        assert sorted(started) == [1, 2]  # each started once, not per call
        assert set(shared._own_pids()) - {os.getpid()}  # the servers' time is ours, not "other"
    finally:
        shared.close()
    assert not is_healthy(busy, timeout=1) and not is_healthy(idle, timeout=1)
