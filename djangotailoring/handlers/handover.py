"""What the caller's thread hands to ``EventHandler``'s writer: plain values only.

:func:`hand_over` runs in the thread that logs. It reads everything an Event needs from
the record *now* and keeps only strings, numbers, ``None`` and containers of them: no
reference to the record, the request, the user, a model instance, a traceback or any
other object of the caller. A queued record therefore keeps nothing of a finished request
alive (no garbage that survives into the oldest generation), and an object changed by the
caller after the log call is stored as it was at the call.

It never queries the database: a user that is loaded already is taken by its primary key;
a lazy ``request.user`` that nobody has evaluated is handed over as the session key, and
the writer finds the session's user (see :mod:`djangotailoring.handlers.sessionusers`).
"""

from __future__ import annotations

import logging
import sys
import uuid
from typing import Any, TypedDict

from django.utils.functional import LazyObject, empty

from djangotailoring.limits import RELATED_DESCRIPTION_MAX_LENGTH
from djangotailoring.requestcontext import (
    RequestState,
    current_state,
    request_context,
    unwrap_request,
)
from djangotailoring.sanitizing import clean_text, json_safe, safe_str, shorten

__all__ = [
    "EVENT_KEYS",
    "REQUEST_CONTEXT_ATTRIBUTES",
    "STANDARD_ATTRIBUTES",
    "HandedRecord",
    "hand_over",
    "is_event_dict",
    "user_reference",
]


class HandedRecord(TypedDict, total=False):
    """A log record as the writer receives it. Every value is plain (JSON-like).

    ``created``, ``logger``, ``level`` and ``message`` are always there; the others only
    when they apply. ``user`` is a primary key (or ``None``: explicitly no user);
    ``user_unresolved`` a ``user`` extra that names no user; ``session`` the session key
    to find the request's user from; ``related`` ``(app_label, model, object id)``.
    """

    created: float
    logger: str
    level: str
    message: str
    event_name: str
    note: str
    user: Any
    user_unresolved: Any
    session: str
    related: tuple[str, str, str] | None
    related_description: str
    request: dict[str, Any]
    extra: dict[str, Any]
    exception: str


# Added by RequestContextFilter: context, not extras of the application.
REQUEST_CONTEXT_ATTRIBUTES = frozenset(
    {"request_id", "request_method", "request_path", "remote_addr", "user_id", "username"}
)
# What LogRecord.__init__ sets, in this order: always the first keys of a record's __dict__
# (makeRecord adds extras after them, filters and formatters later still).
_BASE_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)
_BASE_COUNT = len(_BASE_ATTRIBUTES)
STANDARD_ATTRIBUTES = _BASE_ATTRIBUTES | {"message", "asctime"} | REQUEST_CONTEXT_ATTRIBUTES
# Bookkeeping structlog adds: to records by ``wrap_for_formatter`` (only those whose msg is
# an event dict), and to event dicts by ``ProcessorFormatter``. Elsewhere these are extras.
_STRUCTLOG_RECORD_META = frozenset({"_logger", "_name"})
_STRUCTLOG_META = _STRUCTLOG_RECORD_META | {"_record", "_from_structlog"}
_IGNORED_WITH_EVENT_DICT = STANDARD_ATTRIBUTES | _STRUCTLOG_RECORD_META
_NOT_EXTRAS_OF_EVENT_DICT = _STRUCTLOG_META | REQUEST_CONTEXT_ATTRIBUTES | {"event"}
EVENT_KEYS = ("event_name", "note", "user", "related_object")
_PLAIN = (str, int, float, bool, type(None))
_formatter = logging.Formatter()


def is_event_dict(msg: object, args: object) -> bool:
    """Whether a record's ``msg`` is a structlog event dict (``ProcessorFormatter`` setup)."""
    try:
        return isinstance(msg, dict) and "event" in msg and not args
    except Exception:
        # isinstance() fails on a lazy object whose setup raises: not an event dict.
        return False


def _plain(value: Any) -> Any:
    """``value`` itself when it holds no reference to anything, else a JSON-safe copy."""
    if type(value) in _PLAIN:
        return value
    return json_safe(value)


def _text(value: Any) -> str:
    return value if type(value) is str else safe_str(value)


def _exception_text(exc_info: Any) -> str | None:
    try:
        if not exc_info:
            return None
        if exc_info is True:
            exc_info = sys.exc_info()
        elif isinstance(exc_info, BaseException):
            exc_info = (type(exc_info), exc_info, exc_info.__traceback__)
        if not isinstance(exc_info, tuple) or exc_info[0] is None:
            return None
        return _formatter.formatException(exc_info)
    except Exception:
        # A malformed exc_info (not a real exception triple) is kept as its description.
        return safe_str(exc_info)


def user_reference(value: Any) -> tuple[Any, Any]:
    """Return ``(primary key, unresolved reference)`` for a ``user`` extra."""
    try:
        if value is None or getattr(value, "is_anonymous", False) is True:
            return None, None
        from django.db.models import Model

        is_model = isinstance(value, Model)
        if is_model:
            from django.contrib.auth import get_user_model

            # Another model's instance is no user, even where its key matches one.
            if value.pk is None or not isinstance(value, get_user_model()):
                return None, safe_str(value)
            return json_safe(value.pk), None
    except Exception:
        # A lazy user whose setup fails (a broken session): keep what can be told of it.
        return None, safe_str(value)
    if isinstance(value, (int, str, uuid.UUID)) and not isinstance(value, bool):
        return json_safe(value), None
    return None, json_safe(value)


