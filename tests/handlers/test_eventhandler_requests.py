"""EventHandler during real requests: request context, the request's user, async views."""

from __future__ import annotations

import logging

import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import AsyncClient, Client
from django.urls import path

from djangotailoring.handlers import EventHandler
from djangotailoring.tracking.models import Event
from tests.handlers.conftest import HandlerFactory

log = logging.getLogger("app")


def logging_view(request: HttpRequest) -> HttpResponse:
    log.info("PageLogged", extra={"event_name": "Viewed"})
    return HttpResponse("ok")


async def async_logging_view(request: HttpRequest) -> HttpResponse:
    log.info("AsyncLogged")
    return HttpResponse("ok")


urlpatterns = [
    path("log/", logging_view),
    path("alog/", async_logging_view),
]

pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def handler_errors(monkeypatch: pytest.MonkeyPatch) -> list[BaseException | None]:
    """Errors EventHandler would report through handleError()."""
    import sys

    errors: list[BaseException | None] = []
    monkeypatch.setattr(
        EventHandler, "handleError", lambda self, record: errors.append(sys.exc_info()[1])
    )
    return errors


def test_request_context_is_stored(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    response = Client().get("/log/?q=1", headers={"X-Request-ID": "req-42"})
    handler.flush()
    event = Event.objects.get()
    assert response["X-Request-ID"] == "req-42"
    assert event.data["request"] == {
        "id": "req-42",
        "method": "GET",
        "path": "/log/",
        "remote_addr": "127.0.0.1",
    }
    assert Event.objects.filter(data__request__id="req-42").count() == 1


def test_authenticated_request_user_is_the_user(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    user = User.objects.create(username="ann")
    client = Client()
    client.force_login(user)
    client.get("/log/")
    handler.flush()
    assert Event.objects.get(name="Viewed").user == user


def test_anonymous_request_has_no_user(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    Client().get("/log/")
    handler.flush()
    assert Event.objects.get().user is None


def test_explicit_user_wins_over_request_user(event_handler: HandlerFactory) -> None:
    handler = event_handler()
    ann = User.objects.create(username="ann")
    bob = User.objects.create(username="bob")

    def view(request: HttpRequest) -> HttpResponse:
        log.info("Granted", extra={"user": bob})
        return HttpResponse("ok")

    from django.test import RequestFactory

    from djangotailoring.tracking.middleware import RequestContextMiddleware

    request = RequestFactory().get("/x/")
    request.user = ann
    RequestContextMiddleware(view)(request)
    handler.flush()
    assert Event.objects.get(name="Granted").user == bob


def test_async_view_logs_without_errors_and_persists(
    event_handler: HandlerFactory, handler_errors: list[BaseException | None]
) -> None:
    handler = event_handler()
    user = User.objects.create(username="ann")
    client = AsyncClient()
    async_to_sync(client.aforce_login)(user)
    response = async_to_sync(client.get)("/alog/")
    handler.flush()
    assert response.status_code == 200
    assert handler_errors == []
    event = Event.objects.get(name="AsyncLogged")
    assert event.user == user
    assert event.data["request"]["path"] == "/alog/"


def test_immediate_handler_in_async_view_hands_over_instead(
    event_handler: HandlerFactory, handler_errors: list[BaseException | None]
) -> None:
    handler = event_handler(immediate=True)
    async_to_sync(AsyncClient().get)("/alog/")
    handler.flush()
    assert handler_errors == []
    assert Event.objects.filter(name="AsyncLogged").count() == 1
