"""Model fields for events: generic relations to them, and fields kept up to date from them."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.core.checks import CheckMessage, Error
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import Count, F, Max, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

if TYPE_CHECKING:
    from djangotailoring.tracking.models import Event
    from djangotailoring.tracking.querysets import EventQuerySet

__all__ = [
    "DenormalizedEventCountField",
    "DenormalizedEventFieldMixin",
    "DenormalizedEventTimestampField",
    "EventObjectField",
    "EventRelation",
    "ObjectIdField",
    "denormalize_event_data_for_type",
]


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


def _related_across(field: GenericForeignKey, instance: Any) -> Any:
    """The related object of ``instance`` (an Event), read where the router sends its model."""
    from django.db import router

    ct_id = getattr(instance, field.model._meta.get_field(field.ct_field).attname, None)
    if ct_id is None:
        return None
    content_type = field.get_content_type(id=ct_id, using=instance._state.db)
    model = content_type.model_class()
    if model is None:
        return None
    using = router.db_for_read(model, instance=instance)
    try:
        return model._base_manager.using(using).get(pk=getattr(instance, field.fk_field))
    except ObjectDoesNotExist:
        return None


class EventObjectField(GenericForeignKey):
    """The ``related_object`` of an Event: a ``GenericForeignKey`` that works across databases.

    Django's own looks the content type and the object up in the database the Event was read
    from. With ``TRACKING_DATABASE`` that is the events' database, which holds neither: this
    one looks both up where the router sends them.
    """

    def contribute_to_class(  # type: ignore[override]  # as GenericForeignKey does
        self, cls: type[models.Model], name: str, **kwargs: Any
    ) -> None:
        super().contribute_to_class(cls, name, **kwargs)
        if _Descriptor is not None:
            # Django 6.1 and later read the object through a descriptor of its own.
            setattr(cls, self.attname, _Descriptor(self))

    def get_content_type(
        self, obj: Any = None, id: Any = None, using: Any = None, model: Any = None
    ) -> Any:
        from djangotailoring.tracking.placement import content_types_database

        if obj is None and using is not None:
            using = content_types_database(using)
        return super().get_content_type(obj=obj, id=id, using=using, model=model)

    def __get__(self, instance: Any, cls: Any = None) -> Any:
        # Up to Django 6.0, the field is its own descriptor.
        from djangotailoring.tracking.placement import events_apart

        if instance is None or not events_apart():
            return super().__get__(instance, cls)
        pk_val = getattr(instance, self.fk_field)
        cached = self.get_cached_value(instance, default=None)
        if cached is None and self.is_cached(instance):
            return None
        ct_id = getattr(instance, self.model._meta.get_field(self.ct_field).attname, None)
        if cached is not None and ct_id is not None:
            same_type = ct_id == self.get_content_type(obj=cached).id
            if same_type and cached._meta.pk.to_python(pk_val) == cached.pk:
                return cached
        related = _related_across(self, instance)
        self.set_cached_value(instance, related)
        return related


try:
    from django.contrib.contenttypes.fields import GenericForeignKeyDescriptor
except ImportError:  # Django < 6.1
    _Descriptor: Any = None
else:

    class _Descriptor(GenericForeignKeyDescriptor):  # type: ignore[no-redef]
        """Django 6.1's descriptor, reading the object across databases when apart."""

        def fetch_one(self, instance: Any) -> None:
            from djangotailoring.tracking.placement import events_apart

            if not events_apart():
                super().fetch_one(instance)
                return
            related = _related_across(self.field, instance)
            if related is not None:
                related._state.fetch_mode = instance._state.fetch_mode
            self.field.set_cached_value(instance, related)


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


