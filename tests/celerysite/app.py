"""The Celery app of the real-worker tests, and its tasks.

Each task logs one record (``TaskLogged``, persisted by ``EventHandler``) and creates one
Event (``TaskCreated``, by ``create_event``), both with the pid of the process it ran in.
When the worker process starts (``worker_init``, before a prefork pool forks), it logs
``WorkerStarted`` and flushes, so the writer thread exists in the parent before its
children are forked; then (``worker_ready``) it writes its pid to
``DJANGOTAILORING_CELERYSITE_READY``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.celerysite.settings")

BROKER_URL = "redis://127.0.0.1:6379/0"
QUEUE_ENV = "DJANGOTAILORING_CELERYSITE_QUEUE"

#: The queue tasks are sent to: the worker's own (from its environment); the tests set it
#: to the queue of the worker they started.
queue = [os.environ.get(QUEUE_ENV, "djangotailoring-tests")]


def route_to_queue(*args: Any, **kwargs: Any) -> dict[str, str]:
    return {"queue": queue[0]}


app = Celery("tests.celerysite")
app.conf.update(
    broker_url=BROKER_URL,
    task_routes=(route_to_queue,),
    task_ignore_result=True,
    worker_hijack_root_logger=False,
    broker_connection_retry_on_startup=False,
)
logger = logging.getLogger("tests.celerysite")


@signals.setup_logging.connect
def keep_django_logging(**kwargs: Any) -> None:
    """Leave logging as Django's ``LOGGING`` set it (Celery would configure its own)."""


@signals.worker_init.connect
def log_worker_started(**kwargs: Any) -> None:
    logger.info("WorkerStarted", extra={"pid": os.getpid()})
    for handler in logger.handlers:
        handler.flush()


@signals.worker_ready.connect
def announce_ready(**kwargs: Any) -> None:
    ready = os.environ.get("DJANGOTAILORING_CELERYSITE_READY")
    if ready:
        Path(ready).write_text(str(os.getpid()))


@app.task
def record() -> None:
    from djangotailoring.tracking import create_event

    logger.info("TaskLogged", extra={"pid": os.getpid()})
    create_event("TaskCreated", data={"pid": os.getpid()})


@app.task(bind=True, max_retries=1)
def retried(self: Any) -> None:
    logger.info("AttemptLogged", extra={"pid": os.getpid()})
    if self.request.retries == 0:
        raise self.retry(countdown=0)
