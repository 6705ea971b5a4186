from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.utils import timezone

from djangotailoring.tracking.models import Event
from tests.testapp.models import IntTarget

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2024, 5, 1, 12, 0, tzinfo=datetime.timezone.utc)


def at(minutes: int) -> datetime.datetime:
    return T0 + datetime.timedelta(minutes=minutes)


@pytest.fixture
def users() -> tuple[User, User]:
    return User.objects.create_user("u1"), User.objects.create_user("u2")


def test_for_user(users: tuple[User, User]) -> None:
    u1, u2 = users
    mine = Event.objects.create(name="A", user=u1)
    Event.objects.create(name="A", user=u2)
    Event.objects.create(name="A")
    assert list(Event.objects.for_user(u1)) == [mine]
    assert list(Event.objects.for_user(u1.pk)) == [mine]


def test_for_anonymous_user_means_no_user(users: tuple[User, User]) -> None:
    Event.objects.create(name="A", user=users[0])
    nobody = Event.objects.create(name="A")
    assert list(Event.objects.for_user(AnonymousUser())) == [nobody]
    assert list(Event.objects.for_user(None)) == [nobody]


def test_named_with_one_and_many_names() -> None:
    a = Event.objects.create(name="A", timestamp=at(1))
    b = Event.objects.create(name="B", timestamp=at(2))
    Event.objects.create(name="C", timestamp=at(3))
    assert list(Event.objects.named("A")) == [a]
    assert list(Event.objects.named("A", "B")) == [b, a]


def test_between_is_inclusive_at_both_ends() -> None:
    before = Event.objects.create(name="X", timestamp=at(0))
    start = Event.objects.create(name="X", timestamp=at(1))
    middle = Event.objects.create(name="X", timestamp=at(2))
    end = Event.objects.create(name="X", timestamp=at(3))
    Event.objects.create(name="X", timestamp=at(4))
    assert list(Event.objects.between(at(1), at(3))) == [end, middle, start]
    assert before not in Event.objects.between(at(1), at(3))


def test_since_is_inclusive() -> None:
    Event.objects.create(name="X", timestamp=at(0))
    edge = Event.objects.create(name="X", timestamp=at(1))
    later = Event.objects.create(name="X", timestamp=at(2))
    assert list(Event.objects.since(at(1))) == [later, edge]


def test_verbs_chain_with_each_other_and_filter(users: tuple[User, User]) -> None:
    u1, _ = users
    target = IntTarget.objects.create()
    wanted = Event.objects.create(
        name="A", user=u1, related_object=target, note="x", timestamp=at(5)
    )
    Event.objects.create(name="A", user=u1, related_object=target, note="y", timestamp=at(5))
    Event.objects.create(name="B", user=u1, related_object=target, note="x", timestamp=at(5))
    Event.objects.create(name="A", user=u1, note="x", timestamp=at(5))
    Event.objects.create(name="A", user=u1, related_object=target, note="x", timestamp=at(-5))
    found = (
        Event.objects.filter(note="x")
        .related_to(target)
        .for_user(u1)
        .named("A")
        .since(at(0))
        .between(at(0), at(10))
    )
    assert list(found) == [wanted]


def test_latest_uses_timestamp_then_id(users: tuple[User, User]) -> None:
    u1, _ = users
    Event.objects.create(name="A", user=u1, timestamp=at(1))
    last = Event.objects.create(name="A", user=u1, timestamp=at(2))
    assert Event.objects.for_user(u1).named("A").latest() == last


def test_since_with_aware_now() -> None:
    recent = Event.objects.create(name="Now")
    assert recent in Event.objects.since(timezone.now() - datetime.timedelta(minutes=1))
