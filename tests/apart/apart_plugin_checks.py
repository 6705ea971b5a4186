"""The pytest plugin's ``captured_events`` with Events on a database of their own.

Run with ``tests/apart/apart_checks.py`` by ``tests/tracking/test_tracking_database.py``. No
mark here opens the events' database: the fixture does.
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.db import transaction

from djangotailoring.tracking import create_event
from djangotailoring.tracking.models import Event

pytestmark = pytest.mark.skipif(
    getattr(settings, "TRACKING_DATABASE", None) is None,
    reason="needs DJANGOTAILORING_TEST_EVENTS_DB (tests/tracking/test_tracking_database.py)",
)


def test_captured_events_opens_the_events_database(captured_events: list[Event]) -> None:
    create_event("Captured")
    assert [event.name for event in captured_events] == ["Captured"]
    assert captured_events[0]._state.db == "events"


@pytest.mark.django_db(transaction=True)
def test_captured_events_in_a_transactional_test(captured_events: list[Event]) -> None:
    with transaction.atomic():
        create_event("InAtomic")
    assert [event.name for event in captured_events] == ["InAtomic"]
