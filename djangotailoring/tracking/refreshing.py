"""Recomputing denormalized event fields from the events table (``refresh_event_fields``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import models, router, transaction
from django.db.models import Case, Value, When

from djangotailoring.tracking.denormalizing import Follower
from djangotailoring.tracking.models import Event

__all__ = ["DEFAULT_BATCH_SIZE", "Refreshed", "refresh_model"]

DEFAULT_BATCH_SIZE = 500


@dataclass
class Refreshed:
    """What refreshing one field did: rows looked at, and rows whose value changed."""

    label: str
    rows: int = 0
    changed: int = 0


def _changes(
    follower: Follower, batch: Sequence[tuple[Any, ...]], column: int, users: set[Any]
) -> dict[Any, Any]:
    """``pk: value`` of the rows of ``batch`` whose value differs from their events'."""
    field = follower.field
    events = Event.objects.using(router.db_for_read(Event)).named(field.eventname)
    values = field.refreshed_values(events.filter(user__in=users)) if users else {}
    default = follower.model_field.get_default()
    changes = {}
    for row in batch:
        value = values.get(row[1], default)
        if value != row[column]:
            changes[row[0]] = value
    return changes


def _set(rows: models.QuerySet[models.Model], follower: Follower, changes: dict[Any, Any]) -> None:
    field = follower.model_field
    whens = [When(pk=pk, then=Value(value, output_field=field)) for pk, value in changes.items()]
    rows.filter(pk__in=list(changes)).update(**{follower.name: Case(*whens, output_field=field)})


def refresh_model(
    model: type[models.Model],
    followers: Sequence[Follower],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> list[Refreshed]:
    """Recompute ``followers`` (fields of ``model``) for every row, ``batch_size`` rows at a time.

    Each batch is one transaction that locks its rows first (``SELECT ... FOR UPDATE``), so
    that on databases with row locks the ``UPDATE`` of an Event created meanwhile waits for
    the batch instead of being overwritten by it. ``progress`` is called with the number of
    rows of each batch done.
    """
    database = router.db_for_write(model)
    rows = model._base_manager.db_manager(database).all()
    names = [follower.name for follower in followers]
    results = [Refreshed(follower.label) for follower in followers]
    last = None
    while True:
        with transaction.atomic(using=database):
            page = rows.order_by("pk")
            if last is not None:
                page = page.filter(pk__gt=last)
            if not dry_run:
                page = page.select_for_update()
            batch = list(page.values_list("pk", "user", *names)[:batch_size])
            if not batch:
                break
            users = {row[1] for row in batch} - {None}
            for column, (follower, result) in enumerate(zip(followers, results, strict=True), 2):
                changes = _changes(follower, batch, column, users)
                result.rows += len(batch)
                result.changed += len(changes)
                if changes and not dry_run:
                    _set(rows, follower, changes)
        last = batch[-1][0]
        if progress is not None:
            progress(len(batch))
    return results
