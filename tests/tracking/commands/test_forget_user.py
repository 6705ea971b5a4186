"""``manage.py forget_user``: the command around ``privacy.forget_user``."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command

from djangotailoring.tracking.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def erin() -> User:
    user = User.objects.create_user("erin")
    Event.objects.create(name="Mine", user=user, note="erin was here")
    Event.objects.create(name="About", related_object=user)
    Event.objects.create(name="Other")
    return user


def forget(*args: str) -> str:
    out = io.StringIO()
    call_command("forget_user", *args, stdout=out)
    return out.getvalue()


def test_deletes_by_username(erin: User) -> None:
    assert forget("erin") == f"Deleted 2 events of user {erin.pk}.\n"
    assert list(Event.objects.values_list("name", flat=True)) == ["Other"]


def test_deletes_by_primary_key(erin: User) -> None:
    forget(str(erin.pk))
    assert Event.objects.count() == 1


def test_anonymise_mode(erin: User) -> None:
    assert forget("erin", "--mode", "anonymise") == f"Anonymised 2 events of user {erin.pk}.\n"
    assert Event.objects.count() == 3
    assert set(Event.objects.filter(name="Mine").values_list("user", "note")) == {
        (None, "[forgotten] was here")
    }


def test_dry_run_counts_and_changes_nothing(erin: User) -> None:
    output = forget("erin", "--dry-run")
    assert "Would have deleted 2 events" in output
    assert Event.objects.count() == 3


def test_username_that_looks_like_a_key_wins_over_the_key(erin: User) -> None:
    numeric = User.objects.create_user(str(erin.pk + 100))
    Event.objects.create(name="Numeric", user=numeric)
    forget(numeric.username)
    assert not Event.objects.filter(name="Numeric").exists()
    assert Event.objects.filter(user=erin).exists()


@pytest.mark.parametrize("who", ["nobody", "999999", "-1"])
def test_unknown_user_is_a_command_error(erin: User, who: str) -> None:
    with pytest.raises(CommandError, match="No user with username or id"):
        forget(who)
    assert Event.objects.count() == 3


def test_unknown_mode_is_a_command_error(erin: User) -> None:
    with pytest.raises(CommandError, match="invalid choice"):
        forget("erin", "--mode", "shred")


def test_keyword_mode_and_batch_size(erin: User) -> None:
    out = io.StringIO()
    call_command("forget_user", erin.pk, mode="anonymise", batch_size="1", stdout=out)
    assert out.getvalue() == f"Anonymised 2 events of user {erin.pk}.\n"


@pytest.mark.parametrize(
    ("options", "message"),
    [({"mode": "shred"}, "--mode must be one of"), ({"batch_size": 0}, "--batch-size")],
)
def test_bad_keyword_options_are_command_errors(
    erin: User, options: dict[str, object], message: str
) -> None:
    with pytest.raises(CommandError, match=message):
        call_command("forget_user", "erin", stdout=io.StringIO(), **options)
    assert Event.objects.count() == 3
