"""Tests, with pytest-django, of code that records events."""

import logging

import pytest
from django.contrib.auth import get_user_model

from djangotailoring.testing import capture_events
from djangotailoring.tracking import EventNames, create_event
from djangotailoring.tracking.models import Event

EVENTS_LOGGER = "djangotailoring.tracking.events"


# The code under test; in a real project it lives in your app.
def sign_up(username):
    user = get_user_model().objects.create_user(username)
    create_event(EventNames.UserCreated, user=user, data={"source": "signup form"})
    return user


@pytest.mark.django_db
def test_sign_up_records_event():
    user = sign_up("alice")

    event = Event.objects.for_user(user).named(EventNames.UserCreated).get()
    assert event.data["source"] == "signup form"


@pytest.mark.django_db
def test_sign_up_is_logged(caplog, django_capture_on_commit_callbacks):
    with (
        caplog.at_level(logging.INFO, logger=EVENTS_LOGGER),
        django_capture_on_commit_callbacks(execute=True),
    ):
        sign_up("alice")

    [record] = caplog.records
    assert record.event.name == EventNames.UserCreated
    assert record.user == "alice"


@pytest.mark.django_db
def test_nothing_is_logged_before_commit(caplog):
    with caplog.at_level(logging.INFO, logger=EVENTS_LOGGER):
        sign_up("alice")

    assert caplog.records == []


@pytest.mark.django_db(transaction=True)
def test_sign_up_is_logged_in_transactional_test(caplog):
    with caplog.at_level(logging.INFO, logger=EVENTS_LOGGER):
        sign_up("alice")

    assert [record.event.name for record in caplog.records] == [EventNames.UserCreated]


@pytest.mark.django_db
def test_sign_up_records_exactly_one_event(captured_events):
    sign_up("alice")

    [event] = captured_events
    assert event.name == EventNames.UserCreated
    assert event.data["source"] == "signup form"


@pytest.mark.django_db
def test_only_the_block_is_captured():
    sign_up("alice")
    with capture_events() as events:
        create_event("UserConsented", note="newsletter")

    assert [event.name for event in events] == ["UserConsented"]
