"""The context beyond the request as log fields: the Celery task and the OpenTelemetry span.

Shared by the logging filter and the structlog processors, like
:mod:`djangotailoring.handlers.logfields` for the request.
"""

from __future__ import annotations

from typing import Any

from djangotailoring.sanitizing import one_line, safe_str
from djangotailoring.taskcontext import TaskState
from djangotailoring.tracecontext import current_trace

__all__ = ["CONTEXT_FIELDS", "context_fields", "task_request_fields"]

CONTEXT_FIELDS = ("task_id", "task_name", "trace_id", "span_id")


def context_fields(task: TaskState | None) -> dict[str, Any]:
    """``task_id``, ``task_name`` of ``task`` and ``trace_id``, ``span_id`` of the current span.

    Only the known ones are present.
    """
    fields: dict[str, Any] = {}
    if task is not None:
        fields["task_id"] = one_line(task.task_id)
        fields["task_name"] = one_line(task.task_name)
    trace = current_trace()
    if trace is not None:
        fields.update(trace)
    return fields


def task_request_fields(task: TaskState) -> dict[str, Any]:
    """The request fields known in a task: the originating request's id and user's key."""
    user_id = task.user_id
    if user_id is not None and not isinstance(user_id, int):
        user_id = one_line(safe_str(user_id))
    return {"request_id": task.request_id, "user_id": user_id}
