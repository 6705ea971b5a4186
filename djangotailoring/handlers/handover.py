"""What the caller's thread hands to ``EventHandler``'s writer: plain values only.

Two steps, on either side of the queue:

- :func:`hand_over` runs in the thread that logs, on every log call, so it does little: the
  record's values (for a journal only those the Event is made of, for a queue a copy of
  every attribute) in which every value that is not already a string, a number or ``None``
  is replaced *now* by a plain form (the message formatted, the exception as text, a user
  by its key, a related object by ``(app label, model, key)`` and its ``str()``, anything
  else by a JSON-safe copy), plus the current request as its id, method, path and address
  (computed once per request) and its user. No reference to the record, the request, a
  user, a model instance, a traceback or any other object of the caller is kept: a queued
  record keeps nothing of a finished request alive (no garbage that survives into the
  oldest generation), and an object the caller changes after the log call is stored as it
  was at the call.
- :func:`read` runs in the writer and turns that into the :class:`HandedRecord` the
  event's fields are prepared from.

Nothing here queries the database for the usual request: a user that is loaded already is
taken by its primary key; the lazy ``request.user`` of ``AuthenticationMiddleware`` that
nobody has evaluated is handed over as the session key, and the writer finds the session's
user (:mod:`djangotailoring.handlers.sessionusers`). A lazy user that another layer set
later (a token middleware) is evaluated here, in synchronous code: the session cannot tell
who it is.
"""

from __future__ import annotations

import logging
import sys
import uuid
from typing import Any, NamedTuple, TypedDict

from django.utils.functional import LazyObject, empty

from djangotailoring.handlers.carrying import CARRIED_KEYS, carry, take_into
from djangotailoring.handlers.logfields import resolve_user
from djangotailoring.limits import RELATED_DESCRIPTION_MAX_LENGTH
from djangotailoring.requestcontext import (
    RequestState,
    current_state,
    in_event_loop,
    is_session_user,
    request_context,
    unwrap_request,
)
from djangotailoring.sanitizing import clean_text, json_safe, safe_str, shorten
from djangotailoring.taskcontext import request_context_of_task

__all__ = [
    "EVENT_KEYS",
    "REQUEST_CONTEXT_ATTRIBUTES",
    "REQUEST_KEY",
    "REQUEST_SESSION_KEY",
    "REQUEST_USER_KEY",
    "STANDARD_ATTRIBUTES",
    "HandedOver",
    "HandedRecord",
    "RelatedRef",
    "RequestRef",
    "UserRef",
    "hand_over",
    "is_event_dict",
    "read",
    "user_reference",
]


class UserRef(NamedTuple):
    """A ``user`` extra: the user's primary key, or what was given when it names no user."""

    pk: Any
    unresolved: Any


class RelatedRef(NamedTuple):
    """A ``related_object`` extra: ``(app label, model, key)`` when linkable, and its ``str()``."""

    link: tuple[str, str, str] | None
    description: str


class RequestRef(NamedTuple):
    """A request: its context (``{"id", "method", "path", "remote_addr"}``) and its user.

    ``user`` is the key of the authenticated user when it was loaded at the log call;
    ``session`` the session key when ``request.user`` was still lazy.
    """

    context: dict[str, Any]
    user: Any
    session: str | None


#: What the caller's thread hands over: the record's attributes, made plain, and the
#: current request's context, user key and session key under the ``REQUEST_*`` keys (plain
#: values only, so that the dict stays invisible to the garbage collector).
HandedOver = dict[str, Any]
#: Marks what :func:`hand_over` hands over: the attributes the Event is made of and the
#: extras only (journals of earlier versions hold every attribute of the record).
COMPACT_KEY = "\x00handed"
REQUEST_KEY = "\x00request"
REQUEST_USER_KEY = "\x00request_user"
REQUEST_SESSION_KEY = "\x00request_session"
# The request's context, one string per key: a dict or tuple as a value would make the
# garbage collector track the handed-over dict.
_CONTEXT_KEYS = ("id", "method", "path", "remote_addr")
_CONTEXT_PAIRS = tuple((f"{REQUEST_KEY}_{name}", name) for name in _CONTEXT_KEYS)
_REQUEST_KEYS = (
    frozenset(
        {
            COMPACT_KEY,
            REQUEST_KEY,
            REQUEST_USER_KEY,
            REQUEST_SESSION_KEY,
            *(key for key, _ in _CONTEXT_PAIRS),
        }
    )
    | CARRIED_KEYS
)


