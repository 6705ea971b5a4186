"""Automatic login, logout and failed-login events, through real logins with the test client."""

from __future__ import annotations

import json
import logging
import os
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.test import AsyncClient, Client, override_settings

from djangotailoring.tracking import EventNames
from djangotailoring.tracking.models import Event
from tests.childpytest import assert_all_passed, run_child_pytest

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.auto_urls")]

PASSWORD = "correct horse battery staple"
WRONG_PASSWORD = "hunter2-Wrong-Pa55word"


@pytest.fixture
def alice() -> User:
    return User.objects.create_user("alice", "alice@example.com", PASSWORD)


def only_event() -> Event:
    [event] = Event.objects.all()
    return event


def stored_text(event: Event) -> str:
    return json.dumps(
        [event.name, event.note, event.data, event.related_object_id], ensure_ascii=False
    )


def test_login_view_records_user_logged_in(client: Client, alice: User) -> None:
    response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    event = Event.objects.named(EventNames.UserLoggedIn).get()
    assert event.user == alice
    assert event.data["request"]["path"] == "/login/"
    assert event.data["request"]["method"] == "POST"


def test_client_login_records_user_logged_in(client: Client, alice: User) -> None:
    assert client.login(username="alice", password=PASSWORD)
    event = only_event()
    assert (event.name, event.user) == (EventNames.UserLoggedIn, alice)


def test_async_client_login_records_user_logged_in(alice: User) -> None:
    async_client = AsyncClient()
    assert async_to_sync(async_client.alogin)(username="alice", password=PASSWORD)
    event = only_event()
    assert (event.name, event.user) == (EventNames.UserLoggedIn, alice)


def test_logout_view_records_user_logged_out(client: Client, alice: User) -> None:
    client.force_login(alice)
    Event.objects.all().delete()
    response = client.post("/logout/")
    assert response.status_code == 302
    event = only_event()
    assert (event.name, event.user) == (EventNames.UserLoggedOut, alice)
    assert event.data["request"]["path"] == "/logout/"


def test_logout_when_nobody_is_logged_in_records_nothing(client: Client) -> None:
    client.post("/logout/")
    assert not Event.objects.exists()


def test_failed_login_view_records_attempted_username(client: Client, alice: User) -> None:
    response = client.post("/login/", {"username": "alice", "password": WRONG_PASSWORD})
    assert response.status_code == 200
    event = only_event()
    assert event.name == EventNames.UserLoginFailed
    assert event.user is None
    assert event.data["username"] == "alice"
    assert event.data["request"]["path"] == "/login/"


def test_failed_login_for_unknown_username_records_it(client: Client) -> None:
    client.post("/login/", {"username": "nobody", "password": WRONG_PASSWORD})
    assert only_event().data["username"] == "nobody"


def test_failed_client_login_records_attempted_username(client: Client, alice: User) -> None:
    assert not client.login(username="alice", password=WRONG_PASSWORD)
    event = only_event()
    assert event.name == EventNames.UserLoginFailed
    assert event.data == {"username": "alice"}


def test_failed_login_never_stores_password_or_other_credentials(alice: User) -> None:
    assert not Client().login(
        username="alice", password=WRONG_PASSWORD, api_token="tok-123", otp="998877"
    )
    event = only_event()
    assert set(event.data) == {"username"}
    text = stored_text(event)
    for secret in (WRONG_PASSWORD, "tok-123", "998877", "password", "*****"):
        assert secret not in text


def test_failed_login_view_never_stores_password(client: Client, alice: User) -> None:
    client.post("/login/", {"username": "alice", "password": WRONG_PASSWORD})
    text = stored_text(only_event())
    assert WRONG_PASSWORD not in text
    assert "password" not in text


def test_failed_login_without_a_username_records_no_credentials() -> None:
    assert authenticate(api_token="tok-456", password=WRONG_PASSWORD) is None
    event = only_event()
    assert (event.name, event.data) == (EventNames.UserLoginFailed, {})


def test_failed_login_is_not_attributed_to_the_logged_in_user(client: Client, alice: User) -> None:
    client.force_login(alice)
    Event.objects.all().delete()
    client.post("/login/", {"username": "mallory", "password": WRONG_PASSWORD})
    event = only_event()
    assert event.user is None
    assert event.data["username"] == "mallory"


def test_failed_async_login_records_attempted_username(alice: User) -> None:
    assert not async_to_sync(AsyncClient().alogin)(username="alice", password=WRONG_PASSWORD)
    event = only_event()
    assert (event.name, event.data) == (EventNames.UserLoginFailed, {"username": "alice"})


def _login_logout_and_fail(client: Client) -> None:
    client.post("/login/", {"username": "alice", "password": PASSWORD})
    client.post("/logout/")
    client.post("/login/", {"username": "alice", "password": WRONG_PASSWORD})


@override_settings(TRACKING_AUTH_EVENTS=False)
def test_auth_events_false_records_none(client: Client, alice: User) -> None:
    _login_logout_and_fail(client)
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "enabled",
    [
        {EventNames.UserLoggedIn},
        {EventNames.UserLoggedOut},
        {EventNames.UserLoginFailed},
        [EventNames.UserLoggedIn, EventNames.UserLoginFailed],
        (),
    ],
)
def test_auth_events_collection_records_exactly_those(
    client: Client, alice: User, enabled: Any
) -> None:
    with override_settings(TRACKING_AUTH_EVENTS=enabled):
        _login_logout_and_fail(client)
    assert set(Event.objects.values_list("name", flat=True)) == set(enabled)


def test_auth_events_default_records_all_three(client: Client, alice: User) -> None:
    _login_logout_and_fail(client)
    assert list(Event.objects.order_by("id").values_list("name", flat=True)) == [
        EventNames.UserLoggedIn,
        EventNames.UserLoggedOut,
        EventNames.UserLoginFailed,
    ]


def test_failing_event_write_never_breaks_login(
    client: Client, alice: User, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Event:
        raise RuntimeError("database is on fire")

    monkeypatch.setattr("djangotailoring.tracking.recording.create_event", broken)
    with caplog.at_level(logging.ERROR, logger="djangotailoring.tracking"):
        response = client.post("/login/", {"username": "alice", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(alice.pk)
    [record] = [r for r in caplog.records if r.name == "djangotailoring.tracking"]
    assert "UserLoggedIn" in record.getMessage()
    assert record.exc_info is not None


def _child_environment() -> dict[str, str]:
    env = dict(os.environ)
    # The child creates its own test database next to this run's, never the same one.
    env["DJANGOTAILORING_TEST_DB_SUFFIX"] = env.get("DJANGOTAILORING_TEST_DB_SUFFIX", "") + "_cu"
    if "DJANGOTAILORING_SQLITE_TEST_NAME" in env:
        env["DJANGOTAILORING_SQLITE_TEST_NAME"] += ".customuser"
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


@pytest.mark.slow
def test_custom_user_model_with_email_username_field() -> None:
    """AUTH_USER_MODEL is fixed per process, so the custom-user checks run in a child pytest."""
    output = run_child_pytest(
        ["--ds=tests.settings_customuser", "tests/customuser/login_checks.py"],
        _child_environment(),
    )
    assert_all_passed(output, at_least=6)
