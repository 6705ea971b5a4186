"""Where Events live relative to the rest: beside the users and content types, or apart.

With ``TRACKING_DATABASE`` set, Events live on a database of their own, which may be another
server: the Event's links to users and content types are plain columns (no foreign-key
constraint can cross databases), and whatever reads users or content types for events asks
the database that holds them, never the events' one. Without it, nothing changes.

The model's columns are decided when the model (and its migrations) are loaded, so the
setting is read at start-up; changing it needs a restart and ``migrate``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from djangotailoring.conf import conf

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet

__all__ = [
    "content_types_database",
    "database_of",
    "events_apart",
    "events_database",
    "links_constrained",
    "links_on_delete",
    "users_database",
    "with_related",
]

_Q = TypeVar("_Q", bound="QuerySet[Any]")


def events_apart() -> bool:
    """Whether ``TRACKING_DATABASE`` puts Events on a database of their own."""
    return conf.DATABASE is not None


def links_constrained() -> bool:
    """Whether the Event's ``user`` and ``related_content_type`` are foreign-key constraints."""
    return not events_apart()


def links_on_delete() -> Callable[..., Any]:
    """``on_delete`` of the Event's links: ``SET_NULL`` beside the users, else ``DO_NOTHING``.

    Apart, the deletion of a user or a content type cannot reach the events' database through
    Django's collector (it would query the events table where the user lives); receivers of
    ``pre_delete`` clear the links on the events' database instead.
    """
    from django.db import models

    return models.SET_NULL if links_constrained() else models.DO_NOTHING


def events_database(using: str | None = None) -> str:
    """``using``, or where Events are written when it is ``None`` (``TRACKING_DATABASE``, or
    the router's choice)."""
    if using is not None:
        return using
    from django.db import router

    from djangotailoring.tracking.models import Event

    return router.db_for_write(Event)


def database_of(model: type[Model]) -> str:
    """The alias that holds ``model`` (a user model, ``ContentType``) for reading."""
    from django.db import router

    return router.db_for_read(model)


def content_types_database(events_alias: str) -> str:
    """Where the content types of events read or written through ``events_alias`` are."""
    if not events_apart():
        return events_alias
    from django.contrib.contenttypes.models import ContentType

    return database_of(ContentType)


def users_database(events_alias: str) -> str:
    """Where the users of events read or written through ``events_alias`` are."""
    if not events_apart():
        return events_alias
    from django.contrib.auth import get_user_model

    return database_of(get_user_model())


def with_related(queryset: _Q, *fields: str) -> _Q:
    """``queryset`` with the linked users or content types loaded along.

    Beside the users this is ``select_related`` (one join); apart it is ``prefetch_related``
    (one more query per link, on the database that holds them), as no join can cross.
    """
    if events_apart():
        return queryset.prefetch_related(*fields)
    return queryset.select_related(*fields)
