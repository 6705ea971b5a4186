"""The current HTTP request, kept in a context variable for logging filters and handlers.

:class:`~djangotailoring.tracking.middleware.RequestContextMiddleware` sets it; everything
else only reads it. Nothing here touches ``request.user`` or the session, except
:func:`request_user`, which is asked to.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import re
import uuid
from collections.abc import Iterable
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeAlias

from django.http import HttpRequest
from django.utils.functional import LazyObject, empty

from djangotailoring.conf import conf
from djangotailoring.sanitizing import clean_text

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

__all__ = [
    "MAX_REQUEST_ID_LENGTH",
    "RequestState",
    "client_address",
    "current_request",
    "current_state",
    "in_event_loop",
    "incoming_request_id",
    "is_session_user",
    "is_valid_request_id",
    "loaded_user",
    "new_request_id",
    "request_context",
    "request_id_of",
    "request_user",
    "reset_current",
    "set_current",
    "unwrap_request",
    "user_is_loaded",
]

IPAddress: TypeAlias = "ipaddress.IPv4Address | ipaddress.IPv6Address"
IPNetwork: TypeAlias = "ipaddress.IPv4Network | ipaddress.IPv6Network"

MAX_REQUEST_ID_LENGTH = 128
# An id is written into text logs: no whitespace, quotes, separators or control characters.
# This still admits UUIDs, hex and base64 ids, and dotted or colon-separated trace ids.
_REQUEST_ID = re.compile(rf"[A-Za-z0-9._:@+=/-]{{1,{MAX_REQUEST_ID_LENGTH}}}")
# "203.0.113.7:8080" (proxies that append the client's port) and "[2001:db8::1]:8080".
_WITH_PORT = re.compile(r"\[(?P<v6>[0-9A-Fa-f:.]+)\](?::\d+)?|(?P<v4>[0-9.]+):\d+")


@dataclass(frozen=True)
class RequestState:
    """What the middleware knows about the request being handled."""

    request: HttpRequest
    request_id: str
    #: Values computed once per request for the records logged during it (plain values
    #: only, records hand these over instead of the request; and which lazy
    #: ``request.user`` is the session's, under ``"session_user"``).
    memo: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)


_current: ContextVar[RequestState | None] = ContextVar("djangotailoring_request", default=None)


def set_current(state: RequestState | None) -> Token[RequestState | None]:
    """Make ``state`` the current request state; pass the token to :func:`reset_current`."""
    return _current.set(state)


def reset_current(token: Token[RequestState | None]) -> None:
    """Restore the state that was current before :func:`set_current`."""
    try:
        _current.reset(token)
    except ValueError:
        # The token belongs to another context: never leave a finished request behind.
        _current.set(None)


def current_state() -> RequestState | None:
    """The state of the request being handled, or ``None`` outside a request."""
    return _current.get()


def current_request() -> HttpRequest | None:
    """The request being handled, or ``None`` outside a request."""
    state = _current.get()
    return None if state is None else state.request


def unwrap_request(value: object) -> HttpRequest | None:
    """``value`` as a Django request, or ``None`` when it is none.

    Accepts wrappers that keep the Django request in ``_request`` (Django REST framework's
    ``Request``). Anything else, such as the socket ``django.server`` records carry as
    ``request``, is not a request.
    """
    if isinstance(value, HttpRequest):
        return value
    inner = getattr(value, "_request", None) if value is not None else None
    return inner if isinstance(inner, HttpRequest) else None


def new_request_id() -> str:
    """A fresh request id (32 hex digits)."""
    return uuid.uuid4().hex


def is_valid_request_id(value: str) -> bool:
    """Whether ``value`` is acceptable as a request id.

    At most :data:`MAX_REQUEST_ID_LENGTH` characters of ``A-Z a-z 0-9 . _ : @ + = / -``,
    so that an id can never break a line or the quoting of a text log.
    """
    return _REQUEST_ID.fullmatch(value) is not None


def incoming_request_id(request: HttpRequest) -> str | None:
    """The request id sent by the client or a proxy, if present and well-formed."""
    value = request.headers.get(conf.REQUEST_ID_HEADER)
    if not isinstance(value, str):
        return None
    value = value.strip()
    return value if is_valid_request_id(value) else None


def request_id_of(request: HttpRequest) -> str | None:
    """The id the middleware gave ``request``, if any."""
    state = _current.get()
    if state is not None and state.request is request:
        return state.request_id
    value = getattr(request, "request_id", None)
    return value if isinstance(value, str) and is_valid_request_id(value) else None


def _parse_ip(text: str) -> IPAddress | None:
    text = text.strip()
    match = _WITH_PORT.fullmatch(text)
    if match is not None:
        text = match.group("v6") or match.group("v4")
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    return ip


@functools.lru_cache(maxsize=16)
def _networks(trusted: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    networks = []
    for proxy in trusted:
        try:
            networks.append(ipaddress.ip_network(proxy.strip(), strict=False))
        except ValueError:
            continue  # Reported by the system check djangotailoring.E002.
    return tuple(networks)


def _trusted_networks() -> tuple[IPNetwork, ...]:
    trusted: Iterable[Any] = conf.raw("TRUSTED_PROXIES")
    if not trusted:
        # The usual setting, read on every request's first log call: nothing to parse.
        return ()
    return _networks(tuple(str(proxy) for proxy in trusted))


def _is_trusted(ip: IPAddress, networks: tuple[IPNetwork, ...]) -> bool:
    return any(ip.version == network.version and ip in network for network in networks)


def client_address(request: HttpRequest) -> str | None:
    """The client's address, or ``None`` when unknown or when recording addresses is off.

    ``X-Forwarded-For`` is believed only when the direct peer is a trusted proxy
    (``TRACKING_TRUSTED_PROXIES``); the address taken is then the right-most hop that is
    not itself a trusted proxy, since everything left of it may have been sent by the client.
    """
    if not conf.RECORD_CLIENT_ADDRESS:
        return None
    peer_text = str(request.META.get("REMOTE_ADDR") or "").strip()
    if not peer_text:
        return None
    networks = _trusted_networks()
    peer = _parse_ip(peer_text) if networks else None
    if peer is None or not _is_trusted(peer, networks):
        return clean_text(peer_text)
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    hops = [hop for hop in forwarded.split(",") if hop.strip()]
    leftmost = peer
    for hop in reversed(hops):
        ip = _parse_ip(hop)
        if ip is None:
            # A trusted proxy would not have written this: stop at the last hop we believe.
            return str(leftmost)
        if not _is_trusted(ip, networks):
            return str(ip)
        leftmost = ip
    return str(leftmost)


def request_context(request: HttpRequest) -> dict[str, Any]:
    """The ``{"id", "method", "path", "remote_addr"}`` stored in ``Event.data["request"]``."""
    return {
        "id": request_id_of(request),
        "method": clean_text(str(request.method)) if request.method is not None else None,
        "path": clean_text(request.path),
        "remote_addr": client_address(request),
    }


def in_event_loop() -> bool:
    """Whether an asyncio event loop runs in this thread (so no database query may run)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True


