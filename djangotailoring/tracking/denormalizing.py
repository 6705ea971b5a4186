"""Keeping denormalized event fields up to date as Events are created, on every path.

The fields (:mod:`djangotailoring.tracking.fields`) are found once, on first use, after the
app registry is ready; while no model has one, an Event pays one dictionary lookup.

- ``save()`` and ``Event.objects.create()``: the ``post_save`` receiver
  :func:`on_event_saved`, right after the ``INSERT``, on the same connection, so inside
  the Event's transaction when there is one; ``create_event`` and ``acreate_event`` open
  one (:func:`atomic_if_followed`) so that the Event and its fields commit together;
- ``create_events``: :func:`following`, around the ``bulk_create``, in one transaction;
- ``EventHandler``: :func:`update_batch`, on the handler's connection, in the batch's
  transaction (a batch its marker skips updates nothing a second time).

Every update is an ``UPDATE`` statement per (model, field, user), issued in one order
(model, field, user) so concurrent writers take row locks in the same order.
"""

from __future__ import annotations

import contextlib
import datetime
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.signals import setting_changed
from django.db import models, router, transaction
from django.db.models.signals import post_save
from django.db.models.sql import UpdateQuery
from django.db.models.sql.constants import CURSOR

from djangotailoring.tracking.fields import DenormalizedEventFieldMixin

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper

    from djangotailoring.tracking.models import Event

__all__ = [
    "Follower",
    "atomic_if_followed",
    "connect",
    "followers",
    "following",
    "on_event_saved",
    "update_batch",
    "user_field_problem",
]

_UID = "djangotailoring.tracking.denormalizing"


@dataclass(frozen=True)
class Follower:
    """A denormalized event field of a model, with the database its rows are written to."""

    model: type[models.Model]
    field: DenormalizedEventFieldMixin

    @property
    def model_field(self) -> models.Field[Any, Any]:
        """The field as the model field it also is."""
        return cast("models.Field[Any, Any]", self.field)

    @property
    def name(self) -> str:
        return self.model_field.name

    @property
    def label(self) -> str:
        """``app_label.Model.field``."""
        return f"{self.model._meta.label}.{self.name}"

    def rows_of(self, user_id: Any) -> models.QuerySet[models.Model]:
        """The rows of ``user_id`` (the base manager: no custom manager hides any)."""
        return self.model._base_manager.filter(user=user_id)

    def update_query(self, user_id: Any, value: Any) -> UpdateQuery:
        """The ``UPDATE`` of the rows of ``user_id`` for ``value`` (a combined value)."""
        new, condition = self.field.update_for(value)
        rows = self.rows_of(user_id)
        if condition is not None:
            rows = rows.filter(condition)
        query = cast("UpdateQuery", rows.query.chain(UpdateQuery))
        query.add_update_values({self.name: new})
        return query


def user_field_problem(model: type[models.Model]) -> str | None:
    """Why ``model`` cannot hold denormalized event fields (``None``: it can)."""
    try:
        user = model._meta.get_field("user")
    except FieldDoesNotExist:
        return "it has no 'user' field"
    if not (user.many_to_one or user.one_to_one) or user.related_model is None:
        return "its 'user' field is not a foreign key"
    target = user.related_model
    if isinstance(target, str) or target._meta.label != settings.AUTH_USER_MODEL:
        return f"its 'user' field does not point to AUTH_USER_MODEL ({settings.AUTH_USER_MODEL})"
    return None


_registry: dict[str, tuple[Follower, ...]] | None = None


def _build() -> dict[str, tuple[Follower, ...]]:
    found: dict[str, list[Follower]] = {}
    for model in apps.get_models():
        if model._meta.proxy or user_field_problem(model) is not None:
            continue
        for field in model._meta.local_concrete_fields:
            if isinstance(field, DenormalizedEventFieldMixin):
                found.setdefault(field.eventname, []).append(Follower(model, field))
    return {name: tuple(followers) for name, followers in found.items()}


def followers() -> dict[str, tuple[Follower, ...]]:
    """Every denormalized event field, by event name (found once the app registry is ready)."""
    global _registry
    registry = _registry
    if registry is None:
        apps.check_models_ready()
        registry = _registry = _build()
    return registry


def _groups(
    events: Iterable[tuple[str, Any, Any]],
) -> dict[tuple[Follower, Any], list[Any]]:
    """The events of each (follower, user), from ``(name, user id, event)`` in time order."""
    registry = followers()
    groups: dict[tuple[Follower, Any], list[Any]] = {}
    for name, user_id, event in events:
        if user_id is None:
            continue
        for follower in registry.get(name, ()):
            groups.setdefault((follower, user_id), []).append(event)
    return groups


