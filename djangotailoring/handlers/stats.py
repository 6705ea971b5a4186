"""Counters of what an ``EventHandler`` did with the records handed to it."""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["Counters", "HandlerStats"]


@dataclass(frozen=True)
class HandlerStats:
    """A snapshot of an ``EventHandler``'s counters.

    Every record handed over ends up in exactly one of ``persisted``, ``spilled`` or
    ``dropped``, or is still ``queued``.

    - ``persisted``: records committed to the database as Events.
    - ``retried``: records whose first write failed and that were tried again.
    - ``spilled``: records written to the spill file instead of the database.
    - ``dropped``: records lost because even the spill file could not be written
      (each drop is also reported on standard error).
    - ``replayed``: Events written from the spill file (after an outage or a restart).
    - ``queued``: records handed over and not yet persisted or spilled.
    - ``torn``: lines of a journal that could not be read (cut short by a crash or a full
      disk) and were skipped.
    """

    persisted: int = 0
    retried: int = 0
    spilled: int = 0
    dropped: int = 0
    replayed: int = 0
    queued: int = 0
    torn: int = 0


class Counters:
    """Running totals behind :class:`HandlerStats`.

    Adding is locked; reading is not (a snapshot may be a moment old), so that a signal
    handler never waits for a lock held by the code it interrupted or by another thread.
    """

    def __init__(self) -> None:
        # Re-entrant: a SIGTERM handler may count while the interrupted code holds it.
        self._lock = threading.RLock()
        self.persisted = 0
        self.retried = 0
        self.spilled = 0
        self.dropped = 0
        self.replayed = 0
        self.torn = 0

    def add(
        self,
        *,
        persisted: int = 0,
        retried: int = 0,
        spilled: int = 0,
        dropped: int = 0,
        replayed: int = 0,
        torn: int = 0,
    ) -> None:
        """Add to the totals."""
        with self._lock:
            self.persisted += persisted
            self.retried += retried
            self.spilled += spilled
            self.dropped += dropped
            self.replayed += replayed
            self.torn += torn

    def snapshot(self, queued: int, *others: Counters) -> HandlerStats:
        """The totals now, with those of ``others`` and ``queued`` records still waiting."""
        every = (self, *others)
        return HandlerStats(
            persisted=sum(counters.persisted for counters in every),
            retried=sum(counters.retried for counters in every),
            spilled=sum(counters.spilled for counters in every),
            dropped=sum(counters.dropped for counters in every),
            replayed=sum(counters.replayed for counters in every),
            queued=queued,
            torn=sum(counters.torn for counters in every),
        )
