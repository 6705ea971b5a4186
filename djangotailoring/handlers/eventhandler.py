"""``EventHandler``: a logging handler that persists log records as Events."""

from __future__ import annotations

import logging
import queue
import threading
from typing import Any

from djangotailoring.handlers import lifecycle
from djangotailoring.handlers.delivery import Batch, Delivery, internal_logger, new_batch_id
from djangotailoring.handlers.eventstore import EventStore
from djangotailoring.handlers.guard import in_writer, refused_logger
from djangotailoring.handlers.handover import HandedOver, hand_over, read
from djangotailoring.handlers.journal import (
    FSYNC_BATCH,
    FSYNC_NEVER,
    Journal,
    JournalUnavailable,
    default_journal_dir,
    encode_record,
    journal_folder,
)
from djangotailoring.handlers.preparing import prepare
from djangotailoring.handlers.sessionusers import SessionUsers
from djangotailoring.handlers.stats import HandlerStats
from djangotailoring.handlers.writer import (
    WAKE,
    BackgroundWriter,
    Prepared,
    prepare_item,
    take_queued,
)
from djangotailoring.requestcontext import in_event_loop

__all__ = ["EventHandler"]


class EventHandler(logging.Handler):
    """Persist log records as :class:`~djangotailoring.tracking.models.Event` rows.

    Configure it from ``LOGGING`` (no arguments needed)::

        "handlers": {"events": {"class": "djangotailoring.handlers.EventHandler"}}

    ``emit()`` only captures the record, appends it to the handler's journal (a local file of
    this process; one ``write()``, no ``fsync``) and leaves it to a background thread, which
    writes batches on a database connection of its own, within ``flush_interval`` seconds,
    whatever the caller's transaction does. A record in the journal survives the death of
    the process: the next process that starts a handler for the same database replays the
    journal of a process that died, exactly once. While the database is unreachable the
    backlog stays in the journal. Without a journal (``journal=False``) records are kept in
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
    - ``journal``: journal records to local disk first (default: ``TRACKING_JOURNAL``,
      ``True``). Immediate handlers write at once and need none.
    - ``journal_dir``: where the journals are kept (default: ``TRACKING_JOURNAL_DIR``, else
      a per-user folder in the temp directory; one folder per database inside).
    - ``journal_fsync``: ``"never"`` (the default: a record survives the process, not a
      power loss), ``"batch"`` (the writer syncs the journal whenever it has read records)
      or a number of seconds between syncs. The writer syncs, never the caller.
    - ``journal_max_bytes``: most bytes a journal holds before new records are kept in
      memory only (512 MiB).
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
        journal: bool | None = None,
        journal_dir: str | None = None,
        journal_fsync: str | float = FSYNC_NEVER,
        journal_max_bytes: int = 512 * 1024 * 1024,
    ) -> None:
        super().__init__(level)
        if batch_size < 1 or queue_size < 1 or buffer_size < 1:
            raise ValueError("batch_size, queue_size and buffer_size must be at least 1.")
        if journal_fsync not in (FSYNC_NEVER, FSYNC_BATCH) and not (
            isinstance(journal_fsync, (int, float))
            and not isinstance(journal_fsync, bool)
            and journal_fsync > 0
        ):
            raise ValueError(
                "journal_fsync must be 'never', 'batch' or a number of seconds above 0."
            )
        if journal_max_bytes < 1:
            raise ValueError("journal_max_bytes must be at least 1.")
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
        self.journal = journal
        self.journal_dir = journal_dir
        self.journal_fsync = journal_fsync
        self.journal_max_bytes = journal_max_bytes
        self._fresh_state()
        lifecycle.register(self)
        if handle_sigterm:
            lifecycle.install_sigterm()
        # LOGGING is applied before the app registry: the checks that find a missing app
        # cannot wait for the app's ready().
        from djangotailoring.tracking import handlerchecks

        handlerchecks.register()

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
        self._journal: Journal | None = None

    # Public --------------------------------------------------------------------------------

    @property
    def spill_path(self) -> str:
        """The spill file of this handler."""
        return self._delivery.spill_path

    @property
    def journaling(self) -> bool:
        """Whether records go to a journal first (``journal``, else ``TRACKING_JOURNAL``)."""
        if self.immediate:
            return False
        if self.journal is not None:
            return self.journal
        from djangotailoring.conf import conf

        return conf.JOURNAL

    @property
    def journal_base(self) -> str:
        """The journal folder as configured (``journal_dir``, ``TRACKING_JOURNAL_DIR``, temp)."""
        from djangotailoring.conf import conf

        return self.journal_dir or conf.JOURNAL_DIR or default_journal_dir()

    @property
    def journal_folder(self) -> str:
        """The folder of this handler's journals (and of every process's for its database)."""
        return journal_folder(self.journal_base, self._delivery.store.alias)

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
        writer = self._writer
        # Compact for a journal (fewer bytes to write and read back); a record kept in
        # memory is quickest handed over as a copy of all its attributes.
        return hand_over(record, compact=writer is not None and writer.journal is not None)

    def enqueue(self, item: HandedOver) -> None:
        """Give a prepared record to the writer (or write it at once, or spill it)."""
        if (self.immediate or self._closed or lifecycle.force_immediate[0]) and (
            not in_event_loop()
        ):
            self._write_now(item)
            return
        writer = self._writer
        if writer is None or writer.stopped:
            writer = self._running_writer()
            if writer is None:
                self._overflow(item)
                return
        journal = writer.journal
        if journal is not None and journal.append(encode_record(item)):
            if writer.waiting:
                writer.waiting = False
                self._queue.put(WAKE)
            return
        # No journal, or the disk refused the record: it is kept in memory.
        waiting = self._queue.qsize()
        if waiting >= self.queue_size:
            self._overflow(item)
            return
        self._queue.put(item)
        if waiting >= writer.pressure:
            writer.wake()

    def emit(self, record: logging.LogRecord) -> None:
        """Hand ``record`` over to be persisted (never raises, never changes the record)."""
        try:
            if in_writer.active or refused_logger(record.name):
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
        """Flush within ``shutdown_timeout``; spill whatever is still not written.

        With a journal nothing needs spilling: what is not written is in the journal, and
        the next process replays it should this one end now.
        """
        writer = self._writer
        if writer is None or writer.flush(self.shutdown_timeout) or writer.journal is not None:
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
                # stopped, goes to the spill file (or stays in the journal, for a replay).
                self._spill_leftovers(writer)
            journal, self._journal = self._journal, None
            if journal is not None:
                journal.close()
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
        old_journal = self._journal
        self._fresh_state()
        if old_journal is not None:
            old_journal.forget_after_fork()
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
            journal = self._open_journal()
            writer = BackgroundWriter(
                records=self._queue,
                delivery=self._delivery,
                batch_size=self.batch_size,
                flush_interval=self.flush_interval,
                buffer_size=self.buffer_size,
                pressure=max(1, self.queue_size // 2),
                journal=journal,
            )
            writer.start()
            self._writer = writer
        if self.handle_sigterm:
            lifecycle.install_sigterm()
        return writer

    def _open_journal(self) -> Journal | None:
        """A new journal for a new writer; the one before is left for a replay."""
        old, self._journal = self._journal, None
        if old is not None:
            # Its writer ended: what it had not written is replayed like a dead process's.
            old.release()
        delivery = self._delivery
        delivery.journal = None
        if not self.journaling:
            delivery.journal_folder = None
            return None
        try:
            folder = self.journal_folder
            journal = Journal(
                folder,
                fsync=self.journal_fsync,
                max_bytes=self.journal_max_bytes,
                on_refused=self._journal_refused,
            )
        except (JournalUnavailable, OSError) as error:
            delivery.journal_folder = None
            internal_logger.warning(
                "EventHandler cannot keep a journal (%s): records are kept in memory until "
                "they are written.",
                error,
            )
            return None
        delivery.journal_folder = folder
        delivery.journal = self._journal = journal
        delivery.look_for_journals()
        return journal

    def _journal_refused(self, reason: str) -> None:
        internal_logger.warning(
            "EventHandler cannot append to its journal in %s (%s): records are kept in "
            "memory until it can.",
            self._delivery.journal_folder,
            reason,
        )

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
        self._delivery.set_aside(batches, from_caller=True)

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
