"""EventHandler in a task and in a span: the Event gets the task, its request and the span."""

from __future__ import annotations

import logging

import pytest
from django.contrib.auth.models import User

from djangotailoring.tracking.models import Event
from tests.contexts import exported_ids, running_task, tracer_and_exporter
from tests.handlers.conftest import HandlerFactory

logger = logging.getLogger("app")


def test_event_logged_in_a_task_has_its_request_id_task_and_user(
    event_handler: HandlerFactory,
) -> None:
    handler = event_handler()
    alice = User.objects.create_user("alice")
    with running_task(request_id="req-7", user_id=alice.pk, task_id="t-1", retries=2):
        logger.info("ReceiptSent")
    handler.flush()
    [event] = Event.objects.all()
    assert event.user_id == alice.pk
    assert event.data["request"] == {
        "id": "req-7",
        "method": None,
        "path": None,
        "remote_addr": None,
    }
    assert event.data["task"] == {"id": "t-1", "name": "shop.tasks.send_receipt", "retries": 2}
    assert "extra" not in event.data


def test_explicit_user_in_a_task_wins_and_a_deleted_users_key_is_no_user(
    event_handler: HandlerFactory,
) -> None:
    handler = event_handler()
    alice, bob = User.objects.create_user("alice"), User.objects.create_user("bob")
    gone = User.objects.create_user("gone")
    gone_pk = gone.pk
    gone.delete()
    with running_task(user_id=alice.pk):
        logger.info("ForBob", extra={"user": bob})
    with running_task(user_id=gone_pk, task_id="t-2"):
        logger.info("ForNobody")
    handler.flush()
    assert Event.objects.get(name="ForBob").user_id == bob.pk
    assert Event.objects.get(name="ForNobody").user_id is None


def test_event_logged_outside_a_task_has_no_task(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    logger.info("Plain")
    handler.flush()
    [event] = Event.objects.all()
    assert "task" not in event.data
    assert "trace" not in event.data
    assert "request" not in event.data


def test_event_logged_in_a_span_keeps_the_exported_span_ids(
    event_handler: HandlerFactory,
) -> None:
    pytest.importorskip("opentelemetry.sdk")
    handler = event_handler()
    tracer, exporter = tracer_and_exporter()
    with tracer.start_as_current_span("checkout"):
        logger.info("CardCharged")
    handler.flush()
    [event] = Event.objects.all()
    assert event.data["trace"] == exported_ids(exporter)


def test_extras_named_like_the_carried_keys_do_not_break_the_record(
    event_handler: HandlerFactory,
) -> None:
    handler = event_handler()
    logger.info("OddExtras", extra={"\x00task_id": "mine", "\x00trace_id": "also mine"})
    handler.flush()
    assert Event.objects.filter(name="OddExtras").count() == 1
    assert handler.stats.dropped == 0
