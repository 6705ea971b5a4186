"""The task and the span of a log call, carried from the caller's thread to the writer.

The writer runs in a thread of its own, where neither the Celery task nor the
OpenTelemetry span of the caller is current: :func:`carry` puts them into the handed-over
values (one plain value per key, like the request's context) and :func:`take_into` reads them
back as ``data["task"]`` and ``data["trace"]``.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, MutableMapping
from typing import Any

from djangotailoring.taskcontext import TaskState, current_task
from djangotailoring.tracecontext import TRACE_MODULE, current_trace

__all__ = ["CARRIED_KEYS", "carry", "take_into"]

_TASK_ID = "\x00task_id"
_TASK_NAME = "\x00task_name"
_TASK_RETRIES = "\x00task_retries"
_TRACE_ID = "\x00trace_id"
_SPAN_ID = "\x00span_id"
CARRIED_KEYS = frozenset({_TASK_ID, _TASK_NAME, _TASK_RETRIES, _TRACE_ID, _SPAN_ID})


def carry(values: dict[str, Any]) -> TaskState | None:
    """Add the current task and span to ``values``; return the task (in the caller's thread)."""
    task = current_task()
    if task is not None:
        values[_TASK_ID] = task.task_id
        values[_TASK_NAME] = task.task_name
        values[_TASK_RETRIES] = task.retries
    # On every log call: without OpenTelemetry imported, skip even the call.
    if TRACE_MODULE in sys.modules:
        trace = current_trace()
        if trace is not None:
            values[_TRACE_ID] = trace["trace_id"]
            values[_SPAN_ID] = trace["span_id"]
    return task


def take_into(values: Mapping[str, Any], handed: MutableMapping[str, Any]) -> None:
    """Set ``handed["task"]`` and ``handed["trace"]`` from what :func:`carry` added (in the
    writer); nothing when it added nothing, the usual case, at the cost of two lookups."""
    if _TASK_ID in values:
        handed["task"] = {
            "id": values[_TASK_ID],
            # .get(): an extra of the application may be named like one of these.
            "name": values.get(_TASK_NAME),
            "retries": values.get(_TASK_RETRIES),
        }
    if _TRACE_ID in values:
        handed["trace"] = {"trace_id": values[_TRACE_ID], "span_id": values.get(_SPAN_ID)}
