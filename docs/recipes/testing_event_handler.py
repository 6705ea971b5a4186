"""Tests of code that logs through EventHandler (LOGGING sends "myapp.audit" to it)."""

import logging

import pytest
from django.contrib.auth import get_user_model

from djangotailoring.testing import capture_events, flush_events, immediate_events
from djangotailoring.tracking import EventNames
from djangotailoring.tracking.models import Event

audit = logging.getLogger("myapp.audit")


# The code under test; in a real project it lives in your app.
def withdraw(user):
    audit.info("Participant withdrew", extra={"event_name": EventNames.UserWithdrawn, "user": user})


@pytest.mark.django_db(transaction=True)
def test_withdrawal_is_recorded():
    user = get_user_model().objects.create_user("alice")

    withdraw(user)
    flush_events()

    assert Event.objects.for_user(user).named(EventNames.UserWithdrawn).exists()


@pytest.mark.django_db(transaction=True)
def test_withdrawal_is_recorded_at_once():
    user = get_user_model().objects.create_user("alice")

    with immediate_events():
        withdraw(user)
        assert Event.objects.for_user(user).named(EventNames.UserWithdrawn).exists()


@pytest.mark.django_db(transaction=True)
def test_withdrawal_is_captured():
    user = get_user_model().objects.create_user("alice")

    with capture_events() as events:
        withdraw(user)

    # The block flushed the handlers when it ended.
    assert [(event.name, event.user) for event in events] == [(EventNames.UserWithdrawn, user)]
