"""create_event and the ORM in a task and in a span: data["task"], data["trace"], the user."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from djangotailoring.tracking import acreate_event, create_event, create_events
from djangotailoring.tracking.models import Event
from tests.contexts import exported_ids, running_task, tracer_and_exporter

pytestmark = pytest.mark.django_db

TASK = {"id": "task-1", "name": "shop.tasks.send_receipt", "retries": 0}


def test_event_created_in_a_task_has_its_request_id_task_and_user() -> None:
    alice = User.objects.create_user("alice")
    with running_task(request_id="req-7", user_id=alice.pk):
        event = create_event("ReceiptSent")
    event.refresh_from_db()
    assert event.user == alice
    assert event.data["request"]["id"] == "req-7"
    assert event.data["task"] == TASK


def test_the_tasks_user_is_looked_up_once_per_task() -> None:
    alice = User.objects.create_user("alice")
    with running_task(user_id=alice.pk), CaptureQueriesContext(connection) as queries:
        create_event("First")
        create_event("Second")
    selects = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    assert len(selects) == 1
    assert list(Event.objects.values_list("user_id", flat=True)) == [alice.pk, alice.pk]


@pytest.mark.parametrize("user_id", [10**9, "not-a-key"], ids=["deleted", "malformed"])
def test_a_task_user_that_does_not_resolve_is_no_user(user_id: Any) -> None:
    with running_task(user_id=user_id):
        event = create_event("ReceiptSent")
    assert event.user is None


def test_explicit_user_request_and_data_in_a_task_are_kept() -> None:
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    request = RequestFactory().get("/receipts/")
    with running_task(request_id="req-7", user_id=alice.pk):
        event = create_event("ReceiptSent", request=request, user=bob, data={"task": "mine"})
    assert event.user == bob
    assert event.data["request"]["path"] == "/receipts/"
    assert event.data["task"] == "mine"


def test_bulk_and_async_twins_in_a_task_have_the_task() -> None:
    from asgiref.sync import async_to_sync

    with running_task():
        [bulk] = create_events([{"name": "Bulk"}])
        made = async_to_sync(acreate_event)("Async")
    assert bulk.data["task"] == made.data["task"] == TASK


def test_event_saved_through_the_orm_in_a_task_has_the_task_only() -> None:
    with running_task():
        event = Event.objects.create(name="Direct")
    event.refresh_from_db()
    assert event.data == {"task": TASK}


def test_event_created_outside_tasks_and_spans_has_neither() -> None:
    event = create_event("Plain")
    assert event.data == {}


@pytest.mark.parametrize("path", ["create_event", "create_events", "objects.create", "save"])
def test_event_created_in_a_span_by_any_path_keeps_the_exported_span_ids(path: str) -> None:
    pytest.importorskip("opentelemetry.sdk")
    tracer, exporter = tracer_and_exporter()
    with tracer.start_as_current_span("checkout"):
        if path == "create_event":
            event = create_event("Paid")
        elif path == "create_events":
            [event] = create_events([{"name": "Paid"}])
        elif path == "objects.create":
            event = Event.objects.create(name="Paid")
        else:
            event = Event(name="Paid")
            event.save()
    event.refresh_from_db()
    assert event.data["trace"] == exported_ids(exporter)
