"""Forgetting a user: their events, events about them and failed logins as them."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from djangotailoring.tracking.models import Event
from djangotailoring.tracking.privacy import (
    FORGOTTEN,
    anonymise_data,
    events_of_user,
    forget_user,
)
from tests.testapp.models import IntTarget

pytestmark = pytest.mark.django_db

REQUEST = {"id": "r1", "method": "GET", "path": "/profile/carol/", "remote_addr": "203.0.113.9"}


@pytest.fixture
def carol() -> User:
    return User.objects.create_user("carol", "carol@example.com", first_name="Carol")


@pytest.fixture
def admin() -> User:
    return User.objects.create_user("root")


@pytest.fixture
def scene(carol: User, admin: User) -> dict[str, Event]:
    study = IntTarget.objects.create(label="study")
    return {
        "own": Event.objects.create(
            name="UserConsented",
            user=carol,
            note="carol consented",
            related_object=study,
            data={
                "request": REQUEST,
                "related_object": str(study),
                "extra": {"by": "Carol", "mail": ["carol@example.com"]},
            },
        ),
        "about": Event.objects.create(
            name="UserActivated",
            user=admin,
            related_object=carol,
            data={"related_object": "carol", "reason": "activated carol by hand"},
        ),
        "failed": Event.objects.create(name="UserLoginFailed", data={"username": "carol"}),
        "other_failed": Event.objects.create(name="UserLoginFailed", data={"username": "dave"}),
        "admins": Event.objects.create(name="UserLoggedIn", user=admin),
        "unrelated": Event.objects.create(name="PageViewed", related_object=study),
    }


def test_events_of_user_are_own_about_and_failed_logins(
    carol: User, scene: dict[str, Event]
) -> None:
    found = set(events_of_user(carol))
    assert found == {scene["own"], scene["about"], scene["failed"]}


def test_delete_removes_exactly_the_events_of_the_user(
    carol: User, scene: dict[str, Event]
) -> None:
    assert forget_user(carol) == 3
    assert set(Event.objects.all()) == {scene["other_failed"], scene["admins"], scene["unrelated"]}
    assert User.objects.filter(pk=carol.pk).exists()


def test_delete_works_in_small_batches(carol: User) -> None:
    Event.objects.bulk_create(Event(name="Mine", user=carol) for _ in range(7))
    assert forget_user(carol, "delete", batch_size=2) == 7
    assert not Event.objects.exists()


def reload(event: Event) -> Event:
    return Event.objects.get(pk=event.pk)


def test_anonymise_keeps_the_events_and_returns_how_many(
    carol: User, scene: dict[str, Event]
) -> None:
    assert forget_user(carol, mode="anonymise") == 3
    assert Event.objects.count() == len(scene)
    assert not events_of_user(carol).exists()


def test_anonymise_clears_the_user_of_own_events(carol: User, scene: dict[str, Event]) -> None:
    forget_user(carol, mode="anonymise")
    own = reload(scene["own"])
    assert own.user is None
    assert own.name == "UserConsented"
    assert own.timestamp == scene["own"].timestamp


def test_anonymise_keeps_other_related_objects_of_own_events(
    carol: User, scene: dict[str, Event]
) -> None:
    forget_user(carol, mode="anonymise")
    own = reload(scene["own"])
    assert own.related_object == scene["own"].related_object
    assert own.data["related_object"] == "IntTarget study"


def test_anonymise_scrubs_username_traces_from_note_and_data(
    carol: User, scene: dict[str, Event]
) -> None:
    forget_user(carol, mode="anonymise")
    own = reload(scene["own"])
    assert own.note == f"{FORGOTTEN} consented"
    assert own.data["extra"] == {"by": FORGOTTEN, "mail": [FORGOTTEN]}
    assert own.data["request"]["path"] == f"/profile/{FORGOTTEN}/"
    assert "carol" not in str(own.data).lower()


def test_anonymise_drops_the_client_address(carol: User, scene: dict[str, Event]) -> None:
    forget_user(carol, mode="anonymise")
    request = reload(scene["own"]).data["request"]
    assert request["remote_addr"] is None
    assert request["method"] == "GET"


def test_anonymise_clears_the_user_as_related_object_and_its_description(
    carol: User, admin: User, scene: dict[str, Event]
) -> None:
    forget_user(carol, mode="anonymise")
    about = reload(scene["about"])
    assert about.related_content_type is None
    assert about.related_object_id is None
    assert "related_object" not in about.data
    assert about.data["reason"] == f"activated {FORGOTTEN} by hand"
    assert about.user == admin


def test_anonymise_removes_the_attempted_username(carol: User, scene: dict[str, Event]) -> None:
    forget_user(carol, mode="anonymise")
    assert reload(scene["failed"]).data == {}
    assert reload(scene["other_failed"]).data == {"username": "dave"}


def test_anonymise_leaves_other_events_alone(carol: User, scene: dict[str, Event]) -> None:
    before = {key: Event.objects.filter(pk=scene[key].pk).values().get() for key in scene}
    forget_user(carol, mode="anonymise")
    for key in ("other_failed", "admins", "unrelated"):
        assert Event.objects.filter(pk=scene[key].pk).values().get() == before[key]


def test_anonymise_twice_changes_nothing_more(carol: User, scene: dict[str, Event]) -> None:
    forget_user(carol, mode="anonymise")
    assert forget_user(carol, mode="anonymise") == 0


def test_american_spelling_is_accepted(carol: User, scene: dict[str, Event]) -> None:
    assert forget_user(carol, mode="anonymize") == 3


def test_anonymise_in_small_batches(carol: User) -> None:
    Event.objects.bulk_create(Event(name="Mine", user=carol, note="carol") for _ in range(5))
    assert forget_user(carol, mode="anonymise", batch_size=2) == 5
    assert set(Event.objects.values_list("user", "note")) == {(None, FORGOTTEN)}


def test_unknown_mode_is_a_value_error(carol: User) -> None:
    with pytest.raises(ValueError, match="mode must be"):
        forget_user(carol, mode="shred")  # type: ignore[arg-type]


def test_unsaved_user_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="not saved"):
        forget_user(User(username="ghost"))


def test_short_identifiers_are_replaced_only_as_whole_values() -> None:
    data = {"who": "al", "text": "also tall", "deep": [{"x": "AL"}]}
    assert anonymise_data(data, ["al"]) == {
        "who": FORGOTTEN,
        "text": "also tall",
        "deep": [{"x": FORGOTTEN}],
    }


def test_anonymise_data_drops_the_given_keys_and_keeps_non_dicts() -> None:
    assert anonymise_data({"user": 5, "email": "e", "n": 1}, [], drop=["user", "email"]) == {"n": 1}
    assert anonymise_data(["carol"], ["carol"]) == ["carol"]
