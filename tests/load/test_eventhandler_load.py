"""Load: threads and forked processes log through EventHandler into one database.

Every log call becomes exactly one Event: no error reaches the caller, no record is
dropped or spilled, none is written twice. The full-size runs (8 threads and 4 forked
processes, 10,000 calls each: 120,000 Events) need PostgreSQL; a small run of the same
shape checks every database.
"""

from __future__ import annotations

import logging
import logging.config
import multiprocessing
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import asdict
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pytest
from django.db.models import Count

from djangotailoring.handlers import EventHandler
from djangotailoring.tracking.models import Event

LOGGER = "load"
FULL = 10_000
SMALL = 2_000
# One process's whole burst fits in the queue: a tight loop hands records over about
# twice as fast as one writer stores them, and beyond the queue the caller would spill
# (tests/handlers/test_spill.py covers that). Here the subject is concurrency.
QUEUE_SIZE = 8 * FULL


class Run:
    """The EventHandler under load and the errors it reported through ``handleError()``."""

    def __init__(self, handler: EventHandler, spill_path: Path) -> None:
        self.handler = handler
        self.spill_path = spill_path
        self.errors: list[BaseException | None] = []
        handler.handleError = self._report  # type: ignore[method-assign]

    def _report(self, record: logging.LogRecord) -> None:
        self.errors.append(sys.exc_info()[1])

    def isolate(self) -> None:
        """Leave the handler alone on its logger.

        pytest attaches its capture handlers to non-propagating loggers too, for the test
        call: they would format and keep every one of the records logged here.
        """
        logging.getLogger(LOGGER).handlers[:] = [self.handler]


@pytest.fixture
def run(transactional_db: None, tmp_path: Path) -> Iterator[Run]:
    """An EventHandler on the ``load`` logger, from ``dictConfig`` (default options but the
    queue size)."""
    spill_path = tmp_path / "spill.jsonl"
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "handlers": {
                "events": {
                    "class": "djangotailoring.handlers.EventHandler",
                    "spill_path": str(spill_path),
                    "queue_size": QUEUE_SIZE,
                }
            },
            "loggers": {LOGGER: {"handlers": ["events"], "level": "INFO", "propagate": False}},
        }
    )
    (handler,) = logging.getLogger(LOGGER).handlers
    assert isinstance(handler, EventHandler)
    yield Run(handler, spill_path)
    handler.close()


def log_calls(worker: int, calls: range) -> None:
    log = logging.getLogger(LOGGER)
    for i in calls:
        log.info("Loaded", extra={"note": f"{worker}-{i}", "worker": worker, "i": i})


def in_threads(work: dict[int, range]) -> Callable[[], None]:
    """Start a thread per worker, logging its range of calls; return what joins them."""
    threads = [threading.Thread(target=log_calls, args=item) for item in work.items()]
    for thread in threads:
        thread.start()

    def join() -> None:
        for thread in threads:
            thread.join()

    return join


def child(worker: int, calls: int, results: Connection) -> None:
    """Log in a forked child through the handler it inherited, then report its counters."""
    report: dict[str, Any] = {"worker": worker, "errors": []}
    try:
        (handler,) = logging.getLogger(LOGGER).handlers
        assert isinstance(handler, EventHandler)
        handler.handleError = lambda record: report["errors"].append(repr(sys.exc_info()[1]))  # type: ignore[method-assign]
        log_calls(worker, range(calls))
        handler.flush(timeout=120)
        report.update(asdict(handler.stats))
        # multiprocessing ends its children with os._exit(): no exit hook closes it.
        handler.close()
    except BaseException as error:
        report["errors"].append(repr(error))
    finally:
        results.send(report)


def in_processes(processes: int, calls: int, first_worker: int) -> Callable[[], list[Any]]:
    """Fork ``processes`` children logging ``calls`` records each; return what collects them."""
    context = multiprocessing.get_context("fork")
    pipes = [context.Pipe(duplex=False) for _ in range(processes)]
    children = [
        context.Process(target=child, args=(first_worker + n, calls, sender))
        for n, (_, sender) in enumerate(pipes)
    ]
    with warnings.catch_warnings():
        # Python 3.12+ warns on fork() with threads running: the handler's writer is one,
        # and what a child inherits of it is exactly what is tested here.
        warnings.simplefilter("ignore", DeprecationWarning)
        for process in children:
            process.start()

    def collect() -> list[Any]:
        reports = []
        for receiver, sender in pipes:
            assert receiver.poll(180), "a child sent no report"
            reports.append(receiver.recv())
            receiver.close()
            sender.close()
        for process in children:
            process.join(timeout=60)
        assert [process.exitcode for process in children] == [0] * processes
        return reports

    return collect


def start_writer(run: Run) -> None:
    """Log worker 0's first record now, so forked children inherit a running writer."""
    run.isolate()
    log_calls(0, range(1))
    run.handler.flush()


def assert_exactly_once(run: Run, total: int, parent_records: int) -> None:
    run.handler.flush()
    stats = run.handler.stats
    assert run.errors == []
    assert (stats.persisted, stats.dropped, stats.spilled, stats.queued) == (
        parent_records,
        0,
        0,
        0,
    )
    assert not run.spill_path.exists()
    assert Event.objects.count() == total
    # One Event per call: every (worker, i) note exactly once.
    duplicated = Event.objects.values("note").annotate(n=Count("pk")).filter(n__gt=1)
    assert not duplicated.exists()


def assert_children_clean(reports: list[Any], calls: int) -> None:
    for report in reports:
        assert report["errors"] == []
        counters = [report.get(name) for name in ("persisted", "dropped", "spilled", "queued")]
        assert counters == [calls, 0, 0, 0]


def threads_then_processes(run: Run, threads: int, processes: int, calls: int) -> None:
    """Threads in this process and forked children log at the same time."""
    start_writer(run)
    collect = in_processes(processes, calls, first_worker=threads)
    # Worker 0 logged its first call already, to start the writer.
    join = in_threads({0: range(1, calls), **{n: range(calls) for n in range(1, threads)}})
    join()
    assert_children_clean(collect(), calls)
    assert_exactly_once(run, (threads + processes) * calls, parent_records=threads * calls)


@pytest.mark.postgres
@pytest.mark.slow
def test_eight_threads_times_ten_thousand_calls_persist_exactly_once(run: Run) -> None:
    run.isolate()
    in_threads({n: range(FULL) for n in range(8)})()
    assert_exactly_once(run, 8 * FULL, parent_records=8 * FULL)


@pytest.mark.postgres
@pytest.mark.slow
def test_four_forked_processes_times_ten_thousand_calls_persist_exactly_once(run: Run) -> None:
    start_writer(run)
    reports = in_processes(4, FULL, first_worker=1)()
    assert_children_clean(reports, FULL)
    assert_exactly_once(run, 4 * FULL + 1, parent_records=1)


@pytest.mark.postgres
@pytest.mark.slow
def test_eight_threads_and_four_processes_at_once_make_exactly_120000_events(run: Run) -> None:
    threads_then_processes(run, threads=8, processes=4, calls=FULL)
    assert Event.objects.count() == 120_000


def test_threads_and_forked_processes_at_once_persist_exactly_once(run: Run) -> None:
    threads_then_processes(run, threads=8, processes=4, calls=SMALL)
