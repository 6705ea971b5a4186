"""The journal: what a log call handed over survives the death of its process, exactly once.

Real processes die here for real (``os._exit``, ``SIGKILL``, ``SIGTERM``, a file-size limit
that stops their appends); the test process then replays their journals, as the next worker
of a server would, and counts the rows by the number each record carried.
"""

from __future__ import annotations

import logging
import mmap
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Count

from djangotailoring.handlers.delivery import replay_journals
from djangotailoring.handlers.journal import (
    POPULATE_AHEAD,
    Journal,
    JournalReader,
    claim_dead_journals,
    decode_record,
    encode_record,
)
from djangotailoring.tracking.models import Event
from tests.handlers.children import (
    ROOT,
    child_env,
    spawn,
    unreachable_settings,
)
from tests.handlers.conftest import HandlerFactory, Outage, logging_config

log = logging.getLogger("app")

CHILD = textwrap.dedent(
    """
    import json, logging, logging.config, os, resource, signal, sys
    options = json.loads(sys.argv[1])
    if options.get("file_size_limit"):
        limit = options["file_size_limit"]
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    logging.config.dictConfig(options["logging"])
    import django
    django.setup()
    from djangotailoring.handlers.journal import Journal
    if options.get("no_done_marks"):
        # Dies as if between a commit and its mark: the replay must find the batch written.
        Journal.mark_done = lambda self, batch_id, last: self.advance(last)
    log = logging.getLogger("app")
    handler = next(h for h in log.handlers if h.__class__.__name__ == "EventHandler")
    for i in range(options["records"]):
        log.info(options["name"], extra={"i": i})
        if i + 1 == options.get("flush_after"):
            handler.flush()
    print("ready", flush=True)
    then = options["then"]
    if then == "os._exit":
        os._exit(0)
    if then == "SIGKILL":
        os.kill(os.getpid(), signal.SIGKILL)
    if then == "wait":
        sys.stdin.read()
        os._exit(0)
    """
)


def run_child(
    journal_dir: str,
    *,
    records: int,
    then: str,
    name: str = "Journaled",
    wait: bool = True,
    child_options: dict[str, Any] | None = None,
    **handler: Any,
) -> subprocess.Popen[str]:
    """Start a process that logs ``records`` records through an EventHandler, then ``then``."""
    handler.setdefault("flush_interval", 60)
    handler.setdefault("journal_dir", journal_dir)
    handler.setdefault("spill_path", os.path.join(journal_dir, "..", "spill.jsonl"))
    options = {
        "logging": logging_config(handler),
        "records": records,
        "then": then,
        "name": name,
        **(child_options or {}),
    }
    return spawn(CHILD, options, wait=wait)


def numbers(name: str) -> list[int]:
    """The ``i`` of every Event named ``name``, sorted (duplicates kept)."""
    return sorted(
        int(i) for i in Event.objects.filter(name=name).values_list("data__extra__i", flat=True)
    )


def journal_files(journal_dir: str) -> list[str]:
    return sorted(str(path) for path in Path(journal_dir).rglob("*") if path.is_file())


# Journal and reader, in one process ------------------------------------------------------


def test_reader_gets_every_record_in_order_across_segments(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path), segment_bytes=2_000)
    reader = JournalReader(journal, chunk=700)
    records = [
        {"created": 1.0, "logger": "app", "level": "INFO", "message": f"m{i}"} for i in range(300)
    ]
    taken: list[Any] = []
    for index, record in enumerate(records):
        assert journal.append(encode_record(record))
        if index % 37 == 0:
            taken.extend(reader.take(50))
    while batch := reader.take(50):
        taken.extend(batch)
    assert [seq for seq, _ in taken] == list(range(300))
    # Handed back as written: the writer decodes each one when it prepares it.
    assert [decode_record(record) for _, record in taken] == records
    assert len(journal.segments()) > 5
    assert reader.behind == 0
    assert reader.torn == 0
    # Done with everything: every segment but the one appended to is deleted.
    journal.advance(299)
    assert len(journal.segments()) == 1
    journal.close()
    assert journal_files(str(tmp_path)) == []


