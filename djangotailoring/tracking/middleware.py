"""``RequestContextMiddleware``: the current request and its id, for logs and events."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase, StreamingHttpResponse

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

    The request id is taken from the ``TRACKING_REQUEST_ID_HEADER`` header when it is
    well-formed, generated otherwise, set as ``request.request_id`` and echoed in the
    response header. The context is cleared when the response is done (for a streaming
    response, after its last chunk). ``request.user`` and the session are never touched.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def _begin(self, request: HttpRequest) -> tuple[RequestState, Any]:
        request_id = incoming_request_id(request) or new_request_id()
        request.request_id = request_id  # type: ignore[attr-defined]
        state = RequestState(request=request, request_id=request_id)
        return state, set_current(state)

    def _finish(self, response: HttpResponseBase, state: RequestState, token: Any) -> bool:
        """Echo the id; return True when the context must stay until the body is sent."""
        response[conf.REQUEST_ID_HEADER] = state.request_id
        if not isinstance(response, StreamingHttpResponse):
            return False
        if response.is_async:
            response.streaming_content = self._aiter_within(
                response.streaming_content, state, token  # type: ignore[arg-type]
            )
        else:
            response.streaming_content = self._iter_within(
                response.streaming_content, state, token  # type: ignore[arg-type]
            )
        return True

    @staticmethod
    def _iter_within(content: Iterator[bytes], state: RequestState, token: Any) -> Iterator[bytes]:
        # The server iterates the body after the middleware has returned: keep the context set
        # while chunks are produced, and clear it after the last one.
        inner = set_current(state)
        try:
            yield from content
        finally:
            reset_current(inner)
            reset_current(token)

    @staticmethod
    async def _aiter_within(
        content: AsyncIterator[bytes], state: RequestState, token: Any
    ) -> AsyncIterator[bytes]:
        inner = set_current(state)
        try:
            async for chunk in content:
                yield chunk
        finally:
            reset_current(inner)
            reset_current(token)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self.__acall__(request)
        state, token = self._begin(request)
        keep = False
        try:
            response = self.get_response(request)
            keep = self._finish(response, state, token)
            return response
        finally:
            if not keep:
                reset_current(token)

    async def __acall__(self, request: HttpRequest) -> Any:
        state, token = self._begin(request)
        keep = False
        try:
            response = await self.get_response(request)
            keep = self._finish(response, state, token)
            return response
        finally:
            if not keep:
                reset_current(token)
