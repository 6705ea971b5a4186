"""Which event a response or an exception makes, shared by ``log_page_view`` and its mixin.

- 2xx or 304: ``PageViewed`` (note: the path);
- 301, 302, 303, 307, 308: ``Redirected`` (note: ``"path -> location"``);
- any other status: ``PageError`` (note: ``"path [status]"``);
- an exception: ``PageError`` with the status Django answers it with (404 for ``Http404``,
  403 for ``PermissionDenied``, 400 for ``BadRequest``/``SuspiciousOperation``, 500 otherwise).

``data`` holds ``status`` (and ``location`` or ``exception`` where they apply). Only the
status and headers of a response are read, so streaming bodies are never consumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import BadRequest, PermissionDenied, SuspiciousOperation
from django.http import Http404

from djangotailoring.limits import NOTE_MAX_LENGTH
from djangotailoring.sanitizing import fit, safe_str
from djangotailoring.tracking.eventnames import EventNames
from djangotailoring.tracking.recording import arecord_automatic, record_automatic

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

__all__ = [
    "REDIRECT_STATUSES",
    "PageEvent",
    "arecord_exception",
    "arecord_response",
    "event_for_exception",
    "event_for_response",
    "record_exception",
    "record_response",
]

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_EXCEPTION_STATUSES: tuple[tuple[type[Exception], int], ...] = (
    (Http404, 404),
    (PermissionDenied, 403),
    (BadRequest, 400),
    (SuspiciousOperation, 400),
)


@dataclass(frozen=True)
class PageEvent:
    """The name, note and data of the event a page view makes."""

    name: str
    note: str
    data: dict[str, Any] = field(default_factory=dict)


def _note(text: str) -> str:
    return fit(text, NOTE_MAX_LENGTH)[0]


def event_for_response(request: HttpRequest, response: HttpResponseBase) -> PageEvent:
    """The event for ``response`` to ``request``, by its status code."""
    status = response.status_code
    path = request.path
    if 200 <= status < 300 or status == 304:
        return PageEvent(EventNames.PageViewed, _note(path), {"status": status})
    if status in REDIRECT_STATUSES:
        location = safe_str(response.get("Location", ""))
        return PageEvent(
            EventNames.Redirected,
            _note(f"{path} -> {location}"),
            {"status": status, "location": location},
        )
    return PageEvent(EventNames.PageError, _note(f"{path} [{status}]"), {"status": status})


def event_for_exception(request: HttpRequest, exception: BaseException) -> PageEvent:
    """The event for a view that raised ``exception`` (only its type is kept, never its text)."""
    status = next((code for kind, code in _EXCEPTION_STATUSES if isinstance(exception, kind)), 500)
    kind = type(exception)
    return PageEvent(
        EventNames.PageError,
        _note(f"{request.path} [{status}]"),
        {"status": status, "exception": f"{kind.__module__}.{kind.__qualname__}"},
    )


def record_response(request: HttpRequest, response: HttpResponseBase) -> None:
    """Record the event for ``response`` (errors are logged, never raised)."""
    event = event_for_response(request, response)
    record_automatic(event.name, request, note=event.note, data=event.data)


def record_exception(request: HttpRequest, exception: BaseException) -> None:
    """Record the ``PageError`` for ``exception`` (errors are logged, never raised)."""
    event = event_for_exception(request, exception)
    record_automatic(event.name, request, note=event.note, data=event.data)


async def arecord_response(request: HttpRequest, response: HttpResponseBase) -> None:
    """Async twin of :func:`record_response`."""
    event = event_for_response(request, response)
    await arecord_automatic(event.name, request, note=event.note, data=event.data)


async def arecord_exception(request: HttpRequest, exception: BaseException) -> None:
    """Async twin of :func:`record_exception`."""
    event = event_for_exception(request, exception)
    await arecord_automatic(event.name, request, note=event.note, data=event.data)
