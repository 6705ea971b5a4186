"""Callbacks told of every Event the moment it is created through the ORM.

Before its transaction commits, unlike the events logger: :func:`~djangotailoring.testing.
capture_events` watches here, so that it works in tests wrapped in a transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from djangotailoring.tracking.models import Event

__all__ = ["Watcher", "notify", "unwatch", "watch"]

Watcher = Callable[["Sequence[Event]"], None]

_watchers: list[Watcher] = []
_lock = threading.Lock()


def watch(watcher: Watcher) -> None:
    """Call ``watcher(events)`` with the Events of every ORM creation from now on."""
    with _lock:
        _watchers.append(watcher)


def unwatch(watcher: Watcher) -> None:
    """Stop calling ``watcher``."""
    with _lock:
        _watchers.remove(watcher)


def notify(events: Sequence[Event]) -> None:
    """Tell every watcher of ``events``, just created (cheap when nobody watches)."""
    if _watchers:
        for watcher in tuple(_watchers):
            watcher(events)
