"""Loaded Events are built without ``Model.__init__``, and nobody can tell the difference."""

from __future__ import annotations

from typing import Any

import django
import pytest
from django.contrib.auth.models import User
from django.db import models
from django.db.models.signals import post_init, pre_init
from django.test.utils import isolate_apps

from djangotailoring.tracking import loading
from djangotailoring.tracking.models import Event
from tests.testapp.models import IntTarget

pytestmark = pytest.mark.django_db


def _django_built(event: Event) -> Event:
    """The same row, built the way Django builds it (``cls(*values)``)."""
    values = [getattr(event, field.attname) for field in Event._meta.concrete_fields]
    return models.Model.from_db.__func__(Event, event._state.db, None, values)  # type: ignore[attr-defined,no-any-return]


@pytest.fixture
def stored() -> Event:
    user = User.objects.create_user("ada")
    target = IntTarget.objects.create(label="t")
    Event.objects.create(
        name="Loaded", user=user, related_object=target, note="n", data={"k": [1, 2.5, None]}
    )
    return Event.objects.get()


def test_a_loaded_event_is_the_instance_django_would_build(stored: Event) -> None:
    assert loading.fast_path_applies(Event, len(Event._meta.concrete_fields))
    built = _django_built(stored)
    assert {k: v for k, v in vars(stored).items() if k != "_state"} == {
        k: v for k, v in vars(built).items() if k != "_state"
    }
    assert stored._state.adding is False
    assert built._state.adding is False
    assert stored._state.db == built._state.db == "default"
    assert stored == built
    assert hash(stored) == hash(built)


def test_a_loaded_event_behaves_as_loaded(stored: Event) -> None:
    assert stored.user is not None
    assert stored.user.username == "ada"
    assert stored.related_object is not None
    assert stored.related_object.label == "t"
    stored.note = "changed"
    stored.save()  # an UPDATE of the row: _state.adding is False
    assert Event.objects.count() == 1
    assert Event.objects.get().note == "changed"
    stored.refresh_from_db()
    assert stored.note == "changed"
    assert stored.get_deferred_fields() == set()


def test_select_related_fills_the_cache(stored: Event, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        event = Event.objects.select_related("user").get()
        assert event.user is not None
        assert event.user.username == "ada"


def test_deferred_fields_fall_back_to_django(stored: Event, django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(1):
        event = Event.objects.only("name").get()
    assert event.get_deferred_fields() == {
        f.attname for f in Event._meta.concrete_fields if f.name not in ("id", "name")
    }
    with django_assert_num_queries(1):
        assert event.data == {"k": [1, 2.5, None]}


@pytest.mark.parametrize("signal", [pre_init, post_init])
def test_init_receivers_still_run_for_every_row(stored: Event, signal: Any) -> None:
    Event.objects.create(name="Second")
    seen: list[Any] = []

    def receiver(sender: Any, **kwargs: Any) -> None:
        seen.append(kwargs.get("instance", kwargs.get("args")))

    signal.connect(receiver, sender=Event)
    try:
        assert not loading.fast_path_applies(Event, len(Event._meta.concrete_fields))
        events = list(Event.objects.all())
    finally:
        signal.disconnect(receiver, sender=Event)
    assert len(events) == 2
    assert len(seen) == 2
    if signal is post_init:
        assert seen == events
    assert loading.fast_path_applies(Event, len(Event._meta.concrete_fields))


@isolate_apps("djangotailoring.tracking")
def test_a_proxy_with_its_own_init_is_built_by_it(stored: Event) -> None:
    class CountingEvent(Event):
        built = 0

        class Meta:
            proxy = True
            app_label = "tracking"

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            type(self).built += 1
            super().__init__(*args, **kwargs)

    assert not loading.fast_path_applies(CountingEvent, len(Event._meta.concrete_fields))
    (event,) = CountingEvent.objects.all()
    assert CountingEvent.built == 1
    assert isinstance(event, CountingEvent)
    assert event.name == "Loaded"


def test_lists_of_events_load_fast_and_right() -> None:
    Event.objects.bulk_create([Event(name=f"E{i}", data={"i": i}) for i in range(50)])
    events = list(Event.objects.order_by("id"))
    assert [event.data["i"] for event in events] == list(range(50))
    assert all(not event._state.adding and event._state.db == "default" for event in events)


@pytest.mark.skipif(django.VERSION < (6, 1), reason="QuerySet.fetch_mode() is Django 6.1's")
def test_the_fetch_mode_of_django_6_1_is_kept(
    stored: Event, django_assert_num_queries: Any
) -> None:
    from django.db.models import FETCH_PEERS  # type: ignore[attr-defined,unused-ignore]

    Event.objects.create(name="Second", user=stored.user)
    events = list(Event.objects.fetch_mode(FETCH_PEERS).order_by("id"))  # type: ignore[attr-defined,unused-ignore]
    assert [event._state.fetch_mode for event in events] == [FETCH_PEERS, FETCH_PEERS]
    with django_assert_num_queries(1):  # the users of both events, in one query
        assert [event.user.username for event in events] == ["ada", "ada"]  # type: ignore[union-attr]


def test_loading_a_list_calls_no_init(stored: Event, monkeypatch: pytest.MonkeyPatch) -> None:
    Event.objects.bulk_create(Event(name=f"E{i}") for i in range(9))
    calls: list[type] = []
    django_init = models.Model.__init__

    def counting_init(self: models.Model, *args: Any, **kwargs: Any) -> None:
        calls.append(type(self))
        django_init(self, *args, **kwargs)

    monkeypatch.setattr(models.Model, "__init__", counting_init)
    events = list(Event.objects.all())
    assert len(events) == 10
    assert calls == []  # built by the fast path
    list(Event.objects.only("name"))  # deferred fields: Django's own from_db
    assert calls == [Event] * 10
