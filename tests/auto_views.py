"""Views for the tests of automatic events: login, logout and page views."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import PermissionDenied
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotModified,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.views import View

from djangotailoring.tracking.decorators import log_page_view
from djangotailoring.tracking.views import LogPageViewMixin


class Boom(Exception):
    """The error the failing views raise."""


class PlainLoginView(LoginView):
    """Django's LoginView without a template: a failed login answers a plain 200."""

    def form_invalid(self, form: AuthenticationForm) -> HttpResponse:
        return HttpResponse("invalid login")


STREAM_CHUNKS = [b"one", b"two", b"three"]
consumed: list[bytes] = []
raised: list[Exception] = []


def _status_response(request: HttpRequest) -> HttpResponse:
    status = int(request.GET.get("status", "200"))
    if status in (301, 302, 303, 307, 308):
        response = HttpResponseRedirect(request.GET.get("to", "/target/"))
        response.status_code = status
        return response
    if status == 304:
        return HttpResponseNotModified()
    return HttpResponse("body", status=status)


def _raise(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind", "boom")
    if kind == "404":
        raise Http404("no such page")
    if kind == "403":
        raise PermissionDenied
    error = Boom("secret detail")
    raised.append(error)
    raise error


def _stream() -> Iterator[bytes]:
    for chunk in STREAM_CHUNKS:
        consumed.append(chunk)
        yield chunk


async def _astream() -> AsyncIterator[bytes]:
    for chunk in STREAM_CHUNKS:
        consumed.append(chunk)
        yield chunk


@log_page_view
def status_view(request: HttpRequest) -> HttpResponse:
    return _status_response(request)


@log_page_view()
def raising_view(request: HttpRequest) -> HttpResponse:
    return _raise(request)


@log_page_view
def streaming_view(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(_stream())


@log_page_view
async def astatus_view(request: HttpRequest) -> HttpResponse:
    return _status_response(request)


@log_page_view
async def araising_view(request: HttpRequest) -> HttpResponse:
    return _raise(request)


@log_page_view
async def astreaming_view(request: HttpRequest) -> StreamingHttpResponse:
    return StreamingHttpResponse(_astream())


class StatusView(LogPageViewMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return _status_response(request)


class RaisingView(LogPageViewMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return _raise(request)


class StreamingView(LogPageViewMixin, View):
    def get(self, request: HttpRequest) -> StreamingHttpResponse:
        return StreamingHttpResponse(_stream())


class AsyncStatusView(LogPageViewMixin, View):
    async def get(self, request: HttpRequest) -> HttpResponse:
        return _status_response(request)


class AsyncRaisingView(LogPageViewMixin, View):
    async def get(self, request: HttpRequest) -> HttpResponse:
        return _raise(request)
