"""``log_page_view``: an event for every response of a function view, sync or async."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast, overload

from asgiref.sync import iscoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from djangotailoring.tracking.pageviews import (
    arecord_exception,
    arecord_response,
    record_exception,
    record_response,
)

__all__ = ["log_page_view"]

_View = TypeVar("_View", bound=Callable[..., Any])


def _decorate(view: _View) -> _View:
    if iscoroutinefunction(view):
        async_view = cast(Callable[..., Awaitable[HttpResponseBase]], view)

        @functools.wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                response = await async_view(request, *args, **kwargs)
            except Exception as exception:
                await arecord_exception(request, exception)
                raise
            await arecord_response(request, response)
            return response

        return cast(_View, async_wrapper)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            response = view(request, *args, **kwargs)
        except Exception as exception:
            record_exception(request, exception)
            raise
        record_response(request, response)
        return response

    return cast(_View, wrapper)


@overload
def log_page_view(view: _View) -> _View: ...


@overload
def log_page_view(view: None = None) -> Callable[[_View], _View]: ...


def log_page_view(view: _View | None = None) -> _View | Callable[[_View], _View]:
    """Record an event for every response of a function view (sync or async).

    A 2xx or 304 response records ``PageViewed``; 301, 302, 303, 307 and 308 record
    ``Redirected`` with ``"path -> location"`` as the note; any other status records
    ``PageError`` with ``"path [status]"`` as the note and ``data["status"]``. A view that
    raises records ``PageError`` (status 500, or the status Django answers ``Http404``,
    ``PermissionDenied`` or ``BadRequest`` with) and the exception propagates unchanged.
    Streaming bodies are not consumed. Recording adds at most one INSERT to the request and
    never raises: a failed write is logged on ``djangotailoring.tracking``.

    Use it bare or called::

        @log_page_view
        def home(request): ...

        @log_page_view()
        async def feed(request): ...
    """
    if view is None:
        return _decorate
    return _decorate(view)
