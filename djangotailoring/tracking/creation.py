"""Creating events: :func:`create_event`, its async twin and its bulk twin.

Importing this module imports no model (as ``django.contrib.auth`` does): ``apps.py``
modules, logging filters and settings helpers may import these functions before the app
registry is ready; the model is imported when they are called.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.db import models, router
from django.utils import timezone

from djangotailoring.limits import NAME_MAX_LENGTH, NOTE_MAX_LENGTH, RELATED_DESCRIPTION_MAX_LENGTH
from djangotailoring.requestcontext import current_request, request_context
from djangotailoring.sanitizing import fit, json_safe, safe_str, shorten
from djangotailoring.tracking.errors import InvalidEventError, InvalidEventTypeError

if TYPE_CHECKING:
    from django.http import HttpRequest

    from djangotailoring.tracking.models import Event

__all__ = ["acreate_event", "build_event", "create_event", "create_events"]


def _clean_name(name: object, original: dict[str, Any]) -> str:
    if name is None:
        raise InvalidEventError("An event needs a name; got None.")
    if not isinstance(name, str):
        raise InvalidEventTypeError(f"An event name must be a str, not {type(name).__name__}.")
    if not name.strip():
        raise InvalidEventError("An event name must not be empty.")
    if len(name) > NAME_MAX_LENGTH:
        raise InvalidEventError(
            f"An event name has at most {NAME_MAX_LENGTH} characters; got {len(name)}."
        )
    stored, full = fit(name, NAME_MAX_LENGTH)
    if full is not None:
        original["name"] = full
    return stored


def _clean_note(note: object, request: HttpRequest | None, original: dict[str, Any]) -> str:
    if note is None:
        return shorten(safe_str(request.path), NOTE_MAX_LENGTH) if request is not None else ""
    if not isinstance(note, str):
        raise InvalidEventTypeError(f"An event note must be a str, not {type(note).__name__}.")
    if len(note) > NOTE_MAX_LENGTH:
        raise InvalidEventError(
            f"An event note has at most {NOTE_MAX_LENGTH} characters; got {len(note)}."
        )
    stored, full = fit(note, NOTE_MAX_LENGTH)
    if full is not None:
        original["note"] = full
    return stored


def _clean_user(user: Any, request: HttpRequest | None, from_request: bool) -> Any:
    if user is None:
        if not from_request or request is None:
            return None
        user = getattr(request, "user", None)
        return user if user is not None and user.is_authenticated else None
    if getattr(user, "is_anonymous", False):
        return None
    if not isinstance(user, models.Model):
        raise InvalidEventTypeError(
            f"user must be a user instance or None, not {type(user).__name__}."
        )
    if user.pk is None:
        raise InvalidEventError("user is not saved yet (it has no primary key).")
    return user


def _clean_related(obj: object) -> models.Model | None:
    if obj is None:
        return None
    if not isinstance(obj, models.Model):
        raise InvalidEventTypeError(
            f"related_object must be a model instance, not {type(obj).__name__}."
        )
    if obj.pk is None:
        raise InvalidEventError(
            f"related_object {type(obj).__name__} is not saved yet (it has no primary key)."
        )
    return obj


def _clean_timestamp(timestamp: object) -> datetime.datetime:
    if timestamp is None:
        return timezone.now()
    if not isinstance(timestamp, datetime.datetime):
        raise InvalidEventTypeError(
            f"timestamp must be a datetime, not {type(timestamp).__name__}."
        )
    if settings.USE_TZ and timezone.is_naive(timestamp):
        raise InvalidEventError("timestamp must be timezone-aware when USE_TZ is True.")
    return timestamp


def build_event(
    name: str,
    request: HttpRequest | None = None,
    user: Any = None,
    note: str | None = None,
    related_object: models.Model | None = None,
    *,
    data: Mapping[str, Any] | None = None,
    timestamp: datetime.datetime | None = None,
    user_from_request: bool = True,
) -> Event:
    """Validate the arguments of :func:`create_event` and return the unsaved Event."""
    from djangotailoring.tracking.contextdata import add_context, task_user
    from djangotailoring.tracking.models import Event

    original: dict[str, Any] = {}
    clean_name = _clean_name(name, original)
    clean_note = _clean_note(note, request, original)
    clean_user = _clean_user(user, request, user_from_request)
    related = _clean_related(related_object)
    moment = _clean_timestamp(timestamp)
    if data is not None and not isinstance(data, Mapping):
        raise InvalidEventTypeError(f"data must be a mapping, not {type(data).__name__}.")

    payload: dict[str, Any] = {}
    context_request = request if request is not None else current_request()
    if context_request is not None:
        payload["request"] = request_context(context_request)
    task = add_context(payload, with_request=context_request is None)
    if task is not None and user is None and user_from_request and context_request is None:
        clean_user = task_user(task)
    if related is not None:
        payload["related_object"] = shorten(safe_str(related), RELATED_DESCRIPTION_MAX_LENGTH)
    if original:
        payload["original"] = original
    if data:
        safe = json_safe(data)
        assert isinstance(safe, dict)
        payload.update(safe)

    event = Event(
        name=clean_name,
        note=clean_note,
        user=clean_user,
        related_object=related,
        timestamp=moment,
        data=payload,
    )
    event.request = request
    return event


def _save(event: Event) -> None:
    from djangotailoring.tracking.denormalizing import atomic_if_followed

    with atomic_if_followed(event):
        event.save(force_insert=True)


def create_event(
    name: str,
    request: HttpRequest | None = None,
    user: Any = None,
    note: str | None = None,
    related_object: models.Model | None = None,
    *,
    data: Mapping[str, Any] | None = None,
    timestamp: datetime.datetime | None = None,
) -> Event:
    """Record an event and return it, saved.

    With a ``request``, the user defaults to the request's authenticated user and the note to
    the request path. Bad input raises :class:`~djangotailoring.tracking.InvalidEventError`
    (a ``ValueError``) and saves nothing. Inside ``transaction.atomic()`` the event is rolled
    back with the transaction, like any ORM save.
    """
    event = build_event(name, request, user, note, related_object, data=data, timestamp=timestamp)
    _save(event)
    return event


async def acreate_event(
    name: str,
    request: HttpRequest | None = None,
    user: Any = None,
    note: str | None = None,
    related_object: models.Model | None = None,
    *,
    data: Mapping[str, Any] | None = None,
    timestamp: datetime.datetime | None = None,
) -> Event:
    """Async twin of :func:`create_event` for async views.

    The request's user is resolved with ``auser()`` when the request has it (else from
    ``request.user``); validation, ``str()`` of the related object and the INSERT run in a
    worker thread, never on the event loop.
    """
    from_request = True
    if user is None and request is not None and hasattr(request, "auser"):
        resolved = await request.auser()
        user = resolved if resolved.is_authenticated else None
        from_request = False

    def create() -> Event:
        event = build_event(
            name,
            request,
            user,
            note,
            related_object,
            data=data,
            timestamp=timestamp,
            user_from_request=from_request,
        )
        _save(event)
        return event

    return await sync_to_async(create)()


def create_events(
    events: Iterable[Mapping[str, Any]], request: HttpRequest | None = None
) -> list[Event]:
    """Record many events with one multi-row INSERT and return them, saved.

    Each item is a mapping of :func:`create_event`'s keyword arguments (``name`` required);
    ``request`` applies to every item that has none. Every event is validated before any is
    saved, and each is logged on ``djangotailoring.tracking.events`` like a single one.
    """
    built = []
    for index, spec in enumerate(events):
        if not isinstance(spec, Mapping):
            raise InvalidEventTypeError(
                f"create_events() takes mappings of create_event() arguments; "
                f"item {index} is a {type(spec).__name__}."
            )
        kwargs = dict(spec)
        kwargs.setdefault("request", request)
        try:
            built.append(build_event(**kwargs))
        except TypeError as error:
            if isinstance(error, InvalidEventError):
                raise
            raise InvalidEventTypeError(f"item {index}: {error}") from error
    if not built:
        return []
    from djangotailoring.tracking.announcing import announce_on_commit
    from djangotailoring.tracking.denormalizing import following
    from djangotailoring.tracking.models import Event

    using = router.db_for_write(Event)
    with following(built, using):
        saved = Event.objects.using(using).bulk_create(built)
    announce_on_commit(saved, using=using)
    return saved
