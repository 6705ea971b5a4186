"""Page-view events of ``log_page_view`` and ``LogPageViewMixin`` (sync, async) via real requests.

Every test runs against the four kinds of view in ``tests.auto_views``: a decorated
function, a decorated ``async def``, a class-based view with the mixin and one with ``async``
handlers.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.db import connection
from django.http import HttpResponseBase, HttpResponseRedirect
from django.test import AsyncClient, Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from djangotailoring.tracking import EventNames
from djangotailoring.tracking.models import NOTE_MAX_LENGTH, Event
from djangotailoring.tracking.pageviews import event_for_response
from tests import auto_views

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.auto_urls")]

KINDS = ["fn", "afn", "cbv", "acbv"]
PAGE_EVENTS = (EventNames.PageViewed, EventNames.Redirected, EventNames.PageError)


class Visitor:
    """Sends requests with the test client matching the kind of view (async client for async)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.is_async = kind.startswith("a")
        self.client: Client | AsyncClient = AsyncClient() if self.is_async else Client()

    def get(self, page: str, **params: Any) -> HttpResponseBase:
        path = f"/{self.kind}/{page}/"
        if isinstance(self.client, AsyncClient):
            return async_to_sync(self.client.get)(path, params)
        return self.client.get(path, params)

    def log_in(self, user: User) -> None:
        if isinstance(self.client, AsyncClient):
            async_to_sync(self.client.aforce_login)(user)
        else:
            self.client.force_login(user)


@pytest.fixture(params=KINDS)
def visitor(request: pytest.FixtureRequest) -> Visitor:
    return Visitor(request.param)


def page_event() -> Event:
    [event] = Event.objects.named(*PAGE_EVENTS)
    return event


@pytest.mark.parametrize("status", [200, 201, 204, 304])
def test_success_and_not_modified_record_page_viewed(visitor: Visitor, status: int) -> None:
    response = visitor.get("status", status=status)
    assert response.status_code == status
    event = page_event()
    assert event.name == EventNames.PageViewed
    assert event.note == f"/{visitor.kind}/status/"
    assert event.data["status"] == status
    assert event.data["request"]["path"] == f"/{visitor.kind}/status/"


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_redirects_record_redirected_with_path_and_location(visitor: Visitor, status: int) -> None:
    response = visitor.get("status", status=status, to="/elsewhere/?x=1")
    assert response.status_code == status
    event = page_event()
    assert event.name == EventNames.Redirected
    assert event.note == f"/{visitor.kind}/status/ -> /elsewhere/?x=1"
    assert event.data["status"] == status
    assert event.data["location"] == "/elsewhere/?x=1"


@pytest.mark.parametrize("status", [300, 400, 403, 404, 418, 500, 503])
def test_other_statuses_record_page_error_with_path_and_status(
    visitor: Visitor, status: int
) -> None:
    response = visitor.get("status", status=status)
    assert response.status_code == status
    event = page_event()
    assert event.name == EventNames.PageError
    assert event.note == f"/{visitor.kind}/status/ [{status}]"
    assert event.data["status"] == status


def test_exception_records_page_error_500_and_propagates_the_same_object(
    visitor: Visitor,
) -> None:
    with pytest.raises(auto_views.Boom) as caught:
        visitor.get("raise")
    assert caught.value is auto_views.raised[-1]
    event = page_event()
    assert event.name == EventNames.PageError
    assert event.note == f"/{visitor.kind}/raise/ [500]"
    assert event.data["status"] == 500
    assert event.data["exception"] == "tests.auto_views.Boom"


def test_exception_text_is_never_stored(visitor: Visitor) -> None:
    with pytest.raises(auto_views.Boom):
        visitor.get("raise")
    assert "secret detail" not in str(page_event().data)


@pytest.mark.parametrize(("kind", "status"), [("404", 404), ("403", 403)])
def test_http_exceptions_record_the_status_django_answers_with(
    visitor: Visitor, kind: str, status: int
) -> None:
    response = visitor.get("raise", kind=kind)
    assert response.status_code == status
    event = page_event()
    assert event.name == EventNames.PageError
    assert event.data["status"] == status
    assert event.note == f"/{visitor.kind}/raise/ [{status}]"


def test_authenticated_user_is_recorded(visitor: Visitor) -> None:
    user = User.objects.create_user("viewer")
    visitor.log_in(user)
    visitor.get("status")
    assert page_event().user == user


def test_anonymous_visit_records_no_user(visitor: Visitor) -> None:
    visitor.get("status")
    assert page_event().user is None


def test_page_view_adds_at_most_one_insert(visitor: Visitor) -> None:
    visitor.get("status")  # warm caches (content types, URL resolver)
    with CaptureQueriesContext(connection) as queries:
        visitor.get("status")
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1
    assert Event.objects.named(EventNames.PageViewed).count() == 2


def test_long_redirect_note_is_shortened_and_location_kept_whole() -> None:
    request = RequestFactory().get("/" + "p" * 200)
    location = "/" + "l" * 300
    event = event_for_response(request, HttpResponseRedirect(location))
    assert len(event.note) == NOTE_MAX_LENGTH
    assert event.note.startswith(f"/{'p' * 200} -> /l")
    assert event.data["location"] == location


def test_failing_event_write_never_breaks_the_page(
    visitor: Visitor, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Event:
        raise RuntimeError("database is on fire")

    monkeypatch.setattr("djangotailoring.tracking.recording.create_event", broken)
    with caplog.at_level(logging.ERROR, logger="djangotailoring.tracking"):
        response = visitor.get("status")
    assert response.status_code == 200
    assert not Event.objects.exists()
    assert any(r.name == "djangotailoring.tracking" and r.exc_info for r in caplog.records)


@pytest.mark.parametrize("kind", ["fn", "afn", "cbv"])
def test_streaming_response_is_not_consumed(kind: str) -> None:
    visitor = Visitor(kind)
    auto_views.consumed.clear()
    response = visitor.get("stream")
    assert page_event().name == EventNames.PageViewed
    assert auto_views.consumed == []
    if response.is_async:  # type: ignore[attr-defined]

        async def read() -> bytes:
            return b"".join([chunk async for chunk in response])  # type: ignore[attr-defined]

        body = async_to_sync(read)()
    else:
        body = b"".join(response)  # type: ignore[attr-defined]
    assert body == b"onetwothree"
    assert auto_views.consumed == auto_views.STREAM_CHUNKS


@pytest.mark.django_db(transaction=True)
def test_page_view_in_autocommit_is_committed_at_once(visitor: Visitor) -> None:
    visitor.get("status")
    assert page_event().name == EventNames.PageViewed


def test_async_user_lookup_failure_still_records_the_event(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def broken_auser() -> User:
        raise RuntimeError("session store is down")

    request = RequestFactory().get("/afn/status/")
    request.auser = broken_auser  # type: ignore[attr-defined]
    with caplog.at_level(logging.ERROR, logger="djangotailoring.tracking"):
        response = async_to_sync(auto_views.astatus_view)(request)
    assert response.status_code == 200
    event = page_event()
    assert (event.name, event.user) == (EventNames.PageViewed, None)
    assert "Could not resolve the user" in caplog.text
