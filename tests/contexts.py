"""Helpers for the tests of the context beyond the request: a running task, real spans."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from djangotailoring.taskcontext import TaskState, reset_task, set_task


@contextmanager
def running_task(
    request_id: str = "req-1",
    user_id: Any = None,
    task_id: str = "task-1",
    task_name: str = "shop.tasks.send_receipt",
    retries: int = 0,
) -> Iterator[TaskState]:
    """Make a task current, as the Celery receivers do in a worker."""
    state = TaskState(task_id, task_name, request_id, user_id, retries)
    token = set_task(state)
    try:
        yield state
    finally:
        reset_task(token)


def tracer_and_exporter() -> tuple[Any, Any]:
    """A real OpenTelemetry SDK tracer whose finished spans land in an in-memory exporter."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("tests"), exporter


def exported_ids(exporter: Any) -> dict[str, str]:
    """``{"trace_id", "span_id"}`` of the one span ``exporter`` holds, as W3C hex."""
    [span] = exporter.get_finished_spans()
    return {
        "trace_id": format(span.context.trace_id, "032x"),
        "span_id": format(span.context.span_id, "016x"),
    }
