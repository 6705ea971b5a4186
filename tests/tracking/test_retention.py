"""``retention.prune_events``: the function behind ``manage.py prune_events``."""

from __future__ import annotations

import datetime
import io
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from djangotailoring.tracking.models import Event
from djangotailoring.tracking.querysets import EventQuerySet
from djangotailoring.tracking.retention import (
    MAX_CANCELLED_IN_A_ROW,
    CancelledBatches,
    Deletion,
    delete_in_batches,
    prunable_events,
    prune_events,
)

pytestmark = pytest.mark.django_db


def test_prune_events_deletes_before_the_cutoff_and_returns_the_count() -> None:
    cutoff = timezone.now()
    Event.objects.create(name="Old", timestamp=cutoff - datetime.timedelta(seconds=1))
    Event.objects.create(name="Edge", timestamp=cutoff)
    assert prune_events(cutoff) == 1
    assert list(Event.objects.values_list("name", flat=True)) == ["Edge"]


def test_prune_events_only_the_given_names() -> None:
    old = timezone.now() - datetime.timedelta(days=1)
    for name in ("A", "B", "C"):
        Event.objects.create(name=name, timestamp=old)
    assert prune_events(timezone.now(), ["A", "C", "A"], batch_size=1) == 2
    assert list(Event.objects.values_list("name", flat=True)) == ["B"]


def test_prunable_events_without_names_is_everything_older() -> None:
    Event.objects.create(name="A", timestamp=timezone.now() - datetime.timedelta(days=1))
    assert prunable_events(timezone.now(), []).count() == 1


def test_batch_size_below_one_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        delete_in_batches(Event.objects.all(), 0)


# --- the lock budget ----------------------------------------------------------------------

OLD = datetime.timedelta(days=100)


def _old_events(count: int) -> list[int]:
    moment = timezone.now() - OLD
    Event.objects.bulk_create(Event(name="Old", timestamp=moment) for _ in range(count))
    return list(Event.objects.order_by("pk").values_list("pk", flat=True))


def _old() -> EventQuerySet[Event]:
    return prunable_events(timezone.now() - OLD / 2)


class SlowClock:
    """A clock by which every batch takes ``seconds`` (each batch reads it twice)."""

    def __init__(self, seconds: float) -> None:
        self.now = 0.0
        self.seconds = seconds
        self.reads = 0

    def __call__(self) -> float:
        self.reads += 1
        if self.reads % 2 == 0:
            self.now += self.seconds
        return self.now


def _delete_sizes(call: Callable[[], object]) -> list[int]:
    """The rows each DELETE statement of ``call`` deleted."""
    sizes: list[int] = []

    def counted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        result = execute(sql, params, many, context)
        if sql.startswith("DELETE"):
            sizes.append(context["cursor"].rowcount)
        return result

    with connection.execute_wrapper(counted):
        call()
    return sizes


def test_batches_shrink_when_they_take_over_half_the_budget() -> None:
    _old_events(40)
    clock = SlowClock(0.03)  # 30 ms per batch: over half of 50 ms
    sizes = _delete_sizes(lambda: delete_in_batches(_old(), 16, lock_budget=0.05, clock=clock))
    assert sizes == [16, 8, 4, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
    assert not Event.objects.exists()


def test_batches_grow_back_to_batch_size_when_fast() -> None:
    _old_events(40)
    slow_then_fast = SlowClock(0.03)

    def clock() -> float:
        if slow_then_fast.reads >= 4:  # two slow batches, then fast ones
            slow_then_fast.seconds = 0.001
        return slow_then_fast()

    sizes = _delete_sizes(lambda: delete_in_batches(_old(), 8, lock_budget=0.05, clock=clock))
    assert sizes == [8, 4, 2, 4, 8, 8, 6]
    assert not Event.objects.exists()


def test_without_a_budget_batches_keep_their_size() -> None:
    _old_events(25)
    sizes = _delete_sizes(
        lambda: delete_in_batches(_old(), 10, lock_budget=None, clock=SlowClock(10.0))
    )
    assert sizes == [10, 10, 5]


def test_a_negative_budget_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="lock_budget"):
        delete_in_batches(Event.objects.all(), 10, lock_budget=-0.1)


def test_the_deletion_is_described() -> None:
    _old_events(5)
    deletion = delete_in_batches(_old(), 2, lock_budget=10.0)  # no batch shrinks
    assert deletion == Deletion(deleted=5, batches=3, cancelled=0, smallest_batch=2)


postgres_only = pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="statement_timeout is PostgreSQL's"
)


