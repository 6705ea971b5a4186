"""Deleting old events in bounded batches (what ``manage.py prune_events`` runs)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction

from djangotailoring.tracking.models import Event
from djangotailoring.tracking.placement import events_database
from djangotailoring.tracking.querysets import EventQuerySet

__all__ = ["DEFAULT_BATCH_SIZE", "delete_in_batches", "prunable_events", "prune_events"]

DEFAULT_BATCH_SIZE = 10_000


def delete_in_batches(events: EventQuerySet[Event], batch_size: int) -> tuple[int, int]:
    """Delete ``events`` in primary-key order, at most ``batch_size`` rows per transaction.

    Each batch is one short transaction, so no lock is held for long and other writers go on
    between batches. Returns the number of events deleted and the number of batches.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}.")
    deleted = batches = 0
    last: int | None = None
    while True:
        remaining = events if last is None else events.filter(pk__gt=last)
        keys = list(remaining.order_by("pk").values_list("pk", flat=True)[:batch_size])
        if not keys:
            return deleted, batches
        first, last = keys[0], keys[-1]
        # A key range with the filter, not a list of keys: two parameters whatever the size.
        with transaction.atomic(using=events.db):
            count, _ = events.filter(pk__gte=first, pk__lte=last).delete()
        deleted += count
        batches += 1


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
    using: str | None = None,
) -> int:
    """Delete the events older than ``before`` (only ``names`` if given); return how many.

    Deletes in batches of at most ``batch_size`` rows, each in its own short transaction:
    do not call it inside ``transaction.atomic()``, or the whole run becomes one transaction.
    """
    deleted, _ = delete_in_batches(prunable_events(before, names, using=using), batch_size)
    return deleted
