"""The background writer of ``EventHandler``: waiting, batching, flushing and stopping.

One daemon thread per handler takes handed-over records from its journal (and from a queue,
when the journal is off or the disk refused a record), prepares them, and gives them in
batches to its :class:`~djangotailoring.handlers.delivery.Delivery`. It never
waits for a batch to fill: a record is written ``flush_interval`` after it arrived at the
latest (sooner when a flush is asked for or the queue fills up), together with whatever
arrived meanwhile. While the database is unreachable it keeps batches in memory (the
delivery retries them with backoff) up to ``buffer_size`` records and spills the oldest
beyond that; a flush request that cannot be met by the database is met by the spill file.
With a journal, the backlog of an outage stays on disk: the writer reads no further than
the batches it is retrying, and a flush that the database cannot meet is met by the
journal, which the next process replays should this one die.
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
from djangotailoring.handlers.journal import Journal, JournalReader, decode_record
from djangotailoring.handlers.pacing import Pacer
from djangotailoring.handlers.preparing import PreparedEvent, prepare
from djangotailoring.handlers.sessionusers import SessionUsers

__all__ = ["STOP", "WAKE", "BackgroundWriter", "FlushRequest", "Prepared", "take_queued"]

STOP = object()
#: Put in the queue by a caller that journaled a record while the writer was waiting.
WAKE = object()


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
        journal: Journal | None = None,
    ) -> None:
        self.records = records
        self.journal = journal
        self._reader = JournalReader(journal) if journal is not None else None
        #: Set while the thread waits for the queue: a caller that journals a record then
        #: wakes it with ``WAKE``.
        self.waiting = False
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
        self._open_first: int | None = None
        self._open_last: int | None = None
        self._wake = threading.Event()
        self._held = 0
        # The record the thread has taken while it lingers for more (still queued).
        self._in_hand = 0
        self._sessions = SessionUsers()
        self._pacer = Pacer(
            records.qsize if journal is None else lambda: journal.next_seq + records.qsize()
        )
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
        """Records the writer has taken (or not yet read from its journal) and not written."""
        reader = self._reader
        behind = reader.behind if reader is not None else 0
        return self._held + self._in_hand + behind

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
            self._seal()
            batches = list(self._batches)
            self._batches.clear()
            self._held = 0
        return batches

    # The thread ---------------------------------------------------------------------------

    def _run(self) -> None:
        in_writer.active = True
        try:
            self._loop()
        except BaseException as error:
            self.delivery.set_aside(self.abandon())
            report_drop(0, f"the writer thread failed ({error!r}); what it held was set aside")
        finally:
            if self._reader is not None:
                self._reader.close()
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
        return self.delivery.journal_look_in

    def _wait(self) -> Any:
        # Callers that journal a record wake the thread only while it waits here.
        self.waiting = True
        reader = self._reader
        try:
            if reader is not None and reader.behind and not self._batches:
                return WAKE
            return self.records.get(timeout=self._idle_timeout())
        except queue.Empty:
            return None
        finally:
            self.waiting = False

    def _loop(self) -> None:
        if self.journal is not None:
            self.delivery.replay_step(self.store, self._sessions)
        while not self._abandoned:
            item = self._wait()
            if item is not None and item is not STOP and not isinstance(item, FlushRequest):
                # A journaled record is counted by the reader, a queued one here.
                self._in_hand = 0 if item is WAKE else 1
                self._linger()
            # Cleared before draining: a flush or wake-up from now on is seen by the next
            # linger, and every request queued before now is served by this drain.
            self._wake.clear()
            if not self._drain(item):
                return
            self._write(force=False)
            self._bound()
            if not self._batches:
                self.delivery.replay_step(self.store, self._sessions)

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
            if item is WAKE:
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
        self._pull()
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
            if item is WAKE:
                continue
            run.append(item)
            room -= 1
        return run, None

    def _serve(self, request: FlushRequest) -> None:
        reader = self._reader
        # Everything journaled before the request, or as far as the database takes it.
        target = self.journal.next_seq if self.journal is not None else 0
        while True:
            self._pull()
            self._seal()
            self._write(force=True)
            if self._batches or reader is None or reader.position >= target or not reader.behind:
                break
        self._set_aside()
        request.done.set()

    def _set_aside(self) -> None:
        """Spill what only memory holds; what the journal holds stays, to be retried."""
        if self.journal is None:
            self.delivery.spill(self._take_all())
            return
        with self._lock:
            kept = [batch for batch in self._batches if batch.first is not None]
            loose = [batch for batch in self._batches if batch.first is None]
            self._batches = deque(kept)
            self._held -= sum(len(batch.events) for batch in loose)
        self.delivery.spill(loose)

    def _pull(self) -> None:
        """Take what the journal holds, batch by batch, while the database takes them."""
        reader = self._reader
        if reader is None:
            return
        # During an outage the backlog stays on disk: memory holds the batches in retry only.
        while not (self._batches and self.delivery.down):
            taken = reader.take(self.batch_size - len(self._open), self._pacer.tick)
            if not taken:
                break
            self._take_journaled(taken)
            if len(self._open) >= self.batch_size:
                self._seal()
                self._write(force=False)
        if reader.torn:
            self.delivery.counters.add(torn=reader.torn)
            reader.torn = 0
        assert self.journal is not None
        self.journal.sync_if_due()
        tick = self._pacer.tick
        while self.journal.populate_ahead():
            tick()

    def _take(self, items: list[Any]) -> None:
        """Prepare queued items (or records read from the journal) into the open batch."""
        events = []
        sessions = self._sessions
        tick = self._pacer.tick
        for item in items:
            tick()
            try:
                if type(item) is bytes:
                    # Read from the journal, decoded one at a time: its decoded form is
                    # garbage once the event is prepared (not a batch's worth at once).
                    try:
                        item = decode_record(item)
                    except ValueError:
                        # A line that cannot be read: skipped and counted, not fatal.
                        self.delivery.counters.add(torn=1)
                        continue
                events.append(prepare_item(item, sessions))
            except Exception as error:
                # One bad record must not stop the writer.
                self.delivery.counters.add(dropped=1)
                report_drop(1, f"could not be prepared ({error!r})")
        with self._lock:
            self._open.extend(events)
            self._held += len(events)

    def _take_journaled(self, taken: list[tuple[int, bytes]]) -> None:
        """Prepare records read from the journal; the open batch covers their seqs."""
        first, last = taken[0][0], taken[-1][0]
        self._take([record for _, record in taken])
        if self._open_first is None:
            self._open_first = first
        self._open_last = last
        if not self._open:
            # Every one of them was dropped: nothing to write, but they are done with.
            assert self.journal is not None
            self.journal.advance(last)
            self._open_first = self._open_last = None

    def _seal(self) -> None:
        with self._lock:
            if self._open:
                self._batches.append(
                    Batch(new_batch_id(), self._open, first=self._open_first, last=self._open_last)
                )
                self._open = []
                self._open_first = self._open_last = None

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
            elif item is not STOP and item is not WAKE:
                self._take([item])
        self._pull()
        self._seal()
        self._write(force=True)
        self._set_aside()

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
            # What the journal holds is not in memory for long: only the rest is bounded.
            while over > 0 and self._batches and self._batches[0].first is None:
                batch = self._batches.popleft()
                self._held -= len(batch.events)
                over -= len(batch.events)
                victims.append(batch)
        self.delivery.spill(victims)
