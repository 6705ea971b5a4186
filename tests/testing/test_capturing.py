"""capture_events() sees every Event a block creates, by any path, in creation order."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.db import transaction
from django.test import TestCase

from djangotailoring.handlers import EventHandler
from djangotailoring.testing import capture_events, flush_events
from djangotailoring.tracking import acreate_event, create_event, create_events
from djangotailoring.tracking.models import Event


@pytest.mark.django_db
def test_every_orm_path_is_captured_in_creation_order_inside_the_test_transaction() -> None:
    create_event("Before")
    with capture_events() as events:
        create_event("One")
        create_events([{"name": "Two"}, {"name": "Three"}])
        Event.objects.create(name="Four")
        Event(name="Five").save()
        async_to_sync(acreate_event)("Six")
        assert transaction.get_connection().in_atomic_block  # never committed
    create_event("After")
    assert [event.name for event in events] == ["One", "Two", "Three", "Four", "Five", "Six"]
    stored = Event.objects.filter(pk__in=[event.pk for event in events])
    assert sorted(stored.values_list("name", flat=True)) == sorted(e.name for e in events)


@pytest.mark.django_db
def test_events_appear_in_the_list_as_they_are_created() -> None:
    with capture_events() as events:
        assert events == []
        first = create_event("First")
        assert events == [first]


@pytest.mark.django_db
def test_nested_blocks_each_see_every_event() -> None:
    with capture_events() as outer:
        create_event("Outer")
        with capture_events() as inner:
            create_event("Inner")
    assert [event.name for event in outer] == ["Outer", "Inner"]
    assert [event.name for event in inner] == ["Inner"]


@pytest.mark.django_db
def test_an_event_rolled_back_inside_the_block_stays_in_the_list() -> None:
    with capture_events() as events, pytest.raises(RuntimeError), transaction.atomic():
        create_event("RolledBack")
        raise RuntimeError
    assert [event.name for event in events] == ["RolledBack"]
    assert not Event.objects.filter(name="RolledBack").exists()


class CaptureInTestCase(TestCase):
    def test_orm_events_are_captured_in_a_testcase(self) -> None:
        user = User.objects.create_user("ann")
        with capture_events() as events:
            create_event("UserConsented", user=user)
        assert [(event.name, event.user_id) for event in events] == [("UserConsented", user.pk)]


def test_event_handler_events_are_added_when_the_block_ends(
    background_handler: EventHandler,
) -> None:
    logging.getLogger("app").info("QueuedBefore")  # written before the block: not captured
    with capture_events() as events:
        logging.getLogger("app").info("Logged", extra={"note": "by the handler"})
        create_event("Created")
        assert [event.name for event in events] == ["Created"]  # the writer has not run
    assert [event.name for event in events] == ["Created", "Logged"]
    assert events[1].note == "by the handler"
    assert events[1].data["logger"] == "app"
    assert Event.objects.filter(name="QueuedBefore").exists()


def test_bulk_create_that_bypasses_signals_is_found_when_a_handler_exists(
    background_handler: EventHandler,
) -> None:
    with capture_events() as events:
        Event.objects.bulk_create([Event(name="Raw")])
    assert [event.name for event in events] == ["Raw"]


def test_flush_events_inside_the_block_adds_the_handlers_events_once(
    background_handler: EventHandler,
) -> None:
    with capture_events() as events:
        logging.getLogger("app").info("Logged")
        flush_events()
        assert [event.name for event in events] == ["Logged"]
        create_event("Created")
    assert [event.name for event in events] == ["Logged", "Created"]


def test_without_a_handler_the_block_needs_no_database() -> None:
    # No database fixture here: any query would fail the test.
    with capture_events() as events:
        pass
    assert events == []
