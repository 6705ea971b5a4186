"""Delivery of prepared Events: the one owner of the store, outages, refused rows and spilling.

A :class:`Delivery` takes batches and gets each one to the database exactly once, or into
the spill file. It owns, each in one place:

- the store (a private connection, see :mod:`djangotailoring.handlers.eventstore`);
- outages: the first failure is announced, retries back off (with jitter) until a write
  succeeds, and the recovery is announced;
- rows the database refuses: a refused batch is written row by row, a refused row once
  more without its user and related-object links, and a row refused even then is spilled;
- the spill file, and its replay (after a recovery, or by ``manage.py replay_events``);
- the journal's batch markers, and the replay of the journals of processes that died
  (see :mod:`djangotailoring.handlers.journal`);
- the counters behind ``EventHandler.stats``.

The writer thread calls it for its batches; a caller's thread only ever spills (when the
writer is behind) or writes at once (immediate mode), and counts in counters of its own.
"""

from __future__ import annotations

import contextlib
import logging
import os
import random
import sys
import time
import uuid
import weakref
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import cast

from djangotailoring.handlers.eventstore import EventStore, Rejected, Unavailable
from djangotailoring.handlers.handover import read
from djangotailoring.handlers.journal import Journal, claim_dead_journals, journal_folder
from djangotailoring.handlers.preparing import PreparedEvent, prepare
from djangotailoring.handlers.sessionusers import SessionUsers
from djangotailoring.handlers.spilling import SpillFile, default_spill_path, read_batches
from djangotailoring.handlers.stats import Counters, HandlerStats
from djangotailoring.limits import HANDLER_LOGGER_NAME

__all__ = [
    "Batch",
    "Delivery",
    "ReplayResult",
    "Unavailable",
    "WriteResult",
    "count_spilled",
    "default_spill_path_for",
    "has_spilled",
    "journal_dirs",
    "new_batch_id",
    "replay_journals",
    "replay_spill_file",
    "report_drop",
    "spill_paths",
]

# Warnings about outages and spilling; EventHandler refuses this logger's records.
internal_logger = logging.getLogger(HANDLER_LOGGER_NAME)
FIRST_BACKOFF = 0.05
MAX_BACKOFF = 2.0
# How often a writer looks for journals of processes that died (it also looks when it
# starts and when the database comes back).
JOURNAL_LOOK_INTERVAL = 60.0
_deliveries: weakref.WeakSet[Delivery] = weakref.WeakSet()


def new_batch_id() -> str:
    """A fresh, unique batch marker."""
    return uuid.uuid4().hex


@dataclass
class Batch:
    """Prepared events written together, in one transaction, under one marker."""

    id: str
    events: list[PreparedEvent]
    retried: bool = field(default=False)
    #: The seqs of the journal's records in this batch (``None``: not from the journal).
    first: int | None = None
    last: int | None = None
    #: Whether the journal has been told that this batch is being written.
    marked: bool = False


@dataclass(frozen=True)
class WriteResult:
    """What writing one batch did."""

    #: Events committed by this write.
    written: int = 0
    #: Events found committed already (an earlier attempt whose outcome was unknown).
    already_written: int = 0
    #: Rows the database refused even without their links, each under its own marker.
    refused: list[Batch] = field(default_factory=list)


@dataclass
class ReplayResult:
    """What a replay did: events written, events found already written, files finished."""

    replayed: int = 0
    skipped: int = 0
    rejected: int = 0
    files: list[str] = field(default_factory=list)
    #: Journal lines that could not be read (torn) and were skipped.
    torn: int = 0

    def add(self, other: ReplayResult) -> None:
        """Add ``other``'s totals to these."""
        self.replayed += other.replayed
        self.skipped += other.skipped
        self.rejected += other.rejected
        self.files.extend(other.files)
        self.torn += other.torn


def report_drop(count: int, reason: str) -> None:
    """Tell standard error that ``count`` records were lost (as ``Handler.handleError`` does)."""
    # Nothing else is left to report to if standard error fails.
    with contextlib.suppress(Exception):
        sys.stderr.write(f"--- djangotailoring EventHandler dropped {count} record(s): {reason}\n")


def spill_paths() -> list[str]:
    """The spill files of every delivery of this process (one per ``EventHandler``)."""
    paths = set()
    for delivery in list(_deliveries):
        with contextlib.suppress(Exception):
            paths.add(delivery.spill_path)
    return sorted(paths)


def default_spill_path_for(using: str | None = None) -> str:
    """The spill file a handler without ``spill_path`` uses for database ``using``."""
    return default_spill_path(EventStore(using).alias)


