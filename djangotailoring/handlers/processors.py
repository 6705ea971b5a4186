"""structlog processors: request context, and JSON-safe values for the events logger's records.

They are plain callables ``(logger, method_name, event_dict) -> event_dict``: this module
does not import structlog, which stays an optional dependency.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any, TypeAlias

from djangotailoring.handlers.contextfields import context_fields, task_request_fields
from djangotailoring.handlers.logfields import request_fields, resolve_user, user_fields
from djangotailoring.requestcontext import current_request, request_context, unwrap_request
from djangotailoring.sanitizing import json_safe
from djangotailoring.taskcontext import current_task

__all__ = ["add_request_context", "event_fields", "make_json_safe"]

EventDict: TypeAlias = MutableMapping[str, Any]

# Keys structlog's ProcessorFormatter and its exception processors still need as they are.
_LEFT_AS_THEY_ARE = frozenset({"_record", "_from_structlog", "exc_info", "stack_info"})


def add_request_context(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Add ``request_id``, ``request_method``, ``request_path``, ``remote_addr``, ``user_id``
    and ``username`` of the request to ``event_dict``.

    The request is a ``request`` key of the event dict, else the ``request`` of the log
    record (in a ``ProcessorFormatter``'s ``foreign_pre_chain``, e.g. Django's
    ``django.request`` records), else the current request set by
    :class:`~djangotailoring.tracking.middleware.RequestContextMiddleware`. Keys that are
    present already are kept; values that are unknown are left out, and so is everything
    outside a request. The user is loaded if need be, except in a running event loop, where
    it appears only when it is already loaded. In a Celery task, ``request_id`` and
    ``user_id`` are the enqueuing request's, with ``task_id`` and ``task_name``; while an
    OpenTelemetry span is recording, ``trace_id`` and ``span_id`` are added. Never raises.
    """
    try:
        record = event_dict.get("_record")
        request = (
            unwrap_request(event_dict.get("request"))
            or unwrap_request(getattr(record, "request", None))
            or current_request()
        )
        task = current_task()
        fields = context_fields(task)
        if request is not None:
            fields.update(request_fields(request))
            fields.update(user_fields(resolve_user(request)))
        elif task is not None:
            fields.update(task_request_fields(task))
        for key, value in fields.items():
            if value is not None:
                event_dict.setdefault(key, value)
    except Exception:  # noqa: S110 - a log call must go on without its context.
        pass
    return event_dict


def _is_event(value: object) -> bool:
    meta = getattr(value, "_meta", None)
    return getattr(meta, "label_lower", None) == "tracking.event"


def event_fields(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Name records of ``djangotailoring.tracking.events`` after their Event.

    For such a record, ``event`` becomes the Event's name (``"UserLoggedIn"``) and
    ``event_id`` its primary key. The record carries the Event object itself as its
    ``event`` extra, which ``structlog.stdlib.ExtraAdder`` copies over structlog's ``event``;
    this puts a name back in its place. Put ``ExtraAdder()`` first for the record's other
    extras (``note``, ``user``, ``related_object``, ``timestamp``, ``request``) and
    :func:`make_json_safe` last. Other event dicts pass unchanged.
    """
    event = event_dict.get("event")
    if not _is_event(event):
        event = getattr(event_dict.get("_record"), "event", None)
        if not _is_event(event):
            return event_dict
    event_dict["event"] = getattr(event, "name", None)
    event_dict.setdefault("event_id", getattr(event, "pk", None))
    return event_dict


def _json_value(value: Any) -> Any:
    request = unwrap_request(value)
    if request is not None:
        return request_context(request)
    if hasattr(type(value), "__structlog__"):
        value = value.__structlog__()
    return json_safe(value)


def make_json_safe(logger: Any, method_name: str, event_dict: EventDict) -> EventDict:
    """Make every value of ``event_dict`` JSON-serialisable, so a JSON renderer never fails.

    A request becomes its ``{"id", "method", "path", "remote_addr"}``; datetimes, UUIDs and
    decimals become strings; model instances and other objects their ``str()``; containers
    are copied recursively. ``_record``, ``_from_structlog``, ``exc_info`` and
    ``stack_info`` are left for the processors that need them. Put it just before the
    renderer (or at the end of a ``foreign_pre_chain``).
    """
    for key, value in list(event_dict.items()):
        if key not in _LEFT_AS_THEY_ARE:
            try:
                event_dict[key] = _json_value(value)
            except Exception:
                event_dict[key] = f"<unprintable {type(value).__qualname__} object>"
    return event_dict
