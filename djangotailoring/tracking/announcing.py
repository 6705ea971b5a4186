"""Log every created Event on ``djangotailoring.tracking.events`` once it is committed."""

from __future__ import annotations

import logging
import sys
import traceback
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save

from djangotailoring.limits import EVENTS_LOGGER_NAME
from djangotailoring.requestcontext import current_request
from djangotailoring.sanitizing import one_line, safe_str
from djangotailoring.tracking import watching
from djangotailoring.tracking.models import Event

__all__ = ["EVENTS_LOGGER_NAME", "announce", "announce_on_commit", "connect", "logger"]

logger = logging.getLogger(EVENTS_LOGGER_NAME)

_USER = Event._meta.get_field("user")
_RELATED = Event._meta.get_field("related_object")

# Set on events that were persisted *from* a log record, so they are not logged again.
FROM_LOG_RECORD = "_tracking_from_log_record"


def _describe(event: Event) -> tuple[str, dict[str, Any]]:
    # Only what is already loaded is used: announcing an event never queries the database.
    request = event.request if event.request is not None else current_request()
    user = event.user if _USER.is_cached(event) else None
    username = user.get_username() if user is not None else None
    data = event.data if isinstance(event.data, dict) else {}
    related: Any = None
    if _RELATED.is_cached(event):
        related = event.related_object
    if related is None and event.related_object_id is not None:
        related = data.get("related_object", event.related_object_id)
    parts = [event.name]
    if username is not None:
        parts.append(f"user={username}")
    elif event.user_id is not None:
        parts.append(f"user_id={event.user_id}")
    if related is not None:
        parts.append(f"related={safe_str(related)}")
    path = (data.get("request") or {}).get("path")
    if path:
        parts.append(f"path={path}")
    extra = {
        "event": event,
        "request": request,
        # Escaped so that a text formatter's %(note)s cannot forge extra log lines; the
        # note itself is event.note.
        "note": one_line(event.note),
        "timestamp": event.timestamp,
        "related_object": related,
        "user": username,
    }
    return one_line(" ".join(parts)), extra


def announce(event: Event) -> None:
    """Log ``event`` at INFO on the events logger (now, whatever the transaction state)."""
    if not logger.isEnabledFor(logging.INFO):
        return
    message, extra = _describe(event)
    logger.info("%s", message, extra=extra)


def announce_on_commit(events: Iterable[Event], using: str) -> None:
    """Log ``events`` when the transaction on ``using`` commits (at once in autocommit)."""
    pending = list(events)
    watching.notify(pending)

    def announce_all() -> None:
        for event in pending:
            try:
                announce(event)
            except Exception:
                # Logging must never raise into the code that saved the event.
                if logging.raiseExceptions:
                    traceback.print_exc(file=sys.stderr)

    transaction.on_commit(announce_all, using=using)


def _on_post_save(sender: type[Event], instance: Event, created: bool, **kwargs: Any) -> None:
    if created and not getattr(instance, FROM_LOG_RECORD, False):
        announce_on_commit([instance], using=kwargs.get("using") or "default")


def connect() -> None:
    """Connect the receiver that announces saved events (called from ``AppConfig.ready``)."""
    post_save.connect(_on_post_save, sender=Event, dispatch_uid="djangotailoring.announce")
