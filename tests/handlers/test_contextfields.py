"""The task and the span on records: RequestContextFilter and add_request_context."""

from __future__ import annotations

import logging

import pytest
from django.test import RequestFactory

from djangotailoring.handlers import RequestContextFilter, add_request_context
from djangotailoring.requestcontext import RequestState, reset_current, set_current
from tests.contexts import exported_ids, running_task, tracer_and_exporter

FORMAT = "%(request_id)s %(user_id)s %(task_id)s %(task_name)s %(trace_id)s %(span_id)s"


def formatted() -> str:
    record = logging.LogRecord("app", logging.INFO, "app.py", 1, "hello", (), None)
    assert RequestContextFilter().filter(record) is True
    return logging.Formatter(FORMAT).format(record)


def test_record_outside_tasks_and_spans_gets_placeholders() -> None:
    assert formatted() == "- - - - - -"


def test_record_in_a_task_carries_the_request_id_user_and_task() -> None:
    with running_task(request_id="req-7", user_id=42, task_id="t-1", task_name="shop.send"):
        assert formatted() == "req-7 42 t-1 shop.send - -"


def test_a_text_user_key_in_a_task_is_shown_on_one_line() -> None:
    with running_task(request_id="req-7", user_id="u-1\nforged", task_id="t-1"):
        assert formatted().split(" ")[:3] == ["req-7", "u-1\\nforged", "t-1"]


def test_record_in_a_request_and_a_task_takes_the_request_from_the_request() -> None:
    request = RequestFactory().get("/pay/")
    token = set_current(RequestState(request=request, request_id="req-http"))
    try:
        with running_task(request_id="req-task", task_id="t-eager"):
            assert formatted().split()[:3] == ["req-http", "-", "t-eager"]
    finally:
        reset_current(token)


def test_task_name_with_a_newline_cannot_forge_a_line() -> None:
    with running_task(task_name="evil\nINFO forged"):
        assert "\n" not in formatted()


def test_record_in_a_recording_span_carries_the_exported_span_ids() -> None:
    pytest.importorskip("opentelemetry.sdk")
    tracer, exporter = tracer_and_exporter()
    with tracer.start_as_current_span("checkout"):
        line = formatted()
    ids = exported_ids(exporter)
    assert line == f"- - - - {ids['trace_id']} {ids['span_id']}"


def test_processor_adds_the_task_and_its_request_id() -> None:
    with running_task(request_id="req-7", user_id=42, task_id="t-1", task_name="shop.send"):
        event_dict = add_request_context(None, "info", {"event": "sent"})
    assert event_dict == {
        "event": "sent",
        "request_id": "req-7",
        "user_id": 42,
        "task_id": "t-1",
        "task_name": "shop.send",
    }


def test_processor_adds_the_span_ids() -> None:
    pytest.importorskip("opentelemetry.sdk")
    tracer, exporter = tracer_and_exporter()
    with tracer.start_as_current_span("checkout"):
        event_dict = add_request_context(None, "info", {"event": "paid"})
    assert event_dict == {"event": "paid", **exported_ids(exporter)}
