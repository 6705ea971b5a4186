"""``log_page_view`` as a decorator: both forms, sync and async, called directly."""

from __future__ import annotations

import inspect

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from djangotailoring.tracking import EventNames
from djangotailoring.tracking.decorators import log_page_view
from djangotailoring.tracking.models import Event
from tests import auto_views

pytestmark = pytest.mark.django_db


def plain(request: HttpRequest) -> HttpResponse:
    """Answer hello."""
    return HttpResponse("hello")


async def aplain(request: HttpRequest) -> HttpResponse:
    """Answer hello, asynchronously."""
    return HttpResponse("hello")


@pytest.mark.parametrize("decorate", [log_page_view, log_page_view()])
def test_bare_and_called_forms_keep_the_view_identity(decorate: object) -> None:
    wrapped = decorate(plain)  # type: ignore[operator]
    assert wrapped is not plain
    assert wrapped.__name__ == "plain"
    assert wrapped.__doc__ == "Answer hello."
    assert wrapped.__wrapped__ is plain


def test_decorated_sync_view_stays_sync() -> None:
    assert not iscoroutinefunction(log_page_view(plain))


def test_decorated_async_view_stays_a_coroutine_function() -> None:
    wrapped = log_page_view(aplain)
    assert iscoroutinefunction(wrapped)
    assert inspect.iscoroutinefunction(wrapped)
    assert wrapped.__name__ == "aplain"


def test_direct_call_records_page_viewed_without_middleware() -> None:
    response = log_page_view(plain)(RequestFactory().get("/direct/"))
    assert response.content == b"hello"
    event = Event.objects.get()
    assert (event.name, event.note, event.user) == (EventNames.PageViewed, "/direct/", None)


def test_direct_async_call_records_page_viewed_without_middleware() -> None:
    response = async_to_sync(log_page_view(aplain))(RequestFactory().get("/adirect/"))
    assert response.content == b"hello"
    event = Event.objects.get()
    assert (event.name, event.note) == (EventNames.PageViewed, "/adirect/")


def test_direct_call_reraises_the_same_exception_object() -> None:
    with pytest.raises(auto_views.Boom) as caught:
        auto_views.raising_view(RequestFactory().get("/fn/raise/"))
    assert caught.value is auto_views.raised[-1]
    assert caught.value.__traceback__ is not None
    assert Event.objects.get().data["status"] == 500


def test_direct_async_call_reraises_the_same_exception_object() -> None:
    with pytest.raises(auto_views.Boom) as caught:
        async_to_sync(auto_views.araising_view)(RequestFactory().get("/afn/raise/"))
    assert caught.value is auto_views.raised[-1]
    assert Event.objects.get().name == EventNames.PageError
