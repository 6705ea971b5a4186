"""Argument types of the event commands: ages, ISO dates, users."""

from __future__ import annotations

import argparse
import datetime
import zoneinfo

import pytest
from django.contrib.auth.models import User
from django.test import override_settings

from djangotailoring.tracking.management.arguments import (
    parse_age,
    parse_moment,
    positive_int,
    resolve_user,
)


@pytest.mark.parametrize(
    ("text", "delta"),
    [
        ("90d", datetime.timedelta(days=90)),
        ("12h", datetime.timedelta(hours=12)),
        ("30m", datetime.timedelta(minutes=30)),
        ("45s", datetime.timedelta(seconds=45)),
        ("2w", datetime.timedelta(weeks=2)),
        (" 1d ", datetime.timedelta(days=1)),
        ("0d", datetime.timedelta(0)),
    ],
)
def test_parse_age(text: str, delta: datetime.timedelta) -> None:
    assert parse_age(text) == delta


@pytest.mark.parametrize("text", ["", "d", "90", "90D", "9 0d", "1y", "1e3d", "99999999999d"])
def test_parse_age_refuses(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="not an age"):
        parse_age(text)


def test_date_is_its_midnight_in_the_current_time_zone() -> None:
    with override_settings(TIME_ZONE="America/New_York"):
        moment = parse_moment("2024-07-04")
    assert moment.is_date
    assert moment.start == datetime.datetime(
        2024, 7, 4, tzinfo=zoneinfo.ZoneInfo("America/New_York")
    )


def test_next_day_of_a_date_crosses_daylight_saving_correctly() -> None:
    with override_settings(TIME_ZONE="Europe/Berlin"):
        moment = parse_moment("2024-03-31")
        utc = datetime.timezone.utc
        # Same-zone subtraction ignores offsets; compare the instants.
        length = moment.next_day.astimezone(utc) - moment.start.astimezone(utc)
    assert length == datetime.timedelta(hours=23)


def test_datetime_with_offset_keeps_its_instant() -> None:
    moment = parse_moment("2024-05-01T12:00:00+02:00")
    assert not moment.is_date
    assert moment.start == datetime.datetime(2024, 5, 1, 10, tzinfo=datetime.timezone.utc)
    assert "is_date=False" in repr(moment)


def test_datetime_with_z_suffix() -> None:
    moment = parse_moment("2024-05-01T12:00:00Z")
    assert moment.start == datetime.datetime(2024, 5, 1, 12, tzinfo=datetime.timezone.utc)


@override_settings(USE_TZ=False)
def test_without_use_tz_moments_are_naive_local_times() -> None:
    assert parse_moment("2024-05-01T12:00:00+00:00").start.tzinfo is None
    assert parse_moment("2024-05-01").start == datetime.datetime(2024, 5, 1)


@pytest.mark.parametrize("text", ["", "tomorrow", "2024-13-01", "2024-02-30", "01/02/2024"])
def test_parse_moment_refuses(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="ISO 8601"):
        parse_moment(text)


@pytest.mark.parametrize(("text", "value"), [("1", 1), ("500", 500)])
def test_positive_int(text: str, value: int) -> None:
    assert positive_int(text) == value


@pytest.mark.parametrize("text", ["0", "-3", "x", "1.5"])
def test_positive_int_refuses(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError):
        positive_int(text)


@pytest.mark.django_db
def test_resolve_user_by_username_then_primary_key() -> None:
    user = User.objects.create_user("frank")
    assert resolve_user("frank", "default") == user
    assert resolve_user(str(user.pk), "default") == user
    with pytest.raises(LookupError):
        resolve_user("not-a-key", "default")
