from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import User

from djangotailoring.tracking.models import Event
from tests.testapp.models import Enrollment

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def test_latest_event_of_the_user() -> None:
    user = User.objects.create_user("e")
    Event.objects.create(name="A", user=user, timestamp=T0)
    newest = Event.objects.create(name="B", user=user, timestamp=T0 + datetime.timedelta(hours=1))
    Event.objects.create(name="C", timestamp=T0 + datetime.timedelta(hours=2))
    enrollment = Enrollment.objects.create(user=user)
    assert enrollment.latest_event() == newest
    assert enrollment.latest_event_date() == newest.timestamp


def test_latest_event_by_name() -> None:
    user = User.objects.create_user("e")
    wanted = Event.objects.create(name="A", user=user, timestamp=T0)
    Event.objects.create(name="B", user=user, timestamp=T0 + datetime.timedelta(hours=1))
    enrollment = Enrollment.objects.create(user=user)
    assert enrollment.latest_event("A") == wanted
    assert enrollment.latest_event_date("A") == T0


def test_none_without_user() -> None:
    Event.objects.create(name="A")
    enrollment = Enrollment.objects.create(user=None)
    assert enrollment.latest_event() is None
    assert enrollment.latest_event_date() is None


def test_none_without_matching_event() -> None:
    enrollment = Enrollment.objects.create(user=User.objects.create_user("e"))
    assert enrollment.latest_event("Missing") is None
    assert enrollment.latest_event_date("Missing") is None
