from __future__ import annotations

import datetime

import pytest

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
