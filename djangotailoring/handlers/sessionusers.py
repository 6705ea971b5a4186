"""Find the user a session is logged in as, from its key alone (in the writer's thread).

A record logged while ``request.user`` was still lazy is handed over with the session key
instead of the request (see :mod:`djangotailoring.handlers.handover`). The writer finds
the user here the way ``django.contrib.auth.get_user`` does (the session's user id and
backend, the backend's ``get_user``, the session hash check, fallback secrets included),
but it only reads: a session that fails the check is left for the request to flush, and
its records get no user.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from django.conf import settings
from django.utils.crypto import constant_time_compare

from djangotailoring.sanitizing import json_safe

__all__ = ["SessionUsers"]


def _verified(user: Any, session: Any) -> bool:
    if not hasattr(user, "get_session_auth_hash"):
        return True
    from django.contrib.auth import HASH_SESSION_KEY

    session_hash = session.get(HASH_SESSION_KEY)
    if not session_hash:
        return False
    if constant_time_compare(session_hash, user.get_session_auth_hash()):
        return True
    fallbacks = getattr(user, "get_session_auth_fallback_hash", None)
    return fallbacks is not None and any(
        constant_time_compare(session_hash, fallback) for fallback in fallbacks()
    )


def user_of_session(session_key: str) -> Any:
    """The primary key of the authenticated user of session ``session_key``, or ``None``."""
    from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY, get_user_model, load_backend

    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key)
    try:
        raw_id = session[SESSION_KEY]
        backend_path = session[BACKEND_SESSION_KEY]
    except KeyError:
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    pk = get_user_model()._meta.pk
    assert pk is not None
    user = load_backend(backend_path).get_user(pk.to_python(raw_id))
    if user is None or not _verified(user, session):
        return None
    return json_safe(user.pk)


class SessionUsers:
    """Users of sessions, remembered for one batch (a request logs many records)."""

    def __init__(self) -> None:
        self._known: dict[str, Any] = {}

    def user(self, session_key: str) -> Any:
        """The primary key of the session's user (``None``: anonymous or unknown)."""
        if session_key in self._known:
            return self._known[session_key]
        try:
            found = user_of_session(session_key)
        except Exception:
            # A broken session store or backend only costs the Event its user.
            found = None
        self._known[session_key] = found
        return found

    def forget(self) -> None:
        """Forget what was found (a login or logout may change a session's user)."""
        self._known.clear()
