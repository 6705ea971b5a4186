"""Carry the request's context into Celery tasks, through Celery's own signals.

Connected by :meth:`TrackingConfig.ready() <djangotailoring.tracking.apps.TrackingConfig.ready>`
when Celery is installed; Celery is imported only then.

- ``before_task_publish``: the message gets the headers ``djangotailoring_request_id`` and
  ``djangotailoring_user_id``: the current request's id and its user's primary key; in a
  task, the task's own (so retries and the tasks it enqueues keep them); elsewhere a fresh
  request id. Headers the caller set itself are kept.
- ``task_prerun`` / ``task_postrun``: the worker makes the task current
  (:mod:`djangotailoring.taskcontext`) while it runs, and clears it afterwards.
- ``worker_process_shutdown``: a prefork pool's child flushes every ``EventHandler``
  before it ends, since it leaves by ``os._exit()``, which runs no exit hooks.
"""

from __future__ import annotations

from contextvars import Token
from typing import Any

from djangotailoring.handlers.logfields import resolve_user
from djangotailoring.requestcontext import current_state, is_valid_request_id, new_request_id
from djangotailoring.sanitizing import json_safe
from djangotailoring.taskcontext import TaskState, current_task, reset_task, set_task

__all__ = [
    "REQUEST_ID_HEADER",
    "USER_ID_HEADER",
    "connect",
    "on_before_task_publish",
    "on_task_postrun",
    "on_task_prerun",
    "on_worker_process_shutdown",
]

REQUEST_ID_HEADER = "djangotailoring_request_id"
USER_ID_HEADER = "djangotailoring_user_id"
_UID = "djangotailoring.taskpropagation."

# Tokens of the tasks running in this process, by task id (a pool may interleave tasks in
# threads or greenlets, each in its own context).
_tokens: dict[str, Token[TaskState | None]] = {}


def _origin() -> tuple[str, Any]:
    state = current_state()
    if state is not None:
        try:
            user = resolve_user(state.request)
            user_id = None if user is None else json_safe(user.pk)
        except Exception:  # noqa: BLE001 - context must never break the caller.
            user_id = None
        return state.request_id, user_id
    task = current_task()
    if task is not None:
        return task.request_id, task.user_id
    return new_request_id(), None


def on_before_task_publish(sender: Any = None, headers: Any = None, **kwargs: Any) -> None:
    """Add the request id and user id headers to a task message about to be sent."""
    if not isinstance(headers, dict) or REQUEST_ID_HEADER in headers:
        return
    try:
        request_id, user_id = _origin()
    except Exception:  # noqa: BLE001 - context must never break the caller.
        return
    headers[REQUEST_ID_HEADER] = request_id
    headers.setdefault(USER_ID_HEADER, user_id)


def _header(request: Any, name: str) -> Any:
    # A worker sets custom headers as attributes of the task's request; eager apply()
    # keeps them in request.headers only.
    value = getattr(request, name, None)
    if value is None:
        headers = getattr(request, "headers", None)
        value = headers.get(name) if isinstance(headers, dict) else None
    return value


def _state_of(task: Any, task_id: str) -> TaskState:
    request = getattr(task, "request", None)
    request_id = _header(request, REQUEST_ID_HEADER)
    user_id = _header(request, USER_ID_HEADER)
    if not isinstance(request_id, str) or not is_valid_request_id(request_id):
        # Sent by a producer that does not know us, or run eagerly (apply()): the current
        # request's context if there is one, else a request of its own.
        request_id, user_id = _origin()
    if not isinstance(user_id, (int, str)) or isinstance(user_id, bool):
        user_id = None
    retries = getattr(request, "retries", 0)
    return TaskState(
        task_id=str(task_id),
        task_name=str(getattr(task, "name", None) or "-"),
        request_id=request_id,
        user_id=user_id,
        retries=retries if isinstance(retries, int) else 0,
    )


def on_task_prerun(
    sender: Any = None, task_id: Any = None, task: Any = None, **kwargs: Any
) -> None:
    """Make the task current in the worker, before it runs."""
    try:
        _tokens[str(task_id)] = set_task(_state_of(task, task_id))
    except Exception:  # noqa: BLE001 - context must never break the caller.
        return


def on_task_postrun(sender: Any = None, task_id: Any = None, **kwargs: Any) -> None:
    """Clear the task after it has run (whatever its outcome)."""
    token = _tokens.pop(str(task_id), None)
    if token is not None:
        reset_task(token)


def on_worker_process_shutdown(**kwargs: Any) -> None:
    """Close (so flush) every ``EventHandler`` of a pool process that is about to end."""
    from djangotailoring.handlers.lifecycle import live_handlers

    for handler in live_handlers():
        try:
            handler.close()
        except Exception:  # noqa: BLE001, S112 - the process ends anyway; the journal keeps the rest.
            continue


def connect() -> None:
    """Connect the receivers to Celery's signals (idempotent)."""
    from celery import signals

    signals.before_task_publish.connect(on_before_task_publish, dispatch_uid=f"{_UID}publish")
    signals.task_prerun.connect(on_task_prerun, dispatch_uid=f"{_UID}prerun")
    signals.task_postrun.connect(on_task_postrun, dispatch_uid=f"{_UID}postrun")
    signals.worker_process_shutdown.connect(
        on_worker_process_shutdown, dispatch_uid=f"{_UID}shutdown"
    )
