"""``RequestContextMiddleware``: the current request and its id, for logs and events."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase

from djangotailoring.conf import conf
from djangotailoring.requestcontext import (
    RequestState,
    incoming_request_id,
    new_request_id,
    reset_current,
    set_current,
)

__all__ = ["RequestContextMiddleware"]


class RequestContextMiddleware:
    """Make the current request and its id available to logging filters, processors and handlers.

    The request id is the ``TRACKING_REQUEST_ID_HEADER`` header (``X-Request-ID``) of the
    request when it is well-formed (see
    :func:`~djangotailoring.requestcontext.is_valid_request_id`), a new one otherwise; it
    is set as ``request.request_id`` and echoed in the same response header (unless the view
    set that header itself). The context is set while the view runs and cleared when the
    middleware returns; a streaming body gets it back while each chunk is produced, so it
    lasts until the last chunk, and a body that is never iterated leaves nothing behind.

    Put it first in ``MIDDLEWARE``. It never touches ``request.user`` or the session, so
    it adds no ``Vary: Cookie`` and no query.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        state = _begin(request)
        token = set_current(state)
        try:
            response = self.get_response(request)
        finally:
            reset_current(token)
        return _finish(response, state)

    async def __acall__(self, request: HttpRequest) -> Any:
        state = _begin(request)
        token = set_current(state)
        try:
            get_response: Callable[[HttpRequest], Awaitable[Any]] = self.get_response
            response = await get_response(request)
        finally:
            reset_current(token)
        return _finish(response, state)


def _begin(request: HttpRequest) -> RequestState:
    request_id = incoming_request_id(request) or new_request_id()
    request.request_id = request_id  # type: ignore[attr-defined]
    return RequestState(request=request, request_id=request_id)


def _finish(response: HttpResponseBase, state: RequestState) -> HttpResponseBase:
    # An invalid header name is reported by the check djangotailoring.E001, not here.
    with contextlib.suppress(ValueError):
        response.setdefault(conf.REQUEST_ID_HEADER, state.request_id)
    # A file streamed by the server (FileResponse, sendfile) runs no code of ours to log.
    if response.streaming and getattr(response, "file_to_stream", None) is None:
        content: Any = response.streaming_content  # type: ignore[attr-defined]
        if response.is_async:  # type: ignore[attr-defined]
            response.streaming_content = _achunks_within(content, state)  # type: ignore[attr-defined]
        else:
            response.streaming_content = _chunks_within(content, state)  # type: ignore[attr-defined]
    return response


def _chunks_within(content: Iterable[bytes], state: RequestState) -> Iterator[bytes]:
    # A generator runs in its caller's context: set the request around each step only, so
    # that nothing is left set between chunks, after the last one, or if the body is dropped.
    iterator = iter(content)
    while True:
        token = set_current(state)
        try:
            chunk = next(iterator)
        except StopIteration:
            return
        finally:
            reset_current(token)
        yield chunk


async def _achunks_within(
    content: AsyncIterable[bytes], state: RequestState
) -> AsyncIterator[bytes]:
    iterator = aiter(content)
    while True:
        token = set_current(state)
        try:
            chunk = await anext(iterator)
        except StopAsyncIteration:
            return
        finally:
            reset_current(token)
        yield chunk