def test_the_reader_moves_on_when_a_segment_it_was_reading_is_deleted(tmp_path: Path) -> None:
    """A batch's B marker goes into the segment being filled; the records that follow
    open the next segment; the batch commits and the full segment, all of whose records
    are done, is deleted before the reader has read past the marker. The reader must go
    on with the next segment (it once stopped there, and every later record stayed
    unread until a replay)."""
    journal = Journal(str(tmp_path), segment_bytes=2_000)
    reader = JournalReader(journal)
    line = encode_record({"message": "x" * 100})
    size = len(b"R 10 %b\n" % line)
    seq = 0
    segment = journal._current
    assert segment is not None
    while segment.size - segment.end >= size + 60:
        assert journal.append(line)
        seq += 1
    assert [number for number, _ in reader.take(100)] == list(range(seq))
    # The writer's marker fills the segment: the next record cannot fit.
    room = segment.size - segment.end
    marker = b"B " + b"b" * (room - size - 8) + b" 0 %d\n" % (seq - 1)
    journal.mark(marker)
    assert segment.size - segment.end < size
    assert journal.append(line)  # seq: opens segment 1
    assert journal.current_segment == 1
    journal.mark_done("b", seq - 1)  # every record of segment 0 is done: it is deleted
    assert segment.mapped.closed
    assert [s.number for s in journal.segments()] == [1]
    for _ in range(3):
        assert journal.append(line)
    assert [number for number, _ in reader.take(100)] == list(range(seq, seq + 4))
    assert reader.behind == 0
    journal.release()


def test_a_journal_with_unfinished_records_is_left_for_a_replay(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.append(encode_record({"message": "kept"}))
    journal.close()
    assert any(path.endswith(".journal") for path in journal_files(str(tmp_path)))
    claimed = list(claim_dead_journals(str(tmp_path)))
    assert len(claimed) == 1


def test_a_live_journal_is_never_claimed(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path))
    journal.append(encode_record({"message": "live"}))
    assert list(claim_dead_journals(str(tmp_path))) == []
    journal.release()
    assert len(list(claim_dead_journals(str(tmp_path)))) == 1


def test_records_that_orjson_cannot_write_exactly_come_back_exactly() -> None:
    record = {"big": -(2**70), "text": "\udc80 lone surrogate", "message": "x"}
    assert decode_record(encode_record(record)) == record


def test_a_full_journal_refuses_with_one_warning_and_no_exception(tmp_path: Path) -> None:
    reasons: list[str] = []
    journal = Journal(str(tmp_path), max_bytes=1_000, on_refused=reasons.append)
    results = [journal.append(encode_record({"message": "x" * 50})) for _ in range(40)]
    assert results[0] is True
    assert results[-1] is False
    assert len(reasons) == 1
    journal.release()


def _faults_of_appends(journal: Journal, count: int) -> int:
    """Minor page faults this process takes appending ``count`` records of 400 bytes."""
    import resource

    line = encode_record({"message": "x" * 380})
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(count):
        assert journal.append(line)
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="madvise(MADV_POPULATE_WRITE)")
def test_the_writer_maps_in_the_pages_the_next_appends_write_to(tmp_path: Path) -> None:
    journal = Journal(str(tmp_path / "populated"))
    steps = 0
    while journal.populate_ahead():
        steps += 1
    if not journal._populating:
        pytest.skip("this kernel has no MADV_POPULATE_WRITE (Linux 5.14)")
    assert steps >= 1
    segment = journal._current
    assert segment is not None
    assert segment.populated >= segment.end + POPULATE_AHEAD - mmap.PAGESIZE
    # 500 records of 400 bytes: 200 kB, within what was mapped in ahead.
    populated_faults = _faults_of_appends(journal, 500)
    bare = Journal(str(tmp_path / "bare"))
    bare_faults = _faults_of_appends(bare, 500)
    assert bare_faults >= 40, bare_faults  # a fault on the first write to each 4 kB page
    assert populated_faults < bare_faults / 4, (populated_faults, bare_faults)
    # Nothing was written by mapping the pages in: the reader finds exactly the records.
    reader = JournalReader(journal)
    taken = []
    while batch := reader.take(200):
        taken.extend(batch)
    assert [seq for seq, _ in taken] == list(range(500))
    assert reader.torn == 0
    journal.release()
    bare.release()


