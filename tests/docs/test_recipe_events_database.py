"""The separate-alias recipe: Events through a connection of their own to the same database.

The "events" alias is added while this module runs: a copy of the test database's settings
with the recipe's connection settings (its PostgreSQL ``OPTIONS`` only on PostgreSQL). Tests
that request ``events_router`` have the recipe's router installed.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.db import IntegrityError, connection, connections, router, transaction
from django.test.utils import CaptureQueriesContext

from djangotailoring.tracking import EventNames, create_event
from djangotailoring.tracking.models import Event
from tests.docs.conftest import ApplyLogging
from tests.docs.docfiles import load

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "events"])

recipe = load("recipes/events_database.py")
EventsRouter = load("recipes/events_router.py")["EventsRouter"]


def _events_alias_settings() -> dict[str, Any]:
    wanted = recipe["DATABASES"]["events"]
    alias = copy.deepcopy(connections["default"].settings_dict)
    for key in ("ATOMIC_REQUESTS", "CONN_MAX_AGE", "TEST"):
        alias[key] = wanted[key]
    if connection.vendor == "postgresql":
        alias["OPTIONS"] = {**alias["OPTIONS"], **wanted["OPTIONS"]}
    return alias


@pytest.fixture(scope="module", autouse=True)
def _events_alias(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The "events" alias, there from before each test's database setup until after its flush."""
    connections.settings["events"] = _events_alias_settings()
    yield
    with django_db_blocker.unblock():
        connections["events"].close()
    del connections["events"]
    del connections.settings["events"]


@pytest.fixture
def events_router(settings: Any) -> None:
    """The recipe's router installed."""
    settings.DATABASE_ROUTERS = [EventsRouter()]


def test_recipe_differs_from_default_only_in_connection_settings() -> None:
    default, events = recipe["DATABASES"]["default"], recipe["DATABASES"]["events"]
    for key in ("ENGINE", "NAME", "USER", "HOST", "PORT"):
        assert events[key] == default[key]
    assert events["TEST"] == {"MIRROR": "default"}
    assert recipe["LOGGING"]["handlers"]["events_db"]["using"] == "events"


def test_events_are_written_through_the_events_connection(events_router: None) -> None:
    alice = User.objects.create_user("alice")
    with (
        CaptureQueriesContext(connections["events"]) as on_events,
        CaptureQueriesContext(connections["default"]) as on_default,
    ):
        event = create_event(EventNames.UserConsented, user=alice)
    assert event._state.db == "events"
    assert [query["sql"].split()[0] for query in on_events.captured_queries] == ["INSERT"]
    assert on_default.captured_queries == []


def test_events_read_through_the_events_connection_reach_their_users(events_router: None) -> None:
    alice = User.objects.create_user("alice")
    create_event(EventNames.UserConsented, user=alice)
    with CaptureQueriesContext(connections["events"]) as on_events:
        event = Event.objects.for_user(alice).get()
    assert len(on_events.captured_queries) == 1
    assert event.user == alice


def test_migrations_run_through_default_only(events_router: None) -> None:
    assert router.allow_migrate("default", "tracking", model_name="event")
    assert not router.allow_migrate("events", "tracking", model_name="event")
    assert not router.allow_migrate("events", "auth", model_name="user")


def test_event_handler_writes_through_the_events_alias(
    events_router: None, apply_logging: ApplyLogging
) -> None:
    [handler] = apply_logging(recipe["LOGGING"])
    alice = User.objects.create_user("alice")
    logging.getLogger("myapp.audit").info("Consented", extra={"user": alice})
    handler.flush()
    assert handler.using == "events"
    assert Event.objects.get().user == alice
    assert handler.stats.persisted == 1


def test_event_is_not_rolled_back_with_the_default_transaction(events_router: None) -> None:
    alice = User.objects.create_user("alice")
    with pytest.raises(RuntimeError), transaction.atomic():
        create_event(EventNames.UserConsented, user=alice)
        raise RuntimeError("the view failed")
    assert Event.objects.named(EventNames.UserConsented).count() == 1


def test_event_about_a_new_user_is_recorded_once_the_user_is_committed(
    events_router: None,
) -> None:
    with transaction.atomic():
        alice = User.objects.create_user("alice")
        transaction.on_commit(lambda: create_event(EventNames.UserCreated, user=alice))
    assert Event.objects.named(EventNames.UserCreated).get().user == alice


@pytest.mark.postgres
def test_event_about_an_uncommitted_user_is_refused(events_router: None) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        alice = User.objects.create_user("alice")
        create_event(EventNames.UserCreated, user=alice)


@pytest.mark.postgres
def test_events_connection_commits_without_waiting_for_the_disk(events_router: None) -> None:
    def synchronous_commit(alias: str) -> str:
        with connections[alias].cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            value: str = cursor.fetchone()[0]
        return value

    assert synchronous_commit("events") == "off"
    assert synchronous_commit("default") == "on"
