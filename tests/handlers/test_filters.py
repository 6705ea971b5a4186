"""RequestContextFilter: request context on every record, through real dictConfig'd handlers."""

from __future__ import annotations

import logging
import pickle
import threading

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.db import connection
from django.test import AsyncClient, Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils.functional import SimpleLazyObject

from djangotailoring.handlers import RequestContextFilter
from djangotailoring.handlers.filters import LazyUserField
from tests.context_logging import CONTEXT_FORMAT, lines_with, text_logging

pytestmark = pytest.mark.urls("tests.context_urls")

app_logger = logging.getLogger("tests.context")


@pytest.fixture
def alice(django_user_model: type[User]) -> User:
    return django_user_model.objects.create_user("alice", password="alice-password")


def filtered(record: logging.LogRecord) -> logging.LogRecord:
    assert RequestContextFilter().filter(record) is True
    return record


def test_record_outside_a_request_gets_placeholders() -> None:
    stream = text_logging(CONTEXT_FORMAT, "tests.context")
    app_logger.info("outside")
    assert stream.getvalue() == "- - - - - - | outside\n"


def test_attributes_a_record_already_has_are_kept() -> None:
    stream = text_logging(CONTEXT_FORMAT, "tests.context")
    app_logger.info("given", extra={"request_id": "given-id", "username": "given-name"})
    assert stream.getvalue() == "given-id - - - - given-name | given\n"


def test_a_failure_inside_the_filter_gives_placeholders_and_keeps_the_record() -> None:
    request = RequestFactory().get("/broken/")
    request.META = None  # type: ignore[assignment]
    record = filtered(logging.makeLogRecord({"msg": "m", "request": request}))
    assert [record.request_path, record.remote_addr, record.username] == ["-", "-", "-"]


def test_a_request_extra_that_is_not_a_request_is_ignored() -> None:
    # django.server records carry the server's socket as "request".
    stream = text_logging(CONTEXT_FORMAT, "django.server")
    logging.getLogger("django.server").info('"GET / HTTP/1.1" 200 2', extra={"request": object()})
    assert stream.getvalue() == '- - - - - - | "GET / HTTP/1.1" 200 2\n'


def test_django_request_404_record_carries_the_request_context(client: Client) -> None:
    stream = text_logging(CONTEXT_FORMAT, "django.request")
    response = client.get("/missing/", headers={"X-Request-ID": "req-404"})
    assert response.status_code == 404
    assert stream.getvalue() == "req-404 GET /missing/ 127.0.0.1 - - | Not Found: /missing/\n"


def test_django_request_404_record_without_the_middleware_has_no_id(
    client: Client, settings: pytest.FixtureRequest
) -> None:
    settings.MIDDLEWARE = [  # type: ignore[attr-defined]
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
    ]
    stream = text_logging(CONTEXT_FORMAT, "django.request")
    client.get("/missing/", headers={"X-Request-ID": "ignored"})
    assert stream.getvalue() == "- GET /missing/ 127.0.0.1 - - | Not Found: /missing/\n"


def test_django_request_500_record_carries_the_request_context() -> None:
    stream = text_logging(CONTEXT_FORMAT, "django.request")
    response = Client(raise_request_exception=False).get(
        "/fails/", headers={"X-Request-ID": "req-500"}
    )
    assert response.status_code == 500
    first_line = stream.getvalue().splitlines()[0]
    assert first_line == "req-500 GET /fails/ 127.0.0.1 - - | Internal Server Error: /fails/"


def test_app_record_in_a_view_gets_the_current_request(client: Client) -> None:
    stream = text_logging(CONTEXT_FORMAT, "tests.context")
    client.get("/plain/", headers={"X-Request-ID": "req-app"})
    assert stream.getvalue() == "req-app GET /plain/ 127.0.0.1 - - | plain view\n"


