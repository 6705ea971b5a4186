"""Shutdown and process life: SIGTERM, interpreter exit, logging.shutdown(), fork()."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import textwrap
import threading
import time
import warnings
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from djangotailoring.tracking.models import Event
from tests.handlers.children import spawn, unreachable_settings
from tests.handlers.conftest import HandlerFactory, logging_config

# Configures logging *before* django.setup(), as Django itself does with LOGGING.
CHILD = textwrap.dedent(
    """
    import json, logging, logging.config, os, signal, sys, time
    options = json.loads(sys.argv[1])
    if options.get("own_sigterm"):
        def on_term(signum, frame):
            print("application handler ran", flush=True)
            sys.exit(3)
        signal.signal(signal.SIGTERM, on_term)
    logging.config.dictConfig(options["logging"])
    import django
    django.setup()
    log = logging.getLogger("app")
    for i in range(options["records"]):
        log.info("Child", extra={"i": i})
    print("ready", flush=True)
    if options["then"] == "wait":
        # Until the test signals; if it goes away instead, leave without a trace.
        sys.stdin.read()
        os._exit(0)
    elif options["then"] == "logging.shutdown":
        logging.shutdown()
        os._exit(0)
    """
)


def start_child(
    spill_path: str, *, records: int, then: str, own_sigterm: bool = False, **handler: Any
) -> subprocess.Popen[str]:
    handler.setdefault("flush_interval", 60)
    handler.setdefault("spill_path", spill_path)
    # A journal folder of the test's own, next to its spill file.
    handler.setdefault("journal_dir", os.path.join(os.path.dirname(spill_path), "journal"))
    options = {
        "logging": logging_config(handler),
        "records": records,
        "then": then,
        "own_sigterm": own_sigterm,
    }
    return spawn(CHILD, options)


def test_sigterm_flushes_queued_records(transactional_db: None, spill_path: str) -> None:
    child = start_child(spill_path, records=100, then="wait")
    started = time.monotonic()
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=30)
    assert child.returncode == -signal.SIGTERM
    assert time.monotonic() - started < 10
    assert Event.objects.filter(name="Child").count() == 100


def test_sigterm_chains_to_the_applications_handler(
    transactional_db: None, spill_path: str
) -> None:
    child = start_child(spill_path, records=20, then="wait", own_sigterm=True)
    child.send_signal(signal.SIGTERM)
    out, _ = child.communicate(timeout=30)
    assert "application handler ran" in out
    assert child.returncode == 3
    assert Event.objects.filter(name="Child").count() == 20


def test_sigterm_spills_what_it_cannot_write_in_time(
    transactional_db: None, spill_path: str
) -> None:
    child = start_child(
        spill_path,
        records=50,
        then="wait",
        journal=False,
        connection_settings=unreachable_settings(),
        connect_timeout=1,
        shutdown_timeout=2,
    )
    started = time.monotonic()
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert os.path.exists(spill_path), err
    with open(spill_path, encoding="ascii") as lines:
        assert len(lines.readlines()) == 50


def test_interpreter_exit_flushes(transactional_db: None, spill_path: str) -> None:
    child = start_child(spill_path, records=100, then="exit")
    child.communicate(timeout=30)
    assert child.returncode == 0
    assert Event.objects.filter(name="Child").count() == 100


def test_logging_shutdown_flushes(transactional_db: None, spill_path: str) -> None:
    child = start_child(spill_path, records=100, then="logging.shutdown")
    child.communicate(timeout=30)
    assert child.returncode == 0
    assert Event.objects.filter(name="Child").count() == 100


def test_forked_child_persists_its_own_records(event_handler: HandlerFactory) -> None:
    handler = event_handler(flush_interval=60)
    log = logging.getLogger("app")
    for i in range(10):
        log.info("Parent", extra={"i": i})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # multi-threaded fork (3.12+)
        pid = os.fork()
    if pid == 0:
        status = 1
        try:
            for i in range(5):
                log.info("Forked", extra={"i": i})
            handler.flush(timeout=20)
            status = 0 if handler.stats.persisted == 5 else 2
        finally:
            os._exit(status)
    _, status = os.waitpid(pid, 0)
    handler.flush()
    assert os.waitstatus_to_exitcode(status) == 0
    assert Event.objects.filter(name="Forked").count() == 5
    assert Event.objects.filter(name="Parent").count() == 10


@pytest.mark.parametrize("records", [1, 500])
def test_close_flushes(event_handler: HandlerFactory, records: int) -> None:
    handler = event_handler(flush_interval=60)
    for i in range(records):
        logging.getLogger("app").info("Closed", extra={"i": i})
    handler.close()
    assert Event.objects.filter(name="Closed").count() == records


def test_stuck_writer_is_relieved_by_spilling_and_replay_stays_exactly_once(
    event_handler: HandlerFactory, monkeypatch: pytest.MonkeyPatch, spill_path: str
) -> None:
    from djangotailoring.handlers.eventstore import EventStore

    release = threading.Event()
    real = EventStore.write

    def stuck(store: EventStore, batch_id: str, events: Any) -> bool:
        release.wait(10)  # a database that does not answer
        return real(store, batch_id, events)

    monkeypatch.setattr(EventStore, "write", stuck)
    handler = event_handler(journal=False, shutdown_timeout=0.5, replay_on_recovery=False)
    log = logging.getLogger("app")
    for i in range(10):
        log.info("Stuck", extra={"i": i})
    started = time.monotonic()
    handler.shutdown_flush()
    assert time.monotonic() - started < 3
    assert handler.stats.spilled == 10
    # The stuck write completes after all; replaying the spilled copy must not duplicate it.
    release.set()
    deadline = time.monotonic() + 5
    while Event.objects.count() < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    call_command("replay_events", spill_path, stdout=StringIO())
    assert Event.objects.filter(name="Stuck").count() == 10


@pytest.mark.parametrize("previous", ["callable", "ignored"])
def test_sigterm_hook_flushes_then_defers_to_previous_handler(
    event_handler: HandlerFactory, monkeypatch: pytest.MonkeyPatch, previous: str
) -> None:
    from djangotailoring.handlers import lifecycle

    calls: list[int] = []
    monkeypatch.setattr(
        lifecycle,
        "_previous_sigterm",
        (lambda signum, frame: calls.append(signum)) if previous == "callable" else signal.SIG_IGN,
    )
    handler = event_handler(flush_interval=60)
    logging.getLogger("app").info("BeforeTerm")
    lifecycle._on_sigterm(signal.SIGTERM, None)
    assert Event.objects.filter(name="BeforeTerm").count() == 1
    assert calls == ([signal.SIGTERM] if previous == "callable" else [])
    logging.getLogger("app").info("AfterTerm")
    handler.flush()
    assert Event.objects.filter(name="AfterTerm").count() == 1


@pytest.mark.timeout(30)
def test_sigterm_while_counting_does_not_deadlock(
    event_handler: HandlerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from djangotailoring.handlers import lifecycle

    monkeypatch.setattr(lifecycle, "_previous_sigterm", lambda signum, frame: None)
    handler = event_handler(flush_interval=60)
    logging.getLogger("app").info("Interrupted")
    writer = handler._writer
    assert writer is not None
    # The signal handler runs in the thread it interrupted, which may hold these locks.
    with handler._delivery.caller_counters._lock:
        lifecycle._on_sigterm(signal.SIGTERM, None)
    assert Event.objects.filter(name="Interrupted").count() == 1
