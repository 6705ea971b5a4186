"""The task and the span an Event is created in, in its ``data``.

- ``data["task"]``: ``{"id", "name", "retries"}`` of the Celery task being run;
- ``data["trace"]``: ``{"trace_id", "span_id"}`` of the OpenTelemetry span being recorded;
- in a task, with no request of its own, ``data["request"]`` is ``{"id": ...}`` of the request
  that enqueued it (``method``, ``path`` and ``remote_addr`` are ``None``).

:func:`~djangotailoring.tracking.create_event` and its twins add them; a ``pre_save``
receiver adds the task and the span to Events saved any other way (``Event.objects.create``,
``save()``). Keys the caller's ``data`` sets are kept.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import pre_save

from djangotailoring.taskcontext import (
    TaskState,
    current_task,
    request_context_of_task,
    task_context,
)
from djangotailoring.tracecontext import current_trace
from djangotailoring.tracking.models import Event

__all__ = ["add_context", "connect", "task_user"]

_UNKNOWN = object()


def add_context(payload: dict[str, Any], *, with_request: bool = True) -> TaskState | None:
    """Add the current task (and its request) and span to ``payload``; return the task."""
    task = current_task()
    if task is not None:
        if with_request:
            payload.setdefault("request", request_context_of_task(task))
        payload.setdefault("task", task_context(task))
    trace = current_trace()
    if trace is not None:
        payload.setdefault("trace", trace)
    return task


def task_user(task: TaskState) -> Any:
    """The user who sent the request that enqueued ``task``, or ``None``.

    Looked up once per task (one SELECT); a user deleted since is no user.
    """
    user = task.memo.get("user", _UNKNOWN)
    if user is _UNKNOWN:
        user = None
        if task.user_id is not None:
            from django.contrib.auth import get_user_model

            try:
                user = get_user_model()._default_manager.filter(pk=task.user_id).first()
            except (ValueError, TypeError):
                user = None  # A key of another type than the user model's.
        task.memo["user"] = user
    return user


def _on_pre_save(sender: type[Event], instance: Event, raw: bool = False, **kwargs: Any) -> None:
    if raw or not instance._state.adding or not isinstance(instance.data, dict):
        return
    add_context(instance.data, with_request=False)


def connect() -> None:
    """Connect the receiver that adds the task and span to saved Events (from ``ready()``)."""
    pre_save.connect(_on_pre_save, sender=Event, dispatch_uid="djangotailoring.contextdata")
