"""Events outlive their user: a deleted user's events still say who it was.

Deleting a user sets ``Event.user`` to ``NULL`` (``on_delete=SET_NULL``). Just before, a
``pre_delete`` receiver sets it to ``NULL`` itself and writes ``{"pk": ..., "username":
...}`` into ``data["user"]`` of that user's events: one ``UPDATE`` in the database, in the
deletion's transaction, that loads no event into Python, however many there are. Events that
:func:`~djangotailoring.tracking.privacy.forget_user` anonymised no longer belong to the
user and keep saying nothing about them; events it deleted are gone.
"""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth import get_user_model
from django.db import router, transaction
from django.db.models import Model
from django.db.models.signals import pre_delete

from djangotailoring.sanitizing import json_safe
from djangotailoring.tracking.jsonkeys import WithKey
from djangotailoring.tracking.models import Event
from djangotailoring.tracking.placement import events_apart

__all__ = ["connect", "keep_user_reference", "user_reference"]

logger = logging.getLogger("djangotailoring.tracking")


def user_reference(user: Model) -> dict[str, Any]:
    """What a deleted user's events keep of them: ``{"pk": ..., "username": ...}``."""
    get_username = getattr(user, "get_username", None)
    username = get_username() if callable(get_username) else None
    return {"pk": json_safe(user.pk), "username": json_safe(username)}


def keep_user_reference(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    """Write :func:`user_reference` into ``data["user"]`` of the events of ``instance``
    (and clear their ``user``).

    With ``TRACKING_DATABASE`` the events are on another database, which the deletion's
    transaction does not reach: the ``UPDATE`` runs there once the deletion has committed
    (a rolled-back deletion leaves the events as they were).

    A failure (say, the events table is not migrated) is logged, never raised: it must not
    stop the deletion of the user.
    """
    pk = instance.pk
    try:
        reference = user_reference(instance)
    except Exception:
        logger.exception("Could not keep the user's reference in their events")
        return

    def keep() -> None:
        using = router.db_for_write(Event)
        try:
            # A savepoint, so that a failing UPDATE leaves the deletion's transaction usable.
            with transaction.atomic(using=using):
                # The user is cleared in the same UPDATE: Django's SET NULL that follows
                # finds no row left to rewrite, so each event is written once.
                Event.objects.using(using).filter(user_id=pk).update(
                    user=None, data=WithKey("data", "user", reference)
                )
        except Exception:
            logger.exception("Could not keep the user's reference in their events")

    if events_apart():
        transaction.on_commit(keep, using=kwargs.get("using") or router.db_for_write(sender))
    else:
        keep()


def connect() -> None:
    """Connect the receiver for the user model (called from ``AppConfig.ready``)."""
    pre_delete.connect(
        keep_user_reference,
        sender=get_user_model(),
        dispatch_uid="djangotailoring.tracking.deletedusers",
    )
