"""A deleted user's events still say who it was; a forgotten user's say nothing."""

from __future__ import annotations

import json
import logging

import pytest
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from djangotailoring.tracking import EventNames, create_event, create_events
from djangotailoring.tracking.models import Event
from djangotailoring.tracking.privacy import forget_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann() -> User:
    return User.objects.create_user("ann", email="ann@example.com")


def test_deleted_users_events_keep_null_user_and_say_who_it_was(ann: User) -> None:
    pk = ann.pk
    create_event("UserConsented", user=ann, data={"study": 7})
    create_events([{"name": "PageViewed", "user": ann}, {"name": "PageViewed", "user": ann}])
    other = create_event("UserConsented", user=User.objects.create_user("bob"))
    ann.delete()
    events = Event.objects.named("UserConsented", "PageViewed").exclude(pk=other.pk)
    assert events.count() == 3
    for event in events:
        assert event.user_id is None
        assert event.data["user"] == {"pk": pk, "username": "ann"}
    assert Event.objects.get(name="UserConsented", data__study=7).data["study"] == 7
    other.refresh_from_db()
    assert "user" not in other.data
    assert other.user is not None


def test_deleting_users_with_a_queryset_keeps_each_ones_reference(ann: User) -> None:
    bob = User.objects.create_user("bob")
    pks = {"ann": ann.pk, "bob": bob.pk}
    create_events([{"name": "PageViewed", "user": ann}, {"name": "PageViewed", "user": bob}])
    User.objects.filter(username__in=["ann", "bob"]).delete()
    references = sorted(
        (event.data["user"]["username"], event.data["user"]["pk"], event.user_id)
        for event in Event.objects.named("PageViewed")
    )
    assert references == [("ann", pks["ann"], None), ("bob", pks["bob"], None)]


def test_events_are_queryable_by_the_deleted_users_reference(ann: User) -> None:
    pk = ann.pk
    create_event("UserConsented", user=ann)
    ann.delete()
    assert Event.objects.filter(data__user__pk=pk, data__user__username="ann").count() == 1


def test_deleting_a_user_with_many_events_is_two_updates_and_loads_no_event(ann: User) -> None:
    create_events([{"name": "PageViewed", "user": ann}] * 50)
    with CaptureQueriesContext(connection) as queries:
        ann.delete()
    events = [q["sql"] for q in queries if "tracking_event" in q["sql"]]
    # Ours (reference and NULL user), then Django's SET NULL, which finds no row left.
    assert len(events) == 2, events
    assert all(sql.lstrip().upper().startswith("UPDATE") for sql in events)
    assert Event.objects.filter(data__user__username="ann", user=None).count() == 50


def test_deleting_a_user_inside_a_rolled_back_transaction_changes_no_event(ann: User) -> None:
    pk = ann.pk
    event = create_event("UserConsented", user=ann)
    with pytest.raises(RuntimeError), transaction.atomic():
        ann.delete()
        raise RuntimeError
    event.refresh_from_db()
    assert event.user_id == pk
    assert "user" not in event.data


def test_a_failing_update_never_stops_the_deletion(
    ann: User, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from djangotailoring.tracking import deletedusers

    def broken(user: User) -> dict[str, object]:
        raise RuntimeError("broken")

    monkeypatch.setattr(deletedusers, "user_reference", broken)
    create_event("UserConsented", user=ann)
    with caplog.at_level(logging.ERROR, logger="djangotailoring.tracking"):
        ann.delete()
    assert not User.objects.filter(username="ann").exists()
    assert Event.objects.get(name="UserConsented").user_id is None
    assert "Could not keep the user's reference" in caplog.text


def _mentions(event: Event, user_pk: int) -> bool:
    text = json.dumps(event.data) + event.note
    return (
        "ann" in text
        or event.user_id == user_pk
        or (event.related_object_id == str(user_pk) and event.related_content_type_id is not None)
        or "user" in event.data
    )


@pytest.mark.parametrize("delete_afterwards", [False, True])
@pytest.mark.parametrize("mode", ["anonymise", "delete"])
def test_after_forget_user_no_event_says_who_it_was(
    ann: User, mode: str, delete_afterwards: bool
) -> None:
    pk = ann.pk
    create_event("UserConsented", user=ann, note="ann agreed", data={"by": "ann@example.com"})
    create_event("ProfileViewed", related_object=ann)
    create_event(EventNames.UserLoginFailed, data={"username": "ann"})
    kept = create_event("Unrelated", note="someone else")
    forget_user(ann, mode=mode)  # type: ignore[arg-type]
    if delete_afterwards:
        ann.delete()
    events = list(Event.objects.all())
    assert kept.pk in {event.pk for event in events}
    assert [event for event in events if _mentions(event, pk)] == []