class HandedRecord(TypedDict, total=False):
    """A log record as the writer reads it. Every value is plain (JSON-like).

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
    task: dict[str, Any]
    trace: dict[str, Any]
    extra: dict[str, Any]
    exception: str


# Added by RequestContextFilter: context, not extras of the application.
REQUEST_CONTEXT_ATTRIBUTES = frozenset(
    {"request_id", "request_method", "request_path", "remote_addr", "user_id", "username"}
    | {"task_id", "task_name", "trace_id", "span_id"}
)
# What LogRecord.__init__ sets: always the first keys of a record's __dict__ (makeRecord
# adds extras after them, filters and formatters later still).
_BASE_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__)
_BASE_COUNT = len(_BASE_ATTRIBUTES)
STANDARD_ATTRIBUTES = _BASE_ATTRIBUTES | {"message", "asctime"} | REQUEST_CONTEXT_ATTRIBUTES
# Bookkeeping structlog adds: to records by ``wrap_for_formatter`` (only those whose msg is
# an event dict), and to event dicts by ``ProcessorFormatter``. Elsewhere these are extras.
_STRUCTLOG_RECORD_META = frozenset({"_logger", "_name"})
_STRUCTLOG_META = _STRUCTLOG_RECORD_META | {"_record", "_from_structlog"}
_IGNORED_WITH_EVENT_DICT = STANDARD_ATTRIBUTES | _STRUCTLOG_RECORD_META | _REQUEST_KEYS
_IGNORED = STANDARD_ATTRIBUTES | _REQUEST_KEYS
_NOT_EXTRAS_OF_EVENT_DICT = _STRUCTLOG_META | REQUEST_CONTEXT_ATTRIBUTES | {"event"}
EVENT_KEYS = ("event_name", "note", "user", "related_object")
# Values handed over as they are. Not floats: infinity and NaN are no JSON (the journal's
# encoder would write them as null), so a float goes through json_safe() like any other
# value (a finite one comes back as it was).
_PLAIN_TYPES = frozenset({str, int, bool, type(None)})
_formatter = logging.Formatter()


def is_event_dict(msg: object, args: object) -> bool:
    """Whether a record's ``msg`` is a structlog event dict (``ProcessorFormatter`` setup)."""
    try:
        return isinstance(msg, dict) and "event" in msg and not args
    except Exception:
        # isinstance() fails on a lazy object whose setup raises: not an event dict.
        return False


def _text(value: Any) -> str:
    return value if type(value) is str else safe_str(value)


def _exception_of(text: Any) -> str | None:
    """An exception's text as handed over: a string, or ``None`` for none."""
    return text if text is None or type(text) is str else safe_str(text)


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

        if isinstance(value, Model):
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


def _related(value: Any) -> RelatedRef:
    description = shorten(safe_str(value), RELATED_DESCRIPTION_MAX_LENGTH)
    try:
        from django.db.models import Model

        if not isinstance(value, Model) or value.pk is None:
            return RelatedRef(None, description)
        opts = (value._meta.concrete_model or type(value))._meta
        # UUIDs stay hyphenated here; the store writes them the way its database does.
        link = (opts.app_label, str(opts.model_name), clean_text(str(value.pk)))
        return RelatedRef(link, description)
    except Exception:
        # isinstance() fails on a lazy object whose setup raises: describe it only.
        return RelatedRef(None, description)


def _pending_user(request: Any, lazy: Any, memo: dict[str, Any] | None) -> Any:
    """The user of a lazy ``request.user`` nobody evaluated, if known without the session."""
    if not is_session_user(lazy):
        # Set by another layer (a token middleware) after the session's: only it knows the
        # user, and it may need a query. Not on the event loop: there the session decides.
        return empty if in_event_loop() else resolve_user(request)
    if memo is not None:
        memo["session_user"] = lazy
    return _cached(request)


def _cached(request: Any) -> Any:
    # What AuthenticationMiddleware cached for its own lazy user.
    cache = request.__dict__
    return cache.get("_cached_user", cache.get("_acached_user", empty))


def _user_of(request: Any, memo: dict[str, Any] | None) -> tuple[Any, str | None]:
    """The request's user key if loaded, else the session key to find it by."""
    try:
        user = getattr(request, "user", None)
        if isinstance(user, LazyObject):
            wrapped = user._wrapped
            if wrapped is empty:
                # Asked on every log call: remember which lazy user is the session's.
                if memo is not None and memo.get("session_user") is user:
                    cache = request.__dict__
                    wrapped = cache.get("_cached_user", cache.get("_acached_user", empty))
                else:
                    wrapped = _pending_user(request, user, memo)
                if wrapped is empty:
                    session = request.__dict__.get("session")
                    key = getattr(session, "session_key", None) if session is not None else None
                    return None, key if isinstance(key, str) and key else None
            user = wrapped
        if user is None or getattr(user, "is_authenticated", False) is not True:
            return None, None
        return json_safe(user.pk), None
    except Exception:
        # A broken authentication layer only costs the Event its user.
        return None, None


