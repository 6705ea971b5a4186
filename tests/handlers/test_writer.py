"""The background writer: prompt batches on its own connection, whatever the caller does."""

from __future__ import annotations

import contextlib
import datetime
import logging
import threading
import time
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.contrib import auth
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test import Client, RequestFactory, override_settings
from django.utils.functional import SimpleLazyObject

from djangotailoring.handlers.eventstore import EventStore
from djangotailoring.handlers.testing import flush_events, immediate_events
from djangotailoring.requestcontext import RequestState, reset_current, set_current
from djangotailoring.tracking.models import Event, WrittenBatch
from tests.handlers.conftest import HandlerFactory, Outage

log = logging.getLogger("app")


def test_record_is_committed_promptly_without_flush(event_handler: HandlerFactory) -> None:
    event_handler(flush_interval=0.05)
    start = time.monotonic()
    log.info("Prompt")
    while not Event.objects.filter(name="Prompt").exists():
        assert time.monotonic() - start < 5, "not committed without flush()"
        time.sleep(0.01)
    assert time.monotonic() - start < 1


def test_flush_waits_for_every_record_handed_over(event_handler: HandlerFactory) -> None:
    handler = event_handler(flush_interval=10)
    for i in range(250):
        log.info("Counted", extra={"i": i})
    handler.flush()
    assert Event.objects.count() == 250
    assert handler.stats.persisted == 250
    assert handler.stats.queued == 0


def test_records_are_written_in_batches(event_handler: HandlerFactory) -> None:
    handler = event_handler(batch_size=500, flush_interval=10)
    for i in range(1200):
        log.info("Batched", extra={"i": i})
    handler.flush()
    assert Event.objects.count() == 1200
    # One marker per transaction: 1,200 records took three.
    assert WrittenBatch.objects.count() == 3


