"""Deleting old events in batches that hold their locks briefly (what ``prune_events`` runs).

A batch's locks (the table's ``RowExclusiveLock`` and the deleted rows' locks) are held from
its ``DELETE`` until its commit. The batch size alone cannot bound that time: on a busy
server a ``DELETE`` or a commit that waits for the write-ahead log can stall for hundreds of
milliseconds while a checkpoint flushes (measured on the ten-million-event table: the
median batch of 10,000 took 22 ms, a few took 200-440 ms). So each batch keeps to a *lock
budget* (``DEFAULT_LOCK_BUDGET``, 50 ms):

* on PostgreSQL the batch's ``DELETE`` runs with ``SET LOCAL statement_timeout`` at the
  budget, and a statement that would go over is cancelled: its transaction rolls back at
  once (PostgreSQL's rollback does not undo row by row), releasing its locks, and the batch
  is retried at half the size after a pause that doubles each time (``CancelledBatches``
  after ``MAX_CANCELLED_IN_A_ROW`` in a row). The batch commits with ``SET LOCAL
  synchronous_commit = off``, so the commit does not wait for the log's flush with the
  locks held; the run ends with one synchronous commit (no lock on the table), which makes
  every batch before it durable, so what it reports as deleted is on disk. A server crash
  during a run can undo its last fraction of a second of deletions, which the next run
  deletes again;
* on every database the batch size adapts to the time batches take: halved after a batch
  that took more than half the budget, doubled (up to ``batch_size``) after one that took
  less than a quarter of it.

Each batch is chosen by one key: the primary key of the ``size``-th event left (``OFFSET``),
so the ``DELETE`` is a range of keys with the filter, two parameters whatever the size.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

from djangotailoring.tracking.models import Event
from djangotailoring.tracking.placement import events_database
from djangotailoring.tracking.querysets import EventQuerySet

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "DEFAULT_LOCK_BUDGET",
    "CancelledBatches",
    "Deletion",
    "delete_in_batches",
    "prunable_events",
    "prune_events",
]

DEFAULT_BATCH_SIZE = 10_000
# Seconds a batch may hold its locks (see the module's docstring).
DEFAULT_LOCK_BUDGET = 0.05
# Consecutive cancelled batches after which deleting gives up (with CancelledBatches).
MAX_CANCELLED_IN_A_ROW = 8
# The pause after the first cancelled batch in a row; it doubles with each further one.
FIRST_PAUSE = 0.1
# PostgreSQL's SQLSTATE for a statement cancelled by statement_timeout (or an operator).
_QUERY_CANCELED = "57014"


@dataclass(frozen=True)
class Deletion:
    """What :func:`delete_in_batches` did."""

    deleted: int
    """Events deleted."""
    batches: int
    """Batches committed (each its own transaction)."""
    cancelled: int = 0
    """Batches cancelled at the lock budget, rolled back and retried smaller."""
    smallest_batch: int = 0
    """The smallest batch size tried (below ``batch_size`` when the budget shrank it)."""


class CancelledBatches(RuntimeError):
    """Batches kept going over the lock budget; what was deleted before stays deleted."""

    def __init__(self, deletion: Deletion, budget: float) -> None:
        self.deletion = deletion
        super().__init__(
            f"{MAX_CANCELLED_IN_A_ROW} batches in a row, down to {deletion.smallest_batch} "
            f"event(s), could not be deleted within the lock budget of {budget * 1000:g} ms "
            f"(the table is locked by another transaction, or the server is stalled). "
            f"{deletion.deleted} event(s) were deleted in {deletion.batches} batch(es) before; "
            "run again later, or with a larger budget."
        )


def _was_cancelled(error: DatabaseError) -> bool:
    cause = error.__cause__
    return (getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)) == _QUERY_CANCELED


def delete_in_batches(
    events: EventQuerySet[Event],
    batch_size: int,
    *,
    lock_budget: float | None = DEFAULT_LOCK_BUDGET,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.perf_counter,
) -> Deletion:
    """Delete ``events`` in primary-key order, at most ``batch_size`` rows per transaction,
    each batch within ``lock_budget`` seconds where the database allows (``None`` or 0: no
    budget, batches of ``batch_size``). See the module's docstring. ``sleep`` waits after a
    cancelled batch and ``clock`` times the batches (both replaceable for tests).

    Raises :class:`CancelledBatches` if the budget cancels ``MAX_CANCELLED_IN_A_ROW``
    batches in a row; every committed batch stays committed.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}.")
    if lock_budget is not None and lock_budget < 0:
        raise ValueError(f"lock_budget must be 0 or more, not {lock_budget}.")
    budget = lock_budget or None
    connection = connections[events.db]
    # Inside the caller's transaction a SET LOCAL would outlive the batch: no timeouts then.
    timeout = (
        f"{max(1, round(budget * 1000))}ms"
        if budget is not None
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
        else None
    )
    deleted = batches = cancelled = in_a_row = 0
    size = smallest = batch_size
    last: int | None = None
    gave_up: DatabaseError | None = None
    while True:
        started = clock()
        smallest = min(smallest, size)
        remaining = events if last is None else events.filter(pk__gt=last)
        ordered = remaining.order_by("pk").values_list("pk", flat=True)
        boundary = next(iter(ordered[size - 1 : size]), None)
        if boundary is None:
            # Fewer than ``size`` left: delete those by their keys (none: done).
            keys = list(ordered[:size])
            if not keys:
                break
            batch = remaining.filter(pk__in=keys)
        else:
            batch = remaining.filter(pk__lte=boundary)
        try:
            with transaction.atomic(using=events.db):
                if timeout is not None:
                    with connection.cursor() as cursor:
                        cursor.execute("SET LOCAL statement_timeout = %s", [timeout])
                        cursor.execute("SET LOCAL synchronous_commit = off")
                count, _ = batch.delete()
        except DatabaseError as error:
            if timeout is None or not _was_cancelled(error):
                raise
            cancelled += 1
            in_a_row += 1
            size = max(1, size // 2)
            if in_a_row >= MAX_CANCELLED_IN_A_ROW:
                gave_up = error
                break
            sleep(FIRST_PAUSE * 2 ** (in_a_row - 1))
            continue
        in_a_row = 0
        deleted += count
        batches += 1
        if boundary is None:
            break
        last = boundary
        if budget is not None:
            took = clock() - started
            if took > budget / 2:
                size = max(1, size // 2)
            elif took < budget / 4:
                size = min(batch_size, size * 2)
    if timeout is not None and batches:
        _make_durable(connection)
    deletion = Deletion(deleted, batches, cancelled, smallest)
    if gave_up is not None:
        raise CancelledBatches(deletion, budget or 0.0) from gave_up
    return deletion


def _make_durable(connection: BaseDatabaseWrapper) -> None:
    """One synchronous commit after batches committed with ``synchronous_commit`` off.

    PostgreSQL's log is one sequence: flushing it up to this commit's record flushes every
    batch before it, so what a run reports as deleted is on disk when it returns.
    ``txid_current()`` gives the transaction an id, without which it would write no commit
    record to wait for.
    """
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SELECT txid_current()")


def prunable_events(
    before: datetime.datetime,
    names: Iterable[str] | None = None,
    *,
    using: str | None = None,
) -> EventQuerySet[Event]:
    """The events older than ``before`` (strictly), only those named ``names`` if given (on
    ``using``; default: where Events are)."""
    events = Event.objects.using(events_database(using)).filter(timestamp__lt=before)
    chosen = sorted(set(names or ()))
    return events.named(*chosen) if chosen else events


def prune_events(
    before: datetime.datetime,
    names: Iterable[str] | None = None,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    lock_budget: float | None = DEFAULT_LOCK_BUDGET,
    using: str | None = None,
) -> int:
    """Delete the events older than ``before`` (only ``names`` if given); return how many.

    Deletes in batches of at most ``batch_size`` rows, each in its own short transaction
    that keeps to ``lock_budget`` seconds (see :func:`delete_in_batches`): do not call it
    inside ``transaction.atomic()``, or the whole run becomes one transaction.
    """
    events = prunable_events(before, names, using=using)
    return delete_in_batches(events, batch_size, lock_budget=lock_budget).deleted