def _request_ref(request: Any, state: RequestState | None) -> RequestRef | None:
    try:
        memo: dict[str, Any] | None = None
        if state is not None and state.request is request:
            memo = state.memo
            context = memo.get("context")
            if context is None:
                context = memo["context"] = request_context(request)
        else:
            context = request_context(request)
        return RequestRef(context, *_user_of(request, memo))
    except Exception:
        # A request whose attributes fail costs the Event its request context only.
        return None


def _as_request(value: Any) -> Any:
    try:
        return unwrap_request(value)
    except Exception:
        # A proxy that fails on attribute access is no request.
        return None


def _plain_extra(key: str, value: Any, state: RequestState | None) -> Any:
    """The plain form of an extra that is not a string, a number or ``None``."""
    if key == "user":
        return UserRef(*user_reference(value))
    if key == "related_object":
        return _related(value)
    if key == "request":
        request = _as_request(value)
        if request is not None:
            return _request_ref(request, state)
    return json_safe(value)


def _plain_event_dict(event_dict: dict[str, Any], state: RequestState | None) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for key, value in event_dict.items():
        if key in _STRUCTLOG_META:
            continue
        if key == "exc_info":
            plain[key] = _exception_text(value)
        elif type(value) in _PLAIN_TYPES:
            plain[key] = value
        else:
            plain[key] = _plain_extra(key, value, state)
    return plain


def _extras_of(
    attributes: dict[str, Any], ignored: frozenset[str] = STANDARD_ATTRIBUTES
) -> list[str]:
    """The keys of a record's ``attributes`` that are neither its own nor ``ignored``: its
    extras (and attributes added to it), in their order."""
    # Extras and added attributes follow the attributes LogRecord.__init__ sets: walk back
    # to the last of those. When the attributes before it are not exactly those (one was
    # deleted and set again, a record built some other way), look at every attribute.
    found: list[str] = []
    position = len(attributes)
    for key in reversed(attributes):
        position -= 1
        if key in _BASE_ATTRIBUTES:
            if position + 1 == _BASE_COUNT:
                found.reverse()
                return found
            break
        if key not in ignored:
            found.append(key)
    return [key for key in attributes if key not in ignored]


def hand_over(record: logging.LogRecord, *, compact: bool = True) -> HandedOver:
    """The record's values, every one made plain (in the caller's thread).

    ``compact``: only what the Event is made of (logger name, level, message, time,
    exception) and the extras, not what it never stores (where the call was made, the
    thread, the process): fewer bytes for a journal to write and to read back. Otherwise
    every attribute of the record, which a copy of its ``__dict__`` gives fastest (a record
    queued in memory).
    """
    # The hot path of every log call: cheap when there is little to convert.
    attributes = record.__dict__
    state = current_state()
    msg, args = record.msg, record.args
    values: HandedOver
    if compact:
        name, level, created = record.name, record.levelname, record.created
        values = {
            COMPACT_KEY: 1,
            "name": name if type(name) is str else _text(name),
            "msg": msg,
            "levelname": level if type(level) is str else _text(level),
            "created": created if type(created) is float else json_safe(created),
        }
        if len(attributes) != _BASE_COUNT:
            for key in _extras_of(attributes):
                value = attributes[key]
                plain = type(value) in _PLAIN_TYPES
                values[key] = value if plain else _plain_extra(key, value, state)
    else:
        values = attributes.copy()
        if len(attributes) != _BASE_COUNT:
            # Extras and added attributes follow the attributes LogRecord.__init__ sets
            # (whose values are plain apart from msg, args and exc_info, converted below):
            # walk back to the last of those. Should one have been deleted and set again,
            # extras before it are still stored right; only they stay referenced until the
            # writer has run.
            for key in reversed(attributes):
                if key in _BASE_ATTRIBUTES:
                    break
                value = attributes[key]
                if type(value) not in _PLAIN_TYPES:
                    values[key] = _plain_extra(key, value, state)
    if args:
        try:
            values["message"] = record.getMessage()
            if not compact:
                values["args"] = ()
        except Exception:
            # A bad format string: the writer keeps the template and its arguments.
            values.pop("message", None)
            values["args"] = json_safe(args)
    if type(msg) is not str:
        event_dict: Any = msg
        plain_msg = _plain_event_dict(event_dict, state) if is_event_dict(msg, args) else None
        values["msg"] = safe_str(msg) if plain_msg is None else plain_msg
    if record.exc_info:
        values["exc_text"] = _exception_of(record.exc_text or _exception_text(record.exc_info))
        if not compact:
            values["exc_info"] = None
    elif record.exc_text:
        values["exc_text"] = _exception_of(record.exc_text)
    task = carry(values)
    if state is not None:
        ref = _request_ref(state.request, state)
    elif task is not None:
        ref = RequestRef(request_context_of_task(task), task.user_id, None)
    else:
        ref = None
    if ref is not None:
        values[REQUEST_KEY] = True
        for key, name in _CONTEXT_PAIRS:
            values[key] = ref.context[name]
        values[REQUEST_USER_KEY], values[REQUEST_SESSION_KEY] = ref.user, ref.session
    return values