def test_rolled_back_transaction_still_persists_record(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    with pytest.raises(RuntimeError), transaction.atomic():
        User.objects.create(username="rolled-back")
        log.info("LoggedInRollback")
        raise RuntimeError
    handler.flush()
    assert not User.objects.filter(username="rolled-back").exists()
    assert Event.objects.filter(name="LoggedInRollback").count() == 1


def test_immediate_mode_writes_before_the_call_returns(event_handler: HandlerFactory) -> None:
    handler = event_handler(immediate=True)
    log.info("AtOnce")
    assert Event.objects.filter(name="AtOnce").count() == 1
    assert handler.stats.persisted == 1


def test_immediate_mode_is_independent_of_the_callers_transaction(
    event_handler: HandlerFactory,
) -> None:
    event_handler(immediate=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        log.info("ImmediateInRollback")
        raise RuntimeError
    assert Event.objects.filter(name="ImmediateInRollback").count() == 1


@pytest.mark.postgres
@pytest.mark.parametrize("immediate", [False, True], ids=["background", "immediate"])
def test_failing_insert_does_not_break_callers_transaction(
    event_handler: HandlerFactory, monkeypatch: pytest.MonkeyPatch, immediate: bool
) -> None:
    def failing_insert(self: EventStore, wrapper: object, cursor: object, rows: object) -> None:
        cursor.execute("SELECT 1 / 0")  # type: ignore[attr-defined]

    monkeypatch.setattr(EventStore, "_insert", failing_insert)
    handler = event_handler(immediate=immediate)
    with transaction.atomic():
        User.objects.create(username="before")
        log.info("WillFail")
        handler.flush()
        User.objects.create(username="after")
    assert User.objects.filter(username__in=["before", "after"]).count() == 2
    # The database refused the row for good: it is kept in the spill file, not lost.
    assert handler.stats.spilled == 1


def test_many_threads_persist_exact_count_without_duplicates(
    event_handler: HandlerFactory,
) -> None:
    handler = event_handler()
    threads_count, per_thread = 8, 250

    def work(worker: int) -> None:
        for i in range(per_thread):
            log.info("Threaded", extra={"note": f"{worker}-{i}"})

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    handler.flush()
    notes = list(Event.objects.values_list("note", flat=True))
    assert len(notes) == threads_count * per_thread
    assert len(set(notes)) == len(notes)


def logged_in_request(user: Any) -> Any:
    """A request whose session (in the database) is logged in as ``user``."""
    client = Client()
    client.force_login(user)
    request = RequestFactory().get("/page/")
    engine = import_module(settings.SESSION_ENGINE)
    request.session = engine.SessionStore(client.session.session_key)
    return request


def test_debug_query_logging_does_not_feed_back(event_handler: HandlerFactory) -> None:
    user = User.objects.create(username="ann")
    request = logged_in_request(user)
    # Never evaluated: the writer finds the session's user with queries, which DEBUG logs
    # on django.db.backends.
    request.user = SimpleLazyObject(lambda: auth.get_user(request))  # type: ignore[assignment]
    handler = event_handler(loggers=("root",))
    queries = logging.getLogger("django.db.backends")
    queries.setLevel(logging.DEBUG)
    token = set_current(RequestState(request=request, request_id="r1"))
    try:
        with override_settings(DEBUG=True):
            for i in range(5):
                log.info("Counted", extra={"i": i})
            handler.flush()
            time.sleep(0.3)
            handler.flush()
    finally:
        reset_current(token)
        queries.setLevel(logging.NOTSET)
    users = Event.objects.filter(name="Counted").values_list("user", flat=True)
    assert list(users) == [user.pk] * 5


def test_closed_handler_still_persists_late_records(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    log.info("BeforeClose")
    handler.close()
    assert Event.objects.filter(name="BeforeClose").count() == 1
    log.info("AfterClose")
    assert Event.objects.filter(name="AfterClose").count() == 1


def test_immediate_events_helper_writes_at_once(event_handler: HandlerFactory) -> None:
    event_handler(flush_interval=10)
    with immediate_events():
        log.info("Helped")
        assert Event.objects.filter(name="Helped").count() == 1


def test_flush_events_helper_flushes_every_handler(event_handler: HandlerFactory) -> None:
    event_handler(flush_interval=10)
    log.info("Flushed")
    flush_events()
    assert Event.objects.filter(name="Flushed").count() == 1


def test_handler_uses_its_own_connection(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    log.info("Separate")
    handler.flush()
    writer = handler._writer
    assert writer is not None
    assert writer.store._wrapper is not None
    assert writer.store._wrapper.connection is not connection.connection


def test_sqlite_writer_waits_for_another_writers_lock(event_handler: HandlerFactory) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("SQLite locking")
    handler = event_handler()
    locked, release = threading.Event(), threading.Event()

    def hold_lock() -> None:
        from django.db import connections

        with transaction.atomic():
            User.objects.create(username="locker")
            locked.set()
            release.wait(5)
        connections.close_all()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    locked.wait(5)
    log.info("Waited")
    threading.Timer(0.5, release.set).start()
    handler.flush()
    holder.join()
    assert Event.objects.filter(name="Waited").count() == 1
    assert handler.stats.spilled == 0


def test_row_refused_by_the_database_is_written_without_its_links(
    event_handler: HandlerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    user = User.objects.create(username="ann")
    real = EventStore._existing_users

    def stale(self: EventStore, wrapper: object, refs: set[object]) -> dict:  # type: ignore[type-arg]
        # As if the user had been deleted between the check and the insert.
        found = real(self, wrapper, refs)  # type: ignore[arg-type]
        found[424242] = 424242
        return found

    monkeypatch.setattr(EventStore, "_existing_users", stale)
    handler = event_handler()
    log.info("Fine", extra={"user": user})
    log.info("Raced", extra={"user": 424242})
    log.info("AlsoFine")
    handler.flush()
    raced = Event.objects.get(name="Raced")
    assert raced.user is None
    assert raced.data["user"] == 424242
    assert Event.objects.get(name="Fine").user == user
    assert Event.objects.count() == 3
    assert handler.stats.persisted == 3


def test_immediate_mode_hands_over_while_database_is_away(
    event_handler: HandlerFactory, outage: Outage
) -> None:
    handler = event_handler(immediate=True, replay_on_recovery=False)
    outage.down()
    log.info("Deferred")
    handler.flush()
    assert handler.stats.spilled == 1
    assert Event.objects.count() == 0


def test_rows_refused_for_good_are_spilled_not_lost(
    event_handler: HandlerFactory, monkeypatch: pytest.MonkeyPatch, spill_path: str
) -> None:
    def refusing_insert(self: EventStore, wrapper: Any, cursor: object, rows: object) -> None:
        raise wrapper.Database.IntegrityError("refused (simulated)")

    monkeypatch.setattr(EventStore, "_insert", refusing_insert)
    handler = event_handler(replay_on_recovery=False)
    log.info("Refused")
    handler.flush()
    assert handler.stats.spilled == 1
    assert handler.stats.persisted == 0
    with open(spill_path, encoding="ascii") as lines:
        assert '"name":"Refused"' in lines.read()


def test_a_failing_writer_spills_what_it_holds(
    event_handler: HandlerFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from djangotailoring.handlers.writer import BackgroundWriter

    def broken(self: BackgroundWriter, *, force: bool) -> None:
        raise RuntimeError("a bug in the writer")

    monkeypatch.setattr(BackgroundWriter, "_write", broken)
    handler = event_handler(journal=False, replay_on_recovery=False)
    for i in range(3):
        log.info("Held", extra={"i": i})
    handler.flush(timeout=5)
    assert handler.stats.spilled == 3
    assert "the writer thread failed" in capsys.readouterr().err
    monkeypatch.undo()
    log.info("AfterTheFailure")
    handler.flush()
    assert Event.objects.filter(name="AfterTheFailure").count() == 1


@pytest.mark.parametrize("option", ["batch_size", "queue_size", "buffer_size"])
def test_sizes_below_one_are_refused(option: str) -> None:
    from djangotailoring.handlers import EventHandler

    with pytest.raises(ValueError, match="at least 1"):
        EventHandler(**{option: 0})


def test_timestamps_are_naive_local_time_without_time_zone_support(
    event_handler: HandlerFactory,
) -> None:
    handler = event_handler()
    captured: list[logging.LogRecord] = []
    spy = logging.Handler()
    spy.emit = captured.append  # type: ignore[method-assign]
    log.addHandler(spy)
    with override_settings(USE_TZ=False):
        log.info("Naive")
        handler.flush()
        stored = Event.objects.values_list("timestamp", flat=True).get()
    expected = datetime.datetime.fromtimestamp(captured[0].created)
    assert abs(stored.replace(tzinfo=None) - expected) < datetime.timedelta(milliseconds=1)


def test_abandoned_store_lets_go_of_its_connection_without_closing_it(
    transactional_db: None,
) -> None:
    from djangotailoring.handlers.eventstore import _ABANDONED

    store = EventStore()
    wrapper = store.wrapper
    raw = wrapper.connection
    store.abandon()
    assert store._wrapper is None
    assert _ABANDONED[-1] is wrapper
    assert wrapper.connection is raw  # not closed: a forked child must not end the session
    _ABANDONED.remove(wrapper)
    with contextlib.suppress(Exception):
        raw.close()


def test_json_is_encoded_without_orjson_too(
    event_handler: HandlerFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from djangotailoring.handlers import eventstore

    monkeypatch.setattr(eventstore, "orjson", None)
    handler = event_handler()
    log.info("Encoded", extra={"detail": {"text": "é", "items": [1, 2.5, None]}})
    handler.flush()
    assert Event.objects.get(name="Encoded").data["extra"] == {
        "detail": {"text": "é", "items": [1, 2.5, None]}
    }


def test_json_that_orjson_refuses_is_encoded_by_json() -> None:
    import json

    from djangotailoring.handlers.eventstore import _encode_json

    assert json.loads(_encode_json({"n": 2**70})) == {"n": 2**70}


def test_batches_keep_tabs_newlines_backslashes_and_empty_text(
    event_handler: HandlerFactory,
) -> None:
    # 30 records make a batch that PostgreSQL writes with COPY (text format).
    handler = event_handler(flush_interval=60)
    tricky = "a\tb\nc\rd\\e \\N \\\\ end"
    for i in range(30):
        log.info("Tricky", extra={"note": f"{tricky} {i}", "detail": tricky, "empty": ""})
    handler.flush()
    events = list(Event.objects.filter(name="Tricky").order_by("pk"))
    assert [event.note for event in events] == [f"{tricky} {i}" for i in range(30)]
    assert all(event.data["extra"] == {"detail": tricky, "empty": ""} for event in events)
