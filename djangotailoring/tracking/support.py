"""``LatestEventMixin``: the latest event of an object's ``user``."""

from __future__ import annotations

import datetime
from typing import Any

from djangotailoring.tracking.models import Event

__all__ = ["LatestEventMixin"]


class LatestEventMixin:
    """For objects with a ``user`` attribute: their user's most recent event.

    Both methods return ``None`` when there is no user or no matching event.
    """

    user: Any

    def latest_event(self, eventname: str | None = None) -> Event | None:
        """The user's most recent event, of name ``eventname`` if given."""
        user = getattr(self, "user", None)
        if user is None or getattr(user, "pk", None) is None:
            return None
        events = Event.objects.for_user(user)
        if eventname is not None:
            events = events.named(eventname)
        return events.order_by("-timestamp", "-id").first()

    def latest_event_date(self, eventname: str | None = None) -> datetime.datetime | None:
        """The timestamp of :meth:`latest_event`, or ``None``."""
        event = self.latest_event(eventname)
        return None if event is None else event.timestamp
