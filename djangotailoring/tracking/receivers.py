"""Receivers of ``django.contrib.auth`` signals: automatic login, logout and failed-login events.

They are connected in :meth:`TrackingConfig.ready()
<djangotailoring.tracking.apps.TrackingConfig.ready>` and consult ``TRACKING_AUTH_EVENTS``
each time a signal arrives, so ``override_settings`` switches them on and off:

- ``True`` (the default): ``UserLoggedIn``, ``UserLoggedOut`` and ``UserLoginFailed`` are recorded;
- ``False``: none of them;
- a collection of names, e.g. ``{"UserLoginFailed"}``: exactly those.

``UserLoginFailed`` keeps only the attempted username (the value given for the user model's
``USERNAME_FIELD``, or for ``username``, the name ``ModelBackend`` and ``AuthenticationForm``
use for it) in ``data["username"]``, and under the ``USERNAME_FIELD``'s own name when that
differs (e.g. ``data["email"]``). No other credential is ever stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

from djangotailoring.conf import conf
from djangotailoring.tracking.eventnames import EventNames
from djangotailoring.tracking.recording import record_automatic

if TYPE_CHECKING:
    from django.http import HttpRequest

__all__ = [
    "attempted_username",
    "connect",
    "on_user_logged_in",
    "on_user_logged_out",
    "on_user_login_failed",
]

_UID = "djangotailoring.tracking.receivers."


def attempted_username(credentials: Mapping[str, Any]) -> dict[str, Any]:
    """Return the attempted username of a failed login, and nothing else of ``credentials``.

    The result is empty when no username was given (e.g. a token-only backend).
    """
    field = get_user_model().USERNAME_FIELD
    for key in (field, "username"):
        value = credentials.get(key)
        if value is not None and value != "":
            return {"username": value} if field == "username" else {"username": value, field: value}
    return {}


def on_user_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Record ``UserLoggedIn`` for ``user``."""
    if EventNames.UserLoggedIn in conf.AUTH_EVENTS:
        record_automatic(EventNames.UserLoggedIn, request, user=user)


def on_user_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """Record ``UserLoggedOut`` for ``user`` (nothing when nobody was logged in)."""
    if user is not None and EventNames.UserLoggedOut in conf.AUTH_EVENTS:
        record_automatic(EventNames.UserLoggedOut, request, user=user)


def on_user_login_failed(
    sender: Any,
    credentials: Mapping[str, Any],
    request: HttpRequest | None = None,
    **kwargs: Any,
) -> None:
    """Record ``UserLoginFailed`` with the attempted username in ``data`` (no other credential)."""
    if EventNames.UserLoginFailed in conf.AUTH_EVENTS:
        data = attempted_username(credentials)
        # The request's user is whoever was logged in before, not the one who failed.
        record_automatic(EventNames.UserLoginFailed, request, user=AnonymousUser(), data=data)


def connect() -> None:
    """Connect the receivers (called from ``AppConfig.ready``)."""
    user_logged_in.connect(on_user_logged_in, dispatch_uid=_UID + "logged_in")
    user_logged_out.connect(on_user_logged_out, dispatch_uid=_UID + "logged_out")
    user_login_failed.connect(on_user_login_failed, dispatch_uid=_UID + "login_failed")
