"""``LogPageViewMixin``: an event for every response of a class-based view, sync or async."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from djangotailoring.tracking.pageviews import (
    arecord_exception,
    arecord_response,
    record_exception,
    record_response,
)

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

__all__ = ["LogPageViewMixin"]


class LogPageViewMixin:
    """Record an event for every response of a class-based view; put it before ``View``.

    The events are those of :func:`~djangotailoring.tracking.decorators.log_page_view`:
    ``PageViewed``, ``Redirected`` or ``PageError`` by status, ``PageError`` for an
    exception (which propagates unchanged). Views whose handlers are ``async def`` are
    supported::

        class Dashboard(LogPageViewMixin, TemplateView):
            template_name = "dashboard.html"
    """

    view_is_async: bool

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if self.view_is_async:
            return self._adispatch(request, *args, **kwargs)
        try:
            response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        except Exception as exception:
            record_exception(request, exception)
            raise
        record_response(request, response)
        return response

    async def _adispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            response: HttpResponseBase = await super().dispatch(  # type: ignore[misc]
                request, *args, **kwargs
            )
        except Exception as exception:
            await arecord_exception(request, exception)
            raise
        await arecord_response(request, response)
        return response
