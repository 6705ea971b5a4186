"""No credential reaches an Event or a log record; request ids and notes cannot forge log lines."""

from __future__ import annotations

import json
import logging
import logging.config
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.test import Client

from djangotailoring.tracking.models import Event

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.urls("tests.security_urls")]

PASSWORD = "s3cr3t-Pa55word"
TOKEN = "Bearer tok-9f8e7d6c5b4a"
COOKIE_VALUE = "cookie-value-0a1b2c3d"


@pytest.fixture
def log_output() -> StringIO:
    stream = StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"text": {"format": "%(levelname)s %(name)s %(message)s note=%(note)s"}},
            "handlers": {
                "text": {"class": "logging.StreamHandler", "stream": stream, "formatter": "text"}
            },
            "loggers": {"djangotailoring.tracking.events": {"handlers": ["text"], "level": "INFO"}},
        }
    )
    return stream


def everything_stored() -> str:
    rows = Event.objects.values("name", "note", "data")
    return json.dumps(list(rows), default=str)


def test_failed_and_successful_logins_store_no_password(log_output: StringIO) -> None:
    User.objects.create_user("erin", password=PASSWORD)
    client = Client()
    client.post("/login/", {"username": "erin", "password": PASSWORD + "-wrong"})
    client.post("/login/", {"username": "erin", "password": PASSWORD})
    names = set(Event.objects.values_list("name", flat=True))
    assert {"UserLoginFailed", "UserLoggedIn"} <= names
    failed = Event.objects.get(name="UserLoginFailed")
    assert failed.data["username"] == "erin"
    for text in (everything_stored(), log_output.getvalue()):
        assert PASSWORD not in text


def test_authorization_and_cookie_headers_are_never_copied(log_output: StringIO) -> None:
    client = Client(HTTP_AUTHORIZATION=TOKEN)
    client.cookies["tracking"] = COOKIE_VALUE
    response = client.get("/record/")
    assert response.status_code == 200
    assert Event.objects.filter(name="Recorded").exists()
    for text in (everything_stored(), log_output.getvalue()):
        assert "tok-9f8e7d6c5b4a" not in text
        assert COOKIE_VALUE not in text


def test_spoofed_forwarded_for_is_ignored_without_trusted_proxies() -> None:
    Client().get("/record/", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="10.0.0.5")
    event = Event.objects.get(name="Recorded")
    assert event.data["request"]["remote_addr"] == "10.0.0.5"


def test_request_id_with_a_newline_cannot_forge_a_log_line(log_output: StringIO) -> None:
    forged = "abc\nCRITICAL django.security forged"
    response = Client().get("/record/", HTTP_X_REQUEST_ID=forged)
    event = Event.objects.get(name="Recorded")
    assert event.data["request"]["id"] != forged
    assert response["X-Request-ID"] == event.data["request"]["id"]
    assert "\n" not in response["X-Request-ID"]
    assert "forged" not in log_output.getvalue()


def test_newlines_in_a_note_stay_on_one_log_line(log_output: StringIO) -> None:
    Client().get("/record/", {"note": "first\nCRITICAL forged line"})
    lines = log_output.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("INFO djangotailoring.tracking.events")
