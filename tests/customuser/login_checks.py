"""Auth events with a custom user model whose ``USERNAME_FIELD`` is ``email``.

Run only with ``--ds=tests.settings_customuser`` (``tests/tracking/test_receivers.py`` does,
in a child pytest); the file name keeps it out of the default collection.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client

from djangotailoring.tracking import EventNames
from djangotailoring.tracking.models import Event
from tests.customuser.models import EmailUser

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.auto_urls")]

EMAIL = "ada@example.com"
PASSWORD = "analytical-engine-1843"
WRONG_PASSWORD = "difference-Engine-0000"


@pytest.fixture
def ada() -> EmailUser:
    return EmailUser.objects.create_user(EMAIL, PASSWORD)


def test_the_custom_user_model_is_active() -> None:
    assert settings.AUTH_USER_MODEL == "customuser.EmailUser"
    assert get_user_model().USERNAME_FIELD == "email"


def test_login_view_records_user_logged_in(client: Client, ada: EmailUser) -> None:
    response = client.post("/login/", {"username": EMAIL, "password": PASSWORD})
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.name, event.user) == (EventNames.UserLoggedIn, ada)


def test_logout_view_records_user_logged_out(client: Client, ada: EmailUser) -> None:
    client.force_login(ada)
    Event.objects.all().delete()
    client.post("/logout/")
    event = Event.objects.get()
    assert (event.name, event.user) == (EventNames.UserLoggedOut, ada)


def test_failed_login_view_records_attempted_email(client: Client, ada: EmailUser) -> None:
    # AuthenticationForm always sends the username as ``username``, whatever USERNAME_FIELD is.
    client.post("/login/", {"username": EMAIL, "password": WRONG_PASSWORD})
    event = Event.objects.get()
    assert event.name == EventNames.UserLoginFailed
    assert event.user is None
    assert event.data["username"] == EMAIL
    assert event.data["email"] == EMAIL


def test_failed_client_login_by_email_keyword_records_attempted_email(ada: EmailUser) -> None:
    assert not Client().login(email=EMAIL, password=WRONG_PASSWORD)
    event = Event.objects.get()
    assert event.data == {"username": EMAIL, "email": EMAIL}


def test_failed_login_never_stores_password_or_other_credentials(ada: EmailUser) -> None:
    assert not Client().login(email=EMAIL, password=WRONG_PASSWORD, secret_key="sk-42")
    event = Event.objects.get()
    text = json.dumps([event.name, event.note, event.data])
    for secret in (WRONG_PASSWORD, "sk-42", "password", "secret_key", "*****"):
        assert secret not in text
