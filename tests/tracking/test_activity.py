from __future__ import annotations

import datetime

import pytest

from djangotailoring.tracking import activity as activity_module
from djangotailoring.tracking import create_events
from djangotailoring.tracking.activity import WINDOW, activity_of
from djangotailoring.tracking.models import Event

pytestmark = pytest.mark.django_db

NOON = datetime.datetime(2025, 3, 10, 12, 0, tzinfo=datetime.timezone.utc)


def at(*offsets: datetime.timedelta, name: str = "Seen") -> None:
    create_events({"name": name, "timestamp": NOON - offset} for offset in offsets)


def counts(activity: object) -> dict[datetime.date, int]:
    return {moment.date(): count for moment, count in activity.buckets if count}  # type: ignore[attr-defined]


def test_no_events_is_no_activity() -> None:
    assert activity_of(Event.objects.all()) is None


def test_counts_per_day_ending_at_the_latest_event() -> None:
    day = datetime.timedelta(days=1)
    at(datetime.timedelta(0), datetime.timedelta(hours=1), day, 3 * day, 3 * day)
    activity = activity_of(Event.objects.all())
    assert activity is not None
    assert activity.kind == "day"
    assert counts(activity) == {
        datetime.date(2025, 3, 10): 2,
        datetime.date(2025, 3, 9): 1,
        datetime.date(2025, 3, 7): 2,
    }
    assert activity.total == 5
    assert activity.end > NOON
    assert activity.end - activity.start <= WINDOW


def test_every_bucket_of_the_window_is_listed_in_order() -> None:
    at(datetime.timedelta(0), datetime.timedelta(days=10))
    activity = activity_of(Event.objects.all())
    assert activity is not None
    moments = [moment for moment, _ in activity.buckets]
    assert moments == sorted(moments)
    assert len(moments) == len(set(moments)) == WINDOW.days + 1


def test_events_older_than_the_window_are_not_counted() -> None:
    at(datetime.timedelta(0), WINDOW + datetime.timedelta(days=5))
    activity = activity_of(Event.objects.all())
    assert activity is not None
    assert activity.total == 1


def test_short_ranges_are_counted_per_hour() -> None:
    at(datetime.timedelta(minutes=5), datetime.timedelta(minutes=10), datetime.timedelta(hours=3))
    activity = activity_of(Event.objects.all(), since=NOON - datetime.timedelta(days=1), until=NOON)
    assert activity is not None
    assert activity.kind == "hour"
    assert {moment.hour: count for moment, count in activity.buckets if count} == {11: 2, 9: 1}


def test_counts_only_the_querysets_events() -> None:
    at(datetime.timedelta(0), datetime.timedelta(hours=2), name="A")
    at(datetime.timedelta(hours=1), name="B")
    activity = activity_of(Event.objects.named("B"))
    assert activity is not None
    assert activity.total == 1


def test_a_busy_window_is_narrowed_to_whole_buckets_of_the_newest_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(activity_module, "BUDGET", 5)
    day = datetime.timedelta(days=1)
    # 3 today, 2 yesterday, 4 the day before, 1 a week ago: 10 events in the window.
    at(*[datetime.timedelta(hours=h) for h in (0, 1, 2)])
    at(day, day + datetime.timedelta(hours=1))
    at(*[2 * day + datetime.timedelta(hours=h) for h in range(4)])
    at(7 * day)
    activity = activity_of(Event.objects.all())
    assert activity is not None
    assert activity.narrowed
    # The 6th newest event is two days ago: the window starts with the day after it, whole.
    assert counts(activity) == {datetime.date(2025, 3, 10): 3, datetime.date(2025, 3, 9): 2}
    assert activity.total == 5
    assert activity.kind == "day"
    assert activity.start == datetime.datetime(2025, 3, 9, 0, 0, tzinfo=datetime.timezone.utc)


def test_a_window_within_the_budget_is_not_narrowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(activity_module, "BUDGET", 5)
    at(*[datetime.timedelta(days=d) for d in range(5)])
    activity = activity_of(Event.objects.all())
    assert activity is not None
    assert not activity.narrowed
    assert activity.total == 5


def test_more_events_than_the_budget_in_the_newest_hour_count_that_hour(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(activity_module, "BUDGET", 2)
    # Five events from 12:00 to 12:04, all in the newest hour.
    at(*[datetime.timedelta(minutes=-m) for m in range(5)], datetime.timedelta(days=3))
    activity = activity_of(Event.objects.all())
    assert activity is not None
    assert activity.narrowed
    assert activity.kind == "hour"
    assert activity.total == 5
