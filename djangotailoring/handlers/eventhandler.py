"""``EventHandler``: a logging handler that persists log records as Events."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from djangotailoring.handlers import lifecycle
from djangotailoring.handlers.delivery import Batch, Delivery, new_batch_id
from djangotailoring.handlers.eventstore import EventStore
from djangotailoring.handlers.guard import REFUSED_LOGGERS, in_writer, refused
from djangotailoring.handlers.handover import HandedOver, hand_over, read
from djangotailoring.handlers.preparing import prepare
from djangotailoring.handlers.sessionusers import SessionUsers
from djangotailoring.handlers.stats import HandlerStats
from djangotailoring.handlers.writer import BackgroundWriter, Prepared, prepare_item, take_queued
from djangotailoring.requestcontext import in_event_loop

__all__ = ["EventHandler"]


class EventHandler(logging.Handler):
    """Persist log records as :class:`~djangotailoring.tracking.models.Event` rows.

    Configure it from ``LOGGING`` (no arguments needed)::

        "handlers": {"events": {"class": "djangotailoring.handlers.EventHandler"}}

    ``emit()`` only captures the record and hands it to a background thread, which writes
    batches on a database connection of its own, within ``flush_interval`` seconds, whatever
    the caller's transaction does. While the database is unreachable records are kept in
    memory (up to ``buffer_size``) and retried, then spilled to ``spill_path`` (JSON lines,
    replayed by ``manage.py replay_events`` or, with ``replay_on_recovery``, by the handler).
    ``stats`` counts what became of every record.

    The caller's thread reads what the event needs (:meth:`prepare`) as plain values: the
    formatted message, extras copied at the call, the exception text, a user by its key, the
    request by its id, method, path and address. Nothing of the caller's (the request, a
    model instance, a traceback) is kept, so a finished request is freed at once. A lazy
    ``request.user`` that nobody evaluated is handed over as the session key and found by
    the writer, never in the caller's thread or event loop.

    Records of ``djangotailoring.tracking.events`` (already Events), of the handler's own
    ``djangotailoring.handlers`` logger, and every record logged by the writer itself (its
    queries when ``django.db.backends`` logs at DEBUG) are never persisted. After
    ``fork()`` the child starts afresh with its own writer and connection. Interpreter
    exit, ``logging.shutdown()`` and ``SIGTERM`` flush, within ``shutdown_timeout``; the
    ``SIGTERM`` hook is installed from the main thread only and calls the handler that was
    installed before it.

    Options (all keyword arguments):

    - ``using``: database alias (default: the router's choice for writing Events).
    - ``batch_size``: most records per transaction (2,000).
    - ``flush_interval``: longest time, in seconds, a record waits to be written (0.2).
    - ``queue_size``: most records waiting for the writer; beyond it the caller spills
      (50,000).
    - ``buffer_size``: most records kept in memory while the database is away (10,000).
    - ``spill_path``: the spill file (default: a per-database file in the temp directory;
      set a persistent path in production).
    - ``immediate``: write in the caller's thread at once (still on the handler's own
      connection; in a running event loop records still go to the writer thread).
    - ``shutdown_timeout``: longest time, in seconds, ``close()`` and ``SIGTERM`` wait for
      the database before spilling the rest (5).
    - ``replay_on_recovery``: replay the spill file when the database is back (``True``).
    - ``connect_timeout``: seconds to wait for the database (and, on SQLite, for a lock).
    - ``connection_settings``: entries of ``DATABASES[using]`` to override for the
      handler's own connection (e.g. another ``HOST``, ``USER`` or ``OPTIONS``).
    - ``handle_sigterm``: flush on ``SIGTERM`` and chain to the previous handler (``True``).
    """

    def __init__(
        self,
        level: int | str = logging.NOTSET,
        *,
        using: str | None = None,
        batch_size: int = 2000,
        flush_interval: float = 0.2,
        queue_size: int = 50_000,
        buffer_size: int = 10_000,
        spill_path: str | None = None,
        immediate: bool = False,
        shutdown_timeout: float = 5.0,
        replay_on_recovery: bool = True,
        connect_timeout: float = 5.0,
        connection_settings: dict[str, Any] | None = None,
        handle_sigterm: bool = True,
    ) -> None:
        super().__init__(level)
        if batch_size < 1 or queue_size < 1 or buffer_size < 1:
            raise ValueError("batch_size, queue_size and buffer_size must be at least 1.")
        self.using = using
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self.queue_size = queue_size
        self.buffer_size = buffer_size
        self.immediate = immediate
        self.shutdown_timeout = shutdown_timeout
        self.replay_on_recovery = replay_on_recovery
        self.connect_timeout = connect_timeout
        self.connection_settings = connection_settings
        self.handle_sigterm = handle_sigterm
        self._spill_path = spill_path
        self._fresh_state()
        lifecycle.register(self)
        if handle_sigterm:
            lifecycle.install_sigterm()

    def _fresh_state(self) -> None:
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._writer: BackgroundWriter | None = None
        self._start_lock = threading.Lock()
        self._immediate_lock = threading.Lock()
        self._immediate_store: EventStore | None = None
        self._delivery = Delivery(
            self._new_store(),
            spill_path=self._spill_path,
            replay_on_recovery=self.replay_on_recovery,
            buffer_size=self.buffer_size,
        )
        self._closed = False
        self._writers_started = 0

    # Public --------------------------------------------------------------------------------

    @property
    def spill_path(self) -> str:
        """The spill file of this handler."""
        return self._delivery.spill_path

    @property
    def stats(self) -> HandlerStats:
        """Counters of persisted, retried, spilled, dropped, replayed and queued records."""
        writer = self._writer
        queued = self._queue.qsize() + (writer.held if writer is not None else 0)
        return self._delivery.stats(queued)

    def handle(self, record: logging.LogRecord) -> Any:
        """Filter ``record`` and hand it over; no lock is taken (the queue is thread-safe)."""
        if self.filters:
            filtered = self.filter(record)
            if not filtered:
                return filtered
            if isinstance(filtered, logging.LogRecord):
                record = filtered
        self.emit(record)
        return record

    def prepare(self, record: logging.LogRecord) -> HandedOver:
        """Return what the writer gets of ``record``: plain values only (see ``HandedOver``).

        Runs in the caller's thread, never queries. Override it to add or drop values (as
        with ``QueueHandler.prepare``); what it returns must hold no reference to objects
        of the caller, or they stay alive until the writer has run.
        """
        return hand_over(record)

    def enqueue(self, item: HandedOver) -> None:
        """Give a prepared record to the writer (or write it at once, or spill it)."""
        if (self.immediate or self._closed or lifecycle.force_immediate[0]) and (
            not in_event_loop()
        ):
            self._write_now(item)
            return
        waiting = self._queue.qsize()
        if waiting >= self.queue_size:
            self._overflow(item)
            return
        writer = self._writer
        if writer is None or writer.stopped:
            writer = self._running_writer()
            if writer is None:
                self._overflow(item)
                return
        self._queue.put(item)
        if waiting >= writer.pressure:
            writer.wake()

    def emit(self, record: logging.LogRecord) -> None:
        """Hand ``record`` over to be persisted (never raises, never changes the record)."""
        try:
            if getattr(in_writer, "active", False):
                return
            name = record.name
            if name.startswith(REFUSED_LOGGERS) and refused(name):
                return
            self.enqueue(self.prepare(record))
        except Exception:
            self.handleError(record)

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every record handed over before the call is committed or spilled.

        Returns after ``timeout`` seconds at the latest; when the database cannot be reached
        it returns once the writer has spilled what it held.
        """
        writer = self._writer
        if writer is not None:
            writer.flush(timeout)

    def shutdown_flush(self) -> None:
        """Flush within ``shutdown_timeout``; spill whatever is still not written."""
        writer = self._writer
        if writer is None or writer.flush(self.shutdown_timeout):
            return
        self._writer = None
        self._spill_leftovers(writer)

    def close(self) -> None:
        """Flush (within ``shutdown_timeout``), stop the writer and close the connections."""
        try:
            with self._start_lock:
                writer, self._writer = self._writer, None
                self._closed = True
            if writer is not None:
                timeout = self.shutdown_timeout
                if writer.flush(timeout):
                    writer.stop(timeout)
                # Whatever the writer could not finish in time, or was handed over while it
                # stopped, goes to the spill file.
                self._spill_leftovers(writer)
            store, self._immediate_store = self._immediate_store, None
            if store is not None:
                store.close()
        finally:
            super().close()

    def after_fork_in_child(self) -> None:
        """Start afresh in a forked child; the parent's connections are left alone."""
        old_stores = {self._delivery.store}
        if self._writer is not None:
            old_stores.add(self._writer.store)
        old_immediate = self._immediate_store
        self._fresh_state()
        for old_store in old_stores:
            old_store.abandon()
        if old_immediate is not None:
            old_immediate.abandon()

    # Internal ------------------------------------------------------------------------------

    def _new_store(self) -> EventStore:
        return EventStore(
            self.using,
            connect_timeout=self.connect_timeout,
            overrides=self.connection_settings,
        )

    def _start(self) -> BackgroundWriter:
        with self._start_lock:
            if self._writer is not None and not self._writer.stopped:
                return self._writer
            self._closed = False
            if self._writers_started:
                # A thread it replaces may still hold the old connection.
                self._delivery.store = self._new_store()
            self._writers_started += 1
            writer = BackgroundWriter(
                records=self._queue,
                delivery=self._delivery,
                batch_size=self.batch_size,
                flush_interval=self.flush_interval,
                buffer_size=self.buffer_size,
                pressure=max(1, self.queue_size // 2),
            )
            writer.start()
            self._writer = writer
        if self.handle_sigterm:
            lifecycle.install_sigterm()
        return writer

    def _running_writer(self) -> BackgroundWriter | None:
        """The writer, started if need be; ``None`` when no thread can be started."""
        writer = self._writer
        if writer is not None and not writer.stopped:
            return writer
        try:
            return self._start()
        except RuntimeError:
            # "can't create new thread at interpreter shutdown": spill instead.
            return None

    def _spill_leftovers(self, writer: BackgroundWriter) -> None:
        batches = writer.abandon()
        events = [prepare_item(item, None) for item in take_queued(self._queue) if _is_record(item)]
        if events:
            batches.append(Batch(new_batch_id(), events))
        self._delivery.spill(batches, from_caller=True)

    def _write_now(self, item: HandedOver) -> None:
        in_writer.active = True
        try:
            with self._immediate_lock:
                if self._immediate_store is None:
                    self._immediate_store = self._new_store()
                # Synchronous by request: the session's user is found here, in the caller.
                event = prepare(read(item), SessionUsers())
                if self._delivery.write_now(event, self._immediate_store):
                    return
            # The database is away: the writer thread retries, and spills if it must.
            if self._running_writer() is None:
                self._delivery.spill([Batch(new_batch_id(), [event])], from_caller=True)
            else:
                self._queue.put(Prepared(event))
        finally:
            in_writer.active = False

    def _overflow(self, item: HandedOver) -> None:
        # The writer is behind (or stuck on a dead connection): spill here rather than grow;
        # the writer replays the file once it has caught up.
        self._delivery.spill([Batch(new_batch_id(), [prepare(read(item))])], from_caller=True)


def _is_record(item: Any) -> bool:
    return isinstance(item, (dict, Prepared))
