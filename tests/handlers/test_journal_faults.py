"""The journal when things go wrong: closed under its users, out of room, unreadable, lying.

Each test provokes the fault for real (a released journal, a folder with no room left, a
lock path that cannot be opened, lines of another format, a record from another version,
a database that goes away in the middle of a replay) and checks that nothing raises into
the caller, nothing is lost that could be kept, and what could not be kept is counted.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path
from typing import Any

import pytest

from djangotailoring.handlers import delivery
from djangotailoring.handlers.delivery import replay_journals
from djangotailoring.handlers.journal import (
    Journal,
    JournalReader,
    claim_dead_journals,
    decode_record,
    encode_record,
    journal_folder,
)
from djangotailoring.tracking.models import Event
from tests.handlers.conftest import HandlerFactory, Outage

log = logging.getLogger("app")


def handed(message: str, **more: Any) -> dict[str, Any]:
    """A record as a log call hands it over (what a journal holds)."""
    return {"created": time.time(), "logger": "app", "level": "INFO", "message": message, **more}


def dead_journal(journal_dir: str, records: list[bytes]) -> Journal:
    """A journal whose owner let go without finishing: what a dead process leaves."""
    journal = Journal(journal_folder(journal_dir, "default"))
    for payload in records:
        assert journal.append(payload)
    journal.release()
    return journal


# In one process ----------------------------------------------------------------------------


def test_appends_and_marks_after_release_are_refused_without_raising(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    assert journal.append(encode_record(handed("kept")))
    journal.release()
    assert journal.append(encode_record(handed("too late"))) is False
    journal.mark_batch("b" * 32, 0, 0)
    journal.sync_if_due()
    # What was appended before is there for a replay, and nothing after it.
    (claimed,) = claim_dead_journals(str(tmp_path))
    try:
        batches = list(claimed.batches(10))
    finally:
        claimed.release()
    assert [[record["message"] for record in records] for _, records in batches] == [["kept"]]


def test_a_mark_with_no_room_left_is_dropped_and_the_records_stay(tmp_path: Path) -> None:
    reasons: list[str] = []
    journal = Journal(str(tmp_path), max_bytes=600, segment_bytes=300, on_refused=reasons.append)
    appended = 0
    while journal.append(encode_record(handed(f"m{appended}"))):
        appended += 1
    assert appended > 0
    assert len(reasons) == 1
    # The writer's mark finds no room either: it is lost, the records are not.
    journal.mark_batch("c" * 32, 0, appended - 1)
    journal.release()
    (claimed,) = claim_dead_journals(str(tmp_path))
    try:
        messages = [r["message"] for _, records in claimed.batches(1_000) for r in records]
    finally:
        claimed.release()
    assert messages == [f"m{i}" for i in range(appended)]


def test_the_reader_stops_when_the_journal_is_closed_under_it(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    reader = JournalReader(journal)
    journal.append(encode_record(handed("one")))
    assert [decode_record(record)["message"] for _, record in reader.take(10)] == ["one"]
    journal.append(encode_record(handed("two")))
    journal.release()
    assert reader.take(10) == []


def test_an_fsync_policy_on_a_released_journal_syncs_nothing(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path), fsync="batch")
    journal.append(encode_record(handed("x")))
    journal.sync_if_due()
    journal.release()
    journal.sync_if_due()  # nothing left to sync: no error
    assert len(list(claim_dead_journals(str(tmp_path)))) == 1


# Replaying what others left -----------------------------------------------------------------


def test_a_lock_path_that_cannot_be_opened_is_passed_over(
    transactional_db: None, journal_dir: str
) -> None:
    journal = dead_journal(journal_dir, [encode_record(handed("Readable"))])
    os.mkdir(os.path.join(journal.folder, "0-notafile.lock"))
    result = replay_journals(journal_dir)
    assert result.replayed == 1
    assert Event.objects.filter(name="Readable").count() == 1


def test_lines_of_another_format_or_none_are_counted_as_torn(
    transactional_db: None, journal_dir: str
) -> None:
    journal = dead_journal(journal_dir, [encode_record(handed("Good", i=0))])
    segment = journal.segments()[0].path
    with open(segment, "r+b") as file:
        content = file.read()
        file.seek(content.index(b"\x00"))
        # A header of a format this version does not know, a line of nothing known, a
        # batch mark cut short, and after them one more good record.
        file.write(b'J9 {"format":9}\nnot a journal line\nB cut\n')
        file.write(b"R 1 " + encode_record(handed("Good", i=1)) + b"\n")
    result = replay_journals(journal_dir)
    assert (result.replayed, result.torn) == (2, 3)
    assert Event.objects.filter(name="Good").count() == 2


def test_a_record_from_another_version_is_dropped_counted_and_the_rest_written(
    transactional_db: None, journal_dir: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # Valid JSON that is not a record of this version (no "logger", no "level").
    dead_journal(
        journal_dir,
        [encode_record(handed("Before")), b'{"message":"Alien"}', encode_record(handed("After"))],
    )
    result = replay_journals(journal_dir)
    assert result.replayed == 2
    assert sorted(Event.objects.values_list("name", flat=True)) == ["After", "Before"]
    assert "dropped 1 record(s): a journal record could not be prepared" in capsys.readouterr().err


def test_a_database_that_goes_away_during_a_journal_replay_leaves_it_for_later(
    event_handler: HandlerFactory,
    journal_dir: str,
    outage: Outage,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(delivery, "JOURNAL_LOOK_INTERVAL", 0.05)
    handler = event_handler(flush_interval=0.01)
    log.info("Fresh")
    handler.flush()
    # The writer is up and idle when the database goes away and a dead journal appears.
    outage.down()
    dead_journal(journal_dir, [encode_record(handed("Orphan", extra={"i": i})) for i in range(5)])
    deadline = time.monotonic() + 10
    while outage.attempts == 0 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert outage.attempts > 0
    assert Event.objects.filter(name="Orphan").count() == 0
    outage.up()
    while Event.objects.filter(name="Orphan").count() < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
        handler.flush()
    assert Event.objects.filter(name="Orphan").count() == 5
    handler.close()
    assert Event.objects.filter(name="Orphan").count() == 5


def test_a_journal_replay_that_fails_does_not_stop_the_writer(
    event_handler: HandlerFactory,
    journal_dir: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    dead_journal(journal_dir, [encode_record(handed("Orphan"))])

    def broken(self: object, batch_size: int) -> Any:
        raise OSError("the journal's folder went away")
        yield  # pragma: no cover - a generator that fails at once

    from djangotailoring.handlers.journal import ClaimedJournal

    monkeypatch.setattr(ClaimedJournal, "batches", broken)
    handler = event_handler(flush_interval=0.01)
    log.info("Fresh")
    handler.flush()
    assert Event.objects.filter(name="Fresh").count() == 1
    assert "replaying a journal in" in capsys.readouterr().err
    assert Event.objects.filter(name="Orphan").count() == 0
