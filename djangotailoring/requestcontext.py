"""The current HTTP request, kept in a context variable for logging filters and handlers.

:class:`~djangotailoring.tracking.middleware.RequestContextMiddleware` sets it; everything
else only reads it. Nothing here touches ``request.user`` or the session unless asked to.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from djangotailoring.conf import conf

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = [
    "RequestState",
    "client_address",
    "current_request",
    "current_state",
    "incoming_request_id",
    "new_request_id",
    "request_context",
    "request_id_of",
    "reset_current",
    "set_current",
]

MAX_REQUEST_ID_LENGTH = 128
# Safe characters only: an id is written into text logs and must not break lines or quoting.
_REQUEST_ID = re.compile(rf"^[A-Za-z0-9._:@+=/-]{{1,{MAX_REQUEST_ID_LENGTH}}}$")


@dataclass(frozen=True)
class RequestState:
    """What the middleware knows about the request being handled."""

    request: HttpRequest
    request_id: str


_current: ContextVar[RequestState | None] = ContextVar("djangotailoring_request", default=None)


def set_current(state: RequestState | None) -> Token[RequestState | None]:
    """Make ``state`` the current request state; pass the token to :func:`reset_current`."""
    return _current.set(state)


def reset_current(token: Token[RequestState | None]) -> None:
    """Restore the state that was current before :func:`set_current`."""
    try:
        _current.reset(token)
    except ValueError:
        # The token belongs to another context (e.g. a streaming body finished elsewhere).
        _current.set(None)


def current_state() -> RequestState | None:
    """The state of the request being handled, or ``None`` outside a request."""
    return _current.get()


def current_request() -> HttpRequest | None:
    """The request being handled, or ``None`` outside a request."""
    state = _current.get()
    return None if state is None else state.request


def new_request_id() -> str:
    """A fresh request id (32 hex digits)."""
    return uuid.uuid4().hex


def incoming_request_id(request: HttpRequest) -> str | None:
    """The request id sent by the client or a proxy, if present and well-formed."""
    header = conf.REQUEST_ID_HEADER
    value = request.headers.get(header)
    if value is None:
        return None
    value = value.strip()
    return value if _REQUEST_ID.match(value) else None


def request_id_of(request: HttpRequest) -> str | None:
    """The id the middleware gave ``request``, if any."""
    state = _current.get()
    if state is not None and state.request is request:
        return state.request_id
    value = getattr(request, "request_id", None)
    return value if isinstance(value, str) else None


def _is_trusted(address: str, trusted: list[str]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for proxy in trusted:
        try:
            if ip in ipaddress.ip_network(proxy, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(request: HttpRequest) -> str | None:
    """The client's address, or ``None`` when recording addresses is switched off.

    ``X-Forwarded-For`` is believed only when the direct peer is a trusted proxy; the
    address taken is the right-most one that is not itself a trusted proxy.
    """
    if not conf.RECORD_CLIENT_ADDRESS:
        return None
    peer = str(request.META.get("REMOTE_ADDR") or "") or None
    trusted = conf.TRUSTED_PROXIES
    if not trusted or peer is None or not _is_trusted(peer, trusted):
        return peer
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    hops = [hop.strip() for hop in str(forwarded).split(",") if hop.strip()]
    for hop in reversed(hops):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            return peer
        if not _is_trusted(hop, trusted):
            return hop
    return hops[0] if hops else peer


def request_context(request: HttpRequest) -> dict[str, Any]:
    """The ``{"id", "method", "path", "remote_addr"}`` stored in ``Event.data["request"]``."""
    return {
        "id": request_id_of(request),
        "method": request.method,
        "path": request.path,
        "remote_addr": client_address(request),
    }
