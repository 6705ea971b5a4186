"""The background writer of ``EventHandler``: batches, retries, spills, replays.

One daemon thread per handler takes captured records from a queue, prepares them, and
writes them in batches on the store's private connection. It never waits for a batch to
fill: a record is written ``flush_interval`` after it arrived at the latest (sooner when a
flush is asked for or the queue fills up), together with whatever arrived meanwhile.
While the database is unreachable it keeps batches in memory (retrying with backoff) up
to ``buffer_size`` records and spills the oldest beyond that; a flush request that cannot
be met by the database is met by the spill file.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import random
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from djangotailoring.handlers.capture import capture
from djangotailoring.handlers.eventstore import EventStore, Unavailable
from djangotailoring.handlers.preparing import prepare
from djangotailoring.handlers.replaying import ReplayResult, replay_steps
from djangotailoring.handlers.spilling import SpillFile
from djangotailoring.handlers.stats import Counters
from djangotailoring.requestcontext import RequestState

__all__ = [
    "STOP",
    "BackgroundWriter",
    "Batch",
    "FlushRequest",
    "HandedOver",
    "Prepared",
    "in_writer",
    "internal_logger",
    "new_batch_id",
    "report_drop",
    "spill_or_drop",
    "take_queued",
]

# Records emitted while this is set (the writer thread, an immediate write) are never
# persisted: they are our own queries and warnings, and persisting them would loop.
in_writer = threading.local()
# Warnings about outages and spilling; EventHandler refuses this logger's records.
internal_logger = logging.getLogger("djangotailoring.handlers")

STOP = object()
# A record as the caller's thread hands it over: its attributes and the current request.
HandedOver: TypeAlias = "tuple[dict[str, Any], RequestState | None]"
FIRST_BACKOFF = 0.05
MAX_BACKOFF = 2.0


class FlushRequest:
    """Asks the writer to commit (or spill) everything handed over before it."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


@dataclass
class Prepared:
    """An event prepared already (an immediate write that found the database away)."""

    event: dict[str, Any]


@dataclass
class Batch:
    """Prepared events written together, in one transaction, under one marker."""

    id: str
    events: list[dict[str, Any]]
    retried: bool = field(default=False)


def new_batch_id() -> str:
    """A fresh, unique batch marker."""
    return uuid.uuid4().hex


def report_drop(count: int, reason: str) -> None:
    """Tell standard error that ``count`` records were lost (as ``Handler.handleError`` does)."""
    # Nothing else is left to report to if standard error fails.
    with contextlib.suppress(Exception):
        sys.stderr.write(f"--- djangotailoring EventHandler dropped {count} record(s): {reason}\n")


def take_queued(records: queue.SimpleQueue[Any]) -> Iterator[Any]:
    """Take what is in ``records`` now, without waiting for more."""
    while True:
        try:
            yield records.get_nowait()
        except queue.Empty:
            return


def spill_or_drop(spill: SpillFile, counters: Counters, batches: list[Batch]) -> None:
    """Append ``batches`` to ``spill``; if even that fails, count and report them as dropped."""
    count = sum(len(batch.events) for batch in batches)
    try:
        spill.append((batch.id, batch.events) for batch in batches)
    except Exception as error:
        # Reported as drops, never raised.
        counters.add(dropped=count)
        report_drop(count, f"could not write the spill file {spill.path} ({error!r})")
        return
    counters.add(spilled=count)


