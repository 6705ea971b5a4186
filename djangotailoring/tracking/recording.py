"""Record automatic events without ever breaking the request that triggers them."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.db import router, transaction

from djangotailoring.tracking.creation import create_event
from djangotailoring.tracking.models import Event

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = ["arecord_automatic", "logger", "record_automatic"]

logger = logging.getLogger("djangotailoring.tracking")


def record_automatic(
    name: str,
    request: HttpRequest | None,
    *,
    user: Any = None,
    note: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> Event | None:
    """Create an automatic event; on failure log the error and return ``None``.

    Inside a transaction the INSERT runs in a savepoint, so that a failing write (say, the
    table is not migrated yet) does not poison the caller's transaction.
    """
    try:
        using = router.db_for_write(Event)
        if transaction.get_connection(using).in_atomic_block:
            with transaction.atomic(using=using):
                return create_event(name, request, user=user, note=note, data=data)
        return create_event(name, request, user=user, note=note, data=data)
    except Exception:
        logger.exception("Could not record the automatic event %s", name)
        return None


async def arecord_automatic(
    name: str,
    request: HttpRequest,
    *,
    note: str | None = None,
    data: Mapping[str, Any] | None = None,
) -> Event | None:
    """Async twin of :func:`record_automatic`: the database is only touched off the event loop."""
    user: Any = None
    try:
        auser = getattr(request, "auser", None)
        if auser is not None:
            user = await auser()
    except Exception:
        logger.exception("Could not resolve the user for the automatic event %s", name)
    return await sync_to_async(record_automatic)(name, request, user=user, note=note, data=data)
