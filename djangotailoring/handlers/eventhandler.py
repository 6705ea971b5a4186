"""``EventHandler``: a logging handler that persists log records as Events."""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from typing import Any

from djangotailoring.handlers import lifecycle
from djangotailoring.handlers.capture import capture, hand_over
from djangotailoring.handlers.eventstore import EventStore, Unavailable
from djangotailoring.handlers.preparing import prepare
from djangotailoring.handlers.spilling import SpillFile, default_spill_path
from djangotailoring.handlers.stats import Counters, HandlerStats
from djangotailoring.handlers.writer import (
    BackgroundWriter,
    Batch,
    HandedOver,
    Prepared,
    in_writer,
    new_batch_id,
    spill_or_drop,
    take_queued,
)

__all__ = ["EventHandler"]

# Never persisted: our events logger (its records *are* Events already) and our own warnings.
REFUSED_LOGGERS = ("djangotailoring.tracking.events", "djangotailoring.handlers")


def _refused(name: str) -> bool:
    return any(name == refused or name.startswith(refused + ".") for refused in REFUSED_LOGGERS)


def _in_event_loop() -> bool:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


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

    The caller's thread copies the record's attributes shallowly (and formats the message
    when it has arguments); the writer reads the rest shortly after. An object passed in
    ``extra`` and changed by the caller right after the log call may therefore be stored
    as changed: pass immutable values (strings, numbers, tuples) or copies when that
    matters. A lazy ``request.user`` is resolved by the writer, never in the caller's
    thread or event loop.

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
        # Callers' threads count in one, writer threads in the other: no thread ever waits
        # for a lock another holds, not even a SIGTERM handler.
        self._counters = Counters()
        self._writer_counters = Counters()
        self._closed = False

    # Public --------------------------------------------------------------------------------

    @property
    def spill_path(self) -> str:
        """The spill file of this handler."""
        if self._spill_path is None:
            return default_spill_path(EventStore(self.using).alias)
        return self._spill_path

    @property
    def stats(self) -> HandlerStats:
        """Counters of persisted, retried, spilled, dropped, replayed and queued records."""
        writer = self._writer
        queued = self._queue.qsize() + (writer.held if writer is not None else 0)
        return self._counters.snapshot(queued, self._writer_counters)

    def emit(self, record: logging.LogRecord) -> None:
        """Hand ``record`` over to be persisted (never raises, never changes the record)."""
        try:
            if getattr(in_writer, "active", False):
                return
            name = record.name
            if name.startswith(REFUSED_LOGGERS) and _refused(name):
                return
            item = hand_over(record)
            if (self.immediate or self._closed or lifecycle.force_immediate[0]) and (
                not _in_event_loop()
            ):
                self._write_now(item)
                return
            waiting = self._queue.qsize()
            if waiting >= self.queue_size:
                self._overflow(item)
                return
            writer = self._running_writer()
            if writer is None:
                self._overflow(item)
                return
            self._queue.put(item)
            if waiting >= writer.pressure:
                writer.wake()
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
        old_writer, old_store = self._writer, self._immediate_store
        self._fresh_state()
        if old_writer is not None:
            old_writer.store.abandon()
        if old_store is not None:
            old_store.abandon()

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
            writer = BackgroundWriter(
                records=self._queue,
                store=self._new_store(),
                spill=SpillFile(self.spill_path),
                counters=self._writer_counters,
                batch_size=self.batch_size,
                flush_interval=self.flush_interval,
                buffer_size=self.buffer_size,
                replay_on_recovery=self.replay_on_recovery,
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
        events = []
        for item in take_queued(self._queue):
            if isinstance(item, Prepared):
                events.append(item.event)
            elif isinstance(item, tuple):
                events.append(self._prepare(item))
        if events:
            batches.append(Batch(new_batch_id(), events))
        writer.spill_batches(batches, counters=self._counters)

    def _prepare(self, item: HandedOver) -> dict[str, Any]:
        return prepare(capture(*item))

    def _write_now(self, item: HandedOver) -> None:
        in_writer.active = True
        try:
            with self._immediate_lock:
                if self._immediate_store is None:
                    self._immediate_store = self._new_store()
                event = self._prepare(item)
                try:
                    written, skipped, refused = self._immediate_store.write_each(
                        new_batch_id(), [event]
                    )
                except Unavailable:
                    # The writer thread retries, and spills if it must.
                    if self._running_writer() is None:
                        self._spill([Batch(new_batch_id(), [event])])
                    else:
                        self._queue.put(Prepared(event))
                    return
            self._counters.add(persisted=written + skipped)
            if refused:
                self._spill([Batch(marker, [item]) for marker, item in refused])
        finally:
            in_writer.active = False

    def _overflow(self, item: HandedOver) -> None:
        # The writer is behind (or stuck on a dead connection): spill here rather than grow;
        # the writer replays the file once it has caught up.
        self._spill([Batch(new_batch_id(), [self._prepare(item)])])
        writer = self._writer
        if writer is not None:
            writer.replay_soon()

    def _spill(self, batches: list[Batch]) -> None:
        spill_or_drop(SpillFile(self.spill_path), self._counters, batches)
