"""One bounded memo for the pure functions capture calls over and over.

A document repeats its values: the same timestamps, numbers, site and lot URIs, CBV
terms and lot master data come back event after event, and capture re-derives each
(normalised timestamps, Digital Link URIs, pre-hash parts, validated master data,
receipt templates). Each of those functions is pure, so its result is kept here under
its input. A :class:`Memo` is a ``dict`` (a hit costs one ``dict.get``, which is why
capture is fast: see ``docs/benchmarks.md``) that holds at most ``size`` entries: when
full, it is emptied and fills again, so a long-running process never grows and never
serves a stale result (keys are the whole input, or an object identity checked by the
caller).

Examples
--------
>>> squares: Memo[int, int] = Memo(2)
>>> squares.get(3) is None
True
>>> squares.remember(3, 9), squares.get(3)
(9, 9)
>>> squares.remember(4, 16), squares.remember(5, 25), len(squares)  # full: emptied first
(16, 25, 1)

"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["Memo"]

K = TypeVar("K")
V = TypeVar("V")


class Memo(dict[K, V]):
    """A bounded memo of a pure function's results, keyed by its input.

    Read it with :meth:`dict.get` (``None`` for a miss: store no ``None`` results) and
    fill it only with :meth:`remember`, which keeps the bound.

    Parameters
    ----------
    size
        Most entries held; when full, the memo is emptied before it stores one more.

    """

    __slots__ = ("size",)

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def remember(self, key: K, value: V) -> V:
        """Store ``value`` under ``key`` (emptying the memo first if it is full)."""
        if len(self) >= self.size:
            self.clear()
        self[key] = value
        return value