def _related(value: Any) -> tuple[tuple[str, str, str] | None, str]:
    description = shorten(safe_str(value), RELATED_DESCRIPTION_MAX_LENGTH)
    try:
        from django.db.models import Model

        if not isinstance(value, Model) or value.pk is None:
            return None, description
        opts = (value._meta.concrete_model or type(value))._meta
        # UUIDs stay hyphenated here; the store writes them the way its database does.
        return (opts.app_label, str(opts.model_name), clean_text(str(value.pk))), description
    except Exception:
        # isinstance() fails on a lazy object whose setup raises: describe it only.
        return None, description


def _request_user(request: Any, handed: HandedRecord) -> None:
    """Add the request's user: its key if loaded, else the session key to find it by."""
    try:
        user = getattr(request, "user", None)
        if isinstance(user, LazyObject):
            wrapped = user._wrapped
            if wrapped is empty:
                cache = request.__dict__
                wrapped = cache.get("_cached_user", cache.get("_acached_user", empty))
            if wrapped is empty:
                session = request.__dict__.get("session")
                key = getattr(session, "session_key", None) if session is not None else None
                if isinstance(key, str) and key:
                    handed["session"] = key
                return
            user = wrapped
        if user is not None and getattr(user, "is_authenticated", False) is True:
            handed["user"] = json_safe(user.pk)
    except Exception:
        # A broken authentication layer only costs the Event its user.
        return


def _as_request(value: Any) -> Any:
    try:
        return unwrap_request(value)
    except Exception:
        # A proxy that fails on attribute access is no request.
        return None


def _request_of(state: RequestState | None, request: Any, handed: HandedRecord) -> None:
    if request is None or (state is not None and state.request is request):
        if state is None:
            return
        memo = state.memo
        context = memo.get("context")
        if context is None:
            context = memo["context"] = request_context(state.request)
        handed["request"] = context
        if "user" not in handed:
            _request_user(state.request, handed)
        return
    handed["request"] = request_context(request)
    if "user" not in handed:
        _request_user(request, handed)


def _message(record: logging.LogRecord, extras: dict[str, Any]) -> str:
    msg = record.msg
    if not record.args:
        return safe_str(msg)
    try:
        return record.getMessage()
    except Exception:
        # A bad format string must not lose the record: keep the template and its arguments.
        extras["args"] = json_safe(record.args)
        return safe_str(msg)


def _take_event_keys(values: dict[str, Any], handed: HandedRecord) -> None:
    if "event_name" in values:
        handed["event_name"] = _text(values.pop("event_name"))
    note = values.pop("note", None)
    if note is not None:
        handed["note"] = _text(note)
    if "user" in values:
        user, unresolved = user_reference(values.pop("user"))
        handed["user"] = user
        if unresolved is not None:
            handed["user_unresolved"] = unresolved
    related = values.pop("related_object", None)
    if related is not None:
        handed["related"], handed["related_description"] = _related(related)


def _extras(values: dict[str, Any], ignored: frozenset[str]) -> dict[str, Any]:
    """The attributes of a record's ``__dict__`` that are not in ``ignored``."""
    count = len(values)
    if count == _BASE_COUNT:
        return {}
    # Extras follow the attributes LogRecord.__init__ sets: walk back to the last of those.
    # Should anything else be found before it (a record built some other way), look at all.
    found: list[str] = []
    for key in reversed(values):
        count -= 1
        if key in _BASE_ATTRIBUTES:
            if count + 1 == _BASE_COUNT:
                return {key: values[key] for key in reversed(found)}
            break
        if key not in ignored:
            found.append(key)
    return {key: values[key] for key in values if key not in ignored}


def hand_over(record: logging.LogRecord) -> HandedRecord:
    """Read what the Event of ``record`` needs, as plain values (in the caller's thread)."""
    # The hot path of every log call: inlined, and cheap when there is little to read.
    values = record.__dict__
    msg = record.msg
    structlog_record = type(msg) is dict and is_event_dict(msg, record.args)
    if len(values) == _BASE_COUNT:
        extras: dict[str, Any] = {}
    else:
        extras = _extras(
            values, _IGNORED_WITH_EVENT_DICT if structlog_record else STANDARD_ATTRIBUTES
        )
    exception = record.exc_text or (_exception_text(record.exc_info) if record.exc_info else None)
    if structlog_record:
        message, exception = _from_event_dict(msg, extras, exception)  # type: ignore[arg-type]
    elif record.args or type(msg) is not str:
        message = _message(record, extras)
    else:
        message = msg
    name, level = record.name, record.levelname
    handed: HandedRecord = {
        "created": record.created,
        "logger": name if type(name) is str else safe_str(name),
        "level": level if type(level) is str else safe_str(level),
        "message": message,
    }
    if exception:
        handed["exception"] = exception
    request = None
    if extras:
        _take_event_keys(extras, handed)
        request = extras.pop("request", None)
        if request is not None:
            inner = _as_request(request)
            if inner is None:
                extras["request"] = request
            request = inner
        if extras:
            handed["extra"] = {key: _plain(value) for key, value in extras.items()}
    state = current_state()
    if state is not None or request is not None:
        try:
            _request_of(state, request, handed)
        except Exception:
            # A request whose attributes fail costs the Event its request context only.
            handed.pop("request", None)
    return handed


def _from_event_dict(
    event_dict: dict[str, Any], extras: dict[str, Any], exception: str | None
) -> tuple[str, str | None]:
    for key, value in event_dict.items():
        if key in _NOT_EXTRAS_OF_EVENT_DICT:
            continue
        if key == "exc_info":
            exception = exception or _exception_text(value)
        elif key == "exception" and isinstance(value, str):
            exception = exception or value
        else:
            extras[key] = value
    return _text(event_dict["event"]), exception
