"""The Celery receivers in-process: the headers a message gets, the task made current.

A real Celery app with the in-memory broker publishes the messages (so
``before_task_publish`` sees Celery's own headers) and runs tasks eagerly (so
``task_prerun``/``task_postrun`` run as in a worker). The real worker is in
``tests/test_celery_worker.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import RequestFactory

from djangotailoring.handlers import EventHandler
from djangotailoring.requestcontext import RequestState, reset_current, set_current
from djangotailoring.taskcontext import TaskState, current_task
from djangotailoring.taskpropagation import (
    REQUEST_ID_HEADER,
    USER_ID_HEADER,
    on_worker_process_shutdown,
)
from djangotailoring.tracking.models import Event
from tests.contexts import running_task

celery = pytest.importorskip("celery", reason='needs Celery: pip install -e ".[test]"')
signals = pytest.importorskip("celery.signals")

app = celery.Celery("tests.taskpropagation", broker="memory://")
app.conf.task_ignore_result = True
seen: list[TaskState | None] = []


@app.task(bind=True, max_retries=1)
def noted(self: Any) -> None:
    seen.append(current_task())


@pytest.fixture
def published() -> Iterator[list[dict[str, Any]]]:
    """The headers of every message published during the test."""
    messages: list[dict[str, Any]] = []

    def keep(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
        messages.append(dict(headers or {}))

    signals.before_task_publish.connect(keep, weak=False)
    yield messages
    signals.before_task_publish.disconnect(keep)
    with app.connection_for_write() as connection:
        connection.default_channel.queue_purge("celery")


def _in_request(user: Any = None, request_id: str = "req-http") -> Any:
    request = RequestFactory().get("/checkout/")
    if user is not None:
        request.user = user
    return set_current(RequestState(request=request, request_id=request_id))


@pytest.mark.django_db
def test_message_sent_in_a_request_carries_its_id_and_user(
    published: list[dict[str, Any]],
) -> None:
    alice = User.objects.create_user("alice")
    token = _in_request(alice)
    try:
        noted.delay()
    finally:
        reset_current(token)
    [headers] = published
    assert (headers[REQUEST_ID_HEADER], headers[USER_ID_HEADER]) == ("req-http", alice.pk)


def test_message_sent_in_a_task_carries_the_tasks_request(
    published: list[dict[str, Any]],
) -> None:
    with running_task(request_id="req-first", user_id=7):
        noted.delay()
    [headers] = published
    assert (headers[REQUEST_ID_HEADER], headers[USER_ID_HEADER]) == ("req-first", 7)


def test_messages_sent_outside_requests_get_fresh_ids_each(
    published: list[dict[str, Any]],
) -> None:
    noted.delay()
    noted.delay()
    ids = [headers[REQUEST_ID_HEADER] for headers in published]
    assert len(set(ids)) == 2
    assert all(len(value) == 32 for value in ids)
    assert [headers[USER_ID_HEADER] for headers in published] == [None, None]


def test_headers_the_caller_set_are_kept(published: list[dict[str, Any]]) -> None:
    noted.apply_async(headers={REQUEST_ID_HEADER: "req-mine", USER_ID_HEADER: 3})
    [headers] = published
    assert (headers[REQUEST_ID_HEADER], headers[USER_ID_HEADER]) == ("req-mine", 3)


def test_task_is_current_while_it_runs_and_cleared_after() -> None:
    seen.clear()
    result = noted.apply(headers={REQUEST_ID_HEADER: "req-7", USER_ID_HEADER: 42})
    [state] = seen
    assert state is not None
    assert (state.task_id, state.task_name) == (result.id, noted.name)
    assert (state.request_id, state.user_id, state.retries) == ("req-7", 42, 0)
    assert current_task() is None


def test_task_run_eagerly_in_a_request_takes_the_requests_id() -> None:
    seen.clear()
    token = _in_request(request_id="req-eager")
    try:
        noted.apply()
    finally:
        reset_current(token)
    [state] = seen
    assert state is not None
    assert state.request_id == "req-eager"


@pytest.mark.parametrize("bad", ["has space", "x" * 200, 12])
def test_a_malformed_request_id_header_is_replaced_by_a_fresh_one(bad: Any) -> None:
    seen.clear()
    noted.apply(headers={REQUEST_ID_HEADER: bad})
    [state] = seen
    assert state is not None
    assert state.request_id != bad
    assert len(state.request_id) == 32


def test_a_failing_task_is_cleared_too() -> None:
    @app.task
    def failing() -> None:
        raise ValueError("boom")

    failing.apply()
    assert current_task() is None


@pytest.mark.django_db(transaction=True)
def test_pool_process_shutdown_writes_what_its_handlers_hold(tmp_path: Any) -> None:
    handler = EventHandler(flush_interval=60, journal_dir=str(tmp_path))
    logger = logging.getLogger("tests.shutdown")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.info("Held")
    on_worker_process_shutdown(pid=1, exitcode=0)
    assert Event.objects.filter(name="Held").count() == 1


@pytest.mark.django_db
def test_message_sent_in_an_event_loop_never_loads_the_user(
    published: list[dict[str, Any]],
) -> None:
    import asyncio

    from django.utils.functional import SimpleLazyObject

    loads: list[bool] = []

    def load() -> User:
        loads.append(True)
        return User.objects.create_user("alice")

    request = RequestFactory().get("/checkout/")
    request.user = SimpleLazyObject(load)  # type: ignore[assignment]

    async def view() -> None:
        token = set_current(RequestState(request=request, request_id="req-async"))
        try:
            noted.delay()
        finally:
            reset_current(token)

    asyncio.run(view())
    [headers] = published
    assert (headers[REQUEST_ID_HEADER], headers[USER_ID_HEADER]) == ("req-async", None)
    assert loads == []
