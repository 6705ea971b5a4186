"""``LogPageViewMixin`` on class-based views, including Django's generic views."""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync, iscoroutinefunction
from django.test import Client, RequestFactory
from django.views.generic import RedirectView

from djangotailoring.tracking import EventNames
from djangotailoring.tracking.models import Event
from djangotailoring.tracking.views import LogPageViewMixin
from tests import auto_views

pytestmark = pytest.mark.django_db


class LoggedRedirect(LogPageViewMixin, RedirectView):
    url = "/next/"


def test_mixin_works_with_django_generic_views() -> None:
    response = LoggedRedirect.as_view()(RequestFactory().get("/go/"))
    assert response.status_code == 302
    event = Event.objects.get()
    assert (event.name, event.note) == (EventNames.Redirected, "/go/ -> /next/")


def test_async_handlers_make_an_async_view() -> None:
    assert iscoroutinefunction(auto_views.AsyncStatusView.as_view())
    assert not iscoroutinefunction(auto_views.StatusView.as_view())


@pytest.mark.urls("tests.auto_urls")
def test_method_not_allowed_records_page_error_405(client: Client) -> None:
    response = client.post("/cbv/status/")
    assert response.status_code == 405
    event = Event.objects.get()
    assert (event.name, event.note) == (EventNames.PageError, "/cbv/status/ [405]")


def test_direct_call_reraises_the_same_exception_object() -> None:
    with pytest.raises(auto_views.Boom) as caught:
        auto_views.RaisingView.as_view()(RequestFactory().get("/cbv/raise/"))
    assert caught.value is auto_views.raised[-1]
    assert Event.objects.get().data["status"] == 500


def test_direct_async_call_reraises_the_same_exception_object() -> None:
    view = auto_views.AsyncRaisingView.as_view()
    with pytest.raises(auto_views.Boom) as caught:
        async_to_sync(view)(RequestFactory().get("/acbv/raise/"))
    assert caught.value is auto_views.raised[-1]
    assert Event.objects.get().name == EventNames.PageError
