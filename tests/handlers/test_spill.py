"""Overflow: the spill file, its replay (command and automatic), and counted drops."""

from __future__ import annotations

import json
import logging
import os
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from djangotailoring.tracking.models import Event
from tests.handlers.conftest import HandlerFactory, Outage

log = logging.getLogger("app")


def spilled_lines(path: str) -> list[dict[str, object]]:
    with open(path, encoding="ascii") as lines:
        return [json.loads(line) for line in lines]


def test_flush_during_outage_spills_and_returns(
    event_handler: HandlerFactory, outage: Outage, spill_path: str
) -> None:
    handler = event_handler(journal=False, replay_on_recovery=False)
    outage.down()
    for i in range(100):
        log.info("Spilled", extra={"i": i})
    start = time.monotonic()
    handler.flush()
    assert time.monotonic() - start < 5
    assert handler.stats.spilled == 100
    assert handler.stats.queued == 0
    lines = spilled_lines(spill_path)
    assert len(lines) == 100
    assert {line["event"]["name"] for line in lines} == {"Spilled"}  # type: ignore[index]


def test_spill_file_is_private(
    event_handler: HandlerFactory, outage: Outage, spill_path: str
) -> None:
    handler = event_handler(journal=False, replay_on_recovery=False)
    outage.down()
    log.info("Secret")
    handler.flush()
    assert os.stat(spill_path).st_mode & 0o077 == 0


def test_records_beyond_the_buffer_are_spilled_while_retrying(
    event_handler: HandlerFactory, outage: Outage
) -> None:
    handler = event_handler(journal=False, buffer_size=100, batch_size=50, flush_interval=0.01)
    outage.down()
    for i in range(1000):
        log.info("Buffered", extra={"i": i})
    deadline = time.monotonic() + 5
    while (handler.stats.spilled < 900 or outage.attempts < 3) and time.monotonic() < deadline:
        time.sleep(0.05)
    stats = handler.stats
    assert stats.spilled >= 900
    assert stats.queued <= 100 + 50
    assert stats.retried > 0
    assert outage.attempts >= 3


def test_replay_events_persists_a_spill_file_exactly_once(
    event_handler: HandlerFactory, outage: Outage, spill_path: str
) -> None:
    handler = event_handler(journal=False, replay_on_recovery=False)
    outage.down()
    for i in range(30):
        log.info("Replayed", extra={"i": i})
    handler.flush()
    outage.up()
    out = StringIO()
    call_command("replay_events", spill_path, stdout=out)
    assert "30 replayed" in out.getvalue()
    call_command("replay_events", spill_path, stdout=out)
    assert "nothing to replay" in out.getvalue()
    assert Event.objects.filter(name="Replayed").count() == 30
    assert not os.path.exists(spill_path)


def test_replay_skips_batches_that_were_committed_already(
    event_handler: HandlerFactory, outage: Outage, spill_path: str
) -> None:
    handler = event_handler(journal=False, replay_on_recovery=False)
    outage.down()
    for i in range(10):
        log.info("Twice", extra={"i": i})
    handler.flush()
    outage.up()
    with open(spill_path, encoding="ascii") as source:
        content = source.read()
    call_command("replay_events", spill_path, stdout=StringIO())
    # The same file again, as if an earlier replay had crashed before deleting it.
    with open(spill_path, "w", encoding="ascii") as again:
        again.write(content)
    out = StringIO()
    call_command("replay_events", spill_path, stdout=out)
    assert "0 replayed, 10 already in the database" in out.getvalue()
    assert Event.objects.filter(name="Twice").count() == 10


def test_replay_events_defaults_to_the_configured_spill_file(
    event_handler: HandlerFactory, outage: Outage
) -> None:
    handler = event_handler(journal=False, replay_on_recovery=False)
    outage.down()
    log.info("Configured")
    handler.flush()
    outage.up()
    call_command("replay_events", stdout=StringIO())
    assert Event.objects.filter(name="Configured").count() == 1


def test_replay_events_fails_clearly_while_database_is_unreachable(
    event_handler: HandlerFactory, outage: Outage, spill_path: str
) -> None:
    handler = event_handler(journal=False, replay_on_recovery=False)
    outage.down()
    log.info("StillDown")
    handler.flush()
    with pytest.raises(CommandError, match="unreachable"):
        call_command("replay_events", spill_path, stdout=StringIO())
    outage.up()
    call_command("replay_events", spill_path, stdout=StringIO())
    assert Event.objects.filter(name="StillDown").count() == 1