@pytest.mark.django_db
def test_user_that_the_view_never_loaded_is_looked_up_when_formatted(
    client: Client, alice: User
) -> None:
    stream = text_logging(CONTEXT_FORMAT, "tests.context")
    client.force_login(alice)
    client.get("/plain/", headers={"X-Request-ID": "req-user"})
    assert lines_with(stream, "plain view") == [
        f"req-user GET /plain/ 127.0.0.1 {alice.pk} alice | plain view"
    ]


@pytest.mark.django_db
def test_format_without_user_fields_loads_no_user_and_adds_no_vary_cookie(
    client: Client, alice: User
) -> None:
    stream = text_logging("%(request_id)s %(request_path)s | %(message)s", "tests.context")
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/plain/", headers={"X-Request-ID": "req-lazy"})
    assert stream.getvalue() == "req-lazy /plain/ | plain view\n"
    assert len(queries) == 0
    assert "Cookie" not in response.get("Vary", "")


@pytest.mark.django_db
def test_user_set_by_the_view_itself_is_seen(client: Client, alice: User) -> None:
    stream = text_logging(CONTEXT_FORMAT, "tests.context")
    client.get("/set-user/?as=alice", headers={"X-Request-ID": "req-late"})
    assert stream.getvalue() == (
        f"req-late GET /set-user/ 127.0.0.1 {alice.pk} alice | authenticated late\n"
    )


@pytest.mark.django_db
def test_async_view_never_queries_for_a_user_it_did_not_load(alice: User) -> None:
    stream = text_logging(CONTEXT_FORMAT, "tests.context")
    async_client = AsyncClient()
    async_client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:
        response = async_to_sync(async_client.get)(
            "/aplain/", headers={"X-Request-ID": "req-async"}
        )
    assert stream.getvalue() == "req-async GET /aplain/ 127.0.0.1 - - | async view\n"
    assert response.json()["user_loaded"] is False
    assert len(queries) == 0
    assert "Cookie" not in response.get("Vary", "")


@pytest.mark.django_db
def test_async_view_shows_a_user_it_loaded(alice: User) -> None:
    stream = text_logging(CONTEXT_FORMAT, "tests.context")
    async_client = AsyncClient()
    async_client.force_login(alice)
    async_to_sync(async_client.get)("/aloaded/", headers={"X-Request-ID": "req-aloaded"})
    assert stream.getvalue() == (
        f"req-aloaded GET /aloaded/ 127.0.0.1 {alice.pk} alice | async view, user loaded\n"
    )


@pytest.mark.django_db
def test_looking_up_the_user_with_query_logging_on_the_same_handler_does_not_recurse(
    client: Client, alice: User, capsys: pytest.CaptureFixture[str]
) -> None:
    stream = text_logging(CONTEXT_FORMAT, "tests.context", "django.db.backends")
    client.force_login(alice)
    with CaptureQueriesContext(connection) as queries:  # logs every query at DEBUG
        client.get("/plain/", headers={"X-Request-ID": "req-db"})
    lines = stream.getvalue().splitlines()
    assert lines[-1] == f"req-db GET /plain/ 127.0.0.1 {alice.pk} alice | plain view"
    # The queries that looked the user up were logged while it was being looked up.
    assert len(lines) == len(queries) + 1
    assert all(line.startswith("req-db GET /plain/ 127.0.0.1 - - | (") for line in lines[:-1])
    assert capsys.readouterr().err == ""


def test_client_address_is_not_recorded_when_switched_off(
    client: Client, settings: pytest.FixtureRequest
) -> None:
    settings.TRACKING_RECORD_CLIENT_ADDRESS = False  # type: ignore[attr-defined]
    stream = text_logging(CONTEXT_FORMAT, "tests.context")
    client.get("/plain/", headers={"X-Request-ID": "req-private"})
    assert stream.getvalue() == "req-private GET /plain/ - - - | plain view\n"


