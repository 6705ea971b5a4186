"""EventHandler and the request context: no credential is stored, no log line can be forged.

Each test sends real requests through the middleware stack to views that log, with an
``EventHandler`` and a text handler (``RequestContextFilter`` fields in its format) both
configured by ``dictConfig``, and then searches every stored Event and every output line.
"""

from __future__ import annotations

import json
import logging
import logging.config
import re
from collections.abc import Callable, Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import views as auth_views
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import path, re_path
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from djangotailoring.handlers import EventHandler
from djangotailoring.requestcontext import MAX_REQUEST_ID_LENGTH, is_valid_request_id
from djangotailoring.tracking.models import Event

log = logging.getLogger("app")

PASSWORD = "pw-Secret-4711"
TOKEN = "tok-Bearer-9f8e7d6c"
API_KEY = "key-Api-5a4b3c2d"
COOKIE_VALUE = "cookie-Value-0a1b2c"
QUERY_TOKEN = "query-Token-7e6f5a"
TEXT_FORMAT = "%(levelname)s %(name)s [%(request_id)s %(request_path)s %(username)s] %(message)s"


def logging_view(request: HttpRequest) -> HttpResponse:
    log.info("Viewed")
    log.info("ViewedWithRequest", extra={"request": request})
    return HttpResponse("ok")


urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="security_login.html")),
    re_path(r"^log/", logging_view),
]

pytestmark = pytest.mark.urls(__name__)


class Logs:
    """What the EventHandler stored and what the text handler wrote."""

    def __init__(self, handler: EventHandler, stream: StringIO) -> None:
        self.handler = handler
        self.stream = stream

    def events(self) -> list[Event]:
        self.handler.flush()
        return list(Event.objects.order_by("pk"))

    def requests(self) -> list[dict[str, Any]]:
        """``data["request"]`` of every stored Event (read in Python: SQLite's JSON
        functions turn a string such as ``"0"`` into a number)."""
        return [event.data["request"] for event in self.events()]

    def lines(self) -> list[str]:
        self.handler.flush()
        return self.stream.getvalue().splitlines()

    def stored(self) -> str:
        self.handler.flush()
        rows = Event.objects.values("name", "note", "data")
        return json.dumps(list(rows), default=str, ensure_ascii=False)

    def everything(self) -> str:
        return self.stored() + "\n" + self.stream.getvalue()

    def reset(self) -> None:
        self.handler.flush()
        Event.objects.all().delete()
        self.stream.seek(0)
        self.stream.truncate()


@pytest.fixture
def configure(transactional_db: None, tmp_path: Path) -> Iterator[Callable[..., Logs]]:
    """Apply a ``LOGGING`` dict: records of ``logger`` go to an EventHandler and a text handler.

    Requested after ``transactional_db``, so the handler is closed before the database is
    flushed.
    """
    created: list[EventHandler] = []

    def apply(
        logger: str = "app",
        level: str = "INFO",
        text_format: str = TEXT_FORMAT,
        **handler_options: Any,
    ) -> Logs:
        stream = StringIO()
        handler_options.setdefault("spill_path", str(tmp_path / "spill.jsonl"))
        logger_config = {"handlers": ["events", "text"], "level": level}
        logging.config.dictConfig(
            {
                "version": 1,
                "disable_existing_loggers": False,
                "filters": {"context": {"()": "djangotailoring.handlers.RequestContextFilter"}},
                "formatters": {"text": {"format": text_format}},
                "handlers": {
                    "events": {
                        "class": "djangotailoring.handlers.EventHandler",
                        **handler_options,
                    },
                    "text": {
                        "class": "logging.StreamHandler",
                        "stream": stream,
                        "formatter": "text",
                        "filters": ["context"],
                    },
                },
                **(
                    {"root": logger_config}
                    if logger == "root"
                    else {"loggers": {logger: {**logger_config, "propagate": False}}}
                ),
            }
        )
        target = logging.getLogger() if logger == "root" else logging.getLogger(logger)
        handler = next(h for h in target.handlers if isinstance(h, EventHandler))
        created.append(handler)
        return Logs(handler, stream)

    yield apply
    for handler in created:
        handler.close()


def test_authorization_cookie_api_key_and_query_string_are_never_stored(
    configure: Callable[..., Logs],
) -> None:
    logs = configure()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {TOKEN}", HTTP_X_API_KEY=API_KEY)
    client.cookies["tracking"] = COOKIE_VALUE
    response = client.get("/log/", {"token": QUERY_TOKEN})
    assert response.status_code == 200
    requests = logs.requests()
    assert len(requests) == 2
    for request in requests:
        assert set(request) == {"id", "method", "path", "remote_addr"}
        assert request["path"] == "/log/"
    everything = logs.everything()
    for secret in (TOKEN, API_KEY, COOKIE_VALUE, QUERY_TOKEN):
        assert secret not in everything


def test_posted_password_is_never_stored(configure: Callable[..., Logs]) -> None:
    logs = configure()
    Client().post("/log/", {"username": "ann", "password": PASSWORD})
    assert len(logs.events()) == 2
    assert PASSWORD not in logs.everything()


