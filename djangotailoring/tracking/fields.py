"""Model fields for generic relations to events."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

__all__ = ["EventRelation", "ObjectIdField"]


class ObjectIdField(models.CharField):  # type: ignore[type-arg]
    """The id of a generically related object, stored as text.

    Integer, string and UUID primary keys all fit. A UUID is stored the way the target's
    own column stores it (hyphenated where the database has a native UUID type, 32 hex
    digits elsewhere), so joins through a ``GenericRelation`` match on every backend.
    """

    def get_prep_value(self, value: Any) -> Any:
        if isinstance(value, uuid.UUID):
            return value
        return super().get_prep_value(value)

    def get_db_prep_value(
        self, value: Any, connection: BaseDatabaseWrapper, prepared: bool = False
    ) -> Any:
        if isinstance(value, uuid.UUID):
            return str(value) if connection.features.has_native_uuid_field else value.hex
        return super().get_db_prep_value(value, connection, prepared)


class EventRelation(GenericRelation):
    """A ``GenericRelation`` to :class:`~djangotailoring.tracking.models.Event` that keeps events.

    Django's ``GenericRelation`` deletes the related rows when the object is deleted. Events
    are history, so this relation leaves them in place (they keep a readable description of
    the object in ``data["related_object"]``)::

        class Study(models.Model):
            events = EventRelation()
    """

    def __init__(self, to: Any = "tracking.Event", **kwargs: Any) -> None:
        kwargs.setdefault("content_type_field", "related_content_type")
        kwargs.setdefault("object_id_field", "related_object_id")
        kwargs.setdefault("related_query_name", None)
        super().__init__(to, **kwargs)

    def bulk_related_objects(self, objs: Any, using: str = "default") -> Any:
        """Return nothing, so that deleting an object never deletes its events."""
        return self.remote_field.model._base_manager.none()