class BackgroundWriter:
    """The thread that persists what an ``EventHandler`` hands over."""

    def __init__(
        self,
        *,
        records: queue.SimpleQueue[Any],
        store: EventStore,
        spill: SpillFile,
        counters: Counters,
        batch_size: int,
        flush_interval: float,
        buffer_size: int,
        replay_on_recovery: bool,
        pressure: int,
    ) -> None:
        self.records = records
        self.store = store
        self.spill = spill
        self.counters = counters
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.buffer_size = buffer_size
        self.replay_on_recovery = replay_on_recovery
        self.pressure = pressure
        self.thread = threading.Thread(
            target=self._run, name="djangotailoring-event-writer", daemon=True
        )
        # Re-entrant: a SIGTERM handler may flush while this thread's caller holds them.
        self._lock = threading.RLock()
        self._batches: deque[Batch] = deque()
        self._open: list[dict[str, Any]] = []
        self._wake = threading.Event()
        self._held = 0
        self._down = False
        self._spilling = False
        self._retry_at = 0.0
        self._backoff = FIRST_BACKOFF
        self._replay: Iterator[None] | None = None
        self._replay_result = ReplayResult()
        self._replay_checked = False
        self._abandoned = False
        # Set when the thread has ended, for whatever reason: the handler starts another.
        self.stopped = False

    # Control, from other threads ---------------------------------------------------------

    def start(self) -> None:
        """Start the thread."""
        self.thread.start()

    @property
    def held(self) -> int:
        """Records the writer has taken and not yet written or spilled."""
        return self._held

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything handed over before now is committed or spilled."""
        request = FlushRequest()
        # No lock here: a SIGTERM handler may flush in the middle of another flush().
        self.records.put(request)
        self._wake.set()
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            wait = 0.5 if deadline is None else min(0.5, deadline - time.monotonic())
            if wait <= 0:
                return False
            if request.done.wait(wait):
                return True
            if not self.thread.is_alive():
                return False

    def stop(self, timeout: float | None = None) -> bool:
        """Ask the thread to finish what it holds and end; ``True`` when it has ended."""
        self.records.put(STOP)
        self.thread.join(timeout)
        return not self.thread.is_alive()

    def abandon(self) -> list[Batch]:
        """Take everything the thread holds away from it (it is stuck or gone)."""
        with self._lock:
            self._abandoned = True
            batches = list(self._batches)
            if self._open:
                batches.append(Batch(new_batch_id(), self._open))
            self._batches.clear()
            self._open = []
            self._held = 0
        return batches

    # The thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        in_writer.active = True
        try:
            self._loop()
        except BaseException as error:
            leftovers = self.abandon()
            self.spill_batches(leftovers)
            report_drop(0, f"the writer thread failed ({error!r}); what it held was spilled")
        finally:
            self.stopped = True
            self.store.close()
            self._close_thread_connections()

    @staticmethod
    def _close_thread_connections() -> None:
        # Resolving a lazy request.user or a new content type may have opened this thread's
        # own Django connections: close them, or they would outlive the thread.
        from django.db import connections

        with contextlib.suppress(Exception):
            connections.close_all()

    def _idle_timeout(self) -> float | None:
        if self._batches:
            return max(0.0, self._retry_at - time.monotonic())
        if self._replay is not None:
            return 0.0
        return None

    def _loop(self) -> None:
        while not self._abandoned:
            try:
                item = self.records.get(timeout=self._idle_timeout())
            except queue.Empty:
                item = None
            if item is not None and item is not STOP and not isinstance(item, FlushRequest):
                self._linger()
            # Cleared before draining: a flush or wake-up from now on is seen by the next
            # linger, and every request queued before now is served by this drain.
            self._wake.clear()
            if not self._drain(item):
                return
            self._write(force=False)
            self._bound()
            self._replay_step()

    def _linger(self) -> None:
        # Gather what arrives within flush_interval into one transaction, and keep this
        # thread off the GIL while the application is busy logging. A flush, or a queue
        # filling up, ends the wait early.
        if self.records.qsize() < self.pressure:
            self._wake.wait(self.flush_interval)

    def replay_soon(self) -> None:
        """Replay the spill file once the writer has caught up (the caller spilled)."""
        self._replay_checked = False

    def wake(self) -> None:
        """End the writer's wait for more records (the queue is filling up)."""
        self._wake.set()

    def _drain(self, item: Any) -> bool:
        """Take ``item`` and everything queued, writing full batches as they form."""
        while item is not None:
            if item is STOP:
                self._finish()
                return False
            if isinstance(item, FlushRequest):
                self._serve(item)
                item = self._next()
                continue
            run, item = self._gather(item)
            self._take(run)
            if len(self._open) >= self.batch_size:
                self._seal()
                self._write(force=False)
                self._bound()
            if item is None:
                item = self._next()
        self._seal()
        return True

    def _next(self) -> Any:
        try:
            return self.records.get_nowait()
        except queue.Empty:
            return None

    def _gather(self, first: Any) -> tuple[list[Any], Any]:
        """Records queued after ``first``, up to a full batch; and a control item met."""
        run = [first]
        room = self.batch_size - len(self._open) - 1
        while room > 0:
            item = self._next()
            if item is None:
                break
            if item is STOP or isinstance(item, FlushRequest):
                return run, item
            run.append(item)
            room -= 1
        return run, None

    def _serve(self, request: FlushRequest) -> None:
        self._seal()
        self._write(force=True)
        self.spill_batches(self._take_all())
        request.done.set()

    def _take(self, items: list[Any]) -> None:
        events = []
        for item in items:
            try:
                events.append(item.event if isinstance(item, Prepared) else prepare(capture(*item)))
            except Exception as error:
                # One bad record must not stop the writer.
                self.counters.add(dropped=1)
                report_drop(1, f"could not be prepared ({error!r})")
        with self._lock:
            self._open.extend(events)
            self._held += len(events)

    def _seal(self) -> None:
        with self._lock:
            if self._open:
                self._batches.append(Batch(new_batch_id(), self._open))
                self._open = []

    def _take_all(self) -> list[Batch]:
        self._seal()
        with self._lock:
            batches = list(self._batches)
            self._batches.clear()
            self._held = 0
        return batches

    def _finish(self) -> None:
        # Records handed over after STOP (a racing emit) are written too, not lost.
        for item in take_queued(self.records):
            if isinstance(item, FlushRequest):
                self._serve(item)
            elif item is not STOP:
                self._take([item])
        self._seal()
        self._write(force=True)
        self.spill_batches(self._take_all())

    def _write(self, *, force: bool) -> None:
        if not self._batches or (self._down and not force and time.monotonic() < self._retry_at):
            return
        while self._batches:
            batch = self._batches[0]
            try:
                written, skipped, refused = self.store.write_each(batch.id, batch.events)
            except Unavailable as error:
                self._unavailable(batch, error)
                return
            with self._lock:
                if self._batches and self._batches[0] is batch:
                    self._batches.popleft()
                    self._held -= len(batch.events)
            # Skipped rows were committed by an earlier attempt whose outcome was unknown.
            self.counters.add(persisted=written + skipped)
            if refused:
                self._spill_refused(refused)
            if self._down:
                self._recovered()
            self._start_replay()

    def _unavailable(self, batch: Batch, error: Exception) -> None:
        if not batch.retried:
            batch.retried = True
            self.counters.add(retried=len(batch.events))
        if self._down:
            self._backoff = min(self._backoff * 2, MAX_BACKOFF)
        else:
            self._down = True
            self._backoff = FIRST_BACKOFF
            internal_logger.warning(
                "EventHandler cannot write to database %r (%s): keeping up to %d records "
                "in memory and retrying.",
                self.store.alias,
                error,
                self.buffer_size,
            )
        self._retry_at = time.monotonic() + self._backoff * random.uniform(0.5, 1.0)

    def _recovered(self) -> None:
        self._down = False
        self._backoff = FIRST_BACKOFF
        self._replay_checked = False
        if self._spilling:
            self._spilling = False
            internal_logger.warning(
                "EventHandler writes to database %r again; spilled records are in %s%s.",
                self.store.alias,
                self.spill.path,
                " and are being replayed" if self.replay_on_recovery else "",
            )
        else:
            internal_logger.warning("EventHandler writes to database %r again.", self.store.alias)

    def _bound(self) -> None:
        over = self._held - self.buffer_size
        if over <= 0:
            return
        victims = []
        with self._lock:
            while over > 0 and self._batches:
                batch = self._batches.popleft()
                self._held -= len(batch.events)
                over -= len(batch.events)
                victims.append(batch)
        self.spill_batches(victims)

    def spill_batches(self, batches: list[Batch], counters: Counters | None = None) -> None:
        """Write ``batches`` to the spill file (counting them as dropped if that fails).

        Another thread than the writer's passes its own ``counters``: the writer's are
        only ever added to by the writer thread.
        """
        if not any(batch.events for batch in batches):
            return
        if not self._spilling:
            self._spilling = True
            internal_logger.warning(
                "EventHandler is spilling records to %s; replay them with "
                "'manage.py replay_events %s'.",
                self.spill.path,
                self.spill.path,
            )
        spill_or_drop(self.spill, counters or self.counters, batches)

    def _spill_refused(self, refused: list[tuple[str, dict[str, Any]]]) -> None:
        self.spill_batches([Batch(marker, [event]) for marker, event in refused])

    def _start_replay(self) -> None:
        if self._replay is not None or self._replay_checked or not self.replay_on_recovery:
            return
        self._replay_checked = True
        if self.spill.exists():
            self._replay_result = ReplayResult()
            self._replay = replay_steps(self.spill, self.store, self._replay_result)

    def _replay_step(self) -> None:
        if self._replay is None or self._batches or self._down:
            return
        result = self._replay_result
        before = result.replayed
        try:
            next(self._replay)
        except StopIteration:
            self._replay = None
            # Records spilled while this replay ran (a caller's overflow) are next.
            self._start_replay()
        except Unavailable:
            # What is left stays in a claimed file, replayed after the next recovery.
            self._replay = None
        except Exception as error:
            # A bad spill file must not stop the writer.
            self._replay = None
            report_drop(0, f"replaying {self.spill.path} failed ({error!r}); the file is kept")
        self.counters.add(replayed=result.replayed - before)
