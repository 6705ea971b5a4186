"""The request context as log fields, shared by the logging filter and the structlog processors.

Values are made safe for text logs: control characters (a newline in a URL-decoded path,
an ANSI escape in a username) are written as visible escapes, so a field can never forge
a log line.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from djangotailoring.requestcontext import (
    in_event_loop,
    loaded_user,
    request_context,
    request_id_of,
    request_user,
    user_is_loaded,
)
from djangotailoring.sanitizing import one_line, safe_str

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = [
    "FIELDS",
    "PLACEHOLDER",
    "USER_FIELDS",
    "request_fields",
    "resolve_user",
    "user_fields",
]

FIELDS = ("request_id", "request_method", "request_path", "remote_addr", "user_id", "username")
USER_FIELDS = ("user_id", "username")
PLACEHOLDER = "-"

_CACHE_ATTRIBUTE = "_djangotailoring_log_fields"
_resolving = threading.local()


def _text(value: object) -> str | None:
    return None if value is None else one_line(safe_str(value))


def request_fields(request: HttpRequest) -> dict[str, str | None]:
    """``request_id``, ``request_method``, ``request_path``, ``remote_addr``; ``None``: unknown.

    Computed once per request (and request id) and kept on the request: a request that
    logs many records pays for it once.
    """
    request_id = request_id_of(request)
    cached = request.__dict__.get(_CACHE_ATTRIBUTE)
    if cached is not None and cached[0] == request_id:
        return dict(cached[1])
    context = request_context(request)
    fields = {
        "request_id": context["id"],
        "request_method": _text(context["method"]),
        "request_path": _text(context["path"]),
        "remote_addr": _text(context["remote_addr"]),
    }
    request.__dict__[_CACHE_ATTRIBUTE] = (request_id, fields)
    return dict(fields)


def user_fields(user: Any) -> dict[str, Any]:
    """``user_id`` (an ``int`` primary key stays an ``int``) and ``username`` of ``user``."""
    if user is None:
        return {"user_id": None, "username": None}
    pk = user.pk
    return {
        "user_id": pk if isinstance(pk, int) and not isinstance(pk, bool) else _text(pk),
        "username": _text(user.get_username()),
    }


def resolve_user(request: HttpRequest) -> Any:
    """The authenticated user of ``request``, loaded only where that is safe.

    Loading may query the database, so it never happens in a running event loop, nor
    while another record's user is being loaded in this thread (with
    ``django.db.backends`` logging at DEBUG, the query would log a record that loads the
    user again). There, only a user that is already loaded is returned.
    """
    if user_is_loaded(request) or in_event_loop() or getattr(_resolving, "active", False):
        return loaded_user(request)
    _resolving.active = True
    try:
        return request_user(request)
    finally:
        _resolving.active = False
