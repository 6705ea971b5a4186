"""``EventsRouter``'s rules, in this process (the layouts themselves run in
``tests/tracking/test_tracking_database.py``): the setting is read at each call."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import router
from django.test import override_settings

from djangotailoring.tracking import routing
from djangotailoring.tracking.models import Event, WrittenBatch
from djangotailoring.tracking.routing import EventsRouter

apart = override_settings(TRACKING_DATABASE="events")


class UsersRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        assert "instance" not in hints
        return "users" if model._meta.app_label == "auth" else None


def test_without_the_setting_it_answers_nothing() -> None:
    events_router = EventsRouter()
    assert events_router.db_for_read(Event) is None
    assert events_router.db_for_write(Event, instance=Event()) is None
    assert events_router.allow_relation(Event(), User()) is None
    assert events_router.allow_migrate("default", "tracking") is None


@apart
def test_events_go_to_their_database_and_nothing_else_migrates_there() -> None:
    events_router = EventsRouter()
    assert events_router.db_for_read(Event) == "events"
    assert events_router.db_for_write(WrittenBatch) == "events"
    assert events_router.db_for_read(User) is None
    assert events_router.allow_migrate("events", "tracking", model_name="event") is True
    assert events_router.allow_migrate("default", "tracking") is False
    assert events_router.allow_migrate("events", "auth") is False
    assert events_router.allow_migrate("default", "auth") is None
    assert events_router.allow_relation(Event(), User()) is True
    assert events_router.allow_relation(User(), User()) is None


@override_settings(TRACKING_DATABASE="default")
def test_events_on_default_leave_the_other_apps_migrating_there() -> None:
    assert EventsRouter().allow_migrate("default", "auth") is None
    assert EventsRouter().allow_migrate("default", "tracking") is True


@apart
def test_a_user_reached_from_an_event_goes_where_the_other_routers_send_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events_router = EventsRouter()
    event = Event()
    monkeypatch.setattr(router, "routers", [events_router, object(), UsersRouter()])
    assert events_router.db_for_read(User, instance=event) == "users"
    monkeypatch.setattr(router, "routers", [events_router])
    assert events_router.db_for_write(User, instance=event) == "default"
    # Not reached from an Event: the Event router has no say.
    assert events_router.db_for_read(User, instance=User()) is None


@apart
def test_the_wrapped_router_asks_events_router_first_unless_it_is_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def rest(model: Any, **hints: Any) -> str:
        return "rest"

    first = routing._first(EventsRouter(), "db_for_read", rest)
    monkeypatch.setattr(router, "routers", [])
    assert first(Event) == "events"
    assert first(User) == "rest"
    # Listed in DATABASE_ROUTERS: Django's chain (here ``rest``) decides, in its order.
    monkeypatch.setattr(router, "routers", [UsersRouter(), EventsRouter()])
    assert first(Event) == "rest"


def test_a_changed_setting_installs_the_router(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(routing, "install", lambda **kwargs: calls.append("install"))
    routing._settings_changed("DATABASE_ROUTERS")
    routing._settings_changed("TRACKING_DATABASE")
    assert calls == ["install"]
