"""Settings of djangotailoring, read from ``django.conf.settings`` at access time.

Every setting is optional. Reading happens on first access (never at import); the value is
then remembered for as long as ``settings`` holds the same configuration object. Django's
``override_settings`` (and so ``modify_settings`` and pytest-django's ``settings``) swaps
that object on entry and on exit, so every override is seen at once, while a read on a hot
path (the router asks for ``TRACKING_DATABASE`` on every query, a log call for the client
address settings) costs a dictionary lookup, not a failed attribute lookup on ``settings``.
Assigning to ``settings`` directly at run time (which Django advises against) is not seen.
Invalid values are reported by system checks (:mod:`djangotailoring.tracking.checks`), not
here.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django.conf import settings as django_settings

__all__ = ["AUTH_EVENT_NAMES", "DEFAULTS", "conf"]

AUTH_EVENT_NAMES = ("UserLoggedIn", "UserLoggedOut", "UserLoginFailed")

DEFAULTS: dict[str, Any] = {
    "TRACKING_REQUEST_ID_HEADER": "X-Request-ID",
    "TRACKING_TRUSTED_PROXIES": [],
    "TRACKING_RECORD_CLIENT_ADDRESS": True,
    "TRACKING_AUTH_EVENTS": True,
    "TRACKING_JOURNAL": True,
    "TRACKING_JOURNAL_DIR": None,
    "TRACKING_DATABASE": None,
}


_UNREAD = object()
# Where ``settings`` (a LazyObject) keeps the configuration it stands for, under "_wrapped":
# read without going through LazyObject.__getattribute__.
_settings_state: dict[str, Any] = object.__getattribute__(django_settings, "__dict__")


class Settings:
    """Typed, lazy access to the ``TRACKING_*`` settings."""

    def __init__(self) -> None:
        self._read: dict[str, Any] = {}
        self._read_from: Any = None

    def raw(self, name: str) -> Any:
        """The value of ``TRACKING_<name>`` as the project set it (or its default), unchecked."""
        return self._get(f"TRACKING_{name}")

    def forget(self) -> None:
        """Read every setting from ``settings`` again next time."""
        self._read = {}

    def _get(self, setting: str) -> Any:
        configuration = _settings_state.get("_wrapped")
        if configuration is not self._read_from:
            # Configured since, or an override began or ended: what was read is stale.
            self._read = {}
            self._read_from = configuration
        read = self._read
        value = read.get(setting, _UNREAD)
        if value is _UNREAD:
            value = read[setting] = getattr(django_settings, setting, DEFAULTS[setting])
        return value

    @property
    def REQUEST_ID_HEADER(self) -> str:
        """Header the request id is read from and echoed in (``TRACKING_REQUEST_ID_HEADER``)."""
        return str(self._get("TRACKING_REQUEST_ID_HEADER"))

    @property
    def TRUSTED_PROXIES(self) -> list[str]:
        """Proxies whose ``X-Forwarded-For`` is believed (``TRACKING_TRUSTED_PROXIES``)."""
        return list(self._get("TRACKING_TRUSTED_PROXIES"))

    @property
    def RECORD_CLIENT_ADDRESS(self) -> bool:
        """Whether client addresses are recorded (``TRACKING_RECORD_CLIENT_ADDRESS``)."""
        return bool(self._get("TRACKING_RECORD_CLIENT_ADDRESS"))

    @property
    def AUTH_EVENTS(self) -> frozenset[str]:
        """The automatic authentication events that are switched on (``TRACKING_AUTH_EVENTS``).

        ``True`` switches all of them on, ``False`` none; a collection of names switches on
        exactly those.
        """
        value = self._get("TRACKING_AUTH_EVENTS")
        if value is True:
            return frozenset(AUTH_EVENT_NAMES)
        if value is False or value is None:
            return frozenset()
        if isinstance(value, Collection) and not isinstance(value, str):
            return frozenset(str(name) for name in value)
        return frozenset(AUTH_EVENT_NAMES)

    @property
    def JOURNAL(self) -> bool:
        """Whether ``EventHandler`` journals records to local disk (``TRACKING_JOURNAL``)."""
        return bool(self._get("TRACKING_JOURNAL"))

    @property
    def JOURNAL_DIR(self) -> str | None:
        """Where ``EventHandler`` keeps its journals (``TRACKING_JOURNAL_DIR``; ``None``: temp)."""
        value = self._get("TRACKING_JOURNAL_DIR")
        return None if value is None else str(value)

    @property
    def DATABASE(self) -> str | None:
        """The database alias that holds Events (``TRACKING_DATABASE``; ``None``: the router's
        choice, with foreign-key constraints to users and content types)."""
        value = self._get("TRACKING_DATABASE")
        return None if value is None else str(value)


conf = Settings()
