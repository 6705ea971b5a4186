"""A real Celery worker (solo and prefork pools, Redis broker) runs tasks enqueued by a view.

Each test enqueues through the real middleware (the test client) or outside any request,
and reads what the worker process wrote: Events in the test database (PostgreSQL or MariaDB
when the run uses them, else the SQLite file), and the lines of its ``RequestContextFilter``
records. The worker is started per module and pool, and always killed, even when a test
fails. Redis must be reachable at 127.0.0.1:6379; without it the tests skip, except in CI
(``DJANGOTAILORING_TEST_DB_REQUIRED=1``), where that is an error.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from djangotailoring.tracking.models import Event
from tests.databases import SUFFIX

celery = pytest.importorskip("celery", reason='needs Celery: pip install -e ".[test]"')
redis = pytest.importorskip("redis", reason='needs redis-py: pip install -e ".[test]"')

REQUIRED = os.environ.get("DJANGOTAILORING_TEST_DB_REQUIRED") == "1"
ROOT = Path(__file__).resolve().parent.parent
TASK_RECORD = "tests.celerysite.app.record"
TASK_RETRIED = "tests.celerysite.app.retried"
HEX_ID = re.compile(r"[0-9a-f]{32}")


def _redis_reason() -> str | None:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=2):
            return None
    except OSError as error:
        return f"Redis at 127.0.0.1:6379 is unreachable ({error})"


REDIS_REASON = _redis_reason()
if REDIS_REASON is not None and REQUIRED:
    raise RuntimeError(f"The Celery worker tests need Redis: {REDIS_REASON}")

pytestmark = [
    pytest.mark.skipif(REDIS_REASON is not None, reason=REDIS_REASON or ""),
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls("tests.celerysite.urls"),
    pytest.mark.timeout(90),
]


@dataclass
class Worker:
    """A running worker: its main process id and the file of its records' lines."""

    pid: int
    log: Path

    def lines(self, request_id: str) -> list[list[str]]:
        """The worker's lines that carry ``request_id``, split into their fields."""
        text = self.log.read_text() if self.log.exists() else ""
        return [line.split("|") for line in text.splitlines() if line.startswith(f"{request_id}|")]


def _database() -> str:
    settings = connection.settings_dict
    keys = ("ENGINE", "NAME", "USER", "PASSWORD", "HOST", "PORT", "OPTIONS")
    return json.dumps({key: settings[key] for key in keys if key in settings})


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 10)):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(wait)
        except subprocess.TimeoutExpired:
            continue


def start_worker(
    folder: Path, pool: str, *options: str, flush_interval: float = 0.2
) -> Iterator[Worker]:
    """Start a worker on a queue of its own; yield it once it is ready; always stop it."""
    from tests.celerysite import app as site

    queue = f"djangotailoring-tests{SUFFIX}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    ready, log, output = folder / "ready", folder / "records.log", folder / "worker.out"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.celerysite.settings",
        "DJANGOTAILORING_CELERYSITE_DATABASE": _database(),
        "DJANGOTAILORING_CELERYSITE_LOG": str(log),
        "DJANGOTAILORING_CELERYSITE_READY": str(ready),
        "DJANGOTAILORING_CELERYSITE_FLUSH_INTERVAL": str(flush_interval),
        site.QUEUE_ENV: queue,
    }
    command = [
        sys.executable, "-m", "celery", "-A", "tests.celerysite.app", "worker",
        "--pool", pool, "--concurrency", "1", "--queues", queue, "--hostname", f"{queue}@%h",
        "--loglevel", "WARNING",
        "--without-heartbeat", "--without-mingle", "--without-gossip", *options,
    ]  # fmt: skip
    with output.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the worker did not start:\n{output.read_text()}")
            time.sleep(0.05)
        time.sleep(0.05)  # The pid is written in one call; let it land.
        previous, site.queue[0] = site.queue[0], queue
        try:
            yield Worker(pid=int(ready.read_text()), log=log)
        finally:
            site.queue[0] = previous
    finally:
        _stop(process)
        redis.Redis(host="127.0.0.1", port=6379).delete(queue)


def wait_for_events(minimum: int = 1, timeout: float = 20, **lookups: Any) -> list[Event]:
    """The Events matching ``lookups`` once there are ``minimum`` of them (oldest first)."""
    deadline = time.monotonic() + timeout
    while True:
        found = list(Event.objects.filter(**lookups).order_by("pk"))
        if len(found) >= minimum or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


@pytest.fixture(scope="module", params=["solo", "prefork"])
def worker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, django_db_setup: Any
) -> Iterator[Worker]:
    yield from start_worker(tmp_path_factory.mktemp(f"worker-{request.param}"), request.param)


