"""What the caller's thread hands over: plain values, no request kept alive, the right user."""

from __future__ import annotations

import base64
import gc
import logging
from typing import Any

import pytest
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpResponse
from django.test import AsyncClient, Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils.functional import SimpleLazyObject

from djangotailoring.handlers.handover import hand_over, read
from djangotailoring.requestcontext import RequestState, reset_current, set_current
from djangotailoring.tracking.models import Event
from tests import handover_views
from tests.handlers.conftest import HandlerFactory

pytestmark = pytest.mark.urls("tests.handover_urls")

PLAIN = (str, int, float, bool, type(None))


def assert_plain(value: Any) -> None:
    """Only strings, numbers, None, and dicts, lists and tuples of them."""
    if isinstance(value, dict):
        for key, item in value.items():
            assert type(key) is str
            assert_plain(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            assert_plain(item)
    else:
        assert type(value) in PLAIN, f"{value!r} is not a plain value"


def request_is_gone() -> bool:
    gc.collect()
    return handover_views.seen[-1]() is None


@pytest.fixture
def user(transactional_db: None) -> User:
    return User.objects.create_user("ann", password="secret-pass-1")


def test_request_is_collectable_before_the_writer_runs_and_lazy_user_is_found(
    event_handler: HandlerFactory, user: User
) -> None:
    handler = event_handler(flush_interval=60)
    client = Client()
    client.force_login(user)
    response = client.get("/logs/")
    assert response.status_code == 200
    del response
    assert request_is_gone()
    assert handler.stats.queued == 1  # the writer has not run yet
    handler.flush()
    event = Event.objects.get(name="Logged")
    assert event.user_id == user.pk
    assert event.data["extra"] == {"detail": {"items": [1, 2]}}
    assert len(event.data["request"]["id"]) == 32


def test_request_is_collectable_and_user_found_in_an_async_view(
    event_handler: HandlerFactory, user: User
) -> None:
    from asgiref.sync import async_to_sync

    handler = event_handler(flush_interval=60)
    client = AsyncClient()
    async_to_sync(client.aforce_login)(user)
    response = async_to_sync(client.get)("/alogs/")
    assert response.status_code == 200
    del response
    assert request_is_gone()
    handler.flush()
    assert Event.objects.get(name="LoggedAsync").user_id == user.pk


def test_user_set_late_by_rest_framework_basic_authentication_is_kept(
    event_handler: HandlerFactory, user: User
) -> None:
    handler = event_handler(flush_interval=60)
    credentials = base64.b64encode(b"ann:secret-pass-1").decode()
    response = Client().get("/api/basic/", HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert response.json() == {"user": "ann"}
    del response
    assert request_is_gone()
    handler.flush()
    assert Event.objects.get(name="LoggedByApi").user_id == user.pk


def test_user_set_late_by_rest_framework_token_authentication_is_kept(
    event_handler: HandlerFactory, user: User
) -> None:
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=user)
    handler = event_handler(flush_interval=60)
    response = Client().get("/api/token/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert response.json() == {"user": "ann"}
    handler.flush()
    assert Event.objects.get(name="LoggedByApi").user_id == user.pk


def test_lazy_user_set_after_the_session_layer_is_the_events_and_the_filters(
    event_handler: HandlerFactory, user: User
) -> None:
    from djangotailoring.handlers import RequestContextFilter

    handler = event_handler(flush_interval=60)
    seen: list[logging.LogRecord] = []
    listing = logging.Handler()
    listing.emit = seen.append  # type: ignore[method-assign]
    listing.addFilter(RequestContextFilter())
    logging.getLogger("app").addHandler(listing)
    response = Client().get("/late-lazy/", HTTP_X_USER="ann")
    assert response.status_code == 200
    handler.flush()
    assert Event.objects.get(name="LoggedWithLateLazyUser").user_id == user.pk
    assert str(seen[0].username) == "ann"


def test_lazy_user_set_later_is_never_evaluated_on_the_event_loop(user: User) -> None:
    from asgiref.sync import async_to_sync

    request = RequestFactory().get("/page/")
    request.session = type("Session", (), {"session_key": "s" * 32})()  # type: ignore[assignment]
    request._cached_user = user  # type: ignore[attr-defined]  # stale: the session layer's
    request.user = SimpleLazyObject(lambda: pytest.fail("evaluated on the event loop"))  # type: ignore[assignment]
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "Hello", (), None)

    async def in_loop() -> dict[str, Any]:
        token = set_current(RequestState(request=request, request_id="r1"))
        try:
            return hand_over(record)
        finally:
            reset_current(token)

    handed = read(async_to_sync(in_loop)())
    assert handed["session"] == "s" * 32
    assert "user" not in handed


def test_anonymous_request_gets_no_user(event_handler: HandlerFactory, user: User) -> None:
    handler = event_handler(flush_interval=60)
    Client().get("/logs/")
    handler.flush()
    assert Event.objects.get(name="Logged").user_id is None


def test_a_session_that_fails_the_hash_check_gives_no_user(
    event_handler: HandlerFactory, user: User
) -> None:
    handler = event_handler(flush_interval=60)
    client = Client()
    client.force_login(user)
    user.set_password("changed-pass-2")  # logs every session out, as Django does
    user.save()
    client.get("/logs/")
    handler.flush()
    assert Event.objects.get(name="Logged").user_id is None


def test_hand_over_never_queries_and_holds_plain_values_only(user: User) -> None:
    client = Client()
    client.force_login(user)
    request = RequestFactory().get("/page/")
    from importlib import import_module

    from django.conf import settings

    request.session = import_module(settings.SESSION_ENGINE).SessionStore(
        client.session.session_key
    )
    AuthenticationMiddleware(lambda request: HttpResponse()).process_request(request)
    assert isinstance(request.user, SimpleLazyObject)
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "Hello %s", ("x",), None)
    record.related_object = user
    record.payload = {"when": [1, 2.5, None], "who": user}
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    token = set_current(RequestState(request=request, request_id="r1"))
    try:
        with CaptureQueriesContext(connection) as queries:
            handed_over = hand_over(record)
    finally:
        reset_current(token)
    assert len(queries) == 0
    assert_plain(handed_over)
    handed = read(handed_over)
    assert handed["session"] == client.session.session_key
    assert handed["related"] == ("auth", "user", str(user.pk))
    assert handed["extra"] == {"payload": {"when": [1, 2.5, None], "who": "ann"}}
    assert "ValueError: boom" in handed["exception"]
    assert handed["message"] == "Hello x"


