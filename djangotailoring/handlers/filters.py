"""``RequestContextFilter``: the context of the current request on every log record."""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING, Any

from djangotailoring.handlers.contextfields import (
    CONTEXT_FIELDS,
    context_fields,
    task_request_fields,
)
from djangotailoring.handlers.logfields import (
    FIELDS,
    PLACEHOLDER,
    USER_FIELDS,
    request_fields,
    resolve_user,
    user_fields,
)
from djangotailoring.requestcontext import (
    current_request,
    in_event_loop,
    loaded_user,
    unwrap_request,
    user_is_loaded,
)
from djangotailoring.taskcontext import current_task

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = ["RequestContextFilter"]

_ALL_FIELDS = FIELDS + CONTEXT_FIELDS


class RequestContextFilter(logging.Filter):
    """Add ``request_id``, ``request_method``, ``request_path``, ``remote_addr``, ``user_id``,
    ``username``, ``task_id``, ``task_name``, ``trace_id`` and ``span_id`` to every record.

    The request is the record's own ``request`` extra (Django's ``django.request`` and
    ``django.security`` records and the ``djangotailoring.tracking.events`` records carry
    one) or else the current request set by
    :class:`~djangotailoring.tracking.middleware.RequestContextMiddleware`. Whatever is
    unknown, including everything outside a request, is ``"-"``, so a format string such
    as ``"%(request_id)s %(request_path)s %(message)s"`` works on any record. Text values
    have control characters escaped, so they cannot forge log lines.

    The filter only adds attributes: one a record already has (an explicit ``extra``, or
    this filter on another handler) is kept. It always returns ``True`` and never raises.

    The user is not looked up by the middleware: when it is not loaded yet, ``user_id`` and
    ``username`` are lazy values, looked up when first formatted (``str()``, ``format()``,
    ``repr()``, comparison, pickling), so a format without them costs no query and adds no
    ``Vary: Cookie``, and a user set by a later authentication layer is seen. In a running
    event loop, or when formatted in another thread, they never query: they show the user
    only if it is already loaded, ``"-"`` otherwise.

    In a Celery task (see :doc:`/recipes/celery`) ``request_id`` and ``user_id`` are those of
    the request that enqueued it, and ``task_id``, ``task_name`` those of the task; while an
    OpenTelemetry span is recording, ``trace_id`` and ``span_id`` are its W3C hex ids.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Add the missing request attributes to ``record``; return ``True``."""
        missing = [name for name in _ALL_FIELDS if name not in record.__dict__]
        if not missing:
            return True
        try:
            values = _record_values(record)
        except Exception:
            values = {}
        for name in missing:
            value = values.get(name)
            setattr(record, name, PLACEHOLDER if value is None else value)
        return True


def _record_values(record: logging.LogRecord) -> dict[str, Any]:
    request = unwrap_request(record.__dict__.get("request")) or current_request()
    task = current_task()
    values = context_fields(task)
    if request is None:
        if task is not None:
            values.update(task_request_fields(task))
        return values
    values.update(request_fields(request))
    if user_is_loaded(request) or in_event_loop():
        values.update(user_fields(loaded_user(request)))
    else:
        values.update({name: LazyUserField(request, name) for name in USER_FIELDS})
    return values


class LazyUserField:
    """``user_id`` or ``username`` of a request, looked up when first used, then fixed.

    Looks like its value to formatting, comparison and JSON encoders (``str()``,
    ``__structlog__``); pickles as the plain value.
    """

    __slots__ = ("_name", "_pending", "_thread", "_value")

    def __init__(self, request: HttpRequest, name: str) -> None:
        self._pending: HttpRequest | None = request
        self._name = name
        self._thread = threading.get_ident()
        self._value: Any = PLACEHOLDER

    def resolve(self) -> Any:
        """The value: the user's primary key or username, ``"-"`` when there is none."""
        request, self._pending = self._pending, None
        if request is not None:
            try:
                if threading.get_ident() == self._thread:
                    user = resolve_user(request)
                else:
                    user = loaded_user(request)
                value = user_fields(user)[self._name]
            except Exception:
                value = None
            self._value = PLACEHOLDER if value is None else value
        return self._value

    def __str__(self) -> str:
        return str(self.resolve())

    def __repr__(self) -> str:
        return repr(self.resolve())

    def __format__(self, format_spec: str) -> str:
        return format(self.resolve(), format_spec)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyUserField):
            other = other.resolve()
        return bool(self.resolve() == other)

    def __hash__(self) -> int:
        return hash(self.resolve())

    def __bool__(self) -> bool:
        return bool(self.resolve())

    def __reduce__(self) -> tuple[Any, tuple[Any]]:
        value = self.resolve()
        return (int, (value,)) if isinstance(value, int) else (str, (str(value),))

    def __structlog__(self) -> Any:
        return self.resolve()
