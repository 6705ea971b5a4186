"""Logging handlers, filters and structlog processors for djangotailoring.

Importing this package does nothing: it is imported by ``LOGGING`` before the app registry
is ready, so the public names are loaded on first access and no model is imported here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from djangotailoring.lazyexports import lazy_exports

if TYPE_CHECKING:
    from djangotailoring.handlers.eventhandler import EventHandler
    from djangotailoring.handlers.filters import RequestContextFilter
    from djangotailoring.handlers.processors import (
        add_request_context,
        event_fields,
        make_json_safe,
    )

__all__ = [
    "EventHandler",
    "RequestContextFilter",
    "add_request_context",
    "event_fields",
    "make_json_safe",
]

_LAZY = {
    "EventHandler": "djangotailoring.handlers.eventhandler",
    "RequestContextFilter": "djangotailoring.handlers.filters",
    "add_request_context": "djangotailoring.handlers.processors",
    "event_fields": "djangotailoring.handlers.processors",
    "make_json_safe": "djangotailoring.handlers.processors",
}


__getattr__, __dir__ = lazy_exports(__name__, _LAZY, globals())
