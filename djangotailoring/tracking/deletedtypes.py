"""On ``TRACKING_DATABASE``, a deleted content type leaves its events without a type.

Beside the content types this is the foreign key's ``SET_NULL``. Apart, no constraint and no
collector reaches the events' database, so a ``pre_delete`` receiver clears the events'
``related_content_type`` there once the deletion has committed (one ``UPDATE``;
``data["related_object"]`` keeps the object's description). A failure is logged, never
raised.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import router, transaction
from django.db.models import Model
from django.db.models.signals import pre_delete

__all__ = ["clear_deleted_type", "connect"]

logger = logging.getLogger("djangotailoring.tracking")


def clear_deleted_type(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    """Clear ``related_content_type`` of the events of the content type ``instance``, once
    its deletion has committed."""
    pk = instance.pk

    def clear() -> None:
        from djangotailoring.tracking.models import Event

        using = router.db_for_write(Event)
        try:
            with transaction.atomic(using=using):
                Event.objects.using(using).filter(related_content_type_id=pk).update(
                    related_content_type=None
                )
        except Exception:
            logger.exception("Could not clear a deleted content type from its events")

    transaction.on_commit(clear, using=kwargs.get("using") or router.db_for_write(sender))


def connect() -> None:
    """Connect the receiver when Events are apart (called from ``AppConfig.ready``)."""
    from django.contrib.contenttypes.models import ContentType

    from djangotailoring.tracking.placement import events_apart

    if events_apart():
        pre_delete.connect(
            clear_deleted_type,
            sender=ContentType,
            dispatch_uid="djangotailoring.tracking.deletedtypes",
        )
