"""Collect the Events a block of code creates, whichever way it creates them."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

from djangotailoring.handlers import lifecycle
from djangotailoring.handlers import testing as handler_testing
from djangotailoring.tracking import watching

if TYPE_CHECKING:
    from djangotailoring.tracking.models import Event

__all__ = ["capture_events", "flush_events"]


class _Capture:
    """One ``capture_events()`` block: its list, and where the handlers' rows begin."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()
        self.last_pks: dict[str, int] = {}

    def created(self, events: Sequence[Event]) -> None:
        with self._lock:
            self.events.extend(events)

    def start(self) -> None:
        """Note the last Event of each database the handlers write to (none: no query)."""
        from djangotailoring.handlers.eventstore import default_alias

        aliases = {handler.using or default_alias() for handler in lifecycle.open_handlers()}
        if aliases:
            handler_testing.flush_events()
            self.last_pks = {alias: _last_pk(alias) for alias in aliases}

    def collect(self) -> None:
        """Append the Events written since the last look that the list does not hold yet."""
        from djangotailoring.tracking.models import Event

        found: list[Event] = []
        for alias, last in self.last_pks.items():
            later = list(Event.objects.using(alias).filter(pk__gt=last).order_by("pk"))
            if later:
                self.last_pks[alias] = later[-1].pk
            found.extend(later)
        with self._lock:
            known = {event.pk for event in self.events}
            new = [event for event in found if event.pk not in known]
            self.events.extend(sorted(new, key=lambda event: (event.timestamp, event.pk)))


_active: list[_Capture] = []


def _last_pk(alias: str) -> int:
    from django.db.models import Max

    from djangotailoring.tracking.models import Event

    last = Event.objects.using(alias).aggregate(last=Max("pk"))["last"]
    return 0 if last is None else int(last)


def flush_events(timeout: float | None = None) -> None:
    """Wait until every ``EventHandler`` has committed what it was handed, and add what they
    wrote to the lists of the open ``capture_events()`` blocks."""
    handler_testing.flush_events(timeout)
    for capture in tuple(_active):
        capture.collect()


@contextmanager
def capture_events() -> Iterator[list[Event]]:
    """Yield a list that receives every Event created inside the block.

    Events created through the ORM (``create_event``, ``acreate_event``, ``create_events``,
    ``Event.objects.create()``, ``save()``) are appended as they are created, in creation
    order, also inside a test's transaction (``TestCase``, ``django_db``), and stay in the
    list if that transaction is rolled back later. When an ``EventHandler`` exists as the
    block begins, :func:`flush_events` inside the block and the end of the block flush every
    handler and append the Events written since the block began that are not in the list yet
    (the handlers', or Django's own ``bulk_create``'s), oldest first. Handlers write on a
    connection of their own: use a transactional test for their Events. Blocks nest; each
    sees every Event.
    """
    capture = _Capture()
    capture.start()
    watching.watch(capture.created)
    _active.append(capture)
    try:
        yield capture.events
    finally:
        _active.remove(capture)
        watching.unwatch(capture.created)
        if capture.last_pks:
            handler_testing.flush_events()
            capture.collect()
