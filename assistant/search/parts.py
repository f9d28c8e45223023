"""The index's vectors as a list of parts: saved segments (memory-mapped) and unsaved additions.

In: vector arrays with the indices of their live rows. Out: row i of the index = the i-th live row
across the parts in order; one row (`row`), blocks in order (`blocks`, never all joined in memory),
or everything joined (`joined`, bulk work only). Removing rows shrinks each part's live list
(a saved segment itself is never changed); a part with no live row left is dropped.
Not handled: the chunks and tokens of those rows (store.py), files on disk (segments.py).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np


@dataclass
class Part:
    name: str | None  # the segment folder; None until saved
    vectors: np.ndarray  # every row of the segment (memory-mapped once saved)
    keep: np.ndarray  # indices of its live rows, in order
    words: list[str]  # the segment's word list (saved parts): fixes the vocabulary's order


class VectorParts:
    def __init__(self, dim: int) -> None:
        self.dim = dim
        self.parts: list[Part] = []
        self._starts: list[int] | None = None  # first row of each part (cached)
        self._joined: np.ndarray | None = None

    def __len__(self) -> int:
        return sum(len(p.keep) for p in self.parts)

    def _changed(self) -> None:
        self._starts = self._joined = None

    def append(self, part: Part) -> None:
        self.parts.append(part)
        self._changed()

    def replace(self, first: int, end: int, part: Part) -> None:
        self.parts[first:end] = [part]
        self._changed()

    def keep_only(self, live: np.ndarray) -> None:
        """Keep the rows where `live` (one bool per row) is true."""
        at, parts = 0, []
        for p in self.parts:
            p.keep, at = p.keep[live[at:at + len(p.keep)]], at + len(p.keep)
            if len(p.keep):
                parts.append(p)
        self.parts = parts
        self._changed()

    def row(self, row: int) -> np.ndarray:
        if self._starts is None:
            self._starts = [0, *np.cumsum([len(p.keep) for p in self.parts[:-1]]).tolist()]
        if not 0 <= row < len(self):
            raise IndexError(row)
        n = bisect.bisect_right(self._starts, row) - 1
        return self.parts[n].vectors[self.parts[n].keep[row - self._starts[n]]]

    def joined(self) -> np.ndarray:
        if self._joined is None:
            one = len(self.parts) == 1 and len(self.parts[0].keep) == len(self.parts[0].vectors)
            self._joined = self.parts[0].vectors if one else np.concatenate(
                [np.zeros((0, self.dim), dtype=np.float32), *self.blocks()])
        return self._joined

    def blocks(self, rows: int = 8192, first: int = 0, end: int | None = None):
        """The live vectors of parts[first:end] in order, at most `rows` at a time."""
        for p in self.parts[first:end]:
            for start in range(0, len(p.keep), rows):
                keep = p.keep[start:start + rows]
                whole = keep[-1] - keep[0] == len(keep) - 1
                yield np.array(p.vectors[keep[0]:keep[-1] + 1] if whole else p.vectors[keep],
                               dtype=np.float32)

    def span(self, first: int, end: int) -> tuple[int, int]:
        """The rows of parts[first:end]."""
        start = sum(len(p.keep) for p in self.parts[:first])
        return start, start + sum(len(p.keep) for p in self.parts[first:end])

    def smallest_pair(self) -> tuple[int, int]:
        """(first, end) of the two neighbouring parts with the fewest rows together."""
        sizes = [len(a.keep) + len(b.keep) for a, b in zip(self.parts, self.parts[1:])]
        first = sizes.index(min(sizes))
        return first, first + 2

    def unsaved(self) -> int:
        """Index of the first unsaved part (they always come last)."""
        return len(self.parts) - sum(p.name is None for p in self.parts)

    def manifest(self) -> list[dict]:
        return [{"name": p.name, "rows": len(p.vectors),
                 "removed": np.setdiff1d(np.arange(len(p.vectors)), p.keep).tolist()}
                for p in self.parts]
