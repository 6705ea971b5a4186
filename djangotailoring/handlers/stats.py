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
    """

    persisted: int = 0
    retried: int = 0
    spilled: int = 0
    dropped: int = 0
    replayed: int = 0
    queued: int = 0


class Counters:
    """Thread-safe running totals behind :class:`HandlerStats`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.persisted = 0
        self.retried = 0
        self.spilled = 0
        self.dropped = 0
        self.replayed = 0

    def add(
        self,
        *,
        persisted: int = 0,
        retried: int = 0,
        spilled: int = 0,
        dropped: int = 0,
        replayed: int = 0,
    ) -> None:
        """Add to the totals."""
        with self._lock:
            self.persisted += persisted
            self.retried += retried
            self.spilled += spilled
            self.dropped += dropped
            self.replayed += replayed

    def snapshot(self, queued: int) -> HandlerStats:
        """The totals now, with ``queued`` records still waiting."""
        with self._lock:
            return HandlerStats(
                persisted=self.persisted,
                retried=self.retried,
                spilled=self.spilled,
                dropped=self.dropped,
                replayed=self.replayed,
                queued=queued,
            )
