"""The background writer of ``EventHandler``: waiting, batching, flushing and stopping.

One daemon thread per handler takes handed-over records from a queue, prepares them, and
gives them in batches to its :class:`~djangotailoring.handlers.delivery.Delivery`. It never
waits for a batch to fill: a record is written ``flush_interval`` after it arrived at the
latest (sooner when a flush is asked for or the queue fills up), together with whatever
arrived meanwhile. While the database is unreachable it keeps batches in memory (the
delivery retries them with backoff) up to ``buffer_size`` records and spills the oldest
beyond that; a flush request that cannot be met by the database is met by the spill file.
"""

from __future__ import annotations

import contextlib
import queue
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from djangotailoring.handlers.delivery import Batch, Delivery, new_batch_id, report_drop
from djangotailoring.handlers.guard import in_writer
from djangotailoring.handlers.handover import HandedOver, read
from djangotailoring.handlers.pacing import Pacer
from djangotailoring.handlers.preparing import PreparedEvent, prepare
from djangotailoring.handlers.sessionusers import SessionUsers

__all__ = ["STOP", "BackgroundWriter", "FlushRequest", "Prepared", "take_queued"]

STOP = object()


class FlushRequest:
    """Asks the writer to commit (or spill) everything handed over before it."""

    __slots__ = ("done",)

    def __init__(self) -> None:
        self.done = threading.Event()


@dataclass
class Prepared:
    """An event prepared already (an immediate write that found the database away)."""

    event: PreparedEvent


def take_queued(records: queue.SimpleQueue[Any]) -> Iterator[Any]:
    """Take what is in ``records`` now, without waiting for more."""
    while True:
        try:
            yield records.get_nowait()
        except queue.Empty:
            return


def prepare_item(item: HandedOver | Prepared, sessions: SessionUsers | None) -> PreparedEvent:
    """The prepared event of a queued item."""
    if isinstance(item, Prepared):
        return item.event
    return prepare(read(item), sessions)


class BackgroundWriter:
    """The thread that persists what an ``EventHandler`` hands over."""

    def __init__(
        self,
        *,
        records: queue.SimpleQueue[Any],
        delivery: Delivery,
        batch_size: int,
        flush_interval: float,
        buffer_size: int,
        pressure: int,
    ) -> None:
        self.records = records
        self.delivery = delivery
        #: This thread's private connection: a replacement writer gets a store of its own,
        #: so a thread that is stuck or ending never shares a connection with another.
        self.store = delivery.store
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.buffer_size = buffer_size
        self.pressure = pressure
        self.thread = threading.Thread(
            target=self._run, name="djangotailoring-event-writer", daemon=True
        )
        # Re-entrant: a SIGTERM handler may flush while this thread's caller holds them.
        self._lock = threading.RLock()
        self._batches: deque[Batch] = deque()
        self._open: list[PreparedEvent] = []
        self._wake = threading.Event()
        self._held = 0
        # The record the thread has taken while it lingers for more (still queued).
        self._in_hand = 0
        self._sessions = SessionUsers()
        self._pacer = Pacer(records)
        self.store.pace = self._pacer.tick
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
        return self._held + self._in_hand

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

    def wake(self) -> None:
        """End the writer's wait for more records (the queue is filling up)."""
        self._wake.set()

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
            self.delivery.spill(self.abandon())
            report_drop(0, f"the writer thread failed ({error!r}); what it held was spilled")
        finally:
            self.store.close()
            self._close_thread_connections()
            # Last: a replacement writer shares the delivery's store, and must not use it
            # before this thread has let go of it.
            self.stopped = True

    @staticmethod
    def _close_thread_connections() -> None:
        # Finding a session's user or a new content type may have opened this thread's own
        # Django connections: close them, or they would outlive the thread.
        from django.db import connections

        with contextlib.suppress(Exception):
            connections.close_all()

    def _idle_timeout(self) -> float | None:
        if self._batches:
            return self.delivery.retry_in
        if self.delivery.replaying:
            return 0.0
        return None

    def _loop(self) -> None:
        while not self._abandoned:
            try:
                item = self.records.get(timeout=self._idle_timeout())
            except queue.Empty:
                item = None
            if item is not None and item is not STOP and not isinstance(item, FlushRequest):
                self._in_hand = 1
                self._linger()
            # Cleared before draining: a flush or wake-up from now on is seen by the next
            # linger, and every request queued before now is served by this drain.
            self._wake.clear()
            if not self._drain(item):
                return
            self._write(force=False)
            self._bound()
            if not self._batches:
                self.delivery.replay_step(self.store)

    def _linger(self) -> None:
        # Gather what arrives within flush_interval into one transaction, and keep this
        # thread off the GIL while the application is busy logging. A flush, or a queue
        # filling up, ends the wait early.
        if self.records.qsize() < self.pressure:
            self._wake.wait(self.flush_interval)

    def _drain(self, item: Any) -> bool:
        """Take ``item`` and everything queued, writing full batches as they form."""
        self._sessions.forget()
        self._pacer.restart()
        self._in_hand = 0
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
        self.delivery.spill(self._take_all())
        request.done.set()

    def _take(self, items: list[Any]) -> None:
        events = []
        sessions = self._sessions
        tick = self._pacer.tick
        for item in items:
            tick()
            try:
                events.append(prepare_item(item, sessions))
            except Exception as error:
                # One bad record must not stop the writer.
                self.delivery.counters.add(dropped=1)
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
        self.delivery.spill(self._take_all())

    def _write(self, *, force: bool) -> None:
        if not self._batches or not self.delivery.due(force=force):
            return
        while self._batches:
            batch = self._batches[0]
            if not self.delivery.deliver(batch, self.store):
                return
            with self._lock:
                if self._batches and self._batches[0] is batch:
                    self._batches.popleft()
                    self._held -= len(batch.events)

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
        self.delivery.spill(victims)
