"""Hand a log record over to the writer, and read what its Event needs from it.

The caller's thread does as little as possible (:func:`hand_over`): a shallow copy of the
record's attributes, the message when it has arguments to format, and the current
request. Everything else (:func:`capture`) happens in the writer, off the caller's thread
and off any event loop: nothing here evaluates a lazy ``request.user`` in the caller.

The copy is shallow on purpose (it is what keeps a log call cheap): an object passed in
``extra`` is read by the writer shortly after the call, so one that the caller mutates
right after logging may be stored in its mutated state. Strings, numbers and other
immutable values are always stored as they were. The record itself is never modified.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from typing import Any

from django.utils.functional import LazyObject, empty

from djangotailoring.requestcontext import (
    RequestState,
    client_address,
    current_state,
    request_id_of,
)
from djangotailoring.sanitizing import json_safe, safe_str

__all__ = [
    "EVENT_KEYS",
    "REQUEST_CONTEXT_ATTRIBUTES",
    "STANDARD_ATTRIBUTES",
    "capture",
    "hand_over",
    "is_event_dict",
]

# Added by RequestContextFilter: context, not extras of the application.
REQUEST_CONTEXT_ATTRIBUTES = frozenset(
    {"request_id", "request_method", "request_path", "remote_addr", "user_id", "username"}
)
STANDARD_ATTRIBUTES = (
    frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)
    | {"message", "asctime"}
    | REQUEST_CONTEXT_ATTRIBUTES
)
# Bookkeeping that structlog adds to records and event dicts.
# Bookkeeping structlog adds: to records by ``wrap_for_formatter`` (only those whose msg is
# an event dict), and to event dicts by ``ProcessorFormatter``. Elsewhere these are extras.
_STRUCTLOG_RECORD_META = frozenset({"_logger", "_name"})
_STRUCTLOG_META = _STRUCTLOG_RECORD_META | {"_record", "_from_structlog"}
_IGNORED_WITH_EVENT_DICT = STANDARD_ATTRIBUTES | _STRUCTLOG_RECORD_META
_NOT_EXTRAS_OF_EVENT_DICT = _STRUCTLOG_META | REQUEST_CONTEXT_ATTRIBUTES | {"event"}
EVENT_KEYS = ("event_name", "note", "user", "related_object")
_formatter = logging.Formatter()


def is_event_dict(msg: object, args: object) -> bool:
    """Whether a record's ``msg`` is a structlog event dict (``ProcessorFormatter`` setup)."""
    try:
        return isinstance(msg, dict) and "event" in msg and not args
    except Exception:
        # isinstance() fails on a lazy object whose setup raises: not an event dict.
        return False


def _exception_text(exc_info: Any) -> str | None:
    try:
        return _formatted_exception(exc_info)
    except Exception:
        # A malformed exc_info (not a real exception triple) is kept as it is.
        return safe_str(exc_info)


def _formatted_exception(exc_info: Any) -> str | None:
    if not exc_info:
        return None
    if exc_info is True:
        exc_info = sys.exc_info()
    elif isinstance(exc_info, BaseException):
        exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
    if not isinstance(exc_info, tuple) or exc_info[0] is None:
        return None
    return _formatter.formatException(exc_info)


def _is_request(value: Any) -> bool:
    try:
        return hasattr(value, "META")
    except Exception:
        # A proxy that fails on attribute access (hasattr() lets that through).
        return False


def _request_user(request: Any) -> tuple[Any, Any]:
    """The user if already loaded, else the request to resolve it from later."""
    for cached in ("_cached_user", "_acached_user"):
        user = request.__dict__.get(cached)
        if user is not None:
            return user, None
    user = getattr(request, "user", None)
    if isinstance(user, LazyObject):
        wrapped = user._wrapped
        return (None, request) if wrapped is empty else (wrapped, None)
    return user, None


def hand_over(record: logging.LogRecord) -> tuple[dict[str, Any], RequestState | None]:
    """What the caller's thread hands to the writer: cheap, and safe in any thread or loop."""
    values = record.__dict__.copy()
    if record.args:
        # Arguments may be mutable: format them now, as the caller sees them.
        with contextlib.suppress(Exception):
            values["message"] = record.getMessage()
    elif type(record.msg) is dict and record.msg.get("exc_info") is True:
        # structlog's exc_info=True means "the exception being handled here and now".
        values["exc_info"] = sys.exc_info()
    return values, current_state()


def _message(values: dict[str, Any], extras: dict[str, Any]) -> str:
    message = values.get("message")
    if isinstance(message, str):
        return message
    msg, args = values.get("msg"), values.get("args")
    try:
        return str(msg) % args if args else str(msg)
    except Exception:
        # A bad format string must not lose the record: keep the template and its arguments.
        extras["args"] = json_safe(args)
        return safe_str(msg)


def capture(values: dict[str, Any], state: RequestState | None) -> dict[str, Any]:
    """Return a plain mapping with everything the Event of a handed-over record needs."""
    msg = values.get("msg")
    structlog_record = is_event_dict(msg, values.get("args"))
    ignored = _IGNORED_WITH_EVENT_DICT if structlog_record else STANDARD_ATTRIBUTES
    extras = {key: value for key, value in values.items() if key not in ignored}
    captured: dict[str, Any] = {
        "created": values["created"],
        "logger": values["name"],
        "level": values["levelname"],
    }
    exc_info = values.get("exc_info")
    exception = values.get("exc_text") or (_exception_text(exc_info) if exc_info else None)
    if structlog_record:
        event_dict: dict[str, Any] = msg  # type: ignore[assignment]
        captured["message"] = event_dict["event"]
        for key, value in event_dict.items():
            if key in _NOT_EXTRAS_OF_EVENT_DICT:
                continue
            if key == "exc_info":
                exception = exception or _exception_text(
                    values["exc_info"] if value is True else value
                )
            elif key == "exception" and isinstance(value, str):
                exception = exception or value
            else:
                extras[key] = value
    else:
        captured["message"] = _message(values, extras)
    if exception:
        captured["exception"] = exception

    for key in EVENT_KEYS:
        if key in extras:
            captured[key] = extras.pop(key)
    request = extras.pop("request", None)
    if request is not None and not _is_request(request):
        extras["request"] = request
        request = None
    if request is not None:
        request_id = request_id_of(request)
    elif state is not None:
        request, request_id = state.request, state.request_id
    if request is not None:
        captured["request"] = {
            "id": request_id,
            "method": request.method,
            "path": request.path,
            "remote_addr": client_address(request),
        }
        if "user" not in captured:
            user, lazy = _request_user(request)
            if lazy is not None:
                captured["lazy_user"] = lazy
            elif user is not None:
                captured["request_user"] = user
    if extras:
        captured["extra"] = extras
    return captured