def test_failed_login_with_every_logger_persisted_stores_no_password(
    configure: Callable[..., Logs],
) -> None:
    User.objects.create_user("erin", password=PASSWORD)
    logs = configure(logger="root", level="DEBUG")
    client = Client(HTTP_AUTHORIZATION=f"Basic {TOKEN}")
    client.post("/login/", {"username": "erin", "password": PASSWORD + "-wrong"})
    client.post("/login/", {"username": "erin", "password": PASSWORD})
    assert {"UserLoginFailed", "UserLoggedIn"} <= {event.name for event in logs.events()}
    everything = logs.everything()
    assert PASSWORD not in everything
    assert TOKEN not in everything


def test_resolving_the_request_user_never_persists_the_session_key(
    configure: Callable[..., Logs],
) -> None:
    user = User.objects.create_user("ann")
    client = Client()
    client.force_login(user)
    session_key = client.cookies["sessionid"].value
    # The writer loads the user from the session, and DEBUG logs that query's parameters.
    # (No username in the text format: the filter would load the user in this thread.)
    logs = configure(logger="root", level="DEBUG", text_format="%(name)s %(message)s")
    with override_settings(DEBUG=True):
        client.get("/log/")
        logs.handler.flush()
    assert [(event.name, event.user_id) for event in logs.events()] == [
        ("UserLoggedIn", user.pk),
        ("Viewed", user.pk),
        ("ViewedWithRequest", user.pk),
    ]
    assert session_key not in logs.stored()


def test_forwarded_for_is_not_believed_without_trusted_proxies(
    configure: Callable[..., Logs],
) -> None:
    logs = configure()
    Client().get("/log/", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="10.0.0.5")
    assert [request["remote_addr"] for request in logs.requests()] == ["10.0.0.5"] * 2


@override_settings(TRACKING_RECORD_CLIENT_ADDRESS=False)
def test_client_addresses_are_not_stored_when_switched_off(
    configure: Callable[..., Logs],
) -> None:
    logs = configure()
    Client().get("/log/", HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="10.0.0.5")
    assert [request["remote_addr"] for request in logs.requests()] == [None] * 2


@pytest.fixture
def immediate_logs(configure: Callable[..., Logs]) -> Logs:
    return configure(immediate=True)


HEX_ID = re.compile(r"[0-9a-f]{32}")
HEADER_TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0xFF), max_size=200)
VALID_IDS = st.from_regex(r"[A-Za-z0-9._:@+=/-]{1,128}", fullmatch=True)


@settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(incoming=HEADER_TEXT | VALID_IDS)
@example(incoming="abc\nCRITICAL django.security forged")
@example(incoming="abc\r\nX-Injected: 1")
@example(incoming="a" * (MAX_REQUEST_ID_LENGTH + 1))
@example(incoming="\x1b[31mred")
def test_any_incoming_request_id_is_kept_only_when_valid(
    immediate_logs: Logs, incoming: str
) -> None:
    logs = immediate_logs
    logs.reset()
    response = Client().get("/log/", HTTP_X_REQUEST_ID=incoming)
    stored_ids = {request["id"] for request in logs.requests()}
    assert stored_ids == {response["X-Request-ID"]}
    (request_id,) = stored_ids
    if is_valid_request_id(incoming.strip()):
        assert request_id == incoming.strip()
    else:
        assert HEX_ID.fullmatch(request_id)
    lines = logs.lines()
    assert len(lines) == 2
    assert all(f"[{request_id} /log/ -] " in line for line in lines)


def test_forged_request_id_attribute_is_not_stored(configure: Callable[..., Logs]) -> None:
    logs = configure()
    request = RequestFactory().get("/log/")
    request.request_id = "r1\nCRITICAL django.security forged"  # type: ignore[attr-defined]
    log.info("OutsideMiddleware", extra={"request": request})
    assert [request["id"] for request in logs.requests()] == [None]
    assert logs.lines() == ["INFO app [- /log/ -] OutsideMiddleware"]


def test_newlines_in_the_path_cannot_forge_a_log_line(configure: Callable[..., Logs]) -> None:
    logs = configure()
    Client().get("/log/%0ACRITICAL%20forged%0D%0Aline")
    lines = logs.lines()
    assert len(lines) == 2
    assert all("/log/\\nCRITICAL forged\\r\\nline" in line for line in lines)
    # The Event keeps the real path: it is data, not a log line.
    paths = [request["path"] for request in logs.requests()]
    assert paths == ["/log/\nCRITICAL forged\r\nline"] * 2


def test_newlines_in_a_username_cannot_forge_a_log_line(configure: Callable[..., Logs]) -> None:
    user = User.objects.create_user("eve\nCRITICAL forged")
    client = Client()
    client.force_login(user)
    logs = configure()
    client.get("/log/")
    lines = logs.lines()
    assert len(lines) == 2
    assert all("eve\\nCRITICAL forged" in line for line in lines)
    viewed = [event for event in logs.events() if event.name.startswith("Viewed")]
    assert [event.user_id for event in viewed] == [user.pk] * 2
