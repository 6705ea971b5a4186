"""The task being run, kept in a context variable for logging filters, handlers and events.

The Celery receivers (:mod:`djangotailoring.taskpropagation`) set it around each task;
everything else only reads it. Nothing here imports Celery.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "TaskState",
    "current_task",
    "request_context_of_task",
    "reset_task",
    "set_task",
    "task_context",
]


@dataclass(frozen=True)
class TaskState:
    """The task being run and the request it was enqueued from."""

    task_id: str
    task_name: str
    #: The id of the request that enqueued the task (or a fresh one, outside a request).
    request_id: str
    #: The primary key of that request's authenticated user, if any.
    user_id: Any = None
    retries: int = 0
    #: Values computed once per task (the user of ``create_event``).
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


_current: ContextVar[TaskState | None] = ContextVar("djangotailoring_task", default=None)


def set_task(state: TaskState | None) -> Token[TaskState | None]:
    """Make ``state`` the current task; pass the token to :func:`reset_task`."""
    return _current.set(state)


def reset_task(token: Token[TaskState | None]) -> None:
    """Restore the task that was current before :func:`set_task`."""
    try:
        _current.reset(token)
    except ValueError:
        # The token belongs to another context: never leave a finished task behind.
        _current.set(None)


def current_task() -> TaskState | None:
    """The task being run, or ``None`` outside a task."""
    return _current.get()


def task_context(state: TaskState) -> dict[str, Any]:
    """The ``{"id", "name", "retries"}`` stored in ``Event.data["task"]``."""
    return {"id": state.task_id, "name": state.task_name, "retries": state.retries}


def request_context_of_task(state: TaskState) -> dict[str, Any]:
    """The ``Event.data["request"]`` of an event created in a task: the request's id only."""
    return {"id": state.request_id, "method": None, "path": None, "remote_addr": None}