def test_handler_replays_automatically_after_recovery(
    event_handler: HandlerFactory, outage: Outage, spill_path: str
) -> None:
    handler = event_handler(journal=False, flush_interval=0.01)
    outage.down()
    for i in range(20):
        log.info("AutoReplayed", extra={"i": i})
    handler.flush()
    assert handler.stats.spilled == 20
    outage.up()
    log.info("Recovered")
    deadline = time.monotonic() + 10
    while handler.stats.replayed < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    handler.flush()
    assert handler.stats.replayed == 20
    assert Event.objects.filter(name="AutoReplayed").count() == 20
    assert not os.path.exists(spill_path)


def test_outage_and_recovery_are_logged_as_warnings(
    event_handler: HandlerFactory, outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    handler = event_handler(journal=False, replay_on_recovery=False)
    caplog.set_level(logging.WARNING, logger="djangotailoring.handlers")
    outage.down()
    log.info("Lost?")
    handler.flush()
    outage.up()
    log.info("Back")
    handler.flush()
    messages = [r.getMessage() for r in caplog.records if r.name == "djangotailoring.handlers"]
    assert any("cannot write" in m for m in messages)
    assert any("spilling" in m for m in messages)
    assert any("again" in m for m in messages)
    # Our own warnings never became Events.
    assert list(Event.objects.values_list("name", flat=True)) == ["Back"]


def test_failed_spill_counts_and_reports_drops(
    event_handler: HandlerFactory, outage: Outage, capsys: pytest.CaptureFixture[str]
) -> None:
    handler = event_handler(journal=False, spill_path=os.path.join(os.devnull, "events.jsonl"))
    outage.down()
    for i in range(5):
        log.info("Dropped", extra={"i": i})
    handler.flush()
    assert handler.stats.dropped == 5
    assert "dropped 5 record(s)" in capsys.readouterr().err


def test_queue_overflow_spills_in_the_caller(
    event_handler: HandlerFactory, outage: Outage, spill_path: str
) -> None:
    handler = event_handler(
        journal=False, queue_size=10, flush_interval=60, replay_on_recovery=False
    )
    outage.down()
    for i in range(200):
        log.info("Overflowed", extra={"i": i})
    handler.flush()
    stats = handler.stats
    assert stats.spilled == 200
    assert stats.dropped == 0
    assert len(spilled_lines(spill_path)) == 200


def test_overflow_is_replayed_once_the_writer_has_caught_up(
    event_handler: HandlerFactory, spill_path: str
) -> None:
    handler = event_handler(journal=False, queue_size=10, flush_interval=0.01)
    for i in range(300):
        log.info("Burst", extra={"i": i})
    handler.flush()
    log.info("Later")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (
        handler.stats.replayed < handler.stats.spilled or Event.objects.count() < 301
    ):
        time.sleep(0.05)
        handler.flush()
    stats = handler.stats
    assert stats.spilled > 0
    assert stats.replayed == stats.spilled
    assert Event.objects.filter(name="Burst").count() == 300


def test_replay_events_dry_run_only_counts(
    event_handler: HandlerFactory, outage: Outage, spill_path: str
) -> None:
    handler = event_handler(journal=False, replay_on_recovery=False)
    outage.down()
    for i in range(7):
        log.info("Counted", extra={"i": i})
    handler.flush()
    outage.up()
    out = StringIO()
    call_command("replay_events", spill_path, "--dry-run", stdout=out)
    assert "7 event(s) to replay" in out.getvalue()
    assert Event.objects.count() == 0
    assert len(spilled_lines(spill_path)) == 7


def test_records_are_spilled_when_no_writer_thread_can_start(
    event_handler: HandlerFactory, monkeypatch: pytest.MonkeyPatch, spill_path: str
) -> None:
    from djangotailoring.handlers.writer import BackgroundWriter

    def refuse(self: BackgroundWriter) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(BackgroundWriter, "start", refuse)
    handler = event_handler(journal=False)
    log.info("AtShutdown")
    assert handler.stats.spilled == 1
    assert spilled_lines(spill_path)[0]["event"]["name"] == "AtShutdown"  # type: ignore[index]