def test_control_characters_in_the_path_cannot_forge_a_log_line(client: Client) -> None:
    stream = text_logging("%(request_path)s | %(message)s", "django.request")
    client.get("/missing%0A2099-01-01 CRITICAL forged%1B[31m/")
    output = stream.getvalue()
    assert output.count("\n") == 1
    assert output.startswith("/missing\\n2099-01-01 CRITICAL forged\\x1b[31m/ | ")


def test_brace_style_format_works_with_and_without_a_request(client: Client) -> None:
    stream = text_logging("{request_id} {request_path} {username:>3} {message}", "tests.context")
    app_logger.info("outside")
    client.get("/plain/", headers={"X-Request-ID": "req-brace"})
    assert stream.getvalue() == "- -   - outside\nreq-brace /plain/   - plain view\n"


class FakeUser:
    pk = 7
    is_authenticated = True

    def get_username(self) -> str:
        return "fake\nuser"


def lazily_authenticated_request(loads: list[int]) -> logging.LogRecord:
    request = RequestFactory().get("/lazy/")
    request.user = SimpleLazyObject(lambda: loads.append(1) or FakeUser())  # type: ignore[assignment]
    return filtered(logging.makeLogRecord({"msg": "m", "request": request}))


def test_user_fields_are_lazy_until_used() -> None:
    loads: list[int] = []
    record = lazily_authenticated_request(loads)
    assert isinstance(record.username, LazyUserField)
    assert loads == []
    assert str(record.username) == "fake\\nuser"
    assert loads == [1]


def test_lazy_user_fields_look_like_their_values() -> None:
    record = lazily_authenticated_request([])
    assert record.user_id == 7
    assert record.username == "fake\\nuser"
    assert f"{record.user_id:03d}|{record.username!r}" == "007|'fake\\\\nuser'"
    assert hash(record.user_id) == hash(7)
    assert bool(record.user_id)
    assert record.user_id.__structlog__() == 7


def test_lazy_user_fields_pickle_as_plain_values() -> None:
    record = lazily_authenticated_request([])
    pickled = pickle.dumps({"user_id": record.user_id, "username": record.username})
    fields = pickle.loads(pickled)  # noqa: S301 - our own bytes
    assert fields == {"user_id": 7, "username": "fake\\nuser"}
    assert type(fields["user_id"]) is int


def test_lazy_user_field_used_in_another_thread_never_loads_the_user() -> None:
    loads: list[int] = []
    record = lazily_authenticated_request(loads)
    seen: list[str] = []
    thread = threading.Thread(target=lambda: seen.append(str(record.username)))
    thread.start()
    thread.join()
    assert seen == ["-"]
    assert loads == []
    assert record.username == "-"


def test_lazy_user_field_whose_lookup_fails_shows_the_placeholder() -> None:
    request = RequestFactory().get("/down/")
    request.user = SimpleLazyObject(lambda: 1 / 0)  # type: ignore[assignment]
    record = filtered(logging.makeLogRecord({"msg": "m", "request": request}))
    assert (str(record.user_id), str(record.username)) == ("-", "-")


def test_two_lazy_user_fields_compare_by_value() -> None:
    first = lazily_authenticated_request([])
    second = lazily_authenticated_request([])
    assert first.username == second.username


def test_request_id_given_after_a_first_record_is_seen_by_the_next() -> None:
    request = RequestFactory().get("/early/")
    first = filtered(logging.makeLogRecord({"msg": "m", "request": request}))
    request.request_id = "given-later"  # type: ignore[attr-defined]
    second = filtered(logging.makeLogRecord({"msg": "m", "request": request}))
    assert (first.request_id, second.request_id) == ("-", "given-later")
    assert second.request_path == "/early/"


def test_user_already_loaded_is_a_plain_value() -> None:
    request = RequestFactory().get("/loaded/")
    request.user = FakeUser()  # type: ignore[assignment]
    record = filtered(logging.makeLogRecord({"msg": "m", "request": request}))
    assert (record.user_id, record.username) == (7, "fake\\nuser")
