"""``retention.prune_events``: the function behind ``manage.py prune_events``."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from djangotailoring.tracking.models import Event
from djangotailoring.tracking.retention import delete_in_batches, prunable_events, prune_events

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
