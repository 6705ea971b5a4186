"""Collect the Events a block of code creates, whichever way it creates them."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from djangotailoring.handlers import lifecycle
from djangotailoring.handlers.testing import flush_events
from djangotailoring.tracking import watching

if TYPE_CHECKING:
    from djangotailoring.tracking.models import Event

__all__ = ["capture_events"]


def _handler_aliases() -> set[str]:
    from djangotailoring.handlers.eventstore import default_alias

    return {handler.using or default_alias() for handler in lifecycle.live_handlers()}


def _last_pks(aliases: set[str]) -> dict[str, int]:
    from django.db.models import Max

    from djangotailoring.tracking.models import Event

    return {
        alias: Event.objects.using(alias).aggregate(last=Max("pk"))["last"] or 0
        for alias in aliases
    }


def _written_since(last_pks: dict[str, int], known: set[int]) -> list[Event]:
    from djangotailoring.tracking.models import Event

    flush_events()
    written: list[Event] = []
    for alias, last in last_pks.items():
        later = Event.objects.using(alias).filter(pk__gt=last).order_by("pk")
        written.extend(event for event in later if event.pk not in known)
    return sorted(written, key=lambda event: (event.timestamp, event.pk))


@contextmanager
def capture_events() -> Iterator[list[Event]]:
    """Yield a list that receives every Event created inside the block.

    Events created through the ORM (``create_event``, ``acreate_event``, ``create_events``,
    ``Event.objects.create()``, ``save()``) are appended as they are created, in creation
    order, also inside a test's transaction (``TestCase``, ``django_db``), and stay in the
    list if that transaction is rolled back later. When an ``EventHandler`` exists as the
    block begins, the block ends by flushing every handler and appending the Events written
    since it began that are not in the list yet (the handlers', or Django's own
    ``bulk_create``'s), oldest first. They are written on the handler's own connection:
    use a transactional test for them. Blocks nest; each sees every Event.
    """
    captured: list[Event] = []
    lock = threading.Lock()

    def created(events: Sequence[Event]) -> None:
        with lock:
            captured.extend(events)

    aliases = _handler_aliases()
    last_pks: dict[str, int] = {}
    if aliases:
        flush_events()
        last_pks = _last_pks(aliases)
    watching.watch(created)
    try:
        yield captured
    finally:
        watching.unwatch(created)
        if last_pks:
            known = {event.pk for event in captured}
            captured.extend(_written_since(last_pks, known))
