"""structlog processors: request context in both standard setups, and JSON lines of events."""

from __future__ import annotations

import datetime
import decimal
import json
import logging
import logging.config
import subprocess
import sys
import uuid
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
import structlog
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.db import connection
from django.test import AsyncClient, Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils.functional import SimpleLazyObject

from djangotailoring.handlers import add_request_context, event_fields, make_json_safe
from djangotailoring.handlers.filters import LazyUserField
from djangotailoring.requestcontext import RequestState, reset_current, set_current
from djangotailoring.tracking.models import Event
from tests.context_logging import CONTEXT_FORMAT, text_logging

pytestmark = pytest.mark.urls("tests.context_urls")


@pytest.fixture
def alice(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_user("alice", password="alice-password")


@pytest.fixture(autouse=True)
def _reset_structlog() -> Iterator[None]:
    yield
    structlog.reset_defaults()


def configure_structlog(last: Any) -> None:
    structlog.configure(
        processors=[add_request_context, last],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )


def json_logging(*loggers: str, **formatter: Any) -> StringIO:
    stream = StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"json": {"()": structlog.stdlib.ProcessorFormatter, **formatter}},
            "handlers": {
                "json": {"class": "logging.StreamHandler", "stream": stream, "formatter": "json"}
            },
            "loggers": {
                name: {"handlers": ["json"], "level": "INFO", "propagate": False}
                for name in loggers
            },
        }
    )
    return stream


