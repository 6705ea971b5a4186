"""``manage.py prune_events``: retention by age or date, by name, in bounded batches."""

from __future__ import annotations

import datetime
import io
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from djangotailoring.tracking.models import Event

pytestmark = pytest.mark.django_db

UTC = datetime.timezone.utc
ROOT = Path(__file__).resolve().parents[3]


def event_at(moment: datetime.datetime, name: str = "Old") -> Event:
    return Event.objects.create(name=name, timestamp=moment)


def ago(**delta: float) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(**delta)


def prune(*args: str) -> str:
    out = io.StringIO()
    call_command("prune_events", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def remaining() -> set[str]:
    return set(Event.objects.values_list("name", flat=True))


def test_older_than_days_deletes_only_older_events() -> None:
    event_at(ago(days=100), "Ancient")
    event_at(ago(days=10), "Recent")
    output = prune("--older-than", "90d")
    assert remaining() == {"Recent"}
    assert "Deleted 1 events" in output


@pytest.mark.parametrize(
    ("age", "older", "newer"),
    [
        ("30s", {"seconds": 60}, {"seconds": 5}),
        ("15m", {"minutes": 20}, {"minutes": 10}),
        ("2h", {"hours": 3}, {"hours": 1}),
        ("7d", {"days": 8}, {"days": 6}),
        ("2w", {"weeks": 3}, {"weeks": 1}),
    ],
)
def test_older_than_units(age: str, older: dict[str, float], newer: dict[str, float]) -> None:
    event_at(ago(**older), "Older")
    event_at(ago(**newer), "Newer")
    prune("--older-than", age)
    assert remaining() == {"Newer"}


def test_before_date_deletes_strictly_earlier_events() -> None:
    event_at(datetime.datetime(2023, 12, 31, 23, 59, tzinfo=UTC), "Before")
    event_at(datetime.datetime(2024, 1, 1, 0, 0, tzinfo=UTC), "AtMidnight")
    prune("--before", "2024-01-01")
    assert remaining() == {"AtMidnight"}


def test_before_datetime_with_offset() -> None:
    event_at(datetime.datetime(2024, 5, 1, 9, 59, tzinfo=UTC), "Before")
    event_at(datetime.datetime(2024, 5, 1, 10, 1, tzinfo=UTC), "After")
    prune("--before", "2024-05-01T12:00:00+02:00")
    assert remaining() == {"After"}


@override_settings(TIME_ZONE="Europe/Berlin")
def test_before_date_is_midnight_in_the_current_time_zone() -> None:
    event_at(datetime.datetime(2023, 12, 31, 22, 30, tzinfo=UTC), "BeforeBerlinMidnight")
    event_at(datetime.datetime(2023, 12, 31, 23, 30, tzinfo=UTC), "AfterBerlinMidnight")
    prune("--before", "2024-01-01")
    assert remaining() == {"AfterBerlinMidnight"}


def test_name_is_repeatable_and_limits_what_is_deleted() -> None:
    for name in ("PageViewed", "PageError", "UserLoggedIn"):
        event_at(ago(days=100), name)
    output = prune("--older-than", "90d", "--name", "PageViewed", "--name", "PageError")
    assert remaining() == {"UserLoggedIn"}
    assert "Deleted 2 events" in output
    assert "named PageError, PageViewed" in output


def test_dry_run_reports_counts_per_name_and_deletes_nothing() -> None:
    for name in ("PageViewed", "PageViewed", "PageError"):
        event_at(ago(days=100), name)
    event_at(ago(days=1), "PageViewed")
    output = prune("--older-than", "90d", "--dry-run")
    assert Event.objects.count() == 4
    assert "Would delete 3 events" in output
    assert "  PageError: 1" in output
    assert "  PageViewed: 2" in output


def test_nothing_to_delete_reports_zero() -> None:
    event_at(ago(days=1))
    assert "Deleted 0 events" in prune("--older-than", "90d")
    assert Event.objects.count() == 1


def test_batch_size_bounds_every_delete_statement() -> None:
    Event.objects.bulk_create(Event(name="Old", timestamp=ago(days=100)) for _ in range(25))
    event_at(ago(days=1), "Kept")
    with CaptureQueriesContext(connection) as queries:
        # A budget no batch can reach, so that a slow disk cannot shrink a batch here.
        output = prune("--older-than", "90d", "--batch-size", "10", "--lock-budget", "10000")
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3
    assert "Deleted 25 events" in output
    assert "in 3 batch(es)" in output
    assert remaining() == {"Kept"}


@pytest.mark.django_db(transaction=True)
def test_a_lock_budget_of_zero_keeps_every_batch_at_its_size() -> None:
    Event.objects.bulk_create(Event(name="Old", timestamp=ago(days=100)) for _ in range(7))
    with CaptureQueriesContext(connection) as queries:
        output = prune("--older-than", "90d", "--batch-size", "3", "--lock-budget", "0")
    statements = [q["sql"] for q in queries.captured_queries]
    assert len([sql for sql in statements if sql.startswith("DELETE")]) == 3
    assert not [sql for sql in statements if "statement_timeout" in sql]
    assert "Deleted 7 events" in output


@pytest.mark.django_db(transaction=True)
def test_each_batch_is_committed_on_its_own() -> None:
    Event.objects.bulk_create(Event(name="Old", timestamp=ago(days=100)) for _ in range(5))
    with CaptureQueriesContext(connection) as queries:
        prune("--older-than", "90d", "--batch-size", "2", "--lock-budget", "10000")
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert len(deletes) == 3
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "one of the arguments --older-than --before is required"),
        (("--older-than", "90d", "--before", "2024-01-01"), "not allowed with argument"),
        (("--older-than", "90"), "is not an age"),
        (("--older-than", "90x"), "is not an age"),
        (("--older-than=-5d",), "is not an age"),
        (("--older-than", "1.5d"), "is not an age"),
        (("--older-than", "ninety days"), "is not an age"),
        (("--before", "2024-13-01"), "is not an ISO 8601 date"),
        (("--before", "yesterday"), "is not an ISO 8601 date"),
        (("--before", "2024-02-30T10:00"), "is not an ISO 8601 date"),
        (("--older-than", "90d", "--batch-size", "0"), "at least 1"),
        (("--older-than", "90d", "--batch-size", "ten"), "at least 1"),
        (("--older-than", "90d", "--lock-budget", "-1"), "at least 0"),
        (("--older-than", "90d", "--lock-budget", "50ms"), "at least 0"),
    ],
)
def test_bad_arguments_are_command_errors(args: tuple[str, ...], message: str) -> None:
    event_at(ago(days=100))
    with pytest.raises(CommandError, match=message):
        prune(*args)
    assert Event.objects.count() == 1