# Through EventHandler, in this process -----------------------------------------------------


def test_handler_journals_and_persists(event_handler: HandlerFactory, journal_dir: str) -> None:
    handler = event_handler(flush_interval=0.01)
    for i in range(500):
        log.info("Journaled", extra={"i": i})
    handler.flush()
    assert numbers("Journaled") == list(range(500))
    assert handler.journaling
    assert handler.stats.persisted == 500
    handler.close()
    # Everything committed: nothing is left on disk.
    assert journal_files(journal_dir) == []


def test_outage_backlog_stays_on_disk_not_in_memory(
    event_handler: HandlerFactory, outage: Outage, journal_dir: str, spill_path: str
) -> None:
    handler = event_handler(batch_size=100, flush_interval=0.01)
    outage.down()
    for i in range(5_000):
        log.info("Backlog", extra={"i": i})
    handler.flush(timeout=5)
    writer = handler._writer
    assert writer is not None
    # Memory holds the batch being retried, the journal the rest; nothing is spilled.
    assert writer._held <= 100
    assert handler.stats.queued == 5_000
    assert handler.stats.spilled == 0
    assert not os.path.exists(spill_path)
    outage.up()
    handler.flush(timeout=30)
    assert numbers("Backlog") == list(range(5_000))


def test_a_journal_that_cannot_be_kept_falls_back_to_memory(
    event_handler: HandlerFactory, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("")
    handler = event_handler(journal_dir=str(not_a_folder), flush_interval=0.01)
    log.info("WithoutJournal")
    handler.flush()
    assert Event.objects.filter(name="WithoutJournal").count() == 1


@pytest.mark.parametrize(("policy", "synced"), [("never", False), ("batch", True), (0.001, True)])
def test_fsync_policy(
    event_handler: HandlerFactory, monkeypatch: pytest.MonkeyPatch, policy: Any, synced: bool
) -> None:
    calls: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (calls.append(fd), real(fd))[1])
    handler = event_handler(journal_fsync=policy, flush_interval=0.01)
    for i in range(3):
        log.info("Synced", extra={"i": i})
        time.sleep(0.01)
    handler.flush()
    assert bool(calls) is synced
    assert numbers("Synced") == [0, 1, 2]


def test_bad_fsync_policy_is_refused() -> None:
    from djangotailoring.handlers import EventHandler

    with pytest.raises(ValueError, match="journal_fsync"):
        EventHandler(journal_fsync="sometimes")