def _message(values: HandedOver, extras: dict[str, Any]) -> str:
    args = values.get("args")
    if args:
        # The arguments did not fit the template: keep both.
        extras["args"] = args
        return _text(values["msg"])
    message = values.get("message")
    return message if type(message) is str else _text(values["msg"])


def _from_event_dict(
    event_dict: dict[str, Any], extras: dict[str, Any], exception: str | None
) -> tuple[str, str | None]:
    for key, value in event_dict.items():
        if key in _NOT_EXTRAS_OF_EVENT_DICT:
            continue
        if key == "exc_info" or (key == "exception" and isinstance(value, str)):
            exception = exception or value
        else:
            extras[key] = value
    return _text(event_dict["event"]), exception


def _from_json(key: str, value: Any) -> Any:
    """A ``user``, ``related_object`` or ``request`` reference as it was before a journal
    wrote it as JSON (where tuples become lists)."""
    if type(value) is not list:
        return value
    if key == "user" and len(value) == 2:
        return UserRef(*value)
    if key == "related_object" and len(value) == 2:
        link = value[0]
        return RelatedRef(tuple(link) if type(link) is list else link, value[1])
    if (
        key == "request"
        and len(value) == 3
        and type(value[0]) is dict
        and value[0].keys() == set(_CONTEXT_KEYS)
    ):
        return RequestRef(*value)
    return value


def _take_event_keys(extras: dict[str, Any], handed: HandedRecord) -> Any:
    for key in ("user", "related_object", "request"):
        if key in extras:
            extras[key] = _from_json(key, extras[key])
    if "event_name" in extras:
        handed["event_name"] = _text(extras.pop("event_name"))
    note = extras.pop("note", None)
    if note is not None:
        handed["note"] = _text(note)
    if "user" in extras:
        user = extras.pop("user")
        pk, unresolved = user if isinstance(user, UserRef) else user_reference(user)
        handed["user"] = pk
        if unresolved is not None:
            handed["user_unresolved"] = unresolved
    related = extras.pop("related_object", None)
    if related is not None:
        link, description = related if isinstance(related, RelatedRef) else _related(related)
        handed["related"] = link
        handed["related_description"] = description
    request = extras.pop("request", None)
    if request is not None and not isinstance(request, RequestRef):
        extras["request"] = request
        request = None
    return request


def _extras(values: HandedOver, ignored: frozenset[str]) -> dict[str, Any]:
    if COMPACT_KEY in values:
        # Handed over by hand_over(): the record's extras are every key but its own.
        return {key: values[key] for key in values if key not in ignored}
    # Every attribute of the record (a journal of an earlier version, a record kept in memory).
    return {key: values[key] for key in _extras_of(values, ignored)}


def read(values: HandedOver) -> HandedRecord:
    """The :class:`HandedRecord` of what :func:`hand_over` handed over (in the writer)."""
    if "msg" not in values:
        # A journal line from before hand-overs were journaled as they are: read already.
        return values  # type: ignore[return-value]
    msg = values["msg"]
    structlog_record = type(msg) is dict and is_event_dict(msg, values.get("args"))
    ignored = _IGNORED_WITH_EVENT_DICT if structlog_record else _IGNORED
    extras = _extras(values, ignored)
    exception = values.get("exc_text")
    if structlog_record:
        message, exception = _from_event_dict(msg, extras, exception)
    else:
        message = _message(values, extras)
    handed: HandedRecord = {
        "created": values["created"],
        "logger": _text(values["name"]),
        "level": _text(values["levelname"]),
        "message": message,
    }
    if exception:
        handed["exception"] = exception
    request = _take_event_keys(extras, handed) if extras else None
    if extras:
        handed["extra"] = extras
    if request is None and REQUEST_KEY in values:
        context = {name: values[key] for key, name in _CONTEXT_PAIRS}
        request = RequestRef(context, values[REQUEST_USER_KEY], values[REQUEST_SESSION_KEY])
    if request is not None:
        handed["request"] = request.context
        if "user" not in handed:
            if request.user is not None:
                handed["user"] = request.user
            elif request.session is not None:
                handed["session"] = request.session
    take_into(values, handed)  # type: ignore[arg-type]
    return handed