def _authenticated(user: Any) -> AbstractBaseUser | None:
    return user if user is not None and getattr(user, "is_authenticated", False) is True else None


_AUTH_MIDDLEWARE = "django.contrib.auth.middleware"


def is_session_user(user: object) -> bool:
    """Whether ``user`` is the lazy user that Django's ``AuthenticationMiddleware`` set.

    Only that one is what ``request._cached_user`` (or ``_acached_user``) caches: a lazy
    user set later by another authentication layer (a token middleware) replaces it, and
    the cache then tells of the session's user, not of the request's.
    """
    if not isinstance(user, LazyObject):
        return False
    # Not user.__dict__: LazyObject's __getattribute__ is Python code, and slow.
    setup = object.__getattribute__(user, "__dict__").get("_setupfunc")
    return getattr(setup, "__module__", None) == _AUTH_MIDDLEWARE


def _raw_user(request: HttpRequest) -> Any:
    """``request.user`` as far as it is known without a query; ``empty`` when it is not."""
    user = getattr(request, "user", None)
    if isinstance(user, LazyObject):
        lazy, user = user, user._wrapped
        if user is empty and is_session_user(lazy):
            cache = vars(request)
            user = cache.get("_cached_user", cache.get("_acached_user", empty))
    return user


def user_is_loaded(request: HttpRequest) -> bool:
    """Whether the user of ``request`` is known without a query (it may be anonymous).

    It is when ``request.user`` is a plain object (set by a view or by another
    authentication layer) or a lazy object that was evaluated, or when Django's
    ``AuthenticationMiddleware`` cached it (``request.user`` or ``await request.auser()``)
    and ``request.user`` is still that middleware's lazy user.
    A request without any ``user`` counts as loaded: there is nothing to load.
    """
    return _raw_user(request) is not empty


def loaded_user(request: HttpRequest) -> AbstractBaseUser | None:
    """The authenticated user of ``request`` if it is loaded already; never queries."""
    return _authenticated(_raw_user(request))


def request_user(request: HttpRequest) -> AbstractBaseUser | None:
    """The authenticated user of ``request``, loading it if need be (may query; sync code only)."""
    if user_is_loaded(request):
        return loaded_user(request)
    return _authenticated(getattr(request, "user", None))
