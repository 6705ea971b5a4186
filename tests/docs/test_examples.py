"""The code shown on the quickstart and "Events" pages does what the pages say."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone

from djangotailoring.tracking import EventNames, create_event
from djangotailoring.tracking.models import Event
from tests.docs.docfiles import load
from tests.testapp.models import IntTarget

pytestmark = pytest.mark.django_db

quickstart = load("examples/quickstart.py")
events = load("examples/events.py")

UTC = datetime.timezone.utc


@pytest.mark.urls("tests.docs.urls")
def test_consent_view_records_event_for_the_logged_in_user(client: Client) -> None:
    alice = User.objects.create_user("alice")
    client.force_login(alice)
    study = IntTarget.objects.create(label="pilot")
    response = client.post(f"/studies/{study.pk}/consent/")
    assert response.status_code == 200
    event = Event.objects.named(EventNames.UserConsented).get()
    assert (event.user, event.related_object) == (alice, study)
    assert event.note == f"/studies/{study.pk}/consent/"
    assert event.data["request"]["id"] == response["X-Request-ID"]


def test_consents_this_week_leaves_out_older_consents() -> None:
    study = IntTarget.objects.create(label="pilot")
    recent = Event.objects.create(name=EventNames.UserConsented, related_object=study)
    Event.objects.create(
        name=EventNames.UserConsented,
        related_object=study,
        timestamp=timezone.now() - datetime.timedelta(days=8),
    )
    assert list(quickstart["consents_this_week"](study)) == [recent]


@pytest.mark.urls("tests.docs.urls")
def test_record_export_merges_data_with_the_request_context(rf: Any) -> None:
    report = IntTarget.objects.create(label="q3")
    request = rf.get("/reports/q3/")
    request.user = User.objects.create_user("alice")
    event = events["record_export"](request, report, 120)
    event.refresh_from_db()
    assert event.data["rows"] == 120
    assert event.data["format"] == "csv"
    assert event.data["request"]["path"] == "/reports/q3/"
    assert event.data["related_object"] == "IntTarget q3"


def test_backfill_signup_keeps_the_given_time() -> None:
    joined = datetime.datetime(2019, 5, 1, 9, 30, tzinfo=UTC)
    alice = User.objects.create_user("alice")
    event = events["backfill_signup"](alice, joined)
    assert Event.objects.get(pk=event.pk).timestamp == joined


def test_record_reminders_logs_each_event(
    caplog: pytest.LogCaptureFixture, django_capture_on_commit_callbacks: Any
) -> None:
    users = [User.objects.create_user(name) for name in ("ann", "bob", "cy")]
    with (
        caplog.at_level("INFO", logger="djangotailoring.tracking.events"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        saved = events["record_reminders"](users)
    assert len(saved) == 3
    assert sorted(record.user for record in caplog.records) == ["ann", "bob", "cy"]


def test_logins_between_includes_both_ends() -> None:
    alice = User.objects.create_user("alice")
    start = datetime.datetime(2025, 1, 1, tzinfo=UTC)
    end = datetime.datetime(2025, 1, 31, tzinfo=UTC)
    for moment in (start, end, end + datetime.timedelta(seconds=1)):
        Event.objects.create(name=EventNames.UserLoggedIn, user=alice, timestamp=moment)
    found = events["logins_between"](alice, start, end)
    assert [event.timestamp for event in found] == [end, start]


def test_events_of_request_finds_events_by_request_id(client: Client) -> None:
    response = client.get("/record/", {"name": "Recorded"})
    client.get("/record/", {"name": "Other"})
    found = events["events_of_request"](response["X-Request-ID"])
    assert [event.name for event in found] == ["Recorded"]


def test_event_counts_by_name_counts_since_the_given_time() -> None:
    now = timezone.now()
    for name in ("A", "B", "B"):
        Event.objects.create(name=name, timestamp=now)
    Event.objects.create(name="A", timestamp=now - datetime.timedelta(days=2))
    counts = events["event_counts_by_name"](now - datetime.timedelta(days=1))
    assert list(counts) == [{"name": "B", "count": 2}, {"name": "A", "count": 1}]


def test_event_relation_keeps_events_when_the_object_is_deleted() -> None:
    study = IntTarget.objects.create(label="pilot")
    event = create_event("Linked", related_object=study)
    assert list(study.events.all()) == [event]
    study.delete()
    event.refresh_from_db()
    assert event.related_object is None
    assert event.data["related_object"] == "IntTarget pilot"
