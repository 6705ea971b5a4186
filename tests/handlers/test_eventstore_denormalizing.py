"""EventHandler's batches keep denormalized event fields up to date, in their transaction."""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError, connection

from djangotailoring.handlers import eventstore
from djangotailoring.handlers.eventstore import COPY_FROM, EventStore
from djangotailoring.tracking import denormalizing
from djangotailoring.tracking.models import Event
from tests.handlers.conftest import HandlerFactory
from tests.testapp.models import LessonProgress
from tests.tracking.denormalized import EARLY, LATE, NAME, fresh, progress, user

__all__ = ["progress", "user"]  # fixtures
log = logging.getLogger("app")


def handler_events(user: User, count: int, *, start: float) -> list[dict[str, Any]]:
    return [
        {
            "name": NAME,
            "note": f"h{i}",
            "created": start + i,
            "user": user.pk,
            "related": None,
            "data": {"logger": "app", "level": "INFO"},
        }
        for i in range(count)
    ]


@pytest.fixture
def store() -> Iterator[EventStore]:
    store = EventStore()
    yield store
    store.close()


@pytest.mark.django_db(transaction=True)
def test_event_handler_from_dictconfig_updates_the_fields(
    event_handler: HandlerFactory,
    user: User,
    progress: LessonProgress,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    copies: list[int] = []
    original = EventStore._copy

    def counted(store: EventStore, wrapper: Any, cursor: Any, events: Any, *args: Any) -> None:
        copies.append(len(events))
        original(store, wrapper, cursor, events, *args)

    monkeypatch.setattr(EventStore, "_copy", counted)
    # One batch: nothing is written before flush() (on PostgreSQL, by COPY).
    handler = event_handler(flush_interval=30)
    for i in range(30):
        log.info(NAME, extra={"user": user, "note": f"lesson {i}"})
    log.info(NAME)
    handler.flush()
    assert copies == ([31] if connection.vendor == "postgresql" else [])
    latest = Event.objects.filter(user=user).latest()
    row = fresh(progress)
    assert (row.completed, row.last_completed) == (30, latest.timestamp)
    assert row.last_lesson == "lesson 29"


@pytest.mark.django_db(transaction=True)
def test_immediate_event_handler_updates_the_fields(
    event_handler: HandlerFactory, user: User, progress: LessonProgress
) -> None:
    event_handler(immediate=True)
    log.info(NAME, extra={"user": user})
    assert fresh(progress).completed == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [3, COPY_FROM + 5], ids=["insert", "copy-on-postgresql"])
def test_batch_issues_one_update_per_field_and_user(
    store: EventStore,
    user: User,
    progress: LessonProgress,
    monkeypatch: pytest.MonkeyPatch,
    size: int,
) -> None:
    other = User.objects.create_user("bob")
    LessonProgress.objects.create(user=other)
    issued: list[tuple[str, Any]] = []
    original = denormalizing.Follower.update_query

    def counted(follower: denormalizing.Follower, user_id: Any, value: Any) -> Any:
        issued.append((follower.label, user_id))
        return original(follower, user_id, value)

    monkeypatch.setattr(denormalizing.Follower, "update_query", counted)
    events = handler_events(user, size, start=EARLY.timestamp())
    events += handler_events(other, 2, start=EARLY.timestamp())
    assert store.write(uuid.uuid4().hex, events)
    assert sorted(issued) == sorted(
        (f"testapp.LessonProgress.{field}", pk)
        for field in ("completed", "last_completed", "last_lesson")
        for pk in (user.pk, other.pk)
    )
    row = fresh(progress)
    assert (row.completed, row.last_completed) == (
        size,
        EARLY + datetime.timedelta(seconds=size - 1),
    )
    assert fresh(LessonProgress.objects.get(user=other)).completed == 2


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("size", [3, COPY_FROM + 5], ids=["insert", "copy-on-postgresql"])
def test_replayed_batch_does_not_count_twice(
    store: EventStore, user: User, progress: LessonProgress, size: int
) -> None:
    batch_id = uuid.uuid4().hex
    events = handler_events(user, size, start=EARLY.timestamp())
    assert store.write(batch_id, events)
    assert not store.write(batch_id, events)
    assert fresh(progress).completed == size
    assert Event.objects.count() == size


@pytest.mark.django_db(transaction=True)
def test_batch_that_fails_before_commit_changes_nothing_then_counts_once(
    store: EventStore, user: User, progress: LessonProgress, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = denormalizing.update_batch
    calls: list[int] = []

    def failing(*args: Any) -> None:
        original(*args)
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("connection lost after the updates (simulated)")

    monkeypatch.setattr(denormalizing, "update_batch", failing)
    batch_id = uuid.uuid4().hex
    events = handler_events(user, 4, start=LATE.timestamp())
    with pytest.raises(eventstore.Unavailable):
        store.write(batch_id, events)
    row = fresh(progress)
    assert (row.completed, row.last_completed, Event.objects.count()) == (0, None, 0)
    assert store.write(batch_id, events)
    assert fresh(progress).completed == 4


@pytest.mark.django_db(transaction=True)
def test_older_batch_does_not_move_the_timestamp_back(
    store: EventStore, user: User, progress: LessonProgress
) -> None:
    assert store.write(uuid.uuid4().hex, handler_events(user, 2, start=LATE.timestamp()))
    assert store.write(uuid.uuid4().hex, handler_events(user, 2, start=EARLY.timestamp()))
    row = fresh(progress)
    assert (row.completed, row.last_completed) == (4, LATE + datetime.timedelta(seconds=1))


@pytest.mark.django_db(transaction=True)
def test_unknown_user_reference_updates_nothing(
    store: EventStore, progress: LessonProgress
) -> None:
    events = handler_events(progress.user, 1, start=LATE.timestamp())
    events[0]["user"] = 10**9
    assert store.write(uuid.uuid4().hex, events)
    assert fresh(progress).completed == 0
