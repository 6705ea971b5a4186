from __future__ import annotations

import datetime

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import AnonymousUser, User
from django.db import connection, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from djangotailoring.tracking import (
    EventNames,
    InvalidEventError,
    acreate_event,
    create_event,
    create_events,
)
from djangotailoring.tracking.models import Event
from tests.testapp.models import IntTarget, StrTarget, UUIDTarget

pytestmark = pytest.mark.django_db


@pytest.fixture
def user() -> User:
    return User.objects.create_user("alice", password="pw")


@pytest.fixture
def request_for(rf: RequestFactory):  # type: ignore[no-untyped-def]
    def make(user: object = None, path: str = "/somewhere/") -> object:
        request = rf.get(path)
        request.user = user if user is not None else AnonymousUser()
        return request

    return make


def inserts(queries: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"] for q in queries.captured_queries if q["sql"].lstrip().upper().startswith("INSERT")
    ]


def test_returns_saved_event(user: User) -> None:
    event = create_event(EventNames.UserConsented, user=user, note="yes")
    assert event.pk is not None
    stored = Event.objects.get(pk=event.pk)
    assert (stored.name, stored.user, stored.note) == ("UserConsented", user, "yes")


def test_user_taken_from_authenticated_request(user: User, request_for) -> None:  # type: ignore[no-untyped-def]
    event = create_event("Viewed", request_for(user))
    assert event.user == user


def test_anonymous_request_user_is_stored_as_no_user(request_for) -> None:  # type: ignore[no-untyped-def]
    event = create_event("Viewed", request_for())
    assert event.user is None


def test_explicit_anonymous_user_is_stored_as_no_user() -> None:
    assert create_event("Viewed", user=AnonymousUser()).user is None


def test_explicit_user_wins_over_request_user(user: User, request_for) -> None:  # type: ignore[no-untyped-def]
    other = User.objects.create_user("bob")
    assert create_event("Viewed", request_for(user), user=other).user == other


def test_note_defaults_to_request_path(request_for) -> None:  # type: ignore[no-untyped-def]
    assert create_event("Viewed", request_for(path="/a/b/")).note == "/a/b/"


def test_long_request_path_is_cut_to_fit_the_note(request_for) -> None:  # type: ignore[no-untyped-def]
    event = create_event("Viewed", request_for(path="/" + "p" * 400))
    event.refresh_from_db()
    assert len(event.note) == 255
    assert event.note.startswith("/ppp")


def test_note_defaults_to_empty_without_request() -> None:
    assert create_event("Plain").note == ""


def test_request_context_is_stored_in_data(request_for) -> None:  # type: ignore[no-untyped-def]
    event = create_event("Viewed", request_for(path="/ctx/"))
    event.refresh_from_db()
    assert event.data["request"] == {
        "id": None,
        "method": "GET",
        "path": "/ctx/",
        "remote_addr": "127.0.0.1",
    }


@pytest.mark.parametrize("model", [IntTarget, UUIDTarget])
def test_related_object_is_linked_and_described(model: type) -> None:
    target = model.objects.create(label="x")
    event = create_event("Linked", related_object=target)
    event.refresh_from_db()
    assert event.related_object == target
    assert event.data["related_object"] == str(target)


def test_related_object_with_string_key() -> None:
    target = StrTarget.objects.create(id="abc")
    assert create_event("Linked", related_object=target).related_object == target


def test_explicit_data_is_stored_json_safe() -> None:
    moment = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    event = create_event("WithData", data={"score": 3, "when": moment, "obj": object})
    event.refresh_from_db()
    assert event.data["score"] == 3
    assert event.data["when"] == "2020-01-01T00:00:00+00:00"
    assert event.data["obj"] == "<class 'object'>"