def _updates(
    groups: Mapping[tuple[Follower, Any], list[Event]],
) -> Iterator[tuple[Follower, UpdateQuery]]:
    """One ``UPDATE`` per (follower, user), in the order every writer uses."""
    for (follower, user_id), events in sorted(
        groups.items(), key=lambda item: (item[0][0].label, str(item[0][1]))
    ):
        ordered = sorted(events, key=lambda event: event.timestamp)
        value = follower.field.combine([follower.field.get_value(event) for event in ordered])
        yield follower, follower.update_query(user_id, value)


def _update_saved(events: Sequence[Event], using: str) -> None:
    groups = _groups((event.name, event.user_id, event) for event in events)
    for follower, query in _updates(groups):
        database = router.db_for_write(follower.model)
        with transaction.mark_for_rollback_on_error(using=database):
            query.get_compiler(database).execute_sql(CURSOR)


def on_event_saved(
    sender: Any, instance: Event, created: bool, raw: bool, using: str, **kwargs: Any
) -> None:
    """Update the fields that follow a newly saved Event (``post_save`` receiver).

    Fixtures (``raw``) are left alone: ``manage.py refresh_event_fields`` recomputes.
    """
    if created and not raw and instance.user_id is not None and instance.name in followers():
        _update_saved([instance], using)


def _followed(events: Sequence[Event]) -> bool:
    registry = followers()
    return bool(registry) and any(
        event.name in registry and event.user_id is not None for event in events
    )


def atomic_if_followed(event: Event) -> contextlib.AbstractContextManager[Any]:
    """One transaction for saving ``event`` and updating its fields (nothing when none follow).

    In autocommit, the ``INSERT`` and the ``UPDATE`` of :func:`on_event_saved` then commit
    together, once.
    """
    if _followed([event]):
        using = router.db_for_write(type(event), instance=event)
        return transaction.atomic(using=using, savepoint=False)
    return contextlib.nullcontext()


@contextlib.contextmanager
def following(events: Sequence[Event], using: str) -> Iterator[None]:
    """Update the fields that follow ``events`` once the block has saved them (bulk saves).

    The block and the updates share one transaction; nothing happens when no field follows.
    """
    if not _followed(events):
        yield
        return
    with transaction.atomic(using=using, savepoint=False):
        yield
        _update_saved(events, using)


def _moment(created: float) -> datetime.datetime:
    if settings.USE_TZ:
        return datetime.datetime.fromtimestamp(created, datetime.timezone.utc)
    return datetime.datetime.fromtimestamp(created)


def update_batch(
    wrapper: BaseDatabaseWrapper, events: Sequence[Mapping[str, Any]], users: Mapping[Any, Any]
) -> None:
    """Update the fields that follow a batch of prepared events, on ``wrapper``'s connection.

    Called by ``EventHandler``'s store inside the batch's transaction, before the commit;
    ``users`` maps the user references of the batch that are users to their keys. Fields of
    models that another database holds are not updated here.
    """
    registry = followers()
    if not registry:
        return
    wanted = [e for e in events if e["name"] in registry and e["user"] in users]
    if not wanted:
        return
    from django.contrib.auth import get_user_model

    from djangotailoring.tracking.models import Event

    pk = get_user_model()._meta.pk
    assert pk is not None
    built = []
    for event in wanted:
        user_id = pk.to_python(event["user"])
        instance = Event(
            name=event["name"],
            note=event["note"],
            timestamp=_moment(event["created"]),
            user_id=user_id,
            data=event["data"],
        )
        built.append((instance.name, user_id, instance))
    cursor = wrapper.create_cursor()
    try:
        for follower, query in _updates(_groups(built)):
            if router.db_for_write(follower.model) != wrapper.alias:
                continue
            sql, params = query.get_compiler(connection=wrapper).as_sql()
            cursor.execute(sql, params)
    finally:
        cursor.close()


def _forget_on_apps_change(setting: str, **kwargs: Any) -> None:
    global _registry
    if setting in ("INSTALLED_APPS", "AUTH_USER_MODEL"):
        _registry = None


def connect() -> None:
    """Connect :func:`on_event_saved` (called from ``AppConfig.ready``)."""
    from djangotailoring.tracking.models import Event

    post_save.connect(on_event_saved, sender=Event, dispatch_uid=_UID)
    # override_settings(INSTALLED_APPS=...) changes the models, as Django's own caches see.
    setting_changed.connect(_forget_on_apps_change, dispatch_uid=_UID)