@pytest.fixture(scope="module")
def prefork_worker(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: Any
) -> Iterator[Worker]:
    yield from start_worker(tmp_path_factory.mktemp("worker-prefork-parent"), "prefork")


@pytest.fixture(scope="module")
def recycling_worker(
    tmp_path_factory: pytest.TempPathFactory, django_db_setup: Any
) -> Iterator[Worker]:
    # A writer that waits a minute between commits: only the flush of a child that ends
    # (after each task) puts its records in the database within the test's patience.
    folder = tmp_path_factory.mktemp("worker-recycling")
    yield from start_worker(folder, "prefork", "--max-tasks-per-child", "1", flush_interval=60)


def _logged_in_client() -> tuple[Client, User]:
    user = User.objects.create_user("alice")
    client = Client()
    client.force_login(user)
    return client, user


def test_task_enqueued_in_a_request_carries_its_request_id_and_user(worker: Worker) -> None:
    client, alice = _logged_in_client()
    request_id = f"req-{uuid.uuid4().hex}"
    response = client.get("/record/", headers={"X-Request-ID": request_id})
    task_id = response.content.decode()

    logged, created = (
        wait_for_events(name=name, data__request__id=request_id)
        for name in ("TaskLogged", "TaskCreated")
    )
    task = {"id": task_id, "name": TASK_RECORD, "retries": 0}
    for [event] in (logged, created):
        assert event.user_id == alice.pk
        assert event.data["task"] == task
        assert event.data["request"]["id"] == request_id
    [line] = worker.lines(request_id)
    assert line[:4] == [request_id, str(alice.pk), task_id, TASK_RECORD]
    assert line[-1] == "TaskLogged"


def test_a_requests_whole_story_is_one_query(worker: Worker) -> None:
    client, alice = _logged_in_client()
    request_id = f"req-{uuid.uuid4().hex}"
    client.get("/order/", headers={"X-Request-ID": request_id})

    story = wait_for_events(3, data__request__id=request_id)
    assert sorted(event.name for event in story) == ["OrderPlaced", "TaskCreated", "TaskLogged"]
    assert {event.user_id for event in story} == {alice.pk}
    [placed] = [event for event in story if event.name == "OrderPlaced"]
    assert placed.data["request"]["path"] == "/order/"
    assert "task" not in placed.data


def test_retry_keeps_the_request_id_and_the_task_id(worker: Worker) -> None:
    request_id = f"req-{uuid.uuid4().hex}"
    task_id = Client().get("/retried/", headers={"X-Request-ID": request_id}).content.decode()

    attempts = wait_for_events(2, name="AttemptLogged", data__request__id=request_id)
    assert [event.data["task"] for event in attempts] == [
        {"id": task_id, "name": TASK_RETRIED, "retries": 0},
        {"id": task_id, "name": TASK_RETRIED, "retries": 1},
    ]
    assert [line[2] for line in worker.lines(request_id)] == [task_id, task_id]


def test_tasks_enqueued_outside_a_request_get_fresh_request_ids(worker: Worker) -> None:
    from tests.celerysite.app import record

    task_ids = {record.delay().id, record.delay().id}
    events = [wait_for_events(name="TaskCreated", data__task__id=task_id) for task_id in task_ids]
    request_ids = {event.data["request"]["id"] for [event] in events}
    assert len(request_ids) == 2
    assert all(HEX_ID.fullmatch(request_id) for request_id in request_ids)
    assert all(event.user_id is None for [event] in events)


def test_prefork_child_persists_its_events_with_its_own_writer(prefork_worker: Worker) -> None:
    # The pool's parent process started its writer (WorkerStarted) before forking the child.
    [started] = wait_for_events(name="WorkerStarted", data__extra__pid=prefork_worker.pid)
    request_id = f"req-{uuid.uuid4().hex}"
    Client().get("/record/", headers={"X-Request-ID": request_id})

    [logged] = wait_for_events(name="TaskLogged", data__request__id=request_id)
    assert logged.data["extra"]["pid"] != prefork_worker.pid
    assert started.data["extra"]["pid"] == prefork_worker.pid


def test_prefork_child_that_ends_flushes_its_events_first(recycling_worker: Worker) -> None:
    request_id = f"req-{uuid.uuid4().hex}"
    Client().get("/record/", headers={"X-Request-ID": request_id})

    # Well within the writer's 60 s between commits.
    [logged] = wait_for_events(name="TaskLogged", data__request__id=request_id, timeout=20)
    assert logged.data["extra"]["pid"] != recycling_worker.pid
