"""The index's writer lock: one writer at a time per index folder; readers never take it.

In: an index folder. Out: `WriterLock(index_dir)`, a context manager that holds
fcntl.flock(LOCK_EX) on index_dir/.lock for a whole write (an ingest, a removal, an upload). A
second writer waits for the first; it says so once, naming the holder's pid (which the holder
writes into the lock file), through the `waiting` callback or else a log warning. Re-entrant within
one thread: an ingest holds it and each of its saves takes it again. The kernel drops the lock when
its holder dies, however it dies, so a killed ingest never leaves the index locked.
Not handled: locking across machines (flock over NFS varies), readers (generations are immutable,
so they need no lock).
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path

LOCK_NAME = ".lock"
log = logging.getLogger(__name__)
_held: dict[tuple[str, int], list[int]] = {}  # (lock path, thread) -> [fd, depth]
_guard = threading.Lock()


def _say_waiting(pid: int | None) -> None:
    log.warning("waiting for another ingest (pid %s) to finish…", pid or "unknown")


class WriterLock:
    def __init__(self, index_dir: Path, waiting: Callable[[int | None], object] | None = None):
        self.path = Path(index_dir) / LOCK_NAME
        self.waiting = waiting or _say_waiting

    def _key(self) -> tuple[str, int]:
        return str(self.path.resolve()), threading.get_ident()

    def __enter__(self) -> WriterLock:
        key = self._key()
        with _guard:
            if key in _held:
                _held[key][1] += 1
                return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.waiting(holder(self.path.parent))
                fcntl.flock(fd, fcntl.LOCK_EX)
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except BaseException:
            os.close(fd)
            raise
        with _guard:
            _held[key] = [fd, 1]
        return self

    def __exit__(self, *exc: object) -> None:
        key = self._key()
        with _guard:
            entry = _held[key]
            entry[1] -= 1
            if entry[1]:
                return
            del _held[key]
        os.close(entry[0])  # closing the descriptor releases the flock


def holder(index_dir: Path) -> int | None:
    """The pid written by the process that holds (or last held) the lock, if readable."""
    try:
        return int((Path(index_dir) / LOCK_NAME).read_text().strip())
    except (OSError, ValueError):
        return None


def held(index_dir: Path) -> bool:
    """Whether this thread holds the writer lock of index_dir."""
    key = (str((Path(index_dir) / LOCK_NAME).resolve()), threading.get_ident())
    with _guard:
        return key in _held
