"""The ``djangotailoring.tracking`` Django app: the Event model and the ways to create events.

Importing this package does nothing: the public names are loaded on first access, so that
``LOGGING`` (applied before the app registry is ready) may import from here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from djangotailoring.lazyexports import lazy_exports

if TYPE_CHECKING:
    from djangotailoring.tracking.creation import (
        acreate_event,
        create_event,
        create_events,
    )
    from djangotailoring.tracking.errors import InvalidEventError
    from djangotailoring.tracking.eventnames import EventNames

__all__ = [
    "EventNames",
    "InvalidEventError",
    "acreate_event",
    "create_event",
    "create_events",
]

_LAZY = {
    "EventNames": "djangotailoring.tracking.eventnames",
    "InvalidEventError": "djangotailoring.tracking.errors",
    "acreate_event": "djangotailoring.tracking.creation",
    "create_event": "djangotailoring.tracking.creation",
    "create_events": "djangotailoring.tracking.creation",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