def test_a_writer_that_fails_leaves_its_records_in_the_journal_for_the_next(
    event_handler: HandlerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from djangotailoring.handlers.writer import BackgroundWriter

    def broken(self: BackgroundWriter, *, force: bool) -> None:
        raise RuntimeError("a bug in the writer")

    monkeypatch.setattr(BackgroundWriter, "_write", broken)
    handler = event_handler()
    for i in range(3):
        log.info("Held", extra={"i": i})
    handler.flush(timeout=5)
    assert handler.stats.spilled == 0
    monkeypatch.undo()
    # The next writer replays the journal its predecessor left, then goes on.
    log.info("Held", extra={"i": 3})
    handler.flush()
    deadline = time.monotonic() + 10
    while len(numbers("Held")) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert numbers("Held") == [0, 1, 2, 3]


# Processes that die ------------------------------------------------------------------------


@pytest.mark.parametrize("then", ["os._exit", "SIGKILL"])
def test_what_a_dead_process_logged_is_replayed_by_the_next_handler(
    event_handler: HandlerFactory, journal_dir: str, then: str
) -> None:
    child = run_child(journal_dir, records=300, then=then)
    child.communicate(timeout=30)
    assert Event.objects.filter(name="Journaled").count() == 0
    # The next process's handler replays the journal when its writer starts.
    handler = event_handler(flush_interval=0.01)
    log.info("Next")
    handler.flush()
    deadline = time.monotonic() + 15
    while len(numbers("Journaled")) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
        handler.flush()
    assert numbers("Journaled") == list(range(300))
    assert handler.stats.replayed == 300
    handler.close()
    assert journal_files(journal_dir) == []


def test_a_process_killed_during_an_outage_loses_nothing(
    transactional_db: None, journal_dir: str
) -> None:
    child = run_child(
        journal_dir,
        records=2_000,
        then="SIGKILL",
        flush_interval=0.01,
        connection_settings=unreachable_settings(),
        connect_timeout=1,
    )
    child.communicate(timeout=30)
    result = replay_journals(journal_dir)
    assert result.replayed == 2_000
    assert numbers("Journaled") == list(range(2_000))


def test_sigterm_during_an_outage_leaves_the_journal_and_ends_in_time(
    transactional_db: None, journal_dir: str
) -> None:
    child = run_child(
        journal_dir,
        records=50,
        then="wait",
        connection_settings=unreachable_settings(),
        connect_timeout=1,
        shutdown_timeout=2,
    )
    started = time.monotonic()
    child.send_signal(signal.SIGTERM)
    child.communicate(timeout=30)
    assert time.monotonic() - started < 10
    out = StringIO()
    call_command("replay_events", "--journal-dir", journal_dir, stdout=out)
    assert "50 replayed" in out.getvalue()
    assert numbers("Journaled") == list(range(50))


def test_batches_committed_before_the_death_are_not_written_twice(
    transactional_db: None, journal_dir: str
) -> None:
    # Batches are committed (flushed) but never marked done, as when a process dies between
    # the commit and the mark; then more records are logged that nobody writes.
    child = run_child(
        journal_dir,
        records=400,
        then="os._exit",
        child_options={"no_done_marks": True, "flush_after": 250},
    )
    child.communicate(timeout=30)
    assert Event.objects.filter(name="Journaled").count() == 250
    result = replay_journals(journal_dir)
    assert (result.replayed, result.skipped) == (150, 250)
    assert numbers("Journaled") == list(range(400))


def test_a_torn_last_line_is_skipped_and_counted(transactional_db: None, journal_dir: str) -> None:
    child = run_child(journal_dir, records=100, then="os._exit")
    child.communicate(timeout=30)
    segments = sorted(Path(journal_dir).rglob("*.journal"))
    # A line cut short where the process died, followed by the segment's reserved zeros.
    content = segments[-1].read_bytes()
    with open(segments[-1], "r+b") as segment:
        segment.seek(content.index(b"\x00"))
        segment.write(b'R 100 {"created":17.5,"logger":"app","lev')
    result = replay_journals(journal_dir)
    assert (result.replayed, result.torn) == (100, 1)
    assert numbers("Journaled") == list(range(100))


def test_two_processes_racing_to_replay_write_every_record_once(
    transactional_db: None, journal_dir: str
) -> None:
    dead = [run_child(journal_dir, records=300, then="os._exit", name="Raced") for _ in range(4)]
    for child in dead:
        child.communicate(timeout=30)
    script = textwrap.dedent(
        """
        import sys, django
        django.setup()
        from djangotailoring.handlers.delivery import replay_journals
        sys.stdin.readline()
        print(replay_journals(sys.argv[1]).replayed, flush=True)
        """
    )
    racers = [
        subprocess.Popen(
            [sys.executable, "-c", script, journal_dir],
            env=child_env(),
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for racer in racers:  # both are set up before either starts
        assert racer.stdin is not None
    time.sleep(1.5)
    for racer in racers:
        assert racer.stdin is not None
        racer.stdin.write("go\n")
        racer.stdin.flush()
    replayed = [int(racer.communicate(timeout=60)[0].strip()) for racer in racers]
    assert sum(replayed) == 1_200
    duplicates = (
        Event.objects.filter(name="Raced")
        .values("data__extra__i", "data__logger")
        .annotate(n=Count("id"))
        .filter(n__gt=4)
    )
    assert not duplicates.exists()
    assert Event.objects.filter(name="Raced").count() == 1_200
    assert [path for path in journal_files(journal_dir) if path.endswith(".journal")] == []


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[str]:
    """A real 64 KiB file system (tmpfs) for the test; skips where mounting is not allowed."""
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount_point)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tiny tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield str(mount_point / "journal")
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_a_journal_that_fills_the_disk_refuses_and_keeps_what_it_has(tiny_disk: str) -> None:
    reasons: list[str] = []
    journal = Journal(tiny_disk, segment_bytes=16 * 1024, on_refused=reasons.append)
    results = [journal.append(encode_record({"message": "x" * 100, "i": i})) for i in range(2_000)]
    kept = results.index(False)
    assert kept > 100
    assert not any(results[kept:])
    assert len(reasons) == 1
    assert "No space left on device" in reasons[0]
    reader = JournalReader(journal)
    taken = reader.take(10_000)
    assert [decode_record(record)["i"] for _, record in taken] == list(range(kept))
    journal.release()


def test_a_full_disk_costs_no_record_while_the_database_is_up(
    event_handler: HandlerFactory, tiny_disk: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The journal fills the 64 KiB disk (ENOSPC): records go to the writer through memory,
    # with one warning, and nothing is raised in the caller.
    handler = event_handler(journal_dir=tiny_disk, flush_interval=0.01)
    with caplog.at_level(logging.WARNING, logger="djangotailoring.handlers"):
        for i in range(2_000):
            log.info("Journaled", extra={"i": i, "padding": "x" * 100})
        handler.flush()
    warnings = [r for r in caplog.records if "journal" in r.getMessage()]
    assert len(warnings) == 1
    assert "No space left on device" in warnings[0].getMessage()
    assert numbers("Journaled") == list(range(2_000))
    assert handler.stats.dropped == 0


@pytest.mark.skipif(
    os.environ.get("DJANGOTAILORING_TEST_DB", "sqlite") == "sqlite",
    reason="a file-size limit would stop SQLite's own database file too",
)
def test_a_file_size_limit_costs_no_record_while_the_database_is_up(
    transactional_db: None, journal_dir: str
) -> None:
    # RLIMIT_FSIZE makes the journal's appends fail with EFBIG after 20 KB (Python ignores
    # SIGXFSZ): the records go to the writer through memory, with one warning.
    child = run_child(
        journal_dir,
        records=2_000,
        then="exit",
        flush_interval=0.01,
        child_options={"file_size_limit": 20_000},
    )
    _out, err = child.communicate(timeout=60)
    assert child.returncode == 0, err
    assert err.count("File too large") == 1, err
    assert numbers("Journaled") == list(range(2_000))


def test_after_fork_each_process_has_a_journal_of_its_own(
    event_handler: HandlerFactory, journal_dir: str
) -> None:
    handler = event_handler(flush_interval=60)
    log.info("Parent", extra={"i": 0})
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child's coverage is not collected
        try:
            for i in range(100):
                log.info("ForkedChild", extra={"i": i})
        finally:
            os._exit(0)
    os.waitpid(pid, 0)
    # The child's journal is dead, the parent's alive and left alone.
    result = replay_journals(journal_dir)
    assert result.replayed == 100
    assert numbers("ForkedChild") == list(range(100))
    handler.flush()
    assert numbers("Parent") == [0]


# The system check and the command ----------------------------------------------------------


def test_system_check_reports_a_journal_folder_that_cannot_be_written(
    settings: Any, tmp_path: Path
) -> None:
    from djangotailoring.tracking.checks import check_settings

    blocker = tmp_path / "file"
    blocker.write_text("")
    settings.LOGGING = logging_config({"journal_dir": str(blocker / "journal")})
    errors = check_settings()
    assert [error.id for error in errors] == ["djangotailoring.E007"]
    assert str(blocker) in errors[0].msg
    settings.LOGGING = logging_config({"journal_dir": str(tmp_path / "journal")})
    assert check_settings() == []
    # A path pasted from an example, whose parents do not exist, is reported (even to root,
    # who could create them).
    placeholder = tmp_path / "path" / "to" / "persistent" / "folder" / "journal"
    settings.LOGGING = logging_config({"journal_dir": str(placeholder)})
    errors = check_settings()
    assert [error.id for error in errors] == ["djangotailoring.E007"]
    assert "nor does the folder it would go in" in errors[0].msg
    settings.LOGGING = logging_config({"journal": False, "journal_dir": str(blocker)})
    assert check_settings() == []
    settings.TRACKING_JOURNAL = "yes"
    assert "djangotailoring.E005" in [error.id for error in check_settings()]


def test_stuck_flush_of_a_journaling_handler_returns(
    event_handler: HandlerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from djangotailoring.handlers.eventstore import EventStore

    release = threading.Event()
    real = EventStore.write

    def stuck(store: EventStore, batch_id: str, events: Any) -> bool:
        release.wait(10)
        return real(store, batch_id, events)

    monkeypatch.setattr(EventStore, "write", stuck)
    handler = event_handler(shutdown_timeout=0.5)
    for i in range(10):
        log.info("Stuck", extra={"i": i})
    started = time.monotonic()
    handler.shutdown_flush()
    assert time.monotonic() - started < 3
    release.set()
    handler.flush(timeout=10)
    assert numbers("Stuck") == list(range(10))


def test_system_check_follows_the_setting_and_the_default_folder(
    settings: Any, tmp_path: Path
) -> None:
    from djangotailoring.tracking.checks import check_settings

    blocker = tmp_path / "file"
    blocker.write_text("")
    settings.LOGGING = logging_config({})
    settings.TRACKING_JOURNAL_DIR = str(blocker)
    errors = check_settings()
    assert [error.id for error in errors] == ["djangotailoring.E007"]
    assert "TRACKING_JOURNAL_DIR" in errors[0].msg
    assert "not a folder" in errors[0].msg
    settings.TRACKING_JOURNAL_DIR = None
    assert check_settings() == []
    settings.TRACKING_JOURNAL_DIR = 5
    assert [error.id for error in check_settings()] == ["djangotailoring.E006"]


def test_replay_events_dry_run_and_no_journals_leave_journals_alone(
    transactional_db: None, journal_dir: str
) -> None:
    child = run_child(journal_dir, records=20, then="os._exit")
    child.communicate(timeout=30)
    out = StringIO()
    call_command("replay_events", "--dry-run", "--journal-dir", journal_dir, stdout=out)
    assert "replayed, not counted, by a dry run" in out.getvalue()
    call_command("replay_events", "--no-journals", stdout=StringIO())
    assert Event.objects.filter(name="Journaled").count() == 0
    call_command("replay_events", "--journal-dir", journal_dir, stdout=StringIO())
    assert numbers("Journaled") == list(range(20))


def test_a_journal_line_the_writer_cannot_read_is_counted_as_torn_not_fatal(
    event_handler: HandlerFactory,
) -> None:
    handler = event_handler(flush_interval=60)
    logger = logging.getLogger("app")
    logger.info("Before")
    handler.flush()
    writer = handler._writer
    assert writer is not None
    assert writer.journal is not None
    # A line whose record is not JSON (as a bit flip on the disk would leave it).
    assert writer.journal.append(b"{not json")
    logger.info("After")
    handler.flush()
    assert sorted(Event.objects.values_list("name", flat=True)) == ["After", "Before"]
    stats = handler.stats
    assert (stats.torn, stats.persisted, stats.dropped) == (1, 2, 0)
    assert writer.thread.is_alive()