class DenormalizedEventFieldMixin:
    """A field of a model with a ``user`` foreign key, kept up to date from that user's events.

    Every committed Event named ``eventname`` of a user updates the field on every row of the
    model whose ``user`` is that user, with an ``UPDATE`` statement (never ``save()``, so the
    model's ``save()`` and its signals do not run), in the Event's transaction. Subclass it
    with a model field class and override :meth:`get_value`; :meth:`combine` and
    :meth:`update_for` say how values of several events merge and how the row is updated.
    """

    eventname: str

    def __init__(self, eventname: str, *args: Any, **kwargs: Any) -> None:
        self.eventname = eventname
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()  # type: ignore[misc]
        return name, path, [self.eventname, *args], kwargs

    def check(self, **kwargs: Any) -> list[CheckMessage]:
        from djangotailoring.tracking.denormalizing import user_field_problem

        errors: list[CheckMessage] = [*super().check(**kwargs)]  # type: ignore[misc]
        problem = user_field_problem(self.model)  # type: ignore[attr-defined]
        if problem is not None:
            errors.append(
                Error(
                    f"{type(self).__name__} needs a model with a 'user' foreign key to "
                    f"AUTH_USER_MODEL, and {problem}; it is never updated.",
                    obj=self,
                    id="djangotailoring.E040",
                )
            )
        return errors

    def get_value(self, event: Event) -> Any:
        """The value an ``event`` gives the field (the default: ``None``)."""
        return None

    def combine(self, values: Sequence[Any]) -> Any:
        """One value for the values of one user's events, oldest first (default: the last)."""
        return values[-1]

    def update_for(self, value: Any) -> tuple[Any, Q | None]:
        """What ``UPDATE`` sets the field to for ``value``, and which rows it touches.

        Returns the new value (a value or an expression) and a condition on the rows of the
        user (``None``: all of them).
        """
        return value, None

    def refreshed_values(self, events: EventQuerySet[Event]) -> dict[Any, Any]:
        """The value of each user of ``events`` (``user_id: value``), from their events.

        ``events`` are the events of this field's name of some users; a user without any
        gets the field's default. Used by ``manage.py refresh_event_fields``; the default
        takes :meth:`get_value` of each user's latest event.
        """
        latest = events.filter(user=OuterRef("user")).order_by("-timestamp", "-id")
        return {
            event.user_id: self.get_value(event)
            for event in events.filter(pk=Subquery(latest.values("pk")[:1]))
        }


class DenormalizedEventTimestampField(DenormalizedEventFieldMixin, models.DateTimeField):  # type: ignore[type-arg]
    """The timestamp of the user's latest event named ``eventname`` (``NULL`` before any).

    It never moves backwards: an event older than the stored value (a backfill) leaves it.
    """

    def __init__(self, eventname: str, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("null", True)
        kwargs.setdefault("blank", True)
        super().__init__(eventname, *args, **kwargs)

    def get_value(self, event: Event) -> Any:
        return event.timestamp

    def combine(self, values: Sequence[Any]) -> Any:
        return max(values)

    def update_for(self, value: Any) -> tuple[Any, Q | None]:
        column = self.attname
        return value, Q(**{f"{column}__isnull": True}) | Q(**{f"{column}__lt": value})

    def refreshed_values(self, events: EventQuerySet[Event]) -> dict[Any, Any]:
        return dict(
            events.order_by().values("user").annotate(v=Max("timestamp")).values_list("user", "v")
        )


class DenormalizedEventCountField(DenormalizedEventFieldMixin, models.PositiveIntegerField):  # type: ignore[type-arg]
    """The number of the user's events named ``eventname``, exact under concurrent writers.

    Each event adds to the stored number in the database (``SET f = f + n``), so writers
    never overwrite each other's counts.
    """

    def __init__(self, eventname: str, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", 0)
        super().__init__(eventname, *args, **kwargs)

    def get_value(self, event: Event) -> Any:
        return 1

    def combine(self, values: Sequence[Any]) -> Any:
        return sum(values)

    def update_for(self, value: Any) -> tuple[Any, Q | None]:
        return Coalesce(F(self.attname), 0) + value, None

    def refreshed_values(self, events: EventQuerySet[Event]) -> dict[Any, Any]:
        return dict(
            events.order_by().values("user").annotate(v=Count("id")).values_list("user", "v")
        )


_F = TypeVar("_F", bound=models.Field)  # type: ignore[type-arg]


def denormalize_event_data_for_type(
    fieldtype: type[_F],
) -> Callable[[Callable[[Event], Any]], type[_F]]:
    """Turn a function ``f(event) -> value`` into a field class of type ``fieldtype``.

    The field is set to ``f(event)`` of the user's latest event named ``eventname``::

        @denormalize_event_data_for_type(models.CharField)
        def LastPageField(event):
            return event.note

        class Profile(models.Model):
            user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
            last_page = LastPageField("PageViewed", max_length=200, blank=True)

    Warning: the class is found by migrations under the function's module and name, so
    define it at module level.
    """

    def decorator(function: Callable[[Event], Any]) -> type[_F]:
        def get_value(self: Any, event: Event) -> Any:
            return function(event)

        field_class = type(
            function.__name__,
            (DenormalizedEventFieldMixin, fieldtype),
            {
                "get_value": get_value,
                "__module__": function.__module__,
                "__qualname__": function.__qualname__,
                "__doc__": function.__doc__,
            },
        )
        return cast("type[_F]", field_class)

    return decorator
