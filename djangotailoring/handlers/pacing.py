"""Keep the writer's bursts of Python work short while the application is busy.

The writer shares the GIL with the application's threads. A thread that wants the GIL
while the writer computes waits until the writer blocks on I/O or until the interpreter's
switch interval (5 ms by default) forces a hand-over, so one batch prepared in one go adds
its whole duration to a request that happens to run beside it. :class:`Pacer` lets the
writer step aside for a moment after every ``slice_seconds`` of work while the application
is live: while records arrived within the last ``live_seconds``. The application's threads
cannot log while they wait for the GIL, so "records are arriving during this slice" would
miss exactly the thread that waits (a single-threaded worker serving one request); the
window looks back further than one slice. When nothing else has run for that long, as when
the writer catches up after a burst or flushes at exit, it never pauses.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["LIVE_SECONDS", "PAUSE_SECONDS", "SLICE_SECONDS", "Pacer", "no_pacing"]

#: Longest run of the writer's Python while the application is live.
SLICE_SECONDS = 0.0002
#: How long the writer blocks (releasing the GIL) at the end of a slice.
PAUSE_SECONDS = 0.00005
#: The application counts as live for this long after a record arrived.
LIVE_SECONDS = 0.02


class Pacer:
    """Call :meth:`tick` once per record of work; it pauses now and then when it should.

    ``arrivals`` tells how many records are there: the queue's size, or the count of
    records appended to the journal. It changing means the application is logging.
    """

    __slots__ = ("_arrivals", "_arrived", "_seen", "_since", "live_seconds", "slice_seconds")

    def __init__(
        self,
        arrivals: Callable[[], int],
        slice_seconds: float = SLICE_SECONDS,
        live_seconds: float = LIVE_SECONDS,
    ):
        self._arrivals = arrivals
        self.slice_seconds = slice_seconds
        self.live_seconds = live_seconds
        self._since = time.perf_counter()
        self._seen = arrivals()
        # When a record was last seen arriving; none yet.
        self._arrived = self._since - live_seconds

    @property
    def live(self) -> bool:
        """Whether a record arrived within the last ``live_seconds`` (as last looked)."""
        return self._live_at(time.perf_counter())

    def restart(self) -> None:
        """Start a fresh slice (the writer starts a drain)."""
        self._since = time.perf_counter()
        self._look(self._since)

    def tick(self) -> None:
        """Pause briefly if this slice of work is used up and the application is live."""
        now = time.perf_counter()
        if now - self._since < self.slice_seconds:
            return
        self._look(now)
        if self._live_at(now):
            # Blocks (releasing the GIL) long enough for a waiting thread to take it.
            time.sleep(PAUSE_SECONDS)
            now = time.perf_counter()
        self._since = now

    def _live_at(self, now: float) -> bool:
        return now - self._arrived < self.live_seconds

    def _look(self, now: float) -> None:
        waiting = self._arrivals()
        if waiting != self._seen:
            self._seen = waiting
            self._arrived = now


def no_pacing() -> None:
    """The pace of a store that is not driven by a writer thread: never pause."""
