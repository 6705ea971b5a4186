"""The PostgreSQL scaling recipes: monthly partitions and an index on a data key.

PostgreSQL's DDL is transactional: the test's transaction rolls the table back afterwards.
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from djangotailoring.tracking import create_event, create_events
from djangotailoring.tracking.models import Event
from tests.docs.docfiles import load

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

recipe = load("recipes/partition_events.py")


def partition_of(event: Event) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM tracking_event WHERE id = %s", [event.pk]
        )
        return str(cursor.fetchone()[0])


@pytest.fixture
def old_event() -> Event:
    moment = datetime.datetime(2024, 3, 15, 12, tzinfo=datetime.timezone.utc)
    return create_event("Before", user=User.objects.create_user("alice"), timestamp=moment)


@pytest.fixture
def partitioned(old_event: Event) -> None:
    recipe["partition_events"](apps, SimpleNamespace(connection=connection))


@pytest.mark.usefixtures("partitioned")
def test_events_table_becomes_partitioned() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE relname = 'tracking_event'")
        assert cursor.fetchone()[0] == "p"


@pytest.mark.usefixtures("partitioned")
def test_existing_events_are_copied_into_their_month(old_event: Event) -> None:
    copied = Event.objects.get(pk=old_event.pk)
    assert (copied.name, copied.user.username) == ("Before", "alice")
    assert partition_of(copied) == "tracking_event_2024_03"


@pytest.mark.usefixtures("partitioned")
def test_new_events_get_fresh_ids_in_the_current_month(old_event: Event) -> None:
    event = create_event("After")
    assert event.pk > old_event.pk
    assert partition_of(event) == f"tracking_event_{timezone.now():%Y_%m}"


@pytest.mark.usefixtures("partitioned")
def test_events_outside_the_months_go_to_the_default_partition() -> None:
    far = datetime.datetime(2001, 1, 1, tzinfo=datetime.timezone.utc)
    [event] = create_events([{"name": "Ancient", "timestamp": far}])
    assert partition_of(event) == "tracking_event_default"


@pytest.mark.usefixtures("partitioned")
def test_indexes_and_foreign_keys_are_recreated() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'tracking_event'")
        indexes = {row[0] for row in cursor.fetchall()}
        cursor.execute(
            "SELECT count(*) FROM pg_constraint "
            "WHERE conrelid = 'tracking_event'::regclass AND contype = 'f'"
        )
        foreign_keys = cursor.fetchone()[0]
    assert {index.name for index in Event._meta.indexes} <= indexes
    assert foreign_keys == 2


@pytest.mark.usefixtures("partitioned")
def test_ensure_partitions_is_idempotent() -> None:
    with connection.cursor() as cursor:
        recipe["ensure_partitions"](cursor, datetime.date(2024, 3, 1))
        cursor.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'tracking_event'::regclass"
        )
        before = cursor.fetchone()[0]
        recipe["ensure_partitions"](cursor, datetime.date(2024, 3, 1))
        cursor.execute(
            "SELECT count(*) FROM pg_inherits WHERE inhparent = 'tracking_event'::regclass"
        )
        assert cursor.fetchone()[0] == before


def test_request_id_index_serves_the_data_lookup() -> None:
    index_recipe = load("recipes/request_id_index.py")
    with connection.cursor() as cursor:
        cursor.execute(index_recipe["CREATE"].replace(" CONCURRENTLY", ""))
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = Event.objects.filter(data__request__id="abc").query.sql_with_params()
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "tracking_event_request_id_idx" in plan
