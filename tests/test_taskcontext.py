"""The task context variable: set, reset (even from another context), and its data shapes."""

from __future__ import annotations

import contextvars

from djangotailoring.taskcontext import (
    TaskState,
    current_task,
    request_context_of_task,
    reset_task,
    set_task,
    task_context,
)

STATE = TaskState("t-1", "shop.send", "req-7", 42, retries=1)


def test_set_and_reset_restore_the_previous_task() -> None:
    outer = set_task(STATE)
    inner = set_task(TaskState("t-2", "shop.other", "req-8"))
    reset_task(inner)
    assert current_task() is STATE
    reset_task(outer)
    assert current_task() is None


def test_reset_with_a_token_of_another_context_clears_the_task() -> None:
    token = contextvars.copy_context().run(set_task, STATE)
    set_task(STATE)
    reset_task(token)
    assert current_task() is None


def test_data_shapes() -> None:
    assert task_context(STATE) == {"id": "t-1", "name": "shop.send", "retries": 1}
    assert request_context_of_task(STATE) == {
        "id": "req-7",
        "method": None,
        "path": None,
        "remote_addr": None,
    }
