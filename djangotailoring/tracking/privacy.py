"""Forgetting a user: delete or anonymise every event that refers to them.

An event refers to a user when it is *theirs* (``Event.user``), when it is *about* them
(its ``related_object`` is the user) or when it is a failed login with their username.
``forget_user`` handles all three::

    from djangotailoring.tracking.privacy import forget_user

    forget_user(user)                      # delete the events
    forget_user(user, mode="anonymise")    # keep them, without the person

Anonymising keeps the name, time and the rest of each event, and removes the person:
``user`` and the related object become empty where they are this user, the
``username``/``user`` entries of ``data`` (and ``related_object``, the description of the
user as related object) and the client address of ``data["request"]`` are dropped, and the
username, e-mail address and ``str()`` of the user are replaced by ``[forgotten]`` wherever
they appear in the note or in ``data``. Call it *before* deleting the user: afterwards the
events have lost their link to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Literal

from django.contrib.contenttypes.models import ContentType
from django.db import connections, models, transaction

from djangotailoring.tracking.eventnames import EventNames
from djangotailoring.tracking.models import Event
from djangotailoring.tracking.placement import content_types_database, events_database
from djangotailoring.tracking.querysets import EventQuerySet
from djangotailoring.tracking.retention import DEFAULT_BATCH_SIZE, delete_in_batches

__all__ = ["FORGOTTEN", "MODES", "anonymise_data", "events_of_user", "forget_user"]

FORGOTTEN = "[forgotten]"
MODES = ("delete", "anonymise", "anonymize")
# Shorter identifiers are replaced only where they are a whole value, never inside text.
_MIN_SUBSTRING_LENGTH = 3


def _identifiers(user: models.Model) -> list[str]:
    values = {str(user)}
    get_username = getattr(user, "get_username", None)
    if callable(get_username):
        values.add(str(get_username()))
    email_field = getattr(type(user), "get_email_field_name", None)
    if callable(email_field):
        values.add(str(getattr(user, email_field(), "") or ""))
    return sorted((value for value in values if value.strip()), key=len, reverse=True)


def events_of_user(user: models.Model, *, using: str | None = None) -> EventQuerySet[Event]:
    """The events that refer to ``user``: theirs, about them, and failed logins as them
    (on ``using``; default: where Events are)."""
    using = events_database(using)
    content_type = ContentType.objects.db_manager(content_types_database(using)).get_for_model(user)
    about = models.Q(related_content_type=content_type, related_object_id=user.pk)
    refers = models.Q(user=user) | about
    get_username = getattr(user, "get_username", None)
    if callable(get_username):
        refers |= models.Q(name=EventNames.UserLoginFailed, data__username=get_username())
    return Event.objects.using(using).filter(refers)


class _Scrubber:
    def __init__(self, identifiers: Iterable[str]) -> None:
        words = list(identifiers)
        self.whole = {word.casefold() for word in words}
        long_words = [re.escape(word) for word in words if len(word) >= _MIN_SUBSTRING_LENGTH]
        self.pattern = re.compile("|".join(long_words), re.IGNORECASE) if long_words else None

    def text(self, value: str) -> str:
        if value.casefold() in self.whole:
            return FORGOTTEN
        return self.pattern.sub(FORGOTTEN, value) if self.pattern is not None else value

    def value(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(item) for item in value]
        if isinstance(value, dict):
            return {self.text(key): self.value(item) for key, item in value.items()}
        return value


def anonymise_data(
    data: Any, identifiers: Iterable[str], *, drop: Iterable[str] = ("user", "username")
) -> Any:
    """Return a copy of an event's ``data`` without the person named by ``identifiers``.

    The top-level keys ``drop`` and the client address of ``data["request"]`` are removed;
    every identifier is replaced by ``[forgotten]`` in the remaining keys and texts.
    """
    if not isinstance(data, dict):
        return data
    dropped = set(drop)
    kept = {key: value for key, value in data.items() if key not in dropped}
    request = kept.get("request")
    if isinstance(request, dict) and "remote_addr" in request:
        kept["request"] = {**request, "remote_addr": None}
    return _Scrubber(identifiers).value(kept)


def _anonymise(events: EventQuerySet[Event], user: models.Model, batch_size: int) -> int:
    identifiers = _identifiers(user)
    scrubber = _Scrubber(identifiers)
    drop = {"user", "username", str(getattr(type(user), "USERNAME_FIELD", "username"))}
    content_type = ContentType.objects.db_manager(content_types_database(events.db)).get_for_model(
        user
    )
    # The related id as the column stores it (e.g. a UUID without hyphens on some backends).
    stored_id = Event._meta.get_field("related_object_id").get_db_prep_value(
        user.pk, connections[events.db]
    )
    changed = 0
    last: int | None = None
    while True:
        remaining = events if last is None else events.filter(pk__gt=last)
        batch = list(remaining.order_by("pk")[:batch_size])
        if not batch:
            return changed
        last = batch[-1].pk
        for event in batch:
            about_user = (
                event.related_content_type_id == content_type.pk
                and event.related_object_id == str(stored_id)
            )
            if event.user_id == user.pk:
                event.user = None
            if about_user:
                event.related_content_type = None
                event.related_object_id = None
            event.note = scrubber.text(event.note)
            event.data = anonymise_data(
                event.data, identifiers, drop=drop | ({"related_object"} if about_user else set())
            )
        with transaction.atomic(using=events.db):
            Event.objects.using(events.db).bulk_update(
                batch, ["user", "related_content_type", "related_object_id", "note", "data"]
            )
        changed += len(batch)


def forget_user(
    user: models.Model,
    mode: Literal["delete", "anonymise", "anonymize"] = "delete",
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    using: str | None = None,
) -> int:
    """Delete (``mode="delete"``) or anonymise (``mode="anonymise"``) the events of ``user``.

    The events are those of :func:`events_of_user`: the user's own, those whose
    ``related_object`` is the user, and failed logins with their username. Work is done in
    batches of ``batch_size`` rows, each in its own transaction. Returns the number of events
    deleted or anonymised. The user itself is left alone.

    Anonymising clears ``user`` only where it is this user (an administrator's event about
    them keeps its actor) and the related object only where it is this user.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be 'delete' or 'anonymise', not {mode!r}.")
    if user.pk is None:
        raise ValueError("user is not saved (it has no primary key).")
    events = events_of_user(user, using=using)
    if mode == "delete":
        return delete_in_batches(events, batch_size).deleted
    return _anonymise(events, user, batch_size)