def test_explicit_timestamp_is_kept() -> None:
    moment = timezone.now() - datetime.timedelta(days=3)
    assert Event.objects.get(pk=create_event("Old", timestamp=moment).pk).timestamp == moment


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"name": None}, ValueError),
        ({"name": ""}, ValueError),
        ({"name": "   "}, ValueError),
        ({"name": "n" * 101}, ValueError),
        ({"name": 42}, TypeError),
        ({"name": "ok", "note": "n" * 256}, ValueError),
        ({"name": "ok", "note": 5}, TypeError),
        ({"name": "ok", "related_object": object()}, TypeError),
        ({"name": "ok", "related_object": "a string"}, TypeError),
        ({"name": "ok", "related_object": IntTarget(label="unsaved")}, ValueError),
        ({"name": "ok", "user": User(username="unsaved")}, ValueError),
        ({"name": "ok", "user": "alice"}, TypeError),
        ({"name": "ok", "timestamp": "2020-01-01"}, TypeError),
        ({"name": "ok", "timestamp": datetime.datetime(2020, 1, 1)}, ValueError),
        ({"name": "ok", "data": ["not", "a", "mapping"]}, TypeError),
    ],
)
def test_bad_input_is_a_clear_error_and_saves_nothing(kwargs: dict, error: type) -> None:
    with pytest.raises(error) as info:
        create_event(**kwargs)
    assert isinstance(info.value, InvalidEventError)
    assert isinstance(info.value, ValueError)
    assert str(info.value)
    assert not Event.objects.exists()


def test_bad_input_errors_are_both_value_and_type_errors() -> None:
    with pytest.raises(ValueError):
        create_event("ok", related_object=object())  # type: ignore[arg-type]


def test_name_of_exactly_100_characters_is_accepted() -> None:
    assert create_event("n" * 100).name == "n" * 100


def test_nul_in_name_is_replaced_and_original_kept() -> None:
    event = create_event("bad\x00name")
    event.refresh_from_db()
    assert event.name == "bad\ufffdname"
    assert event.data["original"]["name"] == "bad\\u0000name"


def test_exactly_one_insert_on_a_warm_process(user: User, request_for) -> None:  # type: ignore[no-untyped-def]
    target = IntTarget.objects.create()
    request = request_for(user)
    create_event("Warmup", request, related_object=target)
    with CaptureQueriesContext(connection) as queries:
        create_event("Counted", request, related_object=target, note="n")
    statements = [q["sql"] for q in queries.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    assert len(statements) == 1, statements
    assert len(inserts(queries)) == 1


def test_rolled_back_with_the_transaction() -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        create_event("Doomed")
        raise RuntimeError("roll back")
    assert not Event.objects.filter(name="Doomed").exists()


def test_acreate_event_saves_with_request_user(user: User, request_for) -> None:  # type: ignore[no-untyped-def]
    request = request_for(user)

    async def auser() -> User:
        return user

    request.auser = auser
    event = async_to_sync(acreate_event)("Async", request)
    assert Event.objects.get(pk=event.pk).user == user


def test_acreate_event_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        async_to_sync(acreate_event)("")
    assert not Event.objects.exists()


def test_create_events_uses_one_multi_row_insert(user: User) -> None:
    target = IntTarget.objects.create()
    create_event("Warmup", related_object=target)
    specs = [{"name": f"Bulk{i}", "user": user, "related_object": target} for i in range(25)]
    with CaptureQueriesContext(connection) as queries:
        events = create_events(specs)
    assert len(inserts(queries)) == 1
    assert len(events) == 25
    assert Event.objects.filter(name__startswith="Bulk").count() == 25


def test_create_events_validates_everything_before_saving() -> None:
    with pytest.raises(ValueError):
        create_events([{"name": "Good"}, {"name": ""}])
    assert not Event.objects.exists()


def test_create_events_rejects_non_mappings() -> None:
    with pytest.raises(TypeError):
        create_events(["Good"])  # type: ignore[list-item]


def test_create_events_rejects_unknown_arguments() -> None:
    with pytest.raises(TypeError):
        create_events([{"name": "Good", "colour": "red"}])


def test_create_events_of_nothing_saves_nothing() -> None:
    assert create_events([]) == []


def test_acreate_event_takes_request_user_without_auser(user: User, request_for) -> None:  # type: ignore[no-untyped-def]
    request = request_for(user)
    assert not hasattr(request, "auser")
    event = async_to_sync(acreate_event)("Async", request)
    assert Event.objects.get(pk=event.pk).user == user


def test_acreate_event_never_touches_the_database_on_the_event_loop(
    user: User, request_for, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    def queries_in_str(self: IntTarget) -> str:
        return f"target owned by {User.objects.get(pk=user.pk).username}"

    monkeypatch.setattr(IntTarget, "__str__", queries_in_str)
    target = IntTarget.objects.create(label="q")
    event = async_to_sync(acreate_event)("Async", request_for(user), related_object=target)
    assert Event.objects.get(pk=event.pk).data["related_object"] == "target owned by alice"
