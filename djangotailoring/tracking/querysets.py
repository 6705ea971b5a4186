"""The chainable QuerySet of :class:`~djangotailoring.tracking.models.Event`."""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models

if TYPE_CHECKING:
    from djangotailoring.tracking.models import Event

__all__ = ["EventQuerySet"]

_E = TypeVar("_E", bound="Event")


class EventQuerySet(models.QuerySet[_E]):
    """Domain filters that compose with each other and with ``filter()``."""

    def related_to(self, obj: models.Model) -> EventQuerySet[_E]:
        """Events whose ``related_object`` is ``obj`` (an object of another model never matches)."""
        from djangotailoring.tracking.placement import content_types_database

        content_type = ContentType.objects.db_manager(
            content_types_database(self.db)
        ).get_for_model(obj)
        return self.filter(related_content_type=content_type, related_object_id=obj.pk)

    def for_user(self, user: Any) -> EventQuerySet[_E]:
        """Events of ``user`` (a user instance or primary key); anonymous or ``None``: no user."""
        if user is None or getattr(user, "is_anonymous", False):
            return self.filter(user__isnull=True)
        return self.filter(user=user)

    def named(self, *names: str) -> EventQuerySet[_E]:
        """Events with any of the given names."""
        if len(names) == 1:
            return self.filter(name=names[0])
        return self.filter(name__in=names)

    def between(self, start: datetime.datetime, end: datetime.datetime) -> EventQuerySet[_E]:
        """Events with ``start <= timestamp <= end`` (both ends inclusive, like ``__range``)."""
        return self.filter(timestamp__range=(start, end))

    def since(self, moment: datetime.datetime) -> EventQuerySet[_E]:
        """Events with ``timestamp >= moment``."""
        return self.filter(timestamp__gte=moment)