def json_lines(stream: StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_event_dict_outside_a_request_is_unchanged() -> None:
    assert add_request_context(None, "info", {"event": "outside"}) == {"event": "outside"}


def test_current_request_is_added_without_unknown_values() -> None:
    request = RequestFactory().get("/current/")
    token = set_current(RequestState(request, "cur-1"))
    try:
        event_dict = add_request_context(None, "info", {"event": "inside"})
    finally:
        reset_current(token)
    assert event_dict == {
        "event": "inside",
        "request_id": "cur-1",
        "request_method": "GET",
        "request_path": "/current/",
        "remote_addr": "127.0.0.1",
    }


def test_request_passed_as_a_key_wins_over_the_current_request() -> None:
    token = set_current(RequestState(RequestFactory().get("/current/"), "cur-2"))
    try:
        event_dict = add_request_context(
            None, "info", {"event": "e", "request": RequestFactory().post("/own/")}
        )
    finally:
        reset_current(token)
    assert (event_dict["request_method"], event_dict["request_path"]) == ("POST", "/own/")
    assert "request_id" not in event_dict


def test_keys_already_present_are_kept() -> None:
    event_dict = add_request_context(
        None, "info", {"event": "e", "request": RequestFactory().get("/x/"), "request_path": "/k/"}
    )
    assert event_dict["request_path"] == "/k/"


def test_processor_failure_leaves_the_event_dict_usable() -> None:
    request = RequestFactory().get("/broken/")
    request.META = None  # type: ignore[assignment]
    assert add_request_context(None, "info", {"event": "e", "request": request})["event"] == "e"


@pytest.mark.django_db
def test_render_to_log_kwargs_setup_gets_the_request_context(client: Client, alice: User) -> None:
    configure_structlog(structlog.stdlib.render_to_log_kwargs)
    stream = text_logging(CONTEXT_FORMAT + " answer=%(answer)s", "tests.context")
    client.force_login(alice)
    client.get("/structured/", headers={"X-Request-ID": "kw-1"})
    assert stream.getvalue() == (
        f"kw-1 GET /structured/ 127.0.0.1 {alice.pk} alice | structured answer=42\n"
    )


@pytest.mark.django_db
def test_wrap_for_formatter_setup_renders_the_request_context_as_json(
    client: Client, alice: User
) -> None:
    configure_structlog(structlog.stdlib.ProcessorFormatter.wrap_for_formatter)
    stream = json_logging("tests.context", processor=structlog.processors.JSONRenderer())
    client.force_login(alice)
    client.get("/structured/", headers={"X-Request-ID": "wrap-1"})
    assert json_lines(stream) == [
        {
            "event": "structured",
            "answer": 42,
            "request_id": "wrap-1",
            "request_method": "GET",
            "request_path": "/structured/",
            "remote_addr": "127.0.0.1",
            "user_id": alice.pk,
            "username": "alice",
        }
    ]


@pytest.mark.django_db
def test_async_view_gets_no_user_and_no_query(alice: User) -> None:
    configure_structlog(structlog.stdlib.ProcessorFormatter.wrap_for_formatter)
    stream = json_logging("tests.context", processor=structlog.processors.JSONRenderer())
    async_client = AsyncClient()
    async_client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        response = async_to_sync(async_client.get)(
            "/astructured/", headers={"X-Request-ID": "async-s"}
        )
    (line,) = json_lines(stream)
    assert line["request_id"] == "async-s"
    assert "username" not in line
    assert response.json()["user_loaded"] is False
    assert len(queries) == 0


def test_foreign_django_request_record_gets_its_own_request_context(client: Client) -> None:
    stream = json_logging(
        "django.request",
        foreign_pre_chain=[add_request_context],
        processor=structlog.processors.JSONRenderer(),
    )
    client.get("/missing/", headers={"X-Request-ID": "foreign-404"})
    assert json_lines(stream) == [
        {
            "event": "Not Found: /missing/",
            "request_id": "foreign-404",
            "request_method": "GET",
            "request_path": "/missing/",
            "remote_addr": "127.0.0.1",
        }
    ]


EVENTS_JSON_FORMATTER = {
    "foreign_pre_chain": [
        structlog.stdlib.ExtraAdder(),
        add_request_context,
        event_fields,
        make_json_safe,
    ],
    # default=None: the strictest renderer, which refuses anything not JSON-serialisable.
    "processor": structlog.processors.JSONRenderer(default=None, sort_keys=True),
}


@pytest.mark.django_db(transaction=True)
def test_events_logger_renders_as_json_lines_with_request_context(
    client: Client, alice: User, capsys: pytest.CaptureFixture[str]
) -> None:
    client.force_login(alice)
    stream = json_logging("djangotailoring.tracking.events", **EVENTS_JSON_FORMATTER)
    client.get("/record/", headers={"X-Request-ID": "events-json"})
    event = Event.objects.get(name="ContextRecorded")
    (line,) = json_lines(stream)
    assert capsys.readouterr().err == ""
    assert (line["event"], line["event_id"]) == ("ContextRecorded", event.pk)
    assert line["request"] == {
        "id": "events-json",
        "method": "GET",
        "path": "/record/",
        "remote_addr": "127.0.0.1",
    }
    assert (line["request_id"], line["user_id"], line["username"]) == (
        "events-json",
        alice.pk,
        "alice",
    )
    assert datetime.datetime.fromisoformat(line["timestamp"]) == event.timestamp


def test_event_fields_leaves_other_event_dicts_alone() -> None:
    record = logging.makeLogRecord({"msg": "plain"})
    event_dict = {"event": "plain", "_record": record}
    assert event_fields(None, "info", dict(event_dict)) == event_dict


@pytest.mark.django_db
def test_event_fields_name_a_record_of_the_events_logger_after_its_event() -> None:
    event = Event.objects.create(name="Direct")
    record = logging.makeLogRecord({"msg": "Direct user=alice", "event": event})
    event_dict = {"event": "Direct user=alice", "_record": record}
    assert event_fields(None, "info", event_dict) == {
        "event": "Direct",
        "event_id": event.pk,
        "_record": record,
    }


@pytest.mark.django_db
def test_event_fields_replace_an_event_object_copied_over_the_message() -> None:
    event = Event.objects.create(name="Copied")
    assert event_fields(None, "info", {"event": event}) == {"event": "Copied", "event_id": event.pk}


class BrokenStructlogHook:
    def __structlog__(self) -> object:
        raise RuntimeError("broken hook")


class Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    def __repr__(self) -> str:
        raise RuntimeError("no repr")


def lazy_user_field() -> object:
    request = RequestFactory().get("/")
    request.user = SimpleLazyObject(lambda: User(pk=5, username="lazy"))  # type: ignore[assignment]
    return LazyUserField(request, "user_id")


@pytest.mark.django_db
def test_make_json_safe_turns_every_value_into_json(alice: User) -> None:
    record = logging.makeLogRecord({"msg": "m"})
    exc_info = (ValueError, ValueError("x"), None)
    event_dict = make_json_safe(
        None,
        "info",
        {
            "when": datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc),
            "amount": decimal.Decimal("1.50"),
            "key": uuid.UUID(int=1),
            "user": alice,
            "request": RequestFactory().get("/safe/"),
            "nested": {"tags": {"b"}, "ratio": float("nan")},
            "odd": Unprintable(),
            "hook": BrokenStructlogHook(),
            "lazy": lazy_user_field(),
            "_record": record,
            "exc_info": exc_info,
        },
    )
    assert event_dict.pop("_record") is record
    assert event_dict.pop("exc_info") is exc_info
    assert json.loads(json.dumps(event_dict, allow_nan=False)) == {
        "when": "2024-05-06T07:08:09+00:00",
        "amount": "1.50",
        "key": "00000000-0000-0000-0000-000000000001",
        "user": "alice",
        "request": {"id": None, "method": "GET", "path": "/safe/", "remote_addr": "127.0.0.1"},
        "nested": {"tags": ["b"], "ratio": "nan"},
        "odd": "<unprintable Unprintable object>",
        "hook": "<unprintable BrokenStructlogHook object>",
        "lazy": 5,
    }


def test_processors_import_and_run_without_structlog() -> None:
    code = (
        "import sys; sys.modules['structlog'] = None\n"
        "from djangotailoring.handlers import add_request_context, make_json_safe\n"
        "print(make_json_safe(None, 'info', add_request_context(None, 'info', {'event': 'e'})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "{'event': 'e'}\n"