class RowLock:
    """Another connection holds a row lock on one event until released (or for ``seconds``)."""

    def __init__(self, pk: int, seconds: float | None = None) -> None:
        self.pk = pk
        self.seconds = seconds
        self.locked = threading.Event()
        self.release = threading.Event()
        self.thread = threading.Thread(target=self._hold, daemon=True)

    def _hold(self) -> None:
        try:
            with transaction.atomic():
                list(Event.objects.select_for_update().filter(pk=self.pk))
                self.locked.set()
                self.release.wait(self.seconds)
        finally:
            connection.close()

    def __enter__(self) -> RowLock:
        self.thread.start()
        assert self.locked.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self.release.set()
        self.thread.join(10)


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_batch_over_the_budget_is_cancelled_and_retried_smaller() -> None:
    keys = _old_events(64)
    pauses: list[float] = []
    durations: list[float] = []

    def timed(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if sql.startswith("DELETE"):
                durations.append(time.perf_counter() - started)

    # A row in the middle is locked by another transaction for 0.5 s: every DELETE that
    # reaches it waits, and is cancelled at the budget instead of waiting (holding its
    # own locks) until the other transaction ends.
    with RowLock(keys[40], seconds=0.5), connection.execute_wrapper(timed):
        deletion = delete_in_batches(
            _old(), 32, lock_budget=0.05, sleep=lambda s: (pauses.append(s), time.sleep(s))
        )
    assert deletion.deleted == 64
    assert not Event.objects.exists()
    assert deletion.cancelled >= 1
    assert deletion.smallest_batch < 32
    assert pauses[:2] == [0.1, 0.2][: len(pauses[:2])]
    # No DELETE ran (holding its locks) much past the 50 ms budget.
    assert max(durations) < 0.05 + 0.05
    with connection.cursor() as cursor:  # SET LOCAL ended with each batch
        cursor.execute("SHOW statement_timeout")
        assert cursor.fetchone()[0] == "0"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_row_locked_for_good_ends_in_cancelled_batches_with_the_rest_kept() -> None:
    keys = _old_events(20)
    budget = "within the lock budget of 50 ms"
    with RowLock(keys[10]), pytest.raises(CancelledBatches, match=budget) as caught:
        delete_in_batches(_old(), 8, lock_budget=0.05, sleep=lambda seconds: None)
    deletion = caught.value.deletion
    assert deletion.cancelled >= MAX_CANCELLED_IN_A_ROW
    assert deletion.smallest_batch == 1
    # Every batch before the locked row was committed and stays deleted; nothing after it
    # was touched.
    left = list(Event.objects.order_by("pk").values_list("pk", flat=True))
    assert left == keys[10:]
    assert deletion.deleted == 10


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_inside_the_callers_transaction_no_timeout_is_set() -> None:
    _old_events(3)
    with transaction.atomic():
        assert delete_in_batches(_old(), 2).deleted == 3
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone()[0] == "0"
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_the_command_says_what_the_budget_did(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.management import CommandError, call_command

    monkeypatch.setattr("djangotailoring.tracking.retention.FIRST_PAUSE", 0.001)
    keys = _old_events(12)
    out = io.StringIO()
    with RowLock(keys[6], seconds=0.3):
        call_command("prune_events", "--older-than", "50d", "--lock-budget", "40", stdout=out)
    assert "Deleted 12 events" in out.getvalue()
    assert "went over the 40 ms lock budget and were retried smaller" in out.getvalue()

    keys = _old_events(3)
    with RowLock(keys[0]), pytest.raises(CommandError, match="run again later"):
        call_command("prune_events", "--older-than", "50d", stdout=io.StringIO())
    assert Event.objects.count() == 3


@postgres_only
@pytest.mark.django_db(transaction=True)
def test_a_run_ends_with_one_synchronous_commit_that_makes_its_batches_durable() -> None:
    _old_events(5)
    with CaptureQueriesContext(connection) as queries:
        assert delete_in_batches(_old(), 2).deleted == 5
    statements = [  # what ran, without the transactions' own BEGIN and COMMIT
        query["sql"]
        for query in queries.captured_queries
        if query["sql"] not in ("BEGIN", "COMMIT")
    ]
    assert statements.count("SET LOCAL synchronous_commit = off") == 3
    # After the last batch: a transaction with an id, committed as the server is set (on),
    # which flushes the log up to it and so every batch before it.
    assert statements[-1] == "SELECT txid_current()"
    assert (
        max(i for i, sql in enumerate(statements) if sql.startswith("DELETE")) < len(statements) - 1
    )
    with CaptureQueriesContext(connection) as queries:
        delete_in_batches(_old(), 2)  # nothing to delete: nothing to make durable
    assert "SELECT txid_current()" not in [query["sql"] for query in queries.captured_queries]
    _old_events(2)
    with CaptureQueriesContext(connection) as queries:
        delete_in_batches(_old(), 2, lock_budget=None)  # commits as the server is set
    assert "SELECT txid_current()" not in [query["sql"] for query in queries.captured_queries]
