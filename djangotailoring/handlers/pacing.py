"""Keep the writer's bursts of Python work short while the application is busy.

The writer shares the GIL with the application's threads. A thread that wants the GIL
while the writer computes waits until the writer blocks on I/O or until the interpreter's
switch interval (5 ms by default) forces a hand-over, so one batch prepared in one go adds
its whole duration to a request that happens to run beside it. :class:`Pacer` lets the
writer step aside for a moment after every ``slice_seconds`` of work, but only while new
records keep arriving (the application is running): when nothing else runs, as when the
writer catches up after a burst or flushes at exit, it never pauses.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["PAUSE_SECONDS", "SLICE_SECONDS", "Pacer", "no_pacing"]

SLICE_SECONDS = 0.0002
PAUSE_SECONDS = 0.00005


class Pacer:
    """Call :meth:`tick` once per record of work; it pauses now and then when it should.

    ``arrivals`` tells how many records are there: the queue's size, or the count of
    records appended to the journal. It growing means the application is logging.
    """

    __slots__ = ("_arrivals", "_seen", "_since", "slice_seconds")

    def __init__(self, arrivals: Callable[[], int], slice_seconds: float = SLICE_SECONDS):
        self._arrivals = arrivals
        self.slice_seconds = slice_seconds
        self._since = time.perf_counter()
        self._seen = arrivals()

    def restart(self) -> None:
        """Start a fresh slice (the writer starts a drain)."""
        self._since = time.perf_counter()
        self._seen = self._arrivals()

    def tick(self) -> None:
        """Pause briefly if this slice of work is used up and records are still arriving."""
        now = time.perf_counter()
        if now - self._since < self.slice_seconds:
            return
        waiting = self._arrivals()
        if waiting > self._seen:
            # Blocks (releasing the GIL) long enough for a waiting thread to take it.
            time.sleep(PAUSE_SECONDS)
            now = time.perf_counter()
        self._seen = waiting
        self._since = now


def no_pacing() -> None:
    """The pace of a store that is not driven by a writer thread: never pause."""