def test_bad_arguments_exit_non_zero_from_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "django", "prune_events", "--older-than", "soon"],
        cwd=ROOT,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert "'soon' is not an age" in result.stderr
    assert result.stdout == ""


def prune_with(**options: object) -> str:
    out = io.StringIO()
    call_command("prune_events", stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def test_keyword_older_than_string_is_parsed() -> None:
    event_at(ago(days=100), "Ancient")
    event_at(ago(days=10), "Recent")
    assert "Deleted 1 events" in prune_with(older_than="90d")
    assert remaining() == {"Recent"}


@pytest.mark.parametrize(
    "before",
    [
        "2024-01-01",
        datetime.date(2024, 1, 1),
        datetime.datetime(2024, 1, 1, tzinfo=UTC),
    ],
)
def test_keyword_before_accepts_strings_dates_and_datetimes(before: object) -> None:
    event_at(datetime.datetime(2023, 12, 31, 23, 59, tzinfo=UTC), "Before")
    event_at(datetime.datetime(2024, 1, 1, 0, 0, tzinfo=UTC), "AtMidnight")
    prune_with(before=before)
    assert remaining() == {"AtMidnight"}


def test_keyword_single_name_and_string_batch_size() -> None:
    for name in ("A", "B"):
        event_at(ago(days=100), name)
    output = prune_with(older_than="90d", name="A", batch_size="1")
    assert remaining() == {"B"}
    assert "named A in 1 batch(es)" in output


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({}, "one of the arguments --older-than --before is required"),
        ({"older_than": "90d", "before": "2024-01-01"}, "not allowed with argument"),
        ({"older_than": "ninety"}, "--older-than: 'ninety' is not an age"),
        ({"before": "soon"}, "--before: 'soon' is not an ISO 8601 date"),
        ({"older_than": "90d", "batch_size": 0}, "--batch-size: '0' is not a whole number"),
    ],
)
def test_bad_keyword_options_are_command_errors(options: dict[str, object], message: str) -> None:
    event_at(ago(days=100))
    with pytest.raises(CommandError, match=message):
        prune_with(**options)
    assert Event.objects.count() == 1