def has_spilled(path: str) -> bool:
    """Whether the spill file ``path`` (or an unfinished replay of it) holds anything."""
    return SpillFile(path).exists()


def count_spilled(path: str) -> int:
    """How many events the spill file ``path`` (and its unfinished replays) holds."""
    spill = SpillFile(path)
    paths = [path, *spill.leftovers()]
    return sum(len(events) for p in paths if os.path.exists(p) for _, events in read_batches(p))


def _unlinked(event: PreparedEvent) -> PreparedEvent:
    data = dict(event["data"])
    if event["user"] is not None:
        data["user"] = event["user"]
    return {**event, "user": None, "related": None, "data": data}


class Delivery:
    """Gets batches of prepared Events into the database exactly once, or into the spill file."""

    def __init__(
        self,
        store: EventStore,
        *,
        spill_path: str | None = None,
        replay_on_recovery: bool = True,
        buffer_size: int = 10_000,
    ) -> None:
        self.store = store
        self.replay_on_recovery = replay_on_recovery
        self.buffer_size = buffer_size
        self._spill_path = spill_path
        #: Added to by the writer thread only.
        self.counters = Counters()
        #: Added to by callers' threads (overflow, immediate writes): no thread ever waits
        #: for a lock another holds, not even a SIGTERM handler.
        self.caller_counters = Counters()
        self.down = False
        self._retry_at = 0.0
        self._backoff = FIRST_BACKOFF
        self._spilling = False
        self._replay: Iterator[None] | None = None
        self._replay_result = ReplayResult()
        self._replay_checked = False
        #: The journal of the running writer (``None``: records are kept in memory only).
        self.journal: Journal | None = None
        #: Where journals of this database live (``None``: journals are off).
        self.journal_folder: str | None = None
        self._journal_replay: Iterator[None] | None = None
        self._journal_look_at = 0.0
        self._journal_result = ReplayResult()
        _deliveries.add(self)

    # The spill file ---------------------------------------------------------------------

    @property
    def spill_path(self) -> str:
        """The spill file (default: per database, in the temp directory)."""
        if self._spill_path is None:
            return default_spill_path(self.store.alias)
        return self._spill_path

    @property
    def spill_file(self) -> SpillFile:
        """The spill file, to append to or claim."""
        return SpillFile(self.spill_path)

    def spill(self, batches: list[Batch], *, from_caller: bool = False) -> None:
        """Append ``batches`` to the spill file; count them as dropped if even that fails."""
        count = sum(len(batch.events) for batch in batches)
        if not count:
            return
        counters = self.caller_counters if from_caller else self.counters
        try:
            spill = self.spill_file
            if not self._spilling:
                self._spilling = True
                internal_logger.warning(
                    "EventHandler is spilling records to %s; replay them with "
                    "'manage.py replay_events %s'.",
                    spill.path,
                    spill.path,
                )
            spill.append((batch.id, batch.events) for batch in batches)
        except Exception as error:
            # Reported as drops, never raised.
            counters.add(dropped=count)
            report_drop(count, f"could not write the spill file ({error!r})")
            return
        counters.add(spilled=count)
        if from_caller:
            # The writer replays what a caller spilled once it has caught up.
            self._replay_checked = False

    def set_aside(self, batches: list[Batch], *, from_caller: bool = False) -> None:
        """Keep ``batches`` for later: the journal has its records already, the rest is spilled."""
        self.spill([batch for batch in batches if batch.first is None], from_caller=from_caller)

    # Writing ----------------------------------------------------------------------------

    def due(self, *, force: bool = False) -> bool:
        """Whether a write should be tried now (not while backing off, unless forced)."""
        return force or not self.down or time.monotonic() >= self._retry_at

    @property
    def retry_in(self) -> float:
        """Seconds until the next retry is due (0 when the database is up)."""
        return max(0.0, self._retry_at - time.monotonic()) if self.down else 0.0

    def deliver(self, batch: Batch, store: EventStore | None = None) -> bool:
        """Write ``batch`` (refused rows go to the spill file); ``False`` during an outage.

        A batch that could not be written is kept by the caller and delivered again later
        with the same marker, so it is committed once whatever the earlier outcome was.
        """
        store = store or self.store
        journal = self.journal
        if journal is not None and batch.first is not None and not batch.marked:
            assert batch.last is not None
            journal.mark_batch(batch.id, batch.first, batch.last)
            batch.marked = True
        try:
            result = self.write(batch, store)
        except Unavailable as error:
            self._unavailable(batch, error)
            return False
        self.counters.add(persisted=result.written + result.already_written)
        if result.refused:
            self.spill(result.refused)
        if journal is not None and batch.last is not None:
            journal.mark_done(batch.id, batch.last)
        if self.down:
            self._recovered()
        self._start_replay(store)
        return True

    def write(self, batch: Batch, store: EventStore | None = None) -> WriteResult:
        """Write ``batch``, row by row when the database refuses it as a whole.

        Raises :class:`~djangotailoring.handlers.eventstore.Unavailable` when the database
        cannot be reached.
        """
        store = store or self.store
        try:
            done = store.write(batch.id, batch.events)
        except Rejected:
            pass
        else:
            count = len(batch.events)
            return WriteResult(written=count) if done else WriteResult(already_written=count)
        written = already = 0
        refused = []
        for index, event in enumerate(batch.events):
            row_id = f"{batch.id}-{index}"
            for attempt in (event, _unlinked(event)):
                try:
                    if store.write(row_id, [attempt]):
                        written += 1
                    else:
                        already += 1
                    break
                except Rejected:
                    continue
            else:
                refused.append(Batch(row_id, [event]))
        return WriteResult(written=written, already_written=already, refused=refused)

    def write_now(self, event: PreparedEvent, store: EventStore) -> bool:
        """Write one event from a caller's thread on ``store``; ``False`` if unavailable."""
        try:
            result = self.write(Batch(new_batch_id(), [event]), store)
        except Unavailable:
            return False
        self.caller_counters.add(persisted=result.written + result.already_written)
        if result.refused:
            self.spill(result.refused, from_caller=True)
        return True

    def _unavailable(self, batch: Batch, error: Exception) -> None:
        if not batch.retried:
            batch.retried = True
            self.counters.add(retried=len(batch.events))
        if self.down:
            self._backoff = min(self._backoff * 2, MAX_BACKOFF)
        else:
            self.down = True
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
        self.down = False
        self._backoff = FIRST_BACKOFF
        self._replay_checked = False
        self._journal_look_at = 0.0
        if self._spilling:
            self._spilling = False
            internal_logger.warning(
                "EventHandler writes to database %r again; spilled records are in %s%s.",
                self.store.alias,
                self.spill_path,
                " and are being replayed" if self.replay_on_recovery else "",
            )
        else:
            internal_logger.warning("EventHandler writes to database %r again.", self.store.alias)

    # Replay -----------------------------------------------------------------------------

    def _replay_file(self, path: str, result: ReplayResult, store: EventStore) -> Iterator[None]:
        clean = True
        for batch_id, events in read_batches(path):
            written = self.write(Batch(batch_id, cast("list[PreparedEvent]", events)), store)
            result.replayed += written.written
            result.skipped += written.already_written
            if written.refused:
                # Kept on disk (the file stays) rather than lost; reported in the result.
                result.rejected += len(written.refused)
                clean = False
            yield
        if clean:
            os.remove(path)
            result.files.append(path)

    def replay_steps(self, result: ReplayResult, store: EventStore | None = None) -> Iterator[None]:
        """Replay the spill file one batch per step (the writer interleaves new records).

        Raises ``Unavailable`` when the database goes away; what was not written stays in
        a claimed file and is replayed next time.
        """
        spill = self.spill_file
        claimed = spill.claim()
        paths = spill.leftovers()
        if claimed is not None and claimed not in paths:
            paths.append(claimed)
        for path in paths:
            if os.path.exists(path):
                yield from self._replay_file(path, result, store or self.store)

    def replay(self) -> ReplayResult:
        """Replay the spill file completely (``manage.py replay_events``)."""
        result = ReplayResult()
        for _ in self.replay_steps(result):
            pass
        return result

    def _start_replay(self, store: EventStore) -> None:
        if self._replay is not None or self._replay_checked or not self.replay_on_recovery:
            return
        self._replay_checked = True
        if self.spill_file.exists():
            self._replay_result = ReplayResult()
            self._replay = self.replay_steps(self._replay_result, store)

    @property
    def replaying(self) -> bool:
        """Whether a replay is under way (the writer gives it its idle time)."""
        return self._replay is not None or self._journal_replay is not None

    def look_for_journals(self) -> None:
        """Look for journals of dead processes at the next chance (a writer starts)."""
        self._journal_look_at = 0.0

    @property
    def journal_look_in(self) -> float | None:
        """Seconds until the writer should look for journals of dead processes again."""
        if self.journal_folder is None:
            return None
        return max(0.0, self._journal_look_at - time.monotonic())

    def replay_step(
        self, store: EventStore | None = None, sessions: SessionUsers | None = None
    ) -> None:
        """Replay one batch of a dead process's journal or of the spill file, if there is one."""
        if self.down:
            return
        if self._journal_step(store or self.store, sessions):
            return
        if self._replay is None:
            return
        result = self._replay_result
        before = result.replayed
        try:
            next(self._replay)
        except StopIteration:
            self._replay = None
            # Records spilled while this replay ran (a caller's overflow) are next.
            self._start_replay(store or self.store)
        except Unavailable:
            # What is left stays in a claimed file, replayed after the next recovery.
            self._replay = None
        except Exception as error:
            # A bad spill file must not stop the writer.
            self._replay = None
            report_drop(0, f"replaying {self.spill_path} failed ({error!r}); the file is kept")
        self.counters.add(replayed=result.replayed - before)

    # Journals of processes that died -------------------------------------------------------

    def journal_replay_steps(
        self,
        result: ReplayResult,
        store: EventStore,
        sessions: SessionUsers | None = None,
        batch_size: int = 2000,
    ) -> Iterator[None]:
        """Replay, one batch per step, the journals in ``journal_folder`` whose owner is gone.

        Raises ``Unavailable`` when the database goes away; the journal stays, with marks
        of what was written, and is replayed (by whoever comes first) later.
        """
        folder = self.journal_folder
        if folder is None:
            return
        own = frozenset({self.journal.owner}) if self.journal is not None else frozenset()
        for claimed in claim_dead_journals(folder, ignore=own):
            for batch_id, records in claimed.batches(batch_size):
                events = []
                for record in records:
                    try:
                        events.append(prepare(read(record), sessions))
                    except Exception as error:
                        self.counters.add(dropped=1)
                        report_drop(1, f"a journal record could not be prepared ({error!r})")
                written = self.write(Batch(batch_id, events), store)
                result.replayed += written.written
                result.skipped += written.already_written
                if written.refused:
                    self.spill(written.refused)
                claimed.mark_done(batch_id)
                yield
            result.torn += claimed.torn
            claimed.remove()
            result.files.append(claimed.lock_path)

    def _journal_step(self, store: EventStore, sessions: SessionUsers | None) -> bool:
        """One step of replaying dead journals; ``True`` if there was one to take."""
        if self._journal_replay is None:
            if self.journal_folder is None or time.monotonic() < self._journal_look_at:
                return False
            self._journal_look_at = time.monotonic() + JOURNAL_LOOK_INTERVAL
            self._journal_result = ReplayResult()
            self._journal_replay = self.journal_replay_steps(self._journal_result, store, sessions)
        result = self._journal_result
        replayed, torn = result.replayed, result.torn
        try:
            next(self._journal_replay)
        except StopIteration:
            self._journal_replay = None
        except Unavailable:
            # Left, marked as far as it got, for the next look.
            self._journal_replay = None
        except Exception as error:
            self._journal_replay = None
            report_drop(0, f"replaying a journal in {self.journal_folder} failed ({error!r})")
        self.counters.add(replayed=result.replayed - replayed, torn=result.torn - torn)
        return True

    # Counters ---------------------------------------------------------------------------

    def stats(self, queued: int) -> HandlerStats:
        """The counters now, with ``queued`` records still waiting."""
        return self.counters.snapshot(queued, self.caller_counters)


def journal_dirs() -> list[str]:
    """The journal folders of every handler of this process that journals."""
    from djangotailoring.handlers.lifecycle import live_handlers

    dirs = set()
    for handler in live_handlers():
        with contextlib.suppress(Exception):
            if handler.journaling:
                dirs.add(handler.journal_base)
    return sorted(dirs)


def replay_journals(journal_dir: str, using: str | None = None) -> ReplayResult:
    """Persist, exactly once, what the journals of dead processes in ``journal_dir`` hold."""
    store = EventStore(using)
    try:
        delivery = Delivery(store)
        delivery.journal_folder = journal_folder(journal_dir, store.alias)
        result = ReplayResult()
        for _ in delivery.journal_replay_steps(result, store, SessionUsers()):
            pass
        return result
    finally:
        store.close()


def replay_spill_file(path: str, using: str | None = None) -> ReplayResult:
    """Persist the events of the spill file ``path`` into database ``using``, exactly once."""
    store = EventStore(using)
    try:
        return Delivery(store, spill_path=path).replay()
    finally:
        store.close()