def test_what_a_request_hands_over_is_invisible_to_the_garbage_collector() -> None:
    # Containers of plain values only: CPython does not track such a dict, so queued
    # records never survive into an older generation or count towards a full collection.
    request = RequestFactory().get("/page/")
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "Seen %s", ("x",), None)
    record.note = "a note"
    record.count = 3
    token = set_current(RequestState(request=request, request_id="r1"))
    try:
        handed_over = hand_over(record)
    finally:
        reset_current(token)
    assert not gc.is_tracked(handed_over)
    handed = read(handed_over)
    assert handed["request"]["path"] == "/page/"
    assert handed["message"] == "Seen x"
    assert handed["extra"] == {"count": 3}


def test_a_journaled_record_holds_only_what_the_event_is_made_of() -> None:
    # Compact (what a journal writes): no call site, thread or process; the same Event as
    # the full copy that a record kept in memory is handed over as.
    request = RequestFactory().get("/page/")
    record = logging.LogRecord("app", logging.WARNING, __file__, 7, "Seen %s", ("x",), None)
    record.note = "a note"
    record.payload = {"when": [1, None]}
    record.request_id = "from-a-filter"  # RequestContextFilter's: context, not an extra
    token = set_current(RequestState(request=request, request_id="r1"))
    try:
        compact = hand_over(record)
        full = hand_over(record, compact=False)
    finally:
        reset_current(token)
    assert_plain(compact)
    for attribute in ("lineno", "pathname", "funcName", "thread", "process", "request_id"):
        assert attribute not in compact
    assert full["lineno"] == 7
    assert read(compact) == read(full)
    handed = read(compact)
    assert handed["message"] == "Seen x"
    assert handed["level"] == "WARNING"
    assert handed["note"] == "a note"
    assert handed["extra"] == {"payload": {"when": [1, None]}}
    assert handed["request"]["path"] == "/page/"


def test_extras_are_kept_in_order_when_an_attribute_was_set_again() -> None:
    # A record whose LogRecord attributes are not first (one deleted and set again): every
    # extra is still found, in the record's order, and made plain.
    record = logging.LogRecord("app", logging.INFO, __file__, 1, "Hello", (), None)
    record.first = object()
    del record.lineno
    record.lineno = 3
    record.second = 2
    handed = read(hand_over(record))
    assert list(handed["extra"]) == ["first", "second"]
    assert handed["extra"]["second"] == 2
    assert type(handed["extra"]["first"]) is str


def test_a_record_journaled_by_an_earlier_version_is_still_read() -> None:
    # Journals written before hand-overs were compact hold every attribute of the record
    # (with tuples as lists); the next process replays them as they are.
    import json

    record = logging.LogRecord("app", logging.INFO, __file__, 1, "Hello %s", ("x",), None)
    record.note = "old"
    full = hand_over(record, compact=False)
    from_old_journal = json.loads(json.dumps(full))
    assert read(from_old_journal) == read(hand_over(record))
    assert read(from_old_journal)["message"] == "Hello x"
