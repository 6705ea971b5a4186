from __future__ import annotations

import datetime
import uuid

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from djangotailoring.tracking.models import Event
from tests.testapp.models import BigIntTarget, IntTarget, StrTarget, UUIDTarget

pytestmark = pytest.mark.django_db


def make_target(kind: str) -> IntTarget | BigIntTarget | UUIDTarget | StrTarget:
    if kind == "int":
        return IntTarget.objects.create(label="a")
    if kind == "bigint":
        return BigIntTarget.objects.create(label="b")
    if kind == "uuid":
        return UUIDTarget.objects.create(label="u")
    return StrTarget.objects.create(id="key-Ä/1", label="s")


KINDS = ["int", "bigint", "uuid", "str"]


def test_defaults() -> None:
    before = timezone.now()
    event = Event.objects.create(name="Thing")
    event.refresh_from_db()
    assert event.user is None
    assert event.note == ""
    assert event.data == {}
    assert event.related_object is None
    assert before <= event.timestamp <= timezone.now()
    assert timezone.is_aware(event.timestamp)


def test_timestamp_can_be_set_explicitly_for_backfills() -> None:
    moment = datetime.datetime(2001, 2, 3, 4, 5, 6, tzinfo=datetime.timezone.utc)
    event = Event.objects.create(name="Old", timestamp=moment)
    event.refresh_from_db()
    assert event.timestamp == moment


def test_primary_key_is_64_bit() -> None:
    assert Event._meta.pk.get_internal_type() == "BigAutoField"


@pytest.mark.parametrize("kind", KINDS)
def test_related_object_round_trips(kind: str) -> None:
    target = make_target(kind)
    event = Event.objects.create(name="Linked", related_object=target)
    fetched = Event.objects.get(pk=event.pk)
    assert fetched.related_object == target


@pytest.mark.parametrize("kind", KINDS)
def test_events_related_to_finds_exactly_that_object(kind: str) -> None:
    target = make_target(kind)
    other = make_target(kind) if kind != "str" else StrTarget.objects.create(id="other")
    mine = Event.objects.create(name="Mine", related_object=target)
    Event.objects.create(name="Other", related_object=other)
    assert list(Event.events_related_to(target)) == [mine]
    assert list(Event.objects.related_to(target)) == [mine]


def test_same_id_in_another_model_does_not_match() -> None:
    int_target = IntTarget.objects.create(id=7)
    big_target = BigIntTarget.objects.create(id=7)
    mine = Event.objects.create(name="Mine", related_object=int_target)
    Event.objects.create(name="Theirs", related_object=big_target)
    assert list(Event.events_related_to(int_target)) == [mine]


@pytest.mark.parametrize("kind", KINDS)
def test_generic_relation_reverse_access(kind: str) -> None:
    target = make_target(kind)
    event = Event.objects.create(name="Reverse", related_object=target)
    Event.objects.create(name="Unrelated")
    assert list(target.events.all()) == [event]


@pytest.mark.parametrize("kind", KINDS)
def test_generic_relation_filtering_joins_on_every_backend(kind: str) -> None:
    target = make_target(kind)
    make_target(kind) if kind != "str" else StrTarget.objects.create(id="x2")
    Event.objects.create(name="Joined", related_object=target)
    model = type(target)
    assert list(model.objects.filter(events__name="Joined")) == [target]
    assert not model.objects.filter(events__name="Missing").exists()


def test_uuid_related_object_id_matches_the_target_column_format() -> None:
    target = UUIDTarget.objects.create(id=uuid.UUID("12345678-1234-5678-1234-567812345678"))
    event = Event.objects.create(name="U", related_object=target)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT related_object_id FROM {Event._meta.db_table} WHERE id = %s", [event.pk]
        )
        (stored,) = cursor.fetchone()
    if connection.features.has_native_uuid_field:
        assert stored == "12345678-1234-5678-1234-567812345678"
    else:
        assert stored == "12345678123456781234567812345678"


def test_deleting_related_object_keeps_events() -> None:
    target = IntTarget.objects.create(label="gone")
    event = Event.objects.create(
        name="Keep", related_object=target, data={"related_object": str(target)}
    )
    target.delete()
    event.refresh_from_db()
    assert event.related_object is None
    assert event.data["related_object"] == "IntTarget gone"


def test_deleting_user_keeps_events_with_null_user() -> None:
    user = User.objects.create_user("leaving")
    event = Event.objects.create(name="Bye", user=user)
    user.delete()
    event.refresh_from_db()
    assert event.user is None


def test_default_ordering_is_newest_first_with_stable_tie_break() -> None:
    moment = timezone.now()
    first = Event.objects.create(name="A", timestamp=moment)
    second = Event.objects.create(name="B", timestamp=moment)
    older = Event.objects.create(name="C", timestamp=moment - datetime.timedelta(seconds=1))
    assert list(Event.objects.all()) == [second, first, older]


def test_str_names_event_and_time() -> None:
    event = Event(name="Shown", timestamp=datetime.datetime(2020, 1, 2, 3, 4, 5))
    assert str(event) == "Shown @ 2020-01-02 03:04:05"


def test_request_attribute_is_not_persisted() -> None:
    event = Event(name="WithRequest")
    event.request = object()  # type: ignore[assignment]
    event.save()
    assert (
        not hasattr(Event.objects.get(pk=event.pk), "request")
        or Event.objects.get(pk=event.pk).request is None
    )


def test_indexes_cover_documented_queries() -> None:
    indexed = {tuple(index.fields) for index in Event._meta.indexes}
    assert ("related_content_type", "related_object_id") in indexed
    assert ("user", "name", "timestamp") in indexed
    assert ("name", "timestamp") in indexed
