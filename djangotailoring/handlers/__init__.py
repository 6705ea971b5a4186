"""Logging handlers, filters and structlog processors for djangotailoring.

Importing this package does nothing: it is imported by ``LOGGING`` before the app registry
is ready, so the public names are loaded on first access and no model is imported here.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

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


def __getattr__(name: str) -> Any:
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
